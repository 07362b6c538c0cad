"""PHP 8 value semantics, as Twig 3.5 inherits them.

Twig compiles its operators to plain PHP, so printing, truthiness, loose
comparison and arithmetic follow the PHP 8.2 engine (Zend/zend_operators.c).
Data model: PHP arrays are Python lists (keys 0..n-1) or dicts with int/str
keys; jinja2 ``Undefined`` is PHP null; ``datetime`` stands for DateTime.
"""

from __future__ import annotations

import contextvars
import datetime as _dt
import math
import re
from collections.abc import Mapping

from jinja2 import Undefined

PHP_INT_MAX = 2**63 - 1
PHP_INT_MIN = -(2**63)

# PHP 8 numeric strings: optional surrounding whitespace (Saner numeric strings
# RFC), no hex, no leading "0x"; "1e3" and ".5" are numeric.
_WS = " \t\n\r\v\f"
_NUMERIC_RE = re.compile(
    r"[ \t\n\r\v\f]*([+-]?(?:[0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?)"
    r"[ \t\n\r\v\f]*\Z"
)
_LEADING_NUMERIC_RE = re.compile(
    r"[ \t\n\r\v\f]*([+-]?(?:[0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?)"
)
_INT_KEY_RE = re.compile(r"(?:0|-?[1-9][0-9]*)\Z")


class PhpError(Exception):
    """An error PHP raises at run time; ``php_class`` names the PHP class."""

    php_class = "Error"


def user_message(error: PhpError) -> str:
    """Word a PHP error for the user, after the filter or function that raised it.

    PHP's class name is left out ("TypeError" would read as Python's), and
    ``limits.guard`` records which callable raised (``twig_callable``).
    """
    text = str(error).rstrip(".")
    called = getattr(error, "twig_callable", None)
    if called is None:
        return f"{text}."
    kind, name = called
    return f'The {kind} "{name}" failed: {text}.'


class PhpTypeError(PhpError):
    php_class = "TypeError"


class PhpValueError(PhpError):
    php_class = "ValueError"


class DivisionByZeroError(PhpError):
    php_class = "DivisionByZeroError"


class TwigRuntimeError(PhpError):
    """An error Twig itself raises (Twig\\Error\\RuntimeError)."""

    php_class = "Twig\\Error\\RuntimeError"


# --- types -------------------------------------------------------------------


def is_null(value) -> bool:
    return value is None or isinstance(value, Undefined)


def is_array(value) -> bool:
    return isinstance(value, list | tuple | Mapping)


def is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def type_name(value) -> str:
    """Name a value's type as PHP error messages do (``get_debug_type``)."""
    if is_null(value):
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if is_array(value):
        return "array"
    if isinstance(value, _dt.datetime):
        return "DateTime"
    return type(value).__name__


def gettype(value) -> str:
    """Name a value's type as PHP's ``gettype()`` does (Twig's messages)."""
    if is_null(value):
        return "NULL"
    return {
        "bool": "boolean",
        "int": "integer",
        "float": "double",
        "DateTime": "object",
    }.get(type_name(value), type_name(value))


# --- arrays --------------------------------------------------------------------


def normalize_key(key):
    """Turn a value into a PHP array key: "1" → 1, True → 1, 1.7 → 1, null → ""."""
    if isinstance(key, bool):
        return int(key)
    if isinstance(key, int):
        return key
    if isinstance(key, float):
        return int(key)
    if is_null(key):
        return ""
    if isinstance(key, str):
        if _INT_KEY_RE.match(key) and PHP_INT_MIN <= int(key) <= PHP_INT_MAX:
            return int(key)
        return str(key)
    raise PhpTypeError("Illegal offset type")


def php_items(value) -> list:
    """Return the (key, value) pairs of a PHP array."""
    if isinstance(value, list | tuple):
        return list(enumerate(value))
    if isinstance(value, Mapping):
        return [(normalize_key(k), v) for k, v in value.items()]
    return []


def php_values(value) -> list:
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, Mapping):
        return list(value.values())
    return []


def php_array_is_list(value) -> bool:
    """Tell whether a PHP array has the keys 0..n-1 in order."""
    if isinstance(value, list | tuple):
        return True
    if isinstance(value, Mapping):
        return all(
            normalize_key(k) == i and not isinstance(k, bool)
            for i, k in enumerate(value)
        )
    return False


