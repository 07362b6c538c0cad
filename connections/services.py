"""Business actions on connected accounts."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from connections.history import record_event
from connections.models import AccountEvent, ConnectedAccount
from console.validators import validate_no_nul_character


def _nul_path(value, path: str = "extras") -> str | None:
    """Return where ``value`` holds a NUL, which PostgreSQL's jsonb cannot store."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _nul_path(key, path) or _nul_path(item, f"{path}.{key}")
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_path(item, f"{path}[{index}]")
            if found:
                return found
    return None


@transaction.atomic
def account_store_flow_result(*, authorization, result, user) -> ConnectedAccount:
    """Create or update the account a successful flow connected.

    The same account is updated when the authorization and the provider's
    ``account_id`` match, or, without one, the ``user_identity``.  Raises
    ``ValidationError`` (nothing stored) when the provider's values cannot be
    kept.
    """
    # Checked before the lookup: PostgreSQL refuses a NUL even in a query.
    for name in ("user_identity", "account_id"):
        validate_no_nul_character(getattr(result, name))
    found = ConnectedAccount.objects.select_for_update().filter(
        authorization=authorization
    )
    if result.account_id:
        found = found.filter(account_id=result.account_id)
    else:
        found = found.filter(account_id="", user_identity=result.user_identity)
    account = found.order_by("pk").first()
    created = account is None
    if created:
        account = ConnectedAccount(authorization=authorization)
    now = timezone.now()
    account.user_identity = result.user_identity
    account.account_id = result.account_id
    account.credentials = result.credentials
    account.extras = result.extras
    account.expires_at = result.expires_at
    account.granted_scopes = result.granted_scopes
    account.status = ConnectedAccount.Status.ACTIVE
    account.connected_by = user if getattr(user, "pk", None) else None
    account.last_verified_at = now
    account.last_error = ""
    nul = _nul_path(result.extras)
    if nul:
        raise ValidationError(
            f"The provider's {nul} contains a NUL character (U+0000), which "
            "cannot be stored."
        )
    account.refresh_lease_owner, account.refresh_lease_until = "", None
    account.failed_attempts, account.retry_at = 0, None
    account.full_clean(exclude=["authorization", "connected_by", "credentials"])
    if not created:
        account.version += 1  # the credentials change: a refresher's read is stale
    account.save()
    record_event(
        account,
        AccountEvent.Kind.CONNECTED if created else AccountEvent.Kind.RECONNECTED,
        detail=f"Connected as {account.user_identity}",
        actor=user,
        via="Test authorization",
    )
    return account


def accounts_due_for_refresh(within, limit: int | None = None) -> list[int]:
    """Return the accounts whose tokens expire within ``within``, soonest first.

    Accounts that can be refreshed now: active, expiring soon, or in error
    and past their backoff.  Revoked and needs-reconnect ones wait for a
    person.
    """
    now = timezone.now()
    due = (
        ConnectedAccount.objects.filter(
            status__in=[
                ConnectedAccount.Status.ACTIVE,
                ConnectedAccount.Status.EXPIRING_SOON,
                ConnectedAccount.Status.ERROR,
            ],
            expires_at__lte=now + within,
        )
        .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))
        .order_by("expires_at", "pk")
        .values_list("pk", flat=True)
    )
    return list(due[:limit] if limit else due)


__all__ = ["account_store_flow_result", "accounts_due_for_refresh"]
