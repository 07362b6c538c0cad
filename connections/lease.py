"""An account's lease: one worker at a time calls the provider for it.

Refresh and revoke hold it while they talk to the provider, so a rotating
refresh token is redeemed once and no refresh writes new tokens after a
revoke.  It is taken by compare-and-swap (``UPDATE … WHERE pk = … AND the
lease is free``), which holds across threads, processes and machines, on
SQLite and PostgreSQL alike, and it expires by itself when its holder died.

Every database step here survives a connection that broke while the
provider was being called (``on_a_working_connection``).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    connection,
)
from django.db.models import Q
from django.utils import timezone

from connections.models import ConnectedAccount

logger = logging.getLogger(__name__)

# How often a caller willing to wait for another worker's lease looks again.
WAIT_POLL_SECONDS = 0.05
# The shortest lease; it always outlives the slowest exchange the client allows.
MINIMUM_LEASE_SECONDS = 60.0


def lease_seconds(minimum: float = MINIMUM_LEASE_SECONDS) -> float:
    """How long a lease lasts: past the outgoing client's total deadline."""
    return max(float(minimum), float(settings.OUTBOUND_TOTAL_TIMEOUT) + 5)


def on_a_working_connection(work):
    """Run the database ``work``; when the connection broke, run it once more
    on a new one.

    For work that is safe twice (a read, or a compare-and-swap that applies
    only to the state read).  Inside a caller's transaction nothing is
    retried: its connection cannot be replaced under it.
    """
    try:
        return work()
    except (OperationalError, InterfaceError):
        if connection.in_atomic_block:
            raise
        if not connection.is_usable():
            # Django connects again on the next query.
            connection.close()
        return work()


def take_lease(account_id: int, owner: str, seconds: float) -> bool:
    """Take the account's lease for ``owner``; False when another holds it."""
    now = timezone.now()
    free = (
        Q(refresh_lease_owner="")
        # Taken already by this owner, by a try whose answer was lost.
        | Q(refresh_lease_owner=owner)
        | Q(refresh_lease_until__isnull=True)
        | Q(refresh_lease_until__lt=now)
    )
    return bool(
        on_a_working_connection(
            lambda: ConnectedAccount.objects.filter(free, pk=account_id).update(
                refresh_lease_owner=owner,
                refresh_lease_until=now + dt.timedelta(seconds=seconds),
            )
        )
    )


def release_lease(account_id: int, owner: str) -> None:
    try:
        on_a_working_connection(
            lambda: ConnectedAccount.objects.filter(
                pk=account_id, refresh_lease_owner=owner
            ).update(refresh_lease_owner="", refresh_lease_until=None)
        )
    except DatabaseError:
        # The lease expires by itself; the outcome is what matters here.
        logger.warning("account %s: the lease could not be released", account_id)


@contextmanager
def account_lease(
    account_id: int,
    *,
    wait_seconds: float = 0.0,
    minimum_seconds: float = MINIMUM_LEASE_SECONDS,
) -> Iterator[str | None]:
    """Hold the account's lease for the block: yields its owner, or None when
    another worker kept it for ``wait_seconds``.  Released at the end."""
    seconds = lease_seconds(minimum_seconds)
    owner = uuid.uuid4().hex
    taken = take_lease(account_id, owner, seconds)
    deadline = time.monotonic() + wait_seconds
    while not taken and time.monotonic() < deadline:
        time.sleep(WAIT_POLL_SECONDS)
        taken = take_lease(account_id, owner, seconds)
    if not taken:
        yield None
        return
    try:
        yield owner
    finally:
        release_lease(account_id, owner)


__all__ = [
    "account_lease",
    "lease_seconds",
    "on_a_working_connection",
    "release_lease",
    "take_lease",
]
