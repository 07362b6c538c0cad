"""Save-time checks of an endpoint's templates.

``check_endpoint_templates`` compiles every template of an endpoint (URL,
request, response, each header value) and reads the compiled tree for the
variables it uses. A template that does not compile is an **error**: it could
never be sent. A variable the endpoint's kind never provides
(``requestBody.clientid``) is only a **warning**: Twig prints it as empty, which
is sometimes intended, so it must not block saving.

The variables each template gets are the type registry's vocabulary
(``rendering.context.variables``): what ``requestBody``, ``query``, ``app``
and ``authorization`` hold follows the types' fields and settings.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import twig
from authorizations.rendering.context import RESPONSE_ONLY, moved_secrets, variables
from authorizations.types import ENDPOINT_KINDS
from authorizations.wording import closest_match
from twig import TemplateError, VariableRead

TEMPLATE_FIELDS = ("url", "request_template", "response_template")
FIELD_LABELS = {
    "url": "URL",
    "request_template": "request template",
    "response_template": "response template",
}


def variables_for(*, field: str) -> dict[str, tuple[str, ...] | None]:
    """Return the root variables a template in ``field`` gets, and their keys.

    Every endpoint kind gets the same request data; only the response
    template also gets ``response``.
    """
    return variables(with_response=field == "response_template")


# --- problems -------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateProblem:
    """One error or warning about one template field of an endpoint.

    ``field`` is an Endpoint field name or ``headers.N.value`` (N: the index in
    the headers given). ``source_line`` is the template line ``line`` points at.
    """

    field: str
    message: str
    line: int | None = None
    column: int | None = None
    source_line: str = ""

    def as_dict(self) -> dict:
        return {
            "field": self.field,
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }

    def located_message(self) -> str:
        """Return ``Line 3, column 14: message`` (or the message alone)."""
        if self.line is None:
            return self.message
        where = f"Line {self.line}"
        if self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.message}"

    def excerpt(self) -> str:
        """Return the offending source line with a caret under the column."""
        if not self.source_line:
            return ""
        text = self.source_line.expandtabs(4)
        caret = ""
        if self.column is not None:
            # Expand tabs in the prefix too, so the caret lines up.
            prefix = self.source_line[: max(self.column - 1, 0)].expandtabs(4)
            caret = "\n" + " " * len(prefix) + "^"
        return text + caret


def header_field(index: int) -> str:
    return f"headers.{index}.value"


def _line_of(source: str, line: int | None) -> str:
    if not line:
        return ""
    lines = source.splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else ""


def compile_problem(source: str, *, field: str) -> TemplateProblem | None:
    """Compile ``source``; return its syntax error as a problem, or None.

    Unknown filters, functions and tags are compile errors too, as in Twig.
    """
    error = ANALYSES.analyse(source).error
    if error is None:
        return None
    message, line, column = error
    return TemplateProblem(
        field=field,
        message=message,
        line=line,
        column=column,
        source_line=_line_of(source, line),
    )


# --- reading a template's variables ---------------------------------------------


@dataclass(frozen=True)
class Analysis:
    """What the checks learn from one source, whatever field it is in.

    ``error``: the compile error's message, line and column, or None;
    ``uses``: the variables it reads (empty when it does not compile).
    """

    error: tuple[str, int | None, int | None] | None
    uses: tuple[VariableRead, ...] = ()


class AnalysisCache:
    """Each distinct source compiled and read once, like compiled templates.

    The preview checks every template of the endpoint on every keystroke and
    the importer checks every template of a catalog, mostly unchanged text:
    parsing each again was most of their cost.  Bounded by count and by the
    source held, as the compile cache is; a result also depends on the limits
    in force (size, nesting), so they are part of the key.
    """

    def __init__(self, *, size: int = 512, source_chars: int = twig.CACHE_SOURCE):
        self._entries: collections.OrderedDict = collections.OrderedDict()
        self._size = size
        self._source_chars = source_chars
        self._chars = 0
        self._lock = threading.Lock()
        # Sources analysed (each compiled and parsed): a cache hit adds none.
        self.analyses = 0

    def analyse(self, source: str) -> Analysis:
        """Return ``source``'s analysis, computing it on the first request."""
        current = twig.current_limits()
        key = (source, current)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        found = _analyse(source)
        with self._lock:
            self.analyses += 1
            # A source over the size limit fails at once; holding it would
            # only crowd out the ones worth keeping.
            if len(source.encode("utf-8", "surrogatepass")) > current.source:
                return found
            if key not in self._entries:
                self._chars += len(source)
            self._entries[key] = found
            while len(self._entries) > 1 and (
                len(self._entries) > self._size or self._chars > self._source_chars
            ):
                (evicted, _), _ = self._entries.popitem(last=False)
                self._chars -= len(evicted)
        return found

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._chars = 0


