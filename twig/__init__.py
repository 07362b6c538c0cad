"""Twig templates, rendered by one sandboxed Jinja2-based engine.

``compile_template(source)`` compiles (once per distinct source) and
``render(source, context)`` renders a Twig 3.5 template with autoescape and
strict_variables off, exactly as Twig would.  Every failure is a
``TemplateError`` with ``message``, ``line`` and ``column``.

How it works and where the hooks are (printing, limits, timezone): see
``environment``.
"""

from __future__ import annotations

from collections.abc import Mapping

from .environment import TwigEnvironment, TwigTemplate, get_environment
from .errors import TemplateError, TemplateRuntimeError, TemplateSyntaxError

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


__all__ = [
    "Template",
    "TemplateError",
    "TemplateRuntimeError",
    "TemplateSyntaxError",
    "TwigEnvironment",
    "compile_template",
    "get_environment",
    "render",
]
