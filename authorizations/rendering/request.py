"""Render an endpoint into the HTTP request it makes.

Each template is rendered with the escaping of what it produces
(``twig.escaping``): the URL as a URL, header values as header values, the
request template as JSON, held to its contract (``rendering.contracts``).
Every part that can be rendered is, even when another fails, so a caller
(the flows, the preview) learns every problem at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from time import perf_counter

from django.core.exceptions import ValidationError

import twig
from authorizations.http import OutboundRefused
from authorizations.http import check_url as check_outbound_url
from authorizations.rendering.checks import TemplateProblem
from authorizations.rendering.context import endpoint_context
from authorizations.rendering.contracts import check_request_body
from console.validators import (
    HTTP_METHODS,
    MAX_HEADERS_PER_ENDPOINT,
    validate_header_name,
)
from twig import Output, TemplateError, check_header_value, render_escaped

BODY_FORMATS = ("json", "form", "none")


class EndpointRenderError(TemplateError):
    """Some templates of an endpoint failed; ``problems`` says which and why."""

    def __init__(self, problems: list[TemplateProblem]):
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))


@dataclass
class RenderedRequest:
    """The HTTP request an endpoint makes, ready to send."""

    method: str
    url: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str | None = None
    content_type: str | None = None
    # Accepted but worth fixing (a trailing comma in the body), in words.
    warnings: list[str] = field(default_factory=list)


def render_url(source: str, context: Mapping) -> str:
    """Render a URL template; the result is an http(s) URL with a host."""
    url = render_escaped(source, context, output=Output.URL).strip()
    check_url(url)
    return url


def check_url(url: str) -> None:
    """Raise ``TemplateError`` unless the console may send a request to ``url``.

    The rules are the HTTP client's (``authorizations.http.check_url``) but
    for the length: the preview shows a URL a long value made too long (the
    client refuses it when sending), masked, rather than no URL at all.
    """
    try:
        check_outbound_url(url, max_length=None)
    except OutboundRefused as refused:
        raise TemplateError(refused.message) from None


def render_header_value(*, name: str, source: str, context: Mapping) -> str:
    """Render a header's value template; refuse line breaks, naming the header."""
    try:
        value = render_escaped(source, context, output=Output.HEADER)
        # Surrounding whitespace is not part of a field value (RFC 9110 §5.5),
        # and a template's trailing newline is an accident of typing.
        value = value.strip(" \t\r\n")
        check_header_value(value)
    except TemplateError as error:
        error.message = f'Header "{name}": {error.message}'
        raise
    return value


def render_request(
    *,
    method: str,
    url: str,
    request_template: str,
    body_format: str,
    headers: list[Mapping],
    context: Mapping,
) -> RenderedRequest:
    """Render an endpoint's request; raise ``EndpointRenderError`` on any problem.

    ``headers`` are mappings with ``name`` and ``value`` (a template), in
    order.  A ``Content-Type`` among them decides how the body is encoded;
    otherwise ``body_format`` does and the matching header is added.

    All the templates share one time limit: an endpoint with many headers
    takes no longer than one with a single template.  More than
    ``MAX_HEADERS_PER_ENDPOINT`` headers are refused before any is rendered.
    """
    with twig.one_deadline():
        run = EndpointRender()
        request = render_parts(
            method=method,
            url=url,
            request_template=request_template,
            body_format=body_format,
            headers=headers,
            context=context,
            run=run,
        )
    if run.problems:
        raise EndpointRenderError(run.problems)
    request.warnings = [warning.message for warning in run.warnings]
    return request


class EndpointRender:
    """The templates of one endpoint, rendered under one deadline.

    Collects each failure as a ``TemplateProblem``.  Once the time is up, the
    templates not yet rendered are skipped: each would only stop at its first
    loop, and one message at the template that ran out says why.
    """

    def __init__(self):
        self.problems: list[TemplateProblem] = []
        self.warnings: list[TemplateProblem] = []
        self.limit = twig.current_limits().time
        self.deadline = perf_counter() + self.limit
        self.timed_out = False
        self.refused = False  # too many headers: nothing was rendered

    def render(self, field_name: str, render, *arguments, **options):
        """Return ``render(...)``, or None once it failed (its problem added)."""
        if self.timed_out:
            return None
        if perf_counter() > self.deadline:
            self._out_of_time(field_name)
            return None
        try:
            return render(*arguments, **options)
        except twig.TemplateLimitError as error:
            if error.limit != "time":
                self.problems.append(problem_from(field_name, error))
            else:
                self._out_of_time(field_name, error)
        except TemplateError as error:
            self.problems.append(problem_from(field_name, error))
        return None

    def _out_of_time(self, field_name: str, error: TemplateError | None = None):
        # The engine's own message speaks of one template; here every
        # template of the endpoint shares the limit.
        self.timed_out = True
        limit = f"their time limit ({self.limit:g} s)"
        if error is None:
            message = (
                f"The endpoint's templates had used up {limit} before this one, "
                "so it and the ones after it were not rendered."
            )
        else:
            message = (
                f"The endpoint's templates together exceeded {limit} in this "
                "one, so it and the ones after it were not rendered; simplify "
                "its loops."
            )
        self.problems.append(
            TemplateProblem(
                field_name,
                message,
                error.line if error else None,
                error.column if error else None,
            )
        )

    def unchecked_response(self) -> str:
        """Say why the response template was skipped once the time ran out."""
        return (
            f"Not checked: the endpoint's templates exceeded their time limit "
            f"({self.limit:g} s) before the response template was rendered."
        )


