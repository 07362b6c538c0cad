"""Errors speak the template's language: never Python's text, always a position.

A template author sees which filter, function or argument is wrong, in a
sentence, with the line and column; a Python exception name, a Python
signature or the generated module's name (``<twig-template>``) never reaches
them.  A call with wrong arguments gets Twig's own words (checked with
``twig-render``; PHP's, for PHP's own functions such as ``range``).
"""

from __future__ import annotations

import itertools
import keyword

import pytest

from twig import (
    TemplateError,
    TemplateRuntimeError,
    TemplateSyntaxError,
    render,
)
from twig.environment import TwigEnvironment
from twig.errors import TemplateInternalError
from twig.library import FILTERS, FUNCTIONS, TESTS

# Text that only Python produces.
PYTHON_TEXT = (
    "<twig-template>",
    "Traceback",
    "invalid syntax",
    "positional argument",
    "keyword argument",
    "required positional",
    "NoneType",
    "object has no attribute",
    "not subscriptable",
    "unhashable",
    "math range error",
    "range_()",
    "TypeError",
    "ValueError",
    "OverflowError",
    "ZeroDivisionError",
    "IndexError",
    "KeyError",
    "AttributeError",
    "UnicodeError",
    "UnicodeEncodeError",
    "UnicodeDecodeError",
    "RecursionError",
    "re.error",
    "regex._regex_core.error",
)


def error_of(source: str, context=None) -> TemplateError:
    with pytest.raises(TemplateError) as caught:
        render(source, context or {})
    return caught.value


def assert_in_words(error: TemplateError) -> None:
    for text in PYTHON_TEXT:
        assert text not in error.message, error.message
    assert not isinstance(error, TemplateInternalError), (
        f"{error.message} (from {error.original!r})"
    )


# --- the calls named in the issue -------------------------------------------------


@pytest.mark.parametrize(
    ("source", "message", "column"),
    [
        ("{{ range() }}", "range() expects at least 2 arguments, 0 given.", 4),
        ("{{ range(1) }}", "range() expects at least 2 arguments, 1 given.", 4),
        (
            "{{ range(1, 3, if=1) }}",
            'Unknown argument "if" for function "range(low, high, step)".',
            18,
        ),
        (
            "{{ range(low=1) }}",
            'Value for argument "high" is required for function "range".',
            4,
        ),
        (
            "{{ range(1, 3, low=2) }}",
            'Argument "low" is defined twice for function "range".',
            19,
        ),
        (
            "{{ range(1, 2, 3, 4) }}",
            "range() expects at most 3 arguments, 4 given.",
            4,
        ),
        (
            "{{ [1]|batch() }}",
            'Value for argument "size" is required for filter "batch".',
            8,
        ),
        (
            "{{ 'a'|split }}",
            'Value for argument "delimiter" is required for filter "split".',
            8,
        ),
        ("{{ max() }}", "max() expects at least 1 argument, 0 given.", 4),
        (
            "{{ '%s'|format(x=1) }}",
            'Unknown argument "x" for filter "format(values)".',
            17,
        ),
        ("{{ 'x'|abs(1) }}", "abs() expects exactly 1 argument, 2 given.", 8),
        (
            "{{ max(1, 2, value=3) }}",
            'Argument "value" is defined twice for function "max".',
            19,
        ),
    ],
)
def test_a_call_with_wrong_arguments_is_refused_when_compiling(source, message, column):
    error = error_of("\n" + source)
    assert isinstance(error, TemplateSyntaxError)
    assert error.message == message
    assert (error.line, error.column) == (2, column)


@pytest.mark.parametrize("name", sorted({*keyword.kwlist, *keyword.softkwlist}))
def test_a_python_keyword_as_an_argument_name_never_becomes_code(name):
    # "if", "from", "and", "class" … are names in Twig, not syntax.
    error = error_of(f"{{{{ range(1, 3, {name}=1) }}}}")
    assert isinstance(error, TemplateSyntaxError)
    assert_in_words(error)
    assert "could not be compiled" not in error.message


def test_named_arguments_take_their_places_as_in_twig():
    # Each checked against real Twig (twig-render).
    cases = {
        "{{ range(low=1, high=3)|join }}": "123",
        "{{ range(high=3, low=1, step=2)|join(',') }}": "1,3",
        "{{ [1, 2, 3]|join(and=' & ', glue=', ') }}": "1, 2 & 3",
        "{{ [1, 2]|slice(1, preserve_keys=true)|json_encode }}": '{"1":2}',
        "{{ 'a,b,c'|split(',', limit=2)|join('|') }}": "a|b,c",
        "{{ 0|date(timezone='UTC', format='Y') }}": "1970",
        "{{ null|default(default='x') }}": "x",
        "{{ '<a>'|e(strategy='js') }}": "\\u003Ca\\u003E",
        "{{ {a: 1}|merge(arr2={b: 2})|json_encode }}": '{"a":1,"b":2}',
        "{{ 3.14159|number_format(decimal=2, decimal_point=',') }}": "3,14",
    }
    for source, expected in cases.items():
        assert render(source, {}) == expected, source


