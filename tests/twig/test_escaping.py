"""Contextual escaping: each printed value is escaped for where it lands."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests

from twig import TemplateError, escaping, render
from twig.escaping import Output, compile_escaped, render_escaped
from twig.limits import TemplateLimitError, bounds, one_deadline

REDIRECT = "https://console.example.com/oauth/callback?x=1&y=2"


def as_json(source: str, **context):
    text = render_escaped(source, context, output=Output.JSON)
    return text, json.loads(text)


def as_url(source: str, **context) -> str:
    return render_escaped(source, context, output=Output.URL)


def query_of(url: str) -> dict:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


# --- JSON ------------------------------------------------------------------------


def test_a_first_name_with_a_quote_and_a_newline_stays_valid_json():
    _, data = as_json(
        '{"name": "{{ response.first_name }}"}',
        response={"first_name": 'O"Brien\n'},
    )
    assert data == {"name": 'O"Brien\n'}


def test_backslashes_and_control_characters_are_escaped_in_strings():
    value = "C:\\temp\t\x01\u2028é"
    _, data = as_json('{"v": "{{ v }}"}', v=value)
    assert data == {"v": value}


def test_a_mapping_outside_a_string_becomes_a_json_object():
    extras = {"plan": "pro", "seats": 5, "tags": ["a", "b"], "owner": None}
    _, data = as_json('{"extras": {{ response.extras }}}', response={"extras": extras})
    assert data == {"extras": extras}


@pytest.mark.parametrize(
    ("value", "written"),
    [(3600, "3600"), (1.5, "1.5"), (None, "null"), (True, "true"), (False, "false")],
)
def test_scalars_outside_a_string_stay_json_values(value, written):
    text, data = as_json('{"v": {{ v }}}', v=value)
    assert text == '{"v": ' + written + "}"
    assert data == {"v": value}


def test_a_string_outside_a_string_is_quoted():
    _, data = as_json('{"v": {{ v }}}', v='say "hi"')
    assert data == {"v": 'say "hi"'}


def test_a_missing_value_outside_a_string_is_null():
    _, data = as_json('{"v": {{ response.nope.deeper }}}', response={})
    assert data == {"v": None}


def test_a_list_inside_a_string_is_written_as_its_json_text():
    _, data = as_json('{"v": "{{ v }}"}', v=[1, "two"])
    assert data == {"v": '[1, "two"]'}


def test_twig_printing_rules_hold_inside_strings():
    _, data = as_json(
        '{"t": "{{ t }}", "n": "{{ n }}", "f": "{{ f }}"}', t=True, n=None, f=2.0
    )
    assert data == {"t": "1", "n": "", "f": "2"}


def test_json_encode_outside_a_string_is_not_escaped_twice():
    text, data = as_json('{"v": {{ v|json_encode }}}', v={"a": "x/y"})
    assert text == '{"v": {"a":"x\\/y"}}'
    assert data == {"v": {"a": "x/y"}}


def test_json_encode_inside_a_string_is_escaped_once():
    # The string then holds exactly the JSON text json_encode made.
    _, data = as_json('{"state": "{{ v|json_encode }}"}', v={"a": 'q"'})
    assert data == {"state": '{"a":"q\\""}'}


def test_raw_opts_out_in_json():
    text = render_escaped(
        '{"v": {{ v|raw }}}', {"v": '{"built": "by hand"}'}, output=Output.JSON
    )
    assert json.loads(text) == {"v": {"built": "by hand"}}


def test_raw_that_opens_a_string_moves_the_context_with_it():
    # After the raw text the lexer is inside a string, so the next value is
    # string-escaped rather than written as a JSON value.
    text = render_escaped(
        '{"v": {{ open|raw }}{{ name }}"}',
        {"open": '"x-', "name": 'a"b'},
        output=Output.JSON,
    )
    assert json.loads(text) == {"v": 'x-a"b'}


def test_context_follows_control_flow():
    source = (
        "{\n{% if kind == 'a' %}\n"
        '  "a": "{{ v }}",\n'
        "{% else %}\n"
        '  "b": {{ v }},\n'
        "{% endif %}\n"
        '  "list": [{% for s in items %}"{{ s }}"'
        "{% if not loop.last %}, {% endif %}{% endfor %}],\n"
        '  "n": {{ n }}\n}'
    )
    items = ['x"', "y\\"]
    for kind, expected in (("a", {"a": '1"2'}), ("b", {"b": '1"2'})):
        _, data = as_json(source, kind=kind, v='1"2', items=items, n=7)
        assert data == {**expected, "list": items, "n": 7}


def test_a_value_after_an_escaped_quote_is_still_inside_the_string():
    _, data = as_json('{"v": "say \\"{{ v }}\\""}', v='"')
    assert data == {"v": 'say """'}


