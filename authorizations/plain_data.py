"""Bounds on data that comes from outside: preview samples, import files, replies.

JSON and YAML readers recurse once per level of nesting, Python refuses to
convert integers of more than 4,300 digits, and a lone UTF-16 surrogate
("\\udcff", legal in JSON text) cannot be encoded as UTF-8.  Each would surface
as a RecursionError, ValueError or UnicodeEncodeError far from where the data
came in.  Reading through here turns each into a ``DataLimitError`` that says,
in words, what is wrong and where; every door (the preview, the importer, later
the flows and the API) applies the same bounds.
"""

from __future__ import annotations

import json
from typing import Any

from authorizations.wording import excerpt

# Levels of lists and objects.  Real provider replies and config files nest
# well under 20; far below the depth at which Python's recursion would fail.
MAX_DEPTH = 64
# Digits of one integer.  PHP (and so Twig) integers have at most 19; a longer
# number is almost certainly an id, and belongs in a string.
MAX_INTEGER_DIGITS = 32


class DataLimitError(ValueError):
    """The data is outside a bound; ``path`` says where (``a.b[2]``)."""

    def __init__(self, message: str, *, path: str = ""):
        super().__init__(message)
        self.message = message
        self.path = path


def child_path(path: str, key: Any) -> str:
    """Return the path of ``key`` inside ``path``: ``a.b``, ``a[2]``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _where(path: str) -> str:
    # A path through deep nesting: its start says enough.
    path = excerpt(path, limit=100)
    return f" at {path}" if path else ""


def check_integer_text(digits: str, *, path: str = "") -> None:
    """Refuse an integer written with more than ``MAX_INTEGER_DIGITS`` digits."""
    count = len(digits.lstrip("+-").replace("_", ""))
    if count > MAX_INTEGER_DIGITS:
        raise DataLimitError(
            f"A number{_where(path)} has {count} digits; numbers may have at most "
            f"{MAX_INTEGER_DIGITS}. Write a longer one as text (in quotes).",
            path=path,
        )


def check_text(text: str, *, path: str = "") -> None:
    """Refuse text that cannot be written as UTF-8 (a lone surrogate)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        code = ord(text[error.start])
        raise DataLimitError(
            f"The text{_where(path)} holds an unpaired UTF-16 surrogate "
            f"(\\u{code:04x} at character {error.start + 1}), which is not a "
            "character; remove it or pair it.",
            path=path,
        ) from None


def check_data(value: Any, *, path: str = "") -> None:
    """Check parsed data against the bounds: depth, integer size, valid text.

    Iterative, so that data nested far too deep is refused rather than
    overflowing the stack that checks it.
    """
    stack = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, str):
            check_text(item, path=where)
        elif isinstance(item, bool) or item is None or isinstance(item, float):
            continue
        elif isinstance(item, int):
            # Checked on the number, not its text: int -> str is itself bounded.
            if abs(item) >= 10**MAX_INTEGER_DIGITS:
                raise DataLimitError(
                    f"A number{_where(where)} is too large; numbers may have at "
                    f"most {MAX_INTEGER_DIGITS} digits. Write it as text.",
                    path=where,
                )
        elif isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                raise DataLimitError(
                    f"The data nests more than {MAX_DEPTH} levels deep{_where(where)}.",
                    path=where,
                )
            entries = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in entries:
                if isinstance(key, str):
                    check_text(key, path=where)
                stack.append((child, child_path(where, key), depth + 1))


def load_json(text: str | bytes, *, path: str = "", **options) -> Any:
    """Parse JSON within the bounds; raise ``json.JSONDecodeError`` or
    ``DataLimitError``.  ``options`` go to ``json.loads``.
    """

    def parse_int(digits: str) -> int:
        check_integer_text(digits, path=path)
        return int(digits)

    try:
        value = json.loads(text, parse_int=parse_int, **options)
    except RecursionError:
        raise DataLimitError(
            f"The data nests more than {MAX_DEPTH} levels deep{_where(path)}.",
            path=path,
        ) from None
    check_data(value, path=path)
    return value
