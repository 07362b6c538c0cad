"""Realistic sample inputs for previewing an endpoint's templates.

The preview panel starts from these, so a developer sees a real request and
a real contract check before connecting anything.  The values are made up but
shaped like the real thing: the user info reply is Basecamp's
``authorization.json`` from the Integry guide, the token replies are RFC 6749
§5.1's and RFC 5849 §2.3's examples.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from authorizations import types
from authorizations.plain_data import DataLimitError, load_json
from authorizations.wording import excerpt

# What the platform sends to a token endpoint (DESIGN.md §3, requestBody);
# the end user's fields come from the type registry.  The redirect URI carries
# its own query on purpose: it must survive being written into another query
# string.
PLATFORM_EXAMPLES = {
    "client_id": "console-client-4f2a9c",
    "client_secret": "cs_live_8d7f6e5a4b3c2d1e0f9a7b6c",
    "redirect_uri": "https://console.example.com/oauth/callback",
    "code": "SplxlOBeZQQYbYS6WxSbIA",
    "grant_type": "authorization_code",
    "refresh_token": "rt_tGzv3JOkF0XG5Qx2TlKWIA",
    # RFC 7636 appendix B's verifier.
    "code_verifier": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    "scope": "read write",
    # RFC 7009 §2.1: the token to revoke, and which kind it is.
    "token": "rt_tGzv3JOkF0XG5Qx2TlKWIA",
    "token_type_hint": "refresh_token",
}

# What a connected account stores besides the end user's fields (DESIGN.md
# §3, query).
ACCOUNT_EXAMPLES = {
    "access_token": "2YotnFZFEjr1zCsicMWpAA",
    "refresh_token": "tGzv3JOkF0XG5Qx2TlKWIA",
    "oauth_token": "nnch734d00sl2jdk",
    "oauth_token_secret": "pfkkdhi9sl3r4s00",
    "extras": {"account_id": 99999999},
}

# Basecamp's https://launchpad.37signals.com/authorization.json, as the
# Integry guide shows it.
BASECAMP_AUTHORIZATION = {
    "expires_at": "2026-12-31T17:00:00Z",
    "identity": {
        "id": 9999999,
        "first_name": "Jason",
        "last_name": "Fried",
        "email_address": "jason@basecamp.com",
    },
    "accounts": [
        {
            "product": "bc3",
            "id": 99999999,
            "name": "Honcho Design",
            "href": "https://3.basecampapi.com/99999999",
            "app_href": "https://3.basecamp.com/99999999",
        }
    ],
}

# RFC 6749 §5.1's successful token response.
OAUTH2_TOKEN_RESPONSE = {
    "access_token": "at_b1TS0Kr7QgYzL8vXwE3nHc",
    "token_type": "Bearer",
    "expires_in": 3600,
    "refresh_token": "rt_9Xq2LmN4vB7cK1zP5sD8fG",
    "scope": "read write",
    "example_parameter": "example_value",
}

# RFC 5849 §2.1 (temporary credentials) and §2.3 (token credentials).
OAUTH1_REQUEST_TOKEN_RESPONSE = {
    "oauth_token": "hh5s93j4hdidpola",
    "oauth_token_secret": "hdhd0244k9j7ao03",
    "oauth_callback_confirmed": "true",
}
OAUTH1_TOKEN_RESPONSE = {
    "oauth_token": "nnch734d00sl2jdk",
    "oauth_token_secret": "pfkkdhi9sl3r4s00",
}

_RESPONSES = {
    "user_info": BASECAMP_AUTHORIZATION,
    "access_token": OAUTH2_TOKEN_RESPONSE,
    "request_token": OAUTH1_REQUEST_TOKEN_RESPONSE,
    "revoke": {},
}


def samples_for(kind: str, *, flow: str | None = None) -> dict:
    """Return fresh sample ``requestBody``, ``query`` and ``response`` for a kind.

    ``requestBody`` and ``query`` hold a value for every variable of the
    registry's vocabulary that has an example, the end user's fields
    included.  ``flow`` "oauth1" gives the OAuth1 token reply for the access
    token endpoint; the copies may be changed freely.
    """
    response = _RESPONSES.get(kind, {})
    if kind == "access_token" and flow == "oauth1":
        response = OAUTH1_TOKEN_RESPONSE
    registry = types.registry()
    return copy.deepcopy(
        {
            "requestBody": _examples(registry.request_body_keys, PLATFORM_EXAMPLES),
            "query": _examples(registry.query_keys, ACCOUNT_EXAMPLES),
            "response": response,
        }
    )


def samples_by_kind(*, flow: str | None = None) -> dict[str, dict]:
    """Return the preview panel's sample input for every endpoint kind, by kind.

    ``flow`` is the authorization's flow family: an OAuth1 token endpoint
    answers differently from an OAuth2 one.
    """
    return {kind: samples_for(kind, flow=flow) for kind in types.ENDPOINT_KINDS}


def _examples(names: tuple[str, ...], examples: dict) -> dict:
    fields = {field.name: field for field in types.registry().credential_fields}
    found = {}
    for name in names:
        if name in examples:
            found[name] = examples[name]
        elif name in fields:
            found[name] = fields[name].example or _made_up(fields[name])
    return found


def _made_up(field: types.CredentialField) -> str:
    return "https://acme.example.com" if field.is_url else f"{field.name}-example"


def read_json(text: str | bytes, *, path: str = "") -> Any:
    """Parse JSON that comes from a user (a preview request, a sample).

    Within ``plain_data``'s bounds (depth, integer digits, valid text), and
    without NaN or infinite numbers, which JSON does not have: Python's parser
    accepts them, and an answer holding one is not JSON a browser can read.
    Raise ``json.JSONDecodeError`` (or ``UnicodeDecodeError`` for bytes) when
    it is not JSON, ``DataLimitError`` when it is outside a bound.
    """

    def refuse_constant(name: str):
        raise DataLimitError(
            f"{name}{_at(path)} is not a JSON value; write it as text, in quotes.",
            path=path,
        )

    def finite_float(digits: str) -> float:
        number = float(digits)
        if not math.isfinite(number):
            shown = excerpt(digits, limit=24)
            raise DataLimitError(
                f"The number {shown}{_at(path)} is too large to be a number; "
                "write it as text, in quotes.",
                path=path,
            )
        return number

    return load_json(
        text, path=path, parse_constant=refuse_constant, parse_float=finite_float
    )


def _at(path: str) -> str:
    return f" at {path}" if path else ""


__all__ = ["read_json", "samples_by_kind", "samples_for"]
