"""Revoke a connected account: ask the provider to forget its tokens, then
forget them here.

``revoke_account`` is the one revoke the admin's action, its background job
and tests call.  In order:

1. The account's refresh lease is taken (``connections.refresh``), waiting
   for a refresh that holds it, so no refresh calls the provider while the
   tokens are being revoked and none writes new tokens after it.
2. When the authorization has a Revoke Endpoint with a URL, it is called as
   RFC 7009 §2.1 says: ``requestBody.token`` is the refresh token when the
   account has one (revoking it revokes its whole grant), else the access
   token, with ``token_type_hint`` naming which; the client authenticates as
   at the token endpoint (OAuth 2.0), signs (OAuth 1.0a), or sends the
   stored HTTP Basic credentials (the registry's credential types).  A 2xx
   is done (§2.2: also for a token that was already invalid); its body means
   nothing, and an empty one is fine.
3. Whatever the provider answered, the stored credentials (tokens and typed
   secrets) are wiped and the account is marked revoked, in one
   compare-and-swap on its version (``version + 1``): a refresh that read the
   old version cannot write afterwards.  The platform must stop holding
   tokens it was told to let go of, even when the provider is down.

Results: ``revoked`` when the provider confirmed (or the authorization has no
Revoke Endpoint, which the message says: the tokens then stay valid at the
provider until they expire); ``error`` when the provider did not confirm
(5xx, a timeout, ``unsupported_token_type``, a web page…): the account is
revoked here all the same, and the message says that the provider did not
confirm and what it answered, so a person can revoke the access at the
provider by hand (the console no longer holds the tokens to ask again).
``skipped`` for an account already revoked, ``gone`` for a deleted one.

Nothing said holds a secret: messages and events are masked with every
stored credential and the authorization's secrets.
"""

from __future__ import annotations

import logging

from django.db.models import F

from authorizations.flows.calls import FlowAuth, call_endpoint
from authorizations.flows.credentials import basic_auth
from authorizations.flows.oauth1 import signature
from authorizations.flows.oauth2 import client_authentication
from authorizations.flows.steps import FlowError, StepLog
from authorizations.models import endpoints_by_kind
from authorizations.types import Flow
from authorizations.wording import excerpt
from connections.history import write_with_event
from connections.lease import account_lease, lease_seconds
from connections.models import AccountEvent, ConnectedAccount
from connections.outcomes import ERROR, REVOKED, SKIPPED, Outcome, gone, outcome
from connections.provider_calls import account_query, account_step_log

logger = logging.getLogger(__name__)

NO_REVOKE_ENDPOINT = (
    "This authorization has no Revoke Endpoint: the tokens were deleted here but "
    "stay valid at the provider until they expire."
)


def revoke_account(
    account_id: int, *, via: str, actor=None, wait_seconds: float | None = None
) -> Outcome:
    """Revoke one account at its provider and wipe its credentials here.

    ``via`` names what asked ("admin", a job) and ``actor`` the staff member,
    if any: both go to the event.  ``wait_seconds``: how long to wait for a
    refresh holding the account's lease (by default as long as one refresh
    can take); after that nothing is changed and the result is "error".
    """
    if wait_seconds is None:
        wait_seconds = lease_seconds(0)
    if not ConnectedAccount.objects.filter(pk=account_id).exists():
        return gone(account_id)
    # Written away with the account's other fields on success; released at
    # the end when nothing was written.
    with account_lease(account_id, wait_seconds=wait_seconds) as owner:
        if owner is None:
            if not ConnectedAccount.objects.filter(pk=account_id).exists():
                return gone(account_id)
            return outcome(
                account_id,
                ERROR,
                "A refresh of this account is still running, so it was not "
                "revoked and nothing was changed; try again in a minute.",
            )
        return _revoke_leased(account_id, via=via, actor=actor)


