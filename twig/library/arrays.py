"""Array filters with PHP array semantics (keys kept where PHP keeps them)."""

from __future__ import annotations

import datetime as _dt
import functools
import math

from .. import php
from ..php import PhpValueError, TwigRuntimeError
from .arrows import caller


def _require_array(value, message: str):
    if not php.is_array(value):
        raise TwigRuntimeError(message.format(type=php.gettype(value)))


def length(value) -> int:
    if php.is_null(value):
        return 0
    if php.is_array(value):
        return len(value)
    if isinstance(value, _dt.datetime):
        return 1
    return len(php.to_str(value))


def default(value, default_value=""):
    """Return ``default_value`` when ``value`` is empty (see the empty test)."""
    return default_value if is_empty(value) else value


def is_empty(value) -> bool:
    if php.is_null(value) or value is False or value == "":
        return True
    return php.is_array(value) and len(value) == 0


def join(value, glue="", and_glue=None) -> str:
    if php.is_array(value):
        items = php.php_values(value)
    elif php.is_null(value):
        items = []
    else:
        items = [value]
    glue = php.to_str(glue)
    if not items:
        return ""
    if php.is_null(and_glue) or php.to_str(and_glue) == glue:
        return glue.join(php.to_str(item) for item in items)
    if len(items) == 1:
        return items[0]
    head = glue.join(php.to_str(item) for item in items[:-1])
    return head + php.to_str(and_glue) + php.to_str(items[-1])


def keys(value) -> list:
    if not php.is_array(value):
        return []
    return [key for key, _ in php.php_items(value)]


def merge(left, right):
    """array_merge: numeric keys renumbered, string keys of ``right`` win."""
    if not php.is_array(left):
        raise TwigRuntimeError(
            'The merge filter only works with arrays or "Traversable", got '
            f'"{php.gettype(left)}" as first argument.'
        )
    if not php.is_array(right):
        raise TwigRuntimeError(
            'The merge filter only works with arrays or "Traversable", got '
            f'"{php.gettype(right)}" as second argument.'
        )
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        return [*left, *right]
    return php.renumber(php.php_items(left) + php.php_items(right))


def _slice_bounds(size: int, start: int, length) -> tuple[int, int]:
    """Turn array_slice()/mb_substr() offset and length into Python bounds."""
    if start > size:
        return size, size
    if start < 0:
        start = max(size + start, 0)
    if length is None:
        end = size
    elif length < 0:
        end = max(size + length, start)
    else:
        end = min(start + length, size)
    return start, end


def slice_(value, start, length=None, preserve_keys=False):
    length = (
        None if php.is_null(length) else php.int_arg(length, "array_slice", 3, "length")
    )
    start = php.int_arg(start, "array_slice", 2, "offset")
    if php.is_array(value):
        items = php.php_items(value)
        lo, hi = _slice_bounds(len(items), start, length)
        chosen = items[lo:hi]
        if php.is_truthy(preserve_keys):
            return php.from_items(chosen)
        return php.renumber(chosen)
    text = php.to_str(value) if not php.is_null(value) else ""
    lo, hi = _slice_bounds(len(text), start, length)
    return text[lo:hi]


def first(value):
    if php.is_array(value):
        values = php.php_values(value)
        return values[0] if values else False
    return slice_(value, 0, 1)


def last(value):
    if php.is_array(value):
        values = php.php_values(value)
        return values[-1] if values else False
    return slice_(value, -1, 1)


def reverse(value, preserve_keys=False):
    if php.is_array(value):
        items = php.php_items(value)[::-1]
        if php.is_truthy(preserve_keys):
            return php.from_items(items)
        return php.renumber(items)
    text = "" if php.is_null(value) else php.to_str(value)
    return text[::-1]


