"""Output contracts: what each endpoint template must produce.

A response template turns the provider's reply into the fields the platform
needs (``user_identity``; ``access_token`` and its expiry), and a request
template produces the body to send.  Each check takes the rendered text and
returns a ``ContractResult`` with the values the flows use, or errors in
words.  The field names are fixed (DESIGN.md §3).

Parsing is JSON with one leniency: a trailing comma before ``}`` or ``]`` is
accepted with a warning, because the Integry guide's own GoTo template writes
one (``"redirect_uri": "…",\\n}``).  Any other invalid JSON is an error naming
the line and column of the rendered output, with that line and a caret.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from authorizations.plain_data import DataLimitError, check_data, check_integer_text
from twig import TemplateError

# An expiry further away than this is a unit mistake (milliseconds, a date
# written as seconds), not a real token lifetime.
MAX_LIFETIME = dt.timedelta(days=3653)

USER_INFO_FIELDS = ("user_identity", "account_id", "extras")
TOKEN_FIELDS = (
    "access_token",
    "refresh_token",
    "access_token_secret",
    "expires_in",
    "expires_at",
    "token_type",
    "scope",
    "extras",
)


class OutputError(TemplateError):
    """A template's output breaks its contract (``line``/``column`` of the output)."""


@dataclass
class ContractResult:
    """The outcome of a contract check: the values, or why there are none."""

    ok: bool
    values: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "values": self.values,
            "errors": list(self.errors),
            "warnings": list(self.warnings),
        }


# --- JSON with positions ---------------------------------------------------------


def parse_json_output(text: str, *, warnings: list[str] | None = None):
    """Parse a template's JSON output; raise ``OutputError`` saying where it breaks.

    Trailing commas are dropped, each with a warning appended to ``warnings``.
    """
    cleaned, commas = _drop_trailing_commas(text)
    for position in commas:
        line, column = _line_column(text, position)
        if warnings is not None:
            warnings.append(
                f"Trailing comma at line {line}, column {column} of the output; "
                "it was ignored, but strict JSON parsers refuse it."
            )
    duplicates: list[str] = []
    try:
        value = json.loads(
            cleaned,
            object_pairs_hook=lambda pairs: _object(pairs, duplicates),
            parse_constant=_refuse_constant,
            parse_int=_bounded_int,
            parse_float=_finite_float,
        )
        # What the flows keep and send must be storable and encodable: no
        # absurd nesting, no lone surrogate ("\udcff" is valid JSON text).
        check_data(value)
    except json.JSONDecodeError as error:
        raise _json_error(text, error.pos, _plain_reason(error.msg)) from None
    except RecursionError:
        # json's parser recurses once per [ or {; thousands of them exhaust the
        # stack long before any provider's real data would.
        raise OutputError(
            "The output is not usable JSON: its arrays and objects nest too deeply "
            "(thousands of levels)."
        ) from None
    except _BadConstant as error:
        position = cleaned.find(error.args[0])
        raise _json_error(
            text, max(position, 0), f"{error.args[0]} is not a JSON value"
        ) from None
    except _BadNumber as error:
        digits, reason = error.args
        position = cleaned.find(digits)
        raise _json_error(text, max(position, 0), reason) from None
    except DataLimitError as error:
        reason = error.message[:1].lower() + error.message[1:]
        raise OutputError(f"The output cannot be used: {reason}") from None
    if warnings is not None:
        for key in duplicates:
            warnings.append(f'The key "{key}" appears more than once; the last wins.')
    return value


class _BadConstant(ValueError):
    pass


def _refuse_constant(name: str):
    raise _BadConstant(name)


class _BadNumber(ValueError):
    """``args``: the number's text and why it is refused."""


def _bounded_int(digits: str) -> int:
    # int() of thousands of digits is refused by Python itself (a ValueError
    # that is not a JSONDecodeError); no real token field needs 33.
    try:
        check_integer_text(digits)
    except DataLimitError:
        raise _BadNumber(
            digits, f"a number has {len(digits.lstrip('-'))} digits (at most 32)"
        ) from None
    return int(digits)


def _finite_float(digits: str) -> float:
    number = float(digits)
    if not math.isfinite(number):
        raise _BadNumber(digits, "a number is too large to be a number")
    return number


def _object(pairs, duplicates: list[str]) -> dict:
    result = {}
    for key, value in pairs:
        if key in result:
            duplicates.append(key)
        result[key] = value
    return result


