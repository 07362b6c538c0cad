"""Contextual escaping: each printed value is escaped for where it lands."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from authorizations.templating import TemplateError, render
from authorizations.templating.escaping import Output, render_escaped
from authorizations.templating.limits import TemplateLimitError, bounds

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


def test_the_output_may_be_named_by_text():
    assert render_escaped('{"v": {{ v }}}', {"v": 1}, output="json") == '{"v": 1}'
