"""Test runs: a flow started from the admin, its callback, and how it ended.

A run that sends the staff member to a provider waits for the callback with
digests of its one-time key (OAuth 2.0 ``state``, OAuth 1.0a request token)
and of a nonce kept in the staff member's session; the callback must bring
the key back, from the same session, within ``WAIT_LIMIT``, once.

A successful run sends ``flow_succeeded``; the ``connections`` app stores the
account (and returns it), inside the same transaction as the run, so a run
that fails to store changes nothing.  A reconnect is a run too: it names the
account to update (``reconnect_account_pk``), which the receiver updates in
place or refuses.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import traceback
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from authorizations import http, types
from authorizations.flows.credentials import CredentialsFlow
from authorizations.flows.oauth1 import OAuth1Flow
from authorizations.flows.oauth2 import OAuth2Flow, Redirect, authorize_error
from authorizations.flows.result import FlowResult
from authorizations.flows.steps import FlowError, StepLog
from authorizations.models import TestRun

logger = logging.getLogger(__name__)

# Sent with ``authorization``, ``result`` (a FlowResult), ``user`` and ``run``;
# a receiver that stores the account returns it.
flow_succeeded = Signal()

FLOWS = {
    types.Flow.OAUTH2: OAuth2Flow(),
    types.Flow.OAUTH1: OAuth1Flow(),
    types.Flow.CREDENTIALS: CredentialsFlow(),
}
WAIT_LIMIT = timezone.timedelta(minutes=10)
# The runs each authorization keeps; older ones are deleted as new ones end.
KEEP_RUNS = 50
SESSION_NONCE = "authorizations.flow_nonce"
# A callback names one run: every parameter it reads must come once.
CALLBACK_PARAMETERS = (
    "state",
    "code",
    "error",
    "error_description",
    "error_uri",
    "iss",
    "oauth_token",
    "oauth_verifier",
    "denied",
)


ALREADY_USED = (
    "This sign-in was already used: each one finishes one test run. "
    "Start a new test. Nothing was stored."
)


class CallbackRefused(Exception):
    """A callback that names no run this session may finish; nothing changed."""

    def __init__(self, message: str, run: TestRun | None = None):
        super().__init__(message)
        self.message = message
        self.run = run


@dataclass
class Started:
    run: TestRun
    redirect: str | None = None


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def session_digest(session) -> str:
    """Return the digest of this session's flow nonce, made on first use."""
    nonce = session.get(SESSION_NONCE)
    if not nonce:
        nonce = session[SESSION_NONCE] = secrets.token_urlsafe(32)
    return digest(nonce)


def flow_for(authorization):
    return FLOWS[authorization.spec.flow]


def authorization_secrets(authorization) -> list[str]:
    """Return the authorization's secret settings: what every step log masks."""
    return [
        getattr(authorization, name, "") or ""
        for name in types.registry().secret_settings
    ]


def start_run(
    authorization, *, user, session, values=None, reconnect_account=None
) -> Started:
    """Start a test of ``authorization``; return the run and any redirect.

    With ``reconnect_account`` (a connected account of this authorization)
    the run reconnects it: on success that account is updated in place, and
    only when the provider signed in as the same user.
    """
    if reconnect_account is not None and (
        reconnect_account.authorization_id != authorization.pk
    ):
        raise ValueError("The account to reconnect belongs to another authorization.")
    log = StepLog(authorization_secrets(authorization))
    run = TestRun.objects.create(
        authorization=authorization,
        started_by=user,
        reconnect_account_pk=getattr(reconnect_account, "pk", None),
    )
    missing = authorization.missing_parts()
    if missing:
        return Started(
            _fail(
                run,
                log,
                FlowError(
                    "This authorization is not complete: it needs "
                    + ", ".join(missing)
                    + ".",
                    "Fill these in on the authorization's page, then test again.",
                ),
            )
        )
    flow = flow_for(authorization)
    try:
        # A flow's calls usually go to one host: one connection serves them.
        with http.keep_alive():
            if isinstance(flow, CredentialsFlow):
                outcome = flow.run(authorization, log, values or {})
            else:
                outcome = flow.start(authorization, log)
    except FlowError as error:
        return Started(_fail(run, log, error))
    except Exception as error:  # a bug must still end the run, in words
        return Started(_fail(run, log, _internal_error(run, error)))
    if isinstance(outcome, Redirect):
        run.status = TestRun.Status.WAITING
        run.state_digest = digest(outcome.key)
        run.session_digest = session_digest(session)
        run.pending = outcome.pending
        run.expires_at = timezone.now() + WAIT_LIMIT
        run.steps = log.entries()
        run.message = "Waiting for the provider to send the browser back."
        run.save()
        return Started(run, redirect=outcome.url)
    return Started(_succeed(run, log, outcome, user))


