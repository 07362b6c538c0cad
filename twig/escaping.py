"""Contextual escaping: every ``{{ }}`` is escaped for where it lands.

An endpoint's templates produce three kinds of text — a URL, JSON (request and
response templates) and header values — and a printed value must never break
what it is written into.  ``render_escaped(source, context, output=...)``
renders a template with the escaping its output kind needs.

How the context of a print site is found
----------------------------------------
The context depends on the text *before* the site in the rendered output:
``"name": "{{ x }}"`` is inside a JSON string only because literal text opened
one, and ``{% if %}``/``{% for %}`` decide at render time which literal text
came before.  So the context is read from the output itself, not guessed from
the template:

1. Each root-level print site writes a marker (a character absent from the
   template source, then the index of the recorded value) instead of its
   value, and the value is recorded.
2. After the render, one pass over the output runs a small lexer over the
   literal text between markers (JSON: outside a string / inside a string /
   just after a backslash; URL: before anything / path / query / fragment)
   and replaces each marker with its value escaped for the lexer's state; the
   lexer then moves over the escaped text too (cheaply: escaped text cannot
   change the state, so only ``|raw`` text and a URL start are scanned).

Each chunk is scanned once (``str.find`` and a regex, both in C), so the cost
is linear in the output, whatever the control flow.  Header values need no
lexer, so there each value is checked as it is printed, with no markers.

Most templates need no markers either: when the template is compiled, every
lexer state is flowed through its syntax tree (``_plan``), which gives each
site the states it can be printed in.  When, for every site, all of them
escape a value to the same text, the template gets a *plan* and each value
is escaped as it is printed.  Otherwise, and for a render the plan cannot
finish (a ``.``/``..`` where a path may have ended, a value that cannot be
written, so the error is worded as before), the markers do the work.  The
tests hold both ways to the same output on the whole corpus.

Prints inside ``{% set %}...{% endset %}``, macros and ``apply`` bodies write
into a capture, not into the output, so they print as plain Twig text; the
captured text is a value like any other and is escaped where it is printed.

Which values are already safe
-----------------------------
Safety is read from the printed expression, once, when the template is
compiled: the engine compiles ``|raw`` away and ``json_encode``/``url_encode``
return plain text, and markupsafe's ``Markup`` only ever means "safe for
HTML", which says nothing about JSON or URLs.  The outermost filter decides:

* ``|raw`` — verbatim, as DESIGN.md §3 promises: the developer takes over.
  In a URL the raw text may move the lexer on (a raw ``?a=1`` starts the
  query).  The Integry guide writes ``redirect_uri={{ requestBody.redirect_uri
  |raw }}`` only to turn off Twig's HTML autoescaping; that delivers the exact
  redirect URI as long as it has no ``&``, ``+`` or ``#`` of its own (the
  console's callback URL has none), and plain ``{{ requestBody.redirect_uri }}``
  percent-encodes it for any redirect URI.
* ``|json_encode`` — outside a JSON string it is a JSON value and is inserted
  as is; inside a string it is escaped once, so the string holds exactly the
  JSON text.
* ``|url_encode`` (and ``|escape('url')``) — inserted as is in a URL.

``?:`` and ``??`` are decided per branch: when their branches differ, the code
generator (``EscapingCodeGenerator``) wraps each ``|raw``/``|json_encode``/
``|url_encode`` branch in ``Marked``, so the printed value says which branch
made it; a plain branch is a plain value.

Inside ``{% autoescape 'url' %}`` the engine url-encodes the printed value,
which is then inserted as is — except ``Markup`` (captures, macro results,
``nl2br``/``spaceless`` output), which the engine lets through: Markup is safe
for HTML only, so it is escaped as a value, as is anything the engine did not
escape (constants, macro calls, lists).

In a URL path a value that is exactly ``.`` or ``..`` is refused: clients
resolve it (``/users/../info`` is sent as ``/info``), and no encoding of it
survives requests, which un-escapes ``%2E`` before urllib3 resolves the path.
Only ``|raw`` inserts one.
"""

from __future__ import annotations

import functools
import json
import math
import re
import string
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from json.encoder import encode_basestring
from time import perf_counter
from urllib.parse import quote

from . import php
from .environment import TwigEnvironment, TwigTemplate
from .errors import TemplateError, TemplateRuntimeError
from .limits import (
    TemplateLimitError,
    check_output,
    one_deadline,
    require_encoded,
)
from .syntax import nodes as n
from .syntax.codegen import PrintSite, TwigCodeGenerator, choice_branches
from .syntax.parser import parse


