"""Render an endpoint: its URL, headers, request body and response mapping.

Each template is rendered with the escaping of what it produces
(``twig.escaping``): the URL as a URL, header values as header values,
request and response templates as JSON.  The outputs are then held to their
contracts (``rendering.contracts``).  ``render_request`` and
``render_response`` serve the flows; ``preview_endpoint`` serves the admin's
live preview, and renders everything it can even when one field fails, so
the panel shows every problem at once.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from time import perf_counter
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from authorizations.masking import SecretMasker, secrets_in
from authorizations.plain_data import DataLimitError, check_data, check_text
from authorizations.rendering.checks import (
    APP_KEYS,
    AUTHORIZATION_KEYS,
    TemplateProblem,
)
from authorizations.rendering.contracts import (
    ContractResult,
    check_request_body,
    check_response,
)
from authorizations.samples import read_json
from authorizations.validators import (
    HTTP_METHODS,
    MAX_HEADERS_PER_ENDPOINT,
    describe_character,
    validate_header_name,
)
from twig import TemplateError, limits
from twig.environment import prepare_context
from twig.escaping import (
    Output,
    check_header_value,
    render_escaped,
)

# The inputs that hold secrets (DESIGN.md §3): masked wherever they show.
SECRET_REQUEST_FIELDS = frozenset(
    {"client_secret", "password", "api_key", "api_secret", "refresh_token"}
    | {"code_verifier"}
)
SECRET_QUERY_FIELDS = frozenset(
    {"access_token", "refresh_token", "oauth_token_secret", "api_key"}
    | {"api_secret", "password"}
)
# Tokens in a sample provider reply are as secret as the stored ones.
SECRET_RESPONSE_FIELDS = frozenset(
    {"access_token", "refresh_token", "id_token", "oauth_token_secret"}
)
# App and authorization settings are given to templates only when they are
# not secret; these names never are.
_SECRET_SETTING = re.compile(r"secret|password|token|key$", re.IGNORECASE)
BODY_FORMATS = ("json", "form", "none")
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]").search


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


# --- context ------------------------------------------------------------------


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
    """
    context = {
        "requestBody": dict(request_body or {}),
        "query": dict(query or {}),
        "app": _public_settings(app),
        "authorization": _public_settings(authorization),
    }
    if with_response:
        context["response"] = response
    return prepare_context(context)


def _public_settings(settings: Mapping | None) -> dict:
    return {
        key: value
        for key, value in (settings or {}).items()
        if not _SECRET_SETTING.search(str(key))
    }


def app_settings(app) -> dict:
    """Return an App's settings that templates may read as ``app``."""
    return {key: getattr(app, key) for key in APP_KEYS}


def authorization_settings(authorization) -> dict:
    """Return an Authorization's non-secret settings, for ``authorization``."""
    # AUTHORIZATION_KEYS holds no secret: the client secret reaches templates
    # only as requestBody.client_secret, where previews and logs mask it.
    return {key: getattr(authorization, key) for key in AUTHORIZATION_KEYS}


# --- the parts of a request ---------------------------------------------------


def render_url(source: str, context: Mapping) -> str:
    """Render a URL template; the result is an http(s) URL with a host."""
    url = render_escaped(source, context, output=Output.URL).strip()
    check_url(url)
    return url


