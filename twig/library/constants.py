"""The PHP constants templates may read with constant('NAME')."""

from __future__ import annotations

import math

from .. import php
from . import encoding

_DATE_FORMATS = {
    "ATOM": "Y-m-d\\TH:i:sP",
    "COOKIE": "l, d-M-Y H:i:s T",
    "ISO8601": "Y-m-d\\TH:i:sO",
    "RFC822": "D, d M y H:i:s O",
    "RFC850": "l, d-M-y H:i:s T",
    "RFC1036": "D, d M y H:i:s O",
    "RFC1123": "D, d M Y H:i:s O",
    "RFC7231": "D, d M Y H:i:s \\G\\M\\T",
    "RFC2822": "D, d M Y H:i:s O",
    "RFC3339": "Y-m-d\\TH:i:sP",
    "RFC3339_EXTENDED": "Y-m-d\\TH:i:s.vP",
    "RSS": "D, d M Y H:i:s O",
    "W3C": "Y-m-d\\TH:i:sP",
}

CONSTANTS = {
    **{
        name: getattr(encoding, name)
        for name in dir(encoding)
        if name.startswith("JSON_")
    },
    "JSON_OBJECT_AS_ARRAY": 1,
    "JSON_BIGINT_AS_STRING": 2,
    "JSON_ERROR_NONE": 0,
    "PHP_EOL": "\n",
    "PHP_INT_MAX": php.PHP_INT_MAX,
    "PHP_INT_MIN": php.PHP_INT_MIN,
    "PHP_INT_SIZE": 8,
    "PHP_FLOAT_EPSILON": 2.220446049250313e-16,
    "PHP_FLOAT_MAX": 1.7976931348623157e308,
    "PHP_FLOAT_MIN": 2.2250738585072014e-308,
    "PHP_FLOAT_DIG": 15,
    "PHP_VERSION": "8.2.0",
    "PHP_MAJOR_VERSION": 8,
    "PHP_MINOR_VERSION": 2,
    "PHP_OS": "Linux",
    "PHP_OS_FAMILY": "Linux",
    "PHP_ROUND_HALF_UP": 1,
    "PHP_ROUND_HALF_DOWN": 2,
    "PHP_ROUND_HALF_EVEN": 3,
    "PHP_ROUND_HALF_ODD": 4,
    "PHP_QUERY_RFC1738": 1,
    "PHP_QUERY_RFC3986": 2,
    "M_PI": math.pi,
    "M_E": math.e,
    "M_SQRT2": math.sqrt(2),
    "M_LN2": math.log(2),
    "M_LN10": math.log(10),
    "INF": math.inf,
    "NAN": math.nan,
    "ENT_COMPAT": 2,
    "ENT_QUOTES": 3,
    "ENT_NOQUOTES": 0,
    "ENT_HTML401": 0,
    "ENT_HTML5": 48,
    "ENT_SUBSTITUTE": 8,
    "SORT_REGULAR": 0,
    "SORT_NUMERIC": 1,
    "SORT_STRING": 2,
    "SORT_FLAG_CASE": 8,
    "COUNT_RECURSIVE": 1,
    "E_ALL": 32767,
    **{f"DATE_{name}": value for name, value in _DATE_FORMATS.items()},
    **{f"DateTime::{name}": value for name, value in _DATE_FORMATS.items()},
    **{f"DateTimeInterface::{name}": value for name, value in _DATE_FORMATS.items()},
    **{f"DateTimeImmutable::{name}": value for name, value in _DATE_FORMATS.items()},
}


def constant_value(name):
    """Return a whitelisted PHP constant; anything else is undefined."""
    key = php.to_str(name).lstrip("\\")
    if key not in CONSTANTS:
        raise php.TwigRuntimeError(f'Constant "{php.to_str(name)}" is undefined.')
    return CONSTANTS[key]
