"""Bounds on every compile and render: time, output, memory, size and nesting.

Templates are written by integration developers of many teams, so each one is
treated as hostile.  A template that runs too long, writes or allocates too
much, or nests too deeply stops with a ``TemplateLimitError`` that names the
bound ("The template exceeded its time limit (2 s)."), and the process goes on
serving.

The checks are cooperative and in-process: a subprocess or a thread per render
would cost more than the render itself (``bench/render.py``), and neither can
stop C code anyway.  What is checked where:

* compile — the source is at most 64 KiB and its syntax tree at most 64 levels
  deep (20 nested loops) before any Python is generated, so neither the Twig
  parser nor Python's compiler can exhaust the stack; a chain of binary
  operators (``a or b or …``) is one level, as it compiles flat;
* render — each render gets a ``Budget`` (a deadline and a memory allowance)
  in a context variable, so concurrent renders never share one.  The compiled
  code spends it: ``tick()`` runs at every loop iteration, macro call and
  block, and charges the literal text the loop body writes; arrow functions,
  filters, functions and the operators that walk arrays (``in``, ``==``,
  comparisons, array ``+``) check the deadline before they start; these
  operators, ``is same as``, ``sort``, ``max`` and ``min`` count the values
  of the arrays they compare first (``count_values``), and the last three
  check the deadline at every comparison; prints, ``~``, captures, filters
  and functions charge the text and arrays they create; filters whose output
  can dwarf their input (``format``, ``number_format``, ``replace``, ``join``,
  ``batch``, ``range``, the encoders …) refuse before they allocate; the
  output is measured before it is joined.

Memory is an allowance, not a measurement: everything a render creates counts,
even what it drops again, at what CPython allocates for it (``sys.getsizeof``
of the new text and arrays, measured costs per item before they exist), and
a filter's transient work is held while it runs, so the resident memory of a
render stays below the limit (``bench/memory.py``).  ``docs/templates.md``
lists the bounds and what they cannot cover (one regular expression match).
"""

from __future__ import annotations

import contextlib
import contextvars
import ctypes
import dataclasses
import functools
import logging
import math
import sys
import types
from time import perf_counter

from jinja2.nodes import Node
from markupsafe import Markup

from . import php
from .errors import (
    TemplateError,
    TemplateRuntimeError,
    TemplateSyntaxError,
    internal_error,
)
from .syntax import nodes as n
from .syntax import runtime
from .syntax.codegen import NOT_CHAINED

_log = logging.getLogger(__name__)
_getsizeof = sys.getsizeof


