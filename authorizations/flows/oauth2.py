"""The OAuth 2.0 family: authorization code (with PKCE) and client credentials.

``start`` either sends the staff member to the provider (RFC 6749 §4.1.1)
or, for the client-credentials grant (§4.4), runs to the end at once;
``finish`` takes the provider's callback, trades the code at the token
endpoint (§4.1.3) and calls the user info endpoint with the new token.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from authorizations.callback import callback_url
from authorizations.flows.calls import (
    FlowAuth,
    basic_credentials,
    call_endpoint,
)
from authorizations.flows.result import FlowResult
from authorizations.flows.steps import FlowError, StepLog
from authorizations.flows.tokens import BEARER_ONLY, token_checker, tokens_from
from authorizations.models import ClientAuth, GrantType, endpoints_by_kind

# RFC 6749 §4.1.2.1: what each error the provider may send back means.
AUTHORIZE_ERRORS = {
    "access_denied": "The authorization was denied at the provider.",
    "invalid_request": "The provider refused the authorization request as "
    "malformed: a parameter is missing, repeated or invalid.",
    "unauthorized_client": "The provider does not allow this client to ask for "
    "an authorization code.",
    "unsupported_response_type": "The provider does not issue authorization "
    "codes to this client.",
    "invalid_scope": "The provider refused the requested scopes.",
    "server_error": "The provider failed while handling the authorization.",
    "temporarily_unavailable": "The provider is temporarily unavailable; try "
    "again later.",
}
AUTHORIZE_HINTS = {
    "invalid_request": "Check the extra authorize parameters and the redirect "
    "URI registered at the provider.",
    "unauthorized_client": "Check the app's settings at the provider.",
    "invalid_scope": "Check the authorization's scopes.",
}


def pkce_pair() -> tuple[str, str]:
    """Return a PKCE verifier and its S256 challenge (RFC 7636 §4.1, §4.2)."""
    verifier = secrets.token_urlsafe(64)  # 86 characters of the unreserved set
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return verifier, challenge


def with_query(url: str, params: list[tuple[str, str]]) -> str:
    """Add ``params`` to ``url``, keeping the query it already has."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + params
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))


def client_authentication(authorization) -> FlowAuth | None:
    """What the token request carries to authenticate the client (§2.3.1)."""
    method = authorization.client_auth
    if method == ClientAuth.CLIENT_SECRET_BASIC:
        return FlowAuth(
            label="client_secret_basic",
            headers=[
                (
                    "Authorization",
                    basic_credentials(
                        authorization.client_id,
                        authorization.client_secret,
                        form_encoded=True,
                    ),
                )
            ],
        )
    if method == ClientAuth.CLIENT_SECRET_POST:
        params = {"client_id": authorization.client_id}
        if authorization.client_secret:  # a public client has none
            params["client_secret"] = authorization.client_secret
        return FlowAuth(label="client_secret_post", body_params=params)
    return None


def client_parameters(authorization) -> dict:
    """What every OAuth 2.0 request's templates read of the client, as
    ``requestBody``: the flow's token and user info calls, and verify's."""
    return {
        "client_id": authorization.client_id,
        "client_secret": authorization.client_secret,
        "redirect_uri": callback_url(),
        "scope": authorization.requested_scope(),
    }


class Redirect:
    """Where to send the staff member, and the key the callback will bring."""

    def __init__(self, url: str, key: str, pending: dict):
        self.url, self.key, self.pending = url, key, pending


class OAuth2Flow:
    callback_keys = ("state",)  # the parameters a callback names its run by

    def start(self, authorization, log: StepLog, values=None):
        if authorization.grant_type == GrantType.CLIENT_CREDENTIALS:
            return self._client_credentials(authorization, log)
        state = secrets.token_urlsafe(32)
        pending: dict = {}
        params = [
            ("response_type", "code"),
            ("client_id", authorization.client_id),
            ("redirect_uri", callback_url()),
        ]
        scope = authorization.requested_scope()
        if scope:
            params.append(("scope", scope))
        params.append(("state", state))
        if authorization.use_pkce:
            verifier, challenge = pkce_pair()
            log.secret(verifier)
            pending["code_verifier"] = verifier
            params += [("code_challenge", challenge), ("code_challenge_method", "S256")]
        params += [(k, v) for k, v in (authorization.authorize_params or {}).items()]
        url = with_query(authorization.authorize_url, params)
        step = log.start("Redirect to the provider")
        step.request = {"method": "GET", "url": url, "headers": []}
        step.notes.append(
            "The browser is sent here to sign in and consent; the provider then "
            f"returns to {callback_url()}."
        )
        step.finish()
        return Redirect(url, state, pending)

    def _request_body(self, authorization, **more) -> dict:
        return {**client_parameters(authorization), **more}

    def _client_credentials(self, authorization, log: StepLog) -> FlowResult:
        body = self._request_body(authorization, grant_type="client_credentials")
        return self._tokens_then_identity(authorization, log, body)

    def finish(self, authorization, log: StepLog, params, pending) -> FlowResult:
        code = params.get("code")
        if not code:
            raise FlowError(
                "The provider came back without a code, and said no error either.",
                "Check the authorization URL: it should be the provider's "
                "authorize endpoint.",
            )
        log.secret(code)
        body = self._request_body(
            authorization, code=code, grant_type="authorization_code"
        )
        if pending.get("code_verifier"):
            body["code_verifier"] = pending["code_verifier"]
        return self._tokens_then_identity(authorization, log, body)

    def _tokens_then_identity(self, authorization, log, body) -> FlowResult:
        endpoints = endpoints_by_kind(authorization)
        requested = body.get("scope", "")
        reply = call_endpoint(
            log,
            "Access token",
            endpoints["access_token"],
            request_body=body,
            auth=client_authentication(authorization),
            check=token_checker(requested_scope=requested, token_types=BEARER_ONLY),
        )
        tokens = tokens_from(reply, requested_scope=requested)
        log.secret(tokens.access_token, tokens.refresh_token)
        query = tokens.as_query()
        reply = call_endpoint(
            log,
            "User information",
            endpoints["user_info"],
            request_body=body,
            query=query,
        )
        return FlowResult.from_user_info(
            reply.values,
            credentials=tokens.credentials(),
            extras=tokens.extras,
            expires_at=tokens.expires_at,
            granted_scopes=tokens.scope,
        )


def authorize_error(params) -> tuple[str, str] | None:
    """Word an error the provider sent back to the callback, with its hint."""
    code = params.get("error")
    if not code:
        return None
    message = AUTHORIZE_ERRORS.get(code, f'The provider sent back the error "{code}".')
    description = params.get("error_description")
    if description:
        message += f' It said: "{description[:500]}"'
    return message, AUTHORIZE_HINTS.get(code, "")


__all__ = [
    "AUTHORIZE_ERRORS",
    "OAuth2Flow",
    "Redirect",
    "authorize_error",
    "client_authentication",
    "client_parameters",
    "pkce_pair",
    "with_query",
]
