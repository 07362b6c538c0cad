"""The one Twig environment: a jinja2 sandboxed environment with a Twig front end.

Twig source is tokenized and parsed by ``syntax`` (a port of Twig 3.5's lexer
and expression parser), compiled to Python by ``syntax.codegen`` (a jinja2
``CodeGenerator`` subclass) and loaded as a jinja2 ``Template``.  Each distinct
source is compiled once (an LRU cache keyed by the source).

Hooks for the layers built on top of the engine:

* printing — every ``{{ }}`` calls ``make_printer(template)``'s result with the
  value and the index of its print site; by default that is ``twig_print(value,
  site)``, which prints as Twig does (``php.to_str``).  ``template.print_sites``
  lists the sites (line, column, autoescape strategy) so an escaping layer can
  give each one a context; override ``twig_print`` or ``make_printer``.
* limits — the generated code calls ``render_state.tick()`` at every loop
  iteration and macro call; pass ``tick=`` to ``TwigTemplate.render`` (or
  override ``make_tick``) and raise from it to stop a render.  By default
  ``limits`` bounds every compile and render (time, output, memory, size,
  nesting): see that module.
* timezone — ``environment.timezone`` (also ``environment.globals
  ["_twig_timezone"]``) is the zone of the render in progress
  (``render(..., timezone=)``), for the date filters and functions.
"""

from __future__ import annotations

import collections
import contextvars
import threading
import warnings
from collections.abc import Mapping

from jinja2 import Template
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from . import limits, php
from .errors import (
    TemplateError,
    TemplateRuntimeError,
    TemplateSyntaxError,
    internal_error,
)
from .library import FILTERS, FUNCTIONS, TESTS
from .syntax.codegen import TEMPLATE_FILENAME, TwigCodeGenerator
from .syntax.parser import parse

CACHE_SIZE = 512
DEFAULT_TIMEZONE = "UTC"

_timezone: contextvars.ContextVar[str] = contextvars.ContextVar(
    "twig_timezone", default=DEFAULT_TIMEZONE
)


def _print(value, site) -> str:
    cls = value.__class__
    if cls is str:
        return value
    return php.to_str(value)


class RenderState:
    """What one render hands to the compiled code: its hooks and settings."""

    __slots__ = ("environment", "template", "print_", "tick", "strict")

    def __init__(self, environment, template, *, print_, tick, strict):
        self.environment = environment
        self.template = template
        self.print_ = print_
        self.tick = tick
        self.strict = strict

    def jinja_context(self, context: dict) -> Context:
        """Wrap the Twig context for a callable marked ``pass_context``."""
        return Context(self.environment, context, "template", {})

    @property
    def eval_context(self):
        from jinja2.nodes import EvalContext

        return EvalContext(self.environment, "template")


class TwigTemplate(Template):
    """A compiled Twig template; render it with ``render(context)``."""

    source: str
    strict: bool
    print_sites: tuple
    line_map: dict
    default_state: RenderState

    def render(
        self,
        context: Mapping | None = None,
        *,
        tick=None,
        timezone=None,
        printer=None,
        state: RenderState | None = None,
    ):
        """Render with a plain-data context; raise ``TemplateError`` on failure.

        ``context`` may be a ``PreparedContext`` (see ``prepare_context``) to
        skip checking the same data again for each template of an endpoint.
        ``printer`` replaces the environment's printer (``make_printer``) for
        this render only; what it returns counts against the limits the same.
        ``state`` (from ``state_for``) does so for a printer kept for many
        renders.
        """
        if context.__class__ is PreparedContext:
            data = dict(context)
        else:
            data = plain_context(context if context is not None else {})
        if state is None:
            state = self.default_state
        if tick is not None or printer is not None:
            state = RenderState(
                self.environment,
                self,
                print_=state.print_ if printer is None else limits.counting(printer),
                tick=state.tick if tick is None else tick,
                strict=self.strict,
            )
        token = _timezone.set(timezone) if timezone else None
        try:
            return "".join(self.root_render_func(data, state))
        except Exception as error:  # every failure becomes a TemplateError
            raise self.translate_error(error) from error
        finally:
            if token is not None:
                _timezone.reset(token)

    def state_for(self, printer) -> RenderState:
        """Return a render state that prints with ``printer``, counted as usual."""
        return RenderState(
            self.environment,
            self,
            print_=limits.counting(printer),
            tick=self.environment.make_tick(),
            strict=self.strict,
        )

    def translate_error(self, error: BaseException) -> TemplateError:
        line, column = self.position_of(error.__traceback__)
        if isinstance(error, TemplateError):
            if error.line is None:
                error.line, error.column = line, column
            return error
        if isinstance(error, php.TwigRuntimeError):
            message = str(error)
        elif isinstance(error, php.PhpError):
            message = php.user_message(error)
        elif isinstance(error, RecursionError):
            message = "The template nests or recurses too deeply."
        elif isinstance(error, MemoryError):
            message = "The template ran out of memory."
        else:
            internal = internal_error(error)
            internal.line, internal.column = line, column
            return internal
        return TemplateRuntimeError(message, line=line, column=column)

    def position_of(self, tb) -> tuple[int | None, int | None]:
        """Map the innermost frame of the compiled template to (line, column)."""
        found = None
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == TEMPLATE_FILENAME:
                found = tb.tb_lineno
            tb = tb.tb_next
        if found is None:
            return None, None
        best = None
        for code_line in self.line_map:
            if code_line <= found and (best is None or code_line > best):
                best = code_line
        return self.line_map[best] if best is not None else (None, None)