class Output(StrEnum):
    """What a template produces, which decides how its values are escaped."""

    URL = "url"
    JSON = "json"
    HEADER = "header"
    TEXT = "text"


class Kind(StrEnum):
    """What the printed expression already is (from its outermost filter).

    The last two are decided per value at render time: ``BRANCHED`` when the
    branches of ``?:``/``??`` differ (the value carries its branch's kind, see
    ``Marked``), ``AUTOESCAPED_URL`` when the engine's ``{% autoescape 'url' %}``
    escaped the value — unless it was ``Markup``, which the engine lets through.
    """

    VALUE = "value"
    RAW = "raw"
    JSON_ENCODED = "json_encode"
    URL_ENCODED = "url_encode"
    BRANCHED = "branched"
    AUTOESCAPED_URL = "autoescaped_url"


_DECIDED_AT_RENDER = frozenset({Kind.BRANCHED, Kind.AUTOESCAPED_URL})
_MARKABLE = {
    kind.value: kind for kind in (Kind.RAW, Kind.JSON_ENCODED, Kind.URL_ENCODED)
}


class Marked:
    """A value from a ``?:``/``??`` branch, with the kind of that branch.

    Only the compiled branches of a print site of kind ``BRANCHED`` make one,
    and it goes straight to the printer, which unwraps it: no filter, test or
    variable ever sees it.
    """

    __slots__ = ("value", "kind")

    def __init__(self, value, kind: str):
        self.value = value
        self.kind = _MARKABLE[kind]


def _decide(value, kind: Kind):
    """Return the value to write and its kind, for the kinds decided per value."""
    if kind is Kind.BRANCHED:
        if value.__class__ is Marked:
            return value.value, value.kind
        return value, Kind.VALUE
    # AUTOESCAPED_URL: the engine's url escaper returns plain str; Markup
    # (captures, macro output, nl2br, spaceless) and non-text values pass it
    # unescaped, and Markup is only safe for HTML.
    return value, Kind.URL_ENCODED if value.__class__ is str else Kind.VALUE


@dataclass(frozen=True, slots=True)
class Site:
    """A print site as the escaping layer sees it."""

    index: int
    line: int
    column: int
    kind: Kind
    captured: bool
    expression: str

    def error(self, message: str) -> TemplateRuntimeError:
        return TemplateRuntimeError(message, line=self.line, column=self.column)


# --- the escaping environment ------------------------------------------------

# Markers are built from the first of these characters that the template
# source does not contain, so literal text can never be taken for a marker.
_MARKER_CHARS = "\x00" + "".join(chr(c) for c in range(0xE000, 0xE100))


@dataclass(frozen=True, slots=True)
class EscapingPrintSite(PrintSite):
    """A print site with the kind the escaping layer gives its value."""

    kind: Kind = Kind.VALUE


class EscapingCodeGenerator(TwigCodeGenerator):
    """The code generator that gives each print site its ``Kind``.

    It compiles what the engine does at a site into the kind (whether
    ``{% autoescape %}`` escapes the value), and for a site whose ``?:``/``??``
    branches differ it wraps each ``|raw``/``|json_encode``/``|url_encode``
    branch in ``Marked``, so the value says which branch made it.
    """

    def __init__(self, environment, *, strict: bool = False):
        super().__init__(environment, strict=strict)
        self.branching: frozenset[int] = frozenset()

    def visit_print(self, node: n.Print) -> None:
        strategy = self.autoescape[-1]
        expression = node.node
        kind = _kind(expression)
        if strategy and not self.is_safe_for(strategy, expression):
            # The engine escapes the value (unless it is Markup).
            if strategy == "url":
                kind = Kind.AUTOESCAPED_URL
            elif kind is Kind.BRANCHED:
                kind = Kind.VALUE
        elif kind is Kind.BRANCHED:
            self.branching = _branching_nodes(expression)
        try:
            super().visit_print(node)
        finally:
            self.branching = frozenset()
        site = self.print_sites[-1]
        self.print_sites[-1] = EscapingPrintSite(
            site.index, site.line, site.column, site.autoescape, kind
        )

    def expr_conditional(self, node: n.Conditional) -> str:
        if id(node) not in self.branching:
            return super().expr_conditional(node)
        if node.expr1 is node.test:  # a ?: b
            temp = self.unique("_v")
            test = self.expr(node.test)
            return (
                f"({self.marked(temp, node.expr1)} if tr({temp} := {test}) "
                f"else {self.branch(node.expr2)})"
            )
        return (
            f"({self.branch(node.expr1)} if tr({self.expr(node.test)}) "
            f"else {self.branch(node.expr2)})"
        )

    def expr_binary(self, node: n.Binary) -> str:
        if node.op != "??" or id(node) not in self.branching:
            return super().expr_binary(node)
        temp = self.unique("_v")
        left = self.lenient_expr(node.left)
        return (
            f"({self.marked(temp, node.left)} if ({temp} := {left}) is not None "
            f"else {self.branch(node.right)})"
        )

    def branch(self, node) -> str:
        return self.marked(self.expr(node), node)

    def marked(self, code: str, node) -> str:
        kind = _kind(node)
        if kind.value in _MARKABLE:
            return f"environment.escaping_mark({code}, {kind.value!r})"
        return code  # a plain value, or a nested BRANCHED that marks its own