def test_prints_in_a_set_block_are_plain_and_the_capture_is_escaped_where_printed():
    _, data = as_json(
        '{% set full %}{{ first }} "{{ last }}"{% endset %}{"name": "{{ full }}"}',
        first="Jason",
        last='Fr"ied',
    )
    assert data == {"name": 'Jason "Fr"ied"'}


def test_a_macro_result_is_a_value():
    source = (
        "{% import _self as m %}{% macro greet(n) %}Hi {{ n }}{% endmacro %}"
        '{"g": {{ m.greet(name) }}}'
    )
    _, data = as_json(source, name='"Jo"')
    assert data == {"g": 'Hi "Jo"'}


def test_script_tags_are_just_text():
    _, data = as_json(
        '{"v": "<script>alert(1)</script>{{ v }}"}', v="<script>x</script>"
    )
    assert data == {"v": "<script>alert(1)</script><script>x</script>"}


def test_plain_render_is_not_escaped():
    # The same engine without an output context prints as Twig does.
    assert render('{"v": "{{ v }}"}', {"v": 'a"b'}) == '{"v": "a"b"}'


# --- URLs ------------------------------------------------------------------------


def test_a_query_value_is_percent_encoded():
    url = as_url("https://api.example.com/s?q={{ q }}&page=2", q="a&b=c#d +/é")
    assert url == "https://api.example.com/s?q=a%26b%3Dc%23d%20%2B%2F%C3%A9&page=2"
    assert query_of(url) == {"q": ["a&b=c#d +/é"], "page": ["2"]}


def test_a_redirect_uri_survives_the_query_string_escaped():
    url = as_url("https://p.example.com/token?redirect_uri={{ r }}&code=1", r=REDIRECT)
    assert query_of(url) == {"redirect_uri": [REDIRECT], "code": ["1"]}


def test_a_redirect_uri_survives_the_query_string_raw():
    # The guide's redirect_uri|raw with the console's own callback URL.
    callback = "https://console.example.com/oauth/callback"
    url = as_url(
        "https://p.example.com/token?redirect_uri={{ r|raw }}&code=1", r=callback
    )
    assert url == f"https://p.example.com/token?redirect_uri={callback}&code=1"
    assert query_of(url) == {"redirect_uri": [callback], "code": ["1"]}


def test_raw_inserts_verbatim_in_a_url():
    url = as_url(
        "https://p.example.com/?{{ q|raw }}#{{ f|raw }}", q="a=1&b=x%2Fy", f="t"
    )
    assert url == "https://p.example.com/?a=1&b=x%2Fy#t"
    assert query_of(url) == {"a": ["1"], "b": ["x/y"]}


def test_raw_text_moves_the_url_on():
    # The raw text opened the query, so the next value is a query value.
    url = as_url("https://p.example.com/x{{ q|raw }}{{ v }}", q="?v=", v="a&b")
    assert url == "https://p.example.com/x?v=a%26b"


def test_url_encode_output_is_not_encoded_twice():
    url = as_url(
        "https://p.example.com/?a={{ v|url_encode }}&{{ m|url_encode }}",
        v="a b&c",
        m={"x": "1 2", "y": "&"},
    )
    assert url == "https://p.example.com/?a=a%20b%26c&x=1%202&y=%26"
    url = as_url("https://p.example.com/?a={{ v|e('url') }}", v="a b")
    assert url == "https://p.example.com/?a=a%20b"