class TwigEnvironment(ImmutableSandboxedEnvironment):
    """Render Twig 3.5 templates (autoescape off, strict_variables off)."""

    code_generator_class = TwigCodeGenerator
    template_class = TwigTemplate

    def __init__(self, *, cache_size: int = CACHE_SIZE):
        super().__init__(
            autoescape=False,
            trim_blocks=True,
            keep_trailing_newline=True,
            cache_size=0,
        )
        self.filters = dict(FILTERS)
        self.twig_functions = dict(FUNCTIONS)
        self.tests = dict(TESTS)
        self.globals = _RenderGlobals()
        self._cache: collections.OrderedDict = collections.OrderedDict()
        self._cache_size = cache_size
        self._cache_chars = 0  # source characters held (limits.CACHE_SOURCE)
        self._cache_lock = threading.Lock()
        # Cache misses since creation: a render in a steady state compiles
        # nothing, which bench/render.py and the tests hold it to.
        self.compiles = 0

    # --- names ---------------------------------------------------------------

    @property
    def timezone(self) -> str:
        """The timezone of the render in progress (Twig's default: UTC)."""
        return _timezone.get()

    def known_names(self) -> tuple[set, set, set]:
        """Return the filter, function and test names templates may use."""
        return (
            set(self.filters),
            set(self.twig_functions) | {"attribute"},
            set(self.tests),
        )

    def twig_lookup(self, kind: str, name: str):
        table = {
            "filter": self.filters,
            "function": self.twig_functions,
            "test": self.tests,
        }[kind]
        return table.get(name)

    def twig_callable(self, kind: str, name: str):
        """Return the callable a compiled template binds for a name."""
        found = self.twig_lookup(kind, name)
        if found is None:
            return _missing(kind, name)
        return limits.guard(kind, name, found)

    # --- hooks ---------------------------------------------------------------

    def twig_print(self, value, site) -> str:
        """Turn a printed value into text (``site`` is a ``PrintSite``)."""
        return _print(value, site)

    def make_printer(self, template: TwigTemplate):
        """Return the ``(value, site_index) -> str`` the compiled code prints with."""
        if type(self).twig_print is TwigEnvironment.twig_print:
            return _print
        sites = template.print_sites
        twig_print = self.twig_print
        return lambda value, index: twig_print(value, sites[index])

    def make_tick(self):
        """Return the callable run at each loop iteration and macro call."""
        return limits.tick

    # --- compiling -----------------------------------------------------------

    def compile_twig(self, source: str, *, strict: bool = False) -> TwigTemplate:
        """Compile Twig source (cached by source text and strictness)."""
        key = (source, strict)
        with self._cache_lock:
            template = self._cache.get(key)
            if template is not None:
                self._cache.move_to_end(key)
                return template
        template = self._compile_uncached(source, strict)
        with self._cache_lock:
            self.compiles += 1
            if key not in self._cache:
                self._cache_chars += len(source)
            self._cache[key] = template
            # A compiled template holds ~100 bytes per source character: bound
            # the sum too, or 512 of the largest templates would hold gigabytes.
            while len(self._cache) > 1 and (
                len(self._cache) > self._cache_size
                or self._cache_chars > limits.CACHE_SOURCE
            ):
                (evicted, _), _ = self._cache.popitem(last=False)
                self._cache_chars -= len(evicted)
        return template

    def clear_cache(self) -> None:
        """Forget every compiled template."""
        with self._cache_lock:
            self._cache.clear()
            self._cache_chars = 0

    def cached_sources(self) -> list[str]:
        """Return the sources whose compiled templates the cache holds."""
        with self._cache_lock:
            return [source for source, _ in self._cache]

    def _compile_uncached(self, source: str, strict: bool) -> TwigTemplate:
        if not isinstance(source, str):
            raise TemplateSyntaxError("A template must be text.")
        limits.check_source(source)
        filters, functions, tests = self.known_names()
        generator = self.code_generator_class(self, strict=strict)
        try:
            module = parse(source, filters=filters, functions=functions, tests=tests)
            weight = limits.check_module(module)
            code = generator.generate_module(module)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SyntaxWarning)
                compiled = compile(code, TEMPLATE_FILENAME, "exec")
        except TemplateError:
            raise
        except RecursionError:
            raise limits.nesting_error() from None
        except (SyntaxError, MemoryError, ValueError) as error:
            # Python's text would name the generated code, not the template.
            raise TemplateSyntaxError("The template could not be compiled.") from error
        template = self.template_class.from_code(self, compiled, {}, None)
        template.root_render_func = limits.bounded(template.root_render_func, weight)
        template.source = source
        template.strict = strict
        template.print_sites = tuple(generator.print_sites)
        template.line_map = generator.line_map
        template.python_source = code
        template.default_state = RenderState(
            self,
            template,
            print_=limits.counting(self.make_printer(template)),
            tick=self.make_tick(),
            strict=strict,
        )
        return template


