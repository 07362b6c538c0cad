"""Escaping and encoding filters: raw, escape, json_encode, url_encode."""

from __future__ import annotations

import datetime as _dt
import math
import re
from urllib.parse import quote

from markupsafe import Markup

from .. import php
from ..php import PhpError, TwigRuntimeError

STRATEGIES = ("html", "js", "url", "css", "html_attr")

_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#039;"}
_HTML_RE = re.compile("[&<>\"']")
_JS_RE = re.compile(r"[^a-zA-Z0-9,._]")
_JS_SHORT = {
    "\\": "\\\\",
    "/": "\\/",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
_CSS_RE = re.compile(r"[^a-zA-Z0-9]")
_ATTR_RE = re.compile(r"[^a-zA-Z0-9,.\-_]")
_ATTR_NAMED = {'"': "&quot;", "&": "&amp;", "<": "&lt;", ">": "&gt;"}


def raw(value):
    """Mark a value safe: strings become Markup, other values pass through."""
    if isinstance(value, str):
        # Marking the template author's value safe is exactly what raw means.
        return Markup(value)  # noqa: S704
    return value


def _js_char(match) -> str:
    char = match.group(0)
    if char in _JS_SHORT:
        return _JS_SHORT[char]
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04X}"
    code -= 0x10000
    return f"\\u{0xD800 | (code >> 10):04X}\\u{0xDC00 | (code & 0x3FF):04X}"


def _attr_char(match) -> str:
    char = match.group(0)
    code = ord(char)
    if (code <= 0x1F and char not in "\t\n\r") or 0x7F <= code <= 0x9F:
        return "&#xFFFD;"
    if char in _ATTR_NAMED:
        return _ATTR_NAMED[char]
    if code < 0x80:
        return f"&#x{code:02X};"
    return f"&#x{code:04X};"


def escape(value, strategy="html", charset=None, autoescape=False):
    """Escape as twig_escape_filter does; explicit calls escape Markup again."""
    if autoescape and isinstance(value, Markup):
        return value
    if php.is_null(strategy):
        strategy = "html"
    if not isinstance(value, str):
        if isinstance(value, _dt.datetime) or strategy in STRATEGIES:
            if strategy not in STRATEGIES:
                raise _invalid_strategy(strategy)
            return value
        raise _invalid_strategy(strategy)
    text = str(value)
    if strategy == "html":
        escaped = _HTML_RE.sub(lambda m: _HTML[m.group(0)], text)
        return Markup(escaped)  # noqa: S704 - escaped just above
    if text == "" and strategy in STRATEGIES:
        return ""
    if strategy == "js":
        return _JS_RE.sub(_js_char, text)
    if strategy == "css":
        return _CSS_RE.sub(lambda m: f"\\{ord(m.group(0)):X} ", text)
    if strategy == "html_attr":
        return _ATTR_RE.sub(_attr_char, text)
    if strategy == "url":
        return rawurlencode(text)
    raise _invalid_strategy(strategy)


def _invalid_strategy(strategy) -> TwigRuntimeError:
    return TwigRuntimeError(
        f'Invalid escaping strategy "{php.to_str(strategy)}" '
        f"(valid ones: {', '.join(STRATEGIES)})."
    )


def rawurlencode(text: str) -> str:
    """RFC 3986 percent-encoding: only A-Z a-z 0-9 - _ . ~ stay as they are."""
    return quote(text.encode("utf-8", "surrogateescape"), safe="-_.~")


def _query_value(value) -> str:
    if value is True:
        return "1"
    if value is False:
        return "0"
    if isinstance(value, float):
        return php.format_float(value, precision=17, exp_char="E")
    return php.to_str(value)


def http_build_query(data, prefix: str = "") -> str:
    """PHP's http_build_query(..., '&', PHP_QUERY_RFC3986): nulls dropped."""
    parts = []
    for key, value in php.php_items(data):
        name = rawurlencode(php.to_str(key))
        name = f"{prefix}%5B{name}%5D" if prefix else name
        if php.is_null(value):
            continue
        if php.is_array(value):
            nested = http_build_query(value, name)
            if nested:
                parts.append(nested)
            continue
        if isinstance(value, _dt.datetime):
            continue
        parts.append(f"{name}={rawurlencode(_query_value(value))}")
    return "&".join(parts)


def url_encode(value) -> str:
    if php.is_array(value):
        return http_build_query(value)
    text = "" if php.is_null(value) else php.str_arg(value, "rawurlencode")
    return rawurlencode(text)


def convert_encoding(value, to, from_) -> str:
    text = "" if php.is_null(value) else php.to_str(value)
    try:
        raw_bytes = text.encode(php.to_str(from_), "surrogateescape")
        return raw_bytes.decode(php.to_str(to), "surrogateescape")
    except LookupError as error:
        raise PhpError(
            f'iconv(): Wrong encoding, conversion from "{from_}" to "{to}" '
            "is not allowed"
        ) from error
    except UnicodeError:
        return ""


# --- json_encode ---------------------------------------------------------------