class EscapingEnvironment(TwigEnvironment):
    """The Twig engine whose prints can be escaped by output context.

    Rendered through ``render_escaped``; a plain ``render`` of its templates
    prints exactly as Twig does.
    """

    code_generator_class = EscapingCodeGenerator
    escaping_mark = Marked

    def make_printer(self, template: TwigTemplate):
        """Print as Twig does: the printer of a plain ``render``.

        ``render_escaped`` renders through the escaping printers instead,
        made here once per template (``_header_printer``,
        ``_planned_printer``) or once per render (``_marker_printer``).
        """
        plain = super().make_printer(template)
        if getattr(template, "escaping_sites", None) is None:  # once per template
            template.escaping_sites, plans = _analyze(template)
            template.escaping_marker = _marker_for(template.source)
            # The lexer state after each literal chunk, remembered per
            # template: the chunks are its own text, so they repeat each render.
            template.escaping_transitions = {Output.JSON: {}, Output.URL: {}}
            # The printers that keep no state are made once, with their
            # render states: rendering through them allocates nothing more.
            template.escaping_header_state = template.state_for(
                _header_printer(template)
            )
            template.escaping_printers = {
                output: _planned_printer(template, plan)
                for output, plan in plans.items()
                if plan is not None
            }
            template.escaping_states = {
                output: template.state_for(printer)
                for output, printer in template.escaping_printers.items()
            }

        def print_(value, index):
            if value.__class__ is Marked:
                value = value.value
            return plain(value, index)

        return print_


def _marker_for(source: str) -> str:
    for char in _MARKER_CHARS:
        if char not in source:
            return char
    raise TemplateError("The template contains too many private-use characters.")


_environment: EscapingEnvironment | None = None
_environment_lock = threading.Lock()


def get_escaping_environment() -> EscapingEnvironment:
    """Return the process-wide escaping environment, created on first use."""
    global _environment
    if _environment is None:
        with _environment_lock:
            if _environment is None:
                _environment = EscapingEnvironment()
    return _environment


def compile_escaped(source: str) -> TwigTemplate:
    """Compile (once per distinct source) a template for ``render_escaped``."""
    return get_escaping_environment().compile_twig(source)


def render_escaped(
    source: str, context: Mapping, *, output: Output, timezone: str | None = None
) -> str:
    """Render ``source`` with each value escaped for its place in ``output``.

    Raise ``TemplateError`` (with the line and column of the template) when a
    value cannot be written where it is printed.
    """
    if output.__class__ is not Output:
        output = Output(output)  # "json" works as well as Output.JSON
    return render_compiled(compile_escaped(source), context, output, timezone)


def render_compiled(
    template, context, output: Output, timezone, *, planned: bool = True
):
    """Render a template from ``compile_escaped`` for ``output``.

    ``planned=False`` always reads markers instead of following the plan.
    """
    if output is Output.TEXT:
        return template.render(context, timezone=timezone)
    if output is Output.HEADER:
        state = template.escaping_header_state
        return template.render(context, timezone=timezone, state=state)
    state = template.escaping_states.get(output) if planned else None
    if state is None:
        return _render_with_markers(template, context, output, timezone)
    started = perf_counter()
    try:
        return template.render(context, timezone=timezone, state=state)
    except _Undecided:
        pass
    # A dot segment where the plan cannot tell a path from a query, or a
    # value that cannot be written: render again with markers, within the
    # time the first render started with.
    with one_deadline(started):
        return _render_with_markers(template, context, output, timezone)


def _render_with_markers(template, context, output: Output, timezone) -> str:
    printer, values = _marker_printer(template)
    text = template.render(context, timezone=timezone, printer=printer)
    if not values:
        return text
    return _assemble(template, text, values, output)


def _header_printer(template: TwigTemplate):
    """Return the printer of header values: each is checked as it is printed."""
    sites = template.escaping_sites
    to_str = php.to_str

    def print_header(value, index):
        if value.__class__ is Marked:
            value = value.value
        text = value if value.__class__ is str else to_str(value)
        site = sites[index]
        if not site.captured:
            check_header_value(text, site=site)
        return text

    return print_header