def test_a_path_value_is_one_encoded_segment():
    url = as_url("https://p.example.com/users/{{ id }}/repos", id="../admin?x#y")
    assert url == "https://p.example.com/users/..%2Fadmin%3Fx%23y/repos"


def test_a_value_that_starts_the_url_is_inserted_as_a_url():
    url = as_url(
        "{{ app.api_base_url }}/me?fields={{ f }}",
        app={"api_base_url": "https://3.basecampapi.com/999"},
        f="a,b",
    )
    assert url == "https://3.basecampapi.com/999/me?fields=a%2Cb"


def test_leading_whitespace_does_not_start_the_url():
    url = as_url("  {{ base }}/x", base="https://a.example.com")
    assert url == "  https://a.example.com/x"


@pytest.mark.parametrize("base", ["javascript:alert(1)", "ftp://files.example.com", ""])
def test_a_base_url_that_is_not_http_is_refused(base):
    with pytest.raises(TemplateError) as caught:
        as_url("{{ query.url }}/api", query={"url": base})
    message = caught.value.message
    assert message.startswith(
        "The URL must start with http:// or https://; {{ query.url }} gave"
    )
    assert (f'"{base}"' in message) if base else message.endswith("gave nothing.")
    assert (caught.value.line, caught.value.column) == (1, 1)


def test_a_query_in_the_base_url_puts_later_values_in_the_query():
    url = as_url("{{ base }}&b={{ v }}", base="https://a.example.com/?a=1", v="x y")
    assert url == "https://a.example.com/?a=1&b=x%20y"


def test_a_list_in_a_url_is_an_error_in_words():
    with pytest.raises(TemplateError, match="gave a list or mapping"):
        as_url("https://a.example.com/?s={{ scopes }}", scopes=["a", "b"])


# --- headers ---------------------------------------------------------------------


@pytest.mark.parametrize("token", ["abc\r\nX-Evil: 1", "abc\nx", "abc\rx"])
def test_a_header_value_with_a_line_break_is_refused(token):
    with pytest.raises(TemplateError) as caught:
        render_escaped("Bearer {{ t }}", {"t": token}, output=Output.HEADER)
    assert "{{ t }} gave a line break (CR or LF)" in caught.value.message
    assert (caught.value.line, caught.value.column) == (1, 8)


def test_raw_does_not_let_a_line_break_into_a_header():
    with pytest.raises(TemplateError, match="line break"):
        render_escaped("{{ t|raw }}", {"t": "a\nb"}, output=Output.HEADER)


def test_a_header_value_is_otherwise_written_as_is():
    text = render_escaped("Bearer {{ t }}", {"t": 'a"b&c <d>'}, output=Output.HEADER)
    assert text == 'Bearer a"b&c <d>'


def test_a_template_containing_the_marker_character_still_renders():
    text = render_escaped('{"v": "\x00{{ v }}"}', {"v": "x"}, output=Output.JSON)
    assert text == '{"v": "\x00x"}'


def test_escaping_cannot_take_the_output_past_its_limit():
    # The render writes short markers; the escaped text is measured again.
    with bounds(output=100):
        assert render_escaped('"{{ v }}"', {"v": "\x01" * 10}, output=Output.JSON)
        with pytest.raises(TemplateLimitError, match="output limit"):
            render_escaped('"{{ v }}"', {"v": "\x01" * 20}, output=Output.JSON)


def test_safety_is_read_from_the_outermost_filter():
    source = (
        '{"a": {{ v|json_encode|raw }}, "b": {{ v|raw|upper|json_encode }}, '
        '"c": {{ flag ? v|json_encode : w|json_encode }}}'
    )
    text, data = as_json(source, v="x", w="y", flag=True)
    assert data == {"a": "x", "b": "X", "c": "x"}


def test_autoescape_url_blocks_count_as_url_encoded():
    url = as_url(
        "https://a.example.com/?q={% autoescape 'url' %}{{ q }}{% endautoescape %}",
        q="a b",
    )
    assert url == "https://a.example.com/?q=a%20b"