_REASONS = {
    "Expecting value": "a value was expected",
    "Expecting property name enclosed in double quotes": (
        'a key in double quotes was expected (or "}")'
    ),
    "Expecting ',' delimiter": 'a comma (or the closing "}" or "]") was expected',
    "Expecting ':' delimiter": "a colon after the key was expected",
    "Extra data": "there is more text after the JSON value",
    "Unterminated string starting at": "a string is never closed",
    "Invalid control character at": (
        "a string holds a raw control character (a line break or tab) - "
        "was a value printed with |raw?"
    ),
    "Invalid \\escape": "a string holds an invalid backslash escape",
}


def _plain_reason(message: str) -> str:
    for prefix, reason in _REASONS.items():
        if message.startswith(prefix):
            return reason
    return message[:1].lower() + message[1:]


def _json_error(text: str, position: int, reason: str) -> OutputError:
    line, column = _line_column(text, position)
    lines = text.split("\n")
    shown = lines[line - 1] if line - 1 < len(lines) else ""
    caret = " " * (column - 1) + "^"
    message = (
        f"The output is not valid JSON: {reason} at line {line}, column {column}:\n"
        f"{shown}\n{caret}"
    )
    return OutputError(message, line=line, column=column)


def _line_column(text: str, position: int) -> tuple[int, int]:
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return line, column


_TRAILING = re.compile(r'"(?:[^"\\]|\\.)*"|,(?=\s*[}\]])', re.DOTALL)


def _drop_trailing_commas(text: str) -> tuple[str, list[int]]:
    """Blank out commas that follow a value and precede ``}``/``]``.

    Strings are skipped, and each comma becomes a space so that positions in
    parse errors still point into the rendered output.
    """
    positions = []
    for match in _TRAILING.finditer(text):
        if match.group() != ",":
            continue
        before = match.start() - 1
        while before >= 0 and text[before].isspace():
            before -= 1
        # "{,}" and "[1,,]" are not a trailing comma after a value.
        if before >= 0 and text[before] not in "{[,":
            positions.append(match.start())
    if not positions:
        return text, []
    chars = list(text)
    for position in positions:
        chars[position] = " "
    return "".join(chars), positions


def _object_output(text: str, *, what: str, result: ContractResult):
    """Parse output that must be a JSON object; record errors on ``result``."""
    if not text.strip():
        result.errors.append(
            f"The {what} produced nothing; it must produce a JSON object."
        )
        return None
    try:
        value = parse_json_output(text, warnings=result.warnings)
    except OutputError as error:
        result.errors.append(error.message)
        return None
    if not isinstance(value, dict):
        result.errors.append(
            f"The {what} must produce a JSON object ({{ … }}), not {_json_kind(value)}."
        )
        return None
    return value


def _json_kind(value) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "true or false"
    if value is None:
        return "null"
    return "a number"


# --- field rules ---------------------------------------------------------------


def _absent(value) -> bool:
    # "refresh_token": "{{ response.refresh_token }}" gives "" when the
    # provider sends none: an empty optional field means "not given".
    return value is None or (isinstance(value, str) and not value.strip())


def _text_field(data: dict, name: str, result: ContractResult) -> str | None:
    value = data.get(name)
    if _absent(value):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        result.errors.append(f"{name} must be text, not {_json_kind(value)}.")
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _extras(data: dict, result: ContractResult) -> dict | None:
    value = data.get("extras")
    if _absent(value):
        return None
    # PHP's json_encode writes an empty mapping as [] (TWIG.md), so an empty
    # list is the empty object a Twig template meant.
    if value == []:
        return {}
    if not isinstance(value, dict):
        result.errors.append(f"extras must be a JSON object, not {_json_kind(value)}.")
        return None
    return value


def _unknown_fields(data: dict, known: tuple[str, ...], result: ContractResult):
    for name in data:
        if name not in known:
            result.warnings.append(
                f'"{name}" is not a field of this contract and is ignored; '
                f"the fields are {', '.join(known)} (put anything else in extras)."
            )


# --- the contracts ---------------------------------------------------------------


