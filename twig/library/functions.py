"""Twig functions: range, min, max, cycle, attribute, constant, date, random."""

from __future__ import annotations

import random as _random

from jinja2 import pass_environment

from .. import php
from ..php import TwigRuntimeError
from .constants import constant_value
from .dates import date_function
from .numbers import max_, min_, range_

_RNG = _random.SystemRandom()
_MT_RAND_MAX = 2147483647


def cycle(values, position):
    if not php.is_array(values):
        return values
    items = php.php_values(values) if php.php_array_is_list(values) else None
    index = php.mod(position, len(values))
    if items is not None:
        return items[index] if 0 <= index < len(items) else None
    return dict(php.php_items(values)).get(index)


def attribute(obj, name, arguments=None):
    """Read ``obj[name]`` for a mapping or list; never a Python attribute."""
    if not php.is_array(obj):
        return None
    key = php.normalize_key(name)
    if isinstance(obj, list | tuple):
        if isinstance(key, int) and 0 <= key < len(obj):
            return obj[key]
        return None
    for raw_key, value in obj.items():
        if php.normalize_key(raw_key) == key:
            return value
    return None


def constant(name, obj=None):
    return constant_value(name)


@pass_environment
def random(environment, values=None, max_value=None):
    """Twig's random(): nondeterministic, kept for completeness."""
    if php.is_null(values):
        high = _MT_RAND_MAX if php.is_null(max_value) else php.to_int(max_value)
        return random(environment, 0, high)
    if php.is_number(values):
        if php.is_null(max_value):
            low, high = (values, 0) if values < 0 else (0, values)
        else:
            low, high = values, max_value
        low, high = php.to_int(low), php.to_int(high)
        if high < low:
            raise php.PhpValueError(
                "mt_rand(): Argument #2 ($max) must be greater than or equal to "
                "argument #1 ($min)"
            )
        return _RNG.randint(low, high)
    if isinstance(values, str):
        if values == "":
            return ""
        values = list(values)
    if not php.is_array(values):
        return values
    choices = php.php_values(values)
    if not choices:
        raise TwigRuntimeError("The random function cannot pick from an empty array.")
    return _RNG.choice(choices)


FUNCTIONS = {
    "range": range_,
    "min": min_,
    "max": max_,
    "cycle": cycle,
    "attribute": attribute,
    "constant": constant,
    "date": date_function,
    "random": random,
}
