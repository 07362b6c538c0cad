"""The date filter, date_modify and the date() function (PHP DateTime)."""

from __future__ import annotations

import datetime as _dt
import functools
import re

from jinja2 import pass_environment

from .. import php
from . import strtotime, timezones

DEFAULT_FORMAT = "F j, Y H:i"
_DIGITS_RE = re.compile(r"-?\d+\Z")
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)

_DAY_NAMES = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
]
_MONTH_NAMES = [
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
]  # fmt: skip


def environment_timezone(environment) -> _dt.tzinfo:
    name = environment.globals.get("_twig_timezone", "UTC") if environment else "UTC"
    return timezones.make_timezone(name)


def _now(zone: _dt.tzinfo) -> _dt.datetime:
    return _dt.datetime.now(zone)


def _timestamp(moment: _dt.datetime) -> int:
    return int((moment - _EPOCH).total_seconds() // 1)


def _out_of_range(text: str = "") -> php.PhpValueError:
    # PHP reaches the year 292277026596; Python's dates end with 9999.
    what = f"The timestamp {text}" if text else "The date"
    return php.PhpValueError(
        f"{what} is outside the dates that can be shown (years 1 to 9999)"
    )


def _within_dates(function):
    """Report a date past what ``datetime`` holds as a PHP error in words."""

    @functools.wraps(function)
    def checked(*args):
        try:
            return function(*args)
        except (OverflowError, ValueError):
            raise _out_of_range() from None

    return checked


def convert(environment, value=None, timezone=None) -> _dt.datetime:
    """Turn a value into a DateTime as twig_date_converter does."""
    default_zone = environment_timezone(environment)
    if timezone is False:
        zone = None
    elif php.is_null(timezone):
        zone = default_zone
    else:
        zone = timezones.make_timezone(php.to_str(timezone))
    if isinstance(value, _dt.datetime):
        return value.astimezone(zone) if zone else value
    if php.is_null(value) or value == "now":
        return _now(zone or default_zone)
    text = php.to_str(value)
    if _DIGITS_RE.match(text):
        try:
            moment = _EPOCH + _dt.timedelta(seconds=int(text))
        except OverflowError:
            raise _out_of_range(text) from None
    else:
        moment = strtotime.apply(
            strtotime.parse(text), _now(default_zone), modify=False
        )
    return moment.astimezone(zone) if zone else moment


def modify(environment, value, modifier):
    """date_modify: False (PHP's failure value) when the modifier is not valid."""
    moment = convert(environment, value, False)
    try:
        parsed = strtotime.parse(php.to_str(modifier))
    except strtotime.DateParseError:
        return False
    return strtotime.apply(parsed, moment, modify=True)


def _iso_week(moment: _dt.datetime) -> tuple[int, int]:
    year, week, _ = moment.isocalendar()
    return year, week


def _suffix(day: int) -> str:
    if day in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _letter(moment: _dt.datetime, letter: str) -> str:  # noqa: C901
    if letter == "d":
        return f"{moment.day:02d}"
    if letter == "D":
        return _DAY_NAMES[moment.weekday()][:3]
    if letter == "j":
        return str(moment.day)
    if letter == "l":
        return _DAY_NAMES[moment.weekday()]
    if letter == "N":
        return str(moment.isoweekday())
    if letter == "S":
        return _suffix(moment.day)
    if letter == "w":
        return str(moment.isoweekday() % 7)
    if letter == "z":
        return str(moment.timetuple().tm_yday - 1)
    if letter == "W":
        return f"{_iso_week(moment)[1]:02d}"
    if letter == "F":
        return _MONTH_NAMES[moment.month - 1]
    if letter == "m":
        return f"{moment.month:02d}"
    if letter == "M":
        return _MONTH_NAMES[moment.month - 1][:3]
    if letter == "n":
        return str(moment.month)
    if letter == "t":
        return str(strtotime.days_in_month(moment.year, moment.month))
    if letter == "L":
        return "1" if strtotime.calendar.isleap(moment.year) else "0"
    if letter == "o":
        return str(_iso_week(moment)[0])
    if letter == "Y":
        return f"{moment.year:04d}"
    if letter == "y":
        return f"{moment.year % 100:02d}"
    if letter == "a":
        return "am" if moment.hour < 12 else "pm"
    if letter == "A":
        return "AM" if moment.hour < 12 else "PM"
    if letter == "B":
        seconds = (_timestamp(moment) + 3600) % 86400
        return f"{int(seconds / 86.4) % 1000:03d}"
    if letter == "g":
        return str(moment.hour % 12 or 12)
    if letter == "G":
        return str(moment.hour)
    if letter == "h":
        return f"{moment.hour % 12 or 12:02d}"
    if letter == "H":
        return f"{moment.hour:02d}"
    if letter == "i":
        return f"{moment.minute:02d}"
    if letter == "s":
        return f"{moment.second:02d}"
    if letter == "u":
        return f"{moment.microsecond:06d}"
    if letter == "v":
        return f"{moment.microsecond // 1000:03d}"
    if letter == "e":
        return timezones.zone_name(moment)
    if letter == "I":
        dst = moment.dst()
        return "1" if dst else "0"
    if letter == "O":
        return timezones.format_offset(moment.utcoffset(), colon=False)
    if letter == "P":
        return timezones.format_offset(moment.utcoffset())
    if letter == "p":
        offset = moment.utcoffset()
        return "Z" if not offset else timezones.format_offset(offset)
    if letter == "T":
        return timezones.zone_abbreviation(moment)
    if letter == "Z":
        return str(int(moment.utcoffset().total_seconds()))
    if letter == "c":
        return format_date(moment, "Y-m-d\\TH:i:sP")
    if letter == "r":
        return format_date(moment, "D, d M Y H:i:s O")
    if letter == "U":
        return str(_timestamp(moment))
    return letter


def format_date(moment: _dt.datetime, fmt: str) -> str:
    """Format with PHP date() letters; a backslash makes the next one literal."""
    out = []
    escaped = False
    for char in fmt:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            out.append(_letter(moment, char))
    if escaped:
        out.append("\\")
    return "".join(out)


def datetime_properties(moment: _dt.datetime) -> dict:
    """The public properties json_encode() shows for a DateTime."""
    zone = moment.tzinfo
    kind = timezones.zone_type(zone)
    name = (
        timezones.format_offset(moment.utcoffset())
        if kind == 1
        else timezones.zone_name(moment)
    )
    return {
        "date": format_date(moment, "Y-m-d H:i:s.u"),
        "timezone_type": kind,
        "timezone": name,
    }


@pass_environment
@_within_dates
def date_filter(environment, value, fmt=None, timezone=None) -> str:
    fmt = DEFAULT_FORMAT if php.is_null(fmt) else php.to_str(fmt)
    return format_date(convert(environment, value, timezone), fmt)


@pass_environment
@_within_dates
def date_modify_filter(environment, value, modifier):
    return modify(environment, value, modifier)


@pass_environment
@_within_dates
def date_function(environment, value=None, timezone=None) -> _dt.datetime:
    return convert(environment, value, timezone)