def check_user_info(output: str) -> ContractResult:
    """Check a user info response template's output.

    It must be a JSON object with a non-empty ``user_identity``; ``account_id``
    (the provider's stable id; a number is turned into text) and ``extras``
    (an object) are optional.
    """
    result = ContractResult(ok=False)
    data = _object_output(output, what="response template", result=result)
    if data is None:
        return result
    errors_before = len(result.errors)
    identity = _text_field(data, "user_identity", result)
    if len(result.errors) > errors_before:
        pass  # the field has the wrong type; _text_field said so
    elif identity is None:
        given = data.get("user_identity")
        result.errors.append(
            "user_identity is missing: the output needs one."
            if "user_identity" not in data
            else f"user_identity is empty: the template gave {json.dumps(given)}."
        )
    elif not any(ch.isalnum() for ch in identity):
        # "{{ first }} {{ last }} / {{ email }}" over missing data gives " / ".
        result.errors.append(
            f'user_identity is empty: the template gave "{identity}", which has '
            "no letters or digits; check the response fields it uses."
        )
    else:
        result.values["user_identity"] = identity
    account_id = _text_field(data, "account_id", result)
    if account_id is not None:
        result.values["account_id"] = account_id
    extras = _extras(data, result)
    if extras is not None:
        result.values["extras"] = extras
    _unknown_fields(data, USER_INFO_FIELDS, result)
    result.ok = not result.errors
    return result


def check_token_response(
    output: str, *, now: dt.datetime | None = None
) -> ContractResult:
    """Check a token response template's output (RFC 6749 §5.1 fields).

    It must be a JSON object with a non-empty ``access_token``; the optional
    fields are ``refresh_token``, ``access_token_secret`` (OAuth1),
    ``expires_in`` (seconds) or ``expires_at`` (ISO 8601 or epoch seconds),
    ``token_type``, ``scope`` and ``extras``.  When an expiry is given,
    ``values["expires_at"]`` is always its ISO 8601 UTC time.
    """
    now = now or dt.datetime.now(dt.UTC)
    result = ContractResult(ok=False)
    data = _object_output(output, what="response template", result=result)
    if data is None:
        return result
    token = _text_field(data, "access_token", result)
    if token is None and not result.errors:
        result.errors.append(
            "access_token is missing or empty: the output needs the token the "
            "provider returned."
        )
    elif token is not None:
        result.values["access_token"] = token
    for name in ("refresh_token", "access_token_secret", "token_type"):
        value = _text_field(data, name, result)
        if value is not None:
            result.values[name] = value
    scope = data.get("scope")
    if isinstance(scope, list) and all(isinstance(s, str) for s in scope):
        # Some providers return scopes as a list; RFC 6749 §3.3 uses spaces.
        scope = " ".join(scope)
        data = {**data, "scope": scope}
    scope = _text_field(data, "scope", result)
    if scope is not None:
        result.values["scope"] = scope
    _expiry(data, result, now)
    extras = _extras(data, result)
    if extras is not None:
        result.values["extras"] = extras
    _unknown_fields(data, TOKEN_FIELDS, result)
    result.ok = not result.errors
    return result


def _expiry(data: dict, result: ContractResult, now: dt.datetime) -> None:
    expires_in = data.get("expires_in")
    expires_at = data.get("expires_at")
    at = None
    if not _absent(expires_at):
        at = _parse_expires_at(expires_at, result, now)
        if at is not None:
            result.values["expires_at"] = at.isoformat()
    if not _absent(expires_in):
        seconds = _parse_expires_in(expires_in, result)
        if seconds is not None:
            result.values["expires_in"] = seconds
            if at is None and not _absent(expires_at):
                return
            if at is not None:
                result.warnings.append(
                    "Both expires_in and expires_at are given; expires_at is used."
                )
            else:
                at = now + dt.timedelta(seconds=seconds)
                result.values["expires_at"] = at.isoformat()


def _parse_expires_in(value, result: ContractResult) -> int | None:
    number = _number(value)
    if number is None:
        result.errors.append(
            f"expires_in must be a number of seconds, not {json.dumps(value)}."
        )
        return None
    if number < 0:
        result.errors.append(f"expires_in is negative ({_shown(number)} seconds).")
        return None
    if number > MAX_LIFETIME.total_seconds():
        # Some providers write "never" as a huge lifetime (2**31 - 1): the
        # token is used, and refreshed in ten years at the latest.
        result.warnings.append(
            f"expires_in is {_shown(number)} seconds, more than ten years; it is "
            "counted as ten years. Is it in milliseconds, or a date?"
        )
        return int(MAX_LIFETIME.total_seconds())
    return int(number)


