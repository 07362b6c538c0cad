// Twig highlighting for the endpoint templates, as a CodeMirror stream language.
//
// A stream tokenizer rather than a Lezer grammar: the templates are short, the
// highlighting need not be a full parse, and a tokenizer tolerates the half-typed
// text a live editor sees most of the time. Outside Twig tags the literal text is
// highlighted as JSON, a URL or plain text, depending on the mode.

import { StreamLanguage } from "@codemirror/language";
import { Tag, tags } from "@lezer/highlight";

/** The highlighting tag of a filter name after "|", styled apart from functions. */
export const filterTag = Tag.define(tags.name);

const OPENERS = { "{{": "var", "{%": "block", "{#": "comment" };

// Words that are operators inside expressions (Twig 3 "Operators" reference).
const WORD_OPERATORS = new Set([
  "and", "or", "not", "in", "is", "matches", "starts", "ends", "with",
  "b-and", "b-or", "b-xor",
]);
const CONSTANTS = new Set(["true", "false", "null", "none", "TRUE", "FALSE", "NULL", "NONE"]);
// Keywords that follow the tag name inside block tags ({% for k, v in m %}, {% include … with … only %}).
const TAG_KEYWORDS = new Set(["as", "with", "only", "ignore", "missing", "from", "import", "if", "else"]);
// The variables every endpoint template is given (docs/templates.md), shown apart from locals.
const CONTEXT_ROOTS = new Set([
  "requestBody", "query", "response", "app", "authorization", "loop", "_self", "_context",
]);

/** Create the start state of the tokenizer. */
function startState() {
  return {
    tag: null, // "var" | "block" | "comment" while inside a Twig tag
    tagWord: false, // the next identifier names a block tag (if, for, set …)
    depth: 0, // braces open inside the tag, so "}}" in a hash literal does not end it
    quote: null, // quote character of a string inside a tag
    interpolation: 0, // brace depth inside "#{…}" of a double-quoted string
    afterPipe: false, // the next identifier is a filter
    afterDot: false, // the next identifier is an attribute
    afterIs: false, // the next identifier is a test (defined, empty …)
    verbatim: false, // inside {% verbatim %}: text is not Twig
    jsonString: false, // inside a JSON string literal in the literal text
  };
}

function copyState(state) {
  return { ...state };
}

/** Consume a Twig opening delimiter with its whitespace-control modifier. */
function openTag(stream, state) {
  const kind = OPENERS[stream.peek() + (stream.string.charAt(stream.pos + 1) || "")];
  if (!kind) return null;
  stream.pos += 2;
  if (kind !== "comment") stream.match(/^[-~]/);
  state.tag = kind;
  state.tagWord = kind === "block";
  state.depth = 0;
  state.afterPipe = state.afterDot = state.afterIs = false;
  return kind === "comment" ? "comment" : "meta";
}

function closeTag(state) {
  state.tag = null;
  state.quote = null;
  state.interpolation = 0;
}

function tokenComment(stream, state) {
  while (!stream.eol()) {
    if (stream.match("#}")) {
      closeTag(state);
      return "comment";
    }
    stream.next();
  }
  return "comment";
}

function tokenTagString(stream, state) {
  while (!stream.eol()) {
    const ch = stream.peek();
    if (ch === "\\") {
      stream.pos += 2;
      continue;
    }
    if (ch === state.quote) {
      stream.next();
      state.quote = null;
      return "string";
    }
    // Twig interpolates "#{expr}" in double-quoted strings only.
    if (state.quote === '"' && ch === "#" && stream.string.charAt(stream.pos + 1) === "{") {
      if (stream.pos > stream.start) return "string";
      stream.pos += 2;
      state.quote = null;
      state.interpolation = 1;
      return "meta";
    }
    stream.next();
  }
  return "string";
}