class _Undecided(TemplateError):
    """A planned print met a value whose escaping its plan cannot decide."""


def _planned_printer(template: TwigTemplate, plan: tuple):
    """Return a printer that escapes each value as it is printed, by plan.

    ``plan`` gives each site the escaper of its place (``_plan``), so no
    marker is written and the output is not read again.
    """
    writers = tuple(
        _writer(site, *placed)
        for site, placed in zip(template.escaping_sites, plan, strict=True)
    )

    def print_escaped(value, index):
        try:
            return writers[index](value)
        except TemplateLimitError:
            raise  # the markers would stop at the same print
        except Exception:
            # Markers render the whole template before they escape: a render
            # error comes first, and the error reported stays the same.
            raise _Undecided("a value the plan cannot write") from None

    return print_escaped


def _writer(site: Site, escape, state):
    """Return ``value -> text`` for a site: ``escape`` in ``state``, made fast.

    The two commonest places get their escaper inlined; each does exactly
    what ``escape`` does there.
    """
    if site.captured:
        return _plain_text
    kind = site.kind
    if kind is Kind.VALUE and escape is _escape_json and state is _STRING:
        return _json_string_text
    if kind is Kind.VALUE and escape is _escape_json and state is _OUT:
        return json_value
    if kind is Kind.VALUE and escape is _escape_url and state is _QUERY:
        return functools.partial(_url_query_text, site)
    if kind is Kind.VALUE and escape is _escape_after_start:
        return functools.partial(_url_after_start_text, site)
    if kind is Kind.VALUE and escape is _escape_url and state is _START:
        return functools.partial(_url_start_text, site)

    def write(value):
        kind = site.kind
        if kind in _DECIDED_AT_RENDER:
            value, kind = _decide(value, kind)
        return escape(state, value, site, kind)[0]

    return write


def _plain_text(value) -> str:
    if value.__class__ is Marked:
        value = value.value
    return value if value.__class__ is str else php.to_str(value)


def _json_string_text(value) -> str:
    text = value if value.__class__ is str else _text(value)
    return encode_basestring(text)[1:-1]


def _url_query_text(site: Site, value) -> str:
    text = value if value.__class__ is str else _url_text(value, site)
    if _UNRESERVED(text):
        return text
    return percent_encode(text, _VALUE_TABLE, "~")


def _url_after_start_text(site: Site, value) -> str:
    text = value if value.__class__ is str else _url_text(value, site)
    if text in _DOT_SEGMENTS:
        raise _Undecided("a dot segment")
    if _UNRESERVED(text):
        return text
    return percent_encode(text, _VALUE_TABLE, "~")


def _url_start_text(site: Site, value) -> str:
    # A value the start refuses raises here, and the markers word the error.
    text = (value if value.__class__ is str else _url_text(value, site)).strip()
    if not _HTTP_URL.match(text):
        raise _Undecided("not an http(s) URL")
    return _keep_as_url_text(text)


def _marker_printer(template: TwigTemplate):
    """Return a printer that writes markers and the list it records values in.

    A value printed into a capture is plain text (it is escaped where the
    capture is printed); every other value is recorded with its site, and a
    marker holding its place in the list is written instead.
    """
    sites = template.escaping_sites
    marker = template.escaping_marker
    values: list = []
    record = values.append
    to_str = php.to_str

    def print_marker(value, index):
        site = sites[index]
        if site.captured:
            if value.__class__ is Marked:
                value = value.value
            return value if value.__class__ is str else to_str(value)
        record((value, site))
        return f"{marker}{len(values) - 1}{marker}"

    return print_marker, values


def _assemble(template: TwigTemplate, text: str, values: list, output: Output):
    """Replace each marker of ``text`` with its value escaped for its place."""
    parts = text.split(template.escaping_marker)
    if output is Output.JSON:
        advance, escape, state = _advance_json, _escape_json, _OUT
    else:
        advance, escape, state = _advance_url, _escape_url, _START
    transitions = template.escaping_transitions[output]
    pieces = []
    append = pieces.append
    size = 0
    # Literal text and markers alternate: parts[0], marker, parts[2], …
    literal = True
    for part in parts:
        if literal:
            literal = False
            if part:
                key = (state, part)
                after = transitions.get(key)
                if after is None:
                    after = advance(state, part)
                    if len(transitions) < _TRANSITIONS_SIZE:
                        transitions[key] = after
                state = after
                append(part)
            continue
        literal = True
        value, site = values[int(part)]
        kind = site.kind
        if kind in _DECIDED_AT_RENDER:
            value, kind = _decide(value, kind)
        try:
            escaped, state = escape(state, value, site, kind)
        except TemplateError:
            raise
        except Exception as error:  # data the escaper cannot write
            message = f"{site.expression} could not be written: {error}"
            raise site.error(message) from None
        append(escaped)
        size += len(escaped)
    # Escaping can lengthen the output past what the render was allowed.
    check_output(size + len(text))
    return "".join(pieces)