def return_large_blocks_to_the_system() -> None:
    """Have glibc map every block over 128 KiB on its own (``M_MMAP_THRESHOLD``).

    A setting of the whole process, so the process that serves renders calls
    it once at start (the console does in ``integry.apps``); importing the
    engine changes nothing of the process.

    By default glibc raises that threshold after the first large free, so the
    big lists and texts of later renders come from its per-thread arenas,
    which keep the memory once the render is over: eight concurrent renders
    left the process 120 MB larger for good (``bench/memory.py``).  A fixed
    threshold hands each large block back to the system when it is freed.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 128 * 1024)
    except (OSError, AttributeError):  # not glibc: its own allocator decides
        pass


_M_MMAP_THRESHOLD = -3  # glibc's malloc.h

KiB = 1024
MiB = 1024 * KiB

# What Python really allocates, measured with tracemalloc on CPython 3.11
# (64-bit): the limit holds in resident memory only if what is counted is
# what the objects cost, not the PHP values they stand for.
# One value in a new list: its 8-byte slot and a number (an int is 28 bytes,
# 32 once pymalloc rounds it; a float 24).
ITEM_BYTES = 40
# A list slot, or a pointer to a piece of text kept for the output.
SLOT = 8
# The header of a small str (49 bytes for ASCII, up to 76 for wide text),
# with its slot.
TEXT_BYTES = 88
# The transient work of the array filters, in bytes per item of the array
# they are given: their (key, value) pairs, the dict that rebuilds the PHP
# array and the copies along the way (peaks measured with tracemalloc on
# 50,000 items, plus a quarter).  Refused before they start when it would not
# fit, since all of it is alive at once.
ARRAY_WORK = {
    "batch": 500,
    "column": 220,
    "filter": 220,
    "first": SLOT,
    "join": 100,
    "json_encode": 280,
    "keys": 130,
    "last": SLOT,
    "map": 220,
    "max": 24,
    "merge": 280,
    "min": 24,
    "reduce": 120,
    "reverse": 320,
    "slice": 330,
    "sort": 220,
    "url_encode": 250,
}
# The same for text filters, in bytes per character of their text: escaping
# and striptags make one small str per character or match.
TEXT_WORK = {
    "capitalize": 12,
    "convert_encoding": 12,
    "lower": 12,
    "nl2br": 80,
    "spaceless": 12,
    "striptags": 96,
    "title": 96,
    "trim": 8,
    "upper": 12,
}
# How many characters one character can become when escaped or encoded
# ("\ud83d\ude00" in JSON, "%F0%9F%98%80" in a URL, for one emoji).
ENCODED_CHAR = 12
# Python nests statically nested blocks (for loops) at most 20 deep.
MAX_NESTED_LOOPS = 20
# A regular expression for "matches" may not be longer than this.
MAX_PATTERN = 64 * KiB
# "replace" scans its text once per replacement pair (an alternation).
MAX_REPLACE_WORK = 20_000_000
# Operators compare arrays of at most this many values, nested ones included
# (about a second of comparisons).
MAX_COMPARED = 2_000_000
# The compile cache holds at most this much template source: a compiled
# template keeps about 100 bytes per source character.
CACHE_SOURCE = 2 * MiB


@dataclasses.dataclass(frozen=True, slots=True)
class Limits:
    """The bounds of one compile or render."""

    time: float = 2.0  # seconds per render
    output: int = 1 * MiB  # characters a render may write
    memory: int = 64 * MiB  # bytes (about) a render may create, in total
    # UTF-8 bytes of template source.  Compiling costs about 10 µs and 1 KiB
    # of transient memory per byte: 64 KiB compile in well under the time
    # limit, where 256 KiB took over 2 s and 300 MB.
    source: int = 64 * KiB
    nesting: int = 64  # levels of the syntax tree


DEFAULT_LIMITS = Limits()
_limits: contextvars.ContextVar[Limits] = contextvars.ContextVar(
    "twig_limits", default=DEFAULT_LIMITS
)


def current_limits() -> Limits:
    """Return the limits that apply to compiles and renders in this context."""
    return _limits.get()


@contextlib.contextmanager
def bounds(**changes):
    """Apply other limits (``time=0.5``, ``memory=8 * MiB`` …) within a block."""
    token = _limits.set(dataclasses.replace(_limits.get(), **changes))
    try:
        yield _limits.get()
    finally:
        _limits.reset(token)


# --- errors ----------------------------------------------------------------------


class TemplateLimitError(TemplateError):
    """A compile or render went past one of its bounds; ``limit`` names which."""

    def __init__(self, limit: str, message: str, **position):
        super().__init__(message, **position)
        self.limit = limit


class CompileLimitError(TemplateLimitError, TemplateSyntaxError):
    """Raised while compiling, so save-time checks report it like a syntax error."""


class RenderLimitError(TemplateLimitError, TemplateRuntimeError):
    """Raised while rendering."""


def _amount(limit: str, limits: Limits) -> str:
    if limit == "time":
        return f"{limits.time:g} s"
    if limit == "nesting":
        return f"{limits.nesting} levels"
    value = {"output": limits.output, "memory": limits.memory}.get(limit)
    if value is None:
        value = limits.source
    if value % MiB == 0:
        return f"{value // MiB} MiB"
    if value % KiB == 0:
        return f"{value // KiB} KiB"
    return f"{value} bytes"


def exceeded(limit: str, limits: Limits | None = None, detail: str = ""):
    """Return the render error for a bound: time, output, memory or recursion."""
    limits = limits or _limits.get()
    if limit == "recursion":
        amount = "macros call themselves or data nests too deeply"
    elif limit == "work":
        amount = detail
    else:
        amount = _amount(limit, limits)
        if detail:
            amount = f"{amount}: {detail}"
    return RenderLimitError(
        limit, f"The template exceeded its {limit} limit ({amount})."
    )


def _compile_exceeded(limit: str, limits: Limits, detail: str = "", node=None):
    amount = _amount("source" if limit == "size" else limit, limits)
    if detail:
        amount = detail
    position = {}
    if node is not None and getattr(node, "lineno", None):
        position = {"line": node.lineno, "column": getattr(node, "col", None)}
    return CompileLimitError(
        limit, f"The template exceeded its {limit} limit ({amount}).", **position
    )


def nesting_error() -> CompileLimitError:
    """Return the compile error for a template the parser could not descend."""
    return _compile_exceeded("nesting", _limits.get())


# --- compile ---------------------------------------------------------------------


def check_source(source: str) -> None:
    """Refuse template source larger than the size limit."""
    limits = _limits.get()
    if len(source) > limits.source or (
        len(source) * 4 > limits.source
        and len(source.encode("utf-8", "surrogatepass")) > limits.source
    ):
        raise _compile_exceeded("size", limits)


def check_module(module: n.Module) -> int:
    """Refuse a syntax tree nested too deeply; return the tick weight.

    The weight is what one tick charges for literal text: 8 bytes (a list
    slot) per text node of the heaviest loop or macro body, since literal
    text is appended by reference, never copied, until the output is joined.
    """
    limits = _limits.get()
    texts: dict[int, int] = {}
    # (node, depth, nested loops, id of the loop or macro whose body it is in)
    stack = [(module, 0, 0, 0)]
    while stack:
        node, depth, loops, owner = stack.pop()
        if depth > limits.nesting:
            raise _compile_exceeded("nesting", limits, node=node)
        if loops > MAX_NESTED_LOOPS:
            detail = f"{MAX_NESTED_LOOPS} nested loops"
            raise _compile_exceeded("nesting", limits, detail, node=node)
        kind = type(node)
        if kind is n.Text:
            texts[owner] = texts.get(owner, 0) + 1
            continue
        for field in node.fields:
            value = getattr(node, field)
            inner_owner, inner_loops, inner_depth = owner, loops, depth + 1
            if field == "body" and kind in (n.For, n.Macro):
                inner_owner = id(node)
                inner_loops = loops + (kind is n.For)
            if kind is n.Binary and field == "left" and _chained(node, value):
                # A chain of ~ compiles to one flat concat call, and one of
                # other binary operators ("a or b or c") to a flat expression.
                inner_depth = depth
            if isinstance(value, dict):
                value = list(value.values())
            elif not isinstance(value, list):
                value = [value]
            for child in value:
                if isinstance(child, Node):
                    stack.append((child, inner_depth, inner_loops, inner_owner))
    texts.pop(0, None)
    return 8 * max(texts.values(), default=0)


def _chained(node: n.Binary, left) -> bool:
    """Tell whether ``left`` continues the chain of ``node`` (compiled flat)."""
    if left.__class__ is not n.Binary:
        return False
    if node.op == "~":
        return left.op == "~"
    return node.op not in NOT_CHAINED and left.op not in NOT_CHAINED


# --- render ----------------------------------------------------------------------


# Set by ``one_deadline``: the moment every render in the block must end by.
_shared_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "twig_shared_deadline", default=None
)


@contextlib.contextmanager
def one_deadline(started: float | None = None):
    """Give every render within the block one deadline, the time limit from now.

    An endpoint renders several templates (URL, body, response, each header);
    with a deadline each, their number would multiply the time one request can
    take.  Nested blocks keep the outermost deadline.  ``started`` (a
    ``perf_counter()`` reading) counts the limit from then instead, for a
    render that must be done again within the first one's time.
    """
    if _shared_deadline.get() is not None:
        yield
        return
    start = perf_counter() if started is None else started
    token = _shared_deadline.set(start + _limits.get().time)
    try:
        yield
    finally:
        _shared_deadline.reset(token)


class Budget:
    """What one render may still spend: its deadline and its memory allowance."""

    __slots__ = ("limits", "deadline", "memory", "weight", "ranges")

    def __init__(self, limits: Limits, weight: int):
        self.limits = limits
        self.deadline = perf_counter() + limits.time
        shared = _shared_deadline.get()
        if shared is not None and shared < self.deadline:
            self.deadline = shared
        self.memory = limits.memory
        self.weight = weight
        self.ranges: dict | None = None

    def charge(self, size: int) -> None:
        self.memory -= size
        if self.memory < 0:
            raise exceeded("memory", self.limits)

    def require(self, size: int, detail: str = "") -> None:
        """Refuse before allocating ``size`` bytes that would not fit."""
        if size > self.memory:
            raise exceeded("memory", self.limits, detail)


_budget: contextvars.ContextVar[Budget | None] = contextvars.ContextVar(
    "twig_budget", default=None
)


def bounded(root, weight: int):
    """Wrap a compiled template's root function so each render has a budget."""

    def render_bounded(context, state):
        limits = _limits.get()
        token = _budget.set(Budget(limits, weight))
        try:
            out = root(context, state)
            if sum(map(len, out)) > limits.output:
                raise exceeded("output", limits)
            return out
        except RecursionError:
            raise exceeded("recursion", limits) from None
        except MemoryError:
            raise exceeded("memory", limits) from None
        finally:
            _budget.reset(token)

    return render_bounded