JSON_HEX_TAG = 1
JSON_HEX_AMP = 2
JSON_HEX_APOS = 4
JSON_HEX_QUOT = 8
JSON_FORCE_OBJECT = 16
JSON_NUMERIC_CHECK = 32
JSON_UNESCAPED_SLASHES = 64
JSON_PRETTY_PRINT = 128
JSON_UNESCAPED_UNICODE = 256
JSON_PARTIAL_OUTPUT_ON_ERROR = 512
JSON_PRESERVE_ZERO_FRACTION = 1024
JSON_UNESCAPED_LINE_TERMINATORS = 2048
JSON_INVALID_UTF8_IGNORE = 1048576
JSON_INVALID_UTF8_SUBSTITUTE = 2097152
JSON_THROW_ON_ERROR = 4194304

_MAX_DEPTH = 512


class JsonException(PhpError):
    php_class = "JsonException"


class _EncodeError(Exception):
    pass


class _JsonEncoder:
    def __init__(self, flags: int):
        self.flags = flags
        self.error = ""

    def has(self, flag: int) -> bool:
        return bool(self.flags & flag)

    def string(self, text: str) -> str:
        out = ['"']
        for char in text:
            code = ord(char)
            if char == '"':
                out.append("\\u0022" if self.has(JSON_HEX_QUOT) else '\\"')
            elif char == "\\":
                out.append("\\\\")
            elif char == "/":
                out.append("/" if self.has(JSON_UNESCAPED_SLASHES) else "\\/")
            elif char in "\b\f\n\r\t":
                out.append(
                    {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}[
                        char
                    ]
                )
            elif code < 0x20:
                out.append(f"\\u{code:04x}")
            elif char == "<" and self.has(JSON_HEX_TAG):
                out.append("\\u003C")
            elif char == ">" and self.has(JSON_HEX_TAG):
                out.append("\\u003E")
            elif char == "&" and self.has(JSON_HEX_AMP):
                out.append("\\u0026")
            elif char == "'" and self.has(JSON_HEX_APOS):
                out.append("\\u0027")
            elif code < 0x80:
                out.append(char)
            elif 0xD800 <= code <= 0xDFFF:
                self.fail("Malformed UTF-8 characters, possibly incorrectly encoded")
            elif self.has(JSON_UNESCAPED_UNICODE) and not (
                code in (0x2028, 0x2029)
                and not self.has(JSON_UNESCAPED_LINE_TERMINATORS)
            ):
                out.append(char)
            elif code < 0x10000:
                out.append(f"\\u{code:04x}")
            else:
                code -= 0x10000
                out.append(
                    f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}"
                )
        out.append('"')
        return "".join(out)

    def fail(self, message: str):
        self.error = message
        raise _EncodeError(message)

    def number(self, number) -> str:
        if isinstance(number, int):
            return str(number)
        if not math.isfinite(number):
            self.fail("Inf and NaN cannot be JSON encoded")
        text = php.format_float(number, precision=17, exp_char="e")
        if self.has(JSON_PRESERVE_ZERO_FRACTION) and text.lstrip("-").isdigit():
            text += ".0"
        return text

    def encode(self, value, depth: int = 0) -> str:
        if php.is_null(value):
            return "null"
        if value is True:
            return "true"
        if value is False:
            return "false"
        if php.is_number(value):
            return self.number(value)
        if isinstance(value, str):
            if self.has(JSON_NUMERIC_CHECK):
                number = php.numeric_value(value)
                if number is not None:
                    return self.number(number)
            return self.string(value)
        if isinstance(value, _dt.datetime):
            from .dates import datetime_properties

            return self.encode(datetime_properties(value), depth)
        if php.is_array(value):
            if depth >= _MAX_DEPTH:
                self.fail("Maximum stack depth exceeded")
            return self.array(value, depth + 1)
        return self.string(php.to_str(value))

    def array(self, value, depth: int) -> str:
        items = php.php_items(value)
        as_list = php.php_array_is_list(value) and not self.has(JSON_FORCE_OBJECT)
        pretty = self.has(JSON_PRETTY_PRINT)
        if not items:
            return "[]" if as_list else "{}"
        if as_list:
            parts = [self.encode(item, depth) for _, item in items]
            opener, closer = "[", "]"
        else:
            colon = ": " if pretty else ":"
            parts = [
                f"{self.string(php.to_str(key))}{colon}{self.encode(item, depth)}"
                for key, item in items
            ]
            opener, closer = "{", "}"
        if not pretty:
            return opener + ",".join(parts) + closer
        inner = "    " * depth
        outer = "    " * (depth - 1)
        body = ",\n".join(inner + part for part in parts)
        return f"{opener}\n{body}\n{outer}{closer}"


def json_encode(value, flags=0, depth=512):
    """PHP's json_encode(): returns False on error unless told to throw."""
    flags = php.int_arg(flags, "json_encode", 2, "flags")
    encoder = _JsonEncoder(flags)
    try:
        return encoder.encode(value)
    except _EncodeError as error:
        if flags & JSON_THROW_ON_ERROR:
            raise JsonException(str(error)) from None
        if flags & JSON_PARTIAL_OUTPUT_ON_ERROR:
            return "null"
        return False