INJECTION = "bob&admin=1#frag"


# nl2br and spaceless escape for HTML first (Twig's pre_escape), hence &amp;.
@pytest.mark.parametrize(
    ("printed", "sent"),
    [
        (
            "{% set v %}{{ requestBody.username }}{% endset %}"
            "{% autoescape 'url' %}{{ v }}{% endautoescape %}",
            INJECTION,
        ),
        (
            "{% autoescape 'url' %}{{ _self.m(requestBody.username) }}"
            "{% endautoescape %}",
            INJECTION,
        ),
        (
            "{% autoescape 'url' %}{{ requestBody.username|nl2br }}{% endautoescape %}",
            "bob&amp;admin=1#frag",
        ),
        (
            "{% autoescape 'url' %}{{ requestBody.username|spaceless }}"
            "{% endautoescape %}",
            "bob&amp;admin=1#frag",
        ),
        (
            "{% autoescape 'url' %}{{ 'x' ~ requestBody.username }}{% endautoescape %}",
            "x" + INJECTION,
        ),
    ],
)
def test_markup_in_an_autoescape_url_block_is_still_encoded(printed, sent):
    # The engine lets Markup (captures, macros, nl2br) through autoescape;
    # Markup is safe for HTML, not for a URL.
    source = (
        "{% macro m(x) %}{{ x }}{% endmacro %}"
        f"https://a.example.com/?name={printed}&b=2"
    )
    url = as_url(source, requestBody={"username": INJECTION})
    assert urlsplit(url).fragment == ""
    assert query_of(url) == {"name": [sent], "b": ["2"]}


def test_a_capture_in_an_autoescape_url_block_is_encoded_once():
    url = as_url(
        "https://a.example.com/?name={% set v %}{{ u }}{% endset %}"
        "{% autoescape 'url' %}{{ v }}{% endautoescape %}",
        u=INJECTION,
    )
    assert url == "https://a.example.com/?name=bob%26admin%3D1%23frag"


def test_a_constant_or_list_in_an_autoescape_url_block_is_a_value():
    # The engine does not escape either; they are escaped as values.
    url = as_url(
        "https://a.example.com/?q={% autoescape 'url' %}{{ 'a&b' }}{% endautoescape %}"
    )
    assert url == "https://a.example.com/?q=a%26b"
    with pytest.raises(TemplateError, match="list or mapping"):
        as_url(
            "https://a.example.com/?q={% autoescape 'url' %}{{ v }}{% endautoescape %}",
            v=[1, 2],
        )


# --- dot segments ------------------------------------------------------------------


def _sent(url: str) -> str:
    """The URL requests would send (prepared, no network)."""
    return requests.Request("GET", url).prepare().url


def test_requests_resolves_even_an_encoded_dot_segment():
    # Why a dot segment is refused rather than encoded: requests un-escapes
    # %2E and urllib3 then removes the segment.
    url = "https://api.example.com/users/%2E%2E/info"
    assert urlsplit(_sent(url)).path == "/users/../info"


@pytest.mark.parametrize("value", ["..", "."])
@pytest.mark.parametrize(
    "printed",
    [
        "{{ requestBody.username }}",
        "{{ requestBody.username|url_encode }}",
        "{{ requestBody.username|e('url') }}",
        "{% autoescape 'url' %}{{ requestBody.username }}{% endautoescape %}",
        "{{ flag ? requestBody.username|url_encode : 'x' }}",
        "{{ requestBody.username }}{{ requestBody.username }}",
    ],
)
def test_a_dot_segment_value_is_refused_in_a_path(value, printed):
    with pytest.raises(TemplateError, match="cannot be a segment of a URL path"):
        as_url(
            f"https://api.example.com/users/{printed}/info",
            requestBody={"username": value},
            flag=True,
        )


def test_the_dot_segment_error_names_the_value_and_the_site():
    with pytest.raises(TemplateError) as caught:
        as_url("https://a.example.com/users/{{ u }}/info", u="..")
    assert '{{ u }} gave ".."' in str(caught.value)
    assert "sent as /info" in str(caught.value)


