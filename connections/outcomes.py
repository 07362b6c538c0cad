"""What an action on one account did, in words: the shape every action returns.

Refresh, verify and revoke return an ``Outcome``; the management command, the
Celery tasks and the admin's actions report it as it is.  Its message never
holds a secret.
"""

from __future__ import annotations

from dataclasses import dataclass

REFRESHED = "refreshed"
FRESH = "fresh"  # another worker refreshed the account meanwhile
SKIPPED = "skipped"  # nothing to do, and why is the message
VERIFIED = "verified"
REVOKED = "revoked"
NEEDS_RECONNECT = "needs_reconnect"
ERROR = "error"
GONE = "gone"  # the account was deleted

OK_RESULTS = frozenset({REFRESHED, FRESH, SKIPPED, VERIFIED, REVOKED})


@dataclass
class Outcome:
    """What an action did to one account, in words (masked)."""

    account_id: int
    result: str
    message: str
    # Seconds until the next try, after a failure that a retry may cure.
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        """Whether the account holds working credentials as far as is known."""
        return self.result in OK_RESULTS


def outcome(account_id, result, message, retry_after=None) -> Outcome:
    return Outcome(
        account_id=account_id, result=result, message=message, retry_after=retry_after
    )


def gone(account_id: int) -> Outcome:
    return outcome(account_id, GONE, "The account was deleted meanwhile.")


__all__ = [
    "ERROR",
    "FRESH",
    "GONE",
    "NEEDS_RECONNECT",
    "OK_RESULTS",
    "Outcome",
    "REFRESHED",
    "REVOKED",
    "SKIPPED",
    "VERIFIED",
    "gone",
    "outcome",
]