def _revoke_leased(account_id: int, *, via: str, actor) -> Outcome:
    account = (
        ConnectedAccount.objects.select_related("authorization")
        .filter(pk=account_id)
        .first()
    )
    if account is None:
        return gone(account_id)
    if account.status == ConnectedAccount.Status.REVOKED:
        return outcome(account_id, SKIPPED, "The account is already revoked.")

    authorization = account.authorization
    credentials = dict(account.credentials or {})
    log = account_step_log(authorization, credentials)
    endpoint = endpoints_by_kind(authorization).get("revoke")

    confirmed = True
    if endpoint is None or not endpoint.url.strip():
        detail = NO_REVOKE_ENDPOINT
    elif not credentials:
        detail = (
            "The account held no credentials, so there was nothing to revoke at "
            "the provider; it is marked revoked."
        )
    else:
        confirmed, said = _ask_provider(account, endpoint, credentials, log)
        if confirmed:
            detail = f"{said} The stored credentials were deleted."
        else:
            detail = (
                f"Revoked here, but the provider did not confirm it: {said} The "
                "stored credentials were deleted all the same, so the console "
                "cannot ask again; the tokens may stay valid at the provider until "
                f"they expire: revoke the access at {authorization.app} if it "
                "matters."
            )
    detail = log.mask(detail)
    written = _write_revoked(
        account,
        detail=detail,
        last_error="" if confirmed else detail,
        ok=confirmed,
        via=via,
        actor=actor,
    )
    if written is not None:
        return written
    logger.info(
        "account %s revoked via %s (%s)",
        account_id,
        via,
        "confirmed" if confirmed else "not confirmed by the provider",
    )
    return outcome(account_id, REVOKED if confirmed else ERROR, detail)


def _ask_provider(account, endpoint, credentials, log: StepLog) -> tuple[bool, str]:
    """Call the Revoke Endpoint; return whether it confirmed, and in words."""
    authorization = account.authorization
    flow = authorization.spec.flow
    if flow == Flow.OAUTH1:
        token, hint = credentials.get("oauth_token", ""), ""
    elif credentials.get("refresh_token"):
        token, hint = credentials["refresh_token"], "refresh_token"
    elif credentials.get("access_token"):
        token, hint = credentials["access_token"], "access_token"
    else:
        token, hint = "", ""
    try:
        call_endpoint(
            log,
            "Revoke",
            endpoint,
            request_body={
                "token": token,
                "token_type_hint": hint,
                "client_id": authorization.client_id,
                "client_secret": authorization.client_secret,
            },
            query=account_query(account, credentials),
            auth=_auth(authorization, credentials),
        )
    except FlowError as error:
        step = log.steps[-1] if log.steps else None
        response = step.response if step is not None else None
        status = (response or {}).get("status") or 0
        if 200 <= status < 300 and not (response.get("body") or "").strip():
            # RFC 7009 §2.2: the status says it all; an empty body is usual
            # (django-oauth-toolkit sends one labelled text/html).
            return True, _confirmed(status)
        message = error.message.rstrip(".") + "."
        return False, excerpt(message, limit=600)
    step = log.steps[-1]
    return True, _confirmed(step.response["status"])


def _confirmed(status: int) -> str:
    return f"The provider confirmed the revocation ({status})."


def _auth(authorization, credentials: dict) -> FlowAuth | None:
    """What authenticates the request, as at the type's other endpoints."""
    spec = authorization.spec
    if spec.flow == Flow.OAUTH2:
        return client_authentication(authorization)
    if spec.flow == Flow.OAUTH1:
        return signature(
            authorization,
            resource_owner_key=credentials.get("oauth_token") or None,
            resource_owner_secret=credentials.get("oauth_token_secret") or None,
        )
    return basic_auth(spec, credentials)


def _write_revoked(account, *, detail, last_error, ok, via, actor) -> Outcome | None:
    """Wipe and mark the account revoked with its event, in one transaction,
    only where it still has the version read (compare-and-swap).

    Returns None when written, else the outcome to report.
    """
    written = write_with_event(
        account,
        {
            "credentials": {},
            "status": ConnectedAccount.Status.REVOKED,
            "expires_at": None,
            "last_error": last_error,
            "refresh_lease_owner": "",
            "refresh_lease_until": None,
            "failed_attempts": 0,
            "retry_at": None,
            "version": F("version") + 1,
        },
        AccountEvent.Kind.REVOKED,
        version=account.version,
        ok=ok,
        detail=detail,
        actor=actor,
        via=via,
    )
    if written:
        return None
    if not ConnectedAccount.objects.filter(pk=account.pk).exists():
        return gone(account.pk)
    # Only a reconnect writes without the lease: its new tokens are kept.
    return outcome(
        account.pk,
        ERROR,
        "The account was reconnected while it was being revoked; its new "
        "credentials are kept and it was not revoked. Revoke it again if that is "
        "still wanted.",
    )


__all__ = ["NO_REVOKE_ENDPOINT", "revoke_account"]
