"""Twig 3.5's filters, tests and functions, as name → callable tables.

Filters that Twig compiles with ``pre_escape='html'`` (nl2br, spaceless) carry
``twig_pre_escape = "html"``; filters whose output Twig treats as safe carry
``twig_is_safe`` (a list of strategies, or a callable taking the arguments).
"""

from __future__ import annotations

from . import arrays, dates, encoding, numbers, strings
from .functions import FUNCTIONS
from .sprintf import sprintf
from .tests import TESTS


def _mark(function, *, is_safe=None, pre_escape=None):
    if is_safe is not None:
        function.twig_is_safe = is_safe
    if pre_escape is not None:
        function.twig_pre_escape = pre_escape
    return function


def _escape_is_safe(*args):
    """Mirror twig_escape_filter_is_safe: the strategy, when it is a constant."""
    return [args[0]] if args else ["html"]


FILTERS = {
    # formatting
    "date": dates.date_filter,
    "date_modify": dates.date_modify_filter,
    "format": sprintf,
    "replace": strings.replace,
    "number_format": numbers.number_format,
    "abs": numbers.abs_,
    "round": numbers.round_,
    # encoding
    "url_encode": encoding.url_encode,
    "json_encode": encoding.json_encode,
    "convert_encoding": encoding.convert_encoding,
    # strings
    "title": strings.title,
    "capitalize": strings.capitalize,
    "upper": strings.upper,
    "lower": strings.lower,
    "striptags": strings.striptags,
    "trim": strings.trim,
    "nl2br": _mark(strings.nl2br, is_safe=["html"], pre_escape="html"),
    "spaceless": _mark(strings.spaceless, is_safe=["html"], pre_escape="html"),
    # arrays
    "join": arrays.join,
    "split": strings.split,
    "sort": arrays.sort,
    "merge": arrays.merge,
    "batch": arrays.batch,
    "column": arrays.column,
    "filter": arrays.filter_,
    "map": arrays.map_,
    "reduce": arrays.reduce_,
    # strings or arrays
    "reverse": arrays.reverse,
    "length": arrays.length,
    "slice": arrays.slice_,
    "first": arrays.first,
    "last": arrays.last,
    # other
    "default": arrays.default,
    "keys": arrays.keys,
    "raw": _mark(encoding.raw, is_safe=["all"]),
    "escape": _mark(encoding.escape, is_safe=_escape_is_safe),
    "e": encoding.escape,
}

# Twig's names for the parameters after the filtered value, for named
# arguments (CoreExtension's PHP parameters in snake_case), where the Python
# names differ.  Arguments are passed by position in this order.
PARAMETERS = {
    ("filter", "date"): ("format", "timezone"),
    ("filter", "number_format"): ("decimal", "decimal_point", "thousand_sep"),
    ("filter", "replace"): ("from",),
    ("filter", "json_encode"): ("flags", "depth"),
    ("filter", "convert_encoding"): ("to", "from"),
    ("filter", "striptags"): ("allowable_tags",),
    ("filter", "join"): ("glue", "and"),
    ("filter", "merge"): ("arr2",),
    ("filter", "default"): ("default",),
    ("function", "range"): ("low", "high", "step"),
    ("function", "max"): ("value",),
    ("function", "min"): ("value",),
    ("function", "constant"): ("constant", "object"),
    ("function", "date"): ("date", "timezone"),
    ("function", "random"): ("values", "max"),
    ("test", "divisible by"): ("num",),
}
# Filters and functions that are PHP's own functions in Twig: PHP counts their
# arguments and refuses a wrong count ("range() expects at most 3 arguments,
# 4 given"), where Twig's PHP-written ones ignore the extra arguments.
PHP_FUNCTIONS = {
    ("filter", "abs"): "abs",
    ("filter", "json_encode"): "json_encode",
    ("function", "range"): "range",
    ("function", "max"): "max",
    ("function", "min"): "min",
}
# On a variable or an attribute, Twig compiles "default" into a node of its
# own, which takes no named arguments.
UNNAMED = {("filter", "default")}


def _describe(kind: str, table: dict) -> None:
    for name, function in table.items():
        names = PARAMETERS.get((kind, name))
        if names is not None:
            function.twig_parameters = names
        if (kind, name) in PHP_FUNCTIONS:
            function.twig_php_function = PHP_FUNCTIONS[kind, name]
        if (kind, name) in UNNAMED:
            function.twig_unnamed = True


_describe("filter", FILTERS)
_describe("function", FUNCTIONS)
_describe("test", TESTS)

__all__ = ["FILTERS", "FUNCTIONS", "TESTS"]
