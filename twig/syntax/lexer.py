"""Tokenize Twig 3.5 source, following Twig's own lexer (Twig/Lexer.php).

The rules that shape the output are Twig's: the first newline after ``%}`` and
``#}`` is dropped, ``-`` trims all whitespace on its side, ``~`` trims spaces and
tabs only, ``\\r\\n`` and ``\\r`` become ``\\n``, ``#{...}`` interpolates inside
double-quoted strings only, and ``{% verbatim %}`` passes its body through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import TemplateSyntaxError

TEXT = "text"
BLOCK_START = "begin of statement block"
VAR_START = "begin of print statement"
BLOCK_END = "end of statement block"
VAR_END = "end of print statement"
NAME = "name"
NUMBER = "number"
STRING = "string"
OPERATOR = "operator"
PUNCTUATION = "punctuation"
INTERPOLATION_START = "begin of string interpolation"
INTERPOLATION_END = "end of string interpolation"
ARROW = "arrow function"
EOF = "end of template"

UNARY_OPERATORS = {"not": 50, "-": 500, "+": 500}

# name -> (precedence, right associative); Twig 3.5 CoreExtension::getOperators.
BINARY_OPERATORS = {
    "or": (10, False),
    "and": (15, False),
    "b-or": (16, False),
    "b-xor": (17, False),
    "b-and": (18, False),
    "==": (20, False),
    "!=": (20, False),
    "<=>": (20, False),
    "<": (20, False),
    ">": (20, False),
    ">=": (20, False),
    "<=": (20, False),
    "not in": (20, False),
    "in": (20, False),
    "matches": (20, False),
    "starts with": (20, False),
    "ends with": (20, False),
    "has some": (20, False),
    "has every": (20, False),
    "..": (25, False),
    "+": (30, False),
    "-": (30, False),
    "~": (40, False),
    "*": (60, False),
    "/": (60, False),
    "//": (60, False),
    "%": (60, False),
    "is": (100, False),
    "is not": (100, False),
    "**": (200, True),
    "??": (300, True),
}


def _operator_regex() -> re.Pattern:
    operators = sorted(
        {"=", *UNARY_OPERATORS, *BINARY_OPERATORS}, key=len, reverse=True
    )
    parts = []
    for operator in operators:
        pattern = re.escape(operator)
        # A word operator must be followed by whitespace, a parenthesis or an
        # opening bracket, and must not follow "." or "|" (then it is a name).
        if operator[-1].isalpha():
            pattern += r"(?=[\s()\[{])"
        if operator[0].isalpha():
            pattern = r"(?<![.|])" + pattern
        parts.append(pattern.replace(r"\ ", r"\s+"))
    return re.compile("|".join(parts))


_WS_LINE = " \t\0\x0b"
_RE_OPERATOR = _operator_regex()
NAME_PATTERN = re.compile(r"[a-zA-Z_\x7f-\U0010ffff][a-zA-Z0-9_\x7f-\U0010ffff]*")
_RE_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?([Ee][+\-][0-9]+)?")
_RE_STRING = re.compile(
    r'"([^#"\\]*(?:\\.[^#"\\]*)*)"|\'([^\'\\]*(?:\\.[^\'\\]*)*)\'', re.S
)
_RE_DQ_STRING_PART = re.compile(r'[^#"\\]*(?:(?:\\.|#(?!\{))[^#"\\]*)*', re.S)
_RE_WHITESPACE = re.compile(r"\s+")
_RE_VAR_END = re.compile(r"\s*(?:-\}\}\s*|~\}\}[ \t\0\x0b]*|\}\})")
_RE_BLOCK_END = re.compile(r"\s*(?:-%\}\s*\n?|~%\}[ \t\0\x0b]*|%\}\n?)")
_RE_COMMENT_END = re.compile(r"(?:-#\}\s*\n?|~#\}[ \t\0\x0b]*|#\}\n?)", re.S)
_RE_VERBATIM_START = re.compile(r"\s*verbatim\s*(?:-%\}\s*|~%\}[ \t\0\x0b]*|%\})", re.S)
_RE_VERBATIM_END = re.compile(
    r"\{%(-|~)?\s*endverbatim\s*(?:-%\}\s*|~%\}[ \t\0\x0b]*|%\})", re.S
)
_RE_LINE = re.compile(r"\s*line\s+(\d+)\s*%\}", re.S)
_RE_TOKENS_START = re.compile(r"(\{\{|\{%|\{#)(-|~)?")
_RE_INTERPOLATION_START = re.compile(r"#\{\s*")
_RE_INTERPOLATION_END = re.compile(r"\s*\}")

_STATE_DATA, _STATE_BLOCK, _STATE_VAR, _STATE_STRING, _STATE_INTERP = range(5)


@dataclass(slots=True)
class Token:
    type: str
    value: object
    line: int
    column: int

    def test(self, type_: str, values=None) -> bool:
        if self.type != type_:
            return False
        if values is None:
            return True
        if isinstance(values, str):
            return self.value == values
        return self.value in values


_SIMPLE_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "a": "\a",
    "v": "\v",
    "b": "\b",
    "f": "\f",
}
_RE_CSLASH = re.compile(r"\\(x[0-9A-Fa-f]{1,2}|[0-7]{1,3}|.)", re.S)


def stripcslashes(text: str) -> str:
    """Unescape a string literal the way PHP's stripcslashes() does."""

    def replace(match: re.Match) -> str:
        code = match.group(1)
        if code in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[code]
        if code[0] == "x" and len(code) > 1:
            return chr(int(code[1:], 16))
        if code[0] in "01234567":
            return chr(int(code, 8) & 0xFF)
        return code

    return _RE_CSLASH.sub(replace, text) if "\\" in text else text


