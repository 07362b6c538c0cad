"""The console's side of a peer: authorizations configured against it.

Each builder makes an Authorization whose endpoints point at a peer of
tests/peers/fixtures.py, filled in as an integration developer would fill it
in. The flow tests, the browser test and the flow bench (bench/flow.py) build
theirs here; keyword options set what they vary. The endpoint builders serve
the flow tests' local servers (pytest-httpserver) too.
"""

from __future__ import annotations

from authorizations.defaults import (
    OAUTH1_TOKEN_RESPONSE,
    OAUTH2_TOKEN_RESPONSE,
    TOKEN_ENDPOINT_DEFAULTS,
)
from authorizations.models import Authorization, SignatureMethod
from authorizations.types import Flow
from tests.factories import (
    AppFactory,
    AuthorizationFactory,
    EndpointFactory,
    OAuth2AuthorizationFactory,
)

# The token request as an integration developer writes it for the OAuth 2.0
# peer: the form body from requestBody, the verifier only where PKCE is on, the
# client's credentials left to the Client authentication setting.
TOKEN_REQUEST = """\
{% if requestBody.grant_type == 'client_credentials' %}
{
  "grant_type": "client_credentials",
  "scope": "{{ requestBody.scope }}"
}
{% else %}
{
  "grant_type": "authorization_code",
  "code": "{{ requestBody.code }}",
  "redirect_uri": "{{ requestBody.redirect_uri }}"{% if requestBody.code_verifier %},
  "code_verifier": "{{ requestBody.code_verifier }}"{% endif %}
}
{% endif %}
"""
USER_INFO_RESPONSE = (
    '{"user_identity": "{{ response.name }} / {{ response.email }}", '
    '"account_id": "{{ response.id }}"}'
)

# The code grant's endpoints at their plainest (the browser test's and the
# flow bench's): the body from the flow's requestBody, the client
# authenticated by the flow (client_auth), the tokens and the name mapped.
PLAIN_TOKEN_REQUEST = """{
  "grant_type": "{{ requestBody.grant_type }}",
  "code": "{{ requestBody.code }}",
  "redirect_uri": "{{ requestBody.redirect_uri }}"
}"""
PLAIN_TOKEN_RESPONSE = """{
  "access_token": "{{ response.access_token }}",
  "refresh_token": "{{ response.refresh_token }}",
  "expires_in": "{{ response.expires_in }}",
  "scope": "{{ response.scope }}"
}"""
PLAIN_USER_INFO_RESPONSE = (
    '{"user_identity": "{{ response.name }} / {{ response.email }}"}'
)
PLAIN_TEMPLATES = {
    "token_request": PLAIN_TOKEN_REQUEST,
    "token_response": PLAIN_TOKEN_RESPONSE,
    "user_info_response": PLAIN_USER_INFO_RESPONSE,
}


def user_info_endpoint(authorization, url, response_template, headers=()):
    """The GET user info endpoint at ``url``, its headers in order."""
    endpoint = EndpointFactory(
        authorization=authorization,
        kind="user_info",
        method="GET",
        url=url,
        body_format="none",
        request_template="",
        response_template=response_template,
    )
    for position, (name, value) in enumerate(headers):
        endpoint.headers.create(name=name, value=value, position=position)
    return endpoint


def token_endpoint(
    authorization,
    url,
    request_template,
    response_template=OAUTH2_TOKEN_RESPONSE,
    *,
    body_format,
    kind="access_token",
):
    """A POST token endpoint at ``url`` (the access token's, or ``kind``)."""
    return EndpointFactory(
        authorization=authorization,
        kind=kind,
        method="POST",
        url=url,
        body_format=body_format,
        request_template=request_template,
        response_template=response_template,
    )


def oauth2_authorization(
    peer,
    *,
    application=None,
    name="OAuth 2.0",
    client_auth="client_secret_basic",
    scopes="read profile",
    token_request=TOKEN_REQUEST,
    token_response=OAUTH2_TOKEN_RESPONSE,
    user_info_response=USER_INFO_RESPONSE,
    **fields,
) -> Authorization:
    """A Basecamp-like OAuth 2.0 authorization of the OAuth 2.0 peer.

    ``application`` is the peer's registered client to use (``peer.app`` by
    default); ``fields`` set the authorization's other settings (use_pkce,
    scope_separator, authorize_params, issuer, grant_type, authorize_url);
    ``**PLAIN_TEMPLATES`` gives it the plainest endpoints.
    """
    application = application or peer.app
    fields.setdefault("authorize_url", peer.authorize_url)
    authorization = OAuth2AuthorizationFactory(
        app=AppFactory(name="Basecamp", slug="basecamp"),
        name=name,
        client_id=application.client_id,
        client_secret=application.client_secret,
        scopes=scopes,
        client_auth=client_auth,
        **fields,
    )
    token_endpoint(
        authorization,
        peer.token_url,
        token_request,
        token_response,
        body_format="form",
    )
    user_info_endpoint(
        authorization,
        peer.userinfo_url,
        user_info_response,
        headers=[("Authorization", "Bearer {{ query.access_token }}")],
    )
    return authorization


def oauth1_authorization(
    peer,
    method=SignatureMethod.HMAC_SHA1,
    *,
    user_info_response=USER_INFO_RESPONSE,
) -> Authorization:
    """A Trello-like OAuth 1.0a authorization of the OAuth 1.0a peer, signed
    with ``method`` (RSA-SHA1 with the peer's private key): the console's
    default token endpoint, plus the request token endpoint."""
    rsa = method == SignatureMethod.RSA_SHA1
    authorization = AuthorizationFactory(
        app=AppFactory(name="Trello", slug="trello"),
        name="OAuth 1.0a",
        type="oauth1",
        client_id=peer.consumer_key,
        client_secret=peer.rsa_private_key if rsa else peer.consumer_secret,
        authorize_url=peer.authorize_url,
        signature_method=method,
    )
    token_endpoint(
        authorization,
        peer.request_token_url,
        "",
        OAUTH1_TOKEN_RESPONSE,
        body_format="none",
        kind="request_token",
    )
    EndpointFactory(
        authorization=authorization,
        kind="access_token",
        url=peer.access_token_url,
        **TOKEN_ENDPOINT_DEFAULTS[Flow.OAUTH1],
    )
    user_info_endpoint(authorization, peer.userinfo_url, user_info_response)
    return authorization