def tick() -> None:
    """Run at each loop iteration, macro call and block: time and literal text."""
    budget = _budget.get()
    if budget is None:
        return
    if budget.weight:
        budget.memory -= budget.weight
        if budget.memory < 0:
            raise exceeded("memory", budget.limits)
    if perf_counter() > budget.deadline:
        raise exceeded("time", budget.limits)


def check_time() -> None:
    """Raise when the render in progress is past its deadline."""
    budget = _budget.get()
    if budget is not None and perf_counter() > budget.deadline:
        raise exceeded("time", budget.limits)


def charge(size: int) -> None:
    """Count ``size`` bytes against the memory of the render in progress."""
    budget = _budget.get()
    if budget is not None:
        budget.charge(size)


def require_encoded(value) -> None:
    """Refuse, before it is encoded, an array whose text would not fit in memory.

    For a layer that encodes a printed array itself (contextual escaping):
    a small list that holds itself many times encodes to petabytes.
    """
    budget = _budget.get()
    if budget is not None:
        budget.require(encoded_size(value, budget))


def output_limit() -> int:
    """Return the output limit, for layers that rewrite a render's output."""
    return _limits.get().output


def check_output(size: int) -> None:
    """Raise the output limit error when a rewritten output is too long."""
    limits = _limits.get()
    if size > limits.output:
        raise exceeded("output", limits)


