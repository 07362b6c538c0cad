"""Issue 9 §8: the database connection dropped in the middle of a refresh.

The provider (pytest-httpserver) terminates the refreshing connection's
PostgreSQL backend while it answers the token request, as a restart, a
failover or a proxy's idle timeout would: the new tokens are stored whole
on a new connection, or, when the database stays out of reach, nothing is
half-written and the outcome says so.  Nothing is mocked: a real server
process ends the connection.

The provider being down is here too; the other faults of §8 (500, timeout,
HTML, no access token, invalid_grant) are tests/connections/test_refresh.py's;
two staff members pressing Verify at once is the verify tests'.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from django.db import connection, connections
from django.utils import timezone
from werkzeug import Response

from authorizations.defaults import OAUTH2_TOKEN_REQUEST
from connections.models import AccountEvent, ConnectedAccount
from connections.refresh import refresh_account
from tests.connections.helpers import local_token_authorization
from tests.factories import ConnectedAccountFactory, OAuth2AuthorizationFactory
from tests.peers.console import token_endpoint

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("allow_loopback"),
]
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="ending a connection from the server side needs PostgreSQL "
    "(pg_terminate_backend); SQLite has no server",
)

ACCESS = "fault-access-token-3e9a7c1b5d"
REFRESH = "fault-refresh-token-8f2d6a0c4e"
NEW_ACCESS = "fault-new-access-token-71b2c9"
NEW_REFRESH = "fault-new-refresh-token-0a4d8e"
SECRETS = (ACCESS, REFRESH, NEW_ACCESS, NEW_REFRESH)


def expiring_account(httpserver) -> ConnectedAccount:
    authorization = local_token_authorization(httpserver)
    return ConnectedAccountFactory(
        authorization=authorization,
        credentials={"access_token": ACCESS, "refresh_token": REFRESH},
        expires_at=timezone.now() - dt.timedelta(minutes=1),
    )


def backend_pid() -> int:
    """The PostgreSQL backend of this thread's connection (the refresher's)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def terminate(pid: int, *, first=None) -> None:
    """End backend ``pid`` from another connection and wait until it is gone;
    ``first`` is called once that connection is open."""
    try:
        with connection.cursor() as cursor:  # the handler thread's own
            cursor.execute("SELECT 1")
            if first is not None:
                first()
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            assert cursor.fetchone()[0], "the refresher's backend was not found"
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
                if cursor.fetchone() is None:
                    return
                time.sleep(0.02)
            raise AssertionError("the refresher's backend did not end")
    finally:
        connections.close_all()


def tokens(access: str, refresh: str) -> Response:
    return Response(
        json.dumps(
            {
                "access_token": access,
                "refresh_token": refresh,
                "token_type": "Bearer",
                "expires_in": 3600,
            }
        ),
        content_type="application/json",
    )


def said(account) -> str:
    events = " ".join(e.detail for e in account.events.all())
    return f"{account.last_error} {events}"


@postgresql_only
def test_a_connection_dropped_mid_refresh_stores_the_new_tokens_whole(
    httpserver, caplog
):
    account = expiring_account(httpserver)
    pid = backend_pid()

    def drop_then_answer(request):
        terminate(pid)
        return tokens(NEW_ACCESS, NEW_REFRESH)

    httpserver.expect_ordered_request("/token").respond_with_handler(drop_then_answer)
    httpserver.expect_ordered_request("/token").respond_with_response(
        tokens("fault-third-access", "fault-third-refresh")
    )

    outcome = refresh_account(account.pk, via="test")

    assert outcome.result == "refreshed", outcome.message
    assert backend_pid() != pid  # a new connection did the write
    account.refresh_from_db()
    assert account.credentials == {
        "access_token": NEW_ACCESS,
        "refresh_token": NEW_REFRESH,
    }
    assert account.version == 1
    assert account.status == ConnectedAccount.Status.ACTIVE
    assert account.refresh_lease_owner == "" and account.refresh_lease_until is None
    event = account.events.get()
    assert (event.kind, event.ok, event.via) == (
        AccountEvent.Kind.REFRESHED,
        True,
        "test",
    )
    assert "new refresh token" in event.detail
    # One refresh for the rotation: the provider was asked once.
    assert len(httpserver.log) == 1

    # And the account refreshes again as usual, with the stored refresh token.
    again = refresh_account(account.pk, via="test", force=True)

    assert again.result == "refreshed", again.message
    sent = httpserver.log[1][0].get_data(as_text=True)
    assert f"refresh_token={NEW_REFRESH}" in sent
    account.refresh_from_db()
    assert account.version == 2
    assert account.credentials["refresh_token"] == "fault-third-refresh"
    assert account.events.filter(kind=AccountEvent.Kind.REFRESHED).count() == 2
    for secret in SECRETS:
        assert secret not in outcome.message + said(account) + caplog.text


