"""Compile the Twig syntax tree to Python source, following Twig's PHP output.

The generated module defines ``root(c, rs)``: ``c`` is the context, a plain
dict as Twig's ``$context``; ``rs`` is the per-render state
(``environment.RenderState``) that supplies the hooks:

* ``p(value, site)`` — every ``{{ }}`` goes through it (``rs.print_``), with
  the index of its print site (``print_sites`` of the module: line, column
  and autoescape strategy).  Contextual escaping replaces it.
* ``t()`` — called at every loop iteration and macro call (``rs.tick``).
  Limits count there.

Expressions become Python expressions over ``runtime`` and ``php`` helpers;
no Python attribute or method of a value is ever reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import StringIO

from jinja2.compiler import CodeGenerator
from jinja2.utils import _PassArg

from ..errors import TemplateSyntaxError
from . import nodes as n
from .arguments import bind

TEMPLATE_FILENAME = "<twig-template>"

_PHP_BINARY = {
    "+": "php.add",
    "-": "php.sub",
    "*": "php.mul",
    "/": "php.div",
    "//": "php.floordiv",
    "%": "php.mod",
    "**": "php.power",
    "b-and": "php.bitand",
    "b-or": "php.bitor",
    "b-xor": "php.bitxor",
    "==": "php.loose_eq",
    "<": "php.less",
    ">": "php.greater",
    "<=": "php.less_equal",
    ">=": "php.greater_equal",
    "<=>": "php.spaceship",
    "matches": "rt.matches",
    "starts with": "rt.starts_with",
    "ends with": "rt.ends_with",
    "has some": "rt.has_some",
    "has every": "rt.has_every",
}

# Operators whose left-nested chains ("a or b or c", "1 + 2 - 3") compile to
# one flat Python expression, however long: "~" has its own flat form, "??"
# and "**" nest to the right.
NOT_CHAINED = frozenset({"~", "??", "**"})

# Filters that escape their input as HTML first, autoescape or not
# (CoreExtension: nl2br and spaceless have pre_escape => html).
PRE_ESCAPE_FILTERS = {"nl2br": "html", "spaceless": "html"}
# What each filter's output is safe for (EscaperExtension / CoreExtension).
SAFE_FILTERS = {"raw": {"all"}, "nl2br": {"html"}, "spaceless": {"html"}}


@dataclass(frozen=True, slots=True)
class PrintSite:
    """One ``{{ }}`` of a template: where it is and how it is autoescaped."""

    index: int
    line: int
    column: int
    autoescape: str | bool


class TwigCodeGenerator(CodeGenerator):
    """Write the Python module of one Twig template."""

    def __init__(self, environment, *, strict: bool = False):
        super().__init__(environment, "template", TEMPLATE_FILENAME, StringIO())
        self.strict = strict
        self.lenient = 0
        self.counter = 0
        self.ctx = "c"
        self.buffers = ["out"]
        self.arrow_scopes: list[dict[str, str]] = []
        self.temp_names: dict[str, str] = {}
        self.macro_names: dict[str, str] = {}
        self.bindings: dict[tuple[str, str], str] = {}
        self.autoescape: list[str | bool] = [False]
        self.print_sites: list[PrintSite] = []
        self.line_map: dict[int, tuple[int, int]] = {}

    # --- plumbing --------------------------------------------------------------

    def unique(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def line(self, code: str, node=None) -> None:
        self.writeline(code, node)
        if node is not None and node.lineno:
            self.line_map[self.code_lineno] = (node.lineno, node.col or None)

    def binding(self, kind: str, name: str) -> str:
        """Return the module-level name bound to a filter/function/test."""
        key = (kind, name)
        if key not in self.bindings:
            self.bindings[key] = f"{kind[0].upper()}{len(self.bindings)}"
        return self.bindings[key]

    def fail(self, message: str, node) -> TemplateSyntaxError:
        return TemplateSyntaxError(message, line=node.lineno, column=node.col)

    # --- module ----------------------------------------------------------------

    def generate_module(self, module: n.Module) -> str:
        for index, name in enumerate(module.macros):
            self.macro_names[name] = f"_m{index}"
        self.line("def root(c, rs):")
        self.indent()
        self.line("out = []")
        self.line("w = out.append")
        self.line("p = rs.print_")
        self.line("t = rs.tick")
        for macro in module.macros.values():
            self.visit_macro(macro)
        self.statements(module.body)
        self.line("return out")
        self.outdent()
        body = self.stream.getvalue()

        # php and rt are the modules' functions, with the ones that can run
        # long or allocate much checking the render's budget (limits).
        header = [
            "from twig.limits import bounded_php as php",
            "from twig.limits import bounded_runtime as rt",
            "name = 'template'",
            "blocks = {}",
            "ga = rt.getattr_",
            "tr = php.is_truthy",
            "cc = rt.concat",
        ]
        for (kind, name), alias in self.bindings.items():
            header.append(f"{alias} = environment.twig_callable({kind!r}, {name!r})")
        offset = len(header)
        debug = "&".join(f"{line}={code + offset}" for line, code in self.debug_info)
        header.append(f"debug_info = {debug!r}")
        offset += 1
        self.line_map = {code + offset: pos for code, pos in self.line_map.items()}
        return "\n".join(header) + "\n" + body + "\n"

    def statements(self, body) -> None:
        if not body:
            self.line("pass")
            return
        for node in body:
            getattr(self, f"visit_{type(node).__name__.lower()}")(node)

    # --- statements ------------------------------------------------------------

    def visit_text(self, node: n.Text) -> None:
        self.line(f"w({node.data!r})", node)

    def visit_print(self, node: n.Print) -> None:
        strategy = self.autoescape[-1]
        if strategy:
            expr = self.escaped_expr(node.node, strategy)
        else:
            expr = self.expr(node.node)
        site = PrintSite(len(self.print_sites), node.lineno, node.col, strategy)
        self.print_sites.append(site)
        self.line(f"w(p({expr}, {site.index}))", node)

    def visit_do(self, node: n.Do) -> None:
        self.line(self.expr(node.node), node)

    def visit_if(self, node: n.If) -> None:
        self.line(f"if tr({self.expr(node.test)}):", node)
        self.indent()
        self.statements(node.body)
        self.outdent()
        for branch in node.elif_:
            self.line(f"elif tr({self.expr(branch.test)}):", branch)
            self.indent()
            self.statements(branch.body)
            self.outdent()
        if node.else_:
            self.line("else:")
            self.indent()
            self.statements(node.else_)
            self.outdent()

    def visit_for(self, node: n.For) -> None:
        c = self.ctx
        parent, seq, index, length = (
            self.unique("_p"),
            self.unique("_s"),
            self.unique("_i"),
            self.unique("_n"),
        )
        self.line(f"{parent} = {c}.copy()", node)
        if node.with_loop:
            self.line(f"{c}['_parent'] = {parent}")
        seq_expr = self.expr(node.seq)
        if node.key is not None:
            self.line(f"{seq} = rt.loop_items({seq_expr})", node)
            target = f"({c}[{node.key!r}], {c}[{node.value!r}])"
        else:
            self.line(f"{seq} = rt.loop_values({seq_expr})", node)
            target = f"{c}[{node.value!r}]"
        if node.with_loop:
            self.line(f"{length} = len({seq})")
            self.line(f"for {index}, {target} in enumerate({seq}):")
            self.indent()
            self.line(
                f"{c}['loop'] = {{'parent': {parent}, 'index0': {index}, "
                f"'index': {index} + 1, 'first': {index} == 0, "
                f"'revindex0': {length} - {index} - 1, "
                f"'revindex': {length} - {index}, 'length': {length}, "
                f"'last': {index} == {length} - 1}}"
            )
        else:
            self.line(f"for {target} in {seq}:")
            self.indent()
        self.line("t()")
        self.statements(node.body)
        self.outdent()
        if node.else_:
            self.line(f"if not {seq}:")
            self.indent()
            self.statements(node.else_)
            self.outdent()
        targets = (node.key, node.value, "_parent", "loop")
        targets = tuple(name for name in targets if name is not None)
        self.line(f"{c} = rt.leave_scope({c}, {parent}, {targets!r})")

    def assign_target(self, name: str) -> str:
        if name.startswith("__apply_"):
            return self.temp_names.setdefault(name, self.unique("_tmp"))
        return f"{self.ctx}[{name!r}]"

    def visit_set(self, node: n.Set) -> None:
        targets = ", ".join(self.assign_target(name) for name in node.names)
        if node.body is None:
            values = ", ".join(self.expr(value) for value in node.values)
            self.line(f"{targets} = {values}", node)
            return
        buffer = self.unique("_b")
        self.line(f"{buffer} = []", node)
        self.line(f"w = {buffer}.append")
        self.buffers.append(buffer)
        self.statements(node.body)
        self.buffers.pop()
        self.line(f"w = {self.buffers[-1]}.append")
        self.line(f"{targets} = rt.captured({buffer})")

    def visit_with(self, node: n.With) -> None:
        if node.variables is None and not node.only and self.only_apply(node):
            self.statements(node.body)
            return
        saved = self.unique("_w")
        self.line(f"{saved} = {self.ctx}", node)
        if node.variables is None:
            self.line(f"{self.ctx} = rt.with_scope({self.ctx}, {{}}, {node.only})")
        else:
            # Twig: a failure computing the variables is at the tag's line,
            # variables that are not a hash are refused at their own line.
            variables = self.unique("_wv")
            self.line(f"{variables} = {self.expr(node.variables)}")
            self.line(
                f"{self.ctx} = rt.with_scope({self.ctx}, {variables}, {node.only})",
                node.variables,
            )
        self.statements(node.body)
        self.line(f"{self.ctx} = {saved}")

    @staticmethod
    def only_apply(node: n.With) -> bool:
        # The parser wraps "apply" in a With without variables: Twig's apply
        # opens no scope, so it is compiled inline.
        first = node.body[0] if node.body else None
        return isinstance(first, n.Set) and first.names[0].startswith("__apply_")

    def visit_block(self, node: n.Block) -> None:
        # A block renders in place with a copy of the context (displayBlock
        # receives $context by value).
        saved = self.unique("_w")
        self.line("t()", node)  # copying the context costs its size
        self.line(f"{saved} = {self.ctx}")
        self.line(f"{self.ctx} = dict({self.ctx})")
        self.statements(node.body)
        self.line(f"{self.ctx} = {saved}")

    def visit_autoescape(self, node: n.AutoEscape) -> None:
        self.autoescape.append(node.strategy)
        self.statements(node.body)
        self.autoescape.pop()

    def visit_macro(self, node: n.Macro) -> None:
        params = ", ".join(
            f"_a{i}={self.expr(arg.default)}" for i, arg in enumerate(node.args)
        )
        params = f"{params}, *varargs" if params else "*varargs"
        self.line(f"def {self.macro_names[node.name]}({params}):", node)
        self.indent()
        items = "".join(f"{arg.name!r}: _a{i}, " for i, arg in enumerate(node.args))
        self.line(f"c = {{{items}'varargs': list(varargs)}}")
        self.line("_o = []")
        self.line("w = _o.append")
        self.line("t()")
        saved_buffers, self.buffers = self.buffers, ["_o"]
        saved_escape, self.autoescape = self.autoescape, [False]
        self.statements(node.body)
        self.buffers, self.autoescape = saved_buffers, saved_escape
        self.line("return rt.captured(_o)")
        self.outdent()

    def visit_import(self, node: n.Import) -> None:
        if not (isinstance(node.source, n.Name) and node.source.name == "_self"):
            self.line(f"rt.unsupported_import({self.expr(node.source)})", node)
        else:
            # Resolved by the parser: nothing to run, but a statement, for an
            # "if" or "for" whose body is only this import.
            self.line("pass", node)

    def visit_fromimport(self, node: n.FromImport) -> None:
        self.visit_import(node)

    # --- expressions -----------------------------------------------------------

    def expr(self, node) -> str:
        return getattr(self, f"expr_{type(node).__name__.lower()}")(node)

    def lenient_expr(self, node) -> str:
        self.lenient += 1
        try:
            return self.expr(node)
        finally:
            self.lenient -= 1

    def expr_const(self, node: n.Const) -> str:
        return repr(node.value)

    def expr_name(self, node: n.Name) -> str:
        for scope in reversed(self.arrow_scopes):
            if node.name in scope:
                return scope[node.name]
        if node.name == "_self":
            return "'template'"
        if node.name == "_context":
            return self.ctx
        if node.name == "_charset":
            return "'UTF-8'"
        if self.strict and not self.lenient:
            return f"rt.variable_strict({self.ctx}, {node.name!r})"
        return f"{self.ctx}.get({node.name!r})"

    def expr_tempname(self, node: n.TempName) -> str:
        return self.temp_names.setdefault(node.name, self.unique("_tmp"))

    def expr_array(self, node: n.Array) -> str:
        return "[" + "".join(f"{self.expr(item)}, " for item in node.items) + "]"

    def expr_hash(self, node: n.Hash) -> str:
        keys = [p.key.value for p in node.pairs if isinstance(p.key, n.Const)]
        plain = (
            node.pairs
            and len(keys) == len(node.pairs)
            and len(set(keys)) == len(keys)
            and all(isinstance(k, str) and not k.lstrip("-").isdigit() for k in keys)
        )
        if plain:
            items = ", ".join(
                f"{p.key.value!r}: {self.expr(p.value)}" for p in node.pairs
            )
            return "{" + items + "}"
        items = "".join(
            f"({self.expr(p.key)}, {self.expr(p.value)}), " for p in node.pairs
        )
        return f"rt.hash_literal(({items}))"

    def expr_pair(self, node: n.Pair) -> str:  # pragma: no cover - via hash
        raise AssertionError("pairs are compiled by expr_hash")

    def expr_getattr(self, node: n.GetAttr) -> str:
        obj = self.expr(node.node)
        arg = self.expr(node.arg)
        if self.strict and not self.lenient:
            return f"rt.getattr_strict({obj}, {arg}, {node.kind!r})"
        if node.kind == "method":
            return f"(({obj}), None)[1]"
        return f"ga({obj}, {arg})"

    def call_args(self, node, *, kind: str, name: str, first=None) -> str:
        callable_ = self.environment.twig_lookup(kind, name)
        args = []
        pass_arg = _PassArg.from_obj(callable_) if callable_ is not None else None
        if pass_arg is _PassArg.environment:
            args.append("rs.environment")
        elif pass_arg is _PassArg.context:
            args.append(f"rs.jinja_context({self.ctx})")
        elif pass_arg is _PassArg.eval_context:
            args.append("rs.eval_context")
        if first is not None:
            args.append(first)
        # Named arguments are placed by position here: no name written in a
        # template ever becomes Python code.
        args.extend(
            self.expr(arg) for arg in bind(callable_, node, kind=kind, name=name)
        )
        return ", ".join(args)

    def expr_filter(self, node: n.Filter) -> str:
        name = node.name
        if name == "default" and self.strict:
            value = self.lenient_expr(node.node)
        else:
            value = self.expr(node.node)
        if name == "raw" and not node.args:
            return value
        strategy = self.pre_escape(name)
        if strategy and not self.is_safe_for(strategy, node.node):
            escape = self.binding("filter", "escape")
            value = f"rt.autoescape({escape}, {value}, {strategy!r})"
        alias = self.binding("filter", name)
        return f"{alias}({self.call_args(node, kind='filter', name=name, first=value)})"

    def expr_function(self, node: n.Function) -> str:
        alias = self.binding("function", node.name)
        return f"{alias}({self.call_args(node, kind='function', name=node.name)})"

    def expr_test(self, node: n.Test) -> str:
        name = node.name
        if name == "defined":
            return self.defined_test(node)
        if name in self.environment.tests:
            alias = self.binding("test", name)
            args = self.call_args(
                node, kind="test", name=name, first=self.expr(node.node)
            )
            return f"{alias}({args})"
        raise self.fail(f'Unknown "{name}" test.', node)

    def defined_test(self, node: n.Test) -> str:
        target = node.node
        if isinstance(target, n.Name):
            for scope in reversed(self.arrow_scopes):
                if target.name in scope:
                    return "True"
            if target.name in ("_self", "_context", "_charset"):
                return "True"
            return f"({target.name!r} in {self.ctx})"
        if isinstance(target, n.GetAttr):
            if target.kind == "method":
                return f"(({self.lenient_expr(target.node)}), False)[1]"
            obj = self.lenient_expr(target.node)
            return f"rt.has_attr({obj}, {self.lenient_expr(target.arg)})"
        if isinstance(target, n.Const | n.Array | n.Hash | n.MacroCall):
            return "True"
        if isinstance(target, n.Function) and target.name == "constant":
            return "True"
        raise self.fail('The "defined" test only works with simple variables.', node)

    def expr_unary(self, node: n.Unary) -> str:
        value = self.expr(node.node)
        if node.op == "not":
            return f"(not tr({value}))"
        return f"php.{node.op}({value})"

    def concat_parts(self, node) -> list[str]:
        # Iterative: a chain of thousands of ~ must not exhaust the stack.
        parts, pending = [], [node]
        while pending:
            current = pending.pop()
            if isinstance(current, n.Binary) and current.op == "~":
                pending.append(current.right)
                pending.append(current.left)
            else:
                parts.append(self.expr(current))
        return parts

    def expr_binary(self, node: n.Binary) -> str:
        op = node.op
        if op == "~":
            return f"cc({', '.join(self.concat_parts(node))})"
        if op == "??":
            temp = self.unique("_v")
            left, right = self.lenient_expr(node.left), self.expr(node.right)
            return f"({temp} if ({temp} := {left}) is not None else {right})"
        if op == "**" and isinstance(node.left, n.Unary) and node.left.op != "not":
            # Twig prints "-2 ** 2" into PHP without parentheses, where ** binds
            # tighter than unary minus: the result is -(2 ** 2).
            inner = n.Binary("**", node.left.node, node.right, lineno=node.lineno)
            return f"php.{node.left.op}({self.expr_binary(inner)})"
        if (
            op not in NOT_CHAINED
            and isinstance(node.left, n.Binary)
            and node.left.op not in NOT_CHAINED
        ):
            return self.binary_chain(node)
        return self.binary_code(op, self.expr(node.left), self.expr(node.right))

    def binary_chain(self, node: n.Binary) -> str:
        """Compile a left-nested chain of binary operators without nesting.

        ``a or b or c`` is ``((a or b) or c)``: compiled as nested Python
        calls, a chain of a few hundred operands would pass Python's limits
        (200 nested parentheses, the stack of its compiler).  A chain of one
        ``and``/``or`` is one flat Python ``or``; any other chain is a tuple
        of steps, each computing the next value from the previous one into a
        temporary, in PHP's order: left to right.
        """
        links = []
        while isinstance(node, n.Binary) and node.op not in NOT_CHAINED:
            links.append(node)
            node = node.left
        links.reverse()
        first = self.expr(node)
        ops = {link.op for link in links}
        if ops == {"or"} or ops == {"and"}:
            (op,) = ops
            terms = [first] + [self.expr(link.right) for link in links]
            return "(" + f" {op} ".join(f"tr({term})" for term in terms) + ")"
        temp = self.unique("_c")
        steps = [f"{temp} := {first}"]
        for link in links:
            code = self.binary_code(link.op, temp, self.expr(link.right))
            if link.op in ("and", "or", "!=", "not in"):
                code = code[1:-1]  # a step needs no parentheses of its own
            steps.append(f"{temp} := {code}")
        return f"({', '.join(steps)})[-1]"

    def binary_code(self, op: str, left: str, right: str) -> str:
        """Return the Python code of one binary operator on two operands' code."""
        if op == "and":
            return f"(tr({left}) and tr({right}))"
        if op == "or":
            return f"(tr({left}) or tr({right}))"
        if op == "!=":
            return f"(not php.loose_eq({left}, {right}))"
        if op == "in":
            return f"php.contains({right}, {left})"
        if op == "not in":
            return f"(not php.contains({right}, {left}))"
        if op == "..":
            return f"{self.binding('function', 'range')}({left}, {right})"
        return f"{_PHP_BINARY[op]}({left}, {right})"

    def expr_conditional(self, node: n.Conditional) -> str:
        if node.expr1 is node.test:
            temp = self.unique("_v")
            test = self.expr(node.test)
            return f"({temp} if tr({temp} := {test}) else {self.expr(node.expr2)})"
        return (
            f"({self.expr(node.expr1)} if tr({self.expr(node.test)}) "
            f"else {self.expr(node.expr2)})"
        )

    def expr_arrow(self, node: n.Arrow) -> str:
        scope = {name: self.unique("_a") for name in node.params}
        self.arrow_scopes.append(scope)
        try:
            body = self.expr(node.body)
        finally:
            self.arrow_scopes.pop()
        params = ", ".join(f"{local}=None" for local in scope.values())
        # An arrow runs once per item of a filter: it checks the deadline.
        return f"(lambda {params}, *_: rt.check_time() or {body})"

    def expr_macrocall(self, node: n.MacroCall) -> str:
        function = self.macro_names.get(node.name)
        if function is None:
            return f"rt.undefined_macro({node.name!r})"
        args = ", ".join(self.expr(arg) for arg in node.args)
        return f"{function}({args})"

    # --- autoescape analysis (Twig's SafeAnalysisNodeVisitor) ----------------

    def safe_for(self, node) -> set[str]:
        if isinstance(node, n.Const | n.MacroCall):
            return {"all"}
        branches = choice_branches(node)
        if branches is not None:
            left = self.safe_for(branches[0])
            right = self.safe_for(branches[1])
            if "all" in left:
                return right
            if "all" in right:
                return left
            return left & right
        if isinstance(node, n.Filter):
            if node.name in ("escape", "e"):
                function = self.environment.twig_lookup("filter", node.name)
                args = bind(function, node, kind="filter", name=node.name)
                if not args:
                    return {"html"}
                first = args[0]
                return {first.value} if isinstance(first, n.Const) else set()
            marked = getattr(
                self.environment.twig_lookup("filter", node.name), "twig_is_safe", None
            )
            if callable(marked):
                if not all(isinstance(arg, n.Const) for arg in node.args):
                    return set()
                return set(marked(*(arg.value for arg in node.args)))
            if marked is not None:
                return set(marked)
            return SAFE_FILTERS.get(node.name, set())
        return set()

    def escaped_expr(self, node, strategy: str) -> str:
        """Return the code of a printed value escaped for ``strategy``.

        As Twig's EscaperNodeVisitor: when one branch of ``?:``, ``??`` or a
        ternary is safe and the other is not, each branch is escaped on its
        own, so a literal string in a branch prints as written.
        """
        branches = choice_branches(node)
        if branches is not None:
            safe = [self.is_safe_for(strategy, branch) for branch in branches]
            if safe[0] != safe[1]:
                return self.escaped_choice(node, strategy, safe[0])
        if self.is_safe_for(strategy, node):
            return self.expr(node)
        return self.escaped(self.expr(node), strategy)

    def escaped(self, code: str, strategy: str) -> str:
        escape = self.binding("filter", "escape")
        return f"rt.autoescape({escape}, {code}, {strategy!r})"

    def escaped_choice(self, node, strategy: str, first_safe: bool) -> str:
        """Return the code of a choice whose branches are escaped one by one."""
        if isinstance(node, n.Binary) or node.expr1 is node.test:  # a ?? b, a ?: b
            temp = self.unique("_v")
            first = temp if first_safe else self.escaped(temp, strategy)
            second = self.escaped_expr(
                node.right if isinstance(node, n.Binary) else node.expr2, strategy
            )
            if isinstance(node, n.Binary):
                left = self.lenient_expr(node.left)
                return f"({first} if ({temp} := {left}) is not None else {second})"
            test = self.expr(node.test)
            return f"({first} if tr({temp} := {test}) else {second})"
        first = self.escaped_expr(node.expr1, strategy)
        second = self.escaped_expr(node.expr2, strategy)
        return f"({first} if tr({self.expr(node.test)}) else {second})"

    def pre_escape(self, name: str) -> str | None:
        marked = getattr(
            self.environment.twig_lookup("filter", name), "twig_pre_escape", None
        )
        return marked or PRE_ESCAPE_FILTERS.get(name)

    def is_safe_for(self, strategy: str, node) -> bool:
        safe = self.safe_for(node)
        return "all" in safe or strategy in safe


def choice_branches(node) -> tuple | None:
    """Return the two values ``?:``, ``??`` or a ternary chooses between."""
    if isinstance(node, n.Conditional):
        return node.expr1, node.expr2
    if isinstance(node, n.Binary) and node.op == "??":
        return node.left, node.right
    return None
