"""The public API: compile once, render plain data, every failure a TemplateError."""

from __future__ import annotations

import pytest

import twig
from twig import (
    TemplateError,
    TemplateSyntaxError,
    compile_template,
    get_environment,
    render,
)
from twig.environment import (
    PreparedContext,
    TwigEnvironment,
    prepare_context,
)


def test_render_prints_like_twig():
    assert (
        render(
            "{{ a }}|{{ b }}|{{ c }}|{{ d }}",
            {"a": True, "b": None, "c": 2.0, "d": [1]},
        )
        == "1||2|Array"
    )


def test_compile_is_cached_per_source():
    source = "{{ cached_once }}"
    assert compile_template(source) is compile_template(source)
    assert compile_template(source) is not compile_template(source + " ")


def test_cache_is_bounded():
    environment = TwigEnvironment(cache_size=2)
    first = environment.compile_twig("{{ 1 }}")
    environment.compile_twig("{{ 2 }}")
    environment.compile_twig("{{ 3 }}")
    assert environment.compile_twig("{{ 1 }}") is not first


def test_one_environment_per_process():
    assert get_environment() is get_environment()
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    assert isinstance(get_environment(), ImmutableSandboxedEnvironment)
    assert get_environment().autoescape is False


def test_syntax_error_has_message_line_and_column():
    with pytest.raises(TemplateSyntaxError) as caught:
        compile_template("line one\n\n  {{ value|no_such_filter }}")
    error = caught.value
    assert error.message == 'Unknown "no_such_filter" filter.'
    assert (error.line, error.column) == (3, 12)
    assert "line 3, column 12" in str(error)


@pytest.mark.parametrize(
    "source",
    [
        "{{ 'b' if a else 'c' }}",
        "{{ a|safe }}",
        "{% raw %}{% endraw %}",
        "{% for x in xs if x %}{% endfor %}",
        "{% filter upper %}{% endfilter %}",
        "{% spaceless %}{% endspaceless %}",
        "{{ 6 is divisibleby(3) }}",
        "{{ 1 is sameas(1) }}",
        "{% macro kv(a) %}{% endmacro %}{{ kv(1) }}",
        "{% set ns = namespace() %}",
        "{% with x = 1 %}{% endwith %}",
        "{% include 'other' %}",
        "{{ unclosed",
        "{{ 'unclosed string }}",
        "{% if a %}never closed",
    ],
)
def test_jinja_only_and_broken_syntax_raise(source):
    with pytest.raises(TemplateSyntaxError) as caught:
        compile_template(source)
    assert caught.value.message
    assert caught.value.line == 1


def test_runtime_error_points_at_its_line():
    with pytest.raises(TemplateError) as caught:
        render("first\n{% for i in [1] %}\n  {{ i / 0 }}\n{% endfor %}", {})
    assert caught.value.message == "Division by zero."
    assert caught.value.line == 3
    assert caught.value.column == 3


def test_twig_message_wording():
    error = TemplateSyntaxError('Unknown "x" filter.', line=2, column=4)
    assert error.twig_message() == 'Unknown "x" filter in "template" at line 2.'


def test_strict_variables_raise_but_defined_and_coalesce_do_not():
    with pytest.raises(TemplateError, match='Variable "nope" does not exist'):
        render("{{ nope }}", {}, strict=True)
    with pytest.raises(TemplateError, match='Key "b" does not exist'):
        render("{{ a.b }}", {"a": {}}, strict=True)
    source = "{{ x ?? 1 }}{{ y.z is defined ? 'd' : 'u' }}{{ q|default(2) }}"
    assert render(source, {}, strict=True) == "1u2"


def test_context_refuses_objects():
    class Secret:
        def __str__(self):
            return "leaked"

    with pytest.raises(TemplateError, match="Secret"):
        render("{{ s }}", {"s": Secret()})
    with pytest.raises(TemplateError):
        render("{{ s.x }}", {"s": {"x": object()}})
    with pytest.raises(TemplateError):
        render("{{ s }}", ["not", "a", "mapping"])


def test_context_converts_tuples_and_numeric_keys():
    data = {"t": (1, 2), "m": {"1": "one", "x": (3,)}}
    assert render("{{ t|join(',') }}|{{ m[1] }}|{{ m.x[0] }}", data) == "1,2|one|3"
    assert (
        render("{% for k, v in m %}{{ k is same as(1) ? 'int' }}{% endfor %}", data)
        == "int"
    )


def test_render_does_not_touch_the_callers_data():
    data = {"a": 1, "items": [1, 2]}
    render("{% set a = 2 %}{% set items = items|merge([3]) %}", data)
    assert data == {"a": 1, "items": [1, 2]}


def test_prepared_context_is_checked_once_and_reused():
    prepared = prepare_context({"a": {"b": "c"}})
    assert isinstance(prepared, PreparedContext)
    assert prepare_context(prepared) is prepared
    assert render("{{ a.b }}", prepared) == "c"
    assert render("{% set a = 1 %}{{ a }}", prepared) == "1"
    assert prepared["a"] == {"b": "c"}


def test_timezone_reaches_the_date_filter():
    source = "{{ 0|date('H:i T') }}"
    assert render(source, {}) == "00:00 UTC"
    assert render(source, {}, timezone="Europe/Paris") == "01:00 CET"
    assert get_environment().timezone == "UTC"


def test_compiles_counts_cache_misses_only():
    environment = TwigEnvironment(cache_size=2)
    environment.compile_twig("{{ a }}")
    environment.compile_twig("{{ a }}")
    environment.compile_twig("{{ b }}")
    assert environment.compiles == 2
    environment.compile_twig("{{ c }}")  # evicts "{{ a }}"
    environment.compile_twig("{{ a }}")
    assert environment.compiles == 4


def test_a_render_may_use_its_own_printer():
    template = TwigEnvironment().compile_twig("{{ a }}-{{ b }}")
    printed = template.render(
        {"a": 1, "b": "x"}, printer=lambda value, site: f"<{value}@{site}>"
    )
    assert printed == "<1@0>-<x@1>"
    assert template.render({"a": 1, "b": "x"}) == "1-x"


def test_a_steady_state_compiles_nothing_until_the_caches_are_cleared():
    source = "{{ 'compile count'|upper }}"
    twig.render(source)
    twig.render_escaped(source, {}, output=twig.Output.JSON)
    before = twig.compile_count()
    twig.render(source)
    twig.render_escaped(source, {}, output=twig.Output.JSON)
    assert twig.compile_count() == before
    twig.clear_caches()
    twig.render(source)
    twig.render_escaped(source, {}, output=twig.Output.JSON)
    assert twig.compile_count() == before + 2
