// Say where a JSON text is broken, as "Unexpected token '}' at line 2, column 3".
//
// Browsers agree on what is valid JSON but not on how they report an error:
// some name a position, some quote a snippet of the input, some neither. The
// sample editors need a line and a column, so after JSON.parse has refused a
// text, this small strict scanner finds the first offending character.

class Failure {
  constructor(message, offset) {
    this.message = message;
    this.offset = offset;
  }
}

function describe(ch) {
  return ch === undefined ? "end of input" : `token ${JSON.stringify(ch).replace(/^"|"$/g, "'")}`;
}

/** Scan text as strict JSON (RFC 8259) and throw a Failure at the first error. */
function scan(text) {
  let i = 0;
  const fail = (expected) => {
    const found = describe(text[i]);
    throw new Failure(`Unexpected ${found}${expected ? `, expected ${expected}` : ""}`, i);
  };
  const space = () => {
    while (" \t\n\r".includes(text[i]) && i < text.length) i++;
  };
  const literal = (word) => {
    for (const ch of word) {
      if (text[i] !== ch) fail(`"${word}"`);
      i++;
    }
  };
  const string = () => {
    i++; // opening quote
    for (;;) {
      const ch = text[i];
      if (ch === undefined) throw new Failure("Unterminated string", i);
      if (ch === '"') break;
      if (ch < " ") throw new Failure("Line break or control character inside a string", i);
      if (ch === "\\") {
        i++;
        if (text[i] === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail("four hex digits after \\u");
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i]) || text[i] === undefined) {
          fail("an escape such as \\n or \\\"");
        }
      }
      i++;
    }
    i++;
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!match) fail("a number");
    i += match[0].length;
  };
  const value = () => {
    space();
    const ch = text[i];
    if (ch === "{") return object();
    if (ch === "[") return array();
    if (ch === '"') return string();
    if (ch === "-" || (ch >= "0" && ch <= "9")) return number();
    if (ch === "t") return literal("true");
    if (ch === "f") return literal("false");
    if (ch === "n") return literal("null");
    return fail("a value");
  };
  const object = () => {
    i++;
    space();
    if (text[i] === "}") {
      i++;
      return;
    }
    for (;;) {
      space();
      if (text[i] !== '"') fail("a property name in double quotes");
      string();
      space();
      if (text[i] !== ":") fail("':'");
      i++;
      value();
      space();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "}") {
        i++;
        return;
      }
      fail("',' or '}'");
    }
  };
  const array = () => {
    i++;
    space();
    if (text[i] === "]") {
      i++;
      return;
    }
    for (;;) {
      value();
      space();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "]") {
        i++;
        return;
      }
      fail("',' or ']'");
    }
  };
  value();
  space();
  if (i < text.length) fail("the end of the JSON value");
}

/** Return the 1-based line and column of an offset. */
export function lineAndColumn(text, offset) {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - before.lastIndexOf("\n") };
}

/**
 * Parse a JSON text, or return where and why it is invalid.
 *
 * Returns {value} or {error: {message, line, column}}.
 */
export function parseJson(text) {
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    try {
      scan(text);
    } catch (failure) {
      if (failure instanceof Failure) {
        return { error: { message: failure.message, ...lineAndColumn(text, failure.offset) } };
      }
    }
    // The scanner found nothing: report the browser's own words.
    return { error: { message: String(error.message || error), line: null, column: null } };
  }
}
