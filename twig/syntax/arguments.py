"""Bind the arguments of a filter, function or test call when compiling.

Twig resolves named arguments at compile time, against the PHP parameters
of the callable (CoreExtension's names in snake_case): ``range(low=1,
high=3)``, ``join(', ', and=' and ')``.  The same happens here, so the
generated Python only ever passes arguments by position: a name written in
a template (``if``, ``and``, ``from``) never becomes Python code.

A call that cannot work is refused with its line and column, as Twig does for
named arguments: an unknown or repeated name, or a required argument that is
missing.  Too many positional arguments are an error only for callables that
are PHP's own functions (``range``, ``abs``: "expects at most 3 arguments");
Twig's PHP-written filters ignore the extra ones, and so do these.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect

from jinja2.utils import _PassArg

from ..errors import TemplateSyntaxError
from . import nodes as n

_MISSING = object()


@dataclasses.dataclass(frozen=True, slots=True)
class Signature:
    """The Twig parameters of a callable, after the filtered or tested value."""

    names: tuple[str, ...]
    defaults: tuple  # one per name; _MISSING where the argument is required
    variadic: bool  # takes any number of further positional arguments
    counted: bool  # more positional arguments than names is an error

    def describe(self) -> str:
        return ", ".join([*self.names, "…"] if self.variadic else self.names)


@functools.lru_cache(maxsize=256)
def signature_of(function, kind: str) -> Signature:
    """Read a library callable's Twig signature (see ``library.PARAMETERS``)."""
    parameters = list(inspect.signature(function).parameters.values())
    if _PassArg.from_obj(function) is not None:
        parameters = parameters[1:]
    if kind in ("filter", "test") and parameters:
        parameters = parameters[1:]  # the value before the | or "is"
    variadic = any(p.kind is p.VAR_POSITIONAL for p in parameters)
    positional = [
        p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    names = getattr(function, "twig_parameters", None)
    if names is None:
        names = tuple(p.name for p in positional)
    defaults = tuple(
        p.default if p.default is not p.empty else _MISSING for p in positional
    )
    # A variadic PHP function may still require its first value (max, min).
    defaults += (_MISSING,) * (len(names) - len(defaults))
    return Signature(
        names=tuple(names),
        defaults=defaults[: len(names)],
        variadic=variadic,
        counted=bool(getattr(function, "twig_counts_arguments", False)),
    )


def _label(kind: str, name: str) -> str:
    return f'The {kind} "{name}"'


def bind(function, call, *, kind: str, name: str) -> list:
    """Return the argument nodes of ``call`` in positional order.

    Named arguments take their parameter's place; an optional parameter
    skipped before one given by name gets its default value.
    """
    args, keywords = list(call.args), list(call.kwargs)
    if function is None:
        return args
    signature = signature_of(function, kind)
    label = _label(kind, name)
    count = len(signature.names)
    if not signature.variadic and len(args) > count:
        if signature.counted:
            takes = {0: "no arguments", 1: "at most 1 argument"}.get(
                count, f"at most {count} arguments"
            )
            raise _fail(f"{label} takes {takes}, {len(args)} given.", call)
        args = args[:count]
    if not keywords:
        for position in range(len(args), count):
            if signature.defaults[position] is _MISSING:
                raise _missing(label, signature.names[position], call)
        return args
    bound: list = args + [_MISSING] * (count - len(args))
    for keyword in keywords:
        if not signature.names:
            raise _fail(f"{label} takes no named arguments.", keyword)
        if keyword.key not in signature.names:
            raise _fail(
                f'{label} has no argument named "{keyword.key}" '
                f"(it takes {signature.describe()}).",
                keyword,
            )
        position = signature.names.index(keyword.key)
        if position < len(args) or bound[position] is not _MISSING:
            raise _fail(f'{label} got its "{keyword.key}" argument twice.', keyword)
        bound[position] = keyword.value
    last = max(i for i, value in enumerate(bound) if value is not _MISSING)
    for position in range(count):
        if bound[position] is not _MISSING:
            continue
        default = signature.defaults[position]
        if default is _MISSING:
            raise _missing(label, signature.names[position], call)
        if position < last:
            bound[position] = n.Const(default, lineno=call.lineno, col=call.col)
    return bound[: last + 1]


def _missing(label: str, parameter: str, node) -> TemplateSyntaxError:
    return _fail(f'{label} needs its "{parameter}" argument.', node)


def _fail(message: str, node) -> TemplateSyntaxError:
    return TemplateSyntaxError(
        message, line=node.lineno or None, column=getattr(node, "col", None)
    )
