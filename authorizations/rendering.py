"""Render an endpoint: its URL, headers, request body and response mapping.

Each template is rendered with the escaping of what it produces
(``templating.escaping``): the URL as a URL, header values as header values,
request and response templates as JSON.  The outputs are then held to their
contracts (``templating.contracts``).  ``render_request`` and
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
from urllib.parse import quote, quote_plus, urlsplit

from django.core.exceptions import ValidationError

from authorizations.masking import mask_secret
from authorizations.templating import TemplateError
from authorizations.templating.checks import (
    APP_KEYS,
    AUTHORIZATION_KEYS,
    TemplateProblem,
)
from authorizations.templating.contracts import (
    ContractResult,
    check_request_body,
    check_response,
)
from authorizations.templating.environment import prepare_context
from authorizations.templating.escaping import (
    Output,
    check_header_value,
    render_escaped,
)
from authorizations.validators import HTTP_METHODS, validate_header_name

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
_SECRET_HEADER = re.compile(
    r"^(authorization|proxy-authorization|cookie|.*-(key|token|secret))$",
    re.IGNORECASE,
)
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
    if _SPACE_OR_CONTROL(url):
        raise TemplateError(
            f'The URL "{_excerpt(url)}" contains a space or a line break.'
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
    """
    problems: list[TemplateProblem] = []
    warnings: list[TemplateProblem] = []
    request = _request(
        method=method,
        url=url,
        request_template=request_template,
        body_format=body_format,
        headers=headers,
        context=context,
        problems=problems,
        warnings=warnings,
    )
    if problems:
        raise EndpointRenderError(problems)
    request.warnings = [warning.message for warning in warnings]
    return request


def _request(
    *, method, url, request_template, body_format, headers, context, problems, warnings
) -> RenderedRequest:
    """Render every part it can, adding a ``TemplateProblem`` for each failure."""
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
    rendered_url = ""
    try:
        rendered_url = render_url(url, context)
    except TemplateError as error:
        problems.append(_problem("url", error))
    rendered_headers: list[tuple[str, str]] = []
    content_type = None
    for index, header in enumerate(headers):
        name = str(header.get("name") or "").strip()
        source = str(header.get("value") or "")
        if not name and not source.strip():
            continue  # an empty "Add another" row
        try:
            validate_header_name(name)
        except ValidationError as error:
            message = " ".join(error.messages) if name else "The header has no name."
            problems.append(TemplateProblem(f"headers.{index}.name", message))
            continue
        try:
            value = render_header_value(name=name, source=source, context=context)
        except TemplateError as error:
            problems.append(_problem(f"headers.{index}.value", error))
            continue
        rendered_headers.append((name, value))
        if name.lower() == "content-type":
            content_type = value
    body = None
    try:
        output = render_escaped(request_template, context, output=Output.JSON)
    except TemplateError as error:
        problems.append(_problem("request_template", error))
    else:
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
    to render gives a result whose error is the template error.
    """
    try:
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
    when another fails; secrets from the samples are masked everywhere in the
    result, including the ``curl`` command.
    """
    problems: list[TemplateProblem] = []
    warnings: list[TemplateProblem] = []
    inputs = _sample_inputs(samples, problems)
    request = RenderedRequest(method=(method or "").upper(), url="")
    output = ""
    contract = ContractResult(ok=False)
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
        problems.append(TemplateProblem("samples", error.message))
    else:
        request = _request(
            method=method,
            url=url,
            request_template=request_template,
            body_format=body_format,
            headers=headers,
            context=request_context,
            problems=problems,
            warnings=warnings,
        )
        try:
            output = render_escaped(
                response_template, response_context, output=Output.JSON
            )
        except TemplateError as error:
            problems.append(_problem("response_template", error))
            contract = ContractResult(ok=False, errors=[error.message])
        else:
            contract = check_response(kind, output)
            for message in contract.errors:
                problems.append(TemplateProblem("response_template", message))
            for message in contract.warnings:
                warnings.append(TemplateProblem("response_template", message))
    masker = _Masker(inputs)
    shown_headers = [
        [name, masker.header(name, value)] for name, value in request.headers
    ]
    result = {
        "request": {
            "method": request.method,
            "url": request.url,
            "headers": shown_headers,
            "body": request.body,
        },
        "output": output,
        "contract": {
            "ok": contract.ok,
            "values": contract.values,
            "errors": contract.errors,
        },
        "errors": [p.as_dict() for p in problems],
        "warnings": [p.as_dict() for p in warnings],
    }
    result = masker.mask(result)
    result["curl"] = curl_command(result["request"])
    return result


