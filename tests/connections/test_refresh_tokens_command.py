"""manage.py refresh_tokens: the accounts due, refreshed, and a summary."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from connections.models import ConnectedAccount
from tests.connections.helpers import account_expiring_in, refreshable_authorization

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def due_accounts(httpserver, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    authorization = refreshable_authorization(
        httpserver, {"access_token": "fresh-access-0001", "expires_in": 3600}
    )
    due = [
        account_expiring_in(authorization, dt.timedelta(minutes=5), f"refresh-{n:04}")
        for n in range(6)
    ]
    account_expiring_in(authorization, dt.timedelta(hours=5), "refresh-later")
    return due


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("refresh_tokens", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_due_accounts_are_refreshed_with_a_summary(due_accounts):
    # Several workers on PostgreSQL; SQLite's in-memory test database locks
    # whole tables between connections, so one there.
    workers = "3" if connection.vendor == "postgresql" else "1"
    out, err = run("--within", "15m", "--workers", workers)

    assert out.strip().startswith(
        "6 account(s) due: 6 refreshed, 0 failed (0 need reconnecting, 0 will be "
        "retried), 0 skipped"
    )
    assert "6/6" in err  # the progress bar reached the end
    for account in ConnectedAccount.objects.filter(pk__in=[a.pk for a in due_accounts]):
        assert account.credentials["access_token"] == "fresh-access-0001"
        # A reply without a refresh token keeps the old one.
        assert account.credentials["refresh_token"].startswith("refresh-0")
    later = ConnectedAccount.objects.exclude(pk__in=[a.pk for a in due_accounts]).get()
    assert later.credentials["access_token"] == "old-access"


def test_limit_refreshes_the_soonest_only(due_accounts):
    out, _ = run("--limit", "2")
    assert out.startswith("2 account(s) due: 2 refreshed")


def test_nothing_due_says_so(due_accounts):
    out, err = run("--within", "0s")
    assert out.strip() == "No account expires within the window: nothing to refresh."


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--within", "soon"], "--within must be a duration such as 15m, 2h or 900s"),
        (["--workers", "0"], "--workers must be between 1 and 64."),
        (["--limit", "0"], "--limit must be at least 1."),
    ],
)
def test_bad_options_are_refused_in_words(args, words):
    with pytest.raises(CommandError, match=words):
        run(*args)