# --- JSON ----------------------------------------------------------------------

_OUT, _STRING, _STRING_ESCAPE = "out", "string", "string-escape"
# Loops can make literal runs of any length; past this many, scan again.
_TRANSITIONS_SIZE = 256
_STRING_BODY = re.compile(r'[^"\\]*')


def _advance_json(state: str, text: str) -> str:
    """Return the JSON lexer state after ``text``."""
    position, end = 0, len(text)
    while position < end:
        if state is _OUT:
            quote_at = text.find('"', position)
            if quote_at < 0:
                return _OUT
            state, position = _STRING, quote_at + 1
            continue
        if state is _STRING_ESCAPE:
            state, position = _STRING, position + 1
            continue
        position = _STRING_BODY.match(text, position).end()
        if position < end:
            state = _OUT if text[position] == '"' else _STRING_ESCAPE
            position += 1
    return state


def json_value(value) -> str:
    """Write a template value as a JSON value (``null``, a number, an object…)."""
    if value is None or value is True or value is False:
        return _JSON_CONSTANTS[value]
    cls = value.__class__
    if cls is str:
        return encode_basestring(value)
    # json.dumps writes numbers with int.__repr__ and float.__repr__: the same
    # text, without its encoder's set-up.
    if cls is int:
        return int.__repr__(value)
    if cls is float and math.isfinite(value):
        return float.__repr__(value)
    if isinstance(value, str):
        return encode_basestring(value)
    if isinstance(value, int | float):
        try:
            return json.dumps(value, allow_nan=False)
        except ValueError:
            raise ValueError(f"{value} is not a number JSON can hold") from None
    if isinstance(value, list | dict):
        require_encoded(value)  # escaped as printed, before the print is counted
        return json.dumps(value, ensure_ascii=False, allow_nan=False, default=_text)
    return json.dumps(_text(value), ensure_ascii=False)


_JSON_CONSTANTS = {None: "null", True: "true", False: "false"}


def _text(value) -> str:
    if php.is_array(value):
        require_encoded(value)
        return json.dumps(value, ensure_ascii=False, default=_text)
    if hasattr(value, "isoformat"):  # a DateTime from the date filters
        return value.isoformat()
    return php.to_str(value)


def json_string_content(text: str) -> str:
    """Escape text for the inside of a JSON string literal (quotes excluded)."""
    return encode_basestring(text)[1:-1]


def _escape_json(state: str, value, site: Site, kind: Kind) -> tuple[str, str]:
    if kind is Kind.RAW:
        text = php.to_str(value)
        return text, _advance_json(state, text)
    if state is _OUT:
        if kind is Kind.JSON_ENCODED and isinstance(value, str):
            return value, _OUT
        return json_value(value), _OUT
    # Inside a string: a list or mapping is written as its JSON text (Twig
    # would print "Array", which no API wants).
    text = value if value.__class__ is str else _text(value)
    escaped = encode_basestring(text)[1:-1]
    if state is _STRING_ESCAPE and not escaped:
        return escaped, state
    return escaped, _STRING


# --- URLs ----------------------------------------------------------------------

_START, _PATH, _QUERY, _FRAGMENT = "start", "path", "query", "fragment"
_HTTP_URL = re.compile(r"https?://", re.IGNORECASE)
_UNRESERVED = re.compile(r"[A-Za-z0-9._~-]*").fullmatch
_BARE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# What a value that starts the URL keeps as written: every character RFC 3986
# allows in a URL; anything else (spaces, non-ASCII) is percent-encoded.
URL_SAFE = "!#$&'()*+,/:;=?@[]%"
# A value that is a whole dot segment would leave its segment: clients resolve
# "/users/../info" to "/info".  No encoding survives requests: it un-escapes
# "%2E" (an unreserved character) and urllib3 then removes the dot segment.
# So such a value is refused, like a list.
_DOT_SEGMENTS = frozenset({".", ".."})


def _advance_url(state: str, text: str) -> str:
    """Return the URL lexer state after ``text``."""
    if state is _FRAGMENT:
        return state
    if "#" in text:
        return _FRAGMENT
    if state is _QUERY:
        return state
    if "?" in text:
        return _QUERY
    if state is _START and not text.strip():
        return _START
    return _PATH


