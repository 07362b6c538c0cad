"""Verify a connected account: ask the provider who it is, with what is stored.

``verify_account`` calls the authorization's User Information Endpoint with
the account's stored credentials, as the flow that connected it did (OAuth
2.0: the tokens; OAuth 1.0a: signed with the token credentials; the
credential forms: the stored fields, as HTTP Basic where the type says so).

When the provider says the access token expired, by one of the
authorization's expired status codes (``expired_statuses``, 401 by default)
or by its ``expired_when`` predicate (for APIs that say it in a 200 body),
an OAuth 2.0 account with a refresh token is refreshed once, through
``connections.refresh.refresh_account``, and asked once more.  The refresh
is told the version read before asking (``expected_version``): a second
verifier of the same account, which saw the same expired token, then gets
"fresh" and reads the tokens the first one stored, rather than redeeming the
rotated refresh token again.

What verify writes are its own fields (the identity, extras, the time, the
last error, the status), with ``.update()`` and its event in one
transaction: never the credentials, so a refresh running meanwhile keeps
what it wrote.  Every message is masked with the stored secrets and the
client secret.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

import twig
from authorizations import types
from authorizations.flows.calls import call_endpoint, endpoint_label
from authorizations.flows.credentials import basic_auth
from authorizations.flows.oauth1 import signature
from authorizations.flows.oauth2 import client_parameters
from authorizations.flows.steps import FlowError, StepLog
from authorizations.models import endpoints_by_kind, parse_status_codes
from authorizations.rendering import template_context
from authorizations.types import Flow
from connections.history import record_event, write_with_event
from connections.lease import lease_seconds
from connections.models import AccountEvent, ConnectedAccount
from connections.outcomes import (
    ERROR,
    FRESH,
    GONE,
    NEEDS_RECONNECT,
    REFRESHED,
    SKIPPED,
    VERIFIED,
    Outcome,
    gone,
    outcome,
)
from connections.provider_calls import account_query, account_step_log
from connections.refresh import refresh_account
from connections.services import nul_path
from console.validators import validate_no_nul_character

logger = logging.getLogger(__name__)

IDENTITY_MAX_LENGTH = ConnectedAccount._meta.get_field("user_identity").max_length
# What an expired_when predicate prints to say "not expired".
FALSE_WORDS = ("", "0", "false")


class Expired(FlowError):
    """The provider said the stored access token expired."""


@dataclass
class _Answer:
    """What one call of the user info endpoint gave: its contract's values,
    or the provider saying the token expired, or a failure in words."""

    values: dict | None = None
    expired: str = ""  # why, in words (masked)
    error: str = ""  # masked


def verify_account(account_id: int, *, via: str, actor=None) -> Outcome:
    """Ask the provider who the account is; refresh once if its token expired.

    ``via`` names what asked ("admin", "job") and ``actor`` the staff member,
    if any: both go to the event.
    """
    account = _load(account_id)
    if account is None:
        return gone(account_id)
    if account.status == ConnectedAccount.Status.REVOKED:
        return outcome(
            account_id,
            SKIPPED,
            "The account is revoked: there is nothing to verify; reconnect it first.",
        )
    authorization = account.authorization
    endpoint = endpoints_by_kind(authorization).get("user_info")
    if endpoint is None or not endpoint.url.strip():
        kind = types.ENDPOINT_KINDS["user_info"].label
        return outcome(
            account_id,
            SKIPPED,
            f"The authorization has no {kind} to ask, so the account cannot be "
            "verified; add one to verify its accounts.",
        )

    answer = _ask(account, endpoint)
    refreshed_here = False
    if answer.expired:
        if not _refreshable(account):
            return _needs_reconnect(
                account,
                f"{answer.expired} The account cannot be refreshed; the end user "
                "must connect it again.",
                via=via,
                actor=actor,
            )
        refreshed = refresh_account(
            account_id,
            via="verify",
            actor=actor,
            force=True,
            # The lease another verifier's refresh may hold: its result,
            # usually "fresh", is worth the wait.
            wait_seconds=lease_seconds(),
            expected_version=account.version,
        )
        if refreshed.result == GONE:
            return refreshed
        if refreshed.result not in (REFRESHED, FRESH):
            return _refresh_failed(account, answer.expired, refreshed, via, actor)
        refreshed_here = refreshed.result == REFRESHED
        account = _load(account_id)
        if account is None:
            return gone(account_id)
        answer = _ask(account, endpoint)
        if answer.expired:
            return _needs_reconnect(
                account,
                f"{answer.expired} It still says so after a refresh; the end "
                "user must connect the account again.",
                via=via,
                actor=actor,
            )
    if answer.error:
        return _failed(account, answer.error, via=via, actor=actor)
    return _verified(
        account, answer.values, refreshed_here=refreshed_here, via=via, actor=actor
    )


def _load(account_id: int) -> ConnectedAccount | None:
    return (
        ConnectedAccount.objects.select_related("authorization__app")
        .filter(pk=account_id)
        .first()
    )


def _refreshable(account) -> bool:
    return account.authorization.spec.flow == Flow.OAUTH2 and bool(
        (account.credentials or {}).get("refresh_token")
    )


# --- asking the provider -----------------------------------------------------


def _ask(account, endpoint) -> _Answer:
    """Call the user info endpoint with the account's stored credentials."""
    authorization = account.authorization
    credentials = dict(account.credentials or {})
    log = account_step_log(authorization, credentials)
    query = account_query(account, credentials)
    request_body, auth = _request_of(authorization, credentials)
    screen = _expiry_screen(authorization, endpoint, query, log)
    try:
        reply = call_endpoint(
            log,
            "User information",
            endpoint,
            request_body=request_body,
            query=query,
            auth=auth,
            screen=screen,
        )
    except Expired as expired:
        return _Answer(expired=log.mask(expired.message))
    except FlowError as error:
        return _Answer(error=log.mask(error.message))
    return _Answer(values=reply.values)


