"""Parse Twig tokens into the syntax tree, as Twig's Parser/ExpressionParser do.

Expressions use Twig 3.5's precedence climbing with its operator table (see
``lexer.BINARY_OPERATORS``): a filter binds tighter than unary minus, ``~``
binds tighter than ``+``, ``??`` tighter than ``~``.  Unknown filters,
functions, tests and tags are syntax errors, as in Twig.
"""

from __future__ import annotations

from ..errors import TemplateSyntaxError
from . import nodes as n
from .lexer import (
    ARROW,
    BINARY_OPERATORS,
    BLOCK_END,
    BLOCK_START,
    EOF,
    INTERPOLATION_END,
    INTERPOLATION_START,
    NAME,
    NAME_PATTERN,
    NUMBER,
    OPERATOR,
    PUNCTUATION,
    STRING,
    TEXT,
    UNARY_OPERATORS,
    VAR_END,
    VAR_START,
    Token,
    tokenize,
)

# Tests whose single argument may be written without parentheses.
ONE_ARGUMENT_TESTS = frozenset({"same as", "divisible by"})
# Tags Twig has that need other templates; there is only one template here.
UNSUPPORTED_TAGS = frozenset(
    {"include", "extends", "embed", "use", "sandbox", "deprecated", "flush"}
)
_RESERVED = {"true", "false", "none", "null"}

# Twig 3.5's names in the order its extensions register them (CoreExtension,
# then EscaperExtension): "Did you mean" lists close names in this order.
TWIG_NAMES = {
    "filter": (
        "date", "date_modify", "format", "replace", "number_format", "abs",
        "round", "url_encode", "json_encode", "convert_encoding", "title",
        "capitalize", "upper", "lower", "striptags", "trim", "nl2br",
        "spaceless", "join", "split", "sort", "merge", "batch", "column",
        "filter", "map", "reduce", "reverse", "length", "slice", "first",
        "last", "default", "keys", "escape", "e", "raw",
    ),
    "function": (
        "max", "min", "range", "constant", "cycle", "random", "date",
        "include", "source",
    ),
    "test": (
        "even", "odd", "defined", "same as", "none", "null", "divisible by",
        "constant", "empty", "iterable",
    ),
    "tag": (
        "apply", "for", "if", "extends", "include", "block", "use", "macro",
        "import", "from", "set", "flush", "do", "embed", "with", "deprecated",
        "autoescape",
    ),
}  # fmt: skip


def unknown(kind: str, name: str) -> str:
    """Return Twig's message for an unknown name, with its suggestions."""
    message = f'Unknown "{name}" {kind}.'
    # SyntaxError::addSuggestions: a name within a third of the length in
    # edits, or containing the unknown one; closest first.
    close = [
        (distance, candidate)
        for candidate in TWIG_NAMES[kind]
        if (distance := _levenshtein(name, candidate)) <= len(name) / 3
        or name in candidate
    ]
    if not close:
        return message
    close.sort(key=lambda pair: pair[0])  # stable: ties keep Twig's order
    names = '", "'.join(candidate for _, candidate in close)
    return f'{message} Did you mean "{names}"?'


def _levenshtein(a: str, b: str) -> int:
    a, b = a.encode(), b.encode()  # PHP's levenshtein counts bytes
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y))
            )
        previous = current
    return previous[-1]


class TokenStream:
    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
        self.index = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def next(self) -> Token:
        token = self.tokens[self.index]
        if self.index + 1 >= len(self.tokens):
            raise TemplateSyntaxError(
                "Unexpected end of template.", line=token.line, column=token.column
            )
        self.index += 1
        return token

    def look(self, offset: int = 1) -> Token:
        index = self.index + offset
        if index >= len(self.tokens) or index < 0:
            last = self.tokens[-1]
            raise TemplateSyntaxError(
                "Unexpected end of template.", line=last.line, column=last.column
            )
        return self.tokens[index]

    def next_if(self, type_: str, values=None) -> Token | None:
        if self.current.test(type_, values):
            return self.next()
        return None

    def test(self, type_: str, values=None) -> bool:
        return self.current.test(type_, values)

    def expect(self, type_: str, value=None, message: str | None = None) -> Token:
        token = self.current
        if not token.test(type_, value):
            prefix = f"{message}. " if message else ""
            got = f' of value "{token.value}"' if token.value not in ("", None) else ""
            want = f' with value "{value}"' if value else ""
            raise TemplateSyntaxError(
                f'{prefix}Unexpected token "{token.type}"{got} '
                f'("{type_}" expected{want}).',
                line=token.line,
                column=token.column,
            )
        self.next()
        return token