def _user_comparator(arrow):
    call = caller(arrow)

    def compare(a, b) -> int:
        result = call(a[1], b[1])
        if isinstance(result, bool):
            # PHP 8 retries a boolean comparator with swapped operands.
            if result:
                return 1
            return -1 if php.is_truthy(call(b[1], a[1])) else 0
        number = php.to_int(result)
        return (number > 0) - (number < 0)

    return compare


def sort(value, arrow=None):
    """asort()/uasort(): stable, keys kept."""
    return _sort(php.spaceship, value, arrow)


def _sort(compare, value, arrow=None):
    if not php.is_array(value):
        raise TwigRuntimeError(
            'The sort filter only works with arrays or "Traversable", got '
            f'"{php.gettype(value)}".'
        )
    items = php.php_items(value)
    if arrow is None:
        items.sort(key=functools.cmp_to_key(lambda a, b: compare(a[1], b[1])))
    else:
        items.sort(key=functools.cmp_to_key(_user_comparator(arrow)))
    return php.from_items(items)


# The same filter with another comparison than PHP's <=> (the render limits
# pass one that checks the deadline).
sort.twig_compared = _sort


def batch(value, size, fill=None, preserve_keys=True):
    _require_array(
        value, 'The "batch" filter expects an array or "Traversable", got "{type}".'
    )
    size = math.ceil(php.float_arg(size, "ceil", 1, "num"))
    if size < 1:
        raise PhpValueError(
            "array_chunk(): Argument #2 ($length) must be greater than 0"
        )
    keep = php.is_truthy(preserve_keys)
    items = php.php_items(value) if keep else list(enumerate(php.php_values(value)))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    result = []
    for chunk in chunks:
        result.append(php.from_items(chunk) if keep else [v for _, v in chunk])
    if not php.is_null(fill) and result:
        last_chunk = result[-1]
        missing = size - len(last_chunk)
        if missing:
            pairs = php.php_items(last_chunk)
            next_key = max((k for k, _ in pairs if isinstance(k, int)), default=-1) + 1
            pairs += [(next_key + i, fill) for i in range(missing)]
            result[-1] = php.from_items(pairs)
    return result


def column(value, name, index=None):
    """array_column() on arrays of arrays (rows that lack the column are skipped)."""
    if not php.is_array(value):
        raise TwigRuntimeError(
            'The column filter only works with arrays or "Traversable", got '
            f'"{php.gettype(value)}" as first argument.'
        )
    pairs = []
    next_index = 0
    for row in php.php_values(value):
        if not php.is_array(row):
            continue
        cells = dict(php.php_items(row))
        if php.is_null(name):
            cell = row
        else:
            key = php.normalize_key(name)
            if key not in cells:
                continue
            cell = cells[key]
        row_key = None
        if not php.is_null(index):
            candidate = cells.get(php.normalize_key(index))
            if isinstance(candidate, str | int) and not isinstance(candidate, bool):
                row_key = php.normalize_key(candidate)
        if row_key is None:
            row_key = next_index
        if isinstance(row_key, int) and row_key >= next_index:
            next_index = row_key + 1
        pairs.append((row_key, cell))
    return php.from_items(pairs)


def filter_(value, arrow):
    _require_array(
        value, 'The "filter" filter expects an array or "Traversable", got "{type}".'
    )
    call = caller(arrow)
    return php.from_items(
        (key, item)
        for key, item in php.php_items(value)
        if php.is_truthy(call(item, key))
    )


def map_(value, arrow):
    call = caller(arrow)
    # Twig's foreach over a non-array only warns and yields an empty array.
    return php.from_items((key, call(item, key)) for key, item in php.php_items(value))


def reduce_(value, arrow, initial=None):
    if not php.is_array(value):
        raise TwigRuntimeError(
            'The "reduce" filter only works with arrays or "Traversable", got '
            f'"{php.gettype(value)}" as first argument.'
        )
    call = caller(arrow)
    accumulator = initial
    for key, item in php.php_items(value):
        accumulator = call(accumulator, item, key)
    return accumulator