def _request_of(authorization, credentials: dict):
    """The ``requestBody`` and the flow's part of the request, by flow family."""
    flow = authorization.spec.flow
    if flow == Flow.OAUTH2:
        return client_parameters(authorization), None
    if flow == Flow.OAUTH1:
        return {"client_id": authorization.client_id}, signature(
            authorization,
            resource_owner_key=credentials.get("oauth_token", ""),
            resource_owner_secret=credentials.get("oauth_token_secret", ""),
        )
    return dict(credentials), basic_auth(authorization.spec, credentials)


def _expiry_screen(authorization, endpoint, query: dict, log: StepLog):
    """The ``screen`` of the user info call: raise ``Expired`` when the
    provider said the token expired, by status or by the predicate."""
    try:
        codes = parse_status_codes(authorization.expired_statuses or "")
    except ValidationError:
        # Stored before the rule, or written around it: the default.
        codes = [401]
    predicate = (authorization.expired_when or "").strip()
    label = endpoint_label(endpoint)
    what = (
        "access token"
        if authorization.spec.flow in (Flow.OAUTH2, Flow.OAUTH1)
        else "stored credentials"
    )

    def screen(status: int, data) -> None:
        if status in codes:
            raise Expired(
                f"The {label} answered {status}, which this authorization "
                f"takes to mean that the {what} expired."
            )
        if predicate and _predicate_true(predicate, data, query, log):
            raise Expired(
                f"The {label} answered {status} and the authorization's "
                f'"expired when" predicate says that the {what} expired.'
            )

    return screen


def _predicate_true(source: str, data, query: dict, log: StepLog) -> bool:
    context = template_context(query=query, response=data, with_response=True)
    try:
        with twig.one_deadline():
            printed = twig.render(source, context)
    except twig.TemplateError as error:
        raise FlowError(
            f'The authorization\'s "expired when" predicate could not be '
            f"rendered: {log.mask(str(error))}",
            "Fix the predicate on the authorization's page.",
        ) from None
    return printed.strip().lower() not in FALSE_WORDS


# --- what is written ---------------------------------------------------------


