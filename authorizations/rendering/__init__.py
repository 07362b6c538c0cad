"""Render an endpoint: its URL, headers, request body and response mapping.

One module a job:

* ``context`` — what templates see, from the type registry's vocabulary;
* ``request`` — an endpoint into the HTTP request it makes;
* ``response`` — a provider's reply through the response template;
* ``contracts`` — what each template's output must be;
* ``checks`` — the save-time checks of an endpoint's templates;
* ``preview`` — the admin's live preview, all of the above on samples;
* ``curl`` — a rendered request as a ``curl`` command.

``render_endpoint_request`` and ``render_endpoint_response`` serve the flows;
``preview_endpoint`` serves the admin.  Secrets are masked by
``authorizations.masking``.
"""

from authorizations.rendering.checks import TemplateProblem
from authorizations.rendering.context import (
    app_settings,
    authorization_settings,
    endpoint_context,
    template_context,
)
from authorizations.rendering.curl import curl_command
from authorizations.rendering.preview import preview_endpoint
from authorizations.rendering.request import (
    EndpointRenderError,
    RenderedRequest,
    check_url,
    render_endpoint_request,
    render_header_value,
    render_request,
    render_url,
)
from authorizations.rendering.response import render_endpoint_response, render_response

__all__ = [
    "EndpointRenderError",
    "RenderedRequest",
    "TemplateProblem",
    "app_settings",
    "authorization_settings",
    "check_url",
    "curl_command",
    "endpoint_context",
    "preview_endpoint",
    "render_endpoint_request",
    "render_endpoint_response",
    "render_header_value",
    "render_request",
    "render_response",
    "render_url",
    "template_context",
]
