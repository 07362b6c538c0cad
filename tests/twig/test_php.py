"""PHP 8 value semantics, with expectations taken from real Twig 3.5 / PHP 8.2."""

import math

import pytest
from jinja2 import Undefined

from twig import php


@pytest.mark.parametrize(
    ("value", "printed"),
    [
        (True, "1"),
        (False, ""),
        (None, ""),
        (Undefined(), ""),
        ([1, 2], "Array"),
        ({"a": 1}, "Array"),
        (0.1 + 0.2, "0.3"),
        (10 / 3, "3.3333333333333"),
        (1e20, "1.0E+20"),
        (1.5e-7, "1.5E-7"),
        (1e14, "1.0E+14"),
        (12345678901234.0, "12345678901234"),
        (123456789012345.0, "1.2345678901234E+14"),
        (0.0001, "0.0001"),
        (0.00001, "1.0E-5"),
        (2.0, "2"),
        (-0.0, "-0"),
        (math.inf, "INF"),
        (math.nan, "NAN"),
        (42, "42"),
    ],
)
def test_to_str_prints_like_php(value, printed):
    assert php.to_str(value) == printed


def test_json_float_format_uses_shortest_digits():
    assert php.format_float(1e15, precision=17, exp_char="e") == "1000000000000000"
    assert php.format_float(1.2345678901234568e17, precision=17, exp_char="e") == (
        "1.2345678901234568e+17"
    )
    assert php.format_float(0.30000000000000004, precision=17) == (
        "0.30000000000000004"
    )


@pytest.mark.parametrize(
    ("value", "truthy"),
    [("0", False), ("", False), (0, False), (0.0, False), (None, False),
     ([], False), ({}, False), (Undefined(), False), ("0.0", True), (" ", True),
     ("false", True), ([0], True)],
)  # fmt: skip
def test_is_truthy(value, truthy):
    assert php.is_truthy(value) is truthy


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [("1", 1, True), (None, False, True), ("", None, True), ("abc", 0, False),
     ("1", "01", True), ("10", "1e1", True), (100, "1e2", True), (None, "0", False),
     (0, "", False), (" 1", 1, True), ("1 ", 1, True), ([1, 2], ["1", "2"], True),
     ({"a": 1, "b": 2}, {"b": 2, "a": 1}, True), (None, [], True), ("a", "A", False)],
)  # fmt: skip
def test_loose_eq(a, b, equal):
    assert php.loose_eq(a, b) is equal


def test_spaceship_and_ordering():
    assert php.spaceship("10", "9") == 1
    assert php.spaceship("abc", "abd") == -1
    assert php.spaceship(None, -1) == -1  # null compares as false
    assert php.spaceship([1, 2, 3], [5, 6]) == 1  # longer array is greater
    assert php.spaceship([1], 100) == 1
    assert php.greater(True, False)
    assert not php.less(math.nan, 1) and not php.greater(math.nan, 1)


def test_spaceship_compares_datetimes():
    import datetime as dt

    early = dt.datetime(2024, 7, 4, tzinfo=dt.UTC)
    late = early + dt.timedelta(hours=1)
    assert php.spaceship(early, late) == -1
    assert php.loose_eq(early, early.astimezone(dt.timezone(dt.timedelta(hours=2))))


def test_arithmetic():
    assert php.add("5", "5") == 10
    assert php.add(" 5 ", 1) == 6
    assert php.add("1.5", 1) == 2.5
    assert php.add(None, 1) == 1
    assert php.add([1], [2, 3]) == [1, 3]
    assert php.div(6, 2) == 3 and isinstance(php.div(6, 2), int)
    assert php.div(7, 2) == 3.5
    assert php.mod(-7, 3) == -1
    assert php.mod(7, -3) == 1
    assert php.mod(7.5, 2) == 1
    assert php.floordiv(-7, 2) == -4
    assert php.power(2, -1) == 0.5
    assert php.power(2, 63) == 9.223372036854776e18
    assert php.add(php.PHP_INT_MAX, 1) == 9.223372036854776e18
    assert php.power(0, -1) == math.inf
    assert php.bitor("5", 2) == 7


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: php.add("a", "b"), "Unsupported operand types: string + string"),
        (lambda: php.add("a", 1), "Unsupported operand types: string + int"),
        (lambda: php.mul("ab", 2), "Unsupported operand types: string * int"),
        (lambda: php.add([1], 1), "Unsupported operand types: array + int"),
        (lambda: php.sub(1, ""), "Unsupported operand types: int - string"),
        (lambda: php.neg("x"), "Unsupported operand types: string * int"),
        (lambda: php.div(1, 0), "Division by zero"),
        (lambda: php.mod(1, 0), "Modulo by zero"),
    ],
)
def test_arithmetic_errors(call, message):
    with pytest.raises(
        php.PhpError, match=message.replace("+", r"\+").replace("*", r"\*")
    ):
        call()


def test_leading_numeric_string_counts_its_number():
    assert php.add("123abc", 1) == 124


def test_contains():
    assert php.contains("hello", "ell")
    assert php.contains("hello", "")
    assert php.contains([1], "1")
    assert not php.contains({"x": 1}, "x")
    assert php.contains({"x": 1}, 1)
    assert not php.contains("123", None)
    assert not php.contains(None, 1)


def test_arrays():
    assert php.php_array_is_list([1, 2])
    assert php.php_array_is_list({0: "a", 1: "b"})
    assert not php.php_array_is_list({1: "a", 0: "b"})
    assert php.from_items([(1, "a"), (0, "b")]) == {1: "a", 0: "b"}
    assert php.from_items([(0, "a"), (1, "b")]) == ["a", "b"]
    assert php.normalize_key("1") == 1 and php.normalize_key("01") == "01"
    assert php.renumber([(5, "x"), ("k", "y"), (9, "z")]) == {0: "x", "k": "y", 1: "z"}
    assert php.same_as([1], [1]) and not php.same_as("1", 1)
