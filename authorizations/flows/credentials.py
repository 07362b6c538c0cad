"""The credential-form family: the seven types whose end user types credentials.

Basic types send the typed user and password (or API key) as HTTP Basic
(the registry's ``basic_auth``); Basic first trades them at its access token
endpoint; then the user info endpoint names the user.  A type without a user
info endpoint (Basic with API-Key) is identified by its username.
"""

from __future__ import annotations

from authorizations import types
from authorizations.flows.calls import (
    FlowAuth,
    basic_credentials,
    call_endpoint,
)
from authorizations.flows.result import FlowResult
from authorizations.flows.steps import FlowError, StepLog
from authorizations.flows.tokens import token_checker, tokens_from
from authorizations.models import endpoints_by_kind


def basic_auth(spec, values: dict) -> FlowAuth | None:
    """The HTTP Basic credentials a Basic type sends, from the end user's
    values (typed now, or stored on the account); None for the other types."""
    if not spec.basic_auth:
        return None
    user, password = (values.get(name, "") for name in spec.basic_auth)
    return FlowAuth(
        label="HTTP Basic credentials",
        headers=[
            ("Authorization", basic_credentials(user, password, form_encoded=False))
        ],
    )


class CredentialsFlow:
    """Run a credential-form type with the values the end user typed."""

    redirects = False

    def run(self, authorization, log: StepLog, values: dict) -> FlowResult:
        spec = authorization.spec
        log.secrets_of(values, [f.name for f in spec.credential_fields if f.secret])
        endpoints = endpoints_by_kind(authorization)
        auth = basic_auth(spec, values)
        request_body = dict(values)
        query = dict(values)
        credentials = dict(values)
        expires_at = None
        extras: dict = {}
        token_endpoint = endpoints.get("access_token")
        if token_endpoint is not None and "access_token" in spec.endpoint_kinds:
            reply = call_endpoint(
                log,
                "Access token",
                token_endpoint,
                request_body=request_body,
                query=query,
                auth=auth,
                check=token_checker(),
            )
            tokens = tokens_from(reply)
            log.secret(tokens.access_token, tokens.refresh_token)
            query.update(tokens.as_query())
            credentials.update(tokens.credentials())
            expires_at, extras = tokens.expires_at, dict(tokens.extras)
        user_info = endpoints.get("user_info")
        if user_info is not None and user_info.url.strip():
            reply = call_endpoint(
                log,
                "User information",
                user_info,
                request_body=request_body,
                query=query,
                auth=auth,
            )
            return FlowResult.from_user_info(
                reply.values,
                credentials=credentials,
                extras=extras,
                expires_at=expires_at,
            )
        if "user_info" in spec.required_endpoints or not spec.basic_auth:
            kind = types.ENDPOINT_KINDS["user_info"]
            raise FlowError(f"This authorization needs a URL for its {kind.label}.")
        username = values.get(spec.basic_auth[0], "")
        step = log.start("Identity")
        step.notes.append(
            f"{spec.label} has no User Information Endpoint here: the account is "
            f'identified by the username, "{username}".'
        )
        step.finish()
        return FlowResult(
            user_identity=username,
            credentials=credentials,
            extras=extras,
            expires_at=expires_at,
        )


__all__ = ["CredentialsFlow", "basic_auth"]