def _verified(account, values: dict, *, refreshed_here: bool, via, actor) -> Outcome:
    identity = values["user_identity"]
    problem = _identity_problem(identity) or _extras_problem(values.get("extras"))
    if problem:
        return _failed(account, problem, via=via, actor=actor)
    provider_id = values.get("account_id") or ""
    Status = ConnectedAccount.Status
    with transaction.atomic():
        # Locked, so the extras merged and the status judged are the row's
        # as it is now, not as read before the call (a refresh may have run).
        row = (
            ConnectedAccount.objects.select_for_update()
            .filter(pk=account.pk)
            .values("status", "account_id", "user_identity", "extras")
            .first()
        )
        if row is None:
            return gone(account.pk)
        if row["status"] == Status.REVOKED:
            return outcome(
                account.pk,
                SKIPPED,
                "The account was revoked meanwhile; nothing was changed.",
            )
        if provider_id and row["account_id"] and provider_id != row["account_id"]:
            detail = (
                f'The provider answered for account ID "{provider_id}", but '
                f'this account is "{row["account_id"]}": the stored credentials '
                "name another account. Nothing was changed; connect the account "
                "again, or check the user info response template's account_id."
            )
            record_event(
                account,
                AccountEvent.Kind.VERIFY_FAILED,
                ok=False,
                detail=detail,
                actor=actor,
                via=via,
            )
            return outcome(account.pk, ERROR, detail)
        status = Status.ACTIVE
        if (
            row["status"] == Status.NEEDS_RECONNECT
            and account.authorization.spec.flow == Flow.OAUTH2
            and not refreshed_here
        ):
            # The access token still works, but its refresh was refused:
            # when it expires, only the end user can help.
            status = Status.NEEDS_RECONNECT
        now = timezone.now()
        ConnectedAccount.objects.filter(pk=account.pk).update(
            user_identity=identity,
            extras={**(row["extras"] or {}), **(values.get("extras") or {})},
            last_verified_at=now,
            last_error="",
            status=status,
            updated_at=now,
        )
        before = row["user_identity"]
        detail = (
            f'Verified: the provider names the account "{identity}"'
            + (f' (it was "{before}").' if before != identity else ", as before.")
            + (
                " The expired access token was refreshed first."
                if refreshed_here
                else ""
            )
            + (
                " The account still needs a reconnect: its refresh was refused."
                if status == Status.NEEDS_RECONNECT
                else ""
            )
        )
        record_event(
            account,
            AccountEvent.Kind.VERIFIED,
            ok=True,
            detail=detail,
            actor=actor,
            via=via,
        )
    logger.info("account %s verified via %s", account.pk, via)
    return outcome(account.pk, VERIFIED, detail)


def _identity_problem(identity: str) -> str:
    try:
        validate_no_nul_character(identity)
    except ValidationError:
        return (
            "The provider's user identity contains a NUL character (U+0000), "
            "which cannot be stored; nothing was changed."
        )
    if len(identity) > IDENTITY_MAX_LENGTH:
        return (
            f"The provider's user identity is {len(identity):,} characters long; "
            f"the console keeps at most {IDENTITY_MAX_LENGTH}. Check that the "
            "user info response template maps a name, not the whole response."
        )
    return ""


def _extras_problem(extras) -> str:
    found = nul_path(extras or {})
    if found:
        return (
            f"The provider's {found} contains a NUL character (U+0000), which "
            "cannot be stored; nothing was changed."
        )
    return ""


def _failed(account, message: str, *, via, actor) -> Outcome:
    """A failure a retry or a fix of the templates may cure: tokens and
    status kept, the words kept as the last error."""
    detail = f"Verification failed: {message} The stored credentials are kept."
    if not write_with_event(
        account,
        {"last_error": message},
        AccountEvent.Kind.VERIFY_FAILED,
        ok=False,
        detail=detail,
        actor=actor,
        via=via,
    ):
        return gone(account.pk)
    logger.info("account %s: verification failed", account.pk)
    return outcome(account.pk, ERROR, detail)


def _needs_reconnect(account, message: str, *, via, actor) -> Outcome:
    """The provider no longer accepts the stored credentials."""
    # Only where the credentials are still those that were refused: a
    # reconnect or refresh meanwhile stored others.
    if write_with_event(
        account,
        {"status": ConnectedAccount.Status.NEEDS_RECONNECT, "last_error": message},
        AccountEvent.Kind.VERIFY_FAILED,
        version=account.version,
        ok=False,
        detail=message,
        actor=actor,
        via=via,
    ):
        logger.info("account %s needs a reconnect (verify)", account.pk)
        return outcome(account.pk, NEEDS_RECONNECT, message)
    if not ConnectedAccount.objects.filter(pk=account.pk).exists():
        return gone(account.pk)
    return outcome(
        account.pk,
        SKIPPED,
        "The account's credentials were changed meanwhile (refreshed or "
        "reconnected); verify it again.",
    )


def _refresh_failed(account, expired: str, refreshed: Outcome, via, actor) -> Outcome:
    """The token expired and the refresh did not help: its outcome says why
    (and the refresh recorded its own event and status)."""
    if refreshed.result == NEEDS_RECONNECT:
        detail = (
            f"{expired} The provider refused the refresh; the end user must "
            "connect the account again."
        )
        result = NEEDS_RECONNECT
    else:
        detail = f"{expired} The refresh did not succeed for now: {refreshed.message}"
        result = ERROR
    with transaction.atomic():
        if not ConnectedAccount.objects.filter(pk=account.pk).exists():
            return gone(account.pk)
        record_event(
            account,
            AccountEvent.Kind.VERIFY_FAILED,
            ok=False,
            detail=detail,
            actor=actor,
            via=via,
        )
    return outcome(account.pk, result, detail, retry_after=refreshed.retry_after)


__all__ = ["verify_account"]