def counting(printer):
    """Wrap a printer so what each ``{{ }}`` prints counts against memory.

    A value printed as a marker and written later (contextual escaping) is
    charged at its encoded size, so the later writing is bounded too.
    """

    def print_counted(value, site):
        text = printer(value, site)
        budget = _budget.get()
        if budget is not None:
            # The output holds the text until it is joined, at its width.
            size = len(text) * _width(text) + SLOT
            if value is not text:
                cls = value.__class__
                if cls is str or cls is Markup:
                    size += len(value)
                elif cls is list or cls is dict:
                    size += encoded_size(value, budget)
            budget.memory -= size
            if budget.memory < 0:
                raise exceeded("memory", budget.limits)
        return text

    return print_counted


def _size_of(value) -> int:
    """Return what a new text or array costs: its own bytes and its items'.

    An array's items are counted one level deep (``sys.getsizeof`` of each),
    as most are new when a filter makes the array; deeper ones were counted
    when they were made.
    """
    cls = value.__class__
    if cls is str or cls is Markup:
        return _getsizeof(value)
    if cls is list:
        return _getsizeof(value) + sum(map(_getsizeof, value))
    if cls is dict:
        return (
            _getsizeof(value)
            + sum(map(_getsizeof, value.values()))
            + sum(map(_getsizeof, value))
        )
    return 0


def _width(text) -> int:
    """Return the bytes per character of a str like ``text`` (CPython's PEP 393)."""
    return 1 if text.isascii() else 4


def text_size(parts) -> int:
    """Return what joining ``parts`` into one str costs (others count 32 chars)."""
    length = 0
    width = 1
    for part in parts:
        if part.__class__ is str or isinstance(part, str):
            length += len(part)
            if width == 1 and not part.isascii():
                width = 4
        else:
            length += 32
    return TEXT_BYTES + width * length


def encoded_size(
    value, budget: Budget, *, indent: int = 0, prefixed=False, per_value: int = 0
) -> int:
    """Return an upper bound of the text ``value`` encodes to (JSON, query).

    Walks the value (a shared list counts once per place it appears, as an
    encoder writes it) and stops past the memory left, so a small structure
    that refers to itself many times cannot make an encoder run for hours.
    ``indent`` is what each nesting level adds per line (pretty JSON);
    ``prefixed`` counts each value's key path again (``a%5Bb%5D=`` queries);
    ``per_value`` is what the encoder holds for each value while it works.
    """
    stop = budget.memory
    total = 0
    visited = 0
    stack = [(value, 1, 0)]
    while stack:
        item, depth, prefix = stack.pop()
        cls = item.__class__
        if cls is list or cls is dict:
            total += 2 + indent * depth
            pairs = item.items() if cls is dict else enumerate(item)
            for key, child in pairs:
                key_size = ENCODED_CHAR * len(key) + 4 if key.__class__ is str else 24
                total += key_size + indent * depth + 2 + per_value
                inner = prefix + key_size if prefixed else 0
                child_cls = child.__class__
                # Only arrays wait on the stack: a long list of scalars is
                # sized in place, and stops as soon as it is too big.
                if child_cls is list or child_cls is dict:
                    stack.append((child, depth + 1, inner))
                elif child_cls is str or child_cls is Markup:
                    total += ENCODED_CHAR * len(child) + 2 + inner
                else:
                    total += 32 + inner
                if total > stop:
                    raise exceeded("memory", budget.limits)
            visited += len(item)
            if visited > 4096:
                visited = 0
                if perf_counter() > budget.deadline:
                    raise exceeded("time", budget.limits)
        elif cls is str or cls is Markup:
            total += ENCODED_CHAR * len(item) + 2 + prefix
        else:
            total += 32 + prefix
        if total > stop:
            raise exceeded("memory", budget.limits)
    return total