function tokenIdentifier(stream, state, word) {
  if (state.tagWord) {
    state.tagWord = false;
    if (word === "verbatim") state.verbatim = true;
    return "keyword";
  }
  if (state.afterPipe) {
    state.afterPipe = false;
    return "filter";
  }
  if (state.afterDot) {
    state.afterDot = false;
    return "propertyName";
  }
  if (state.afterIs) {
    // "is not defined", "divisible by", "same as": keep reading the test's words.
    state.afterIs = word === "not" || word === "divisible" || word === "same";
    return "keyword";
  }
  if (word === "is") {
    state.afterIs = true;
    return "operatorKeyword";
  }
  if (WORD_OPERATORS.has(word)) return "operatorKeyword";
  if (CONSTANTS.has(word)) return word.toLowerCase() === "null" || word.toLowerCase() === "none" ? "null" : "bool";
  if (state.tag === "block" && TAG_KEYWORDS.has(word)) return "keyword";
  if (stream.match(/^\s*\(/, false)) return "variableName.function";
  if (CONTEXT_ROOTS.has(word)) return "variableName.special";
  return "variableName";
}

/** Tokenize inside {{ … }} or {% … %}. */
function tokenTag(stream, state) {
  if (state.quote) return tokenTagString(stream, state);
  if (stream.eatSpace()) return null;

  // Only braces can hide a closer: "}}" ends {{ {a: {b: 1}} }} at the last pair.
  // Parentheses are not counted, so a half-typed "{{ f( }}" still closes.
  const closer = state.tag === "var" ? /^[-~]?\}\}/ : /^[-~]?%\}/;
  if ((state.depth === 0 || state.tag === "block") && !state.interpolation) {
    if (stream.match(closer)) {
      closeTag(state);
      return "meta";
    }
  }

  const ch = stream.peek();
  if (ch === '"' || ch === "'") {
    stream.next();
    state.quote = ch;
    return tokenTagString(stream, state);
  }
  if (stream.match(/^\d[\d_]*(\.\d+)?([eE][+-]?\d+)?/)) return "number";
  if (stream.match(/^b-(and|or|xor)\b/)) return "operatorKeyword";
  const word = stream.match(/^[A-Za-z_\x7f-\uffff][\w\x7f-\uffff]*/);
  if (word) return tokenIdentifier(stream, state, word[0]);

  stream.next();
  state.tagWord = false;
  switch (ch) {
    case "|":
      if (stream.eat("|")) return "operator";
      state.afterPipe = true;
      return "operator";
    case ".":
      if (stream.eat(".")) return "operator"; // range: 1..10
      state.afterDot = true;
      return "derefOperator";
    case "(":
    case ")":
      return "paren";
    case "[":
    case "]":
      return "squareBracket";
    case "{":
      if (state.interpolation) state.interpolation++;
      else state.depth++;
      return "brace";
    case "}":
      if (state.interpolation) {
        state.interpolation--;
        if (!state.interpolation) {
          state.quote = '"';
          return "meta";
        }
        return "brace";
      }
      state.depth = Math.max(0, state.depth - 1);
      return "brace";
    case ",":
      return "separator";
    case ":":
      return "punctuation";
    default:
      stream.match(/^[=<>!?*\/%+~-]+/);
      return "operator";
  }
}

/** Tokenize JSON literal text; with twig, stop before any Twig opener. */
function tokenJson(stream, state, twig) {
  if (state.jsonString) {
    while (!stream.eol()) {
      if (twig && OPENERS[stream.string.substr(stream.pos, 2)]) return "string";
      const ch = stream.next();
      if (ch === "\\") stream.next();
      else if (ch === '"') {
        state.jsonString = false;
        break;
      }
    }
    return stream.match(/^\s*:/, false) ? "propertyName" : "string";
  }
  if (stream.eatSpace()) return null;
  const ch = stream.peek();
  if (ch === '"') {
    stream.next();
    state.jsonString = true;
    return tokenJson(stream, state, twig);
  }
  if (stream.match(/^-?\d+(\.\d+)?([eE][+-]?\d+)?/)) return "number";
  if (stream.match(/^(true|false)\b/)) return "bool";
  if (stream.match(/^null\b/)) return "null";
  stream.next();
  if (ch === "{" || ch === "}") return "brace";
  if (ch === "[" || ch === "]") return "squareBracket";
  if (ch === ",") return "separator";
  if (ch === ":") return "punctuation";
  return null;
}

function tokenUrl(stream) {
  if (stream.match(/^[?&=#]/)) return "separator";
  stream.match(/^[^?&=#{]+/) || stream.next();
  return "url";
}

function tokenVerbatim(stream, state) {
  if (stream.match(/^\{%[-~]?\s*endverbatim\b/, false)) {
    state.verbatim = false;
    return openTag(stream, state);
  }
  stream.next();
  stream.match(/^[^{]+/);
  return "string.special";
}

const LITERAL_TOKENIZERS = {
  "twig-json": (stream, state) => tokenJson(stream, state, true),
  "twig-url": tokenUrl,
  "twig-text": (stream) => {
    stream.next();
    stream.match(/^[^{]+/);
    return null;
  },
};

/**
 * Create the stream language for one editor mode.
 *
 * Modes: "twig-json" (request and response templates), "twig-url" (the URL
 * template), "twig-text" (header values), "json" (sample inputs, no Twig).
 */
export function twigLanguage(mode) {
  if (mode === "json") {
    return StreamLanguage.define({
      name: "json",
      startState,
      copyState,
      token(stream, state) {
        // A JSON string never spans lines; do not let a broken one colour the rest.
        if (stream.sol()) state.jsonString = false;
        return tokenJson(stream, state, false);
      },
    });
  }
  const literal = LITERAL_TOKENIZERS[mode];
  if (!literal) throw new Error(`Unknown editor mode "${mode}".`);
  return StreamLanguage.define({
    name: mode,
    startState,
    copyState,
    token(stream, state) {
      if (stream.sol()) state.jsonString = false;
      if (state.tag === "comment") return tokenComment(stream, state);
      if (state.tag) return tokenTag(stream, state);
      if (state.verbatim) return tokenVerbatim(stream, state);
      return openTag(stream, state) || literal(stream, state);
    },
    languageData: { commentTokens: { block: { open: "{#", close: "#}" } } },
    tokenTable: { filter: filterTag },
  });
}

export const MODES = ["twig-json", "twig-url", "twig-text", "json"];