def check_url(url: str) -> None:
    """Raise ``TemplateError`` unless ``url`` is an http(s) URL with a host."""
    if not url:
        raise TemplateError("The URL is empty.")
    found = _SPACE_OR_CONTROL(url)
    if found:
        raise TemplateError(
            f'The URL "{_excerpt(url)}" contains {describe_character(found.group())}, '
            "which a URL cannot hold; remove it, or encode it (a space is %20)."
        )
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not one
    except ValueError as error:
        raise TemplateError(f'"{_excerpt(url)}" is not a URL: {error}.') from None
    if parts.scheme.lower() not in ("http", "https"):
        raise TemplateError(
            f'The URL must start with http:// or https://; it is "{_excerpt(url)}".'
        )
    if not host:
        raise TemplateError(f'The URL "{_excerpt(url)}" has no host name.')


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
    with limits.one_deadline():
        run = _EndpointRender()
        request = _request(
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


class _EndpointRender:
    """The templates of one endpoint, rendered under one deadline.

    Collects each failure as a ``TemplateProblem``.  Once the time is up, the
    templates not yet rendered are skipped: each would only stop at its first
    loop, and one message at the template that ran out says why.
    """

    def __init__(self):
        self.problems: list[TemplateProblem] = []
        self.warnings: list[TemplateProblem] = []
        self.limit = limits.current_limits().time
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
        except limits.TemplateLimitError as error:
            if error.limit != "time":
                self.problems.append(_problem(field_name, error))
            else:
                self._out_of_time(field_name, error)
        except TemplateError as error:
            self.problems.append(_problem(field_name, error))
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


def _request(
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


def _problem(field_name: str, error: TemplateError) -> TemplateProblem:
    return TemplateProblem(field_name, error.message, error.line, error.column)


# --- the response -------------------------------------------------------------


def render_response(
    *, kind: str, response_template: str, context: Mapping, now=None
) -> tuple[str, ContractResult]:
    """Render a response template (as JSON) and check it against its kind's contract.

    Return the output text and the ``ContractResult``; a template that fails
    to render gives a result whose error is the template error.  Called
    within ``limits.one_deadline()`` (with the request), it shares its limit.
    """
    try:
        with limits.one_deadline():
            output = render_escaped(response_template, context, output=Output.JSON)
    except TemplateError as error:
        return "", ContractResult(ok=False, errors=[str(error)])
    return output, check_response(kind, output, now=now)


# --- from the models ----------------------------------------------------------


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


def render_endpoint_request(endpoint, *, request_body=None, query=None):
    """Render an ``Endpoint``'s request with the given inputs."""
    return render_request(
        method=endpoint.method,
        url=endpoint.url,
        request_template=endpoint.request_template,
        body_format=endpoint.body_format,
        headers=[{"name": h.name, "value": h.value} for h in endpoint.headers.all()],
        context=endpoint_context(endpoint, request_body=request_body, query=query),
    )


def render_endpoint_response(
    endpoint, *, response, request_body=None, query=None, now=None
) -> tuple[str, ContractResult]:
    """Map a provider's reply through an ``Endpoint``'s response template."""
    context = endpoint_context(
        endpoint,
        request_body=request_body,
        query=query,
        response=response,
        with_response=True,
    )
    return render_response(
        kind=endpoint.kind,
        response_template=endpoint.response_template,
        context=context,
        now=now,
    )


# --- preview ------------------------------------------------------------------


def preview_endpoint(
    *,
    kind: str,
    method: str,
    url: str,
    request_template: str,
    response_template: str,
    body_format: str,
    headers: list[dict],
    samples: dict,
    app: dict | None = None,
    authorization: dict | None = None,
) -> dict:
    """Render an endpoint with sample inputs for the admin's preview panel.

    ``samples`` holds ``requestBody``, ``query`` and ``response`` (each a value
    or its JSON text).  Nothing is saved or sent.  Every field is rendered even
    when another fails, all of them within one time limit; secrets from the
    samples are masked everywhere in the result, including the ``curl``
    command.
    """
    with limits.one_deadline():
        run = _EndpointRender()
        inputs = _sample_inputs(samples, run.problems)
        request, output, contract = _preview_renders(
            kind=kind,
            method=method,
            url=url,
            request_template=request_template,
            response_template=response_template,
            body_format=body_format,
            headers=headers,
            inputs=inputs,
            app=app,
            authorization=authorization,
            run=run,
        )
    masker = SecretMasker(_sample_secrets(inputs))
    shown_request = {
        "method": masker.value(request.method),
        "url": masker.value(request.url),
        "headers": [
            [masker.value(name), masker.header(name, value)]
            for name, value in request.headers
        ],
        "body": masker.value(request.body),
    }
    return {
        "request": shown_request,
        "output": masker.value(output),
        "contract": {
            "ok": contract.ok,
            "values": masker.data(contract.values),
            "errors": [masker.message(message) for message in contract.errors],
        },
        "errors": [_shown_problem(p, masker) for p in run.problems],
        "warnings": [_shown_problem(p, masker) for p in run.warnings],
        "curl": curl_command(shown_request),
    }


def _preview_renders(
    *,
    kind,
    method,
    url,
    request_template,
    response_template,
    body_format,
    headers,
    inputs,
    app,
    authorization,
    run,
) -> tuple[RenderedRequest, str, ContractResult]:
    """Render the request and the response mapping; problems go to ``run``."""
    request = RenderedRequest(method=str(method or "").upper(), url="")
    try:
        base = dict(
            request_body=inputs["requestBody"],
            query=inputs["query"],
            app=app,
            authorization=authorization,
        )
        request_context = template_context(**base)
        response_context = template_context(
            **base, response=inputs["response"], with_response=True
        )
    except TemplateError as error:
        run.problems.append(TemplateProblem("samples", error.message))
        return request, "", ContractResult(ok=False)
    request = _request(
        method=method,
        url=url,
        request_template=request_template,
        body_format=body_format,
        headers=headers,
        context=request_context,
        run=run,
    )
    if run.refused:
        return request, "", ContractResult(ok=False, errors=[run.problems[-1].message])
    if run.timed_out:
        return request, "", ContractResult(ok=False, errors=[run.unchecked_response()])
    output = run.render(
        "response_template",
        render_escaped,
        response_template,
        response_context,
        output=Output.JSON,
    )
    if output is None:
        # The template's own error, already among the problems.
        return request, "", ContractResult(ok=False, errors=[run.problems[-1].message])
    contract = check_response(kind, output)
    for message in contract.errors:
        run.problems.append(TemplateProblem("response_template", message))
    for message in contract.warnings:
        run.warnings.append(TemplateProblem("response_template", message))
    return request, output, contract


def _shown_problem(problem: TemplateProblem, masker: SecretMasker) -> dict:
    shown = problem.as_dict()
    shown["message"] = masker.message(problem.message)
    return shown


def _sample_secrets(inputs: dict) -> list[str]:
    return (
        secrets_in(inputs.get("requestBody"), SECRET_REQUEST_FIELDS)
        + secrets_in(inputs.get("query"), SECRET_QUERY_FIELDS)
        + secrets_in(inputs.get("response"), SECRET_RESPONSE_FIELDS)
    )


def _sample_inputs(samples, problems: list[TemplateProblem]) -> dict:
    """Read the samples, each an object or its JSON text, within the data bounds.

    A sample that cannot be used is a problem at ``samples.<name>`` and is
    left empty; the others are still used.
    """
    inputs = {"requestBody": {}, "query": {}, "response": None}
    if not isinstance(samples, Mapping):
        problems.append(
            TemplateProblem("samples", "The samples must be a JSON object.")
        )
        return inputs
    for name in inputs:
        path = f"samples.{name}"
        try:
            value = _sample_value(samples.get(name), name=name, path=path)
        except json.JSONDecodeError as error:
            problems.append(
                TemplateProblem(
                    path,
                    f"The {name} sample is not valid JSON: {error.msg}.",
                    error.lineno,
                    error.colno,
                )
            )
            continue
        except DataLimitError as error:
            problems.append(TemplateProblem(path, error.message))
            continue
        if name == "response":
            inputs[name] = value
        elif value is None:
            continue
        elif isinstance(value, Mapping):
            inputs[name] = dict(value)
        else:
            problems.append(
                TemplateProblem(path, f"The {name} sample must be a JSON object.")
            )
    return inputs


def _sample_value(value, *, name: str, path: str):
    """Return one sample parsed and checked; raise what makes it unusable."""
    if not isinstance(value, str):
        check_data(value, path=path)
        return value
    if name != "response":
        return read_json(value, path=path) if value.strip() else {}
    # A provider reply is given to templates parsed when it is JSON and as
    # text when it is not (DESIGN.md §3).
    try:
        return read_json(value, path=path)
    except json.JSONDecodeError:
        check_text(value, path=path)
        return value


def curl_command(request: Mapping) -> str:
    """Write a request as a shell-quoted ``curl`` command, one option a line."""
    method = request.get("method") or "GET"
    first = "curl"
    if method != "GET" or request.get("body") is not None:
        first += f" -X {shlex.quote(method)}"
    lines = [f"{first} {shlex.quote(request.get('url') or '')}"]
    for name, value in request.get("headers") or ():
        lines.append(f"-H {shlex.quote(f'{name}: {value}')}")
    if request.get("body") is not None:
        lines.append(f"--data-raw {shlex.quote(request['body'])}")
    return " \\\n  ".join(lines)


def _excerpt(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = [
    "EndpointRenderError",
    "TemplateProblem",
    "RenderedRequest",
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
    "template_context",
]