def _url_text(value, site: Site) -> str:
    if value.__class__ is str:
        return value
    if value.__class__ is int:
        return int.__repr__(value)
    if php.is_array(value):
        raise site.error(
            f"{site.expression} gave a list or mapping, which cannot be written "
            "into a URL; pick one value, or use |join(',') or |url_encode."
        )
    return php.to_str(value)


def percent_table(safe: str) -> list[str]:
    """Return what ``quote(…, safe=safe)`` writes for each ASCII character."""
    kept = frozenset(string.ascii_letters + string.digits + "_.-~" + safe)
    return [chr(c) if chr(c) in kept else f"%{c:02X}" for c in range(128)]


_VALUE_TABLE = percent_table("~")
_URL_TABLE = percent_table(URL_SAFE)


def percent_encode(text: str, table: list[str], safe: str) -> str:
    """Percent-encode as ``urllib.parse.quote(text, safe=safe)`` does.

    ASCII text goes through ``str.translate`` (C, about three times faster
    than ``quote``); other text through ``quote`` itself, which encodes it as
    UTF-8 bytes (and refuses a lone surrogate).
    """
    if text.isascii():
        return text.translate(table)
    return quote(text, safe=safe)


def _keep_as_url_text(text: str) -> str:
    """Keep what a URL may hold as written; encode the rest and bare ``%``."""
    return percent_encode(_BARE_PERCENT.sub("%25", text), _URL_TABLE, URL_SAFE)


def _escape_url(state: str, value, site: Site, kind: Kind) -> tuple[str, str]:
    text = _url_text(value, site)
    if state is _START:
        if kind is Kind.RAW:
            return text, _advance_url(state, text)
        text = text.strip()
        if not _HTTP_URL.match(text):
            shown = "nothing" if not text else f'"{_excerpt(text)}"'
            raise site.error(
                f"The URL must start with http:// or https://; {site.expression} "
                f"gave {shown}."
            )
        text = _keep_as_url_text(text)
        return text, _advance_url(_START, text)
    if kind is Kind.RAW:
        return text, _advance_url(state, text)
    if state is _PATH and text in _DOT_SEGMENTS:  # url_encode keeps dots too
        raise site.error(
            f'{site.expression} gave "{text}", which cannot be a segment of a URL '
            f"path: clients resolve it (/users/{text}/info is sent as "
            f"{'/info' if text == '..' else '/users/info'}) and no encoding of "
            "it survives."
        )
    if kind is Kind.URL_ENCODED:
        return text, state
    # RFC 3986 percent-encoding: only A-Z a-z 0-9 - . _ ~ stay as they are, so
    # no value can add a path segment, a parameter or a fragment.
    if _UNRESERVED(text):
        return text, state
    return percent_encode(text, _VALUE_TABLE, "~"), state


