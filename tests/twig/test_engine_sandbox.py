"""Templates reach data, never Python: no attributes, methods or internals."""

from __future__ import annotations

import pytest

from twig import TemplateError, render

DATA = {"s": "text", "m": {"k": "v"}, "items": [1, 2]}


@pytest.mark.parametrize(
    "source",
    [
        "{{ s.__class__ }}",
        "{{ s.__class__.__mro__ }}",
        "{{ m.__class__.__subclasses__() }}",
        "{{ attribute(s, '__class__') }}",
        "{{ m.items() }}",
        "{{ m.keys }}",
        "{{ s.upper() }}",
        "{{ s.format('x') }}",
        "{{ items.append(3) }}{{ items|length }}",
        "{{ _context.__class__ }}",
        "{{ range.__globals__ }}",
        "{{ environment }}",
        "{{ rs }}",
        "{{ c }}",
    ],
)
def test_python_internals_are_unreachable(source):
    output = render(source, DATA)
    assert "class" not in output and "function" not in output
    assert output in ("", "2")


def test_context_variable_prints_as_an_array():
    assert (
        render("{{ _context }}|{{ _self }}|{{ _charset }}", DATA)
        == "Array|template|UTF-8"
    )


def test_names_never_reach_generated_locals():
    # Variable names compile to context lookups, not to Python names.
    assert render("{% set out = 'x' %}{{ out }}{% set w = 1 %}{{ w }}", {}) == "x1"


def test_deep_nesting_is_an_error_not_a_crash():
    source = "{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}"
    with pytest.raises(TemplateError):
        render(source, {})