@pytest.mark.parametrize("value", ["...", "a..b", ".hidden", "v1.2", "../x"])
def test_other_dots_in_a_path_value_keep_their_segment(value):
    url = as_url("https://api.example.com/files/{{ v }}/x", v=value)
    assert urlsplit(_sent(url)).path.count("/") == 3
    assert urlsplit(_sent(url)).path.startswith("/files/")


def test_dots_in_the_query_stay_and_raw_stays_verbatim():
    assert as_url("https://a.example.com/x?q={{ v }}", v="..").endswith("?q=..")
    # |raw is the developer's opt-out: verbatim, even a dot segment.
    url = as_url("https://a.example.com/users/{{ v|raw }}/info", v="..")
    assert url == "https://a.example.com/users/../info"


# --- ?: and ?? choose the kind per branch --------------------------------------


NAME = 'O"Brien\n'


@pytest.mark.parametrize(
    "printed",
    [
        "requestBody.missing ?: requestBody.name|json_encode",
        "requestBody.missing ?? requestBody.name|json_encode",
        "flag ? requestBody.name|json_encode : requestBody.other",
        "not flag ? requestBody.other : requestBody.name|json_encode",
        "flag ? (flag ? requestBody.name|json_encode : 1) : requestBody.x|raw",
        "requestBody.name|json_encode ?: requestBody.other",
        "requestBody.name|json_encode ?? requestBody.other",
    ],
)
def test_json_encode_from_one_branch_is_not_encoded_twice(printed):
    text, data = as_json(
        '{"a": {{ ' + printed + " }}}",
        requestBody={"name": NAME, "other": "plain", "x": "{}"},
        flag=True,
    )
    assert text == '{"a": "O\\"Brien\\n"}'
    assert data == {"a": NAME}


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        # The plain branch is taken: its value is escaped as usual.
        ("requestBody.name ?: requestBody.x|json_encode", NAME),
        ("requestBody.name ?? requestBody.x|json_encode", NAME),
        ("flag ? requestBody.x|json_encode : requestBody.name", NAME),
        ("flag ? requestBody.x|raw : requestBody.name", NAME),
        # The raw branch is taken: verbatim.
        ("not flag ? requestBody.x|raw : requestBody.name", {"built": 1}),
    ],
)
def test_each_branch_is_escaped_as_its_own_kind(printed, expected):
    _, data = as_json(
        '{"a": {{ ' + printed + " }}}",
        requestBody={"name": NAME, "x": '{"built": 1}'},
        flag=False,
    )
    assert data == {"a": expected}


def test_a_json_encode_branch_inside_a_string_is_escaped_once():
    _, data = as_json(
        '{"a": "{{ flag ? v|json_encode : w }}"}', v={"k": 'q"'}, w="x", flag=True
    )
    assert data == {"a": '{"k":"q\\""}'}


def test_url_branches_are_decided_per_branch():
    source = "https://a.example.com/?{{ flag ? m|url_encode : q }}&z=1"
    url = as_url(source, m={"x": "1 2", "y": "&"}, q="a&b", flag=True)
    assert url == "https://a.example.com/?x=1%202&y=%26&z=1"
    url = as_url(source, m={"x": "1"}, q="a&b", flag=False)
    assert url == "https://a.example.com/?a%26b&z=1"
    url = as_url(
        "https://a.example.com/?r={{ flag ? r|raw : r }}", r="x&y=1", flag=True
    )
    assert url == "https://a.example.com/?r=x&y=1"


def test_branch_marks_never_show_outside_the_escaping_layer():
    source = (
        "{% set s %}{{ f ? v|json_encode : w }}{% endset %}{{ f ? v|raw : w }}|{{ s }}"
    )
    context = {"f": True, "v": "a", "w": "b"}
    assert render_escaped(source, context, output=Output.TEXT) == 'a|"a"'
    assert render_escaped(source, context, output=Output.HEADER) == 'a|"a"'
    assert render(source, context) == 'a|"a"'
    with pytest.raises(TemplateError, match="line break"):
        render_escaped("{{ f ? v|raw : w }}", {"f": True, "v": "a\nb"}, output="header")


