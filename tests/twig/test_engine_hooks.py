"""The hooks the escaping and limits layers build on: printing and ticks."""

from __future__ import annotations

import pytest

from twig import TemplateError
from twig.environment import TwigEnvironment


class RecordingEnvironment(TwigEnvironment):
    def __init__(self):
        super().__init__()
        self.seen = []

    def twig_print(self, value, site):
        self.seen.append((value, site))
        return f"<{super().twig_print(value, site)}>"


def test_every_print_goes_through_twig_print_with_its_site():
    environment = RecordingEnvironment()
    template = environment.compile_twig(
        "a{{ x }}\n  {{ y|upper }}{% for i in [1] %}{{ i }}{% endfor %}"
    )
    assert template.render({"x": True, "y": "b"}) == "a<1>\n  <B><1>"
    sites = [site for _, site in environment.seen]
    assert [(s.line, s.column) for s in sites] == [(1, 2), (2, 3), (2, 34)]
    assert [s.index for s in sites] == [0, 1, 2]
    assert template.print_sites == tuple(sites)


def test_print_sites_know_their_autoescape_strategy():
    environment = TwigEnvironment()
    template = environment.compile_twig(
        "{{ a }}{% autoescape 'js' %}{{ b }}{% endautoescape %}"
    )
    assert [site.autoescape for site in template.print_sites] == [False, "js"]


def test_tick_runs_at_each_iteration_and_macro_call():
    environment = TwigEnvironment()
    source = (
        "{% import _self as m %}{% macro x() %}{% endmacro %}"
        "{% for i in 1..3 %}{% for j in 1..2 %}{{ m.x() }}{% endfor %}{% endfor %}"
    )
    ticks = []
    environment.compile_twig(source).render({}, tick=lambda: ticks.append(1))
    assert len(ticks) == 3 + 3 * 2 + 3 * 2


def test_a_raising_tick_stops_the_render():
    class Exceeded(TemplateError):
        pass

    def tick():
        raise Exceeded("the template exceeded its time limit")

    template = TwigEnvironment().compile_twig("{% for i in 1..10 %}{{ i }}{% endfor %}")
    with pytest.raises(Exceeded, match="time limit") as caught:
        template.render({}, tick=tick)
    assert caught.value.line == 1


def test_huge_exponent_is_not_folded_at_compile_time():
    template = TwigEnvironment().compile_twig("{{ 2 ** 100000000 }}")
    assert "php.power(2, 100000000)" in template.python_source