def finish_callback(params, *, user, session) -> TestRun:
    """Finish the run a provider's callback names; raise ``CallbackRefused``.

    ``params`` is the callback's query (a QueryDict).
    """
    for name in CALLBACK_PARAMETERS:
        if len(params.getlist(name)) > 1:
            raise CallbackRefused(
                f"The callback carries {name} more than once, so it cannot say "
                "which sign-in it finishes. Nothing was stored."
            )
    # OAuth 1.0a names no error: a provider that was refused sends the request
    # token back as ``denied`` (Twitter's convention, which others followed).
    key = params.get("state") or params.get("oauth_token") or params.get("denied")
    if not key:
        raise CallbackRefused(
            "The callback carries no state, so it cannot be matched to a test "
            "run started here. Nothing was stored."
        )
    run = (
        TestRun.objects.select_related("authorization__app")
        .filter(state_digest=digest(key))
        .first()
    )
    if run is None or _run_key(run, params) != key:
        # The key must come under the name the run's flow gives it: an OAuth
        # 1.0a run's request token as state, with another oauth_token, names
        # no run.
        raise CallbackRefused(
            "The callback's state matches no test run: it was not started here, "
            "or it was tampered with. Nothing was stored."
        )
    if not secrets.compare_digest(run.session_digest, session_digest(session)):
        raise CallbackRefused(
            "This sign-in was started in another browser session; finish it "
            "there, or start a new test here. Nothing was stored."
        )
    if run.status != TestRun.Status.WAITING:
        raise CallbackRefused(ALREADY_USED, run)
    log = StepLog(authorization_secrets(run.authorization))
    log.secret(params.get("code"), params.get("oauth_verifier"))
    if run.expires_at and timezone.now() > run.expires_at:
        if _claim(run):
            _fail(
                run,
                log,
                FlowError(
                    "The provider sent the browser back after more than "
                    f"{int(WAIT_LIMIT.total_seconds() // 60)} minutes; the "
                    "sign-in had expired.",
                    "Start a new test and finish it within ten minutes.",
                ),
            )
        raise CallbackRefused(
            "This sign-in expired: it must be finished within "
            f"{int(WAIT_LIMIT.total_seconds() // 60)} minutes. Nothing was stored.",
            run,
        )
    if not _claim(run):
        raise CallbackRefused(ALREADY_USED, run)
    authorization = run.authorization
    step = log.start("Back from the provider")
    step.notes.append(
        "Parameters: "
        + ", ".join(sorted(name for name in params if name in CALLBACK_PARAMETERS))
    )
    step.finish()
    try:
        error = authorize_error(params)
        if error:
            raise FlowError(*error)
        _check_issuer(authorization, params)
        flow = flow_for(authorization)
        with http.keep_alive():
            result = flow.finish(authorization, log, params, run.pending)
    except FlowError as error:
        if log.failed is None:  # refused at the callback itself
            step.error, step.hint = error.message, error.hint
        return _fail(run, log, error)
    except Exception as error:  # a bug must still end the run, in words
        return _fail(run, log, _internal_error(run, error))
    return _succeed(run, log, result, user)


def _run_key(run: TestRun, params) -> str | None:
    """The key the callback brings under the name the run's flow uses."""
    for name in getattr(flow_for(run.authorization), "callback_keys", ()):
        if params.get(name):
            return params[name]
    return None


