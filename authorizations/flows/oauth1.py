"""The OAuth 1.0a family (RFC 5849), signed by requests-oauthlib.

``start`` gets a request token with ``oauth_callback`` (§2.1) and sends the
staff member to authorize it; ``finish`` checks the callback's token and
verifier, trades them for the access token (§2.3) and calls the user info
endpoint signed with it.
"""

from __future__ import annotations

from requests_oauthlib import OAuth1

from authorizations.callback import callback_url
from authorizations.flows.calls import FlowAuth, call_endpoint
from authorizations.flows.oauth2 import Redirect, with_query
from authorizations.flows.result import FlowResult
from authorizations.flows.steps import FlowError, StepLog
from authorizations.flows.tokens import token_checker, tokens_from
from authorizations.models import SignatureMethod, endpoints_by_kind


def signature(authorization, **tokens) -> FlowAuth:
    """Return the signer of a request, as the flow's part of it."""
    method = authorization.signature_method
    rsa = method == SignatureMethod.RSA_SHA1
    signer = OAuth1(
        authorization.client_id,
        client_secret=None if rsa else authorization.client_secret,
        rsa_key=authorization.client_secret if rsa else None,
        signature_method=method,
        signature_type="AUTH_HEADER",
        **tokens,
    )
    return FlowAuth(
        label="OAuth 1.0a signature",
        signer=signer,
        # The header is a credential, shown masked; the note says how it
        # was made.
        signed_as="OAuth oauth_consumer_key=…, oauth_signature=…",
        note=f"Signed with OAuth 1.0a {method}; the signature travels in the "
        "Authorization header.",
        requires_https=method == SignatureMethod.PLAINTEXT,
    )


def _callback_confirmed(step, reply) -> None:
    if not isinstance(reply.data, dict) or (
        reply.data.get("oauth_callback_confirmed") != "true"
    ):
        raise FlowError(
            "The provider did not confirm the callback: oauth_callback_confirmed "
            "is not true, so the console stops here (RFC 5849 §2.1).",
            "The provider may implement OAuth 1.0 rather than 1.0a, which the "
            "console does not run.",
        )


class OAuth1Flow:
    # The callback names its run by the request token (RFC 5849 §2.2), or,
    # refused, by ``denied``.
    callback_keys = ("oauth_token", "denied")

    def start(self, authorization, log: StepLog, values=None) -> Redirect:
        endpoints = endpoints_by_kind(authorization)
        endpoint = endpoints.get("request_token")
        if endpoint is None or not endpoint.url.strip():
            raise FlowError(
                "This OAuth1.0 authorization needs a Request Token Endpoint to "
                "start: add one with the provider's request token URL."
            )
        reply = call_endpoint(
            log,
            "Request token",
            endpoint,
            request_body={
                "client_id": authorization.client_id,
                "redirect_uri": callback_url(),
            },
            auth=signature(authorization, callback_uri=callback_url()),
            check=_callback_confirmed,
        )
        token = reply.values["access_token"]
        secret = reply.values.get("access_token_secret", "")
        log.secret(secret)
        url = with_query(authorization.authorize_url, [("oauth_token", token)])
        step = log.start("Redirect to the provider")
        step.request = {"method": "GET", "url": url, "headers": []}
        step.notes.append("The browser is sent here to authorize the request token.")
        step.finish()
        return Redirect(
            url, token, {"request_token": token, "request_token_secret": secret}
        )

    def finish(self, authorization, log: StepLog, params, pending) -> FlowResult:
        if params.get("denied") and not params.get("oauth_token"):
            raise FlowError("The authorization was denied at the provider.")
        verifier = params.get("oauth_verifier")
        if not verifier:
            raise FlowError(
                "The provider came back without an oauth_verifier, so the request "
                "token cannot be traded for an access token."
            )
        log.secret(verifier, pending.get("request_token_secret"))
        endpoints = endpoints_by_kind(authorization)
        token = pending["request_token"]
        reply = call_endpoint(
            log,
            "Access token",
            endpoints["access_token"],
            request_body={
                "client_id": authorization.client_id,
                "oauth_token": token,
                "oauth_verifier": verifier,
            },
            auth=signature(
                authorization,
                resource_owner_key=token,
                resource_owner_secret=pending.get("request_token_secret", ""),
                verifier=verifier,
            ),
            check=token_checker(),
        )
        tokens = tokens_from(reply)
        # Both halves of the token credentials are the account's secret.
        log.secret(tokens.access_token, tokens.token_secret)
        credentials = {
            "oauth_token": tokens.access_token,
            "oauth_token_secret": tokens.token_secret,
        }
        reply = call_endpoint(
            log,
            "User information",
            endpoints["user_info"],
            request_body={"client_id": authorization.client_id},
            query={**credentials, "extras": tokens.extras},
            auth=signature(
                authorization,
                resource_owner_key=tokens.access_token,
                resource_owner_secret=tokens.token_secret,
            ),
        )
        return FlowResult.from_user_info(
            reply.values,
            credentials=credentials,
            extras=tokens.extras,
            expires_at=tokens.expires_at,
        )


__all__ = ["OAuth1Flow", "signature"]
