"""System checks that refuse unsafe production settings with a clear message."""

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, register

from integry.keys import DEVELOPMENT_SECRET_KEY


@register()
def check_production_secrets(app_configs, **kwargs):
    errors = []
    if not settings.DEBUG and settings.SECRET_KEY == DEVELOPMENT_SECRET_KEY:
        errors.append(
            Error(
                "SECRET_KEY is the development default while DEBUG is off.",
                hint="Set the SECRET_KEY environment variable to a long random value.",
                id="integry.E001",
            )
        )
    keys = settings.FIELD_ENCRYPTION_KEYS
    if not keys:
        errors.append(
            Error(
                "No field encryption key is configured while DEBUG is off.",
                hint=(
                    "Set the FIELD_ENCRYPTION_KEYS environment variable to one or "
                    "more comma-separated Fernet keys (the first one encrypts); "
                    "make one with: python -c 'from cryptography.fernet import "
                    "Fernet; print(Fernet.generate_key().decode())'"
                ),
                id="integry.E002",
            )
        )
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            errors.append(
                Error(
                    f"FIELD_ENCRYPTION_KEYS: key number {position} is not a valid "
                    "Fernet key (32 url-safe base64-encoded bytes).",
                    hint="Generate keys with cryptography's Fernet.generate_key().",
                    id="integry.E003",
                )
            )
    return errors