def test_the_output_may_be_named_by_text():
    assert render_escaped('{"v": {{ v }}}', {"v": 1}, output="json") == '{"v": 1}'


# --- plans: escaping as the value is printed ---------------------------------------


def escaped_both_ways(source: str, context: dict, output: Output):
    """Render with the plan (when there is one) and with markers only."""
    template = compile_escaped(source)
    results = []
    for planned in (True, False):
        try:
            results.append(
                escaping.render_compiled(
                    template, context, output, None, planned=planned
                )
            )
        except TemplateError as error:
            results.append(("error", error.message, error.line, error.column))
    return results


@pytest.mark.parametrize(
    "source",
    [
        '{"a": "{{ v }}", "b": {{ v }}}',
        '[{% for x in xs %}"{{ x }}"{% if not loop.last %}, {% endif %}{% endfor %}]',
        '{"a": {% if flag %}"{{ v }}"{% else %}{{ v }}{% endif %}}',
        "https://api.example/users/{{ v }}?q={{ v }}#{{ v }}",
        "{{ base }}/users/{{ v }}{% for x in xs %}&x={{ x }}{% endfor %}",
        "{{ base }}/p{% if flag %}?a=1{% endif %}/{{ v }}",
    ],
)
def test_a_planned_template_escapes_as_its_markers_do(source):
    output = Output.URL if "http" in source or "base" in source else Output.JSON
    assert output in compile_escaped(source).escaping_printers
    for value in ['a"b\\c\n', "..", ".", "a?b#c", "é €", 12, 1.5, None, ["l"]]:
        for base in ["https://h.example", "https://h.example/?q=", ""]:
            for flag in (True, False):
                context = {"v": value, "xs": [value, "x"], "base": base, "flag": flag}
                planned, with_markers = escaped_both_ways(source, context, output)
                assert planned == with_markers, (value, base, flag)


def test_corpus_templates_escape_the_same_with_a_plan_or_markers():
    """Every corpus template, as and within JSON and URLs, with hostile text."""
    from .corpus_cases import areas, load_cases

    hostile = ['"', "\\", "a?b#c", "..", "x\ny", "https://h.example/?q#f", "", "é€"]
    wrappers = [
        ("{}", Output.JSON),
        ('{"v": "{}"}', Output.JSON),
        ('{"v": {}}', Output.JSON),
        ('"\\\\{}"', Output.JSON),
        ("https://x.example/{}", Output.URL),
        ("{{ base }}/a/{}?q={}#{}", Output.URL),
        ("{}", Output.URL),
    ]
    planned_count = compared = 0
    for area in areas():
        for index, case in enumerate(load_cases(area)):
            text = iter(hostile[index % len(hostile) :] + hostile)
            data = _replace_text(case["data"], lambda text=text: next(text, "t"))
            data["base"] = hostile[index % len(hostile)]
            for wrapper, output in wrappers:
                source = wrapper.replace("{}", case["template"])
                try:
                    template = compile_escaped(source)
                except TemplateError:
                    continue
                first, again = escaped_both_ways(source, data, output)
                if first != escaped_both_ways(source, data, output)[0]:
                    continue  # the clock's microseconds: not repeatable
                planned_count += output in template.escaping_printers
                compared += 1
                assert first == again, (source, data)
    # Nearly every template has a plan: markers are the exception.
    assert planned_count > 0.9 * compared > 1000


def _replace_text(value, replacement):
    if isinstance(value, str):
        return replacement()
    if isinstance(value, list):
        return [_replace_text(item, replacement) for item in value]
    if isinstance(value, dict):
        return {key: _replace_text(item, replacement) for key, item in value.items()}
    return value


