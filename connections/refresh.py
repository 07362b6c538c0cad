"""Refresh a connected account's tokens: the one function everything uses.

The admin, the management command, the Celery task and verify all call
``refresh_account``.  It is safe under concurrency, across threads,
processes and machines, on SQLite and PostgreSQL alike:

1. A lease is taken by compare-and-swap: one ``UPDATE … WHERE pk = … AND
   (no lease OR lease expired)``; whoever updated the row holds it.  Nobody
   else calls the provider for that account until it is released (always, at
   the end) or expires (``lease_seconds``, for a worker that died).
2. The account is read again under the lease: when another worker refreshed
   it since this call began (its ``version`` moved on, or its
   ``last_refreshed_at`` is newer than the call), the result is "fresh" and
   the provider is not called: a rotating refresh token is redeemed once.
3. The provider is called outside any transaction (no row lock is held
   while waiting on the network).
4. The outcome is written in one ``UPDATE … WHERE version = <the one read>``
   (compare-and-swap) together with its event, in one transaction: the
   credentials, version and status change together or not at all.  A
   database connection that died while the provider was being called (a
   restart, a failover, a proxy's idle timeout) is replaced and the write
   tried once more: safe, as it applies only where the version is still the
   one read.  When even that fails, the outcome says the new tokens could
   not be stored.

Failures, by what the provider or the network said:

* 400/401 (or an error in a 2xx body) with ``invalid_grant`` or
  ``invalid_client``: the account is re-read; if its version moved, another
  worker won with the rotated token ("fresh"); otherwise it needs a
  reconnect (status needs_reconnect, tokens kept, no retry scheduled).
* Everything else is an ``error``: the old tokens are kept, failed_attempts
  grows and ``retry_at`` is set by exponential backoff with jitter (capped),
  or by the provider's ``Retry-After`` when it sent one.  That covers the
  transient failures (5xx, 408, 429, timeouts, connection refused), and also
  a reply that breaks the contract (HTML, no access token, unreadable JSON)
  and other 4xx (invalid_request, unsupported_grant_type…): those are most
  often a template or provider hiccup a developer can fix, after which the
  retry succeeds; a reconnect by the end user would not help.  Note that
  after a 2xx the console could not read, a rotating provider may already
  have spent the old refresh token: the retry then gets invalid_grant and
  the account says it needs a reconnect.

No message, event or log line holds a secret: everything said is masked
with the tokens and the client secret in play.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
from urllib.parse import parse_qsl

from django.db import (
    DatabaseError,
)
from django.db.models import F
from django.utils import timezone

from authorizations import http
from authorizations.flows.calls import call_endpoint
from authorizations.flows.oauth2 import client_authentication
from authorizations.flows.steps import FlowError, StepLog
from authorizations.flows.tokens import BEARER_ONLY, token_checker, tokens_from
from authorizations.models import endpoints_by_kind
from authorizations.types import Flow
from connections.history import write_with_event
from connections.lease import account_lease, on_a_working_connection
from connections.models import AccountEvent, ConnectedAccount
from connections.outcomes import (
    ERROR,
    FRESH,
    NEEDS_RECONNECT,
    REFRESHED,
    SKIPPED,
    Outcome,
    gone,
    outcome,
)
from connections.provider_calls import account_query, account_step_log

logger = logging.getLogger(__name__)

# What counts as due without force: the token expires within this window.
DEFAULT_WINDOW = dt.timedelta(minutes=15)
# Backoff after transient failures: 30 s, 1 min, 2 min … at most an hour,
# each drawn between half and all of it (jitter), so a provider coming back
# is not met by every account at once.
BACKOFF_BASE_SECONDS = 30.0
BACKOFF_CAP_SECONDS = 3600.0
# A Retry-After beyond a day is believed up to a day.
RETRY_AFTER_CAP_SECONDS = 86400.0
# The provider's error codes that only a new authorization cures (RFC 6749 §5.2).
RECONNECT_CODES = ("invalid_grant", "invalid_client")


def refresh_account(
    account_id: int,
    *,
    via: str,
    actor=None,
    force: bool = False,
    lease_seconds: int = 60,
    within: dt.timedelta = DEFAULT_WINDOW,
    wait_seconds: float = 0.0,
    expected_version: int | None = None,
) -> Outcome:
    """Refresh one account's tokens at its provider, once, whoever else tries.

    ``via`` names what asked ("admin", "refresh_tokens", "celery", "verify")
    and ``actor`` the staff member, if any: both go to the event.  Without
    ``force`` an account is refreshed only when its token expires within
    ``within`` and no retry is pending; with it, whenever it has a refresh
    token (a revoked account never).  ``wait_seconds``: how long to wait for
    another worker's lease before saying "skipped" (a verify that needs the
    result waits, and usually gets "fresh").
    """
    started = timezone.now()
    seen = on_a_working_connection(
        lambda: (
            ConnectedAccount.objects.filter(pk=account_id)
            .values_list("version", flat=True)
            .first()
        )
    )
    if seen is None:
        return gone(account_id)
    if expected_version is not None:
        seen = expected_version
    with account_lease(
        account_id, wait_seconds=wait_seconds, minimum_seconds=lease_seconds
    ) as owner:
        if owner is None:
            if not ConnectedAccount.objects.filter(pk=account_id).exists():
                return gone(account_id)
            return outcome(
                account_id, SKIPPED, "Another refresh of this account is running."
            )
        return _refresh_leased(
            account_id,
            seen=seen,
            started=started,
            via=via,
            actor=actor,
            force=force,
            within=within,
        )


def _refresh_leased(account_id, *, seen, started, via, actor, force, within) -> Outcome:
    account = on_a_working_connection(
        lambda: (
            ConnectedAccount.objects.select_related("authorization")
            .filter(pk=account_id)
            .first()
        )
    )
    if account is None:
        return gone(account_id)
    if account.version != seen or (
        account.last_refreshed_at is not None and account.last_refreshed_at >= started
    ):
        return outcome(
            account_id, FRESH, "Another worker refreshed the account meanwhile."
        )
    reason = _nothing_to_do(account, force=force, within=within)
    if reason:
        return outcome(account_id, SKIPPED, reason)

    authorization = account.authorization
    credentials = dict(account.credentials or {})
    log = account_step_log(authorization, credentials)
    try:
        reply = call_endpoint(
            log,
            "Refresh",
            endpoints_by_kind(authorization)["access_token"],
            request_body={
                "grant_type": "refresh_token",
                "refresh_token": credentials["refresh_token"],
                "client_id": authorization.client_id,
                "client_secret": authorization.client_secret,
                "scope": account.granted_scopes or authorization.requested_scope(),
            },
            query=account_query(account, credentials),
            auth=client_authentication(authorization),
            check=token_checker(token_types=BEARER_ONLY),
        )
        tokens = tokens_from(reply)
    except FlowError as error:
        return _failed(account, log, error, via=via, actor=actor)
    except KeyError:
        return _failed(
            account,
            log,
            FlowError("The authorization has no access token endpoint to refresh at."),
            via=via,
            actor=actor,
        )
    log.secret(tokens.access_token, tokens.refresh_token)

    new_credentials = {**credentials, "access_token": tokens.access_token}
    rotated = bool(tokens.refresh_token) and (
        tokens.refresh_token != credentials.get("refresh_token")
    )
    if tokens.refresh_token:
        new_credentials["refresh_token"] = tokens.refresh_token
    now = timezone.now()
    changes = {
        "credentials": new_credentials,
        "extras": {**(account.extras or {}), **(tokens.extras or {})},
        "expires_at": tokens.expires_at,
        "status": ConnectedAccount.Status.ACTIVE,
        "last_refreshed_at": now,
        "last_error": "",
        "failed_attempts": 0,
        "retry_at": None,
    }
    if reply.values.get("scope") is not None:
        changes["granted_scopes"] = tokens.scope[:1000]
    detail = (
        "Refreshed: a new access token"
        + (" and a new refresh token" if rotated else " (the refresh token is kept)")
        + (
            f", valid until {tokens.expires_at:%Y-%m-%d %H:%M} UTC."
            if tokens.expires_at
            else "; the provider did not say when it expires."
        )
    )
    written = _write(
        account,
        changes,
        kind=AccountEvent.Kind.REFRESHED,
        ok=True,
        detail=detail,
        via=via,
        actor=actor,
        unwritten=(
            "The provider issued new tokens, but the console could not store "
            "them: the database could not be reached. The old tokens are kept; "
            "if the provider rotates refresh tokens, the old one is spent and "
            "the account may need a reconnect."
        ),
    )
    if written is not None:
        return written
    logger.info("account %s refreshed via %s", account_id, via)
    return outcome(account_id, REFRESHED, detail)


def _nothing_to_do(account, *, force: bool, within: dt.timedelta) -> str:
    """Why the account is not to be refreshed now, or "" when it is."""
    Status = ConnectedAccount.Status
    if account.status == Status.REVOKED:
        return "The account is revoked."
    if account.authorization.spec.flow != Flow.OAUTH2:
        return "Only OAuth 2.0 accounts are refreshed."
    if not (account.credentials or {}).get("refresh_token"):
        return "The account has no refresh token; connect it again when it expires."
    if force:
        return ""
    now = timezone.now()
    if account.status == Status.NEEDS_RECONNECT:
        return "The account needs a reconnect; only a forced refresh tries again."
    if account.retry_at is not None and account.retry_at > now:
        return f"The next try is due at {account.retry_at:%Y-%m-%d %H:%M:%S} UTC."
    if account.expires_at is None:
        return "The provider did not say when the token expires."
    if account.expires_at > now + within:
        until = f"{account.expires_at:%Y-%m-%d %H:%M}"
        return f"Not due: the token is valid until {until} UTC."
    return ""


def _failed(account, log: StepLog, error: FlowError, *, via, actor) -> Outcome:
    """Record a failed refresh: needs reconnect, or an error retried later."""
    step = log.steps[-1] if log.steps else None
    response = step.response if step is not None else None
    code = _error_code(response)
    status = response.get("status") if response else None
    message = log.mask(error.message)
    if code in RECONNECT_CODES and (status in (400, 401) or 200 <= (status or 0) < 300):
        # Another worker may have won the race with the same refresh token.
        try:
            current = on_a_working_connection(
                lambda: (
                    ConnectedAccount.objects.filter(pk=account.pk)
                    .values_list("version", flat=True)
                    .first()
                )
            )
        except DatabaseError as lost:
            return _unwritten(account, lost, FAILURE_UNWRITTEN)
        if current is None:
            return gone(account.pk)
        if current != account.version:
            return outcome(
                account.pk,
                FRESH,
                "Another worker refreshed the account meanwhile; the provider "
                "refused the old refresh token.",
            )
        detail = (
            f"The provider refused the refresh ({code}); the end user must "
            f"connect the account again. {message}"
        )
        written = _write(
            account,
            {
                "status": ConnectedAccount.Status.NEEDS_RECONNECT,
                "last_error": detail,
                "retry_at": None,
            },
            kind=AccountEvent.Kind.REFRESH_FAILED,
            ok=False,
            detail=detail,
            via=via,
            actor=actor,
            bump=False,  # the credentials are unchanged
        )
        if written is not None:
            return written
        logger.info("account %s needs a reconnect: %s", account.pk, code)
        return outcome(account.pk, NEEDS_RECONNECT, detail)

    attempts = account.failed_attempts + 1
    wait = _retry_after(response)
    if wait is None:
        wait = backoff_seconds(attempts)
    retry_at = timezone.now() + dt.timedelta(seconds=wait)
    kind = _transient_kind(error, status)
    detail = (
        f"{message} The old tokens are kept; {kind} the next try is at "
        f"{retry_at:%Y-%m-%d %H:%M:%S} UTC (attempt {attempts})."
    )
    written = _write(
        account,
        {
            "status": ConnectedAccount.Status.ERROR,
            "last_error": message,
            "failed_attempts": F("failed_attempts") + 1,
            "retry_at": retry_at,
        },
        kind=AccountEvent.Kind.REFRESH_FAILED,
        ok=False,
        detail=detail,
        via=via,
        actor=actor,
        bump=False,
    )
    if written is not None:
        return written
    logger.info("account %s: refresh failed, retry in %.0f s", account.pk, wait)
    return outcome(account.pk, ERROR, detail, retry_after=wait)


def _transient_kind(error: FlowError, status) -> str:
    """A few words on whether a retry is likely to help."""
    cause = error.__context__
    if isinstance(cause, http.OutboundError) and cause.kind in (
        "refused",
        "invalid_url",
        "invalid_header",
    ):
        return "the request itself was refused by the console's rules;"
    if status is None or status >= 500 or status in (408, 429):
        return "this looks temporary;"
    return "check the authorization's token endpoint;"


FAILURE_UNWRITTEN = (
    "The refresh failed, and the console could not record it: the database "
    "could not be reached. The old tokens are kept."
)


def _write(
    account,
    changes,
    *,
    kind,
    ok,
    detail,
    via,
    actor,
    bump=True,
    unwritten=FAILURE_UNWRITTEN,
):
    """Write ``changes`` and the event in one transaction, only where the
    account still has the version read (compare-and-swap).

    Returns None when written, else the outcome to report ("gone", "fresh"
    when someone else changed the account meanwhile, or an error saying
    ``unwritten`` when the database could not be reached twice).
    """
    if bump:
        changes = dict(changes, version=F("version") + 1)

    def compare_and_swap() -> bool:
        return write_with_event(
            account,
            changes,
            kind,
            version=account.version,
            ok=ok,
            detail=detail,
            actor=actor,
            via=via,
        )

    try:
        if on_a_working_connection(compare_and_swap):
            return None
        exists = on_a_working_connection(
            ConnectedAccount.objects.filter(pk=account.pk).exists
        )
    except DatabaseError as lost:
        return _unwritten(account, lost, unwritten)
    if not exists:
        return gone(account.pk)
    return outcome(
        account.pk,
        FRESH,
        "The account was changed meanwhile (refreshed or reconnected elsewhere); "
        "that change is kept.",
    )


def _unwritten(account, lost: DatabaseError, message: str) -> Outcome:
    """The outcome of a refresh whose result the database would not take."""
    # The error's class only: a database message may quote the values sent.
    logger.error(
        "account %s: the refresh's result could not be stored (%s)",
        account.pk,
        type(lost).__name__,
    )
    return outcome(account.pk, ERROR, message)


def backoff_seconds(attempts: int) -> float:
    """Seconds to wait after ``attempts`` transient failures in a row."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not a secret)


def _retry_after(response) -> float | None:
    """The provider's Retry-After in seconds, capped, if it sent one."""
    if not response:
        return None
    value = next(
        (v for k, v in response.get("headers") or () if k.lower() == "retry-after"),
        None,
    )
    seconds = http.retry_after_seconds(value)
    return None if seconds is None else min(seconds, RETRY_AFTER_CAP_SECONDS)


def _error_code(response) -> str:
    """The RFC 6749 §5.2 ``error`` of a token endpoint's reply, or ""."""
    if not response:
        return ""
    body = response.get("body") or ""
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        data = dict(parse_qsl(body)) if "=" in body else None
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return data["error"].strip()
    return ""


__all__ = ["backoff_seconds", "refresh_account"]
