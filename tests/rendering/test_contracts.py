"""Output contracts: what user info, token and request templates must produce."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import parse_qs

import pytest

from authorizations.rendering.contracts import (
    OutputError,
    check_request_body,
    check_response,
    check_token_response,
    check_user_info,
    parse_json_output,
)

NOW = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def token(**fields):
    return check_token_response(json.dumps(fields), now=NOW)


# --- JSON parsing ----------------------------------------------------------------


def test_a_trailing_comma_is_accepted_with_a_warning():
    warnings = []
    value = parse_json_output('{\n  "a": "x,}",\n  "b": [1, 2,],\n}', warnings=warnings)
    assert value == {"a": "x,}", "b": [1, 2]}
    assert len(warnings) == 2
    assert warnings[0].startswith("Trailing comma at line 3, column 13 of the output")
    assert warnings[1].startswith("Trailing comma at line 3, column 15")


@pytest.mark.parametrize("text", ["{,}", "[1,,]", '{"a": 1,,}'])
def test_a_comma_after_no_value_is_still_an_error(text):
    with pytest.raises(OutputError):
        parse_json_output(text)


def test_invalid_json_names_line_and_column_and_shows_the_line():
    with pytest.raises(OutputError) as caught:
        parse_json_output('{\n  "a": 1\n  "b": 2\n}')
    error = caught.value
    assert (error.line, error.column) == (3, 3)
    assert error.message == (
        'The output is not valid JSON: a comma (or the closing "}" or "]") was '
        'expected at line 3, column 3:\n  "b": 2\n  ^'
    )


def test_output_nested_thousands_deep_is_an_error_not_a_crash():
    with pytest.raises(OutputError, match="nest too deeply"):
        parse_json_output("[" * 100_000)


def test_nan_is_not_json():
    with pytest.raises(OutputError, match="NaN is not a JSON value"):
        parse_json_output('{"a": NaN}')


def test_a_duplicate_key_is_a_warning():
    warnings = []
    assert parse_json_output('{"a": 1, "a": 2}', warnings=warnings) == {"a": 2}
    assert warnings == ['The key "a" appears more than once; the last wins.']


# --- user info ---------------------------------------------------------------------


def test_user_info_with_identity_and_numeric_account_id():
    result = check_user_info(
        '{"user_identity": "Jason Fried / jason@basecamp.com", "account_id": 9999999}'
    )
    assert result.ok
    assert result.values == {
        "user_identity": "Jason Fried / jason@basecamp.com",
        "account_id": "9999999",
    }
    assert result.errors == result.warnings == []


@pytest.mark.parametrize(
    ("output", "error"),
    [
        ("", "The response template produced nothing; it must produce a JSON object."),
        (
            "[1]",
            "The response template must produce a JSON object ({ … }), not a list.",
        ),
        ('{"account_id": "1"}', "user_identity is missing: the output needs one."),
        ('{"user_identity": ""}', 'user_identity is empty: the template gave "".'),
        ('{"user_identity": null}', "user_identity is empty: the template gave null."),
        ('{"user_identity": ["a"]}', "user_identity must be text, not a list."),
    ],
)
def test_user_info_errors(output, error):
    result = check_user_info(output)
    assert not result.ok
    assert result.errors == [error]


def test_user_identity_made_only_of_separators_is_empty():
    result = check_user_info('{"user_identity": "  / "}')
    assert not result.ok
    assert "has no letters or digits" in result.errors[0]


def test_an_unknown_field_is_a_warning():
    result = check_user_info('{"user_identity": "a", "acount_id": "1"}')
    assert result.ok
    assert result.warnings[0].startswith('"acount_id" is not a field of this contract')


# --- tokens ------------------------------------------------------------------------


def test_a_full_token_response():
    result = token(
        access_token="at",
        refresh_token="rt",
        expires_in="3600",
        token_type="Bearer",
        scope=["read", "write"],
        extras={"team": 1},
    )
    assert result.ok, result.errors
    assert result.values == {
        "access_token": "at",
        "refresh_token": "rt",
        "expires_in": 3600,
        "expires_at": "2025-01-01T01:00:00+00:00",
        "token_type": "Bearer",
        "scope": "read write",
        "extras": {"team": 1},
    }


def test_empty_optional_fields_mean_absent():
    result = token(
        access_token="at", refresh_token="", expires_in="", scope="", extras=""
    )
    assert result.ok
    assert result.values == {"access_token": "at"}


def test_an_oauth1_token_secret():
    result = token(access_token="t", access_token_secret="s")
    assert result.values == {"access_token": "t", "access_token_secret": "s"}


@pytest.mark.parametrize("value", ["", "   ", None])
def test_access_token_is_required(value):
    result = token(access_token=value, refresh_token="rt")
    assert not result.ok
    assert result.errors == [
        "access_token is missing or empty: the output needs the token the provider "
        "returned."
    ]


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (-1, "expires_in is negative (-1 seconds)."),
        ("-60", "expires_in is negative (-60 seconds)."),
        ("soon", 'expires_in must be a number of seconds, not "soon".'),
        (True, "expires_in must be a number of seconds, not true."),
    ],
)
def test_bad_expires_in(value, error):
    result = token(access_token="t", expires_in=value)
    assert not result.ok
    assert result.errors[0].startswith(error)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-06-01T12:00:00Z", "2025-06-01T12:00:00+00:00"),
        ("2025-06-01T14:00:00+02:00", "2025-06-01T12:00:00+00:00"),
        ("2025-06-01T12:00:00", "2025-06-01T12:00:00+00:00"),
        (1748779200, "2025-06-01T12:00:00+00:00"),
        ("1748779200", "2025-06-01T12:00:00+00:00"),
    ],
)
def test_expires_at_as_iso_or_epoch_seconds(value, expected):
    result = token(access_token="t", expires_at=value)
    assert result.ok, result.errors
    assert result.values["expires_at"] == expected


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (1748779200000, "(milliseconds?)"),
        (-5, "not a time as epoch seconds"),
        ("2099-01-01T00:00:00Z", "more than ten years away"),
        ("next tuesday", "expires_at must be an ISO 8601 time"),
    ],
)
def test_bad_expires_at(value, error):
    result = token(access_token="t", expires_at=value)
    assert not result.ok
    assert error in result.errors[0]


def test_both_expiries_use_expires_at_with_a_warning():
    result = token(access_token="t", expires_in=60, expires_at="2025-02-01T00:00:00Z")
    assert result.values["expires_at"] == "2025-02-01T00:00:00+00:00"
    assert result.values["expires_in"] == 60
    assert result.warnings == [
        "Both expires_in and expires_at are given; expires_at is used."
    ]


def test_extras_must_be_an_object_but_an_empty_php_array_is_one():
    assert token(access_token="t", extras=[]).values["extras"] == {}
    result = token(access_token="t", extras=["a"])
    assert result.errors == ["extras must be a JSON object, not a list."]


def test_request_token_follows_the_token_contract_and_revoke_needs_nothing():
    assert check_response("request_token", '{"access_token": "rt"}').ok
    assert check_response("revoke", "").ok
    assert not check_response("revoke", "[]").ok


# --- request bodies ----------------------------------------------------------------


def test_empty_request_output_means_no_body():
    result = check_request_body("  \n", body_format="json")
    assert result.ok
    assert result.values == {"body": None, "content_type": None}


def test_a_json_body():
    result = check_request_body('{"a": "x", "n": 1}', body_format="json")
    assert result.ok
    assert result.values["body"] == '{"a": "x", "n": 1}'
    assert result.values["content_type"] == "application/json"


def test_a_form_body_is_flat_with_php_values_and_repeated_keys():
    result = check_request_body(
        '{"a": "x y&z", "t": true, "f": false, "n": null, "s": ["r", "w"], "i": 2.0}',
        body_format="form",
    )
    assert result.ok
    assert result.values["content_type"] == "application/x-www-form-urlencoded"
    assert result.values["body"] == "a=x+y%26z&t=1&f=0&s=r&s=w&i=2"
    assert parse_qs(result.values["body"]) == {
        "a": ["x y&z"],
        "t": ["1"],
        "f": ["0"],
        "s": ["r", "w"],
        "i": ["2"],
    }


def test_a_nested_value_in_a_form_body_is_refused_in_words():
    result = check_request_body('{"extras": {"a": 1}}', body_format="form")
    assert not result.ok
    assert result.errors[0].startswith(
        '"extras" holds an object, which a form body cannot carry'
    )


def test_the_content_type_header_decides_the_encoding():
    result = check_request_body(
        '{"a": "b"}',
        body_format="json",
        content_type="application/x-www-form-urlencoded; charset=utf-8",
    )
    assert result.values["body"] == "a=b"
    assert result.values["content_type"] == (
        "application/x-www-form-urlencoded; charset=utf-8"
    )
    result = check_request_body(
        '{"a": "b"}', body_format="form", content_type="application/vnd.api+json"
    )
    assert result.values["body"] == '{"a": "b"}'
    result = check_request_body(
        '{"a": "b"}', body_format="json", content_type="text/xml"
    )
    assert not result.ok
    assert result.errors[0].startswith('The Content-Type header is "text/xml"')


def test_a_body_with_body_format_none_is_an_error():
    result = check_request_body('{"a": 1}', body_format="none")
    assert not result.ok
    assert "body format is None" in result.errors[0]


def test_a_request_body_must_be_an_object():
    result = check_request_body('"text"', body_format="json")
    assert result.errors == [
        "The request template must produce a JSON object ({ … }), not a string."
    ]


# --- output JSON cannot hold, or a platform cannot keep --------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"n": ' + "9" * 5000 + "}", "a number has 5000 digits (at most 32)"),
        ('{"n": -' + "9" * 40 + "}", "a number has 40 digits (at most 32)"),
        ('{"n": 1e999}', "a number is too large to be a number"),
        ('{"n": -1e999}', "a number is too large to be a number"),
        ('{"n": NaN}', "NaN is not a JSON value"),
        ('{"n": Infinity}', "Infinity is not a JSON value"),
    ],
)
def test_numbers_python_cannot_convert_or_json_cannot_hold_are_errors(text, message):
    with pytest.raises(OutputError) as caught:
        parse_json_output(text)
    assert caught.value.message.startswith(
        f"The output is not valid JSON: {message} at line 1, column 7:"
    )


def test_a_lone_surrogate_in_the_output_is_refused_naming_where():
    with pytest.raises(OutputError) as caught:
        parse_json_output('{"extras": {"name": "ab\\udcffcd"}}')
    assert caught.value.message == (
        "The output cannot be used: the text at extras.name holds an unpaired "
        "UTF-16 surrogate (\\udcff at character 3), which is not a character; "
        "remove it or pair it."
    )


def test_a_lone_surrogate_cannot_reach_a_form_body():
    result = check_request_body('{"a": "\\udcff"}', body_format="form")
    assert not result.ok and result.values["body"] is None
    assert "unpaired UTF-16 surrogate" in result.errors[0]


def test_output_nested_beyond_the_data_depth_is_refused_naming_where():
    with pytest.raises(OutputError) as caught:
        parse_json_output('{"extras": ' + "[" * 100 + "]" * 100 + "}")
    assert caught.value.message.startswith(
        "The output cannot be used: the data nests more than 64 levels deep at "
        "extras[0][0]"
    )


@pytest.mark.parametrize(
    "value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"]
)
def test_an_expiry_beyond_the_calendar_is_an_error_not_an_overflow(value):
    result = token(access_token="x", expires_at=value)
    assert result.errors == [
        "expires_at must be an ISO 8601 time (2025-01-31T12:00:00Z) or epoch "
        f'seconds, not "{value}".'
    ]


@pytest.mark.parametrize("value", [400_000_000, "400000000", 1e308, 2**31 - 1])
def test_a_lifetime_over_ten_years_is_clamped_with_a_warning(value):
    now = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    result = check_token_response(
        json.dumps({"access_token": "x", "expires_in": value}), now=now
    )
    assert result.ok, result.errors
    assert result.values["expires_in"] == 3653 * 24 * 3600
    assert result.values["expires_at"] == "2035-01-02T00:00:00+00:00"
    shown = "1e+308" if value == 1e308 else str(int(float(value)))
    assert result.warnings == [
        f"expires_in is {shown} seconds, more than ten years; it is counted as "
        "ten years. Is it in milliseconds, or a date?"
    ]
