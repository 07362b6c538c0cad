"""Helpers the compiled templates call: data access, loops, operators.

Everything here follows what Twig 3.5 compiles to in PHP (twig_get_attribute,
twig_ensure_traversable, the Binary node classes).  Data is plain: PHP arrays
are ``list`` (keys 0..n-1) or ``dict``; a missing value is ``None`` (PHP null),
which prints empty at any depth when ``strict_variables`` is off.
"""

from __future__ import annotations

import functools
import re

import regex
from markupsafe import Markup

from .. import php
from ..errors import TemplateRuntimeError

TEMPLATE_NAME = "template"


# --- data access ---------------------------------------------------------------


def getattr_(obj, key):
    """Read ``obj.key`` / ``obj[key]``: a key of an array, else null.

    Twig only reads array items here; strings, numbers, null and objects give
    null (``s[0]``, ``items.length`` and negative indexes print empty).
    """
    cls = obj.__class__
    if cls is dict:
        try:
            return obj[key]
        except (KeyError, TypeError):
            pass
        try:
            return obj.get(php.normalize_key(key))
        except (php.PhpError, TypeError):
            return None
    if cls is list:
        if key.__class__ is not int:
            try:
                key = php.normalize_key(key)
            except (php.PhpError, TypeError):
                return None
            if key.__class__ is not int:
                return None
        if 0 <= key < len(obj):
            return obj[key]
    return None


def has_attr(obj, key) -> bool:
    """Tell whether ``obj.key`` exists (the ``defined`` test on an attribute)."""
    cls = obj.__class__
    try:
        if cls is dict:
            return key in obj or php.normalize_key(key) in obj
        if cls is list:
            key = php.normalize_key(key)
            return key.__class__ is int and 0 <= key < len(obj)
    except (php.PhpError, TypeError):
        return False
    return False


def _describe_keys(obj) -> str:
    keys = range(len(obj)) if isinstance(obj, list) else obj.keys()
    return ", ".join(php.to_str(k) for k in keys)


def getattr_strict(obj, key, kind: str = "any"):
    """Read an attribute with ``strict_variables`` on: raise when it is missing."""
    if has_attr(obj, key):
        return getattr_(obj, key)
    if isinstance(obj, dict | list):
        if not obj:
            raise TemplateRuntimeError(
                f'Key "{php.to_str(key)}" does not exist as the array is empty.'
            )
        raise TemplateRuntimeError(
            f'Key "{php.to_str(key)}" for array with keys "{_describe_keys(obj)}" '
            "does not exist."
        )
    if kind == "method":
        raise TemplateRuntimeError(
            f'Impossible to invoke a method ("{php.to_str(key)}") on {_php_kind(obj)}.'
        )
    raise TemplateRuntimeError(
        f'Impossible to access an attribute ("{php.to_str(key)}") on {_php_kind(obj)}.'
    )


def _php_kind(obj) -> str:
    if obj is None:
        return "a null variable"
    name = php.gettype(obj)
    return f'a {name} variable ("{php.to_str(obj)}")'


def variable_strict(context: dict, name: str):
    try:
        return context[name]
    except KeyError:
        raise TemplateRuntimeError(f'Variable "{name}" does not exist.') from None


def hash_literal(pairs) -> list | dict:
    """Build ``{k: v}``: keys normalised as PHP does ("1" → 1), list if 0..n-1."""
    return php.from_items(pairs)


# --- loops and scopes -------------------------------------------------------------


def loop_values(seq):
    """Return what ``for v in seq`` iterates: only arrays iterate in Twig."""
    cls = seq.__class__
    if cls is list:
        return seq
    if cls is dict:
        return list(seq.values())
    if isinstance(seq, list | tuple):
        return list(seq)
    return ()


def loop_items(seq):
    """Return the (key, value) pairs ``for k, v in seq`` iterates."""
    cls = seq.__class__
    if cls is list:
        return list(enumerate(seq))
    if cls is dict:
        return list(seq.items())
    if isinstance(seq, list | tuple):
        return list(enumerate(seq))
    return ()


def leave_scope(context: dict, parent: dict, targets: tuple) -> dict:
    """Close a ``for`` scope as Twig's ForNode does.

    Unset the loop targets, ``loop`` and ``_parent``, then
    ``array_intersect_key($context, $_parent) + $_parent``: variables that
    existed before the loop keep the value the loop gave them, variables the
    loop created vanish, and the loop targets get their old values back.
    """
    merged = {
        key: value
        for key, value in context.items()
        if key in parent and key not in targets
    }
    if len(merged) != len(parent):
        for key, value in parent.items():
            merged.setdefault(key, value)
    return merged


