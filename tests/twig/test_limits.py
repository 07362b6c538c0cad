"""Every compile and render is bounded, and ends past its bound with a clear error.

No test asserts an absolute time (machines here are noisy): each case must end
with its error, within a generous hang guard, and a normal render must work
right after it (the process is unharmed).  Cases that spend the time limit use
a short one through ``limits.bounds`` except the one that checks the default.
"""

from __future__ import annotations

import threading
import time

import pytest

from twig import (
    TemplateError,
    TemplateRuntimeError,
    TemplateSyntaxError,
    compile_template,
    limits,
    render,
    variables_read,
)
from twig.environment import TwigEnvironment
from twig.escaping import Output, render_escaped
from twig.limits import KiB, MiB, TemplateLimitError

HANG_GUARD = 30  # seconds; far above any bound, only there to fail a hang


@pytest.fixture(autouse=True)
def process_still_serves():
    yield
    # After every case, the engine still renders normally.
    assert render("{{ a ~ '-' ~ (b|upper) }}", {"a": 1, "b": "ok"}) == "1-OK"


def fails_with(limit: str, source: str, context=None, **bounds) -> TemplateLimitError:
    start = time.monotonic()
    with limits.bounds(**bounds), pytest.raises(TemplateLimitError) as caught:
        render(source, context or {})
    assert time.monotonic() - start < HANG_GUARD
    error = caught.value
    assert error.limit == limit, error.message
    assert error.message.startswith(f"The template exceeded its {limit} limit (")
    return error


# --- time -------------------------------------------------------------------------


def test_nested_loops_stop_at_the_default_time_limit():
    error = fails_with(
        "time",
        "{% for a in 1..100000 %}{% for b in 1..100000 %}{% endfor %}{% endfor %}",
    )
    assert error.message == "The template exceeded its time limit (2 s)."
    assert isinstance(error, TemplateRuntimeError)
    assert error.line == 1


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            "{% set a = range(1, 1000) %}{{ a|map(x => a|map(y => a|map(z => 1)))"
            "|length }}",
            id="nested-arrow-functions",
        ),
        pytest.param(
            "{% set a = range(1, 1000) %}"
            "{{ a|filter(x => a|filter(y => a|filter(z => 1)))|length }}",
            id="nested-filters",
        ),
        pytest.param(
            "{{ range(1, 1000000)|sort((p, q) => q <=> p)|first }}"
            "{{ range(1, 1000000)|sort((p, q) => p <=> q)|first }}",
            id="sort-with-arrow",
        ),
        pytest.param(
            "{% for i in 1..1000 %}{{ range(1, 1000000)|sort|length }}{% endfor %}",
            id="giant-sort",
        ),
        pytest.param(
            # Rows that differ only at their end: each comparison walks a row.
            "{% set row = range(1, 1000) %}"
            "{{ range(1, 1000)|map(x => row|merge([x * 7919 % 1000]))|sort|length }}",
            id="sort-of-long-rows",
        ),
        pytest.param(
            # Each comparison of the long list with an empty one lists the
            # long one's items: 100,000 times.
            "{% set big = range(1, 300000) %}"
            "{{ max([big]|merge(range(1, 100000)|map(x => [])))|length }}",
            id="max-of-a-long-list-and-empty-ones",
        ),
        pytest.param(
            "{% macro f(n) %}{% if n < 60 %}{{ _self.f(n + 1) }}{{ _self.f(n + 1) }}"
            "{% endif %}{% endmacro %}{{ _self.f(0) }}",
            id="exponential-macro",
        ),
        pytest.param(
            "{% set big = range(1, 1000000) %}"
            + "{% if -1 in big %}{% endif %}" * 2000,
            id="straight-line-array-scans",
        ),
        pytest.param(
            "{% set big = range(1, 300000) %}" + "{{ big == big ? 1 : 0 }}" * 2000,
            id="straight-line-array-comparisons",
        ),
        pytest.param(
            "{% set big = range(1, 300000) %}"
            + "{{ (big|reduce((c, v) => c + v, 0)) > 0 }}" * 100,
            id="reduce",
        ),
        pytest.param(
            "{% for a in 1..1000000 %}{% if a is odd %}{% set x = a %}{% endif %}"
            "{% endfor %}" * 50,
            id="many-loops",
        ),
        pytest.param(
            "{% set items = range(1, 100000) %}{% for a in items %}{% for b in items %}"
            "{{ b == -1 ? b : '' }}{% endfor %}{% endfor %}",
            id="nested-loops-over-data",
        ),
    ],
)
def test_long_work_stops_at_the_time_limit(source):
    # Room in memory for the work, so that time is the bound these reach.
    error = fails_with("time", source, time=0.3, memory=512 * MiB)
    assert error.message == "The template exceeded its time limit (0.3 s)."


