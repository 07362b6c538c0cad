"""Number filters and functions: number_format, round, abs, range, min, max."""

from __future__ import annotations

import math

from .. import php
from ..php import PhpTypeError, PhpValueError, TwigRuntimeError

# Past this many elements range() refuses, where PHP would exhaust its memory.
MAX_RANGE_SIZE = 1_000_000


def _intlog10abs(value: float) -> int:
    return math.floor(math.log10(abs(value)))


def _round_helper(value: float) -> float:
    # PHP_ROUND_HALF_UP: halves go away from zero.
    return math.floor(value + 0.5) if value >= 0.0 else math.ceil(value - 0.5)


def _pow10(power: int) -> float:
    if 0 <= power <= 22:
        return float(10**power)
    try:
        return math.pow(10.0, power)
    except OverflowError:  # PHP's pow() gives INF, which round() handles
        return math.inf


def php_round(value: float, places: int = 0) -> float:
    """PHP 8.2's round() (_php_math_round): pre-rounds to 15 significant digits."""
    if not math.isfinite(value) or value == 0.0:
        return value
    precision_places = 14 - _intlog10abs(value)
    f1 = _pow10(abs(places))
    if precision_places > places and precision_places - 15 < places:
        f2 = _pow10(abs(precision_places))
        tmp = value * f2 if precision_places >= 0 else value / f2
        tmp = _round_helper(tmp)
        tmp = tmp / _pow10(abs(places - precision_places))
    else:
        tmp = value * f1 if places >= 0 else value / f1
        if abs(tmp) >= 1e15:
            return value
    tmp = _round_helper(tmp)
    if abs(places) < 23:
        return tmp / f1 if places > 0 else tmp * f1
    try:
        result = float(f"{tmp:15f}e{-places}")
    except (ValueError, OverflowError):
        return value
    return result if math.isfinite(result) else value


def round_(value, precision=0, method="common") -> float:
    number = php.to_float(value)
    places = php.int_arg(precision, "round", 2, "precision")
    if method == "common":
        return php_round(number, places)
    if method not in ("ceil", "floor"):
        raise TwigRuntimeError(
            'The round filter only supports the "common", "ceil", and "floor" methods.'
        )
    factor = php.power(10, places)
    scaled = number * factor
    if not math.isfinite(scaled):
        return scaled / factor
    rounded = math.ceil(scaled) if method == "ceil" else math.floor(scaled)
    return float(rounded) / factor


def number_format(value, decimals=None, decimal_point=None, thousands_sep=None) -> str:
    """PHP 8.2 number_format(): negative decimals count as 0."""
    decimals = (
        0
        if php.is_null(decimals)
        else php.int_arg(decimals, "number_format", 2, "decimals")
    )
    decimal_point = "." if php.is_null(decimal_point) else php.to_str(decimal_point)
    thousands_sep = "," if php.is_null(thousands_sep) else php.to_str(thousands_sep)
    number = php.to_float(value)
    decimals = max(0, decimals)
    negative = number < 0
    number = php_round(abs(number), decimals)
    if not math.isfinite(number):
        text = php.format_float(number)
        return ("-" if negative else "") + text
    formatted = f"{number:.{decimals}f}"
    if negative and number == 0:
        negative = False
    whole, _, fraction = formatted.partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    result = thousands_sep.join(groups)
    if decimals > 0:
        result += decimal_point + fraction
    return ("-" if negative else "") + result


def abs_(value):
    if isinstance(value, str):
        number = php.numeric_value(value)
        if number is None:
            raise PhpTypeError(
                "abs(): Argument #1 ($num) must be of type int|float, string given"
            )
        value = number
    elif php.is_null(value) or isinstance(value, bool):
        value = int(bool(value))
    elif not php.is_number(value):
        raise PhpTypeError(
            "abs(): Argument #1 ($num) must be of type int|float, "
            f"{php.type_name(value)} given"
        )
    if isinstance(value, int) and value == php.PHP_INT_MIN:
        return -float(value)
    return abs(value)


