"""Starting templates for a new authorization's endpoints, per flow family.

They follow the standards so the developer edits a working request rather than
starting from a blank page.
"""

from authorizations.types import Flow

# RFC 6749 §4.1.3 (authorization code), §4.4.2 (client credentials) and §6
# (refresh), the client's credentials in the body as §2.3.1 allows; the
# response fields are §5.1's.
OAUTH2_TOKEN_REQUEST = """\
{% if requestBody.grant_type == 'refresh_token' %}
{
  "grant_type": "refresh_token",
  "refresh_token": "{{ requestBody.refresh_token }}",
  "client_id": "{{ requestBody.client_id }}",
  "client_secret": "{{ requestBody.client_secret }}"
}
{% elseif requestBody.grant_type == 'client_credentials' %}
{
  "grant_type": "client_credentials",
  {% if requestBody.scope %}"scope": "{{ requestBody.scope }}",{% endif %}
  "client_id": "{{ requestBody.client_id }}",
  "client_secret": "{{ requestBody.client_secret }}"
}
{% else %}
{
  "grant_type": "authorization_code",
  "code": "{{ requestBody.code }}",
  "redirect_uri": "{{ requestBody.redirect_uri }}",
  "client_id": "{{ requestBody.client_id }}",
  "client_secret": "{{ requestBody.client_secret }}"
}
{% endif %}
"""

OAUTH2_TOKEN_RESPONSE = """\
{
  "access_token": "{{ response.access_token }}",
  "refresh_token": "{{ response.refresh_token }}",
  "expires_in": "{{ response.expires_in }}",
  "token_type": "{{ response.token_type }}",
  "scope": "{{ response.scope }}"
}
"""

# RFC 5849 §2.3: the verifier and the request token travel in the signed
# Authorization header, so the body is empty; the reply is form-encoded.
OAUTH1_TOKEN_REQUEST = ""

OAUTH1_TOKEN_RESPONSE = """\
{
  "access_token": "{{ response.oauth_token }}",
  "access_token_secret": "{{ response.oauth_token_secret }}"
}
"""

TOKEN_ENDPOINT_DEFAULTS = {
    Flow.OAUTH2: {
        "method": "POST",
        "body_format": "form",
        "request_template": OAUTH2_TOKEN_REQUEST,
        "response_template": OAUTH2_TOKEN_RESPONSE,
    },
    Flow.OAUTH1: {
        "method": "POST",
        "body_format": "none",
        "request_template": OAUTH1_TOKEN_REQUEST,
        "response_template": OAUTH1_TOKEN_RESPONSE,
    },
}

# RFC 7009 §2.1: the token and a hint of its kind, form-encoded; the client
# authenticates as at the token endpoint (the flow adds it).  Revoking a
# refresh token revokes its grant, so the console sends the refresh token when
# the account has one.  §2.2: a 200 says it is done and its body means
# nothing, so the response template stays empty (the contract needs no output).
REVOKE_REQUEST = """\
{
  "token": "{{ requestBody.token }}",
  "token_type_hint": "{{ requestBody.token_type_hint }}"
}
"""

REVOKE_ENDPOINT_DEFAULTS = {
    "method": "POST",
    "body_format": "form",
    "request_template": REVOKE_REQUEST,
    "response_template": "",
}


def endpoint_defaults(kind: str, flow: str | None = None) -> dict:
    """The starting values of a new endpoint of ``kind``, for an
    authorization of ``flow``; empty when the kind has none."""
    if kind == "revoke":
        return dict(REVOKE_ENDPOINT_DEFAULTS)
    if kind == "access_token" and flow in TOKEN_ENDPOINT_DEFAULTS:
        return dict(TOKEN_ENDPOINT_DEFAULTS[flow])
    return {}
