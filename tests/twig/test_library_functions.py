"""Numbers, functions, tests and dates called directly (expectations from Twig)."""

import datetime as dt

import pytest
from jinja2 import Environment

from twig.library import FUNCTIONS, TESTS, dates, numbers
from twig.library.functions import attribute, constant, cycle
from twig.php import PhpError, TwigRuntimeError


@pytest.fixture
def env():
    environment = Environment()
    environment.globals["_twig_timezone"] = "UTC"
    return environment


def test_round_and_number_format():
    assert numbers.round_(2.5) == 3.0 and numbers.round_(-2.5) == -3.0
    assert numbers.round_(1.955, 2) == 1.96 and numbers.round_(5.055, 2) == 5.06
    assert numbers.round_(3.14159, 2, "floor") == 3.14
    assert numbers.round_(1234, -2) == 1200.0
    with pytest.raises(TwigRuntimeError, match='"common", "ceil", and "floor"'):
        numbers.round_(1, 0, "up")
    assert numbers.number_format(1234567.891) == "1,234,568"
    assert numbers.number_format(1234567.891, 2, ",", ".") == "1.234.567,89"
    assert numbers.number_format(1234567.891, -2) == "1,234,568"
    assert numbers.number_format(-0.4) == "0"
    assert numbers.abs_("-3") == 3
    with pytest.raises(PhpError, match=r"abs\(\): Argument #1"):
        numbers.abs_("abc")


def test_range_min_max():
    assert numbers.range_(1, 5) == [1, 2, 3, 4, 5]
    assert numbers.range_(5, 1) == [5, 4, 3, 2, 1]
    assert "".join(numbers.range_("A", "z", 10)) == "AKU_is"
    assert numbers.range_(0, 1, 0.25) == [0.0, 0.25, 0.5, 0.75, 1.0]
    with pytest.raises(PhpError, match="must not exceed the specified range"):
        numbers.range_(1, 2, 5)
    assert numbers.max_(1, 3, 2) == 3 and numbers.min_([4, 9, 2]) == 2
    assert numbers.max_("10", "9") == "10" and numbers.max_("abc", 0) == "abc"
    with pytest.raises(PhpError, match="at least one element"):
        numbers.max_([])


def test_functions():
    assert set(FUNCTIONS) >= {
        "range",
        "min",
        "max",
        "cycle",
        "attribute",
        "constant",
        "date",
    }
    assert [cycle(["odd", "even"], i) for i in range(3)] == ["odd", "even", "odd"]
    assert attribute({"content-type": "json"}, "content-type") == "json"
    assert attribute(["a", "b"], "1") == "b"
    assert attribute("abc", "upper") is None
    assert constant("JSON_PRETTY_PRINT") == 128
    assert constant("DATE_ATOM") == "Y-m-d\\TH:i:sP"
    with pytest.raises(TwigRuntimeError, match='Constant "NOPE" is undefined'):
        constant("NOPE")


def test_tests():
    assert TESTS["empty"]([]) and not TESTS["empty"]("0")
    assert TESTS["odd"](-3) and TESTS["even"]("4")
    assert TESTS["divisible by"](3600, 60)
    assert TESTS["same as"](None, None) and not TESTS["same as"](1.0, 1)
    assert TESTS["constant"](128, "JSON_PRETTY_PRINT")


def test_date_formats(env):
    assert dates.date_filter(env, 1700000000) == "November 14, 2023 22:13"
    assert dates.date_filter(env, 1700000000, "r") == "Tue, 14 Nov 2023 22:13:20 +0000"
    assert dates.date_filter(env, 1700000000, "D N jS z W t L B g h A") == (
        "Tue 2 14th 317 46 30 0 967 10 10 PM"
    )
    assert dates.date_filter(env, "2024-01-01", "W o") == "01 2024"
    assert dates.date_filter(env, 1700000000, "c e T", False) == (
        "2023-11-14T22:13:20+00:00 +00:00 GMT+0000"
    )
    assert (
        dates.date_filter(env, 1700000000, "H:i T", "Asia/Kathmandu") == "03:58 +0545"
    )
    assert dates.date_filter(env, 1700000000, "Y-m-d\\TH:i:s\\Z") == (
        "2023-11-14T22:13:20Z"
    )


def test_date_parsing(env):
    def iso(text, timezone=None):
        return dates.date_filter(env, text, "c", timezone)

    assert iso("Thu, 04 Jul 2024 10:00:00 +0000") == "2024-07-04T10:00:00+00:00"
    assert iso("July 4, 2024") == "2024-07-04T00:00:00+00:00"
    assert iso("07/04/2024") == iso("04-07-2024") == "2024-07-04T00:00:00+00:00"
    assert iso("2024-07-04T10:00:00-05", False) == "2024-07-04T10:00:00-05:00"
    assert iso("20240704") == "1970-08-23T06:25:04+00:00"
    assert dates.date_filter(env, "2024-01-15 10:00 EST", "e T", False) == "EST EST"
    with pytest.raises(PhpError, match=r"Failed to parse time string \(garbage\)"):
        iso("garbage")
    with pytest.raises(PhpError, match=r"Unknown or bad timezone \(Mars/Phobos\)"):
        iso("2024-07-04", "Mars/Phobos")


@pytest.mark.parametrize(
    ("modifier", "result"),
    [
        ("+1 day", "2024-07-05T10:00:00+00:00"),
        ("-2 weeks 3 hours", "2024-06-20T13:00:00+00:00"),
        ("1 year ago", "2023-07-04T10:00:00+00:00"),
        ("tomorrow", "2024-07-05T00:00:00+00:00"),
        ("yesterday noon", "2024-07-03T12:00:00+00:00"),
        ("next monday", "2024-07-08T00:00:00+00:00"),
        ("last friday", "2024-06-28T00:00:00+00:00"),
        ("next week", "2024-07-08T10:00:00+00:00"),
        ("saturday this week", "2024-07-06T00:00:00+00:00"),
        ("first day of next month", "2024-08-01T10:00:00+00:00"),
        ("last day of next month", "2024-08-31T10:00:00+00:00"),
        ("first monday of next month", "2024-08-05T00:00:00+00:00"),
        ("last sunday of this month", "2024-07-28T00:00:00+00:00"),
        ("+3 weekdays", "2024-07-09T10:00:00+00:00"),
        ("15:30", "2024-07-04T15:30:00+00:00"),
        ("@86400", "1970-01-02T00:00:00+00:00"),
    ],
)
def test_date_modify(env, modifier, result):
    moment = dates.date_modify_filter(env, "2024-07-04 10:00", modifier)
    assert dates.date_filter(env, moment, "c") == result


def test_date_modify_month_overflow_and_failure(env):
    moment = dates.date_modify_filter(env, "2024-01-31", "+1 month")
    assert dates.date_filter(env, moment, "Y-m-d") == "2024-03-02"
    assert dates.date_modify_filter(env, "2024-07-04", "garbage") is False


def test_dst_gap_and_fold(env):
    env.globals["_twig_timezone"] = "Europe/Paris"
    assert dates.date_filter(env, "2024-03-31 02:30", "H:i T") == "03:30 CEST"
    assert (
        dates.date_filter(env, "2024-10-27 02:30", "H:i T U") == "02:30 CET 1729992600"
    )


def test_date_function_and_json(env):
    moment = dates.date_function(env, "2024-07-04T10:00:00+02:00")
    assert isinstance(moment, dt.datetime)
    assert dates.datetime_properties(moment) == {
        "date": "2024-07-04 08:00:00.000000",
        "timezone_type": 3,
        "timezone": "UTC",
    }
