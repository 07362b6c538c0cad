"""PHP's three kinds of DateTimeZone: offset, abbreviation and identifier."""

from __future__ import annotations

import datetime as _dt
import functools
import re
import zoneinfo

from ..php import PhpError

_OFFSET_RE = re.compile(r"([+-])(\d{1,2}):?(\d{2})?(?::?(\d{2}))?\Z")

# A subset of timelib's abbreviation table: name -> (offset hours, is DST).
ABBREVIATIONS = {
    "utc": (0, False),
    "gmt": (0, False),
    "z": (0, False),
    "wet": (0, False),
    "west": (1, True),
    "bst": (1, True),
    "cet": (1, False),
    "cest": (2, True),
    "met": (1, False),
    "mest": (2, True),
    "eet": (2, False),
    "eest": (3, True),
    "msk": (3, False),
    "ist": (5.5, False),
    "pkt": (5, False),
    "hkt": (8, False),
    "sgt": (8, False),
    "awst": (8, False),
    "jst": (9, False),
    "kst": (9, False),
    "acst": (9.5, False),
    "aest": (10, False),
    "aedt": (11, True),
    "nzst": (12, False),
    "nzdt": (13, True),
    "ast": (-4, False),
    "adt": (-3, True),
    "est": (-5, False),
    "edt": (-4, True),
    "cst": (-6, False),
    "cdt": (-5, True),
    "mst": (-7, False),
    "mdt": (-6, True),
    "pst": (-8, False),
    "pdt": (-7, True),
    "akst": (-9, False),
    "akdt": (-8, True),
    "hst": (-10, False),
}


class TimezoneError(PhpError):
    """DateTimeZone refuses a name: an Exception in PHP, which Twig wraps."""

    php_class = "Exception"


class AbbreviationZone(_dt.tzinfo):
    """A zone named by an abbreviation such as EST (PHP timezone_type 2)."""

    def __init__(self, abbreviation: str, offset: _dt.timedelta, is_dst: bool):
        self.abbreviation = abbreviation
        self.offset = offset
        self.is_dst = is_dst

    def utcoffset(self, dt):
        return self.offset

    def dst(self, dt):
        return _dt.timedelta(hours=1) if self.is_dst else _dt.timedelta(0)

    def tzname(self, dt):
        return self.abbreviation

    def __repr__(self):
        return f"AbbreviationZone({self.abbreviation!r})"


def abbreviation_zone(name: str) -> AbbreviationZone | None:
    entry = ABBREVIATIONS.get(name.lower())
    if entry is None:
        return None
    hours, is_dst = entry
    label = "Z" if name.lower() == "z" else name.upper()
    return AbbreviationZone(label, _dt.timedelta(hours=hours), is_dst)


def offset_zone(
    sign: str, hours: str, minutes: str | None, seconds=None
) -> _dt.timezone:
    delta = _dt.timedelta(
        hours=int(hours), minutes=int(minutes or 0), seconds=int(seconds or 0)
    )
    if delta >= _dt.timedelta(hours=24):
        # PHP accepts up to +99:59; Python's zones stop short of a day.
        offset = f"{sign}{hours}:{minutes or '00'}"
        raise TimezoneError(f"The timezone offset {offset} is not less than a day")
    return _dt.timezone(-delta if sign == "-" else delta)


@functools.cache
def _identifiers() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def identifier_zone(name: str) -> zoneinfo.ZoneInfo | None:
    if name.upper() == "UTC":
        return zoneinfo.ZoneInfo("UTC")
    key = _identifiers().get(name.lower())
    return zoneinfo.ZoneInfo(key) if key else None


def make_timezone(value) -> _dt.tzinfo:
    """Build a zone as ``new DateTimeZone($value)`` does."""
    if isinstance(value, _dt.tzinfo):
        return value
    name = str(value)
    match = _OFFSET_RE.match(name)
    if match:
        return offset_zone(*match.groups())
    zone = identifier_zone(name) or abbreviation_zone(name)
    if zone is None:
        raise TimezoneError(
            f"DateTimeZone::__construct(): Unknown or bad timezone ({name})"
        )
    return zone


def zone_type(zone: _dt.tzinfo) -> int:
    if isinstance(zone, zoneinfo.ZoneInfo):
        return 3
    if isinstance(zone, AbbreviationZone):
        return 2
    return 1


def format_offset(offset: _dt.timedelta, colon: bool = True) -> str:
    total = int(offset.total_seconds())
    sign = "-" if total < 0 else "+"
    hours, rest = divmod(abs(total), 3600)
    return f"{sign}{hours:02d}{':' if colon else ''}{rest // 60:02d}"


def zone_name(moment: _dt.datetime) -> str:
    """PHP's "e": identifier, abbreviation, or +hh:mm for offset zones."""
    zone = moment.tzinfo
    if isinstance(zone, zoneinfo.ZoneInfo):
        return zone.key
    if isinstance(zone, AbbreviationZone):
        return zone.abbreviation
    return format_offset(moment.utcoffset())


def zone_abbreviation(moment: _dt.datetime) -> str:
    """PHP's "T": CEST, EST, or GMT+0200 for offset zones."""
    zone = moment.tzinfo
    if isinstance(zone, zoneinfo.ZoneInfo | AbbreviationZone):
        return moment.tzname()
    return "GMT" + format_offset(moment.utcoffset(), colon=False)