def test_a_regex_that_backtracks_catastrophically_stops_at_the_time_limit():
    # (a|aa)+$ against 40 a's and a b tries every way to split the a's (about
    # 10**8): many seconds, all inside one match call.
    start = time.monotonic()
    error = fails_with(
        "time",
        "{{ subject matches '/^(a|aa)+$/' }}",
        {"subject": "a" * 40 + "b"},
        time=0.3,
    )
    assert error.message == "The template exceeded its time limit (0.3 s)."
    assert time.monotonic() - start < 5


def test_every_loop_of_a_render_shares_one_deadline():
    source = "{% for i in 1..1000000 %}{% endfor %}" * 60
    fails_with("time", source, time=0.3)


def test_renders_in_other_threads_are_not_slowed_or_stopped():
    results = []

    def normal_renders():
        for _ in range(200):
            results.append(render("{% for i in 1..20 %}{{ i }}{% endfor %}", {}))

    thread = threading.Thread(target=normal_renders)
    thread.start()
    fails_with(
        "time",
        "{% for a in 1..1000000 %}{% for b in 1..1000000 %}{% endfor %}{% endfor %}",
        time=0.5,
    )
    thread.join(HANG_GUARD)
    assert len(results) == 200
    assert set(results) == {"".join(str(i) for i in range(1, 21))}


# --- memory -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            "{% set s = 'x' %}{% for i in 1..40 %}{% set s = s ~ s %}{% endfor %}"
            "{{ s|length }}",
            id="string-doubling",
        ),
        pytest.param(
            "{% set s %}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx{% endset %}"
            "{% for i in 1..40 %}{% set s %}{{ s }}{{ s }}{% endset %}{% endfor %}",
            id="capture-doubling",
        ),
        pytest.param(
            "{% set l = [1] %}{% for i in 1..40 %}{% set l = l|merge(l) %}{% endfor %}"
            "{{ l|length }}",
            id="list-doubling",
        ),
        pytest.param("{{ '%1000000000s'|format('x')|length }}", id="format-width"),
        pytest.param("{{ '%.1000000000f'|format(1)|length }}", id="format-precision"),
        pytest.param("{{ '%*s'|format(1000000000, 'x')|length }}", id="format-star"),
        pytest.param("{{ 1|number_format(1000000000)|length }}", id="number-format"),
        pytest.param("{{ range(1, 10**12)|length }}", id="huge-range"),
        pytest.param("{% for i in 1..10**12 %}{% endfor %}", id="huge-loop-range"),
        pytest.param("{{ range(0, 1, 0.0000000001)|length }}", id="tiny-step"),
        pytest.param("{{ [1]|batch(1000000000, 'x')|length }}", id="batch-padding"),
        pytest.param(
            "{% set s = 'ab' %}{% for i in 1..21 %}{% set s = s ~ s %}{% endfor %}"
            "{{ s|split('')|length }}",
            id="split-characters",
        ),
        pytest.param(
            "{% set glue = 'x' %}{% for i in 1..12 %}{% set glue = glue ~ glue %}"
            "{% endfor %}{{ range(1, 100000)|join(glue)|length }}",
            id="join-glue",
        ),
        pytest.param(
            "{% set s = 'x' %}{% for i in 1..20 %}{% set s = s ~ s %}{% endfor %}"
            "{{ s|replace({'x': s})|length }}",
            id="replace",
        ),
        pytest.param(
            "{% set s = 'x' %}{% for i in 1..24 %}{% set s = s ~ s %}{% endfor %}"
            "{{ s|e('url')|length }}",
            id="escape",
        ),
        pytest.param(
            "{% set a = [1] %}{% for i in 1..64 %}{% set a = [a, a] %}{% endfor %}"
            "{{ a|json_encode|length }}",
            id="json-of-shared-lists",
        ),
        pytest.param(
            "{% set a = [1] %}{% for i in 1..64 %}{% set a = [a, a] %}{% endfor %}"
            "{{ a|url_encode|length }}",
            id="query-of-shared-lists",
        ),
        pytest.param(
            "{% set a = range(1, 200000) %}{% for i in 1..500 %}{% set a = [a] %}"
            "{% endfor %}{{ a|json_encode(constant('JSON_PRETTY_PRINT'))|length }}",
            id="pretty-print-indentation",
        ),
        pytest.param(
            "{% set s = 'x' %}{% for i in 1..16 %}{% set s = s ~ s %}{% endfor %}"
            "{{ range(1, 100000)|map(i => s ~ i)|length }}",
            id="map-keeps-strings",
        ),
        pytest.param(
            "{% set s = 'x' %}{% for i in 1..16 %}{% set s = s ~ s %}{% endfor %}"
            "{% set kept = [] %}{% for i in 1..100000 %}"
            "{% set kept = kept|merge([s ~ i]) %}{% endfor %}",
            id="loop-keeps-strings",
        ),
        pytest.param(
            "{% for i in 1..10000000 %}"
            + "a{% if true %}{% endif %}" * 200
            + "{% endfor %}",
            id="literal-text-in-loops",
        ),
    ],
)
def test_allocation_stops_at_the_memory_limit(source):
    error = fails_with("memory", source)
    assert error.message.startswith("The template exceeded its memory limit (64 MiB")