# --- filters and functions -------------------------------------------------------


def _strings_size(args) -> int:
    return sum(len(arg) * _width(arg) for arg in args if isinstance(arg, str))


def _needs_factor(factor: int):
    def check(budget: Budget, args, kwargs):
        size = _strings_size(args) + _strings_size(kwargs.values())
        budget.require(factor * size + TEXT_BYTES)

    return check


def _check_escape(budget: Budget, args, kwargs):
    # HTML and URL escaping write at most 6 and 12 characters for one, from
    # few pieces; the other strategies make one small str per character.
    strategy = args[1] if len(args) > 1 else "html"
    factor = 32 if strategy in ("html", "url", None) else 96
    budget.require(factor * _strings_size(args[:1]) + TEXT_BYTES)


def _work_of(name: str, args) -> int:
    """Return the transient memory a call needs while it runs (``ARRAY_WORK``)."""
    per_item = ARRAY_WORK.get(name)
    if per_item is not None:
        return per_item * sum(len(arg) for arg in args if arg.__class__ in _ARRAYS)
    per_char = TEXT_WORK.get(name)
    if per_char is not None and args and isinstance(args[0], str):
        return per_char * len(args[0]) * _width(args[0]) + TEXT_BYTES
    return 0


def _check_format(budget: Budget, args, kwargs):
    # sprintf pads to any width and precision it is given ("%1000000000s"):
    # bound the result by every number in the format plus the values.
    fmt = args[0] if args and isinstance(args[0], str) else ""
    size = len(fmt) + sum(
        len(value) if isinstance(value, str) else 32 for value in args[1:]
    )
    digits = 0
    for char in fmt:
        if char.isdigit():
            digits = digits * 10 + int(char)
            if digits > budget.memory:
                break
        else:
            size += digits
            digits = 0
    size += digits
    if "*" in fmt:
        size += sum(
            abs(int(value))
            for value in args[1:]
            if isinstance(value, int | float) and math.isfinite(value)
        )
    # Wide text takes 4 bytes a character, and sprintf pads a copy.
    width = max((_width(arg) for arg in args if isinstance(arg, str)), default=1)
    budget.require(2 * width * size + TEXT_BYTES, '"format" would write too much')


def _check_number_format(budget: Budget, args, kwargs):
    decimals = args[1] if len(args) > 1 else kwargs.get("decimals")
    separators = _strings_size(args[2:]) + _strings_size(kwargs.values())
    try:
        places = php.to_int(decimals) if decimals is not None else 0
    except Exception:  # the filter itself reports a bad argument
        return
    budget.require(max(places, 0) + 400 * (1 + separators))


def _check_replace(budget: Budget, args, kwargs):
    if len(args) < 2 or not isinstance(args[0], str):
        return
    text, pairs = args[0], args[1]
    if not isinstance(pairs, list | dict) or not pairs:
        return
    if len(text) * len(pairs) > MAX_REPLACE_WORK:
        raise exceeded(
            "work",
            budget.limits,
            f'"replace" takes at most {MAX_REPLACE_WORK:,} characters × pairs',
        )
    values = pairs.values() if isinstance(pairs, dict) else pairs
    longest = max((len(v) if isinstance(v, str) else 32 for v in values), default=0)
    budget.require(
        len(text) * max(longest, 1) * 4 + TEXT_BYTES, '"replace" would write too much'
    )


def _check_join(budget: Budget, args, kwargs):
    items = args[0] if args else None
    if not isinstance(items, list | dict):
        return
    values = items.values() if isinstance(items, dict) else items
    glue = sum(len(g) if isinstance(g, str) else 32 for g in args[1:])
    size = glue * len(items) + sum(len(v) if isinstance(v, str) else 32 for v in values)
    # Each value is first turned into a str of its own, then all are joined.
    budget.require(
        4 * size + ARRAY_WORK["join"] * len(items), '"join" would write too much'
    )