def _analyse(source: str) -> Analysis:
    try:
        uses = twig.variables_read(source)
    except TemplateError as error:
        return Analysis(error=(error.message, error.line, error.column))
    return Analysis(error=None, uses=uses)


ANALYSES = AnalysisCache()


def _did_you_mean(name: str, choices: Iterable[str]) -> str:
    guess = closest_match(name, choices)
    return f" Did you mean `{guess}`?" if guess else ""


def variable_warnings(
    source: str, *, field: str, kind_label: str = "this endpoint"
) -> list[TemplateProblem]:
    """Warn about variables in ``source`` that the template in ``field`` never gets.

    ``kind_label`` names the endpoint in the message ("an Access Token
    Endpoint").  A source that does not compile gives none
    (``compile_problem`` says why).
    """
    available = variables_for(field=field)
    label = kind_label
    problems: list[TemplateProblem] = []
    seen: set[tuple[str, str | None]] = set()
    for use in ANALYSES.analyse(source).uses:
        if (use.root, use.key) in seen:
            continue
        seen.add((use.root, use.key))
        message = _variable_message(use, available, field=field, kind_label=label)
        if message:
            problems.append(
                TemplateProblem(
                    field=field,
                    message=message,
                    line=use.line,
                    column=use.column,
                    source_line=_line_of(source, use.line),
                )
            )
    return problems


def _variable_message(
    use: VariableRead,
    available: Mapping[str, tuple[str, ...] | None],
    *,
    field: str,
    kind_label: str,
) -> str:
    if use.root in RESPONSE_ONLY and use.root not in available:
        return (
            f"`{use.root}` is only available in response templates: the "
            f"{FIELD_LABELS.get(field, 'header')} is rendered before the request "
            "is sent, so it prints empty here."
        )
    if use.root not in available:
        return (
            f"`{use.root}` is not a variable templates get, so it prints empty."
            + _did_you_mean(use.root, available)
        )
    moved = moved_secrets().get((use.root, use.key))
    if moved:
        return (
            f"`{use.root}.{use.key}` is never given to templates, so it prints "
            f"empty: secrets are not settings. Did you mean `{moved}`?"
        )
    keys = available[use.root]
    if keys is None or use.key is None or use.key in keys:
        return ""
    return (
        f"`{use.root}.{use.key}` is never provided to {kind_label}, so it prints "
        "empty." + _did_you_mean(use.key, keys)
    )


# --- the whole endpoint ----------------------------------------------------------


def check_endpoint_templates(
    *,
    kind: str,
    url: str,
    request_template: str,
    response_template: str,
    headers: Iterable[Mapping[str, str]] = (),
) -> tuple[list[TemplateProblem], list[TemplateProblem]]:
    """Compile an endpoint's templates; return ``(errors, warnings)``.

    ``headers`` are ``{"name", "value"}`` mappings in order; their problems are
    reported at ``headers.N.value``. A template with an error gets no warnings:
    it cannot be read until it compiles.
    """
    endpoint_kind = ENDPOINT_KINDS.get(kind)
    kind_label = (
        f"{endpoint_kind.article} {endpoint_kind.label}"
        if endpoint_kind
        else "this endpoint"
    )
    sources = [
        ("url", url or ""),
        ("request_template", request_template or ""),
        ("response_template", response_template or ""),
    ]
    sources += [
        (header_field(index), header.get("value") or "")
        for index, header in enumerate(headers)
    ]
    errors: list[TemplateProblem] = []
    warnings: list[TemplateProblem] = []
    for field, source in sources:
        if not source.strip():
            continue
        problem = compile_problem(source, field=field)
        if problem is not None:
            errors.append(problem)
            continue
        warnings.extend(variable_warnings(source, field=field, kind_label=kind_label))
    return errors, warnings
