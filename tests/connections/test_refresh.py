"""connections.refresh: one refresh, safe under concurrency, against real peers.

The OAuth 2.0 peer (django-oauth-toolkit on the live server) rotates refresh
tokens, and with REFRESH_TOKEN_REUSE_PROTECTION revokes a whole grant when a
spent refresh token comes back: a double redemption would show as a dead
account.  Faults come from a local server (pytest-httpserver).  Nothing is
mocked: the console's guarded client talks to both over loopback.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone
from werkzeug import Response

from connections import refresh
from connections.models import AccountEvent, ConnectedAccount
from connections.refresh import refresh_account
from tests.connections.helpers import (
    held_token_endpoint,
    issue,
    local_token_authorization,
    refresh_tokens_of,
    works,
)
from tests.factories import ConnectedAccountFactory

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("allow_loopback"),
]

ACCESS = "old-access-token-4f1c9a7e2b"
REFRESH = "old-refresh-token-9d3e6b0a5c"


# --- the OAuth 2.0 peer ------------------------------------------------------


def peer_account(peer, authorization, **fields) -> ConnectedAccount:
    access, refresh_token = issue(peer)
    fields.setdefault("expires_at", timezone.now() + dt.timedelta(minutes=5))
    return ConnectedAccountFactory(
        authorization=authorization,
        credentials={"access_token": access, "refresh_token": refresh_token},
        **fields,
    )


def assert_each_account_works_and_redeemed_once(peer, accounts, rounds):
    """After ``rounds`` of refreshes: each account's token works at the peer,
    it holds the one live refresh token, one new per round, and every spent
    one was redeemed once."""
    from oauth2_provider.models import get_access_token_model

    AccessToken = get_access_token_model()
    for account in accounts:
        account.refresh_from_db()
        assert account.version == rounds
        assert works(peer, account)
        family = refresh_tokens_of(peer, account)
        assert family.count() == rounds + 1
        live = family.filter(revoked=None)
        assert [t.token for t in live] == [account.credentials["refresh_token"]]
        for token in family.exclude(revoked=None):
            assert AccessToken.objects.filter(source_refresh_token=token).count() <= 1


def raw_credentials(account) -> str:
    table = ConnectedAccount._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT credentials FROM {table} WHERE id = %s", [account.pk])
        value = cursor.fetchone()[0]
    return value if isinstance(value, str) else json.dumps(value)


def said(account) -> str:
    """Everything the console says about the account, for secret checks."""
    account.refresh_from_db()
    events = " ".join(e.detail for e in account.events.all())
    return f"{account.last_error} {events}"


def test_refresh_rotates_the_tokens(peer, peer_authorization, caplog):
    account = peer_account(peer, peer_authorization)
    old = dict(account.credentials)

    outcome = refresh_account(account.pk, via="test")

    assert outcome.result == "refreshed", outcome.message
    account.refresh_from_db()
    new = account.credentials
    assert new["access_token"] != old["access_token"]
    assert new["refresh_token"] != old["refresh_token"]
    # The old refresh token is spent at the peer, the new one alive.
    assert not peer.refresh_token_is_active(old["refresh_token"])
    assert peer.refresh_token_is_active(new["refresh_token"])
    assert works(peer, account)
    assert account.status == ConnectedAccount.Status.ACTIVE
    assert account.version == 1
    assert account.failed_attempts == 0 and account.retry_at is None
    assert account.last_refreshed_at is not None
    lifetime = account.expires_at - timezone.now()
    assert dt.timedelta(minutes=55) < lifetime <= dt.timedelta(hours=1)
    # Lease released; stored encrypted; said without a secret.
    assert account.refresh_lease_owner == "" and account.refresh_lease_until is None
    raw = raw_credentials(account)
    event = account.events.get()
    assert event.kind == AccountEvent.Kind.REFRESHED and event.ok
    assert event.via == "test"
    assert "new refresh token" in event.detail
    secrets = [*old.values(), *new.values(), peer.app.client_secret]
    for secret in secrets:
        assert secret not in raw
        assert secret not in outcome.message + said(account) + caplog.text


def test_not_due_is_skipped_unless_forced(peer, peer_authorization):
    account = peer_account(
        peer, peer_authorization, expires_at=timezone.now() + dt.timedelta(hours=1)
    )

    skipped = refresh_account(account.pk, via="test")
    forced = refresh_account(account.pk, via="test", force=True)

    assert skipped.result == "skipped" and "Not due" in skipped.message
    assert forced.result == "refreshed"


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"credentials": {"access_token": ACCESS}}, "no refresh token"),
        ({"status": ConnectedAccount.Status.REVOKED}, "revoked"),
    ],
)
def test_nothing_to_refresh(httpserver, fields, words):
    account = local_account(httpserver, **fields)

    outcome = refresh_account(account.pk, via="test", force=True)

    assert outcome.result == "skipped" and words in outcome.message
    assert not httpserver.log


def test_invalid_grant_needs_a_reconnect(peer, peer_authorization, caplog):
    account = peer_account(peer, peer_authorization)
    spent = dict(account.credentials)
    # The grant is gone at the provider (revoked there, or spent elsewhere).
    from oauth2_provider.models import get_refresh_token_model

    get_refresh_token_model().objects.filter(
        token_checksum=peer._checksum(spent["refresh_token"])
    ).update(revoked=timezone.now())

    outcome = refresh_account(account.pk, via="admin", force=True)

    assert outcome.result == "needs_reconnect", outcome.message
    assert "invalid_grant" in outcome.message
    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.NEEDS_RECONNECT
    assert account.credentials == spent  # kept
    assert account.version == 0
    event = account.events.get()
    assert event.kind == AccountEvent.Kind.REFRESH_FAILED and not event.ok
    assert "connect the account again" in event.detail
    for secret in [*spent.values(), peer.app.client_secret]:
        assert secret not in outcome.message + said(account) + caplog.text
    # Without force, it is not tried again.
    assert refresh_account(account.pk, via="cron").result == "skipped"


# --- faults from a local server ----------------------------------------------


def local_account(httpserver, **fields) -> ConnectedAccount:
    authorization = local_token_authorization(httpserver)
    fields.setdefault("credentials", {"access_token": ACCESS, "refresh_token": REFRESH})
    fields.setdefault("expires_at", timezone.now() - dt.timedelta(minutes=1))
    return ConnectedAccountFactory(authorization=authorization, **fields)


def test_a_reply_without_refresh_token_keeps_the_old(httpserver):
    httpserver.expect_request("/token", method="POST").respond_with_json(
        {
            "access_token": "new-access-token-77aa",
            "token_type": "Bearer",
            "expires_in": 60,
        }
    )
    account = local_account(httpserver)

    outcome = refresh_account(account.pk, via="test")

    assert outcome.result == "refreshed", outcome.message
    account.refresh_from_db()
    assert account.credentials == {
        "access_token": "new-access-token-77aa",
        "refresh_token": REFRESH,
    }
    assert "refresh token is kept" in account.events.get().detail
    sent = dict(
        pair.split("=", 1)
        for pair in httpserver.log[0][0].get_data(as_text=True).split("&")
    )
    assert sent["grant_type"] == "refresh_token"
    assert sent["refresh_token"] == REFRESH
    assert sent["client_id"] == "client-id-123"


SLOW_DONE = threading.Event()


def slow(request):
    time.sleep(1.0)
    SLOW_DONE.set()  # the single-threaded server is free again
    return Response("{}", content_type="application/json")


@pytest.mark.parametrize(
    ("reply", "words", "wait"),
    [
        (Response("boom", status=500), "500", None),
        (
            Response("busy", status=503, headers={"Retry-After": "120"}),
            "503",
            120,
        ),
        (
            Response(
                '{"error": "slow_down"}',
                status=429,
                headers={"Retry-After": "300"},
                content_type="application/json",
            ),
            "limiting requests",
            300,
        ),
        (slow, "did not answer in time", None),
        (
            Response("<html><body>Sign in</body></html>", content_type="text/html"),
            "web page",
            None,
        ),
        (
            Response('{"token_type": "Bearer"}', content_type="application/json"),
            "",
            None,
        ),
    ],
    ids=["500", "503-retry-after", "429-retry-after", "timeout", "html", "no-token"],
)
def test_transient_failures_keep_the_tokens(httpserver, settings, reply, words, wait):
    settings.OUTBOUND_READ_TIMEOUT = 0.5
    if callable(reply) and not isinstance(reply, Response):
        SLOW_DONE.clear()
        httpserver.expect_request("/token").respond_with_handler(reply)
    else:
        httpserver.expect_request("/token").respond_with_response(reply)
    account = local_account(httpserver)
    before = timezone.now()

    outcome = refresh_account(account.pk, via="test")

    assert outcome.result == "error", outcome.message
    assert words in outcome.message
    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.ERROR
    assert account.credentials == {"access_token": ACCESS, "refresh_token": REFRESH}
    assert account.version == 0
    assert account.failed_attempts == 1
    if wait:
        assert outcome.retry_after == wait
    else:
        assert 15 <= outcome.retry_after <= 30  # the first backoff, with jitter
    assert account.retry_at >= before + dt.timedelta(seconds=outcome.retry_after - 1)
    event = account.events.get()
    assert event.kind == AccountEvent.Kind.REFRESH_FAILED and not event.ok
    assert "old tokens are kept" in event.detail
    assert REFRESH not in said(account) and ACCESS not in said(account)
    # Not tried again before retry_at, unless forced.
    assert refresh_account(account.pk, via="cron").result == "skipped"
    if reply is slow:
        assert SLOW_DONE.wait(5)


def test_connection_refused_is_transient_and_backs_off(httpserver):
    account = local_account(httpserver)
    account.authorization.endpoints.filter(kind="access_token").update(
        url="http://127.0.0.1:9/token"
    )
    attempts = []
    for _ in range(3):
        outcome = refresh_account(account.pk, via="test", force=True)
        assert outcome.result == "error", outcome.message
        attempts.append(outcome.retry_after)

    account.refresh_from_db()
    assert account.failed_attempts == 3
    assert 15 <= attempts[0] <= 30 and 30 <= attempts[1] <= 60
    assert 60 <= attempts[2] <= 120
    assert account.credentials["refresh_token"] == REFRESH


def test_success_after_errors_clears_them(httpserver):
    httpserver.expect_ordered_request("/token").respond_with_data("no", status=502)
    httpserver.expect_ordered_request("/token").respond_with_json(
        {"access_token": "a-2", "refresh_token": "r-2", "token_type": "bearer"}
    )
    account = local_account(httpserver)

    first = refresh_account(account.pk, via="test")
    second = refresh_account(account.pk, via="test", force=True)

    assert (first.result, second.result) == ("error", "refreshed")
    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.ACTIVE
    assert (account.failed_attempts, account.retry_at, account.last_error) == (
        0,
        None,
        "",
    )
    assert account.credentials == {"access_token": "a-2", "refresh_token": "r-2"}
    assert account.expires_at is None  # the provider did not say


def test_an_account_deleted_mid_refresh_is_gone(httpserver):
    account = local_account(httpserver)

    def delete_then_answer(request):
        try:
            ConnectedAccount.objects.filter(pk=account.pk).delete()
        finally:
            connections.close_all()
        return Response(
            json.dumps({"access_token": "a-2", "refresh_token": "r-2"}),
            content_type="application/json",
        )

    httpserver.expect_request("/token").respond_with_handler(delete_then_answer)

    outcome = refresh_account(account.pk, via="test")

    assert outcome.result == "gone", outcome.message
    assert not ConnectedAccount.objects.filter(pk=account.pk).exists()
    assert not AccountEvent.objects.exists()
    assert refresh_account(account.pk, via="test").result == "gone"


def test_a_refresh_waiting_on_another_gets_its_result(httpserver):
    """Another worker holds the lease and refreshes; the second call waits,
    then sees the version moved on: "fresh", and the provider is not called
    again."""
    answered, release = held_token_endpoint(httpserver)
    account = local_account(httpserver)

    def first():
        try:
            return refresh_account(account.pk, via="worker 1")
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        winner = pool.submit(first)
        assert answered.wait(10)
        immediate = refresh_account(account.pk, via="worker 2", force=True)
        threading.Timer(0.3, release.set).start()
        waited = refresh_account(
            account.pk, via="worker 2", force=True, wait_seconds=10
        )
        assert winner.result().result == "refreshed"

    assert immediate.result == "skipped" and "running" in immediate.message
    assert waited.result == "fresh", waited.message
    assert len(httpserver.log) == 1
    account.refresh_from_db()
    assert account.version == 1
    assert account.credentials["refresh_token"] == "r-2"
    assert account.events.count() == 1


def test_an_expired_lease_is_taken_over(httpserver):
    httpserver.expect_request("/token").respond_with_json(
        {"access_token": "a-2", "refresh_token": "r-2"}
    )
    account = local_account(
        httpserver,
        refresh_lease_owner="a-worker-that-died",
        refresh_lease_until=timezone.now() - dt.timedelta(seconds=1),
    )

    assert refresh_account(account.pk, via="test").result == "refreshed"


def test_backoff_is_capped():
    assert all(
        refresh.BACKOFF_CAP_SECONDS / 2
        <= refresh.backoff_seconds(n)
        <= refresh.BACKOFF_CAP_SECONDS
        for n in (8, 20, 200)
    )


# --- concurrency -------------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the live server shares one SQLite connection between its request "
    "threads; concurrent refreshes need PostgreSQL",
)
@pytest.mark.parametrize("accounts_count", [10, 50])
def test_concurrent_refreshers_redeem_each_token_once(
    peer, peer_authorization, accounts_count
):

    accounts = []
    for _ in range(accounts_count):
        account = peer_account(peer, peer_authorization)
        account.initial_refresh_token = account.credentials["refresh_token"]
        accounts.append(account)
    threads, rounds = 8, 3
    results: list[str] = []
    lock = threading.Lock()

    def worker(barrier, versions):
        try:
            barrier.wait(30)
            # Round 0 is cron's: the accounts are due, nothing forced.  The
            # others are staff pressing Refresh now on the same page: forced,
            # from the version the page showed.
            mine = [
                refresh_account(
                    a.pk,
                    via="thread",
                    force=versions is not None,
                    expected_version=versions[a.pk] if versions else None,
                ).result
                for a in accounts
            ]
            with lock:
                results.extend(mine)
        finally:
            connections.close_all()

    for round_ in range(rounds):
        versions = None
        if round_:
            versions = dict(ConnectedAccount.objects.values_list("pk", "version"))
        barrier = threading.Barrier(threads)
        with ThreadPoolExecutor(threads) as pool:
            futures = [pool.submit(worker, barrier, versions) for _ in range(threads)]
            for future in futures:
                future.result()

    print(
        f"{accounts_count} accounts, {threads} threads, {rounds} rounds:",
        dict(collections.Counter(results)),
    )
    assert len(results) == rounds * threads * accounts_count
    assert results.count("refreshed") == rounds * accounts_count, sorted(set(results))
    assert set(results) <= {"refreshed", "fresh", "skipped"}
    assert_each_account_works_and_redeemed_once(peer, accounts, rounds)
    for account in accounts:
        assert account.events.filter(kind=AccountEvent.Kind.REFRESHED).count() == rounds


# A refresher in a process of its own: a fresh interpreter (as a spawned
# worker is), set up as the console is, starting at an agreed instant.
REFRESHER = """
import json, sys, time
import django
from django.conf import settings