@pytest.mark.parametrize(
    "source",
    [
        # A literal quote on one branch only: the site may be in or out of a
        # string, which only the output can tell.
        '{% if flag %}"{% endif %}{{ v }}',
        # Raw text can move the lexer anywhere.
        '{"a": {{ r|raw }}, "b": "{{ v }}"}',
        # After a literal backslash, reading the output again would differ.
        '{"a": "\\{{ v }}"}',
    ],
)
def test_a_site_whose_place_depends_on_the_render_keeps_the_markers(source):
    assert Output.JSON not in compile_escaped(source).escaping_printers
    for flag in (True, False):
        context = {"flag": flag, "v": 'x"y', "r": '"s'}
        planned, with_markers = escaped_both_ways(source, context, Output.JSON)
        assert planned == with_markers


def test_a_dot_segment_where_the_path_may_have_ended_is_decided_by_the_output():
    source = "{{ base }}/users/{{ segment }}/info"
    assert Output.URL in compile_escaped(source).escaping_printers
    with pytest.raises(TemplateError, match="cannot be a segment of a URL path"):
        as_url(source, base="https://h.example", segment="..")
    assert (
        as_url(source, base="https://h.example/?next=", segment="..")
        == "https://h.example/?next=/users/../info"
    )


def test_a_render_done_again_keeps_the_first_renders_deadline():
    started = time.perf_counter() - 10  # the limit (2 s) is long past
    with one_deadline(started), pytest.raises(TemplateLimitError, match="time"):
        render_escaped("{% for i in 1..3 %}{{ i }}{% endfor %}", {}, output=Output.JSON)


@pytest.mark.parametrize("safe", ["~", escaping.URL_SAFE])
def test_percent_encoding_is_urllibs(safe):
    table = escaping.percent_table(safe)
    every_ascii = "".join(chr(c) for c in range(128))
    for text in [every_ascii, "id,login", "a b/c?d=e&f#g", "é€😀", "100%"]:
        assert escaping.percent_encode(text, table, safe) == quote(text, safe=safe)
    with pytest.raises(UnicodeEncodeError):
        escaping.percent_encode("a\udcffb", table, safe)


def test_numbers_are_written_as_json_dumps_writes_them():
    for value in [0, -7, 10**30, 1.5, 1e20, -0.0, 2.0, 1 / 3]:
        assert escaping.json_value(value) == json.dumps(value)
    for value in [float("nan"), float("inf")]:
        with pytest.raises(ValueError, match="not a number JSON can hold"):
            escaping.json_value(value)


def test_a_deeply_nested_loop_template_still_has_a_plan_or_markers():
    source = "".join(f"{{% for x{i} in xs %}}" for i in range(15))
    source += '"{{ v }}",' + "{% endfor %}" * 15
    template = compile_escaped("[" + source + "0]")
    text = render_escaped("[" + source + "0]", {"xs": [1], "v": 'a"'}, output="json")
    assert json.loads(text) == ['a"', 0]
    assert template.escaping_printers is not None


@pytest.mark.parametrize("place", ['{"a": {{ a }}}', '{"a": "{{ a }}"}'])
def test_an_array_escaped_as_printed_is_sized_before_it_is_encoded(place):
    # 2**40 nested pairs in a few hundred bytes: encoding it would never end.
    shared = "{% set a = [1] %}{% for i in 1..40 %}{% set a = [a, a] %}{% endfor %}"
    assert Output.JSON in compile_escaped(shared + place).escaping_printers
    with pytest.raises(TemplateLimitError) as caught:
        render_escaped(shared + place, {}, output=Output.JSON)
    assert caught.value.limit == "memory"


def test_a_plan_that_takes_too_many_steps_leaves_the_markers(monkeypatch):
    monkeypatch.setattr(escaping, "PLAN_STEPS", 5)
    source = '[{% for x in xs %}"{{ x }}",{% endfor %}"{{ v }}"]'
    template = escaping.EscapingEnvironment().compile_twig(source)
    assert template.escaping_printers == {}
    context = {"xs": ['a"', "b"], "v": "\\"}
    text = escaping.render_compiled(template, context, Output.JSON, None)
    assert json.loads(text) == ['a"', "b", "\\"]
