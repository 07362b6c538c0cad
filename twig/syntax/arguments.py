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
    variadic: str | None  # the name of the further positional arguments, if any
    php_function: str | None  # PHP's own function: PHP counts the arguments
    leading: int  # arguments PHP counts before these (the filtered value)

    def describe(self) -> str:
        """Return the names as Twig lists them: ``date(format, timezone)``."""
        return ", ".join([*self.names, self.variadic] if self.variadic else self.names)


@functools.lru_cache(maxsize=256)
def signature_of(function, kind: str) -> Signature:
    """Read a library callable's Twig signature (see ``library.PARAMETERS``)."""
    parameters = list(inspect.signature(function).parameters.values())
    if _PassArg.from_obj(function) is not None:
        parameters = parameters[1:]
    leading = 0
    if kind in ("filter", "test") and parameters:
        parameters = parameters[1:]  # the value before the | or "is"
        leading = 1
    variadic = next((p.name for p in parameters if p.kind is p.VAR_POSITIONAL), None)
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
        php_function=getattr(function, "twig_php_function", None),
        leading=leading,
    )


def bind(function, call, *, kind: str, name: str) -> list:
    """Return the argument nodes of ``call`` in positional order.

    Named arguments take their parameter's place; an optional parameter
    skipped before one given by name gets its default value.  The checks and
    their messages are Twig 3.5's (``CallExpression::getArguments``), and for
    PHP's own functions PHP's ("range() expects at least 2 arguments").
    """
    args, keywords = list(call.args), list(call.kwargs)
    if function is None:
        return args
    signature = signature_of(function, kind)
    if keywords and (kind == "test" or _unnamed(function, call)):
        # Twig compiles these with nodes of their own that take no names;
        # Twig 3.5 fails on them while compiling.
        raise _fail(f'Named arguments are not supported for {kind} "{name}".', call)
    count = len(signature.names)
    if signature.php_function is not None and not keywords:
        _count_php_arguments(signature, len(args), call)
    if not signature.variadic and len(args) > count:
        args = args[:count]  # Twig's PHP-written callables ignore the rest
    if not keywords:
        for position in range(len(args), count):
            if signature.defaults[position] is _MISSING:
                raise _required(signature.names[position], kind, name, call)
        return args
    named = {}
    for keyword in keywords:
        if keyword.key in named or keyword.key in signature.names[: len(args)]:
            raise _fail(
                f'Argument "{keyword.key}" is defined twice for {kind} "{name}".',
                keyword,
            )
        named[keyword.key] = keyword
    bound: list = args + [_MISSING] * (count - len(args))
    for position in range(len(args), count):
        keyword = named.pop(signature.names[position], None)
        if keyword is not None:
            bound[position] = keyword.value
        elif signature.defaults[position] is _MISSING:
            raise _required(signature.names[position], kind, name, call)
    extra = named.pop(signature.variadic, None) if signature.variadic else None
    if named:
        unknown = list(named)
        plural = "s" if len(unknown) > 1 else ""
        listed = '", "'.join(unknown)
        raise _fail(
            f'Unknown argument{plural} "{listed}" for {kind} '
            f'"{name}({signature.describe()})".',
            named[unknown[0]],
        )
    given = [i for i, value in enumerate(bound) if value is not _MISSING]
    last = max(given) if given else -1
    for position in range(last):
        if bound[position] is _MISSING:
            default = signature.defaults[position]
            bound[position] = n.Const(default, lineno=call.lineno, col=call.col)
    bound = bound[: last + 1]
    if extra is not None:
        bound.append(extra.value)
    return bound


def _unnamed(function, call) -> bool:
    """Whether Twig compiles this call into a DefaultFilter: ``name|default``."""
    return getattr(function, "twig_unnamed", False) and isinstance(
        getattr(call, "node", None), n.Name | n.GetAttr
    )


def _count_php_arguments(signature: Signature, given: int, call) -> None:
    """Refuse a call PHP would refuse, in PHP's words."""
    most = signature.leading + len(signature.names)
    least = signature.leading + sum(
        1 for default in signature.defaults if default is _MISSING
    )
    given += signature.leading
    if signature.variadic:
        most = None
    if least <= given and (most is None or given <= most):
        return
    if most == least:
        bound, limit = "exactly", least
    elif given < least:
        bound, limit = "at least", least
    else:
        bound, limit = "at most", most
    plural = "" if limit == 1 else "s"
    error = _fail(
        f"{signature.php_function}() expects {bound} {limit} argument{plural}, "
        f"{given} given.",
        call,
    )
    # Refused here, before rendering; PHP refuses it when the call runs.
    error.php_class = "ArgumentCountError"
    raise error


def _required(parameter: str, kind: str, name: str, node) -> TemplateSyntaxError:
    return _fail(
        f'Value for argument "{parameter}" is required for {kind} "{name}".', node
    )


def _fail(message: str, node) -> TemplateSyntaxError:
    return TemplateSyntaxError(
        message, line=node.lineno or None, column=getattr(node, "col", None)
    )