django.setup()
settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
from connections.refresh import refresh_account

job = json.loads(sys.argv[1])
versions = job["versions"]
time.sleep(max(job["start"] - time.time(), 0))
results = [
    refresh_account(
        pk,
        via="process",
        force=versions is not None,
        expected_version=versions[str(pk)] if versions else None,
    ).result
    for pk in job["ids"]
]
print(json.dumps(results))
"""


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="separate processes need a database server (PostgreSQL)",
)
def test_concurrent_processes_redeem_each_token_once(peer, peer_authorization):

    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    accounts = []
    for _ in range(50):
        account = peer_account(peer, peer_authorization)
        account.initial_refresh_token = account.credentials["refresh_token"]
        accounts.append(account)
    ids = [a.pk for a in accounts]
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
    }
    processes, rounds = 8, 2
    results: list[str] = []
    for round_ in range(rounds):
        versions = (
            dict(ConnectedAccount.objects.values_list("pk", "version"))
            if round_
            else None
        )
        # Time for the interpreters to start and set up Django.
        job = json.dumps({"ids": ids, "versions": versions, "start": time.time() + 6})
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", REFRESHER, job],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=settings.BASE_DIR,
            )
            for _ in range(processes)
        ]
        for worker in workers:
            out, err = worker.communicate(timeout=90)
            assert worker.returncode == 0, err[-3000:]
            results.extend(json.loads(out.strip().splitlines()[-1]))

    print(
        f"50 accounts, {processes} processes, {rounds} rounds:",
        dict(collections.Counter(results)),
    )
    assert results.count("refreshed") == rounds * len(accounts)
    assert set(results) <= {"refreshed", "fresh", "skipped"}
    assert_each_account_works_and_redeemed_once(peer, accounts, rounds)
