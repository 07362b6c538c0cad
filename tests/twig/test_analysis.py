"""What a template reads, learnt before it is rendered (``twig.variables_read``).

The console's save-time checks warn about an unknown variable at its line and
column; these tests show which reads they are given.
"""

from __future__ import annotations

import pytest

from twig import TemplateSyntaxError, text_parts, variables_read


def reads(source: str) -> list[tuple]:
    return [(r.root, r.key, r.line, r.column) for r in variables_read(source)]


def test_paths_are_read_in_source_order_with_their_positions():
    assert reads("{{ a.b }}\n{{ c }}{{ d['e'] }}{{ f[g] }}") == [
        ("a", "b", 1, 4),
        ("c", None, 2, 4),
        ("d", "e", 2, 11),
        ("f", None, 2, 23),
        ("g", None, 2, 25),
    ]


@pytest.mark.parametrize(
    "source",
    [
        "{% set x = 1 %}{{ x }}",
        "{% for k, v in {} %}{{ k }}{{ v }}{% endfor %}",
        "{% macro m(x) %}{{ x }}{% endmacro %}",
        "{{ [1]|map(x => x) }}",
        "{% import _self as m %}{{ m.f() }}",
        "{% from _self import f as g %}{{ g() }}",
        "{% with {x: 1} %}{{ x }}{% endwith %}",
        "{% for i in [1] %}{{ loop.index }}{% endfor %}{{ _self }}{{ _context }}",
    ],
)
def test_names_the_template_binds_itself_are_not_reads(source):
    assert reads(source) == []


def test_a_macro_body_is_read_too():
    assert reads("{% macro m() %}{{ app.name }}{% endmacro %}") == [
        ("app", "name", 1, 19)
    ]


def test_a_template_that_does_not_compile_raises_with_its_position():
    with pytest.raises(TemplateSyntaxError) as caught:
        variables_read("{{ a }}\n{{ b|nope }}")
    assert (caught.value.message, caught.value.line) == ('Unknown "nope" filter.', 2)


def test_text_parts_keep_the_text_apart_from_the_code():
    source = "https://{{ host }}/a{% if x %}/b{% endif %}{# c #}?q={{ q }}"
    assert text_parts(source) == ["https://", None, "/a", None, "/b", None, "?q=", None]
