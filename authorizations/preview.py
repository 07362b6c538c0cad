"""The Endpoint page's live preview: a staff-only JSON view that renders, never saves.

EndpointAdmin serves ``endpoint_preview`` at ``preview/`` inside
``admin_site.admin_view`` (staff login, CSRF, no caching). The panel
(``static/console/preview.js``) posts the form's templates and its sample input;
the answer is ``rendering.preview_endpoint``'s, with the save-time checks'
warnings added so the developer sees them while typing.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_POST

from authorizations import types
from authorizations.models import Authorization, Endpoint
from authorizations.templating.checks import (
    APP_KEYS,
    AUTHORIZATION_KEYS,
    check_endpoint_templates,
)
from authorizations.validators import HTTP_METHODS

# A preview carries a few templates and samples; anything near this is a mistake
# or abuse, and is refused before it is parsed.
MAX_PREVIEW_BYTES = 256 * 1024

SAMPLE_NAMES = ("requestBody", "query", "response")


class PreviewRequestError(ValueError):
    """The posted preview request is malformed; the message says how."""


def error_response(message: str, *, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def app_settings(app) -> dict:
    """Return the app's non-secret settings, as templates see ``app``."""
    return {key: getattr(app, key) for key in APP_KEYS}


def authorization_settings(authorization: Authorization) -> dict:
    """Return the authorization's non-secret settings (never the client secret)."""
    return {key: getattr(authorization, key) for key in AUTHORIZATION_KEYS}


def preview_samples_by_kind() -> dict[str, dict]:
    """Return the panel's sample input for every endpoint kind, keyed by kind."""
    try:
        from authorizations import samples
    except ImportError:  # TEMPORARY until authorizations/samples.py lands
        return {kind: {} for kind in types.ENDPOINT_KINDS}
    return {kind: samples.samples_for(kind) for kind in types.ENDPOINT_KINDS}


def _text(data: dict, name: str, *, default: str = "") -> str:
    value = data.get(name, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise PreviewRequestError(f'"{name}" must be text.')
    return value


def _headers(data: dict) -> list[dict]:
    headers = data.get("headers") or []
    if not isinstance(headers, list):
        raise PreviewRequestError('"headers" must be a list of {"name", "value"}.')
    result = []
    for index, header in enumerate(headers):
        if not isinstance(header, dict):
            raise PreviewRequestError(f"Header {index + 1} must be an object.")
        name, value = header.get("name", ""), header.get("value", "")
        if not isinstance(name, str) or not isinstance(value, str):
            raise PreviewRequestError(
                f"Header {index + 1}'s name and value must be text."
            )
        result.append({"name": name, "value": value})
    return result


def _samples(data: dict) -> dict:
    samples = data.get("samples") or {}
    if not isinstance(samples, dict):
        raise PreviewRequestError('"samples" must be an object.')
    result = {}
    for name in SAMPLE_NAMES:
        value = samples.get(name)
        # The provider's response may be any JSON (or text); the others are
        # mappings of named values.
        if name != "response" and value is not None and not isinstance(value, dict):
            raise PreviewRequestError(f'The "{name}" sample must be a JSON object.')
        result[name] = {} if value is None else value
    return result


def parse_preview_request(body: bytes) -> dict:
    """Read the panel's JSON into ``preview_endpoint``'s keyword arguments."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise PreviewRequestError(f"The request is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise PreviewRequestError("The request must be a JSON object.")
    kind = _text(data, "kind")
    if kind not in types.ENDPOINT_KINDS:
        raise PreviewRequestError(
            "Choose the endpoint's kind to preview it."
            if not kind
            else f'"{kind}" is not an endpoint kind.'
        )
    method = _text(data, "method", default="GET").upper() or "GET"
    if method not in HTTP_METHODS:
        raise PreviewRequestError(f'"{method}" is not an HTTP method.')
    body_format = _text(data, "body_format", default=Endpoint.BodyFormat.JSON)
    if body_format not in Endpoint.BodyFormat.values:
        raise PreviewRequestError(f'"{body_format}" is not a body format.')
    return {
        "kind": kind,
        "method": method,
        "url": _text(data, "url"),
        "request_template": _text(data, "request_template"),
        "response_template": _text(data, "response_template"),
        "body_format": body_format,
        "headers": _headers(data),
        "samples": _samples(data),
    }


def _problem_key(problem: dict) -> tuple:
    return (problem.get("field"), problem.get("line"), problem.get("message"))


def merge_problems(found: list, extra: list[dict]) -> list:
    """Append ``extra`` problems to ``found``, skipping ones already there."""
    seen = {_problem_key(p) for p in found if isinstance(p, dict)}
    merged = list(found)
    for problem in extra:
        if _problem_key(problem) not in seen:
            seen.add(_problem_key(problem))
            merged.append(problem)
    return merged


def _authorization_for(request: HttpRequest) -> Authorization | None:
    # The change and add pages name the endpoint's authorization in the
    # preview URL; the panel's JSON does not carry it.
    key = request.GET.get("authorization", "")
    if not key.isdigit():
        return None
    return Authorization.objects.select_related("app").filter(pk=key).first()


@require_POST
def endpoint_preview(request: HttpRequest, *, model_admin) -> JsonResponse:
    """Render the posted endpoint with its sample input; return the preview JSON.

    Nothing is saved and nothing is sent to the app: the templates are rendered
    and checked, and the request is only described.
    """
    if not model_admin.has_view_or_change_permission(request):
        return error_response(
            "You do not have permission to preview endpoints.", status=403
        )
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_PREVIEW_BYTES:
        return error_response(
            f"The preview request is too large (over {MAX_PREVIEW_BYTES // 1024} "
            "KiB): shorten the templates or the sample input.",
            status=413,
        )
    body = request.body
    if len(body) > MAX_PREVIEW_BYTES:
        return error_response(
            f"The preview request is too large (over {MAX_PREVIEW_BYTES // 1024} "
            "KiB): shorten the templates or the sample input.",
            status=413,
        )
    try:
        arguments = parse_preview_request(body)
    except PreviewRequestError as error:
        return error_response(str(error), status=400)

    authorization = _authorization_for(request)
    from authorizations.rendering import preview_endpoint

    result = preview_endpoint(
        **arguments,
        app=app_settings(authorization.app) if authorization else None,
        authorization=authorization_settings(authorization) if authorization else None,
    )
    errors, warnings = check_endpoint_templates(
        kind=arguments["kind"],
        url=arguments["url"],
        request_template=arguments["request_template"],
        response_template=arguments["response_template"],
        headers=arguments["headers"],
    )
    result["errors"] = merge_problems(
        result.get("errors") or [], [e.as_dict() for e in errors]
    )
    result["warnings"] = merge_problems(
        result.get("warnings") or [], [w.as_dict() for w in warnings]
    )
    return JsonResponse(result)
