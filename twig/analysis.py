"""What a template reads and writes, learnt from its source without rendering.

For checks made before a template is ever rendered (when it is saved):
``variables_read(source)`` lists the context variables it reads, with their
positions, and ``text_parts(source)`` its literal text apart from its code.
"""

from __future__ import annotations

from dataclasses import dataclass

from .environment import get_environment
from .syntax import nodes as n
from .syntax.lexer import EOF, TEXT, tokenize
from .syntax.parser import parse

# Names Twig itself provides in every template: never read from the context.
TWIG_NAMES = frozenset({"_self", "_context", "_charset", "loop"})


@dataclass(frozen=True)
class VariableRead:
    """``root.key`` read at line/column (``key`` None: the root alone)."""

    root: str
    key: str | None
    line: int | None
    column: int | None


def variables_read(source: str) -> tuple[VariableRead, ...]:
    """Return the context variables a template reads, in source order.

    Only what is written literally counts: ``requestBody[name]`` with a
    computed ``name`` gives ``requestBody`` with no key.  Names the template
    binds itself (``set``, ``for``, macros and their arguments, arrows,
    imports, ``with``) and Twig's own (``loop``, ``_self``…) are left out.
    Raise ``TemplateSyntaxError`` (or a limit error) when it does not compile.
    """
    environment = get_environment()
    environment.compile_twig(source)  # the same errors and limits as a render
    filters, functions, tests = environment.known_names()
    module = parse(source, filters=filters, functions=functions, tests=tests)
    bound = _bound_names(module)
    reads: list[VariableRead] = []
    attribute_roots: set[int] = set()
    for node in n.walk(module):
        if not isinstance(node, n.GetAttr) or not isinstance(node.node, n.Name):
            continue
        root = node.node
        attribute_roots.add(id(root))
        if root.name in bound:
            continue
        key = None
        if isinstance(node.arg, n.Const) and isinstance(node.arg.value, str):
            key = node.arg.value
        reads.append(VariableRead(root.name, key, root.lineno, root.col))
    for node in n.walk(module):
        if (
            isinstance(node, n.Name)
            and id(node) not in attribute_roots
            and node.name not in bound
        ):
            reads.append(VariableRead(node.name, None, node.lineno, node.col))
    return tuple(sorted(reads, key=lambda r: (r.line or 0, r.column or 0)))


def _bound_names(module: n.Module) -> set[str]:
    """Return the names the template binds itself (set, for, macros, arrows…)."""
    bound = set(TWIG_NAMES)
    for node in n.walk(module):
        if isinstance(node, n.Set):
            bound.update(node.names)
        elif isinstance(node, n.For):
            bound.update(t for t in (node.key, node.value) if isinstance(t, str))
        elif isinstance(node, n.Macro):
            bound.add(node.name)
            bound.update(arg.name for arg in node.args if isinstance(arg, n.MacroArg))
        elif isinstance(node, n.MacroArg):
            bound.add(node.name)
        elif isinstance(node, n.Arrow):
            bound.update(node.params)
        elif isinstance(node, n.Import):
            bound.add(node.alias)
        elif isinstance(node, n.FromImport):
            bound.update(alias for _, alias in node.names)
        elif isinstance(node, n.With) and isinstance(node.variables, n.Hash):
            bound.update(
                pair.key.value
                for pair in node.variables.pairs
                if isinstance(pair.key, n.Const) and isinstance(pair.key.value, str)
            )
    return bound


def text_parts(source: str) -> list[str | None]:
    """Return a template's literal text, with None for each stretch of code.

    Text inside ``{{ … }}``, ``{% … %}`` and ``{# … #}`` is left out; code
    parts next to each other are one None, so the text on either side of
    code stays apart.  Raise ``TemplateSyntaxError`` when it does not lex.
    """
    parts: list[str | None] = []
    for token in tokenize(source):
        if token.type == TEXT:
            parts.append(token.value)
        elif token.type != EOF and (not parts or parts[-1] is not None):
            parts.append(None)
    return parts


__all__ = ["TWIG_NAMES", "VariableRead", "text_parts", "variables_read"]