def _check_batch(budget: Budget, args, kwargs):
    fill = args[2] if len(args) > 2 else kwargs.get("fill")
    if fill is None or len(args) < 2:
        return
    try:
        size = php.to_float(args[1])
    except Exception:  # the filter itself reports a bad size
        return
    if size > 0:
        budget.require(SLOT * min(size, 2**62), '"batch" would pad too much')


def _check_split(budget: Budget, args, kwargs):
    if not args or not isinstance(args[0], str):
        return
    text = args[0]
    delimiter = args[1] if len(args) > 1 else kwargs.get("delimiter")
    if isinstance(delimiter, str) and delimiter:
        pieces = text.count(delimiter) + 1
    else:
        pieces = len(text) + 1
    budget.require(
        TEXT_BYTES * pieces + _width(text) * len(text),
        '"split" would make too many pieces',
    )


def _check_encoded(budget: Budget, args, kwargs, *, json: bool):
    if not args:
        return
    value = args[0]
    if isinstance(value, list | dict):
        flags = args[1] if len(args) > 1 else kwargs.get("flags", 0)
        pretty = json and isinstance(flags, int) and flags & 128  # PRETTY_PRINT
        per_value = ARRAY_WORK["json_encode" if json else "url_encode"]
        budget.require(
            encoded_size(
                value,
                budget,
                indent=4 if pretty else 0,
                prefixed=not json,
                per_value=per_value,
            )
        )
    elif isinstance(value, str):
        # Up to 12 characters for each UTF-8 byte, and a list slot for each
        # byte while url_encode quotes them (json_encode copies twice).
        budget.require(14 * _width(value) * len(value) + TEXT_BYTES)


def _check_range(budget: Budget, args, kwargs):
    if len(args) < 2:
        return
    try:
        low, high = php.to_float(args[0]), php.to_float(args[1])
        step = abs(php.to_float(args[2])) if len(args) > 2 else 1.0
    except Exception:  # range() itself reports bad arguments
        return
    if not (math.isfinite(low) and math.isfinite(high)) or step == 0:
        return
    items = abs(high - low) / step + 1
    budget.require(
        ITEM_BYTES * min(items, 2**62), f"range() would make {items:,.0f} items"
    )


_CHECKS = {
    "format": _check_format,
    "number_format": _check_number_format,
    "replace": _check_replace,
    "join": _check_join,
    "batch": _check_batch,
    "split": _check_split,
    "json_encode": functools.partial(_check_encoded, json=True),
    "url_encode": functools.partial(_check_encoded, json=False),
    "escape": _check_escape,
    "e": _check_escape,
    "date": _needs_factor(64),
    "range": _check_range,
}


def _spaceship_in_time(a, b) -> int:
    check_time()
    return php.spaceship(a, b)


# Tests that compare their value with their argument.
_COMPARING_TESTS = frozenset({"same as"})


def _count_arrays(budget: Budget, args, kwargs) -> None:
    """Count the arrays a call compares, unless an arrow does the comparing."""
    values = (*args, *kwargs.values())
    if any(callable(value) for value in values):
        return
    for value in values:
        if value.__class__ in _ARRAYS:
            count_values(value, budget)


def _guard_test(test):
    """Wrap a test that compares (``same as``) as its operator (``===``) is."""

    @functools.wraps(test)
    def checked(*args, **kwargs):
        budget = _budget.get()
        if budget is not None:
            if perf_counter() > budget.deadline:
                raise exceeded("time", budget.limits)
            _count_arrays(budget, args, kwargs)
        return test(*args, **kwargs)

    checked.twig_limits_guarded = True
    return checked