def _at(token: Token) -> dict:
    return {"lineno": token.line, "col": token.column}


def _error(message: str, token: Token) -> TemplateSyntaxError:
    return TemplateSyntaxError(message, line=token.line, column=token.column)


class Parser:
    """Build a ``nodes.Module`` from Twig source.

    ``filters``, ``functions`` and ``tests`` are the names known to the
    environment; anything else is a syntax error at compile time, as in Twig.
    """

    def __init__(self, source: str, *, filters, functions, tests):
        self.stream = TokenStream(tokenize(source))
        self.filters = filters
        self.functions = functions
        self.tests = tests
        self.macros: dict[str, n.Macro] = {}
        # One dict per scope (template, then each macro): alias -> kind/target.
        self.imported: list[dict[str, tuple[str, str | None]]] = [
            {"_self": ("template", None)}
        ]
        self.temp_counter = 0
        # The tags whose bodies are being parsed, innermost last, for the
        # message of a closing tag that does not match.
        self.open_tags: list[str] = []
        # Block names and the lines they were defined at (names are unique).
        self.blocks: dict[str, int] = {}

    # --- template level --------------------------------------------------------

    def parse(self) -> n.Module:
        body = self.subparse(None)
        return n.Module(body, self.macros, lineno=1, col=1)

    def subparse(self, test, drop_needle: bool = False) -> list:
        """Parse up to the tag ``test`` accepts, or to the end of the template.

        At the end of the template the body is returned as it is: the tag's
        parser then fails on the missing end tag in Twig's words.
        """
        stream = self.stream
        body: list = []
        # Twig names the line where the body begins ("defined near line").
        opened_at = stream.current.line
        while stream.current.type != EOF:
            token = stream.current
            if token.type == TEXT:
                stream.next()
                body.append(n.Text(token.value, **_at(token)))
            elif token.type == VAR_START:
                stream.next()
                expr = self.parse_expression()
                stream.expect(VAR_END)
                body.append(n.Print(expr, **_at(token)))
            elif token.type == BLOCK_START:
                stream.next()
                tag = stream.current
                if tag.type != NAME:
                    raise _error("A block must start with a tag name.", tag)
                if test is not None and test(tag):
                    if drop_needle:
                        stream.next()
                    return body
                handler = getattr(self, f"parse_{tag.value}_tag", None)
                if handler is None or tag.value in ("else", "elseif"):
                    if tag.value in UNSUPPORTED_TAGS:
                        raise _error(
                            f'The "{tag.value}" tag is not supported: '
                            "templates cannot load other templates.",
                            tag,
                        )
                    if test is not None:
                        raise _error(
                            f'Unexpected "{tag.value}" tag (expecting closing tag '
                            f'for the "{self.open_tags[-1]}" tag defined near '
                            f"line {opened_at}).",
                            tag,
                        )
                    raise _error(unknown("tag", tag.value), tag)
                stream.next()
                self.open_tags.append(tag.value)
                try:
                    node = handler(tag)
                finally:
                    self.open_tags.pop()
                if node is not None:
                    body.append(node)
            else:
                raise _error("Lexer or parser ended up in unsupported state.", token)
        return body

    # --- tags ------------------------------------------------------------------

    def parse_if_tag(self, token: Token) -> n.If:
        stream = self.stream
        test = self.parse_expression()
        stream.expect(BLOCK_END)
        body = self.subparse(lambda t: t.value in ("else", "elseif", "endif"))
        node = n.If(test, body, [], [], **_at(token))
        while True:
            tag = stream.next()
            if tag.value == "else":
                stream.expect(BLOCK_END)
                node.else_ = self.subparse(lambda t: t.value == "endif")
            elif tag.value == "elseif":
                test = self.parse_expression()
                stream.expect(BLOCK_END)
                body = self.subparse(lambda t: t.value in ("else", "elseif", "endif"))
                node.elif_.append(n.If(test, body, [], [], **_at(tag)))
            elif tag.value == "endif":
                break
            else:
                raise _error(
                    "Unexpected end of template. Twig was looking for the following "
                    'tags "else", "elseif", or "endif" to close the "if" block '
                    f"started at line {token.line}).",
                    tag,
                )
        stream.expect(BLOCK_END)
        return node

    def parse_for_tag(self, token: Token) -> n.For:
        stream = self.stream
        targets = self.parse_assignment_targets()
        stream.expect(OPERATOR, "in")
        seq = self.parse_expression()
        stream.expect(BLOCK_END)
        body = self.subparse(lambda t: t.value in ("else", "endfor"))
        else_ = None
        if stream.next().value == "else":
            stream.expect(BLOCK_END)
            else_ = self.subparse(lambda t: t.value == "endfor", True)
        stream.expect(BLOCK_END)
        key, value = (
            (targets[0], targets[1]) if len(targets) > 1 else (None, targets[0])
        )
        with_loop = any(
            name.name in ("loop", "_context", "_parent")
            for part in body
            for name in part.find_all(n.Name)
        )
        return n.For(key, value, seq, body, else_, with_loop, **_at(token))

    def parse_set_tag(self, token: Token) -> n.Set:
        stream = self.stream
        names = self.parse_assignment_targets()
        if stream.next_if(OPERATOR, "="):
            values = [self.parse_expression()]
            while stream.next_if(PUNCTUATION, ","):
                values.append(self.parse_expression())
            stream.expect(BLOCK_END)
            if len(names) != len(values):
                raise _error(
                    "When using set, you must have the same number of variables "
                    "and assignments.",
                    stream.current,
                )
            return n.Set(names, values, None, **_at(token))
        if len(names) > 1:
            raise _error(
                "When using set with a block, you cannot have a multi-target.",
                stream.current,
            )
        stream.expect(BLOCK_END)
        body = self.subparse(lambda t: t.value == "endset", True)
        stream.expect(BLOCK_END)
        return n.Set(names, None, body, **_at(token))

    def parse_with_tag(self, token: Token) -> n.With:
        stream = self.stream
        variables, only = None, False
        if not stream.test(BLOCK_END):
            variables = self.parse_expression()
            only = bool(stream.next_if(NAME, "only"))
        stream.expect(BLOCK_END)
        body = self.subparse(lambda t: t.value == "endwith", True)
        stream.expect(BLOCK_END)
        return n.With(variables, only, body, **_at(token))

    def parse_autoescape_tag(self, token: Token) -> n.AutoEscape:
        stream = self.stream
        strategy = "html"
        if not stream.test(BLOCK_END):
            expr = self.parse_expression()
            if not isinstance(expr, n.Const):
                raise _error(
                    "An escaping strategy must be a string or false.", stream.current
                )
            strategy = expr.value
            if strategy is True:
                strategy = "html"
        stream.expect(BLOCK_END)
        body = self.subparse(lambda t: t.value == "endautoescape", True)
        stream.expect(BLOCK_END)
        return n.AutoEscape(strategy, body, **_at(token))

    def parse_apply_tag(self, token: Token) -> list:
        # Twig compiles apply as "set a temporary from the body, then print the
        # temporary through the filters" (ApplyTokenParser).
        self.temp_counter += 1
        temp = n.TempName(f"__apply_{self.temp_counter}", **_at(token))
        filtered = self.parse_filter_chain(temp)
        self.stream.expect(BLOCK_END)
        body = self.subparse(lambda t: t.value == "endapply", True)
        self.stream.expect(BLOCK_END)
        return n.With(
            None,
            False,
            [
                n.Set([temp.name], None, body, **_at(token)),
                n.Print(filtered, **_at(token)),
            ],
            **_at(token),
        )

    def parse_macro_tag(self, token: Token) -> None:
        stream = self.stream
        name = stream.expect(NAME).value
        args = self.parse_arguments(named=True, definition=True)
        stream.expect(BLOCK_END)
        self.imported.append({})
        body = self.subparse(lambda t: t.value == "endmacro", True)
        end = stream.next_if(NAME)
        if end is not None and end.value != name:
            raise _error(
                f'Expected endmacro for macro "{name}" (but "{end.value}" given).',
                stream.current,
            )
        self.imported.pop()
        stream.expect(BLOCK_END)
        # A later macro of the same name replaces the earlier (Parser::setMacro).
        self.macros.pop(name, None)
        self.macros[name] = n.Macro(name, args, body, **_at(token))
        return None

    def parse_import_tag(self, token: Token) -> n.Import:
        stream = self.stream
        source = self.parse_expression()
        stream.expect(NAME, "as")
        alias = stream.expect(NAME).value
        stream.expect(BLOCK_END)
        self.imported[-1][alias] = ("template", None)
        return n.Import(source, alias, **_at(token))

    def parse_from_tag(self, token: Token) -> n.FromImport:
        stream = self.stream
        source = self.parse_expression()
        stream.expect(NAME, "import")
        names = []
        while True:
            name = stream.expect(NAME).value
            alias = name
            if stream.next_if(NAME, "as"):
                alias = stream.expect(NAME).value
            names.append((name, alias))
            self.imported[-1][alias] = ("function", name)
            if not stream.next_if(PUNCTUATION, ","):
                break
        stream.expect(BLOCK_END)
        return n.FromImport(source, names, **_at(token))

    def parse_do_tag(self, token: Token) -> n.Do:
        expr = self.parse_expression()
        self.stream.expect(BLOCK_END)
        return n.Do(expr, **_at(token))

    def parse_block_tag(self, token: Token) -> n.Block:
        stream = self.stream
        name = stream.expect(NAME).value
        if name in self.blocks:
            raise _error(
                f"The block '{name}' has already been defined line "
                f"{self.blocks[name]}.",
                stream.current,
            )
        self.blocks[name] = token.line
        if stream.next_if(BLOCK_END):
            # Imports inside a block are its own, as in a macro.
            self.imported.append({})
            body = self.subparse(lambda t: t.value == "endblock", True)
            self.imported.pop()
            end = stream.next_if(NAME)
            if end is not None and end.value != name:
                raise _error(
                    f'Expected endblock for block "{name}" (but "{end.value}" given).',
                    stream.current,
                )
        else:
            body = [n.Print(self.parse_expression(), **_at(token))]
        stream.expect(BLOCK_END)
        return n.Block(name, body, **_at(token))

    # --- expressions -----------------------------------------------------------

    def parse_expression(self, precedence: int = 0, allow_arrow: bool = False):
        if allow_arrow:
            arrow = self.parse_arrow()
            if arrow is not None:
                return arrow
        expr = self.get_primary()
        stream = self.stream
        token = stream.current
        while (
            token.type == OPERATOR
            and token.value in BINARY_OPERATORS
            and BINARY_OPERATORS[token.value][0] >= precedence
        ):
            op_precedence, right = BINARY_OPERATORS[token.value]
            stream.next()
            if token.value == "is not":
                test = self.parse_test(expr)
                expr = n.Unary("not", test, **_at(token))
            elif token.value == "is":
                expr = self.parse_test(expr)
            else:
                operand = self.parse_expression(
                    op_precedence if right else op_precedence + 1, True
                )
                expr = n.Binary(token.value, expr, operand, **_at(token))
            token = stream.current
        if precedence == 0:
            return self.parse_conditional(expr)
        return expr

    def parse_arrow(self):
        stream = self.stream
        if stream.look(1).type == ARROW:
            token = stream.expect(NAME)
            stream.expect(ARROW)
            return n.Arrow([token.value], self.parse_expression(0), **_at(token))
        if not stream.current.test(PUNCTUATION, "("):
            return None
        i = 1
        while True:
            i += 1
            if not stream.look(i).test(PUNCTUATION, ","):
                break
            i += 1
        if not stream.look(i).test(PUNCTUATION, ")"):
            return None
        if stream.look(i + 1).type != ARROW:
            return None
        start = stream.expect(PUNCTUATION, "(")
        params = []
        while True:
            params.append(stream.expect(NAME).value)
            if not stream.next_if(PUNCTUATION, ","):
                break
        stream.expect(PUNCTUATION, ")")
        stream.expect(ARROW)
        return n.Arrow(params, self.parse_expression(0), **_at(start))

    def get_primary(self):
        stream = self.stream
        token = stream.current
        if token.type == OPERATOR and token.value in UNARY_OPERATORS:
            stream.next()
            operand = self.parse_expression(UNARY_OPERATORS[token.value])
            op = {"not": "not", "-": "neg", "+": "pos"}[token.value]
            return self.parse_postfix(n.Unary(op, operand, **_at(token)))
        if token.test(PUNCTUATION, "("):
            stream.next()
            expr = self.parse_expression()
            stream.expect(
                PUNCTUATION, ")", "An opened parenthesis is not properly closed"
            )
            return self.parse_postfix(expr)
        return self.parse_primary()

    def parse_conditional(self, expr):
        stream = self.stream
        while question := stream.next_if(PUNCTUATION, "?"):
            if not stream.next_if(PUNCTUATION, ":"):
                expr2 = self.parse_expression()
                if stream.next_if(PUNCTUATION, ":"):
                    expr3 = self.parse_expression()
                else:
                    expr3 = n.Const("", **_at(stream.current))
            else:
                expr2, expr3 = expr, self.parse_expression()
            expr = n.Conditional(expr, expr2, expr3, **_at(question))
        return expr

    def parse_primary(self):
        stream = self.stream
        token = stream.current
        if token.type == NAME:
            stream.next()
            if token.value in ("true", "TRUE"):
                node = n.Const(True, **_at(token))
            elif token.value in ("false", "FALSE"):
                node = n.Const(False, **_at(token))
            elif token.value in ("none", "NONE", "null", "NULL"):
                node = n.Const(None, **_at(token))
            elif stream.current.test(PUNCTUATION, "("):
                node = self.get_function_node(token)
            else:
                node = n.Name(token.value, **_at(token))
        elif token.type == NUMBER:
            stream.next()
            node = n.Const(token.value, **_at(token))
        elif token.type in (STRING, INTERPOLATION_START):
            node = self.parse_string()
        elif token.type == OPERATOR and NAME_PATTERN.fullmatch(token.value):
            # In this position a word operator ("in", "matches"…) is a name.
            stream.next()
            node = n.Name(token.value, **_at(token))
        elif token.type == OPERATOR and token.value in ("-", "+"):
            stream.next()
            operand = self.parse_primary()
            op = "neg" if token.value == "-" else "pos"
            node = n.Unary(op, operand, **_at(token))
        elif token.test(PUNCTUATION, "["):
            node = self.parse_array()
        elif token.test(PUNCTUATION, "{"):
            node = self.parse_hash()
        elif token.test(OPERATOR, "=") and stream.look(-1).value in ("==", "!="):
            raise _error(
                'Unexpected operator of value "=". Did you try to use "===" or '
                '"!==" for strict comparison? Use "is same as(value)" instead.',
                token,
            )
        elif token.type == OPERATOR and token.value == "not":
            raise _error('Unexpected unary operator "not".', token)
        else:
            raise _error(
                f'Unexpected token "{token.type}" of value "{token.value}".', token
            )
        return self.parse_postfix(node)

    def parse_string(self):
        stream = self.stream
        parts = []
        next_can_be_string = True
        while True:
            token = stream.current
            if next_can_be_string and token.type == STRING:
                stream.next()
                parts.append(n.Const(token.value, **_at(token)))
                next_can_be_string = False
            elif token.type == INTERPOLATION_START:
                stream.next()
                parts.append(self.parse_expression())
                stream.expect(INTERPOLATION_END)
                next_can_be_string = True
            else:
                break
        expr = parts[0]
        for part in parts[1:]:
            expr = n.Binary("~", expr, part, lineno=part.lineno, col=part.col)
        return expr

    def parse_array(self) -> n.Array:
        stream = self.stream
        start = stream.expect(PUNCTUATION, "[", "An array element was expected")
        items = []
        while not stream.test(PUNCTUATION, "]"):
            if items:
                stream.expect(
                    PUNCTUATION, ",", "An array element must be followed by a comma"
                )
                if stream.test(PUNCTUATION, "]"):
                    break
            items.append(self.parse_expression())
        stream.expect(PUNCTUATION, "]", "An opened array is not properly closed")
        return n.Array(items, **_at(start))

    def parse_hash(self) -> n.Hash:
        stream = self.stream
        start = stream.expect(PUNCTUATION, "{", "A hash element was expected")
        pairs = []
        while not stream.test(PUNCTUATION, "}"):
            if pairs:
                stream.expect(
                    PUNCTUATION, ",", "A hash value must be followed by a comma"
                )
                if stream.test(PUNCTUATION, "}"):
                    break
            token = stream.current
            if token.type == NAME:
                stream.next()
                key = n.Const(token.value, **_at(token))
                # {a} is a shortcut for {a: a}
                if stream.current.test(PUNCTUATION, (",", "}")):
                    pairs.append(n.Pair(key, n.Name(token.value, **_at(token))))
                    continue
            elif token.type in (STRING, NUMBER):
                stream.next()
                key = n.Const(token.value, **_at(token))
            elif token.test(PUNCTUATION, "("):
                key = self.parse_expression()
            else:
                raise _error(
                    "A hash key must be a quoted string, a number, a name, or an "
                    "expression enclosed in parentheses (unexpected token "
                    f'"{token.type}" of value "{token.value}".',
                    token,
                )
            stream.expect(
                PUNCTUATION, ":", "A hash key must be followed by a colon (:)"
            )
            pairs.append(n.Pair(key, self.parse_expression(), **_at(token)))
        stream.expect(PUNCTUATION, "}", "An opened hash is not properly closed")
        return n.Hash(pairs, **_at(start))

    def parse_postfix(self, node):
        stream = self.stream
        while True:
            token = stream.current
            if token.type != PUNCTUATION:
                return node
            if token.value in (".", "["):
                node = self.parse_subscript(node)
            elif token.value == "|":
                stream.next()
                node = self.parse_filter_chain(node)
            else:
                return node

    def imported_symbol(self, kind: str, name: str):
        for scope in (self.imported[-1], self.imported[0]):
            entry = scope.get(name)
            if entry is not None and entry[0] == kind:
                return entry
        return None

    def get_function_node(self, token: Token):
        name = token.value
        if name == "attribute":
            args, _ = self.parse_arguments()
            if len(args) < 2:
                raise _error(
                    'The "attribute" function takes at least two arguments (the '
                    "variable and the attributes).",
                    token,
                )
            return n.GetAttr(args[0], args[1], "any", **_at(token))
        symbol = self.imported_symbol("function", name)
        if symbol is not None:
            args, _ = self.parse_arguments()
            return n.MacroCall(symbol[1], args, [], **_at(token))
        args, kwargs = self.parse_arguments(named=True, call=f'function "{name}"')
        if name not in self.functions:
            raise _error(unknown("function", name), token)
        return n.Function(name, args, kwargs, **_at(token))

    def parse_subscript(self, node):
        stream = self.stream
        token = stream.next()
        if token.value == ".":
            attr = stream.next()
            if attr.type in (NAME, NUMBER) or (
                attr.type == OPERATOR and NAME_PATTERN.match(attr.value)
            ):
                arg = n.Const(attr.value, **_at(attr))
            else:
                raise _error(
                    f'Expected name or number, got value "{attr.value}" of type '
                    f"{attr.type}.",
                    token,
                )
            is_call = stream.test(PUNCTUATION, "(")
            if isinstance(node, n.Name) and self.imported_symbol("template", node.name):
                args, _ = self.parse_arguments() if is_call else ([], [])
                return n.MacroCall(attr.value, args, [], **_at(attr))
            if is_call:
                # Twig makes method calls on arrays and scalars null; arguments
                # are parsed and ignored.
                self.parse_arguments()
                return n.GetAttr(node, arg, "method", **_at(token))
            return n.GetAttr(node, arg, "any", **_at(token))

        slice_ = False
        if stream.test(PUNCTUATION, ":"):
            slice_ = True
            arg = n.Const(0, **_at(token))
        else:
            arg = self.parse_expression()
        if stream.next_if(PUNCTUATION, ":"):
            slice_ = True
        if slice_:
            if stream.test(PUNCTUATION, "]"):
                length = n.Const(None, **_at(token))
            else:
                length = self.parse_expression()
            stream.expect(PUNCTUATION, "]")
            if "slice" not in self.filters:
                raise _error('Unknown "slice" filter.', token)
            return n.Filter(node, "slice", [arg, length], [], **_at(token))
        stream.expect(PUNCTUATION, "]")
        return n.GetAttr(node, arg, "array", **_at(token))

    def parse_filter_chain(self, node):
        stream = self.stream
        while True:
            token = stream.expect(NAME)
            if stream.test(PUNCTUATION, "("):
                args, kwargs = self.parse_arguments(
                    named=True, allow_arrow=True, call=f'filter "{token.value}"'
                )
            else:
                args, kwargs = [], []
            if token.value not in self.filters:
                raise _error(unknown("filter", token.value), token)
            node = n.Filter(node, token.value, args, kwargs, **_at(token))
            if not stream.test(PUNCTUATION, "|"):
                return node
            stream.next()

    def parse_arguments(
        self,
        named: bool = False,
        definition: bool = False,
        allow_arrow: bool = False,
        call: str = "",
    ):
        """Parse ``(…)``; ``call`` names the callee in messages: 'filter "slice"'."""
        stream = self.stream
        args: list = []
        kwargs: list = []
        opening = stream.expect(
            PUNCTUATION,
            "(",
            "A list of arguments must begin with an opening parenthesis",
        )
        while not stream.test(PUNCTUATION, ")"):
            if args or kwargs:
                stream.expect(
                    PUNCTUATION, ",", "Arguments must be separated by a comma"
                )
                if stream.test(PUNCTUATION, ")"):
                    break
            if definition:
                token = stream.expect(NAME, None, "An argument must be a name")
                value = n.Name(token.value, **_at(token))
            else:
                value = self.parse_expression(0, allow_arrow)
            equals = named and stream.next_if(OPERATOR, "=")
            if equals:
                if not isinstance(value, n.Name):
                    raise _error(
                        'A parameter name must be a string, "'
                        f'{type(value).__name__}" given.',
                        equals,
                    )
                if definition:
                    default = self.parse_primary()
                    if not _is_constant(default):
                        raise _error(
                            "A default value for an argument must be a constant (a "
                            "boolean, a string, a number, or an array).",
                            equals,
                        )
                    kwargs.append(n.MacroArg(value.name, default, **_at(equals)))
                else:
                    kwargs.append(
                        n.Keyword(
                            value.name,
                            self.parse_expression(0, allow_arrow),
                            **_at(equals),
                        )
                    )
            elif definition:
                kwargs.append(
                    n.MacroArg(value.name, n.Const(None), lineno=value.lineno)
                )
            elif kwargs:
                # Twig checks this when compiling the call: at the call's line.
                raise _error(
                    "Positional arguments cannot be used after named arguments"
                    + (f" for {call}." if call else "."),
                    opening,
                )
            else:
                args.append(value)
        stream.expect(
            PUNCTUATION, ")", "A list of arguments must be closed by a parenthesis"
        )
        if definition:
            return kwargs
        return args, kwargs

    def parse_assignment_targets(self) -> list[str]:
        stream = self.stream
        targets = []
        while True:
            token = stream.current
            if token.type == OPERATOR and NAME_PATTERN.fullmatch(token.value):
                stream.next()
            else:
                stream.expect(NAME, None, "Only variables can be assigned to")
            if token.value.lower() in _RESERVED:
                raise _error(f'You cannot assign a value to "{token.value}".', token)
            targets.append(token.value)
            if not stream.next_if(PUNCTUATION, ","):
                return targets

    def parse_test(self, node):
        stream = self.stream
        token = stream.expect(NAME)
        name = token.value
        if name not in self.tests and stream.current.type == NAME:
            two_words = f"{name} {stream.current.value}"
            if two_words in self.tests:
                stream.next()
                name = two_words
        if name not in self.tests:
            # Twig names the line of the tested value.
            raise TemplateSyntaxError(
                unknown("test", name), line=node.lineno, column=token.column
            )
        args: list = []
        kwargs: list = []
        if stream.test(PUNCTUATION, "("):
            args, kwargs = self.parse_arguments(named=True, call=f'test "{name}"')
        elif name in ONE_ARGUMENT_TESTS:
            args = [self.parse_primary()]
        return n.Test(node, name, args, kwargs, **_at(token))


def _is_constant(node) -> bool:
    if isinstance(node, n.Const):
        return True
    if isinstance(node, n.Array):
        return all(_is_constant(item) for item in node.items)
    if isinstance(node, n.Hash):
        return all(_is_constant(p.key) and _is_constant(p.value) for p in node.pairs)
    if isinstance(node, n.Unary) and node.op in ("neg", "pos"):
        return _is_constant(node.node)
    return False


def parse(source: str, *, filters, functions, tests) -> n.Module:
    """Parse Twig source into a ``nodes.Module``."""
    return Parser(source, filters=filters, functions=functions, tests=tests).parse()
