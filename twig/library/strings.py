"""String filters: case, trim, split, replace, striptags, nl2br, spaceless."""

from __future__ import annotations

import re
import unicodedata

from markupsafe import Markup

from .. import php
from ..php import TwigRuntimeError

# Word_Break MidLetter/MidNumLet/Single_Quote: case-ignorable for title case
# (PHP 8.2 mbstring follows Unicode's Case_Ignorable property).
_CASE_IGNORABLE_PUNCT = frozenset(
    "'.:\u00b7\u0387\u05f4\u2018\u2019\u2024\u2027\ufe13\ufe52\ufe55\uff07\uff0e\uff1a"
)


def _is_case_ignorable(char: str) -> bool:
    return char in _CASE_IGNORABLE_PUNCT or unicodedata.category(char) in {
        "Mn",
        "Me",
        "Cf",
        "Lm",
        "Sk",
    }


def _is_cased(char: str) -> bool:
    return unicodedata.category(char) in {"Lu", "Ll", "Lt"} or (
        char.lower() != char.upper()
    )


def upper(value) -> str:
    return php.str_arg(value, "mb_strtoupper").upper()


def lower(value) -> str:
    return php.str_arg(value, "mb_strtolower").lower()


def title(value) -> str:
    """Title-case as mb_convert_case(MB_CASE_TITLE) does in PHP 8.2."""
    text = php.str_arg(value, "mb_convert_case")
    out = []
    in_word = False
    for char in text:
        out.append(char.lower() if in_word else char.title())
        if not _is_case_ignorable(char):
            in_word = _is_cased(char)
    return "".join(out)


def capitalize(value) -> str:
    text = php.str_arg(value, "mb_substr")
    return text[:1].upper() + text[1:].lower()


def _charmask(characters: str) -> str:
    """Expand PHP's trim() character mask, where "a..z" is a range."""
    chars = []
    i = 0
    while i < len(characters):
        if (
            characters[i + 1 : i + 3] == ".."
            and i + 3 < len(characters)
            and characters[i + 3] >= characters[i]
        ):
            chars.extend(
                chr(c) for c in range(ord(characters[i]), ord(characters[i + 3]) + 1)
            )
            i += 4
        else:
            chars.append(characters[i])
            i += 1
    return "".join(chars)


def trim(value, character_mask=None, side="both") -> str:
    if character_mask is None or isinstance(character_mask, php.Undefined):
        mask = " \t\n\r\0\x0b"
    else:
        mask = _charmask(php.str_arg(character_mask, "trim", 2, "characters"))
    if side == "both":
        return php.str_arg(value, "trim").strip(mask)
    if side == "left":
        return php.str_arg(value, "ltrim").lstrip(mask)
    if side == "right":
        return php.str_arg(value, "rtrim").rstrip(mask)
    raise TwigRuntimeError('Trimming side must be "left", "right" or "both".')


def split(value, delimiter, limit=None) -> list:
    """Split as Twig does: explode() for a delimiter, characters for ''."""
    limit = None if php.is_null(limit) else limit
    delimiter = (
        ""
        if php.is_null(delimiter)
        else php.str_arg(delimiter, "explode", 1, "separator")
    )
    if delimiter:
        text = php.str_arg(value, "explode", 2, "string")
        if limit is None:
            return text.split(delimiter)
        count = php.int_arg(limit, "explode", 3, "limit")
        if count > 0:
            return text.split(delimiter, count - 1)
        if count == 0:
            return [text]
        pieces = text.split(delimiter)
        return pieces[:count] if len(pieces) > -count else []
    text = php.str_arg(value, "preg_split", 2, "subject")
    if limit is None or php.less_equal(limit, 1):
        # preg_split('/(?<!^)(?!$)/u'): "$" also matches before a final newline.
        return re.split(r"(?<!^)(?!$)", text)
    size = php.int_arg(limit, "mb_substr", 3, "length")
    if len(text) < size:
        return [text]
    return [text[i : i + size] for i in range(0, len(text), size)]