def _range_error():
    return PhpValueError(
        "range(): Argument #3 ($step) must not exceed the specified range"
    )


def _check_size(size: int) -> None:
    if size > MAX_RANGE_SIZE:
        raise PhpValueError(
            f"range() would create {size} elements; the limit is {MAX_RANGE_SIZE}."
        )


def range_(start, end, step=1):
    """PHP 8.2 range(): inclusive, letters, numeric strings, float steps."""
    step_is_float = isinstance(step, float) or (
        isinstance(step, str) and isinstance(php.numeric_value(step), float)
    )
    step_value = abs(php.to_float(step))
    if isinstance(start, str) and isinstance(end, str) and start and end:
        low_num, high_num = php.numeric_value(start), php.numeric_value(end)
        if isinstance(low_num, float) or isinstance(high_num, float) or step_is_float:
            return _float_range(php.to_float(start), php.to_float(end), step_value)
        if isinstance(low_num, int) or isinstance(high_num, int):
            return _int_range(php.to_int(start), php.to_int(end), step_value)
        return _char_range(start, end, int(step_value))
    if isinstance(start, float) or isinstance(end, float) or step_is_float:
        return _float_range(php.to_float(start), php.to_float(end), step_value)
    return _int_range(php.to_int(start), php.to_int(end), step_value)


def _char_range(start: str, end: str, step: int) -> list[str]:
    low = start.encode("utf-8")[0]
    high = end.encode("utf-8")[0]
    if low == high:
        return [chr(low)]
    if step <= 0 or abs(high - low) < step:
        raise _range_error()
    direction = 1 if high > low else -1
    return [chr(c) for c in range(low, high + direction, step * direction)]


def _int_range(low: int, high: int, step: float) -> list[int]:
    if step <= 0:
        raise _range_error()
    step = int(step)
    if low == high:
        return [low]
    if abs(high - low) < step:
        raise _range_error()
    _check_size(abs(high - low) // step + 1)
    direction = 1 if high > low else -1
    return list(range(low, high + direction, step * direction))


def _float_range(low: float, high: float, step: float) -> list[float]:
    if math.isinf(low) or math.isinf(high):
        raise PhpValueError(f"Invalid range supplied: start={low:.0f} end={high:.0f}")
    if low == high:
        return [low]
    if step <= 0 or abs(high - low) < step:
        raise _range_error()
    size = int(php_round(abs(high - low) / step)) + 1
    _check_size(size)
    if high > low:
        values = (low + i * step for i in range(size))
        return [v for v in values if v <= high]
    values = (low - i * step for i in range(size))
    return [v for v in values if v >= high]


def _extreme(name: str, values: tuple, pick_max: bool, compare=php.spaceship):
    if len(values) == 1:
        (only,) = values
        if not php.is_array(only):
            raise PhpTypeError(
                f"{name}(): Argument #1 ($value) must be of type array, "
                f"{php.type_name(only)} given"
            )
        candidates = php.php_values(only)
        if not candidates:
            raise PhpValueError(
                f"{name}(): Argument #1 ($value) must contain at least one element"
            )
    elif not values:
        raise PhpValueError(f"{name}() expects at least 1 argument, 0 given")
    else:
        candidates = list(values)
    best = candidates[0]
    for candidate in candidates[1:]:
        # max() replaces on "best < candidate", min() on "candidate < best".
        pair = (best, candidate) if pick_max else (candidate, best)
        if compare(*pair) < 0:
            best = candidate
    return best


def max_(*values):
    return _extreme("max", values, pick_max=True)


def min_(*values):
    return _extreme("min", values, pick_max=False)


# The same functions with another comparison than PHP's <=> (the render limits
# pass one that checks the deadline).
max_.twig_compared = lambda compare, *values: _extreme("max", values, True, compare)
min_.twig_compared = lambda compare, *values: _extreme("min", values, False, compare)
