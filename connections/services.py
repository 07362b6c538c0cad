"""Business actions on connected accounts."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from connections.history import record_event
from connections.models import AccountEvent, ConnectedAccount
from console.validators import validate_no_nul_character


def nul_path(value, path: str = "extras") -> str | None:
    """Return where ``value`` holds a NUL, which PostgreSQL's jsonb cannot store."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = nul_path(key, path) or nul_path(item, f"{path}.{key}")
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = nul_path(item, f"{path}[{index}]")
            if found:
                return found
    return None


@transaction.atomic
def account_store_flow_result(
    *, authorization, result, user, run=None
) -> ConnectedAccount:
    """Create or update the account a successful flow connected.

    The same account is updated when the authorization and the provider's
    ``account_id`` match, or, without one, the ``user_identity``.  A reconnect
    ``run`` names its account, which is updated in place instead
    (``account_reconnect``).  Raises ``ValidationError`` (nothing stored)
    when the provider's values cannot be kept.
    """
    # Checked before the lookup: PostgreSQL refuses a NUL even in a query.
    for name in ("user_identity", "account_id"):
        validate_no_nul_character(getattr(result, name))
    if run is not None and run.reconnect_account_pk:
        return account_reconnect(
            account_pk=run.reconnect_account_pk,
            authorization=authorization,
            result=result,
            user=user,
        )
    found = ConnectedAccount.objects.select_for_update().filter(
        authorization=authorization
    )
    if result.account_id:
        found = found.filter(account_id=result.account_id)
    else:
        found = found.filter(account_id="", user_identity=result.user_identity)
    account = found.order_by("pk").first()
    if account is None:
        account = ConnectedAccount(authorization=authorization)
        _take_result(account, result, user)
        account.save()
        kind = AccountEvent.Kind.CONNECTED
    else:
        _write_in_place(account, result, user)
        kind = AccountEvent.Kind.RECONNECTED
    record_event(
        account,
        kind,
        detail=f"Connected as {account.user_identity}",
        actor=user,
        via="Test authorization",
    )
    return account


@transaction.atomic
def account_reconnect(*, account_pk, authorization, result, user) -> ConnectedAccount:
    """Update the account ``account_pk`` in place with a new sign-in's result.

    Same row, same history: new credentials, active again, its errors, lease
    and backoff cleared, ``version + 1`` so a refresh that read the old
    tokens cannot write over the new ones.  Refused with a ``ValidationError``
    (nothing stored) when the provider signed in as someone else: another
    ``account_id`` when both have one, else another ``user_identity``.
    """
    account = (
        ConnectedAccount.objects.select_for_update()
        .filter(pk=account_pk, authorization=authorization)
        .first()
    )
    if account is None:
        raise ValidationError(
            "The account to reconnect was deleted meanwhile. Nothing was stored."
        )
    if account.account_id and result.account_id:
        same = account.account_id == result.account_id
    else:
        same = account.user_identity == result.user_identity
    if not same:
        theirs, ours = result.user_identity, account.user_identity
        if theirs == ours:  # the same name, another account at the provider
            theirs += f" (account ID {result.account_id})"
            ours += f" (account ID {account.account_id})"
        raise ValidationError(
            f"The provider signed in as {theirs}, but this account is {ours}: "
            f"sign in as {account.user_identity} to reconnect it. Nothing was "
            "stored."
        )
    _write_in_place(account, result, user)
    record_event(
        account,
        AccountEvent.Kind.RECONNECTED,
        detail=f"Reconnected as {account.user_identity}",
        actor=user,
        via="Reconnect",
    )
    return account


# What a sign-in writes over an account it connects again.
CONNECTION_FIELDS = (
    "user_identity",
    "account_id",
    "credentials",
    "extras",
    "expires_at",
    "granted_scopes",
    "status",
    "connected_by",
    "last_verified_at",
    "last_error",
    "refresh_lease_owner",
    "refresh_lease_until",
    "failed_attempts",
    "retry_at",
)


def _take_result(account, result, user) -> None:
    """Set a sign-in's result on ``account``: new credentials, active, its
    errors, lease and backoff cleared.  Raises ``ValidationError`` when the
    provider's values cannot be kept."""
    nul = nul_path(result.extras)
    if nul:
        raise ValidationError(
            f"The provider's {nul} contains a NUL character (U+0000), which "
            "cannot be stored."
        )
    account.user_identity = result.user_identity
    account.account_id = result.account_id or account.account_id
    account.credentials = result.credentials
    account.extras = result.extras
    account.expires_at = result.expires_at
    account.granted_scopes = result.granted_scopes
    account.status = ConnectedAccount.Status.ACTIVE
    account.connected_by = user if getattr(user, "pk", None) else None
    account.last_verified_at = timezone.now()
    account.last_error = ""
    account.refresh_lease_owner, account.refresh_lease_until = "", None
    account.failed_attempts, account.retry_at = 0, None
    account.full_clean(exclude=["authorization", "connected_by", "credentials"])


def _write_in_place(account, result, user) -> None:
    """Write a sign-in's result over an existing account, ``version + 1``.

    A compare-and-swap on the version read, as refresh and revoke write: on
    SQLite the caller's row lock is no lock, and one of them may have
    written since the read.
    """
    seen = account.version
    _take_result(account, result, user)
    account.version = seen + 1
    updated = ConnectedAccount.objects.filter(pk=account.pk, version=seen).update(
        **{name: getattr(account, name) for name in CONNECTION_FIELDS},
        version=seen + 1,
        updated_at=timezone.now(),
    )
    if not updated:
        raise ValidationError(
            "The account was changed while it was being connected again "
            "(refreshed or revoked meanwhile). Nothing was stored; try again."
        )


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


__all__ = [
    "account_reconnect",
    "nul_path",
    "account_store_flow_result",
    "accounts_due_for_refresh",
]
