"""A template sees the plain data of its own render, and nothing of Python.

Templates are written by integration developers of many teams: none may reach
Python internals, settings, the request, the environment, or the data of
another render.  Each probe below either prints nothing or is a template
error; it never prints a Python object or data that was not given to it.
"""

from __future__ import annotations

import datetime
import threading

import pytest
from django.conf import settings
from django.test import RequestFactory

from twig import TemplateError, compile_template, render

SECRET = "s3cr3t-of-this-render"
CONTEXT = {
    "x": {"a": 1, "token": SECRET},
    "s": "text",
    "items": [1, 2, 3],
}
# What a leak would look like in the output.
TELLTALES = ("<", "class", "function", "module", "object", "dict", "__", "environ")


def assert_reveals_nothing(source: str, context=CONTEXT) -> str:
    try:
        output = render(source, context)
    except TemplateError as error:
        assert error.message  # a sentence, never an empty error
        return ""
    for telltale in TELLTALES:
        assert telltale not in output, f"{source!r} printed {output!r}"
    assert SECRET not in output
    assert settings.SECRET_KEY not in output
    return output


@pytest.mark.parametrize(
    "source",
    [
        "{{ x.__class__ }}",
        "{{ x.__init__.__globals__ }}",
        "{{ x.__init__.__globals__['os'] }}",
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ s.__class__.__base__.__subclasses__() }}",
        "{{ range.__globals__ }}",
        "{{ _self.__dict__ }}",
        "{{ _self.__class__ }}",
        "{{ _self.env }}",
        "{{ _context.__class__ }}",
        "{{ _context.update }}",
        "{{ attribute(x, '__class__') }}",
        "{{ attribute(x, '__dict__') }}",
        "{{ attribute(s, 'upper') }}",
        "{{ x.items() }}",
        "{{ x.get('token') }}",
        "{{ x.keys }}",
        "{{ items.append(4) }}{{ items.pop() }}",
        "{{ s.format(x) }}",
        "{{ cycler }}",
        "{{ joiner }}",
        "{{ lipsum }}",
        "{{ namespace }}",
        "{{ config }}",
        "{{ settings }}",
        "{{ settings.SECRET_KEY }}",
        "{{ request }}",
        "{{ request.META }}",
        "{{ self }}",
        "{{ environment }}",
        "{{ env }}",
        "{{ os }}",
        "{{ __builtins__ }}",
        "{{ php }}",
        "{{ rt }}",
        "{{ rs }}",
        "{{ c }}",
        "{{ _twig_timezone }}",
        "{{ [x]|map(v => v.__class__)|join }}",
        "{{ items|filter(v => v.__class__)|length }}",
    ],
)
def test_python_internals_print_nothing(source):
    assert assert_reveals_nothing(source) in ("", "0", "3")


@pytest.mark.parametrize(
    "source",
    [
        "{{ x|attr('__class__') }}",
        "{{ x|safe }}",
        "{{ x|pprint }}",
        "{{ x|tojson }}",
        "{{ lipsum() }}",
        "{{ cycler(1, 2) }}",
        "{{ namespace(a=1) }}",
        "{{ dict(a=1) }}",
        "{{ dump(x) }}",
        "{{ include('x') }}",
        "{{ source('/etc/passwd') }}",
        "{{ template_from_string('{{ 1 }}') }}",
        "{% include 'x' %}",
        "{% import 'forms.html' as forms %}",
        "{% extends 'base.html' %}",
        "{% embed 'base.html' %}{% endembed %}",
        "{% sandbox %}{% endsandbox %}",
        "{{ constant('os.environ') }}",
        "{{ constant('settings.SECRET_KEY') }}",
        "{{ constant('__import__') }}",
        "{{ 'now'|date('Y', '../../../etc/passwd') }}",
        "{{ x.a if true else 2 }}",
    ],
)
def test_jinja_and_twig_escape_hatches_are_template_errors(source):
    with pytest.raises(TemplateError) as caught:
        render(source, CONTEXT)
    assert caught.value.message


def test_context_variable_holds_only_the_render_s_own_data():
    assert_reveals_nothing("{{ _context|keys|join(',') }}")
    assert render("{{ _context|keys|join(',') }}", CONTEXT) == "x,s,items"
    assert render("{{ _context|keys|join(',') }}", {}) == ""


@pytest.mark.parametrize(
    "value",
    [
        object(),
        settings,
        lambda: SECRET,
        type,
        datetime.date(2026, 1, 1),
        b"bytes",
        {1, 2},
        {"nested": [{"deeper": object()}]},
    ],
    ids=lambda value: type(value).__name__,
)
def test_context_refuses_anything_but_plain_data(value):
    with pytest.raises(TemplateError) as caught:
        render("{{ v }}", {"v": value})
    assert "only text, numbers, booleans, null, lists and mappings" in str(
        caught.value
    ) or "template" in str(caught.value)


def test_context_refuses_a_request():
    request = RequestFactory().get("/admin/", HTTP_AUTHORIZATION="Bearer t0ken")
    with pytest.raises(TemplateError):
        render("{{ r.META }}", {"r": request})


def test_a_render_does_not_change_the_caller_s_data():
    context = {"x": {"a": 1}, "items": [1]}
    render("{% set x = 2 %}{% set items = items|merge([2]) %}{{ x }}", context)
    assert context == {"x": {"a": 1}, "items": [1]}


def test_variables_set_in_one_render_are_gone_in_the_next():
    template = compile_template(
        "{{ leaked ?? 'none' }}{% set leaked = secret %}{{ leaked }}"
    )
    assert template.render({"secret": SECRET}) == f"none{SECRET}"
    assert template.render({}) == "none"
    assert render("{{ secret }}{{ leaked }}", {}) == ""


def test_concurrent_renders_see_only_their_own_context():
    template = compile_template(
        "{% set mine = '' %}{% for i in 1..50 %}{% set mine = who %}{% endfor %}"
        "{{ mine }}:{{ who }}"
    )
    results: dict[int, set] = {}
    errors = []
    start = threading.Barrier(8)

    def render_as(number: int):
        try:
            start.wait()
            seen = set()
            for _ in range(200):
                seen.add(template.render({"who": f"tenant-{number}"}))
            results[number] = seen
        except Exception as error:  # reported below, in the main thread
            errors.append(error)

    threads = [threading.Thread(target=render_as, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    for number, seen in results.items():
        assert seen == {f"tenant-{number}:tenant-{number}"}
    assert len(results) == 8
