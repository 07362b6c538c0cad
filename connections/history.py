"""An account's history: every change, who or what made it, how it went.

Events say what happened in words and never hold a secret: callers pass
details already masked.
"""

from __future__ import annotations

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


__all__ = ["record_event"]