def test_extra_arguments_are_ignored_where_twig_ignores_them():
    # Twig's PHP-written filters take extra arguments silently (twig-render).
    assert render("{{ [1, 2]|join(',', null, 3, 4) }}", {}) == "1,2"
    assert render("{{ 'a'|upper(1) }}", {}) == "A"
    assert render("{{ 1 is same as(1, 2) ? 'y' }}", {}) == "y"


def test_arithmetic_past_the_float_range_gives_phps_results():
    # Twig: INF and 1, not "math range error".
    assert render("{{ 10 ** 1000.5 }} {{ 1|round(400) }} {{ 2.5|round(-400) }}") == (
        "INF 1 0"
    )


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ 1 // 0 }}", "Division by zero."),
        ("{{ 'a' + 'b' }}", "Unsupported operand types: string + string."),
        (
            "{{ 'x'|abs }}",
            'The filter "abs" failed: abs(): Argument #1 ($num) must be of type '
            "int|float, string given.",
        ),
        (
            "{{ [1]|batch(0) }}",
            'The filter "batch" failed: array_chunk(): Argument #2 ($length) must be '
            "greater than 0.",
        ),
        (
            "{{ random(3, 0) }}",
            'The function "random" failed: mt_rand(): Argument #2 ($max) must be '
            "greater than or equal to argument #1 ($min).",
        ),
        (
            "{{ 9223372036854775807|date('Y') }}",
            'The filter "date" failed: The timestamp 9223372036854775807 is outside '
            "the dates that can be shown (years 1 to 9999).",
        ),
        (
            "{{ 'now'|date_modify('+100000000 years')|date }}",
            'The filter "date_modify" failed: The date is outside the dates that can '
            "be shown (years 1 to 9999).",
        ),
        (
            "{{ 0|date('Y', '+99:00') }}",
            'The filter "date" failed: The timezone offset +99:00 is not less than a '
            "day.",
        ),
    ],
)
def test_php_errors_name_the_filter_or_function_not_a_python_class(source, message):
    error = error_of("\n\n" + source)
    assert isinstance(error, TemplateRuntimeError)
    assert error.message == message
    assert (error.line, error.column) == (3, 1)
    assert_in_words(error)


def test_an_unexpected_failure_is_an_internal_error_in_words():
    environment = TwigEnvironment()
    environment.filters["broken"] = lambda value: value["missing"]
    template = environment.compile_twig("\n{{ {a: 1}|broken }}")
    with pytest.raises(TemplateInternalError) as caught:
        template.render({})
    error = caught.value
    assert error.message == 'The filter "broken" could not handle its arguments.'
    assert (error.line, error.column) == (2, 1)
    # The Python exception is kept for the logs and for tests like the sweep.
    assert isinstance(error.original, KeyError)


# --- every filter, function and test with wrong arguments --------------------------

VALUES = (
    "null",
    "true",
    "-1",
    "9223372036854775807",
    "-1000.5",
    "'x'",
    "''",
    "'10'",
    "[]",
    "[1, 'a']",
    "{a: {b: 1}}",
    "date('2024-01-01')",
    "'é€😀'",
    "v => v",
)


def _calls(kind: str, name: str):
    if kind == "filter":
        for value, first in itertools.product(VALUES, repeat=2):
            yield f"{{{{ ({value})|{name} }}}}"
            yield f"{{{{ ({value})|{name}({first}) }}}}"
            yield f"{{{{ ({value})|{name}({first}, {value}) }}}}"
        yield f"{{{{ 'x'|{name}(1, 2, 3, 4, 5) }}}}"
    elif kind == "function":
        yield f"{{{{ {name}() }}}}"
        for first, second in itertools.product(VALUES, repeat=2):
            yield f"{{{{ {name}({first}) }}}}"
            yield f"{{{{ {name}({first}, {second}) }}}}"
            yield f"{{{{ {name}({second}, {first}, {second}) }}}}"
        yield f"{{{{ {name}(1, 2, 3, 4, 5) }}}}"
    else:
        for value, argument in itertools.product(VALUES, repeat=2):
            yield f"{{{{ ({value}) is {name}({argument}) ? 1 }}}}"
            yield f"{{{{ ({value}) is {name} ? 1 }}}}"


def _callables():
    for kind, table in (("filter", FILTERS), ("function", FUNCTIONS), ("test", TESTS)):
        for name in table:
            yield pytest.param(kind, name, id=f"{kind}-{name.replace(' ', '-')}")


@pytest.mark.parametrize(("kind", "name"), list(_callables()))
def test_every_callable_answers_wrong_arguments_in_words(kind, name):
    for source in _calls(kind, name):
        try:
            render(source, {})
        except TemplateError as error:
            assert_in_words(error)
            assert error.line == 1, (source, error.message)