def from_items(items) -> list | dict:
    """Build a PHP array from (key, value) pairs: a list when keys are 0..n-1."""
    result = {}
    for key, item in items:
        result[normalize_key(key)] = item
    if all(k == i for i, k in enumerate(result)):
        return list(result.values())
    return result


def renumber(items) -> list | dict:
    """Renumber integer keys from 0 and keep string keys, as array_merge does."""
    result = {}
    next_index = 0
    for key, item in items:
        key = normalize_key(key)
        if isinstance(key, int):
            result[next_index] = item
            next_index += 1
        else:
            result[key] = item
    return from_items(result.items())


# --- strings ----------------------------------------------------------------------


def format_float(number: float, *, precision: int = 14, exp_char: str = "E") -> str:
    """Format a float as PHP's zend_gcvt does for ``precision`` digits.

    ``precision=17`` with shortest digits is ``serialize_precision=-1``
    (json_encode, var_export); 14 is PHP's ``precision`` ini (string casts).
    """
    if math.isnan(number):
        return "NAN"
    if math.isinf(number):
        return "INF" if number > 0 else "-INF"
    if number == 0:
        return "-0" if math.copysign(1, number) < 0 else "0"
    if precision == 17:
        digits, exponent = _shortest_digits(number)
    else:
        mantissa, _, exp = f"{abs(number):.{precision - 1}e}".partition("e")
        digits = mantissa.replace(".", "").rstrip("0") or "0"
        exponent = int(exp)
    sign = "-" if number < 0 else ""
    decpt = exponent + 1
    if decpt < -3 or decpt > precision:
        # zend_gcvt writes at least one fractional digit: 1.0E+20.
        fraction = digits[1:] or "0"
        exp_sign = "-" if exponent < 0 else "+"
        return f"{sign}{digits[0]}.{fraction}{exp_char}{exp_sign}{abs(exponent)}"
    if decpt <= 0:
        return f"{sign}0.{'0' * -decpt}{digits}"
    if len(digits) <= decpt:
        return sign + digits + "0" * (decpt - len(digits))
    return f"{sign}{digits[:decpt]}.{digits[decpt:]}"


def _shortest_digits(number: float) -> tuple[str, int]:
    mantissa, _, exp = f"{abs(number)!r}".partition("e")
    if "." in mantissa:
        whole, fraction = mantissa.split(".")
    else:
        whole, fraction = mantissa, ""
    exponent = int(exp or 0) + len(whole) - 1
    digits = (whole + fraction).lstrip("0")
    exponent -= len(whole + fraction) - len((whole + fraction).lstrip("0"))
    return digits.rstrip("0") or "0", exponent


# PHP notices ("Array to string conversion") of the render in progress, for
# twig_render to report as the reference tool does; None when nobody listens.
notices: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "php_notices", default=None
)


_MAX_NOTICES = 100


def notice(message: str) -> None:
    collected = notices.get()
    if collected is not None and len(collected) < _MAX_NOTICES:
        collected.append(message)


def to_str(value) -> str:
    """Convert a value to a plain ``str`` as Twig prints it."""
    if type(value) is str:
        return value
    if isinstance(value, str):
        # Markup would HTML-escape whatever is joined to it; PHP has no such type.
        return str(value)
    if value is True:
        return "1"
    if value is False or is_null(value):
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if is_array(value):
        notice("Array to string conversion")
        return "Array"
    if isinstance(value, _dt.datetime):
        raise PhpError("Object of class DateTime could not be converted to string")
    return str(value)


def str_arg(value, function: str, position: int = 1, name: str = "string") -> str:
    """Coerce an argument for a PHP string parameter (non-strict mode)."""
    if is_array(value) or isinstance(value, _dt.datetime):
        given = "array" if is_array(value) else "DateTime"
        raise PhpTypeError(
            f"{function}(): Argument #{position} (${name}) must be of type string, "
            f"{given} given"
        )
    return to_str(value)


def int_arg(value, function: str, position: int, name: str) -> int:
    """Coerce an argument for a PHP int parameter (non-strict mode)."""
    number = _coerce_param_number(value, function, position, name, "int")
    if isinstance(number, float):
        if math.isnan(number) or math.isinf(number):
            raise PhpTypeError(
                f"{function}(): Argument #{position} (${name}) must be of type int, "
                "float given"
            )
        return int(number)
    return number


