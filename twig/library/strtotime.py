"""A subset of PHP's strtotime()/DateTime parser (timelib), enough for templates.

Understood: "now", "today", "midnight", "noon", "tomorrow", "yesterday",
"@<timestamp>", ISO 8601 dates and times with fractions and offsets,
RFC 2822 ("Thu, 04 Jul 2024 10:00:00 +0000"), "July 4, 2024", "4 Jul 2024",
"2024/07/04", "07/04/2024" (m/d/Y), "04-07-2024" and "04.07.2024" (d-m-Y),
"2024-W27", "10am", time zones (identifiers, abbreviations, offsets), and
relative parts: "+1 day", "-2 weeks 3 hours", "1 year ago", "next monday",
"last friday", "monday next week", "first day of next month",
"last sunday of this month", "+3 weekdays".
"""

from __future__ import annotations

import calendar
import datetime as _dt
import re
from dataclasses import dataclass, field

from ..php import PhpError
from . import timezones

MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3,
    "apr": 4, "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7,
    "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9, "oct": 10,
    "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
DAYS = {
    "sun": 0, "sunday": 0, "mon": 1, "monday": 1, "tue": 2, "tues": 2,
    "tuesday": 2, "wed": 3, "wednesday": 3, "thu": 4, "thur": 4, "thurs": 4,
    "thursday": 4, "fri": 5, "friday": 5, "sat": 6, "saturday": 6,
}  # fmt: skip
RELATIVE_TEXT = {
    "first": 1, "next": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
    "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
    "eleventh": 11, "twelfth": 12, "last": -1, "previous": -1, "this": 0,
}  # fmt: skip
UNITS = {
    "usec": "us", "usecs": "us", "microsecond": "us", "microseconds": "us",
    "msec": "ms", "msecs": "ms", "millisecond": "ms", "milliseconds": "ms",
    "sec": "s", "secs": "s", "second": "s", "seconds": "s",
    "min": "i", "mins": "i", "minute": "i", "minutes": "i",
    "hour": "h", "hours": "h", "day": "d", "days": "d",
    "week": "w", "weeks": "w", "fortnight": "f", "fortnights": "f",
    "forthnight": "f", "forthnights": "f", "month": "m", "months": "m",
    "year": "y", "years": "y", "weekday": "wd", "weekdays": "wd",
}  # fmt: skip

_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY = "|".join(sorted(DAYS, key=len, reverse=True))
_UNIT = "|".join(sorted(UNITS, key=len, reverse=True))
_RELTEXT = "|".join(sorted(RELATIVE_TEXT, key=len, reverse=True))
_SUFFIX = r"(?:st|nd|rd|th)?"
_TIME = (
    r"t?(?P<h>\d{1,2})[:.](?P<i>\d{2})(?:[:.](?P<s>\d{2})(?:[.,:](?P<frac>\d+))?)?"
    r"(?:\s*(?P<ampm>[ap])\.?m\.?)?"
)


class DateParseError(PhpError):
    php_class = "Exception"


@dataclass
class Parsed:
    """What a time string sets; None means "not given"."""

    y: int | None = None
    m: int | None = None
    d: int | None = None
    h: int | None = None
    i: int | None = None
    s: int | None = None
    us: int | None = None
    zone: _dt.tzinfo | None = None
    relative: dict = field(default_factory=dict)
    weekday: int | None = None
    weekday_behavior: int = 0
    first_last_day_of: str | None = None
    weekday_of_month: tuple | None = None
    weekdays: int = 0
    has_relative: bool = False

    def unhave_time(self):
        self.h = self.i = self.s = self.us = 0

    def add(self, unit: str, amount: int):
        self.has_relative = True
        if unit == "w":
            unit, amount = "d", amount * 7
        elif unit == "f":
            unit, amount = "d", amount * 14
        elif unit == "ms":
            unit, amount = "us", amount * 1000
        if unit == "wd":
            self.weekdays += amount
            return
        self.relative[unit] = self.relative.get(unit, 0) + amount


def _hour(match) -> int:
    hour = int(match.group("h"))
    ampm = (match.group("ampm") or "").lower()
    if ampm:
        if not 1 <= hour <= 12:
            raise ValueError
        hour = hour % 12 + (12 if ampm == "p" else 0)
    return hour


def _set_time(parsed: Parsed, match):
    parsed.h = _hour(match)
    parsed.i = int(match.group("i"))
    parsed.s = int(match.group("s") or 0)
    frac = match.group("frac")
    parsed.us = int((frac + "000000")[:6]) if frac else 0
    if parsed.h > 23 or parsed.i > 59 or parsed.s > 60:
        raise ValueError