def test_comparing_lists_that_share_lists_stops_at_the_work_limit():
    error = fails_with(
        "work",
        "{% set a = [1] %}{% for i in 1..64 %}{% set a = [a, a] %}{% endfor %}"
        "{% set b = [1] %}{% for i in 1..64 %}{% set b = [b, b] %}{% endfor %}"
        "{{ a == b ? 'same' : 'not' }}",
    )
    assert "can be compared" in error.message
    assert render("{{ [[1, 2], [3]] == [[1, 2], [3]] ? 'same' }}", {}) == "same"


# 2**40 values to walk, in a few kilobytes.
SHARED_LISTS = "{% set a = [1] %}{% for i in 1..40 %}{% set a = [a, a] %}{% endfor %}"


@pytest.mark.parametrize(
    "compare",
    [
        "{{ a|sort|length }}",
        "{{ a|sort(null)|length }}",
        "{{ a|sort(arrow=null)|length }}",
        "{{ [a, a]|sort|length }}",
        "{{ max(a)|length }}",
        "{{ min(a)|length }}",
        "{{ max(a, a)|length }}",
        "{{ min(a, a)|length }}",
        "{{ a is same as(a) ? 'same' }}",
        "{{ a is not same as(a) ? 'not' }}",
        "{{ [a] is same as([a]) ? 'same' }}",
    ],
    ids=[
        "sort",
        "sort-null",
        "sort-arrow-null",
        "sort-pairs",
        "max",
        "min",
        "max-of-two",
        "min-of-two",
        "same-as",
        "not-same-as",
        "same-as-nested",
    ],
)
def test_sort_max_min_and_same_as_of_lists_that_share_lists_stop_quickly(compare):
    start = time.monotonic()
    error = fails_with("work", SHARED_LISTS + compare, time=0.3)
    assert "can be compared" in error.message
    # Refused before comparing: no walk of the 2**40 values has begun.
    assert time.monotonic() - start < 5