def guard(kind: str, name: str, function):
    """Wrap a filter, function or test so it checks the budget around its call.

    Before: the deadline, and for filters that can write far more than they
    are given, the size they would write.  After: the text or array made is
    charged.  Calls that compare values with PHP's ``<=>`` (``sort`` without
    an arrow, ``max``, ``min``: their ``twig_compared`` variant) count the
    arrays they are given, as the operators do, and get a comparison that
    checks the deadline, since a sort of a long list is the longest single
    call there is.  The ``same as`` test is checked like ``===``.
    """
    if getattr(function, "twig_limits_guarded", False):
        return function
    if kind == "test":
        return _guard_test(function) if name in _COMPARING_TESTS else function
    check = _CHECKS.get(name)
    compared = getattr(function, "twig_compared", None)
    is_range = kind == "function" and name == "range"
    passes_through = name in _PASSES_VALUES
    metered = name == "map" and kind == "filter"
    sizer = _container_size if metered or name in _SHARES_ITEMS else _size_of
    has_work = name in ARRAY_WORK or name in TEXT_WORK

    @functools.wraps(function)
    def guarded(*args, **kwargs):
        try:
            budget = _budget.get()
            if budget is None:
                return function(*args, **kwargs)
            if perf_counter() > budget.deadline:
                raise exceeded("time", budget.limits)
            if is_range:
                return _memo_range(budget, function, args, kwargs)
            if check is not None:
                check(budget, args, kwargs)
            work = _work_of(name, args) if has_work else 0
            if work:
                # Held while the call runs, given back once its transient
                # objects are gone: what an arrow makes meanwhile adds to it.
                if work > budget.memory:
                    detail = f'"{name}" would need too much'
                    raise exceeded("memory", budget.limits, detail)
                budget.memory -= work
            if metered and len(args) > 1 and callable(args[1]):
                args = (args[0], _metered(args[1], budget), *args[2:])
            try:
                if compared is not None:
                    _count_arrays(budget, args, kwargs)
                    result = compared(_spaceship_in_time, *args, **kwargs)
                else:
                    result = function(*args, **kwargs)
            finally:
                budget.memory += work
            if passes_through:
                return result
            size = sizer(result)
            if size:
                budget.memory -= size
                if budget.memory < 0:
                    raise exceeded("memory", budget.limits)
            return result
        except (TemplateError, RecursionError, MemoryError):
            raise
        except php.PhpError as error:
            # Twig's and PHP's own words, said after the callable that failed.
            if not isinstance(error, php.TwigRuntimeError):
                error.twig_callable = (kind, name)
            raise
        except Exception as error:
            _log.warning("The %s %r failed unexpectedly", kind, name, exc_info=True)
            raise internal_error(error, kind=kind, name=name) from error

    guarded.twig_limits_guarded = True
    return guarded


# Callables that return a value they were given (or one an arrow made, which
# was counted then), not a new one: nothing to charge after them.
_PASSES_VALUES = frozenset(
    {"attribute", "cycle", "default", "first", "last", "max", "min", "random", "raw"}
    | {"reduce"}
)


# Filters whose array holds the values they were given: only the array is new
# (and a dict's int keys), so "{% set d = d|merge(...) %}" in a loop costs
# what it keeps.
_SHARES_ITEMS = frozenset({"column", "filter", "merge", "reverse", "slice", "sort"})


def _container_size(value) -> int:
    cls = value.__class__
    if cls is list:
        return _getsizeof(value)
    if cls is dict:
        return _getsizeof(value) + 32 * len(value)
    return _size_of(value)


def _metered(arrow, budget: Budget):
    """Wrap ``map``'s arrow so each value it makes is charged as it is made."""

    def metered(*args):
        value = arrow(*args)
        budget.charge(_getsizeof(value) + SLOT)
        return value

    return metered


_SCALAR_ARGS = frozenset({int, float, str, bool, type(None)})


def _memo_range(budget: Budget, function, args, kwargs):
    # Templates never change a list in place, so the same range within one
    # render can be the same list: nested "for b in 1..n" loops then cost
    # their iterations, not a fresh list per outer iteration.
    key = None
    if not kwargs and all(arg.__class__ in _SCALAR_ARGS for arg in args):
        key = tuple((arg.__class__, arg) for arg in args)
    ranges = budget.ranges
    if key is not None and ranges is not None and key in ranges:
        return ranges[key]
    _check_range(budget, args, kwargs)
    result = function(*args, **kwargs)
    budget.charge(_size_of(result))
    if key is not None:
        if ranges is None:
            ranges = budget.ranges = {}
        if len(ranges) < 16:
            ranges[key] = result
    return result


# --- operators and runtime helpers -----------------------------------------------


def count_values(value, budget: Budget) -> int:
    """Count the values in an array and the arrays in it, up to ``MAX_COMPARED``.

    A list that holds the same list many times is small in memory but huge to
    walk: comparing two of them could take hours, so they are counted first
    (a shared list counts once per place it appears, as a comparison walks it).
    """
    count = 0
    stack = [value]
    while stack:
        item = stack.pop()
        count += len(item)
        if count > MAX_COMPARED:
            raise exceeded(
                "work",
                budget.limits,
                f"arrays of at most {MAX_COMPARED:,} values can be compared",
            )
        for child in item.values() if item.__class__ is dict else item:
            if child.__class__ in _ARRAYS:
                stack.append(child)
    return count