def _coerce_param_number(value, function, position, name, expected):
    if is_null(value):
        return 0
    if isinstance(value, bool):
        return int(value)
    if is_number(value):
        return value
    if isinstance(value, str):
        number = numeric_value(value)
        if number is not None:
            return number
    raise PhpTypeError(
        f"{function}(): Argument #{position} (${name}) must be of type {expected}, "
        f"{type_name(value)} given"
    )


def float_arg(value, function: str, position: int, name: str) -> float:
    return float(_coerce_param_number(value, function, position, name, "float"))


# --- numbers -----------------------------------------------------------------------


def _parse_number(text: str, whole: bool) -> int | float:
    if whole:
        number = int(text)
        if PHP_INT_MIN <= number <= PHP_INT_MAX:
            return number
    return float(text)


def numeric_value(text: str) -> int | float | None:
    """Return the number a PHP numeric string holds, or None if it isn't one."""
    match = _NUMERIC_RE.match(text)
    if not match:
        return None
    return _parse_number(match.group(1), not (match.group(2) or match.group(3)))


def leading_number(text: str) -> int | float | None:
    """Return the number a string starts with ("12abc" → 12), or None."""
    match = _LEADING_NUMERIC_RE.match(text)
    if not match:
        return None
    return _parse_number(match.group(1), not (match.group(2) or match.group(3)))


def to_float(value) -> float:
    """PHP's ``(float)`` cast: never raises, non-numeric strings are 0."""
    if is_null(value):
        return 0.0
    if isinstance(value, bool | int | float):
        return float(value)
    if isinstance(value, str):
        number = leading_number(value)
        return float(number) if number is not None else 0.0
    if is_array(value):
        return float(bool(value))
    return 1.0


def to_int(value) -> int:
    """PHP's ``(int)`` cast (zval_get_long): never raises."""
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return 0
        return _to_int_wrap(int(value))
    if isinstance(value, str):
        number = leading_number(value)
        if isinstance(number, float):
            # Numeric strings saturate instead of wrapping (ZEND_STRTOL).
            if math.isnan(number):
                return 0
            return max(PHP_INT_MIN, min(PHP_INT_MAX, int(number)))
        return number or 0
    return int(to_float(value)) if not isinstance(value, int) else int(value)


def is_numeric(value) -> bool:
    if isinstance(value, str):
        return numeric_value(value) is not None
    return is_number(value)


def _string_operand(text: str, operator: str, other, left: bool):
    number = numeric_value(text)
    if number is not None:
        return number
    match = _LEADING_NUMERIC_RE.match(text)
    if match:
        # "123abc" is 123 with PHP's "A non-numeric value encountered" warning.
        return _parse_number(match.group(1), not (match.group(2) or match.group(3)))
    raise _unsupported(text, operator, other, left)


def _unsupported(value, operator, other, left=True):
    first, second = (value, other) if left else (other, value)
    return PhpTypeError(
        f"Unsupported operand types: {type_name(first)} {operator} {type_name(second)}"
    )


def _operand(value, operator: str, other, left: bool) -> int | float:
    if is_null(value):
        return 0
    if isinstance(value, bool):
        return int(value)
    if is_number(value):
        return value
    if isinstance(value, str):
        return _string_operand(value, operator, other, left)
    raise _unsupported(value, operator, other, left)


def to_number(value) -> int | float:
    """Convert a value for arithmetic as PHP does; non-numeric strings raise."""
    return _operand(value, "+", 0, True)


def _operands(a, b, operator):
    return _operand(a, operator, b, True), _operand(b, operator, a, False)


def _fit(number):
    """Overflowing PHP integers become floats."""
    if isinstance(number, int) and not PHP_INT_MIN <= number <= PHP_INT_MAX:
        return float(number)
    return number


def _float_op(x, y, op):
    try:
        return op(float(x), float(y))
    except OverflowError:
        return math.inf


def add(a, b):
    if is_array(a) and is_array(b):
        # Array union: left keys win, right adds only missing keys.
        result = dict(php_items(a))
        for key, item in php_items(b):
            result.setdefault(key, item)
        return from_items(result.items())
    x, y = _operands(a, b, "+")
    if isinstance(x, float) or isinstance(y, float):
        return float(x) + float(y)
    return _fit(x + y)


