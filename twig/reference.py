"""How real Twig (``twig-render``, PHP) reports what this engine does.

For tools that compare the engine with the reference renderer: the message
and error class Twig prints for a failure, and the PHP notices ("Array to
string conversion") a render raised.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from . import php
from .errors import TemplateError, TemplateSyntaxError

# PHP's Error classes escape Twig unwrapped; its Exceptions Twig wraps in a
# RuntimeError ("An exception has been thrown during the rendering …").
PHP_ERROR_CLASSES = frozenset(
    {
        "Error",
        "TypeError",
        "ValueError",
        "ArgumentCountError",
        "ArithmeticError",
        "DivisionByZeroError",
    }
)


def twig_report(error: TemplateError) -> tuple[str, str]:
    """Return the message and error class Twig reports for ``error``."""
    php_class = getattr(error, "php_class", None)
    if php_class in PHP_ERROR_CLASSES:  # a PHP function's refusal, unwrapped
        return f"{php_class}: {error.message.rstrip('.')}", php_class
    if isinstance(error, TemplateSyntaxError):
        return error.twig_message(), "Twig\\Error\\SyntaxError"
    cause = error.__cause__
    if isinstance(cause, php.PhpError) and not isinstance(cause, php.TwigRuntimeError):
        if cause.php_class in PHP_ERROR_CLASSES:
            return f"{cause.php_class}: {cause}", cause.php_class
        wrapped = TemplateError(
            "An exception has been thrown during the rendering of a template "
            f'("{cause}")',
            line=error.line,
        )
        return wrapped.twig_message(), "Twig\\Error\\RuntimeError"
    return error.twig_message(), "Twig\\Error\\RuntimeError"


@contextlib.contextmanager
def collecting_notices() -> Iterator[list[str]]:
    """Collect the PHP notices renders raise inside the block, in a list."""
    collected: list[str] = []
    token = php.notices.set(collected)
    try:
        yield collected
    finally:
        php.notices.reset(token)


__all__ = ["collecting_notices", "twig_report"]