def test_sort_max_min_and_same_as_still_give_twigs_results():
    # Each checked against real Twig (twig-render).
    cases = {
        "{{ {b: 2, a: 1, c: [1, 2], d: [1], e: '10', f: '9'}|sort|json_encode }}": (
            '{"a":1,"b":2,"f":"9","e":"10","d":[1],"c":[1,2]}'
        ),
        "{{ [3, '10', 1, 'b', null, false, 2.5]|sort|json_encode }}": (
            '{"4":null,"5":false,"2":1,"6":2.5,"0":3,"1":"10","3":"b"}'
        ),
        "{{ [3, 1, 2]|sort((p, q) => q <=> p)|join }}": "321",
        "{{ max([1, [2], '3'])|json_encode }} {{ min(3, '2', [0]) }} "
        "{{ max([[1, 2], [1, 3]])|join }} {{ min({a: 'b', c: 'a'}) }} "
        "{{ max('apple', 'banana') }} {{ min([0, -0.5, '-1']) }}": (
            "[2] 2 13 a banana -1"
        ),
        "{{ [1, [2]] is same as([1, [2]]) ? 'y' : 'n' }}"
        "{{ [1] is same as(['1']) ? 'y' : 'n' }}"
        "{{ {a: 1, b: 2} is same as({b: 2, a: 1}) ? 'y' : 'n' }}"
        "{{ [1, 2] is not same as([1, 2]) ? 'y' : 'n' }}": "ynnn",
    }
    for source, expected in cases.items():
        assert render(source, {}) == expected, source
    # Lists that share lists, small enough to compare.
    shared = SHARED_LISTS.replace("1..40", "1..10")
    assert render(shared + "{{ a|sort|length }}{{ max(a, [a])|length }}", {}) == "22"
    assert render(shared + "{{ a is same as(a) ? 'same' }}", {}) == "same"


def test_memory_limit_can_be_lowered():
    error = fails_with("memory", "{{ range(1, 1000)|length }}", memory=16 * KiB)
    assert error.message.startswith("The template exceeded its memory limit (16 KiB")
    with limits.bounds(memory=16 * KiB):
        assert render("{{ range(1, 100)|length }}", {}) == "100"


def test_huge_exponents_are_computed_as_php_does_not_folded():
    start = time.monotonic()
    template = compile_template("{{ 2 ** 99999999 }} {{ 9 ** 9 ** 9 }} {{ -2 ** 65 }}")
    assert template.render({}) == "INF INF -3.6893488147419E+19"
    assert time.monotonic() - start < HANG_GUARD


def test_same_range_in_one_render_is_made_once():
    # The inner range of nested loops is not a new allocation per iteration.
    source = "{% for a in 1..50 %}{% for b in 1..100000 %}{% endfor %}{% endfor %}"
    with limits.bounds(memory=4 * 1024 * KiB, time=60):
        render(source, {})


# --- output -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            "{% for i in 1..100000 %}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
            "{% endfor %}",
            id="literal-text",
        ),
        pytest.param(
            "{% set s = 'x' %}{% for i in 1..18 %}{% set s = s ~ s %}{% endfor %}"
            "{% for i in 1..100 %}{{ s }}{% endfor %}",
            id="printed-value",
        ),
        pytest.param("{{ range(1, 200000)|join(',') }}", id="one-print"),
    ],
)
def test_output_stops_at_the_output_limit(source):
    error = fails_with("output", source)
    assert error.message == "The template exceeded its output limit (1 MiB)."


def test_output_just_under_the_limit_renders():
    output = render("{% for i in 1..1024 %}" + "x" * 1023 + "{% endfor %}", {})
    assert len(output) == 1024 * 1023


# --- recursion and nesting ----------------------------------------------------------


def test_a_macro_calling_itself_stops_at_the_recursion_limit():
    error = fails_with(
        "recursion", "{% macro f(n) %}{{ _self.f(n+1) }}{% endmacro %}{{ _self.f(1) }}"
    )
    assert "macros call themselves" in error.message


