"""PHP 8.2 sprintf() for the ``format`` filter (ext/standard/formatted_print.c)."""

from __future__ import annotations

import math
import re

from .. import php
from ..php import PhpError, PhpValueError

_SPEC = re.compile(
    r"%(?:(?P<argnum>\d+)\$)?(?P<flags>(?:[-+ 0]|'.)*)(?P<width>\d+|\*)?"
    r"(?:\.(?P<precision>\d+|\*)?)?(?P<conv>.?)",
    re.S,
)
_MAX_PRECISION = 53


class ArgumentCountError(PhpError):
    php_class = "ArgumentCountError"


def _pad(text: str, width: int, pad: str, left: bool, sign_aware: bool = False) -> str:
    # Width counts bytes, as PHP strings are byte strings.
    missing = width - len(text.encode("utf-8"))
    if missing <= 0:
        return text
    if left:
        return text + pad * missing
    if sign_aware and pad == "0" and text[:1] in "+-":
        return text[0] + "0" * missing + text[1:]
    return pad * missing + text


def _exponent(number: float, precision: int, upper: bool) -> str:
    mantissa, _, exp = f"{abs(number):.{precision}e}".partition("e")
    text = f"{mantissa}{'E' if upper else 'e'}{int(exp):+d}"
    return text


def _format_float(number: float, conv: str, precision: int | None, plus: bool) -> str:
    if precision is None:
        precision = 6
    precision = min(precision, _MAX_PRECISION)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        body = "Inf"
    elif conv in "fF":
        body = f"{abs(number):.{precision}f}"
    elif conv in "eE":
        body = _exponent(number, precision, conv == "E")
    else:
        digits = precision or 1
        exp_char = "E" if conv in "GH" else "e"
        body = php.format_float(abs(number), precision=digits, exp_char=exp_char)
    negative = number < 0 or (
        number == 0 and math.copysign(1, number) < 0 and conv in "gGhH"
    )
    if negative:
        return "-" + body
    return ("+" + body) if plus else body


def _unsigned(number: int) -> int:
    return number % 2**64


def sprintf(format_string, *values) -> str:
    """Format as PHP's sprintf(), raising PHP's errors for bad specs."""
    fmt = (
        ""
        if php.is_null(format_string)
        else php.str_arg(format_string, "sprintf", 1, "format")
    )
    out = []
    position = 0
    next_arg = 0
    max_needed = 0
    while True:
        found = fmt.find("%", position)
        if found < 0:
            out.append(fmt[position:])
            break
        out.append(fmt[position:found])
        if fmt[found + 1 : found + 2] == "%":
            out.append("%")
            position = found + 2
            continue
        match = _SPEC.match(fmt, found)
        position = match.end()
        conv = match.group("conv")
        if not conv:
            raise PhpValueError("Missing format specifier at end of string")
        flags = match.group("flags")
        left = plus = False
        pad = " "
        i = 0
        while i < len(flags):
            flag = flags[i]
            if flag == "-":
                left = True
            elif flag == "+":
                plus = True
            elif flag == "0":
                pad = "0"
            elif flag == " ":
                pad = " "
            elif flag == "'":
                i += 1
                pad = flags[i]
            i += 1

        def take(explicit=None):
            nonlocal next_arg, max_needed
            if explicit is not None:
                index = explicit
            else:
                index = next_arg
                next_arg += 1
            max_needed = max(max_needed, index + 1)
            if index >= len(values):
                raise ArgumentCountError(
                    f"{max_needed + 1} arguments are required, {len(values) + 1} given"
                )
            return values[index]

        argnum = match.group("argnum")
        if argnum is not None:
            argnum = int(argnum)
            if argnum <= 0:
                raise PhpValueError(
                    "Argument number specifier must be greater than zero and less "
                    "than 2147483647"
                )
            argnum -= 1
        width = match.group("width")
        width = php.to_int(take()) if width == "*" else int(width or 0)
        precision = match.group("precision")
        if precision == "*":
            precision = php.to_int(take())
        elif precision is not None:
            precision = int(precision)
        elif "." in fmt[match.start() : match.end()]:
            precision = 0
        if conv not in "bcdeEfFgGhHosuxX":
            raise PhpValueError(f'Unknown format specifier "{conv}"')
        value = take(argnum)
        out.append(_convert(value, conv, width, precision, pad, left, plus))
    return "".join(out)


def _convert(value, conv, width, precision, pad, left, plus) -> str:
    if conv == "s":
        text = php.to_str(value)
        if precision is not None:
            text = text.encode("utf-8")[:precision].decode("utf-8", "ignore")
        return _pad(text, width, pad, left)
    if conv == "d":
        number = php.to_int(value)
        text = str(number)
        if plus and number >= 0:
            text = "+" + text
        # PHP pads a left-justified integer with spaces even with the 0 flag.
        return _pad(text, width, " " if left and pad == "0" else pad, left, True)
    if conv == "u":
        text = str(_unsigned(php.to_int(value)))
        return _pad(text, width, " " if left and pad == "0" else pad, left)
    if conv in "eEfFgGhH":
        text = _format_float(php.to_float(value), conv, precision, plus)
        return _pad(text, width, pad, left, True)
    if conv == "c":
        return chr(php.to_int(value) % 256)
    number = _unsigned(php.to_int(value))
    text = {
        "x": f"{number:x}",
        "X": f"{number:X}",
        "o": f"{number:o}",
        "b": f"{number:b}",
    }[conv]
    return _pad(text, width, pad, left)
