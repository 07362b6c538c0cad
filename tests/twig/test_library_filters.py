"""Filters called directly; every expectation was rendered by real Twig 3.5."""

import pytest
from markupsafe import Markup

from twig.library import FILTERS, arrays, encoding, strings
from twig.library.sprintf import sprintf
from twig.php import PhpError, TwigRuntimeError


def test_tables_name_every_twig_filter():
    expected = {
        "date", "date_modify", "format", "replace", "number_format", "abs", "round",
        "url_encode", "json_encode", "convert_encoding", "title", "capitalize",
        "upper", "lower", "striptags", "trim", "nl2br", "spaceless", "join", "split",
        "sort", "merge", "batch", "column", "filter", "map", "reduce", "reverse",
        "length", "slice", "first", "last", "default", "keys", "raw", "escape", "e",
    }  # fmt: skip
    assert set(FILTERS) == expected
    assert FILTERS["nl2br"].twig_pre_escape == "html"


def test_case_filters():
    assert strings.upper("straße") == "STRASSE"
    assert strings.title("o'neil mc-donald x1y 123abc") == "O'neil Mc-Donald X1Y 123Abc"
    assert strings.title("ǆemal") == "ǅemal"
    assert strings.capitalize("hELLO") == "Hello"
    assert strings.upper(None) == "" and strings.upper(12.5) == "12.5"
    with pytest.raises(PhpError, match="mb_strtoupper"):
        strings.upper([1])


def test_trim():
    assert strings.trim("--x--", "-") == "x"
    assert strings.trim("abcba", "a..b") == "c"
    assert strings.trim("  x  ", side="left") == "x  "
    with pytest.raises(TwigRuntimeError, match="Trimming side"):
        strings.trim("x", " ", "middle")


def test_split():
    assert strings.split("a,b,c,d", ",", 2) == ["a", "b,c,d"]
    assert strings.split("a,b,c,d", ",", -1) == ["a", "b", "c"]
    assert strings.split("a,b", ",", -5) == []
    assert strings.split("héllo", "", 2) == ["hé", "ll", "o"]
    assert strings.split("<b>\n", "") == ["<", "b", ">\n"]
    assert strings.split(None, ",") == [""]


def test_replace_is_strtr():
    assert strings.replace("aab", {"a": "b", "b": "c"}) == "bbc"
    assert strings.replace("hello", {"l": "L", "ll": "11"}) == "he11o"
    with pytest.raises(TwigRuntimeError, match='got "string"'):
        strings.replace("abc", "a")


def test_striptags_nl2br_spaceless():
    assert strings.striptags("<p>a</p><br/><b>b</b>", "<b><br>") == "a<br/><b>b</b>"
    assert strings.striptags("a < b and c > d") == "a < b and c > d"
    assert strings.striptags('<a title="x>y">z</a><!-- c -->') == "z"
    assert strings.nl2br("a\r\nb") == "a<br />\r\nb"
    assert strings.spaceless("<p>  x </p>\n  <b>y</b> ") == "<p>  x </p><b>y</b>"


def test_sprintf():
    assert sprintf("%05d|%-5d|%5s", -3, 7, "ab") == "-0003|7    |   ab"
    assert sprintf("%'*10s|%05.1f|%x|%b|%c", "ab", 3.14159, 255, 5, 65) == (
        "********ab|003.1|ff|101|A"
    )
    assert sprintf("%e|%u", 1234.5678, -1) == "1.234568e+3|18446744073709551615"
    assert sprintf("%-05d|%-05.1f|%-05x", 3, 1.25, 255) == "3    |1.200|ff000"
    assert sprintf("%2$s %1$s", "a", "b") == "b a"
    assert sprintf("%g|%g", 0.00001234, 123456789) == "1.234e-5|1.23457e+8"
    with pytest.raises(PhpError, match="3 arguments are required, 2 given"):
        sprintf("%s %s", "a")
    with pytest.raises(PhpError, match='Unknown format specifier "y"'):
        sprintf("%y", 1)


