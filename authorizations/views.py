"""The console's views: the Endpoint page's live preview, a staff-only JSON view.

EndpointAdmin serves ``endpoint_preview`` at ``preview/`` inside
``admin_site.admin_view`` (staff login, CSRF, no caching). The panel
(``static/console/preview.js``) posts the form's templates and its sample input;
the view reads the request and answers with ``rendering.preview_endpoint``'s
result, which already holds the save-time checks' warnings.

Whatever is posted, the answer is JSON: a request it cannot read (not JSON,
outside ``plain_data``'s bounds, more headers than an endpoint may have) is a
400 whose ``error`` says why in words; every other problem is listed at its
field in the preview itself.
"""

from __future__ import annotations

import json

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_POST

from authorizations import rendering, samples, types
from authorizations.models import Authorization
from authorizations.plain_data import DataLimitError
from console.validators import MAX_HEADERS_PER_ENDPOINT

# A preview carries a few templates and samples; anything near this is a mistake
# or abuse, and is refused before it is parsed.
MAX_PREVIEW_BYTES = 256 * 1024


class PreviewRequestError(ValueError):
    """The posted preview request is malformed; the message says how."""


def error_response(message: str, *, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


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
        name, value = header.get("name") or "", header.get("value") or ""
        if not isinstance(name, str) or not isinstance(value, str):
            raise PreviewRequestError(
                f"Header {index + 1}'s name and value must be text."
            )
        if name.strip() or value.strip():  # an empty "Add another" row is no header
            result.append({"name": name, "value": value})
    # Refused before anything renders: each header is a template to compile,
    # check and render, so their number bounds the preview's work.
    if len(result) > MAX_HEADERS_PER_ENDPOINT:
        raise PreviewRequestError(
            f"An endpoint has at most {MAX_HEADERS_PER_ENDPOINT} headers; this one "
            f"has {len(result)}. Remove the headers it does not need."
        )
    return result


def parse_preview_request(body: bytes) -> dict:
    """Read the panel's JSON into ``preview_endpoint``'s keyword arguments."""
    try:
        data = samples.read_json(body)
    except DataLimitError as error:
        raise PreviewRequestError(error.message) from None
    except UnicodeDecodeError:
        raise PreviewRequestError("The request is not UTF-8 text.") from None
    except json.JSONDecodeError as error:
        raise PreviewRequestError(
            f"The request is not valid JSON: {error.msg} at line {error.lineno}, "
            f"column {error.colno}."
        ) from None
    if not isinstance(data, dict):
        raise PreviewRequestError("The request must be a JSON object.")
    kind = _text(data, "kind")
    if kind not in types.ENDPOINT_KINDS:
        raise PreviewRequestError(
            "Choose the endpoint's kind to preview it."
            if not kind
            else f'"{kind}" is not an endpoint kind.'
        )
    sample_input = data.get("samples") or {}
    if not isinstance(sample_input, dict):
        raise PreviewRequestError('"samples" must be an object.')
    # An unknown method or body format, or a sample that is not an object, is
    # reported by preview_endpoint at its field, like any other problem.
    return {
        "kind": kind,
        "method": _text(data, "method", default="GET"),
        "url": _text(data, "url"),
        "request_template": _text(data, "request_template"),
        "response_template": _text(data, "response_template"),
        "body_format": _text(data, "body_format", default="json"),
        "headers": _headers(data),
        "samples": sample_input,
    }


def _authorization_for(request: HttpRequest) -> Authorization | None:
    # The change and add pages name the endpoint's authorization in the
    # preview URL; the panel's JSON does not carry it.
    key = request.GET.get("authorization", "")
    # isdigit() alone would let "²" and a 40-digit number reach the database.
    if not (key.isascii() and key.isdigit() and len(key) <= 18):
        return None
    return Authorization.objects.select_related("app").filter(pk=key).first()


def _read_body(request: HttpRequest) -> bytes | None:
    """Return the request body, or None when it is over ``MAX_PREVIEW_BYTES``."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > MAX_PREVIEW_BYTES:
        return None  # refused unread
    try:
        body = request.body
    except RequestDataTooBig:
        return None
    return body if len(body) <= MAX_PREVIEW_BYTES else None


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
    body = _read_body(request)
    if body is None:
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
    result = rendering.preview_endpoint(
        **arguments,
        # Non-secret settings only: the sample requestBody has a fake secret.
        app=rendering.app_settings(authorization.app) if authorization else None,
        authorization=(
            rendering.authorization_settings(authorization) if authorization else None
        ),
    )
    return JsonResponse(result)