class _RenderGlobals(dict):
    """Globals whose ``_twig_timezone`` is the timezone of the current render.

    The library's date callables (``pass_environment``) read it there.
    """

    def __getitem__(self, key):
        if key == "_twig_timezone":
            return _timezone.get()
        return super().__getitem__(key)

    def get(self, key, default=None):
        if key == "_twig_timezone":
            return _timezone.get()
        return super().get(key, default)

    def __contains__(self, key) -> bool:
        return key == "_twig_timezone" or super().__contains__(key)


def _missing(kind: str, name: str):
    def missing(*args, **kwargs):
        raise TemplateRuntimeError(f'Unknown "{name}" {kind}.')

    return missing


# --- context -------------------------------------------------------------------


class PreparedContext(dict):
    """A render context already checked by ``prepare_context``."""


_SCALARS = frozenset({str, int, float, bool, type(None)})


def prepare_context(context: Mapping) -> PreparedContext:
    """Check a render context once, to render several templates with it.

    Refuse anything that is not plain data (text, numbers, booleans, null,
    lists and mappings); tuples become lists and numeric-string keys become
    ints, as PHP does for array keys ("1" → 1).  Do not change it afterwards.
    """
    if context.__class__ is PreparedContext:
        return context
    if not isinstance(context, Mapping):
        raise TemplateError("The template context must be a mapping of names.")
    result = PreparedContext()
    for key, value in context.items():
        if not isinstance(key, str):
            raise TemplateError("Template variable names must be text.")
        result[key] = value if value.__class__ in _SCALARS else _plain(value, key, 0)
    return result


def plain_context(context: Mapping) -> dict:
    """Return a checked copy of a render context (see ``prepare_context``)."""
    return dict(prepare_context(context))


def _plain(value, path: str, depth: int):
    """Return ``value`` itself when it is plain data, else a converted copy."""
    cls = value.__class__
    if cls in _SCALARS:
        return value
    if depth > 200:
        raise TemplateError(f"The template data nests too deeply at {path}.")
    if cls is list:
        for index, item in enumerate(value):
            if item.__class__ not in _SCALARS:
                converted = _plain(item, f"{path}[{index}]", depth + 1)
                if converted is not item:
                    return [_plain(i, path, depth + 1) for i in value]
        return value
    if cls is dict:
        for key, item in value.items():
            if key.__class__ is not str or key[:1] in _NUMERIC_STARTS:
                return _copy_mapping(value, path, depth)
            if item.__class__ not in _SCALARS:
                converted = _plain(item, f"{path}.{key}", depth + 1)
                if converted is not item:
                    return _copy_mapping(value, path, depth)
        return value
    if isinstance(value, list | tuple):
        return [_plain(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value)]
    if isinstance(value, Mapping):
        return _copy_mapping(value, path, depth)
    if isinstance(value, str):  # Markup keeps its safe mark
        return value
    if isinstance(value, int | float):  # int and float subclasses (enums)
        return int(value) if isinstance(value, int) else float(value)
    raise TemplateError(
        f"The template data holds a {type(value).__name__} at {path}; only text, "
        "numbers, booleans, null, lists and mappings are allowed."
    )


_NUMERIC_STARTS = frozenset("-0123456789")


def _copy_mapping(value: Mapping, path: str, depth: int) -> dict:
    items = {}
    for key, item in value.items():
        if not isinstance(key, str | int) or isinstance(key, bool):
            raise TemplateError(
                f"The template data has a key of type {type(key).__name__} at {path}."
            )
        items[php.normalize_key(key)] = _plain(item, f"{path}.{key}", depth + 1)
    return items


_environment: TwigEnvironment | None = None
_environment_lock = threading.Lock()


def get_environment() -> TwigEnvironment:
    """Return the process-wide environment, created on first use."""
    global _environment
    if _environment is None:
        with _environment_lock:
            if _environment is None:
                _environment = TwigEnvironment()
    return _environment


__all__ = [
    "PreparedContext",
    "RenderState",
    "TwigEnvironment",
    "TwigTemplate",
    "get_environment",
    "plain_context",
    "prepare_context",
]