def _header_rows(headers, problems: list[TemplateProblem]) -> list | None:
    """Return ``(index, name, source)`` of the headers that are not empty rows.

    None (with a problem added) when there are more than an endpoint may have.
    """
    rows = []
    for index, header in enumerate(headers or ()):
        if not isinstance(header, Mapping):
            problems.append(
                TemplateProblem(f"headers.{index}.name", "The header has no name.")
            )
            continue
        name = str(header.get("name") or "").strip()
        source = str(header.get("value") or "")
        if name or source.strip():  # an empty "Add another" row is no header
            rows.append((index, name, source))
    if len(rows) > MAX_HEADERS_PER_ENDPOINT:
        problems.append(
            TemplateProblem(
                "headers",
                f"An endpoint has at most {MAX_HEADERS_PER_ENDPOINT} headers; this "
                f"one has {len(rows)}. Remove the headers it does not need.",
            )
        )
        return None
    return rows


def render_parts(
    *, method, url, request_template, body_format, headers, context, run
) -> RenderedRequest:
    """Render every part it can, adding a ``TemplateProblem`` for each failure."""
    problems, warnings = run.problems, run.warnings
    method_text = (method or "").strip().upper()
    if method_text not in HTTP_METHODS:
        problems.append(
            TemplateProblem(
                "method",
                f'"{method}" is not an HTTP method; use one of '
                f"{', '.join(HTTP_METHODS)}.",
            )
        )
    if body_format not in BODY_FORMATS:
        problems.append(
            TemplateProblem(
                "body_format",
                f'"{body_format}" is not a body format; use json, form or none.',
            )
        )
    rows = _header_rows(headers, problems)
    if rows is None:  # refused whole, before any template is rendered
        run.refused = True
        return RenderedRequest(method=method_text, url="")
    rendered_url = run.render("url", render_url, url, context) or ""
    rendered_headers: list[tuple[str, str]] = []
    content_type = None
    for index, name, source in rows:
        try:
            validate_header_name(name)
        except ValidationError as error:
            message = " ".join(error.messages) if name else "The header has no name."
            problems.append(TemplateProblem(f"headers.{index}.name", message))
            continue
        value = run.render(
            f"headers.{index}.value",
            render_header_value,
            name=name,
            source=source,
            context=context,
        )
        if value is None:
            continue
        rendered_headers.append((name, value))
        if name.lower() == "content-type":
            content_type = value
    body = None
    output = run.render(
        "request_template",
        render_escaped,
        request_template,
        context,
        output=Output.JSON,
    )
    if output is not None:
        contract = check_request_body(
            output,
            body_format=body_format if body_format in BODY_FORMATS else "none",
            content_type=content_type,
        )
        for message in contract.errors:
            problems.append(TemplateProblem("request_template", message))
        for message in contract.warnings:
            warnings.append(TemplateProblem("request_template", message))
        body = contract.values.get("body")
        if body is not None and content_type is None:
            content_type = contract.values["content_type"]
            rendered_headers.append(("Content-Type", content_type))
    return RenderedRequest(
        method=method_text,
        url=rendered_url,
        headers=rendered_headers,
        body=body,
        content_type=content_type if body is not None else None,
    )


def problem_from(field_name: str, error: TemplateError) -> TemplateProblem:
    """Return a template's error as the problem of the field it is in."""
    return TemplateProblem(field_name, error.message, error.line, error.column)


def render_endpoint_request(endpoint, *, request_body=None, query=None):
    """Render an ``Endpoint``'s request with the given inputs."""
    return render_request(
        method=endpoint.method,
        url=endpoint.url,
        request_template=endpoint.request_template,
        body_format=endpoint.body_format,
        headers=endpoint.header_dicts(),
        context=endpoint_context(endpoint, request_body=request_body, query=query),
    )


__all__ = [
    "BODY_FORMATS",
    "EndpointRender",
    "EndpointRenderError",
    "RenderedRequest",
    "check_url",
    "problem_from",
    "render_endpoint_request",
    "render_header_value",
    "render_parts",
    "render_request",
    "render_url",
]
