"""The background refresh through a real Celery worker on Redis.

The worker runs in this process (Celery's test worker, in a thread) and
consumes from Redis at 127.0.0.1:6379, on a queue of its own so parallel
test processes do not take each other's tasks.  Without Redis the tests are
skipped, or fail when REQUIRE_REDIS is set (CI sets it).
"""

import datetime as dt
import os
import time
import uuid

import pytest
from django.utils import timezone

from connections.models import ConnectedAccount
from connections.tasks import refresh_due_accounts
from tests.connections.helpers import account_expiring_in, refreshable_authorization

BROKER = "redis://127.0.0.1:6379/0"

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("allow_loopback"),
]


def redis_is_up() -> bool:
    import redis

    try:
        return redis.Redis.from_url(BROKER, socket_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.fixture
def worker():
    """A real worker on Redis, on a queue of this test's own."""
    if not redis_is_up():
        message = "Redis is not running at 127.0.0.1:6379"
        if os.environ.get("REQUIRE_REDIS"):
            pytest.fail(message + " and REQUIRE_REDIS is set")
        pytest.skip(message)
    from celery.contrib.testing.worker import start_worker

    from integry.celery import app

    queue = f"test-{uuid.uuid4().hex}"
    app.conf.update(broker_url=BROKER, task_default_queue=queue)
    with start_worker(
        app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=10
    ):
        yield app


def wait_until(check, seconds=20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_the_beat_task_refreshes_the_due_accounts_through_the_worker(
    httpserver, worker
):
    authorization = refreshable_authorization(
        httpserver,
        {
            "access_token": "new-access-5501",
            "refresh_token": "new-refresh-5502",
            "expires_in": 3600,
            "token_type": "Bearer",
        },
    )
    soon = timezone.now() + dt.timedelta(minutes=5)
    due = account_expiring_in(authorization, dt.timedelta(minutes=5), "old-refresh-77")
    later = account_expiring_in(authorization, dt.timedelta(days=1), "r")

    assert refresh_due_accounts.delay().id

    assert wait_until(
        lambda: ConnectedAccount.objects.get(pk=due.pk).last_refreshed_at is not None
    ), "the worker did not refresh the due account"
    due.refresh_from_db()
    assert due.credentials["access_token"] == "new-access-5501"
    assert due.credentials["refresh_token"] == "new-refresh-5502"
    assert due.expires_at > soon
    assert due.events.filter(kind="refreshed", via="celery").exists()
    later.refresh_from_db()
    assert later.last_refreshed_at is None  # not due: left alone
    [request] = [r for r, _ in httpserver.log]
    assert b"refresh_token=old-refresh-77" in request.get_data()