def test_deeply_nested_data_stops_at_the_recursion_limit():
    fails_with(
        "recursion",
        "{% set a = 1 %}{% for i in 1..5000 %}{% set a = [a] %}{% endfor %}"
        "{{ a == [a] ? 1 : 0 }}",
    )


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("{{ " + "(" * 10000 + "1" + ")" * 10000 + " }}", id="parens"),
        pytest.param("{{ " + "[" * 10000 + "]" * 10000 + " }}", id="arrays"),
        pytest.param("{{ " + "{a: " * 5000 + "1" + "}" * 5000 + " }}", id="hashes"),
        pytest.param("{{ " + "not " * 10000 + "true }}", id="not-chain"),
        pytest.param("{{ " + "- " * 10000 + "1 }}", id="minus-chain"),
        pytest.param("{{ 2" + " ** 2" * 10000 + " }}", id="power-chain"),
        pytest.param(
            "{{ 1" + " + (1" * 10000 + ")" * 10000 + " }}", id="right-nested-plus"
        ),
        pytest.param("{{ 1" + " + (1 or 1" * 40 + ")" * 40 + " }}", id="nested-chains"),
        pytest.param("{{ x" + "|upper" * 10000 + " }}", id="filter-chain"),
        pytest.param("{{ x" + ".a" * 10000 + " }}", id="attribute-chain"),
        pytest.param("{{ 1" + " ? 1 : 1" * 2000 + " }}", id="conditional-chain"),
        pytest.param("{% if true %}" * 2000 + "x" + "{% endif %}" * 2000, id="ifs"),
        pytest.param(
            "{% for i in [1] %}" * 500 + "x" + "{% endfor %}" * 500, id="loops"
        ),
        pytest.param(
            "{% for i in [1] %}" * 21 + "x" + "{% endfor %}" * 21, id="21-loops"
        ),
        pytest.param(
            "{% set x %}" * 2000 + "x" + "{% endset %}" * 2000, id="set-blocks"
        ),
        pytest.param("{% with %}" * 2000 + "x" + "{% endwith %}" * 2000, id="with"),
    ],
)
def test_deep_nesting_stops_at_the_nesting_limit_when_compiling(source):
    start = time.monotonic()
    with pytest.raises(TemplateLimitError) as caught:
        compile_template(source)
    assert time.monotonic() - start < HANG_GUARD
    error = caught.value
    assert error.limit == "nesting"
    assert error.message.startswith("The template exceeded its nesting limit (")
    # Save-time checks report it like any compile error.
    assert isinstance(error, TemplateSyntaxError)


@pytest.mark.parametrize(
    "source",
    [
        "{{ " + "(" * 10000 + "1" + ")" * 10000 + " }}",
        "{% if true %}" * 5000 + "x" + "{% endif %}" * 5000,
        "{% macro f(n) %}"
        + "{% if n %}" * 3000
        + "{% endif %}" * 3000
        + "{% endmacro %}",
    ],
    ids=["10000-parentheses", "5000-ifs", "nested-in-a-macro"],
)
def test_the_deepest_templates_are_stopped_before_python_compiles_them(source):
    with pytest.raises(TemplateLimitError) as caught:
        compile_template(source)
    # Past the size limit the source is not even parsed.
    assert caught.value.limit in ("nesting", "size")
    assert isinstance(caught.value, TemplateSyntaxError)


def test_moderate_nesting_and_long_concatenations_compile():
    assert render("{{ " + "(" * 40 + "1" + ")" * 40 + " }}", {}) == "1"
    assert render("{% if true %}" * 30 + "x" + "{% endif %}" * 30, {}) == "x"
    assert render("{{ 'a'" + " ~ 'a'" * 299 + " }}", {}) == "a" * 300
    loops = "{% for i in [1] %}" * 20 + "x" + "{% endfor %}" * 20
    assert render(loops, {}) == "x"


