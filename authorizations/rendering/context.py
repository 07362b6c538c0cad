"""What templates see: the variables (DESIGN.md §3) and the context built from them.

The vocabulary is the type registry's (``authorizations.types``): what
``requestBody`` and ``query`` hold follows the types' credential fields, and
``authorization`` holds the settings that are not secret.  The save-time
checks judge templates by it; the context builders read exactly it, so a
secret setting never reaches ``app`` or ``authorization``.
"""

from __future__ import annotations

from collections.abc import Mapping

from authorizations import types
from twig import prepare_context

# The App's fields a template may read: none of them is secret.
APP_KEYS = ("name", "slug", "api_base_url", "docs_url")
# ``response`` exists only once the provider has answered.
RESPONSE_ONLY = frozenset({"response"})


def variables(*, with_response: bool = True) -> dict[str, tuple[str, ...] | None]:
    """Return each root variable and the keys it holds, from the registry in force.

    None stands for whatever the provider sent (``response``); it is left
    out for the templates rendered before the request is sent.
    """
    registry = types.registry()
    found: dict[str, tuple[str, ...] | None] = {
        "requestBody": registry.request_body_keys,
        "query": registry.query_keys,
        "response": None,
        "app": APP_KEYS,
        "authorization": registry.authorization_keys,
    }
    if not with_response:
        for name in RESPONSE_ONLY:
            del found[name]
    return found


def moved_secrets() -> dict[tuple[str, str], str]:
    """Map a secret setting read as a setting to where templates get it."""
    return {
        ("authorization", name): f"requestBody.{name}"
        for name in types.registry().secret_settings
    }


def template_context(
    *,
    request_body: Mapping | None = None,
    query: Mapping | None = None,
    app: Mapping | None = None,
    authorization: Mapping | None = None,
    response=None,
    with_response: bool = False,
) -> dict:
    """Build the variables a template sees (DESIGN.md §3), checked as plain data.

    ``response`` is given to response templates only (``with_response``).
    Of ``app`` and ``authorization`` only the vocabulary's keys are kept: a
    secret is not a setting.
    """
    context = {
        "requestBody": dict(request_body or {}),
        "query": dict(query or {}),
        "app": _known(app, APP_KEYS),
        "authorization": _known(authorization, types.registry().authorization_keys),
    }
    if with_response:
        context["response"] = response
    return prepare_context(context)


def _known(settings: Mapping | None, keys: tuple[str, ...]) -> dict:
    return {key: value for key, value in (settings or {}).items() if key in keys}


def app_settings(app) -> dict:
    """Return an App's settings that templates may read as ``app``."""
    return {key: getattr(app, key) for key in APP_KEYS}


def authorization_settings(authorization) -> dict:
    """Return an Authorization's non-secret settings, for ``authorization``."""
    # The client secret reaches templates only as requestBody.client_secret,
    # where previews and logs mask it.
    return {
        key: getattr(authorization, key) for key in types.registry().authorization_keys
    }


def endpoint_context(
    endpoint, *, request_body=None, query=None, response=None, with_response=False
) -> dict:
    """Build the template context of an ``Endpoint`` from its app and authorization."""
    authorization = endpoint.authorization
    return template_context(
        request_body=request_body,
        query=query,
        app=app_settings(authorization.app),
        authorization=authorization_settings(authorization),
        response=response,
        with_response=with_response,
    )


__all__ = [
    "APP_KEYS",
    "RESPONSE_ONLY",
    "app_settings",
    "authorization_settings",
    "endpoint_context",
    "moved_secrets",
    "template_context",
    "variables",
]
