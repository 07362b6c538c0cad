"""Encryption at rest for secrets: model fields over cryptography's MultiFernet.

Keys come from settings.FIELD_ENCRYPTION_KEYS: the first encrypts, every key
decrypts, so keys rotate by putting a new one first and running
`manage.py rotate_encryption_keys`.
"""

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


class DecryptionError(ImproperlyConfigured):
    """A stored secret cannot be decrypted with any configured key."""


@lru_cache(maxsize=4)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured(
            "No field encryption key is configured: set FIELD_ENCRYPTION_KEYS."
        )
    return MultiFernet([Fernet(key) for key in keys])


def current_fernet() -> MultiFernet:
    return _multi_fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return current_fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return current_fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError(
            "A stored secret cannot be decrypted with any key in "
            "FIELD_ENCRYPTION_KEYS: add back the key it was written with."
        ) from None


def reencrypt(token: str) -> str:
    """Return `token` re-encrypted under the first key (MultiFernet.rotate)."""
    try:
        return current_fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError(
            "A stored secret cannot be decrypted with any key in "
            "FIELD_ENCRYPTION_KEYS, so it cannot be rotated."
        ) from None


class EncryptedTextField(models.TextField):
    """A text secret stored as a Fernet token; the empty string means "not set"."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)


class EncryptedJSONField(models.TextField):
    """A JSON object of secrets stored as one Fernet token."""

    def get_prep_value(self, value):
        if value is None:
            return None
        return encrypt(json.dumps(value, separators=(",", ":"), sort_keys=True))

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return {}
        return json.loads(decrypt(value))

    def to_python(self, value):
        if isinstance(value, str):
            return json.loads(value) if value else {}
        return value

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj))


# Every field class whose column holds a Fernet token: what key rotation
# rewrites and what the admin never lets a URL filter reach.
ENCRYPTED_FIELDS = (EncryptedTextField, EncryptedJSONField)