def replace(value, replacements) -> str:
    """Replace simultaneously, longest key first, as PHP's strtr() does."""
    if not php.is_array(replacements):
        raise TwigRuntimeError(
            'The "replace" filter expects an array or "Traversable" as replace '
            f'values, got "{php.gettype(replacements)}".'
        )
    text = "" if php.is_null(value) else php.str_arg(value, "strtr")
    pairs = {php.to_str(k): php.to_str(v) for k, v in php.php_items(replacements)}
    pairs.pop("", None)
    if not pairs:
        return text
    pattern = re.compile(
        "|".join(re.escape(k) for k in sorted(pairs, key=len, reverse=True))
    )
    return pattern.sub(lambda m: pairs[m.group(0)], text)


def nl2br(value) -> Markup:
    text = "" if php.is_null(value) else php.str_arg(value, "nl2br")
    # Twig escapes the input first (pre_escape) unless it is already safe.
    return Markup(re.sub(r"(\r\n|\n\r|\n|\r)", r"<br />\1", text))  # noqa: S704


def spaceless(value) -> Markup:
    text = (
        "" if php.is_null(value) else php.str_arg(value, "preg_replace", 3, "subject")
    )
    collapsed = re.sub(r">[ \t\n\x0b\f\r]+<", "><", text)
    return Markup(collapsed.strip(" \t\n\r\0\x0b"))  # noqa: S704 - pre-escaped


def _normalize_tag(tag: str) -> str:
    """Reduce "<A href=x>" or "</a>" or "<br/>" to "<a>" (php_tag_find)."""
    out = []
    started = False
    for i, char in enumerate(tag.lower()):
        if char == "<":
            out.append(char)
        elif char == ">":
            break
        elif not char.isspace():
            started = True
            before = tag[i - 1] if i else ""
            after = tag[i + 1] if i + 1 < len(tag) else ""
            if char != "/" or (before != "<" and after != ">"):
                out.append(char)
        elif started:
            break
    return "".join(out) + ">"


def striptags(value, allowable_tags=None) -> str:
    """Strip HTML and PHP tags as PHP's strip_tags() state machine does."""
    text = "" if php.is_null(value) else php.str_arg(value, "strip_tags")
    if php.is_array(allowable_tags):
        allowed = "".join(
            f"<{php.to_str(t).lower()}>" for t in php.php_values(allowable_tags)
        )
    elif php.is_null(allowable_tags):
        allowed = ""
    else:
        allowed = php.to_str(allowable_tags).lower()
    out: list[str] = []
    tag: list[str] = []
    state = depth = 0
    quote = ""
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if state == 0:
            if char == "<" and i + 1 < n and text[i + 1] in " \t\n\r\x0b\f":
                out.append(char)
            elif char == "<":
                if text.startswith("<!--", i):
                    state, i = 4, i + 4
                    continue
                state = (
                    2
                    if text[i + 1 : i + 2] == "?"
                    else 3
                    if text[i + 1 : i + 2] == "!"
                    else 1
                )
                tag = [char]
            else:
                out.append(char)
        elif state == 1:
            tag.append(char)
            if quote:
                if char == quote:
                    quote = ""
            elif char in "\"'":
                quote = char
            elif char == "<":
                depth += 1
            elif char == ">":
                if depth:
                    depth -= 1
                else:
                    state = 0
                    if allowed and _normalize_tag("".join(tag)) in allowed:
                        out.append("".join(tag))
        elif state == 2:
            if quote:
                if char == quote:
                    quote = ""
            elif char in "\"'":
                quote = char
            elif char == ">" and text[i - 1] == "?":
                state = 0
        elif state == 3:
            if char == ">":
                state = 0
        elif text.startswith("-->", i):
            state, i = 0, i + 3
            continue
        i += 1
    return "".join(out)
