"""The errors of the twig package: one base, a message a user can act on."""

from __future__ import annotations


class TemplateError(Exception):
    """A template failed to compile or render.

    ``message`` is a plain sentence; ``line`` and ``column`` point into the
    template source (1-based) when they are known.
    """

    def __init__(self, message: str, *, line: int | None = None, column=None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        where = f"line {self.line}"
        if self.column is not None:
            where += f", column {self.column}"
        return f"{self.message} ({where})"

    def twig_message(self, template_name: str = "template") -> str:
        """Word the error as Twig does: 'Message in "template" at line N.'."""
        text = self.message
        if self.line is None:
            return text
        # Twig puts the place before the final "." or "?" (Error::updateRepr).
        end = "?" if text.endswith("?") else "."
        if text.endswith((".", "?")):
            text = text[:-1]
        return f'{text} in "{template_name}" at line {self.line}{end}'


class TemplateSyntaxError(TemplateError):
    """The template source is not valid Twig (raised when compiling)."""


class TemplateRuntimeError(TemplateError):
    """The template compiled but failed while rendering."""


class TemplateInternalError(TemplateRuntimeError):
    """The engine failed on a value it should have handled: a bug to report.

    The message stays in the template's words; ``original`` keeps the Python
    exception for the logs and the tests.
    """

    def __init__(self, message: str, original: BaseException, **position):
        super().__init__(message, **position)
        self.original = original


def internal_error(
    original: BaseException, *, kind: str | None = None, name: str | None = None
) -> TemplateInternalError:
    """Word an unexpected exception of the engine without Python's text."""
    if kind is None:
        message = "The template failed on a value it could not handle."
    else:
        message = f'The {kind} "{name}" could not handle its arguments.'
    return TemplateInternalError(message, original)