def _excerpt(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- headers -------------------------------------------------------------------


def check_header_value(text: str, *, site: Site | None = None) -> None:
    """Refuse a header value with a line break, which would split the request,
    or a NUL character, which no header can carry."""
    if "\r" in text or "\n" in text or "\x00" in text:
        what = f"{site.expression} gave" if site is not None else "The value has"
        if "\r" in text or "\n" in text:
            error = (
                f"{what} a line break (CR or LF), which cannot be sent in a header: "
                "it would split the request."
            )
        else:
            error = f"{what} a NUL character, which cannot be sent in a header."
        if site is not None:
            raise site.error(error)
        raise TemplateRuntimeError(error)


# --- static analysis of print sites ------------------------------------------


def analyze_sites(template: TwigTemplate) -> tuple[Site, ...]:
    """Describe each print site: its kind and whether it writes to a capture.

    The syntax tree is walked in the order the code generator numbers the
    sites (macros first, then the body, each statement's bodies in order).
    """
    return _analyze(template)[0]


def _analyze(template: TwigTemplate) -> tuple[tuple[Site, ...], dict]:
    """Return the sites and, per output, the plan of each (see ``_plans``)."""
    environment = template.environment
    filters, functions, tests = environment.known_names()
    module = parse(template.source, filters=filters, functions=functions, tests=tests)
    found: list[tuple[n.Print, bool]] = []
    for macro in module.macros.values():
        _collect_prints(macro.body, captured=True, found=found)
    _collect_prints(module.body, captured=False, found=found)
    lines = template.source.splitlines()
    sites = []
    index_of: dict[int, int] | None = {}
    for print_site in template.print_sites:
        node, captured = _matching(found, print_site)
        if node is None:
            index_of = None  # the walk disagrees: no plan, only markers
        elif index_of is not None:
            index_of[id(node)] = print_site.index
        # The code generator decided the kind, and compiled BRANCHED sites to
        # mark their values: the site must keep exactly that kind.
        kind = getattr(print_site, "kind", Kind.VALUE)
        sites.append(
            Site(
                index=print_site.index,
                line=print_site.line,
                column=print_site.column,
                kind=kind,
                captured=captured,
                expression=_expression_text(lines, print_site.line, print_site.column),
            )
        )
    sites = tuple(sites)
    plans = {}
    if index_of is not None and len(found) == len(sites):
        for output in (Output.JSON, Output.URL):
            plans[output] = _plan(module.body, sites, index_of, output)
    return sites, plans


def _matching(found, print_site) -> tuple[n.Print | None, bool]:
    if print_site.index < len(found):
        node, captured = found[print_site.index]
        if (node.lineno, node.col) == (print_site.line, print_site.column):
            return node, captured
    # Should the walk ever disagree with the code generator, escape the value
    # as an ordinary value written to the output: the safe choice.
    return None, False


def _collect_prints(body, *, captured: bool, found: list) -> None:
    for node in body or ():
        if isinstance(node, n.Print):
            found.append((node, captured))
        elif isinstance(node, n.If):
            _collect_prints(node.body, captured=captured, found=found)
            for branch in node.elif_ or ():
                _collect_prints(branch.body, captured=captured, found=found)
            _collect_prints(node.else_, captured=captured, found=found)
        elif isinstance(node, n.For):
            _collect_prints(node.body, captured=captured, found=found)
            _collect_prints(node.else_, captured=captured, found=found)
        elif isinstance(node, n.Set):
            _collect_prints(node.body, captured=True, found=found)
        elif isinstance(node, n.With | n.Block | n.AutoEscape):
            _collect_prints(node.body, captured=captured, found=found)


def _kind(node) -> Kind:
    if isinstance(node, n.Filter):
        if node.name == "raw":
            return Kind.RAW
        if node.name == "json_encode":
            return Kind.JSON_ENCODED
        if node.name == "url_encode":
            return Kind.URL_ENCODED
        if node.name in ("escape", "e") and node.args:
            first = node.args[0]
            if isinstance(first, n.Const) and first.value == "url":
                return Kind.URL_ENCODED
        return Kind.VALUE
    branches = choice_branches(node)
    if branches is not None:
        left, right = _kind(branches[0]), _kind(branches[1])
        return left if left is right else Kind.BRANCHED
    return Kind.VALUE


def _branching_nodes(node) -> frozenset[int]:
    """Return the ``?:``/``??`` nodes of a BRANCHED print that mark branches.

    Nested choices in a branch mark their own branches; a branch that is also
    the test (``a ?: b``, ``a ?? b``) is not descended into: its value is
    tested, so it is marked as a whole or not at all.
    """
    found: set[int] = set()
    pending = [node]
    while pending:
        current = pending.pop()
        branches = choice_branches(current)
        if branches is None or _kind(current) is not Kind.BRANCHED:
            continue
        found.add(id(current))
        tested = isinstance(current, n.Binary) or current.expr1 is current.test
        pending.extend(branches[1:] if tested else branches)
    return frozenset(found)


# --- plans: the place of each print site, known before rendering ---------------
#
# Markers are needed because control flow decides which literal text comes
# before a site.  Most templates do not need them: flowing every possible
# lexer state through the syntax tree (a branch joins its arms' states, a loop
# runs to a fixed point, a capture writes nothing) gives each site the set of
# states it can be printed in, and when every state of the set escapes a
# value to the same text, the site is escaped as it is printed.  A template
# with any undecided site keeps the markers.

# Every state of each lexer.  The sets of states in which a value escapes to
# the same text (``_decide_place``): in JSON, outside a string, or inside one
# (after a literal backslash, reading the output again would take the value's
# first character as escaped, so that state keeps the markers); in a URL, the
# start, or anywhere after it (path, query and fragment encode alike, but a
# path refuses a dot segment: see ``_escape_after_start``).  Raw text is
# written as it is everywhere.
_JSON_STATES = frozenset({_OUT, _STRING, _STRING_ESCAPE})
_URL_STATES = frozenset({_START, _PATH, _QUERY, _FRAGMENT})
_AFTER_START = frozenset({_PATH, _QUERY, _FRAGMENT})
# Steps the flow may take before giving up (markers then): far above what
# any real template needs, since each (body, states) pair is flowed once.
PLAN_STEPS = 100_000


class _Unplanned(Exception):
    """The flow met a statement it does not model: use markers."""


def _plan(body, sites: tuple, index_of: dict, output: Output) -> tuple | None:
    """Return ``(escape, state)`` per site for ``output``, or None (markers).

    Captured sites get ``(None, None)``: they print plain text.
    """
    if output is Output.JSON:
        advance, every = _advance_json, _JSON_STATES
    else:
        advance, every = _advance_url, _URL_STATES
    start = frozenset({_OUT if output is Output.JSON else _START})
    seen: dict[int, set] = {}
    flowed: dict[tuple, frozenset] = {}
    steps = [0]

    def after_print(states: frozenset, kind: Kind) -> frozenset:
        if kind is Kind.RAW or kind is Kind.BRANCHED:  # a branch may be raw
            return every
        if output is Output.JSON:
            if _STRING_ESCAPE in states:
                return states | {_STRING}
            return states
        if _START in states:
            return (states - {_START}) | _AFTER_START
        return states

    def flow(statements, states: frozenset) -> frozenset:
        key = (id(statements), states)
        if key in flowed:
            return flowed[key]
        entry = states
        for node in statements or ():
            steps[0] += 1
            if steps[0] > PLAN_STEPS:
                raise _Unplanned
            cls = node.__class__
            if cls is n.Text:
                states = frozenset(advance(state, node.data) for state in states)
            elif cls is n.Print:
                index = index_of.get(id(node))
                if index is None or sites[index].captured:
                    raise _Unplanned
                seen.setdefault(index, set()).update(states)
                states = after_print(states, sites[index].kind)
            elif cls is n.If:
                joined = flow(node.body, states)
                for branch in node.elif_ or ():
                    joined |= flow(branch.body, states)
                joined |= flow(node.else_, states) if node.else_ else states
                states = joined
            elif cls is n.For:
                looped = states  # none, one or many iterations
                while True:
                    more = looped | flow(node.body, looped)
                    if more == looped:
                        break
                    looped = more
                if node.else_:
                    looped |= flow(node.else_, states)
                states = looped
            elif cls is n.With or cls is n.Block or cls is n.AutoEscape:
                states = flow(node.body, states)
            elif cls is n.Set or cls is n.Do or cls is n.Import:
                pass  # a capture's prints write to the capture, not the output
            elif cls is n.FromImport or cls is n.Macro:
                pass
            else:
                raise _Unplanned
        flowed[(id(statements), entry)] = states
        return states

    try:
        flow(body, start)
    except _Unplanned:
        return None
    plan = []
    for site in sites:
        if site.captured:
            plan.append((None, None))
            continue
        states = seen.get(site.index)
        if not states:
            return None
        decided = _decide_place(states, site.kind, output)
        if decided is None:
            return None
        plan.append(decided)
    return tuple(plan)


def _decide_place(states: set, kind: Kind, output: Output) -> tuple | None:
    """Return ``(escape, state)`` for a site printed in any of ``states``."""
    if output is Output.JSON:
        if kind is Kind.RAW:  # written verbatim in every state
            return _escape_json, next(iter(states))
        if len(states) == 1 and _STRING_ESCAPE not in states:
            return _escape_json, next(iter(states))
        return None
    if kind is Kind.RAW:
        return _escape_url, next(iter(states))
    if states == {_START} or states == {_PATH}:
        return _escape_url, next(iter(states))
    if not states <= _AFTER_START:
        return None
    if _PATH in states:
        return _escape_after_start, _QUERY
    return _escape_url, _QUERY


def _escape_after_start(state: str, value, site: Site, kind: Kind):
    """Escape a value that may be in the path, the query or the fragment.

    All three encode alike, but a path refuses a dot segment: such a value
    is left to the markers, which know where it is.
    """
    if _url_text(value, site) in _DOT_SEGMENTS:
        raise _Undecided("a dot segment")
    return _escape_url(state, value, site, kind)


def _expression_text(lines: list[str], line: int, column: int) -> str:
    """Return the ``{{ … }}`` at a site, tidied, for error messages."""
    if not 0 < line <= len(lines):
        return "a value"
    text = "\n".join(lines[line - 1 :])[column - 1 :]
    end = text.find("}}")
    inner = text[2:end] if text.startswith("{{") and end > 0 else ""
    inner = " ".join(inner.strip("-~ \t\n").split())
    if not inner:
        return "a value"
    return "{{ " + _excerpt(inner, 50) + " }}"


__all__ = [
    "EscapingEnvironment",
    "Kind",
    "Output",
    "Site",
    "analyze_sites",
    "check_header_value",
    "compile_escaped",
    "get_escaping_environment",
    "json_string_content",
    "json_value",
    "render_escaped",
]