def _parse_expires_at(value, result: ContractResult, now: dt.datetime):
    number = _number(value)
    if number is not None:
        if number < 0 or number > (now + MAX_LIFETIME).timestamp():
            hint = " (milliseconds?)" if number > 1e11 else ""
            result.errors.append(
                f"expires_at is {_shown(number)}, which is not a time as epoch "
                f"seconds within ten years{hint}."
            )
            return None
        return dt.datetime.fromtimestamp(number, dt.UTC)
    if isinstance(value, str):
        try:
            at = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            if at.tzinfo is None:
                at = at.replace(tzinfo=dt.UTC)
            # Year 1 or 9999 with an offset leaves the datetime range in UTC.
            at = at.astimezone(dt.UTC)
        except (ValueError, OverflowError):
            at = None
        if at is not None:
            if at - now > MAX_LIFETIME:
                result.errors.append(
                    f'expires_at is "{value}", more than ten years away.'
                )
                return None
            return at
    result.errors.append(
        f"expires_at must be an ISO 8601 time (2025-01-31T12:00:00Z) or epoch "
        f"seconds, not {json.dumps(value)}."
    )
    return None


def _number(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _shown(number: float) -> str:
    if abs(number) >= 1e15:  # 1e+308, not its 309 digits
        return f"{number:g}"
    return str(int(number)) if float(number).is_integer() else str(number)


# --- request bodies --------------------------------------------------------------

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def check_request_body(
    output: str, *, body_format: str, content_type: str | None = None
) -> ContractResult:
    """Turn a request template's output into the body to send.

    Empty output means no body.  Otherwise it must be a JSON object, sent as
    JSON or as a form (``body_format`` "json" or "form"); a ``Content-Type``
    header, when set, decides instead.  Form bodies are flat: a list of plain
    values repeats its key (``a=1&a=2``), and an object or nested list is an
    error — there is no standard form encoding for nesting, so guessing PHP's
    ``a[b]=c`` would silently send what the API may not read.

    ``values`` holds ``body`` (the text to send, or None), ``content_type``
    and ``data`` (the parsed object).
    """
    result = ContractResult(ok=False, values={"body": None, "content_type": None})
    if not output.strip():
        result.ok = True
        return result
    encoding = _body_encoding(body_format, content_type, result)
    data = _object_output(output, what="request template", result=result)
    if data is None or encoding is None:
        return result
    result.values["data"] = data
    if encoding == JSON:
        result.values["body"] = json.dumps(data, ensure_ascii=False)
    else:
        pairs = _form_pairs(data, result)
        if pairs is None:
            return result
        result.values["body"] = urlencode(pairs)
    result.values["content_type"] = content_type or encoding
    result.ok = not result.errors
    return result


def _body_encoding(body_format: str, content_type: str | None, result) -> str | None:
    if content_type:
        media = content_type.split(";")[0].strip().lower()
        if media == FORM:
            return FORM
        if media == JSON or media.endswith("+json"):
            return JSON
        result.errors.append(
            f'The Content-Type header is "{content_type}", but a request template '
            f"produces JSON or form data; use {JSON} or {FORM}, or remove the header."
        )
        return None
    if body_format == "json":
        return JSON
    if body_format == "form":
        return FORM
    result.errors.append(
        "The body format is None, but the request template produced a body; "
        "choose JSON or Form, or empty the template."
    )
    return None


def _form_value(value) -> str | None:
    # PHP's http_build_query, which Twig users know: true is 1, false is 0,
    # null is left out.
    if value is None:
        return None
    if value is True:
        return "1"
    if value is False:
        return "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _form_pairs(data: dict, result: ContractResult) -> list | None:
    pairs = []
    for key, value in data.items():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict | list):
                shape = "an object" if isinstance(item, dict) else "a nested list"
                result.errors.append(
                    f'"{key}" holds {shape}, which a form body cannot carry; '
                    "send JSON (body format JSON) or write it as text with "
                    "|json_encode inside a string."
                )
                return None
            text = _form_value(item)
            if text is not None:
                pairs.append((key, text))
    return pairs


# --- by endpoint kind --------------------------------------------------------------


def check_response(kind: str, output: str, *, now=None) -> ContractResult:
    """Check a response template's output by endpoint kind.

    The request token endpoint (OAuth1) follows the token contract: its
    ``access_token`` and ``access_token_secret`` hold the request token and
    its secret.  A revoke endpoint needs no output; when it gives some, it
    must be a JSON object.
    """
    if kind == "user_info":
        return check_user_info(output)
    if kind in ("access_token", "request_token"):
        return check_token_response(output, now=now)
    result = ContractResult(ok=False)
    if output.strip():
        data = _object_output(output, what="response template", result=result)
        if data is not None:
            result.values = data
    result.ok = not result.errors
    return result


__all__ = [
    "ContractResult",
    "OutputError",
    "check_request_body",
    "check_response",
    "check_token_response",
    "check_user_info",
    "parse_json_output",
]