def test_array_filters_keep_php_keys():
    assert arrays.sort([3, 1, 2]) == {1: 1, 2: 2, 0: 3}
    assert arrays.sort(["b", "a", "10", "9", 1]) == {
        4: 1,
        3: "9",
        2: "10",
        1: "a",
        0: "b",
    }
    assert arrays.filter_([3, 1, 2, 4], lambda v: v > 2) == {0: 3, 3: 4}
    assert arrays.map_({"b": 2}, lambda v, k: k + str(v)) == {"b": "b2"}
    assert arrays.reduce_([1, 2, 3], lambda c, v: (c or 0) + v) == 6
    assert arrays.merge({5: "x", 9: "y"}, {7: "z"}) == ["x", "y", "z"]
    assert arrays.merge({"a": 1, "b": 2}, {"b": 3}) == {"a": 1, "b": 3}
    assert arrays.reverse({5: "x", 9: "y"}) == ["y", "x"]
    assert arrays.slice_([1, 2, 3, 4], 1, 2, True) == {1: 2, 2: 3}
    assert arrays.batch([1, 2, 3, 4, 5], 2, "x") == [
        [1, 2],
        {2: 3, 3: 4},
        {4: 5, 5: "x"},
    ]


def test_sort_with_arrows():
    assert list(arrays.sort([1, 2, 3], lambda a, b: b - a).values()) == [3, 2, 1]
    # PHP 8 retries a boolean comparator with swapped operands.
    assert list(arrays.sort([3, 1, 2], lambda a, b: a > b).values()) == [1, 2, 3]


def test_join_first_last_length_column():
    assert arrays.join([1, 2, 3], ", ", " and ") == "1, 2 and 3"
    assert arrays.join([True, False, None, 1.0], ",") == "1,,,1"
    assert arrays.first({"b": 2, "a": 1}) == 2 and arrays.last("héllo") == "o"
    assert arrays.length(None) == 0 and arrays.length(12345) == 5
    rows = [{"id": 7, "n": "a"}, {"id": 8}]
    assert arrays.column(rows, "n") == ["a"]
    assert arrays.column(rows, "n", "id") == {7: "a"}


def test_array_errors():
    with pytest.raises(TwigRuntimeError, match='got "NULL" as first argument'):
        arrays.merge(None, [1])
    with pytest.raises(TwigRuntimeError, match='got "string"'):
        arrays.sort("x")
    with pytest.raises(PhpError, match="must be greater than 0"):
        arrays.batch([1], 0)


def test_escape():
    assert encoding.escape('<a href="x">O\'B & c</a>') == (
        "&lt;a href=&quot;x&quot;&gt;O&#039;B &amp; c&lt;/a&gt;"
    )
    assert encoding.escape(encoding.escape("&")) == "&amp;amp;"
    assert encoding.escape("é😀 /", "js") == "\\u00E9\\uD83D\\uDE00\\u0020\\/"
    assert encoding.escape("a b", "css") == "a\\20 b"
    assert encoding.escape("a b=", "html_attr") == "a&#x20;b&#x3D;"
    assert encoding.escape(12) == 12
    assert isinstance(encoding.raw("<b>"), Markup)
    with pytest.raises(TwigRuntimeError, match='Invalid escaping strategy "xml"'):
        encoding.escape("x", "xml")


def test_json_encode():
    assert encoding.json_encode({"a": [1, 2.0], "b": {}}) == '{"a":[1,2],"b":[]}'
    assert encoding.json_encode("a/b é 😀") == '"a\\/b \\u00e9 \\ud83d\\ude00"'
    assert encoding.json_encode({1: "x", 0: "y"}) == '{"1":"x","0":"y"}'
    assert encoding.json_encode([1, 2], 16) == '{"0":1,"1":2}'
    assert encoding.json_encode(["12", "x"], 32) == '[12,"x"]'
    assert encoding.json_encode([2.0], 1024) == "[2.0]"
    assert encoding.json_encode({"a": [1], "d": {}}, 128) == (
        '{\n    "a": [\n        1\n    ],\n    "d": []\n}'
    )
    assert encoding.json_encode(float("inf")) is False


def test_url_encode():
    assert encoding.url_encode("a b+c/d~é") == "a%20b%2Bc%2Fd~%C3%A9"
    query = {"u": "https://x.io/?a=1", "n": None, "t": True, "f": False,
             "nested": {"a": {"b": "c d"}}, "list": [1, 2]}  # fmt: skip
    assert encoding.url_encode(query) == (
        "u=https%3A%2F%2Fx.io%2F%3Fa%3D1&t=1&f=0&nested%5Ba%5D%5Bb%5D=c%20d"
        "&list%5B0%5D=1&list%5B1%5D=2"
    )
