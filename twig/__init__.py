"""Twig 3.5 templates, rendered by one sandboxed Jinja2-based engine.

The package knows nothing of Django or of the console; this module is its
whole public interface, and code outside ``twig`` imports only from here.

Compiling and rendering (autoescape and strict_variables off, as Twig's
defaults):

* ``compile_template(source)`` compiles once per distinct source and returns
  a ``Template``; ``template.render(context, timezone=...)`` renders it.
* ``render(source, context)`` does both.
* ``prepare_context(context)`` checks a context once (plain data only) to
  render several templates with it.

Rendering into a document (contextual escaping): ``render_escaped(source,
context, output=Output.JSON)`` escapes each printed value for its place in a
JSON body, a URL, a form body, a header value or plain text (``Output``);
``check_header_value`` refuses a header value that would split a request.

Limits: every compile and render is bounded (time, output, memory, size,
nesting).  ``bounds(**changes)`` changes the bounds for a block of code,
``current_limits()`` returns those in force, ``one_deadline()`` makes several
renders share one time limit.  A bound reached raises ``TemplateLimitError``.
The memory bound holds in resident memory once the serving process has called
``return_large_blocks_to_the_system()`` (a setting of the whole process).

Errors: every failure is a ``TemplateError`` (``TemplateSyntaxError`` when
compiling, ``TemplateRuntimeError`` when rendering) with ``message``,
``line`` and ``column``, worded for the template's author.

Save-time checks: ``variables_read(source)`` lists the context variables a
template reads, with their positions; ``text_parts(source)`` its literal
text apart from its code.

Caches: ``compile_count()`` counts the compiles so far (a steady state
compiles nothing); ``clear_caches()`` forgets every compiled template.

Comparing with real Twig: ``twig_report(error)`` words an error as Twig
reports it, and ``collecting_notices()`` collects PHP's notices.
"""

from __future__ import annotations

from collections.abc import Mapping

from .analysis import TWIG_NAMES, VariableRead, text_parts, variables_read
from .environment import (
    PreparedContext,
    TwigEnvironment,
    TwigTemplate,
    get_environment,
    prepare_context,
)
from .errors import (
    TemplateError,
    TemplateInternalError,
    TemplateRuntimeError,
    TemplateSyntaxError,
)
from .escaping import (
    Output,
    check_header_value,
    compile_escaped,
    get_escaping_environment,
    render_escaped,
)
from .limits import (
    CACHE_SOURCE,
    Limits,
    TemplateLimitError,
    bounds,
    current_limits,
    one_deadline,
    return_large_blocks_to_the_system,
)
from .reference import collecting_notices, twig_report

Template = TwigTemplate


def compile_template(source: str, *, strict: bool = False) -> TwigTemplate:
    """Compile Twig source; raise ``TemplateSyntaxError`` when it is invalid."""
    return get_environment().compile_twig(source, strict=strict)


def render(
    source: str,
    context: Mapping | None = None,
    *,
    strict: bool = False,
    timezone: str | None = None,
) -> str:
    """Render Twig source with plain data (dicts, lists, text, numbers, null)."""
    return compile_template(source, strict=strict).render(
        context or {}, timezone=timezone
    )


def compile_count() -> int:
    """Return how many sources were compiled (cache misses) since start."""
    return get_environment().compiles + get_escaping_environment().compiles


def clear_caches() -> None:
    """Forget every compiled template, to measure compiling from cold."""
    get_environment().clear_cache()
    get_escaping_environment().clear_cache()


__all__ = [
    "CACHE_SOURCE",
    "TWIG_NAMES",
    "Limits",
    "Output",
    "PreparedContext",
    "Template",
    "TemplateError",
    "TemplateInternalError",
    "TemplateLimitError",
    "TemplateRuntimeError",
    "TemplateSyntaxError",
    "TwigEnvironment",
    "VariableRead",
    "bounds",
    "check_header_value",
    "clear_caches",
    "collecting_notices",
    "compile_count",
    "compile_escaped",
    "compile_template",
    "current_limits",
    "return_large_blocks_to_the_system",
    "get_environment",
    "one_deadline",
    "prepare_context",
    "render",
    "render_escaped",
    "text_parts",
    "twig_report",
    "variables_read",
]
