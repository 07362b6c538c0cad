"""Map a provider's reply through an endpoint's response template.

The template is rendered as JSON (``twig.escaping``) and its output held to
the contract of the endpoint's kind (``rendering.contracts``): a user info
endpoint names the user, a token endpoint gives a token.
"""

from __future__ import annotations

from collections.abc import Mapping

import twig
from authorizations.rendering.context import endpoint_context
from authorizations.rendering.contracts import ContractResult, check_response
from twig import Output, TemplateError, render_escaped


def render_response(
    *, kind: str, response_template: str, context: Mapping, now=None
) -> tuple[str, ContractResult]:
    """Render a response template (as JSON) and check it against its kind's contract.

    Return the output text and the ``ContractResult``; a template that fails
    to render gives a result whose error is the template error.  Called
    within ``twig.one_deadline()`` (with the request), it shares its limit.
    """
    try:
        with twig.one_deadline():
            output = render_escaped(response_template, context, output=Output.JSON)
    except TemplateError as error:
        return "", ContractResult(ok=False, errors=[str(error)])
    return output, check_response(kind, output, now=now)


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


__all__ = ["render_endpoint_response", "render_response"]