def _check_issuer(authorization, params) -> None:
    """RFC 9207: the callback's ``iss`` must name the expected issuer."""
    expected = (authorization.issuer or "").strip()
    iss = params.get("iss")
    if expected and iss is None:
        raise FlowError(
            f'The provider sent no iss, but this authorization expects "{expected}" '
            "(RFC 9207); the response may come from another server.",
            "Clear the Issuer setting if the provider does not send iss.",
        )
    if iss is not None and expected and iss != expected:
        raise FlowError(
            f'The callback says it comes from "{iss[:200]}", not from the expected '
            f'issuer "{expected}" (RFC 9207): it was refused as a possible mix-up '
            "attack.",
            "If the provider's issuer changed, update the Issuer setting.",
        )


def _claim(run: TestRun) -> bool:
    """Take a waiting run for this callback alone (compare-and-swap)."""
    return bool(
        TestRun.objects.filter(pk=run.pk, status=TestRun.Status.WAITING).update(
            status=TestRun.Status.RUNNING
        )
    )


def _end(run: TestRun, log: StepLog, status: str, message: str) -> TestRun:
    run.status = status
    run.steps = [*run.steps, *log.entries()]
    run.message = log.mask(message)
    run.pending = {}
    run.finished_at = timezone.now()
    run.save()
    _keep_recent_runs(run.authorization_id)
    return run


def _keep_recent_runs(authorization_id: int) -> None:
    """Delete an authorization's runs beyond the newest ``KEEP_RUNS``.

    Runs are a debugging record, not history: a developer testing all day
    must not grow the table without bound.
    """
    older = (
        TestRun.objects.filter(authorization_id=authorization_id)
        .order_by("-started_at", "-id")
        .values_list("pk", flat=True)[KEEP_RUNS:]
    )
    stale = list(older)
    if stale:
        TestRun.objects.filter(pk__in=stale).delete()


def _internal_error(run: TestRun, error: Exception) -> FlowError:
    """Log an unexpected failure without its message, and word it for the run.

    An exception's text may quote a URL or a body holding a secret, so the
    log gets its type and where it was raised, which is what a fix needs.
    """
    frame = traceback.extract_tb(error.__traceback__)[-1:]
    where = f" at {frame[0].filename}:{frame[0].lineno}" if frame else ""
    logger.error(
        "Test run %s stopped on an internal error: %s%s",
        run.pk,
        type(error).__name__,
        where,
    )
    return FlowError(
        "The console failed while running this step (an internal error, "
        "logged with the run's number); nothing was stored.",
        "Try again; if it happens again, report the run's number to the "
        "console's operators.",
    )


def _fail(run: TestRun, log: StepLog, error: FlowError) -> TestRun:
    failed = log.failed
    if failed is None:  # the error belongs to no request: it is a step of its own
        step = log.start("Outcome")
        step.error, step.hint = error.message, error.hint
        step.finish()
    logger.info("Test run %s of authorization %s failed", run.pk, run.authorization_id)
    return _end(run, log, TestRun.Status.FAILED, error.message)


def _succeed(run: TestRun, log: StepLog, result: FlowResult, user) -> TestRun:
    try:
        with transaction.atomic():
            responses = flow_succeeded.send(
                sender=TestRun,
                authorization=run.authorization,
                result=result,
                user=user,
                run=run,
            )
            account = next((r for _, r in responses if r is not None), None)
            run.connected_account_pk = getattr(account, "pk", None)
            run.user_identity = result.user_identity
            run.granted_scopes = result.granted_scopes
            done = "Reconnected" if run.reconnect_account_pk else "Connected"
            return _end(
                run,
                log,
                TestRun.Status.SUCCEEDED,
                f"{done} as {result.user_identity}",
            )
    except Exception as error:
        run.refresh_from_db()
        if not isinstance(error, ValidationError):
            return _fail(run, log, _internal_error(run, error))
        if run.reconnect_account_pk:
            return _fail(
                run,
                log,
                FlowError(
                    # The refusal says what to do itself.
                    "The account could not be reconnected: " + " ".join(error.messages)
                ),
            )
        return _fail(
            run,
            log,
            FlowError(
                "The account could not be stored: " + " ".join(error.messages),
                "Check the user info response template's output.",
            ),
        )


__all__ = [
    "CallbackRefused",
    "authorization_secrets",
    "FLOWS",
    "Started",
    "WAIT_LIMIT",
    "finish_callback",
    "flow_for",
    "flow_succeeded",
    "session_digest",
    "start_run",
]
