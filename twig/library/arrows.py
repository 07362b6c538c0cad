"""Call Twig arrow functions with as many arguments as they declare.

PHP closures silently ignore extra arguments, so ``map(v => v)`` gets only
the value while ``map((v, k) => ...)`` also gets the key.
"""

from __future__ import annotations

import inspect


def arity(function) -> int | None:
    """Return how many positional arguments ``function`` takes (None: any)."""
    declared = getattr(function, "__twig_arity__", None)
    if declared is not None:
        return declared
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return None
    count = 0
    for parameter in parameters:
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            return None
        if parameter.kind in (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
        ):
            count += 1
    return count


def caller(function):
    """Return a callable that passes ``function`` only the arguments it takes."""
    if not callable(function):
        from ..php import TwigRuntimeError

        raise TwigRuntimeError("The argument must be an arrow function.")
    count = arity(function)
    if count is None:
        return function
    return lambda *args: function(*args[:count])
