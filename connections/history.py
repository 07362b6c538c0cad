"""An account's history: every change, who or what made it, how it went.

Events say what happened in words and never hold a secret: callers pass
details already masked.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from connections.models import AccountEvent, ConnectedAccount


def record_event(
    account: ConnectedAccount,
    kind: str,
    *,
    ok: bool = True,
    detail: str = "",
    actor=None,
    via: str = "",
) -> AccountEvent:
    """Add an event to ``account``'s history."""
    return AccountEvent.objects.create(
        account=account,
        kind=kind,
        ok=ok,
        detail=detail.replace("\x00", "\ufffd"),
        actor=actor if getattr(actor, "pk", None) else None,
        via=via,
    )


def write_with_event(
    account: ConnectedAccount,
    changes: dict,
    kind: str,
    *,
    version: int | None = None,
    ok: bool = True,
    detail: str = "",
    actor=None,
    via: str = "",
) -> bool:
    """Update the account's row with ``changes`` and add the event, in one
    transaction: both or neither.

    With ``version``, only where the row still has it (compare-and-swap).
    Returns whether it was written; when not, the account was deleted or
    changed meanwhile, which the caller tells apart.
    """
    with transaction.atomic():
        rows = ConnectedAccount.objects.filter(pk=account.pk)
        if version is not None:
            rows = rows.filter(version=version)
        if not rows.update(**changes, updated_at=timezone.now()):
            return False
        record_event(account, kind, ok=ok, detail=detail, actor=actor, via=via)
        return True


__all__ = ["record_event", "write_with_event"]