@postgresql_only
def test_a_connection_dropped_before_a_failure_is_recorded(httpserver):
    """The provider fails (500) and the connection drops: the failure is
    still recorded, the old tokens kept."""
    account = expiring_account(httpserver)
    pid = backend_pid()

    def drop_then_fail(request):
        terminate(pid)
        return Response("boom", status=500)

    httpserver.expect_request("/token").respond_with_handler(drop_then_fail)

    outcome = refresh_account(account.pk, via="test")

    assert outcome.result == "error", outcome.message
    assert "old tokens are kept" in outcome.message
    account.refresh_from_db()
    assert account.credentials == {"access_token": ACCESS, "refresh_token": REFRESH}
    assert (account.status, account.version, account.failed_attempts) == (
        ConnectedAccount.Status.ERROR,
        0,
        1,
    )
    assert account.events.get().kind == AccountEvent.Kind.REFRESH_FAILED
    assert account.refresh_lease_owner == ""


def allow_connections(name: str, allowed: bool) -> None:
    """Let connections in to database ``name``, or not, as an operator would
    (from another database: none can lock out the one it is in)."""
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(
            f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {str(allowed).lower()}'
        )


@pytest.fixture
def database_reopened():
    """The test database's name; it lets connections in again after the test,
    whatever the test did."""
    name = connection.settings_dict["NAME"]
    yield name
    allow_connections(name, True)
    connection.close()


@postgresql_only
def test_a_database_out_of_reach_stores_nothing_and_says_so(
    httpserver, database_reopened, caplog
):
    """The connection drops and no new one is let in: the new tokens cannot be
    stored.  Nothing is half-written; the outcome says what happened and that
    the account may need a reconnect."""
    account = expiring_account(httpserver)
    pid = backend_pid()

    def lock_out_then_answer(request):
        terminate(pid, first=lambda: allow_connections(database_reopened, False))
        return tokens(NEW_ACCESS, NEW_REFRESH)

    httpserver.expect_request("/token").respond_with_handler(lock_out_then_answer)

    outcome = refresh_account(account.pk, via="test")

    assert outcome.result == "error"
    assert outcome.message == (
        "The provider issued new tokens, but the console could not store them: "
        "the database could not be reached. The old tokens are kept; if the "
        "provider rotates refresh tokens, the old one is spent and the account "
        "may need a reconnect."
    )
    assert "could not be stored (OperationalError)" in caplog.text
    for secret in SECRETS:
        assert secret not in caplog.text

    allow_connections(database_reopened, True)
    connection.close()
    account.refresh_from_db()
    # Untouched: the old tokens, the old version, no event.
    assert account.credentials == {"access_token": ACCESS, "refresh_token": REFRESH}
    assert account.version == 0
    assert account.status == ConnectedAccount.Status.ACTIVE
    assert not account.events.exists()


@postgresql_only
def test_a_connection_that_died_while_idle_is_replaced(httpserver):
    """A worker's connection ended between two jobs (the server restarted):
    the next refresh connects again and works."""
    httpserver.expect_request("/token").respond_with_response(
        tokens(NEW_ACCESS, NEW_REFRESH)
    )
    account = expiring_account(httpserver)
    pid = backend_pid()
    with ThreadPoolExecutor(1) as other:
        other.submit(terminate, pid).result()

    outcome = refresh_account(account.pk, via="test")

    assert outcome.result == "refreshed", outcome.message
    account.refresh_from_db()
    assert account.credentials["refresh_token"] == NEW_REFRESH
    assert account.version == 1


def test_a_provider_that_is_down_keeps_the_tokens(caplog):
    """Nothing listens at the token endpoint: an error retried later, the
    tokens kept, the state and history say so."""
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    authorization = OAuth2AuthorizationFactory(client_auth="client_secret_post")
    token_endpoint(
        authorization,
        f"http://127.0.0.1:{port}/token",
        OAUTH2_TOKEN_REQUEST,
        body_format="form",
    )
    account = ConnectedAccountFactory(
        authorization=authorization,
        credentials={"access_token": ACCESS, "refresh_token": REFRESH},
        expires_at=timezone.now() - dt.timedelta(minutes=1),
    )

    outcome = refresh_account(account.pk, via="refresh_tokens")

    assert outcome.result == "error", outcome.message
    assert "could not connect" in outcome.message.lower(), outcome.message
    account.refresh_from_db()
    assert account.credentials == {"access_token": ACCESS, "refresh_token": REFRESH}
    assert (account.status, account.version, account.failed_attempts) == (
        ConnectedAccount.Status.ERROR,
        0,
        1,
    )
    assert account.last_error and account.retry_at is not None
    event = account.events.get()
    assert (event.kind, event.ok, event.via) == (
        AccountEvent.Kind.REFRESH_FAILED,
        False,
        "refresh_tokens",
    )
    assert "old tokens are kept" in event.detail and "temporary" in event.detail
    for secret in (ACCESS, REFRESH, authorization.client_secret):
        assert secret not in outcome.message + said(account) + caplog.text
