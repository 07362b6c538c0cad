"""The Twig syntax tree: jinja2 node subclasses, one per Twig construct.

They keep jinja2's node protocol (``fields``, ``find_all``, ``iter_child_nodes``,
``lineno``) so save-time checks can walk a template, and add ``col`` (1-based
column of the construct in the source).  Names follow Twig's node classes.
"""

from __future__ import annotations

from jinja2 import nodes


class _NodeType(nodes.NodeType):
    """jinja2's node metaclass, minus its guard against new node types.

    jinja2 refuses custom nodes once it is loaded because its own compiler
    would not know them; these nodes only meet ``codegen.TwigCodeGenerator``.
    """

    def __new__(mcs, name, bases, namespace):
        for attr in "fields", "attributes":
            storage = list(getattr(bases[0], attr, ()))
            storage.extend(namespace.get(attr, ()))
            namespace[attr] = tuple(storage)
        namespace.setdefault("abstract", False)
        return type.__new__(mcs, name, bases, namespace)


def walk(node):
    """Yield every node under ``node`` (itself first), depth first.

    Without recursion: a chain of operators (``a ~ b ~ …``, ``x or y or …``)
    is as deep as it is long; walking it recursively would exhaust the stack.
    A module's macros are walked too.
    """
    yield node
    pending = [_children(node)]
    while pending:
        for child in pending[-1]:
            yield child
            pending.append(_children(child))
            break
        else:
            pending.pop()


def _children(node):
    yield from node.iter_child_nodes()
    if isinstance(node, Module):
        yield from node.macros.values()


def _find_all(self, node_type):
    """jinja2's ``find_all`` (descendants, depth first), without recursion."""
    found = walk(self)
    next(found)  # the node itself is not its own descendant
    for node in found:
        if isinstance(node, node_type):
            yield node


class Expr(nodes.Expr, metaclass=_NodeType):
    attributes = ("col",)
    abstract = True
    find_all = _find_all


class Stmt(nodes.Stmt, metaclass=_NodeType):
    attributes = ("col",)
    abstract = True
    find_all = _find_all


class Helper(nodes.Helper, metaclass=_NodeType):
    attributes = ("col",)
    abstract = True
    find_all = _find_all


# --- expressions ---------------------------------------------------------------


class Const(Expr):
    """A literal: string, int, float, true/false/null."""

    fields = ("value",)


class Name(Expr):
    """A variable read from the context (``_self``/``_context``/``_charset`` too)."""

    fields = ("name",)


class Array(Expr):
    """``[a, b]`` — a PHP list."""

    fields = ("items",)


class Pair(Helper):
    """One ``key: value`` of a hash literal; ``key`` is an expression."""

    fields = ("key", "value")


class Hash(Expr):
    """``{a: 1, (k): 2}`` — a PHP array with explicit keys."""

    fields = ("pairs",)


class GetAttr(Expr):
    """``a.b`` (kind "any"), ``a[b]`` (kind "array"), ``a.b()`` (kind "method")."""

    fields = ("node", "arg", "kind")


class Keyword(Helper):
    """A named argument ``name = value``."""

    fields = ("key", "value")


class Filter(Expr):
    """``node|name(args)``."""

    fields = ("node", "name", "args", "kwargs")


class Function(Expr):
    """``name(args)`` — a registered function."""

    fields = ("name", "args", "kwargs")


class Test(Expr):
    """``node is name(args)``; ``is not`` wraps it in ``Unary('not')``."""

    fields = ("node", "name", "args", "kwargs")


class Unary(Expr):
    """``not x``, ``-x``, ``+x``."""

    fields = ("op", "node")


class Binary(Expr):
    """Every binary operator of Twig, named as written (``~``, ``??``, ``b-and``…)."""

    fields = ("op", "left", "right")


class Conditional(Expr):
    """``test ? expr1 : expr2`` (``a ?: b`` has ``expr1`` equal to ``test``)."""

    fields = ("test", "expr1", "expr2")


class Arrow(Expr):
    """``(a, b) => body`` — compiled to a Python callable."""

    fields = ("params", "body")


class MacroCall(Expr):
    """A call of a macro of this template: ``_self.kv()``, ``m.kv()``, ``kv()``."""

    fields = ("name", "args", "kwargs")


class TempName(Expr):
    """A compiler-made variable (the body captured by ``apply``)."""

    fields = ("name",)


# --- statements ----------------------------------------------------------------


class Text(Stmt):
    fields = ("data",)


class Print(Stmt):
    """``{{ node }}``; the code generator gives each one a print site."""

    fields = ("node",)


class If(Stmt):
    """``if``; ``elif_`` holds further ``If`` nodes without their own else."""

    fields = ("test", "body", "elif_", "else_")


class For(Stmt):
    """``for key, value in seq``; ``key`` is None for one target."""

    fields = ("key", "value", "seq", "body", "else_", "with_loop")


class Set(Stmt):
    """``set a, b = x, y`` (``values``) or ``set a %}...{% endset`` (``body``)."""

    fields = ("names", "values", "body")


class With(Stmt):
    fields = ("variables", "only", "body")


class AutoEscape(Stmt):
    """``autoescape`` block; ``strategy`` is a strategy name or False."""

    fields = ("strategy", "body")


class MacroArg(Helper):
    fields = ("name", "default")


class Macro(Stmt):
    fields = ("name", "args", "body")


class Import(Stmt):
    """``import source as alias``; only ``_self`` can be a source."""

    fields = ("source", "alias")


class FromImport(Stmt):
    """``from source import name as alias, ...``."""

    fields = ("source", "names")


class Do(Stmt):
    fields = ("node",)


class Block(Stmt):
    """``block name`` — rendered in place (there is no inheritance)."""

    fields = ("name", "body")


class Module(Stmt):
    """The whole template: its body and its macros by name."""

    fields = ("body", "macros")
