"""Moving connected accounts to their own app keeps every row and its secrets.

The migrations run for real (Django's MigrationExecutor) from the state before
the move: an account written then, encrypted, is read back decrypted after it,
and the permissions granted on it follow the model to its new app.
"""

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from connections.models import ConnectedAccount

BEFORE = [
    ("apps", "0003_refuse_nul_and_bound_text"),
    ("authorizations", "0004_refuse_nul_and_bound_text"),
]
CREDENTIALS = {"access_token": "tok-before-the-move-42", "refresh_token": "r-7"}

# Serialized rollback, like every other transactional test here: a plain
# transactional test's flush makes post_migrate recreate the content types
# under new ids, which the next serialized test's restore then collides with.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def before_the_move():
    """Migrate back to before the move; migrate forward again afterwards."""
    old_apps = migrate(BEFORE)
    yield old_apps
    migrate(latest())


def write_account(old_apps):
    App = old_apps.get_model("apps", "App")
    Authorization = old_apps.get_model("authorizations", "Authorization")
    Account = old_apps.get_model("authorizations", "ConnectedAccount")
    app = App.objects.create(name="Acme", slug="acme")
    authorization = Authorization.objects.create(app=app, name="OAuth", type="oauth2")
    return Account.objects.create(
        authorization=authorization,
        user_identity="alice@example.com",
        credentials=CREDENTIALS,
        status="active",
    )


def raw_credentials(table, pk):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT credentials FROM {connection.ops.quote_name(table)} WHERE id = %s",
            [pk],
        )
        return cursor.fetchone()[0]


def test_accounts_keep_their_rows_and_encrypted_credentials(before_the_move):
    old = write_account(before_the_move)
    stored = raw_credentials("authorizations_connectedaccount", old.pk)
    assert "tok-before-the-move" not in stored  # encrypted at rest, before

    migrate(latest())

    account = ConnectedAccount.objects.get(pk=old.pk)
    assert account.user_identity == "alice@example.com"
    assert account.credentials == CREDENTIALS
    assert account.authorization.name == "OAuth"
    # The very token written before: renamed, not copied or re-encrypted.
    assert raw_credentials(ConnectedAccount._meta.db_table, old.pk) == stored


def grant_account_managers(old_apps):
    """Give the group its connected-account permissions as they were then.

    Granted here rather than relied on from 0002: a transactional test empties
    every table, groups included, after each test.
    """
    Group = old_apps.get_model("auth", "Group")
    Permission = old_apps.get_model("auth", "Permission")
    managers, _ = Group.objects.get_or_create(name="Account managers")
    managers.permissions.set(
        Permission.objects.filter(
            content_type__app_label="authorizations",
            codename__in=[
                "view_connectedaccount",
                "change_connectedaccount",
                "delete_connectedaccount",
            ],
        )
    )
    assert managers.permissions.count() == 3
    return managers.pk


def test_permissions_and_grants_follow_the_model(before_the_move):
    managers = Group.objects.get(pk=grant_account_managers(before_the_move))

    migrate(latest())

    content_type = ContentType.objects.get_for_model(ConnectedAccount)
    assert content_type.app_label == "connections"
    assert not ContentType.objects.filter(
        app_label="authorizations", model="connectedaccount"
    ).exists()
    assert set(
        managers.permissions.filter(content_type=content_type).values_list(
            "codename", flat=True
        )
    ) == {"view_connectedaccount", "change_connectedaccount", "delete_connectedaccount"}


def test_the_move_reverses_and_keeps_the_rows(before_the_move):
    old = write_account(before_the_move)
    migrate(latest())

    old_apps = migrate(BEFORE)

    Account = old_apps.get_model("authorizations", "ConnectedAccount")
    assert Account.objects.get(pk=old.pk).credentials == CREDENTIALS
    assert ContentType.objects.filter(
        app_label="authorizations", model="connectedaccount"
    ).exists()


STATES_BEFORE = [
    ("connections", "0003_refuse_nul_in_identity"),
    ("authorizations", "0006_flow_settings_and_test_runs"),
]


@pytest.fixture
def before_the_states():
    old_apps = migrate(STATES_BEFORE)
    yield old_apps
    migrate(latest())


def test_an_expired_account_becomes_due_for_a_refresh(before_the_states):
    App = before_the_states.get_model("apps", "App")
    Authorization = before_the_states.get_model("authorizations", "Authorization")
    Account = before_the_states.get_model("connections", "ConnectedAccount")
    app = App.objects.create(name="Acme", slug="acme")
    authorization = Authorization.objects.create(app=app, name="OAuth", type="oauth2")
    statuses = ["active", "expired", "error", "revoked"]
    pks = {
        status: Account.objects.create(
            authorization=authorization,
            user_identity=f"{status}@example.com",
            credentials={"access_token": "t"},
            status=status,
        ).pk
        for status in statuses
    }

    migrate(latest())

    assert {
        status: ConnectedAccount.objects.get(pk=pk).status for status, pk in pks.items()
    } == {
        "active": "active",
        "expired": "expiring_soon",
        "error": "error",
        "revoked": "revoked",
    }
    account = ConnectedAccount.objects.get(pk=pks["active"])
    assert (account.version, account.failed_attempts) == (0, 0)