class Lexer:
    """Turn one template source into a list of tokens."""

    def __init__(self, source: str):
        self.code = source.replace("\r\n", "\n").replace("\r", "\n")
        self.cursor = 0
        self.line = 1
        self.end = len(self.code)
        self.tokens: list[Token] = []
        self.state = _STATE_DATA
        self.states: list[int] = []
        self.brackets: list[tuple[str, int, int]] = []
        self.var_block_line = 1
        self.var_block_column = 1

    # --- helpers ---------------------------------------------------------------

    def column_at(self, offset: int) -> int:
        return offset - self.code.rfind("\n", 0, offset)

    def error(self, message: str, line: int | None = None, column=None):
        return TemplateSyntaxError(
            message,
            line=self.line if line is None else line,
            column=column if column is not None else self.column_at(self.cursor),
        )

    def push(self, type_: str, value: object = "", offset: int | None = None):
        if type_ == TEXT and value == "":
            return
        offset = self.cursor if offset is None else offset
        self.tokens.append(Token(type_, value, self.line, self.column_at(offset)))

    def move(self, text: str) -> None:
        self.cursor += len(text)
        self.line += text.count("\n")

    def push_state(self, state: int) -> None:
        self.states.append(self.state)
        self.state = state

    def pop_state(self) -> None:
        self.state = self.states.pop()

    # --- driver ----------------------------------------------------------------

    def tokenize(self) -> list[Token]:
        self.starts = list(_RE_TOKENS_START.finditer(self.code))
        self.position = -1
        handlers = {
            _STATE_DATA: self.lex_data,
            _STATE_BLOCK: self.lex_block,
            _STATE_VAR: self.lex_var,
            _STATE_STRING: self.lex_string,
            _STATE_INTERP: self.lex_interpolation,
        }
        while self.cursor < self.end:
            handlers[self.state]()
        self.push(EOF)
        if self.brackets:
            expect, line, column = self.brackets.pop()
            raise self.error(f'Unclosed "{expect}".', line, column)
        if self.state in (_STATE_BLOCK, _STATE_VAR):
            kind = "block" if self.state == _STATE_BLOCK else "variable"
            raise self.error(
                f'Unclosed "{kind}".', self.var_block_line, self.var_block_column
            )
        return self.tokens

    def lex_data(self) -> None:
        if self.position == len(self.starts) - 1:
            self.push(TEXT, self.code[self.cursor :])
            self.cursor = self.end
            return
        self.position += 1
        start = self.starts[self.position]
        while start.start() < self.cursor:
            if self.position == len(self.starts) - 1:
                return
            self.position += 1
            start = self.starts[self.position]

        text = raw = self.code[self.cursor : start.start()]
        if start.group(2) == "-":
            text = text.rstrip()
        elif start.group(2) == "~":
            text = text.rstrip(_WS_LINE)
        self.push(TEXT, text)
        tag_offset = start.start()
        self.move(raw + start.group(0))

        opener = start.group(1)
        if opener == "{#":
            self.lex_comment()
        elif opener == "{%":
            verbatim = _RE_VERBATIM_START.match(self.code, self.cursor)
            line_tag = _RE_LINE.match(self.code, self.cursor)
            if verbatim:
                self.move(verbatim.group(0))
                self.lex_raw_data()
            elif line_tag:
                self.move(line_tag.group(0))
                self.line = int(line_tag.group(1))
            else:
                self.push(BLOCK_START, offset=tag_offset)
                self.push_state(_STATE_BLOCK)
                self.var_block_line = self.line
                self.var_block_column = self.column_at(tag_offset)
        else:
            self.push(VAR_START, offset=tag_offset)
            self.push_state(_STATE_VAR)
            self.var_block_line = self.line
            self.var_block_column = self.column_at(tag_offset)

    def lex_block(self) -> None:
        match = not self.brackets and _RE_BLOCK_END.match(self.code, self.cursor)
        if match:
            self.push(BLOCK_END)
            self.move(match.group(0))
            self.pop_state()
        else:
            self.lex_expression()

    def lex_var(self) -> None:
        match = not self.brackets and _RE_VAR_END.match(self.code, self.cursor)
        if match:
            self.push(VAR_END)
            self.move(match.group(0))
            self.pop_state()
        else:
            self.lex_expression()

    def lex_expression(self) -> None:
        code, cursor = self.code, self.cursor
        match = _RE_WHITESPACE.match(code, cursor)
        if match:
            self.move(match.group(0))
            cursor = self.cursor
            if cursor >= self.end:
                kind = "block" if self.state == _STATE_BLOCK else "variable"
                raise self.error(
                    f'Unclosed "{kind}".', self.var_block_line, self.var_block_column
                )
        char = code[cursor]
        if code.startswith("=>", cursor):
            self.push(ARROW, "=>")
            self.move("=>")
        elif match := _RE_OPERATOR.match(code, cursor):
            self.push(OPERATOR, re.sub(r"\s+", " ", match.group(0)))
            self.move(match.group(0))
        elif match := NAME_PATTERN.match(code, cursor):
            self.push(NAME, match.group(0))
            self.move(match.group(0))
        elif match := _RE_NUMBER.match(code, cursor):
            text = match.group(0)
            number = int(text) if text.isdigit() else float(text)
            if isinstance(number, int) and number > 2**63 - 1:
                number = float(number)
            self.push(NUMBER, number)
            self.move(text)
        elif char in "()[]{}?:.,|":
            if char in "([{":
                self.brackets.append((char, self.line, self.column_at(cursor)))
            elif char in ")]}":
                if not self.brackets:
                    raise self.error(f'Unexpected "{char}".')
                expect, line, column = self.brackets.pop()
                if char != {"(": ")", "[": "]", "{": "}"}.get(expect):
                    raise self.error(f'Unclosed "{expect}".', line, column)
            self.push(PUNCTUATION, char)
            self.cursor += 1
        elif match := _RE_STRING.match(code, cursor):
            self.push(STRING, stripcslashes(match.group(0)[1:-1]))
            self.move(match.group(0))
        elif char == '"':
            self.brackets.append(('"', self.line, self.column_at(cursor)))
            self.push_state(_STATE_STRING)
            self.move('"')
        else:
            raise self.error(f'Unexpected character "{char}".')

    def lex_raw_data(self) -> None:
        match = _RE_VERBATIM_END.search(self.code, self.cursor)
        if not match:
            raise self.error('Unexpected end of file: Unclosed "verbatim" block.')
        text = self.code[self.cursor : match.start()]
        line, column = self.line, self.column_at(self.cursor)
        self.move(text + match.group(0))
        if match.group(1) == "-":
            text = text.rstrip()
        elif match.group(1) == "~":
            text = text.rstrip(_WS_LINE)
        if text:
            self.tokens.append(Token(TEXT, text, line, column))

    def lex_comment(self) -> None:
        match = _RE_COMMENT_END.search(self.code, self.cursor)
        if not match:
            raise self.error("Unclosed comment.")
        self.move(self.code[self.cursor : match.end()])

    def lex_string(self) -> None:
        code, cursor = self.code, self.cursor
        if match := _RE_INTERPOLATION_START.match(code, cursor):
            self.brackets.append(("#{", self.line, self.column_at(cursor)))
            self.push(INTERPOLATION_START)
            self.move(match.group(0))
            self.push_state(_STATE_INTERP)
        elif (match := _RE_DQ_STRING_PART.match(code, cursor)) and match.group(0):
            self.push(STRING, stripcslashes(match.group(0)))
            self.move(match.group(0))
        elif code[cursor] == '"':
            self.brackets.pop()
            self.pop_state()
            self.cursor += 1
        else:
            expect, line, column = self.brackets.pop()
            raise self.error(f'Unclosed "{expect}".', line, column)

    def lex_interpolation(self) -> None:
        bracket = self.brackets[-1] if self.brackets else None
        match = _RE_INTERPOLATION_END.match(self.code, self.cursor)
        if bracket and bracket[0] == "#{" and match:
            self.brackets.pop()
            self.push(INTERPOLATION_END)
            self.move(match.group(0))
            self.pop_state()
        else:
            self.lex_expression()


def tokenize(source: str) -> list[Token]:
    """Return the tokens of a Twig template, ending with an EOF token."""
    return Lexer(source).tokenize()