def test_flat_chains_of_operators_do_not_nest():
    # Twig accepts them (checked with twig-render): a chain is one level deep
    # however long, and compiles to one flat Python expression.
    terms = " or ".join(f"a == {i}" for i in range(65))
    assert render("{% if " + terms + " %}yes{% endif %}", {"a": 64}) == "yes"
    assert render("{% if " + terms + " %}yes{% else %}no{% endif %}", {"a": 65}) == "no"
    terms = " and ".join(f"a != {i}" for i in range(65))
    assert render("{% if " + terms + " %}yes{% endif %}", {"a": 65}) == "yes"
    digits = "".join(str(i % 10) for i in range(1000))
    assert render("{{ " + " ~ ".join(digits) + " }}", {}) == digits
    assert render("{{ " + " + ".join(["1"] * 1000) + " }}", {}) == "1000"
    assert render("{{ 1000" + " - 1" * 999 + " }}", {}) == "1"
    # Mixed operators, in Twig's precedence and PHP's order, left to right.
    assert render("{{ 10" + " - 1 + 2 * 3 and 1 or 0 in [1]" * 300 + " }}", {}) == "1"
    assert render("{{ 7 - 2 - 1 }} {{ 2 ** 3 ** 2 }} {{ -2 ** 2 + 1 }}", {}) == (
        "4 512 -3"
    )


def test_the_longest_chains_compile_and_render():
    # Up to the size limit: in a loop (whose body is searched for "loop"), in
    # an arrow function, and through the save-time variable checks.
    source = "{% for i in [1] %}{{ i" + " ~ i" * 16000 + " }}{% endfor %}"
    assert render(source, {}) == "1" * 16001
    source = "{{ [1]|map(v => v" + " + v" * 16000 + ")|first }}"
    assert render(source, {}) == "16001"
    source = "{% if a" + " or b.c" * 9000 + " %}yes{% endif %}"
    assert {read.root for read in variables_read(source)} == {"a", "b"}


# --- size ------------------------------------------------------------------------


def test_huge_source_stops_at_the_size_limit():
    with pytest.raises(TemplateLimitError) as caught:
        compile_template("x" * (64 * KiB + 1))
    assert caught.value.message == "The template exceeded its size limit (64 KiB)."
    assert caught.value.limit == "size"


def test_size_limit_counts_utf8_bytes():
    with pytest.raises(TemplateLimitError):
        compile_template("é" * (32 * KiB + 1))
    assert render("é" * 1000, {}) == "é" * 1000


def test_the_largest_template_compiles_in_bounded_time():
    source = ("{{ response.items[0].name|default('') }}, " * 2000)[: 64 * KiB]
    source = source[: source.rfind(",")]
    start = time.monotonic()
    compile_template(source)
    assert time.monotonic() - start < HANG_GUARD


def test_the_compile_cache_holds_a_bounded_amount_of_source(monkeypatch):
    # A smaller bound shows the same eviction as the real 2 MiB without
    # compiling 60 of the largest templates (40 s); the engine reads the
    # bound at every compile.
    monkeypatch.setattr(limits, "CACHE_SOURCE", 32 * KiB)
    environment = TwigEnvironment()
    for number in range(60):
        environment.compile_twig(f"{{# {number} #}}" + "{{ a }}" * 300)
    held = environment.cached_sources()
    assert sum(len(source) for source in held) <= 32 * KiB
    assert 0 < len(held) < 60


# --- what remains ------------------------------------------------------------------


def test_every_failure_is_a_template_error_with_a_message():
    for source in (
        "{{ 1 / 0 }}",
        "{{ 'x'|date('Y') }}",
        "{{ [1]|batch(0) }}",
        "{{ 'a' matches '/(/' }}",
        "{{ range(1, 2, 0) }}",
    ):
        with pytest.raises(TemplateError) as caught:
            render(source, {})
        assert caught.value.message


def test_contextual_escaping_renders_are_bounded_too():
    shared = "{% set a = [1] %}{% for i in 1..64 %}{% set a = [a, a] %}{% endfor %}"
    with pytest.raises(TemplateLimitError) as caught:
        render_escaped(shared + '{"a": {{ a }}}', {}, output=Output.JSON)
    assert caught.value.limit == "memory"
    with limits.bounds(time=0.3), pytest.raises(TemplateLimitError) as caught:
        render_escaped(
            "https://x.test/?q={% for a in 1..1000000 %}{% for b in 1..1000000 %}"
            "{% endfor %}{% endfor %}",
            {},
            output=Output.URL,
        )
    assert caught.value.limit == "time"