def _sample_inputs(samples, problems: list[TemplateProblem]) -> dict:
    inputs = {"requestBody": {}, "query": {}, "response": None}
    if not isinstance(samples, Mapping):
        problems.append(
            TemplateProblem("samples", "The samples must be a JSON object.")
        )
        return inputs
    for name in inputs:
        value = samples.get(name)
        if isinstance(value, str) and name != "response":
            try:
                value = json.loads(value) if value.strip() else {}
            except json.JSONDecodeError as error:
                problems.append(
                    TemplateProblem(
                        f"samples.{name}",
                        f"The {name} sample is not valid JSON: {error.msg}.",
                        error.lineno,
                        error.colno,
                    )
                )
                continue
        if name == "response":
            inputs[name] = _response_value(value)
        elif value is None:
            continue
        elif isinstance(value, Mapping):
            inputs[name] = dict(value)
        else:
            problems.append(
                TemplateProblem(
                    f"samples.{name}", f"The {name} sample must be a JSON object."
                )
            )
    return inputs


def _response_value(value):
    # A provider reply is given to templates parsed when it is JSON and as
    # text when it is not (DESIGN.md §3).
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
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


class _Masker:
    """Replace every written form of the sample secrets with their mask."""

    # Shorter values would match inside unrelated words; they are masked
    # only where they stand alone.
    MIN_ANYWHERE = 8

    def __init__(self, inputs: dict):
        secrets = set()
        for name, fields in (
            ("requestBody", SECRET_REQUEST_FIELDS),
            ("query", SECRET_QUERY_FIELDS),
            ("response", SECRET_RESPONSE_FIELDS),
        ):
            values = inputs.get(name)
            if not isinstance(values, Mapping):
                continue
            for key in fields:
                value = values.get(key)
                if isinstance(value, str | int) and not isinstance(value, bool):
                    text = str(value)
                    if text.strip():
                        secrets.add(text)
        replacements = {}
        for secret in secrets:
            for form in _written_forms(secret):
                replacements.setdefault(form, mask_secret(secret))
        self.pattern = None
        if replacements:
            alternatives = []
            for form in sorted(replacements, key=len, reverse=True):
                escaped = re.escape(form)
                if len(form) < self.MIN_ANYWHERE:
                    escaped = rf"(?<![A-Za-z0-9]){escaped}(?![A-Za-z0-9])"
                alternatives.append(escaped)
            self.pattern = re.compile("|".join(alternatives))
        self.replacements = replacements

    def text(self, value: str) -> str:
        if self.pattern is None:
            return value
        return self.pattern.sub(lambda m: self.replacements[m.group()], value)

    def header(self, name: str, value: str) -> str:
        if not _SECRET_HEADER.match(name):
            return value
        scheme, _, credentials = value.partition(" ")
        if credentials and scheme.isalpha():  # "Bearer …", "Basic …"
            return f"{scheme} {mask_secret(credentials) or credentials}"
        return mask_secret(value)

    def mask(self, value):
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.mask(item) for item in value]
        if isinstance(value, dict):
            return {key: self.mask(item) for key, item in value.items()}
        return value


def _written_forms(secret: str) -> set[str]:
    """The ways a value can appear once written into a URL, a form or JSON."""
    forms = {
        secret,
        quote(secret, safe="~"),
        quote(secret, safe="!$'()*,;=:@/?~"),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }
    return {form for form in forms if form}


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
