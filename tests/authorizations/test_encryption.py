"""Secrets are encrypted at rest, readable across key changes, and rotatable."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from authorizations.models import Authorization
from connections.models import ConnectedAccount
from console.encryption import DecryptionError
from tests.factories import ConnectedAccountFactory, OAuth2AuthorizationFactory

CLIENT_SECRET = "s3cr3t-client-value-7f1e"
ACCESS_TOKEN = "tok-access-value-91ab"

pytestmark = pytest.mark.django_db


def raw_column(model, field, pk) -> str:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {field} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def decrypts_with(key: str, token: str) -> bool:
    try:
        Fernet(key).decrypt(token.encode())
    except Exception:
        return False
    return True


@pytest.fixture
def old_key(settings):
    key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [key]
    return key


def test_secrets_are_not_stored_in_clear(old_key):
    authorization = OAuth2AuthorizationFactory(client_secret=CLIENT_SECRET)
    account = ConnectedAccountFactory(credentials={"access_token": ACCESS_TOKEN})

    raw_secret = raw_column(Authorization, "client_secret", authorization.pk)
    raw_credentials = raw_column(ConnectedAccount, "credentials", account.pk)

    assert CLIENT_SECRET not in raw_secret
    assert ACCESS_TOKEN not in raw_credentials
    assert decrypts_with(old_key, raw_secret)
    assert Authorization.objects.get(pk=authorization.pk).client_secret == CLIENT_SECRET
    assert ConnectedAccount.objects.get().credentials == {"access_token": ACCESS_TOKEN}


def test_empty_secret_stays_empty(old_key):
    authorization = OAuth2AuthorizationFactory(client_secret="")
    assert raw_column(Authorization, "client_secret", authorization.pk) == ""
    assert Authorization.objects.get(pk=authorization.pk).client_secret == ""


def test_old_rows_readable_after_new_key_is_put_first(settings, old_key):
    authorization = OAuth2AuthorizationFactory(client_secret=CLIENT_SECRET)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]

    assert Authorization.objects.get(pk=authorization.pk).client_secret == CLIENT_SECRET


def test_rotation_reencrypts_every_row_under_the_first_key(settings, old_key):
    authorization = OAuth2AuthorizationFactory(client_secret=CLIENT_SECRET)
    account = ConnectedAccountFactory(credentials={"access_token": ACCESS_TOKEN})
    updated_at = ConnectedAccount.objects.get().updated_at
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]

    call_command("rotate_encryption_keys", stdout=io.StringIO())

    raw_secret = raw_column(Authorization, "client_secret", authorization.pk)
    raw_credentials = raw_column(ConnectedAccount, "credentials", account.pk)
    assert decrypts_with(new_key, raw_secret)
    assert decrypts_with(new_key, raw_credentials)
    assert not decrypts_with(old_key, raw_secret)

    # The old key can now be dropped without losing anything.
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert Authorization.objects.get(pk=authorization.pk).client_secret == CLIENT_SECRET
    account = ConnectedAccount.objects.get()
    assert account.credentials == {"access_token": ACCESS_TOKEN}
    assert account.updated_at == updated_at


def test_missing_key_gives_a_clear_error(settings, old_key):
    authorization = OAuth2AuthorizationFactory(client_secret=CLIENT_SECRET)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(DecryptionError, match="add back the key"):
        Authorization.objects.get(pk=authorization.pk)