def with_scope(context: dict, variables, only: bool) -> dict:
    """Open a ``with`` scope: the given hash over (or instead of) the context."""
    if isinstance(variables, dict):
        values = variables
    elif isinstance(variables, list):
        values = dict(enumerate(variables))
    else:
        raise TemplateRuntimeError('Variables passed to the "with" tag must be a hash.')
    if only:
        return dict(values)
    merged = dict(context)
    merged.update(values)
    return merged


def captured(parts: list) -> str:
    """Return a ``set`` block's or macro's output, marked safe as Twig does."""
    text = "".join(parts)
    # The parts are the template's own output, already escaped where needed.
    return Markup(text) if text else ""  # noqa: S704


def undefined_macro(name: str):
    raise TemplateRuntimeError(
        f'Macro "{name}" is not defined in template "{TEMPLATE_NAME}".'
    )


def unsupported_import(source) -> None:
    raise TemplateRuntimeError(f'Template "{php.to_str(source)}" is not defined.')


# --- operators -------------------------------------------------------------------


def concat(*parts) -> str:
    to_str = php.to_str
    return "".join([p if p.__class__ is str else to_str(p) for p in parts])


def starts_with(left, right) -> bool:
    return isinstance(left, str) and isinstance(right, str) and left.startswith(right)


def ends_with(left, right) -> bool:
    return isinstance(left, str) and isinstance(right, str) and left.endswith(right)


def has_some(array, arrow) -> bool:
    return any(php.is_truthy(arrow(value, key)) for key, value in loop_items(array))


def has_every(array, arrow) -> bool:
    return all(php.is_truthy(arrow(value, key)) for key, value in loop_items(array))


_BRACKETS = {"(": ")", "[": "]", "{": "}", "<": ">"}
_PCRE_FLAGS = {"i": regex.I, "m": regex.M, "s": regex.S, "x": regex.X}


@functools.lru_cache(maxsize=256)
def compile_pcre(pattern: str):
    """Translate a PCRE pattern with delimiters and flags to a Python regex.

    Without the ``u`` flag PCRE matches bytes, so the pattern and subject are
    matched as UTF-8 bytes then (``'Ä' matches '/^.$/'`` is false in Twig).
    """
    invalid = f'Regexp "{pattern}" passed to "matches" is not valid'
    stripped = pattern.lstrip()
    if not stripped:
        raise TemplateRuntimeError(f"{invalid}: Empty regular expression")
    delimiter = stripped[0]
    if delimiter.isalnum() or delimiter == "\\":
        raise TemplateRuntimeError(
            f"{invalid}: Delimiter must not be alphanumeric, backslash, or NUL"
        )
    closing = _BRACKETS.get(delimiter, delimiter)
    end = stripped.rfind(closing)
    if end <= 0:
        raise TemplateRuntimeError(f'{invalid}: No ending delimiter "{closing}" found')
    body, modifiers = stripped[1:end], stripped[end + 1 :]
    flags = 0
    unicode = False
    anchored = False
    for modifier in modifiers:
        if modifier in _PCRE_FLAGS:
            flags |= _PCRE_FLAGS[modifier]
        elif modifier == "u":
            unicode = True
        elif modifier == "A":
            anchored = True
        elif modifier in "D\n ":
            continue
        else:
            raise TemplateRuntimeError(f'{invalid}: Unknown modifier "{modifier}"')
    # Python spells named groups (?P<name>...); PCRE also accepts (?<name>...).
    body = re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", body)
    if anchored:
        body = f"(?:{body})"
    # The regex package, not re: its matches take a timeout, so a pattern that
    # backtracks catastrophically cannot outrun the render's time limit.
    try:
        if unicode:
            return regex.compile(body, flags), True, anchored
        return regex.compile(body.encode("utf-8"), flags), False, anchored
    except regex.error as error:
        raise TemplateRuntimeError(f"{invalid}: {error}") from None


def matches(subject, pattern, *, timeout: float | None = None) -> int:
    """Twig's ``matches``: preg_match(), so 1 or 0.

    Raise TimeoutError when ``timeout`` seconds pass before the match ends.
    """
    compiled, unicode, anchored = compile_pcre(php.to_str(pattern))
    text = php.to_str(subject)
    if not unicode:
        text = text.encode("utf-8")
    match = compiled.match if anchored else compiled.search
    return 1 if match(text, timeout=timeout) else 0


# --- autoescape ---------------------------------------------------------------


def autoescape(escape, value, strategy: str):
    """Escape a printed value inside ``{% autoescape %}``; safe values pass."""
    if isinstance(value, Markup):
        return value
    return escape(value, strategy)


def tick() -> None:
    """The default per-iteration hook: no limits."""