def sub(a, b):
    x, y = _operands(a, b, "-")
    if isinstance(x, float) or isinstance(y, float):
        return float(x) - float(y)
    return _fit(x - y)


def mul(a, b):
    x, y = _operands(a, b, "*")
    if isinstance(x, float) or isinstance(y, float):
        return _float_op(x, y, lambda p, q: p * q)
    return _fit(x * y)


def div(a, b):
    x, y = _operands(a, b, "/")
    if y == 0:
        raise DivisionByZeroError("Division by zero")
    if isinstance(x, int) and isinstance(y, int) and x % y == 0:
        return _fit(x // y)
    return _float_op(x, y, lambda p, q: p / q)


def floordiv(a, b):
    """Twig's ``//``: ``(int) floor(a / b)``; floor() always returns a float."""
    quotient = float(div(a, b))
    if math.isnan(quotient) or math.isinf(quotient):
        return 0
    return _to_int_wrap(int(math.floor(quotient)))


def _to_int_wrap(number: int) -> int:
    if PHP_INT_MIN <= number <= PHP_INT_MAX:
        return number
    # PHP 8 on 64-bit wraps out-of-range float to int casts modulo 2**64.
    number %= 2**64
    return number - 2**64 if number > PHP_INT_MAX else number


def _int_operand(value, operator, other, left) -> int:
    number = _operand(value, operator, other, left)
    if isinstance(number, float):
        if math.isnan(number) or math.isinf(number):
            return 0
        return _to_int_wrap(int(number))
    return number


def mod(a, b):
    x = _int_operand(a, "%", b, True)
    y = _int_operand(b, "%", a, False)
    if y == 0:
        raise DivisionByZeroError("Modulo by zero")
    # PHP's % truncates, so the result has the sign of the left operand.
    remainder = abs(x) % abs(y)
    return -remainder if x < 0 else remainder


def power(a, b):
    x, y = _operands(a, b, "**")
    if isinstance(x, int) and isinstance(y, int) and y >= 0:
        if abs(x) > 1 and y > 64:
            return _float_op(x, y, _float_pow)
        return _fit(x**y)
    return _float_op(x, y, _float_pow)


def _float_pow(x: float, y: float) -> float:
    if x == 0 and y < 0:
        return math.inf
    try:
        return math.pow(x, y)
    except ValueError:
        return math.nan
    except OverflowError:
        return math.inf if x > 0 or float(y).is_integer() and y % 2 == 0 else -math.inf


def neg(value):
    """Unary minus: PHP compiles ``-x`` to ``x * -1``."""
    return mul(value, -1)


def pos(value):
    """Unary plus: PHP compiles ``+x`` to ``x * 1``."""
    return mul(value, 1)


def _bitwise(a, b, operator, op):
    if isinstance(a, str) and isinstance(b, str):
        raw_a, raw_b = (
            a.encode("utf-8", "surrogateescape"),
            b.encode("utf-8", "surrogateescape"),
        )
        if operator == "|":
            longer, shorter = (
                (raw_a, raw_b) if len(raw_a) >= len(raw_b) else (raw_b, raw_a)
            )
            out = (
                bytes(op(x, y) for x, y in zip(longer, shorter, strict=False))
                + longer[len(shorter) :]
            )
        else:
            out = bytes(op(x, y) for x, y in zip(raw_a, raw_b, strict=False))
        return out.decode("utf-8", "surrogateescape")
    x = _int_operand(a, operator, b, True)
    y = _int_operand(b, operator, a, False)
    return _to_int_wrap(op(x, y))


def bitand(a, b):
    return _bitwise(a, b, "&", lambda x, y: x & y)


def bitor(a, b):
    return _bitwise(a, b, "|", lambda x, y: x | y)


def bitxor(a, b):
    return _bitwise(a, b, "^", lambda x, y: x ^ y)


# --- truthiness and comparison --------------------------------------------------------


def is_truthy(value) -> bool:
    """Apply PHP's boolean conversion: "0", "", 0, 0.0, null, [] are false."""
    # Every {% if %} and loop test runs this: the two commonest types first.
    cls = value.__class__
    if cls is bool:
        return value
    if cls is str:
        return value != "" and value != "0"
    if is_null(value):
        return False
    if isinstance(value, str):
        return value not in ("", "0")
    if isinstance(value, bool | int | float):
        return bool(value)
    if is_array(value):
        return len(value) > 0
    return True


def _sign(number) -> int:
    return (number > 0) - (number < 0)


def _num_compare(x, y) -> int:
    if isinstance(x, float) or isinstance(y, float):
        x, y = float(x), float(y)
        # ZEND_THREEWAY_COMPARE: NaN compares as "greater" both ways.
        return 0 if x == y else (-1 if x < y else 1)
    return _sign(x - y)


def _string_compare(a: str, b: str) -> int:
    x, y = numeric_value(a), numeric_value(b)
    if x is not None and y is not None:
        return _num_compare(x, y)
    # Code point order equals UTF-8 byte order (PHP's memcmp).
    return (a > b) - (a < b)


def _bool_compare(a: bool, b: bool) -> int:
    return int(a) - int(b)


def spaceship(a, b) -> int:
    """Compare two values as PHP 8's ``<=>`` does (zend_compare)."""
    if isinstance(a, Undefined):
        a = None
    if isinstance(b, Undefined):
        b = None
    if isinstance(a, str) and isinstance(b, str):
        return _string_compare(a, b)
    if is_number(a) and is_number(b):
        return _num_compare(a, b)
    # null <=> string: null is "", compared as a string.
    if a is None and isinstance(b, str):
        return 0 if b == "" else -1
    if isinstance(a, str) and b is None:
        return 0 if a == "" else 1
    if a is None or isinstance(a, bool) or b is None or isinstance(b, bool):
        return _bool_compare(is_truthy(a), is_truthy(b))
    if is_number(a) and isinstance(b, str):
        number = numeric_value(b)
        if number is None:
            return _string_compare(to_str(a), b)
        return _num_compare(a, number)
    if isinstance(a, str) and is_number(b):
        number = numeric_value(a)
        if number is None:
            return _string_compare(a, to_str(b))
        return _num_compare(number, b)
    if is_array(a) and is_array(b):
        return _array_compare(a, b)
    if is_array(a):
        return 1
    if is_array(b):
        return -1
    if isinstance(a, _dt.datetime) and isinstance(b, _dt.datetime):
        return _sign((a - b).total_seconds())
    # Objects compared with scalars: PHP treats them as uncomparable (1).
    return 1


def _array_compare(a, b) -> int:
    left, right = php_items(a), dict(php_items(b))
    if len(left) != len(right):
        return _sign(len(left) - len(right))
    for key, item in left:
        if key not in right:
            return 1
        result = spaceship(item, right[key])
        if result:
            return result
    return 0


def loose_eq(a, b) -> bool:
    """PHP 8 ``==``."""
    return spaceship(a, b) == 0


def less(a, b) -> bool:
    return spaceship(a, b) < 0


def less_equal(a, b) -> bool:
    return spaceship(a, b) <= 0


def greater(a, b) -> bool:
    # PHP compiles ``a > b`` as ``b < a``; uncomparable pairs are false both ways.
    return spaceship(b, a) < 0


def greater_equal(a, b) -> bool:
    return spaceship(b, a) <= 0


def same_as(a, b) -> bool:
    """PHP ``===``: same type and value; arrays with the same pairs in order."""
    if is_null(a) or is_null(b):
        return is_null(a) and is_null(b)
    if type_name(a) != type_name(b):
        return False
    if is_array(a):
        left, right = php_items(a), php_items(b)
        return len(left) == len(right) and all(
            ka == kb and same_as(va, vb)
            for (ka, va), (kb, vb) in zip(left, right, strict=True)
        )
    if isinstance(a, _dt.datetime):
        return a is b
    return a == b


def contains(haystack, needle) -> bool:
    """Twig's ``needle in haystack`` (twig_in_filter)."""
    if isinstance(haystack, str):
        if isinstance(needle, str) or is_number(needle):
            needle = to_str(needle)
            return needle == "" or needle in haystack
        return False
    if not is_array(haystack):
        return False
    if isinstance(needle, _dt.datetime):
        return any(item is needle for item in php_values(haystack))
    return any(spaceship(needle, item) == 0 for item in php_values(haystack))
