"""The admin's live preview: an endpoint rendered with sample inputs.

Nothing is saved or sent.  The request is rendered as the flows would render
it (``rendering.request``), the sample reply mapped through the response
template and held to its contract, the save-time checks run over the same
templates, and every secret of the samples masked (``authorizations.masking``)
in what is returned.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import twig
from authorizations.masking import SecretMasker, masker_for
from authorizations.plain_data import DataLimitError, check_data, check_text
from authorizations.rendering.checks import TemplateProblem, check_endpoint_templates
from authorizations.rendering.context import template_context
from authorizations.rendering.contracts import ContractResult, check_response
from authorizations.rendering.curl import curl_command
from authorizations.rendering.request import (
    EndpointRender,
    RenderedRequest,
    render_parts,
)
from authorizations.samples import read_json
from twig import Output, TemplateError, render_escaped


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
    command.  ``errors`` and ``warnings`` are the final lists: the rendering's
    and the save-time checks' (``check_endpoint_templates``), each problem once.
    """
    with twig.one_deadline():
        run = EndpointRender()
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
        # The warnings the developer would get on saving, shown while typing.
        check_errors, check_warnings = check_endpoint_templates(
            kind=kind,
            url=url,
            request_template=request_template,
            response_template=response_template,
            # A row that is no mapping is already an error at its index.
            headers=[h if isinstance(h, Mapping) else {} for h in headers or ()],
        )
    masker = masker_for(
        request_body=inputs["requestBody"],
        query=inputs["query"],
        response=inputs["response"],
    )
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
        # The save-time checks' problems quote the templates, not the samples.
        "errors": merge_problems(
            [_shown_problem(p, masker) for p in run.problems],
            [problem.as_dict() for problem in check_errors],
            per_field=True,
        ),
        "warnings": merge_problems(
            [_shown_problem(p, masker) for p in run.warnings],
            [problem.as_dict() for problem in check_warnings],
        ),
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
    request = render_parts(
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


def _problem_key(problem: dict) -> tuple:
    return (problem.get("field"), problem.get("line"), problem.get("message"))


def merge_problems(found: list, extra: list[dict], *, per_field: bool = False) -> list:
    """Append ``extra`` problems to ``found``, skipping ones already there.

    ``per_field``: skip an extra problem whenever ``found`` has one for its
    field (a template that failed to render already says why).
    """
    seen = {_problem_key(p) for p in found}
    fields = {p.get("field") for p in found}
    merged = list(found)
    for problem in extra:
        key = _problem_key(problem)
        if key in seen or (per_field and problem["field"] in fields):
            continue
        seen.add(key)
        merged.append(problem)
    return merged


__all__ = ["merge_problems", "preview_endpoint"]