def _set_date(parsed: Parsed, year, month, day):
    year = int(year)
    if year < 100 and isinstance(year, int):
        pass
    parsed.y, parsed.m, parsed.d = year, int(month), int(day)
    if not 1 <= parsed.m <= 12 or not 0 <= parsed.d <= 31:
        raise ValueError


def _two_digit_year(text: str) -> int:
    year = int(text)
    if len(text) <= 2:
        year += 2000 if year < 70 else 1900
    return year


def _zone_from(match_text: str) -> _dt.tzinfo:
    return timezones.make_timezone(match_text)


# Each rule: (regex, handler(parsed, match)). The longest match wins, as in
# timelib's re2c scanner; ties go to the earlier rule.
def _rules():
    rules = []

    def rule(pattern):
        def register(handler):
            rules.append((re.compile(pattern, re.I), handler))
            return handler

        return register

    @rule(r"now\b")
    def _now(p, m):
        pass

    @rule(r"(?:today|midnight)\b")
    def _today(p, m):
        p.unhave_time()

    @rule(r"noon\b")
    def _noon(p, m):
        p.unhave_time()
        p.h = 12

    @rule(r"tomorrow\b")
    def _tomorrow(p, m):
        p.unhave_time()
        p.has_relative = True
        p.relative["d"] = 1

    @rule(r"yesterday\b")
    def _yesterday(p, m):
        p.unhave_time()
        p.has_relative = True
        p.relative["d"] = -1

    @rule(r"@(-?\d+)(?:\.(\d+))?")
    def _timestamp(p, m):
        p.y, p.m, p.d, p.h, p.i, p.s, p.us = 1970, 1, 1, 0, 0, 0, 0
        p.zone = _dt.UTC
        p.add("s", int(m.group(1)))
        if m.group(2):
            p.add(
                "us",
                int((m.group(2) + "000000")[:6])
                * (-1 if m.group(1).startswith("-") else 1),
            )

    @rule(r"([+-]?\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
    def _iso_date(p, m):
        _set_date(p, *m.groups())

    @rule(r"(\d{4})/(\d{1,2})/(\d{1,2})(?!\d)")
    def _slash_ymd(p, m):
        _set_date(p, *m.groups())

    @rule(r"(\d{4})(\d{2})(\d{2})(?=t)")
    def _compact_date(p, m):
        _set_date(p, *m.groups())

    @rule(r"(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?(?!\d)")
    def _american(p, m):
        month, day, year = m.groups()
        if year is not None:
            p.y = _two_digit_year(year)
        _set_date(p, p.y if p.y is not None else 0, month, day)
        if year is None:
            p.y = None

    @rule(r"(\d{1,2})[-.](\d{1,2})[-.](\d{4})(?!\d)")
    def _dmy(p, m):
        day, month, year = m.groups()
        _set_date(p, year, month, day)

    @rule(r"(\d{1,2})\.(\d{1,2})\.(\d{2})(?![\d:])")
    def _dmy_short(p, m):
        day, month, year = m.groups()
        _set_date(p, _two_digit_year(year), month, day)

    @rule(r"(\d{4})-(\d{1,2})(?![\d-])")
    def _year_month(p, m):
        _set_date(p, m.group(1), m.group(2), 1)

    @rule(r"(\d{4})-?w(\d{2})(?:-?([0-7]))?")
    def _iso_week(p, m):
        year, week, day = int(m.group(1)), int(m.group(2)), int(m.group(3) or 1)
        moment = _dt.date.fromisocalendar(year, week, max(day, 1))
        p.y, p.m, p.d = moment.year, moment.month, moment.day
        if p.h is None:
            p.unhave_time()

    @rule(rf"(\d{{1,2}}){_SUFFIX}[ .\t-]*({_MONTH})\.?(?:[ .\t-]*(\d{{4}}))?(?![\d:])")
    def _day_month(p, m):
        day, month, year = m.groups()
        p.d, p.m = int(day), MONTHS[month.lower()]
        if year:
            p.y = int(year)

    @rule(
        rf"({_MONTH})\.?[ .\t-]*(\d{{1,2}}){_SUFFIX}(?:,?[ .\t-]*(\d{{4}}))?(?![\d:])"
    )
    def _month_day(p, m):
        month, day, year = m.groups()
        p.d, p.m = int(day), MONTHS[month.lower()]
        if year:
            p.y = int(year)

    @rule(rf"({_MONTH})\.?[ .\t-]*(\d{{4}})(?!\d)")
    def _month_year(p, m):
        p.y, p.m, p.d = int(m.group(2)), MONTHS[m.group(1).lower()], 1

    @rule(rf"({_MONTH})\b\.?")
    def _month(p, m):
        p.m = MONTHS[m.group(1).lower()]

    @rule(_TIME)
    def _time(p, m):
        _set_time(p, m)

    @rule(r"t?(?P<h>\d{2})(?P<i>\d{2})(?P<s>\d{2})?(?:[.,](?P<frac>\d+))?(?P<ampm>)")
    def _time_compact(p, m):
        if not m.group(0).lower().startswith("t"):
            raise ValueError
        _set_time(p, m)

    @rule(r"(?P<h>\d{1,2})\s*(?P<ampm>[ap])\.?m\.?(?![a-z])(?P<i>)")
    def _hour_ampm(p, m):
        p.h, p.i, p.s, p.us = _hour(m), 0, 0, 0

    @rule(rf"({_DAY})\b\.?")
    def _weekday(p, m):
        p.unhave_time()
        p.has_relative = True
        p.weekday = DAYS[m.group(1).lower()]
        if p.weekday_behavior != 2:
            p.weekday_behavior = 1

    @rule(rf"([+-]*)\s*(\d+)\s*({_UNIT})\b")
    def _relative(p, m):
        signs, number, unit = m.groups()
        amount = int(number) * (-1 if signs.count("-") % 2 else 1)
        p.add(UNITS[unit.lower()], amount)

    @rule(rf"([+-]*)\s*(\d+)\s*({_DAY})\b")
    def _relative_weekday(p, m):
        signs, number, day = m.groups()
        amount = int(number) * (-1 if signs.count("-") % 2 else 1)
        _relative_day(p, amount, 0, DAYS[day.lower()])

    @rule(rf"({_RELTEXT})\s+({_UNIT})\b")
    def _relative_text(p, m):
        amount = RELATIVE_TEXT[m.group(1).lower()]
        unit = UNITS[m.group(2).lower()]
        p.add(unit, amount)
        if unit == "w":
            # "next week" means Monday-based weeks in timelib.
            p.weekday_behavior = 2
            if p.weekday is None:
                p.weekday = 1

    @rule(rf"({_RELTEXT})\s+({_DAY})\b")
    def _relative_text_day(p, m):
        amount = RELATIVE_TEXT[m.group(1).lower()]
        behavior = 1 if m.group(1).lower() == "this" else 0
        _relative_day(p, amount, behavior, DAYS[m.group(2).lower()])

    @rule(rf"({_RELTEXT})\s+({_DAY})\s+of\b")
    def _weekday_of(p, m):
        p.unhave_time()
        p.has_relative = True
        p.weekday_of_month = (
            RELATIVE_TEXT[m.group(1).lower()],
            DAYS[m.group(2).lower()],
        )

    @rule(r"(first|last)\s+day\s+of\b")
    def _first_last(p, m):
        p.has_relative = True
        p.first_last_day_of = m.group(1).lower()

    @rule(r"ago\b")
    def _ago(p, m):
        p.relative = {unit: -amount for unit, amount in p.relative.items()}
        p.weekdays = -p.weekdays

    @rule(r"(?:gmt|utc)?([+-])(\d{1,2}):?(\d{2})?(?![\d])")
    def _offset(p, m):
        p.zone = timezones.offset_zone(*m.groups())

    @rule(r"[a-z]+(?:/[a-z0-9_+-]+)+")
    def _identifier(p, m):
        zone = timezones.identifier_zone(m.group(0))
        if zone is None:
            raise LookupError
        p.zone = zone

    @rule(r"[a-z]{1,6}\b")
    def _abbreviation(p, m):
        zone = timezones.abbreviation_zone(m.group(0))
        if zone is None:
            raise LookupError
        p.zone = zone

    return rules


def _relative_day(p: Parsed, amount: int, behavior: int, day: int):
    p.unhave_time()
    p.has_relative = True
    p.relative["d"] = (
        p.relative.get("d", 0) + (amount - 1 if amount > 0 else amount) * 7
    )
    p.weekday = day
    p.weekday_behavior = behavior


_RULES = _rules()
_SKIP = re.compile(r"[\s,]+")


def parse(text: str) -> Parsed:
    """Parse a time string into the fields it sets, or raise DateParseError."""
    parsed = Parsed()
    position = 0
    length = len(text)
    while position < length:
        skip = _SKIP.match(text, position)
        if skip:
            position = skip.end()
            continue
        best = None
        for pattern, handler in _RULES:
            match = pattern.match(text, position)
            if match and (best is None or match.end() > best[0].end()):
                best = (match, handler)
        error = "The timezone could not be found in the database"
        if best is not None:
            try:
                best[1](parsed, best[0])
            except LookupError:
                best = None
            except ValueError:
                best, error = None, "Unexpected character"
        if best is None:
            char = text[position]
            if not char.isalpha():
                error = "Unexpected character"
            raise DateParseError(
                f"Failed to parse time string ({text}) at position {position} "
                f"({char}): {error}"
            )
        position = best[0].end()
    return parsed


def days_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _normalize(y, m, d, h, i, s, us) -> _dt.datetime:
    y += (m - 1) // 12
    m = (m - 1) % 12 + 1
    base = _dt.datetime(y, m, 1)
    return base + _dt.timedelta(
        days=d - 1, hours=h, minutes=i, seconds=s, microseconds=us
    )


def _nth_weekday(year: int, month: int, nth: int, weekday: int) -> int:
    """Day of month of the nth (or last, nth=-1) given weekday (0 = Sunday)."""
    first_dow = (_dt.date(year, month, 1).weekday() + 1) % 7
    first = 1 + (weekday - first_dow) % 7
    if nth > 0:
        return first + (nth - 1) * 7
    last = days_in_month(year, month)
    last_dow = (_dt.date(year, month, last).weekday() + 1) % 7
    return last - (last_dow - weekday) % 7


def apply(parsed: Parsed, base: _dt.datetime, *, modify: bool) -> _dt.datetime:
    """Combine parsed fields with ``base`` and do timelib's relative steps."""
    zone = base.tzinfo
    if parsed.zone is not None and not modify:
        zone = parsed.zone
        base = base.astimezone(zone)
    elif parsed.zone is not None and modify and parsed.y == 1970 and parsed.relative:
        zone = parsed.zone
    y = parsed.y if parsed.y is not None else base.year
    m = parsed.m if parsed.m is not None else base.month
    d = parsed.d if parsed.d is not None else base.day
    has_date = parsed.y is not None or parsed.m is not None or parsed.d is not None
    if parsed.h is not None:
        h, i = parsed.h, parsed.i or 0
        s = parsed.s or 0
        us = parsed.us if parsed.us is not None else (base.microsecond if modify else 0)
    elif has_date and not modify:
        h = i = s = us = 0
    else:
        h, i, s, us = base.hour, base.minute, base.second, base.microsecond
    rel = parsed.relative
    if parsed.weekday_of_month is not None:
        nth, weekday = parsed.weekday_of_month
        moment = _normalize(y + rel.get("y", 0), m + rel.get("m", 0), 1, 0, 0, 0, 0)
        y, m = moment.year, moment.month
        d = _nth_weekday(y, m, nth, weekday)
        rel = {k: v for k, v in rel.items() if k not in ("y", "m")}
    elif parsed.weekday is not None:
        d = _adjust_for_weekday(parsed, y, m, d, rel.get("d", 0))
    year, month, day = y + rel.get("y", 0), m + rel.get("m", 0), d + rel.get("d", 0)
    # "first/last day of" overrides the day before normalizing (timelib).
    if parsed.first_last_day_of == "first":
        day = 1
    elif parsed.first_last_day_of == "last":
        day, month = 0, month + 1
    moment = _normalize(
        year,
        month,
        day,
        h + rel.get("h", 0),
        i + rel.get("i", 0),
        s + rel.get("s", 0),
        us + rel.get("us", 0),
    )
    if parsed.weekdays:
        moment = _add_weekdays(moment, parsed.weekdays)
    return localize(moment, zone)


def localize(naive: _dt.datetime, zone: _dt.tzinfo) -> _dt.datetime:
    """Attach ``zone`` as timelib does around DST changes.

    A wall time skipped by the change moves forward (02:30 becomes 03:30 CEST);
    a repeated wall time takes its second, standard-time occurrence.
    """
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    normalized = first.astimezone(_dt.UTC).astimezone(zone)
    if normalized.replace(tzinfo=None) != naive:
        return normalized
    return second


def _adjust_for_weekday(
    parsed: Parsed, y: int, m: int, d: int, relative_days: int
) -> int:
    moment = _normalize(y, m, d, 0, 0, 0, 0)
    current = (moment.weekday() + 1) % 7
    weekday = parsed.weekday
    if parsed.weekday_behavior == 2:
        # Weeks run Monday to Sunday: "sunday this week" is the week's end.
        if current == 0 and weekday != 0:
            weekday -= 7
        if weekday == 0 and current != 0:
            weekday = 7
        return d - current + weekday
    difference = weekday - current
    if (relative_days < 0 and difference < 0) or (
        relative_days >= 0 and difference <= -parsed.weekday_behavior
    ):
        difference += 7
    return d + difference


def _add_weekdays(moment: _dt.datetime, count: int) -> _dt.datetime:
    step = 1 if count > 0 else -1
    remaining = abs(count)
    while remaining:
        moment += _dt.timedelta(days=step)
        if moment.weekday() < 5:
            remaining -= 1
    return moment