def _walks_arrays(operation):
    """Check the deadline and the arrays' size before an operator walks them."""

    @functools.wraps(operation)
    def checked(a, b):
        if a.__class__ in _ARRAYS or b.__class__ in _ARRAYS:
            budget = _budget.get()
            if budget is not None:
                if perf_counter() > budget.deadline:
                    raise exceeded("time", budget.limits)
                for value in (a, b):
                    if value.__class__ in _ARRAYS:
                        count_values(value, budget)
        return operation(a, b)

    return checked


_ARRAYS = frozenset({list, dict})


def _array_add(a, b):
    if a.__class__ in _ARRAYS and b.__class__ in _ARRAYS:
        # Array union copies both arrays.
        check_time()
        budget = _budget.get()
        if budget is not None:
            budget.require(ARRAY_WORK["merge"] * (len(a) + len(b)))
        result = php.add(a, b)
        charge(_size_of(result))
        return result
    return php.add(a, b)


def _concat(*parts) -> str:
    budget = _budget.get()
    if budget is not None:
        budget.charge(text_size(parts))
    return runtime.concat(*parts)


def _captured(parts: list) -> str:
    budget = _budget.get()
    if budget is not None:
        budget.charge(text_size(parts))
    return runtime.captured(parts)


def _loop_values(seq):
    check_time()
    if seq.__class__ is not list and seq.__class__ in _ARRAYS:
        charge(SLOT * len(seq))  # the values are copied into a list
    return runtime.loop_values(seq)


def _loop_items(seq):
    check_time()
    if seq.__class__ in _ARRAYS:
        # A (key, value) tuple per item, and a new int key for a list's.
        charge(ARRAY_WORK["keys"] * len(seq))
    return runtime.loop_items(seq)


def _matches(subject, pattern) -> int:
    check_time()
    if isinstance(pattern, str) and len(pattern) > MAX_PATTERN:
        raise exceeded("work", detail='"matches" takes patterns of at most 64 KiB')
    budget = _budget.get()
    if budget is None:
        return runtime.matches(subject, pattern)
    try:
        return runtime.matches(
            subject, pattern, timeout=max(budget.deadline - perf_counter(), 0.001)
        )
    except TimeoutError:
        raise exceeded("time", budget.limits) from None


def _with_scope(context: dict, variables, only: bool) -> dict:
    check_time()
    scope = runtime.with_scope(context, variables, only)
    charge(ITEM_BYTES * len(scope))
    return scope


def _in_time(function):
    @functools.wraps(function)
    def timed(*args):
        check_time()
        return function(*args)

    return timed


def _namespace(module, overrides: dict) -> types.SimpleNamespace:
    names = {
        name: value for name, value in vars(module).items() if not name.startswith("__")
    }
    return types.SimpleNamespace(**{**names, **overrides})


# The compiled code reaches the PHP operators and the runtime helpers through
# these two namespaces: the module's own functions, except the ones that can run
# long or allocate much, which check the budget first.
bounded_php = _namespace(
    php,
    {
        "add": _array_add,
        "contains": _walks_arrays(php.contains),
        "loose_eq": _walks_arrays(php.loose_eq),
        "same_as": _walks_arrays(php.same_as),
        "spaceship": _walks_arrays(php.spaceship),
        "less": _walks_arrays(php.less),
        "greater": _walks_arrays(php.greater),
        "less_equal": _walks_arrays(php.less_equal),
        "greater_equal": _walks_arrays(php.greater_equal),
    },
)
bounded_runtime = _namespace(
    runtime,
    {
        "concat": _concat,
        "captured": _captured,
        "matches": _matches,
        "with_scope": _with_scope,
        "loop_items": _loop_items,
        "loop_values": _loop_values,
        "leave_scope": _in_time(runtime.leave_scope),
        "check_time": check_time,
    },
)


__all__ = [
    "DEFAULT_LIMITS",
    "Budget",
    "CompileLimitError",
    "Limits",
    "RenderLimitError",
    "TemplateLimitError",
    "bounded",
    "bounded_php",
    "bounded_runtime",
    "bounds",
    "charge",
    "require_encoded",
    "check_module",
    "check_output",
    "check_source",
    "check_time",
    "count_values",
    "counting",
    "current_limits",
    "encoded_size",
    "exceeded",
    "guard",
    "output_limit",
    "tick",
]
