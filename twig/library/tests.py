"""Twig tests: null, empty, iterable, even, odd, divisible by, same as, constant."""

from __future__ import annotations

from .. import php
from .arrays import is_empty
from .constants import constant_value


def is_null(value) -> bool:
    return php.is_null(value)


def is_iterable(value) -> bool:
    return php.is_array(value)


def is_even(value) -> bool:
    return php.loose_eq(php.mod(value, 2), 0)


def is_odd(value) -> bool:
    # OddTest compiles to "x % 2 != 0", so -3 is odd too.
    return not php.loose_eq(php.mod(value, 2), 0)


def is_divisible_by(value, divisor) -> bool:
    return php.loose_eq(0, php.mod(value, divisor))


def is_same_as(value, other) -> bool:
    return php.same_as(value, other)


def is_constant(value, name) -> bool:
    return php.same_as(value, constant_value(name))


def is_defined(value) -> bool:
    """Fallback for engines that resolve ``defined`` at run time."""
    return not isinstance(value, php.Undefined)


TESTS = {
    "null": is_null,
    "none": is_null,
    "empty": is_empty,
    "iterable": is_iterable,
    "even": is_even,
    "odd": is_odd,
    "divisible by": is_divisible_by,
    "same as": is_same_as,
    "constant": is_constant,
    "defined": is_defined,
}
