// The code editor of the endpoint templates: CodeMirror 6 over a <textarea>.
//
// The textarea stays in the form as the field that is submitted; the editor only
// replaces it on screen and writes every change back, so the admin's form
// handling and Django's validation see exactly what they would without it.
//
//   const editor = ConsoleEditor.attach(textarea, { mode: "twig-json" });
//   editor.setDiagnostics([{ line: 2, column: 5, message: "Unexpected '}'" }]);

import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { bracketMatching, syntaxHighlighting } from "@codemirror/language";
import { EditorState, RangeSet, StateEffect, StateField } from "@codemirror/state";
import {
  Decoration,
  EditorView,
  GutterMarker,
  WidgetType,
  drawSelection,
  gutter,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
  placeholder,
} from "@codemirror/view";
import { tagHighlighter, tags } from "@lezer/highlight";

import { MODES, filterTag, twigLanguage } from "./twig-language.js";

// The editor is kept on its textarea rather than in a module-level map, so that a
// page which loads the bundle twice (the fragment and a form's Media) still
// attaches one editor per textarea.
const EDITOR_KEY = "__consoleEditor";

// Stable class names (not generated ones) so the colours live in one stylesheet
// with the admin's light and dark themes, and tests can find the tokens.
const highlighter = tagHighlighter([
  { tag: tags.keyword, class: "tok-keyword" },
  { tag: tags.operatorKeyword, class: "tok-operator" },
  { tag: tags.operator, class: "tok-operator" },
  { tag: tags.meta, class: "tok-delimiter" },
  { tag: tags.comment, class: "tok-comment" },
  { tag: tags.string, class: "tok-string" },
  { tag: tags.special(tags.string), class: "tok-verbatim" },
  { tag: tags.number, class: "tok-number" },
  { tag: [tags.bool, tags.null], class: "tok-atom" },
  { tag: filterTag, class: "tok-filter" },
  { tag: tags.function(tags.variableName), class: "tok-function" },
  { tag: tags.special(tags.variableName), class: "tok-context" },
  { tag: tags.variableName, class: "tok-variable" },
  { tag: tags.propertyName, class: "tok-property" },
  { tag: tags.url, class: "tok-url" },
  { tag: [tags.separator, tags.punctuation], class: "tok-punctuation" },
]);

// Colours follow the admin's theme switch: html[data-theme] wins over the
// system preference, as in django/contrib/admin/static/admin/css/dark_mode.css.
const LIGHT = `
  --console-code-keyword: #8b2fc9; --console-code-delimiter: #b35900;
  --console-code-string: #0b7a3e; --console-code-number: #1c5fb8;
  --console-code-atom: #b0186a; --console-code-filter: #0e7c86;
  --console-code-function: #0e6e9a; --console-code-context: #a4133c;
  --console-code-property: #1f4f8f; --console-code-comment: #6a737d;
  --console-code-punctuation: #555; --console-code-error: #ba2121;
  --console-code-warning: #9a6700; --console-code-error-bg: #fdecec;
  --console-code-warning-bg: #fff6d6; --console-code-match-bg: #d7ecff;`;
const DARK = `
  --console-code-keyword: #d2a8ff; --console-code-delimiter: #ffa657;
  --console-code-string: #7ee787; --console-code-number: #79c0ff;
  --console-code-atom: #ff7eb6; --console-code-filter: #56d4dd;
  --console-code-function: #6cb6ff; --console-code-context: #ff9492;
  --console-code-property: #a5d6ff; --console-code-comment: #8b949e;
  --console-code-punctuation: #c9d1d9; --console-code-error: #ff7b72;
  --console-code-warning: #e3b341; --console-code-error-bg: #3d1414;
  --console-code-warning-bg: #3a2e0b; --console-code-match-bg: #1f3b57;`;
const PALETTE_CSS = `
html[data-theme="light"], :root {${LIGHT}}
@media (prefers-color-scheme: dark) { :root {${DARK}} }
html[data-theme="dark"] {${DARK}}
.tok-keyword { color: var(--console-code-keyword); font-weight: 600; }
.tok-delimiter { color: var(--console-code-delimiter); font-weight: 600; }
.tok-operator { color: var(--console-code-keyword); }
.tok-comment { color: var(--console-code-comment); font-style: italic; }
.tok-string { color: var(--console-code-string); }
.tok-verbatim { color: var(--console-code-comment); }
.tok-number { color: var(--console-code-number); }
.tok-atom { color: var(--console-code-atom); }
.tok-filter { color: var(--console-code-filter); font-style: italic; }
.tok-function { color: var(--console-code-function); }
.tok-context { color: var(--console-code-context); }
.tok-property { color: var(--console-code-property); }
.tok-punctuation { color: var(--console-code-punctuation); }
`;

function installPalette(doc) {
  if (doc.getElementById("console-editor-palette")) return;
  const style = doc.createElement("style");
  style.id = "console-editor-palette";
  style.textContent = PALETTE_CSS;
  doc.head.appendChild(style);
}

const theme = EditorView.theme({
  "&": {
    color: "var(--body-fg, #333)",
    backgroundColor: "var(--body-bg, #fff)",
    border: "1px solid var(--border-color, #ccc)",
    borderRadius: "4px",
    fontSize: "13px",
    maxWidth: "100%",
  },
  "&.cm-focused": { outline: "2px solid var(--primary, #79aec8)", outlineOffset: "-1px" },
  ".cm-scroller": {
    fontFamily: "var(--font-family-monospace, ui-monospace, monospace)",
    lineHeight: "1.5",
    overflow: "auto",
  },
  ".cm-content": { caretColor: "var(--body-fg, #333)", padding: "4px 0" },
  ".cm-cursor, .cm-dropCursor": { borderLeftColor: "var(--body-fg, #333)" },
  ".cm-gutters": {
    backgroundColor: "var(--darkened-bg, #f8f8f8)",
    color: "var(--body-quiet-color, #666)",
    borderRight: "1px solid var(--hairline-color, #e8e8e8)",
  },
  ".cm-activeLineGutter": { backgroundColor: "var(--selected-bg, #e4e4e4)" },
  ".cm-selectionBackground, &.cm-focused .cm-selectionBackground": {
    backgroundColor: "var(--console-code-match-bg, #d7ecff) !important",
  },
  "&.cm-focused .cm-matchingBracket": {
    backgroundColor: "var(--console-code-match-bg, #d7ecff)",
    outline: "1px solid var(--console-code-function, #0e6e9a)",
  },
  "&.cm-focused .cm-nonmatchingBracket": { color: "var(--console-code-error, #ba2121)" },
  ".cm-placeholder": { color: "var(--body-quiet-color, #999)" },
  ".cm-console-diagnostics": { width: "1.1em" },
  ".cm-console-marker": { display: "inline-block", width: "100%", textAlign: "center", cursor: "help" },
  ".cm-console-marker-error": { color: "var(--console-code-error, #ba2121)" },
  ".cm-console-marker-warning": { color: "var(--console-code-warning, #9a6700)" },
  ".cm-console-line-error": { backgroundColor: "var(--console-code-error-bg, #fdecec)" },
  ".cm-console-line-warning": { backgroundColor: "var(--console-code-warning-bg, #fff6d6)" },
  ".cm-console-at": { textDecoration: "underline wavy var(--console-code-error, #ba2121)" },
  ".cm-console-message": {
    marginLeft: "1.5em",
    fontFamily: "var(--font-family-primary, sans-serif)",
    fontSize: "12px",
    whiteSpace: "pre-wrap",
  },
  ".cm-console-message-error": { color: "var(--console-code-error, #ba2121)" },
  ".cm-console-message-warning": { color: "var(--console-code-warning, #9a6700)" },
});

// ---- Diagnostics: a red marker in the gutter and the message on the line. ----

const setDiagnosticsEffect = StateEffect.define();

class DiagnosticMarker extends GutterMarker {
  constructor(severity, message) {
    super();
    this.severity = severity;
    this.message = message;
  }

  eq(other) {
    return other.severity === this.severity && other.message === this.message;
  }

  toDOM() {
    const span = document.createElement("span");
    span.className = `cm-console-marker cm-console-marker-${this.severity}`;
    span.textContent = this.severity === "error" ? "●" : "▲";
    span.title = this.message;
    span.setAttribute("aria-label", `${this.severity}: ${this.message}`);
    return span;
  }
}

class MessageWidget extends WidgetType {
  constructor(severity, message) {
    super();
    this.severity = severity;
    this.message = message;
  }

  eq(other) {
    return other.severity === this.severity && other.message === this.message;
  }

  toDOM() {
    const span = document.createElement("span");
    span.className = `cm-console-message cm-console-message-${this.severity}`;
    span.textContent = this.message; // text only: messages quote template source
    return span;
  }

  ignoreEvent() {
    return false;
  }
}

/** Turn [{line, column, message, severity}] into gutter markers and decorations. */
function buildDiagnostics(doc, diagnostics) {
  const byLine = new Map();
  for (const item of diagnostics) {
    const number = Math.min(Math.max(1, Math.floor(Number(item.line)) || 1), doc.lines);
    const entry = byLine.get(number) || { severity: "warning", messages: [], columns: [] };
    const severity = item.severity === "warning" ? "warning" : "error";
    if (severity === "error") entry.severity = "error";
    entry.messages.push(String(item.message ?? ""));
    if (Number(item.column) >= 1) entry.columns.push(Math.floor(Number(item.column)));
    byLine.set(number, entry);
  }
  const markers = [];
  const decorations = [];
  for (const number of [...byLine.keys()].sort((a, b) => a - b)) {
    const { severity, messages, columns } = byLine.get(number);
    const line = doc.line(number);
    const message = messages.join("  ·  ");
    markers.push(new DiagnosticMarker(severity, message).range(line.from));
    decorations.push(Decoration.line({ class: `cm-console-line-${severity}` }).range(line.from));
    for (const column of new Set(columns)) {
      const from = Math.min(line.from + column - 1, line.to);
      const to = Math.min(from + 1, line.to);
      if (to > from) decorations.push(Decoration.mark({ class: "cm-console-at" }).range(from, to));
    }
    decorations.push(
      Decoration.widget({ widget: new MessageWidget(severity, message), side: 1 }).range(line.to),
    );
  }
  return {
    markers: RangeSet.of(markers),
    decorations: Decoration.set(decorations, true),
  };
}

const diagnosticsField = StateField.define({
  create: () => ({ markers: RangeSet.empty, decorations: Decoration.none }),
  update(value, tr) {
    for (const effect of tr.effects) {
      if (effect.is(setDiagnosticsEffect)) return buildDiagnostics(tr.state.doc, effect.value);
    }
    if (!tr.docChanged) return value;
    // Keep the marks on their text while the developer types; the next preview replaces them.
    return {
      markers: value.markers.map(tr.changes),
      decorations: value.decorations.map(tr.changes),
    };
  },
  provide: (field) => EditorView.decorations.from(field, (value) => value.decorations),
});

const diagnosticsGutter = gutter({
  class: "cm-console-diagnostics",
  markers: (view) => view.state.field(diagnosticsField).markers,
});

// ---- Attaching to a textarea. ----

function editorHeight(textarea) {
  const rows = Math.max(2, Number(textarea.getAttribute("rows")) || 8);
  // 1.5 is the line height above; 10px covers the content padding and border.
  return { minHeight: `calc(${rows * 1.5}em + 10px)`, maxHeight: "40em" };
}

/** A CodeMirror editor standing in for one textarea. */
class ConsoleEditorInstance {
  constructor(textarea, mode) {
    this.textarea = textarea;
    this.mode = mode;
    const { minHeight, maxHeight } = editorHeight(textarea);
    const extensions = [
      lineNumbers(),
      diagnosticsField,
      diagnosticsGutter,
      highlightActiveLineGutter(),
      history(),
      drawSelection(),
      bracketMatching(),
      EditorView.lineWrapping,
      // Tab is left to the browser, so keyboard users can still leave the editor.
      keymap.of([...defaultKeymap, ...historyKeymap]),
      twigLanguage(mode),
      syntaxHighlighting(highlighter),
      theme,
      EditorView.theme({ ".cm-scroller": { minHeight, maxHeight } }),
      EditorView.contentAttributes.of({
        "aria-label": textarea.getAttribute("aria-label") || labelText(textarea) || "Template",
        "data-for": textarea.id || "",
      }),
      EditorView.updateListener.of((update) => {
        if (update.docChanged) this.syncToTextarea();
      }),
    ];
    if (textarea.placeholder) extensions.push(placeholder(textarea.placeholder));
    if (textarea.readOnly || textarea.disabled) {
      extensions.push(EditorState.readOnly.of(true), EditorView.editable.of(false));
    }
    this.view = new EditorView({
      state: EditorState.create({ doc: textarea.value, extensions }),
    });
    this.view.dom.classList.add("console-editor", `console-editor-${mode}`);
    this.view.dom.dataset.for = textarea.id || "";
    textarea.after(this.view.dom);
    this.previousDisplay = textarea.style.display;
    textarea.style.display = "none";
    // A hidden required field would block submission with no visible message;
    // Django validates the field on the server either way.
    this.wasRequired = textarea.required;
    textarea.required = false;
    // Edits made to the textarea by other scripts are reflected in the editor.
    this.onTextareaInput = (event) => {
      if (!event.consoleEditor && textarea.value !== this.getValue()) this.setValue(textarea.value);
    };
    textarea.addEventListener("input", this.onTextareaInput);
    const label = textarea.id && document.querySelector(`label[for="${CSS.escape(textarea.id)}"]`);
    if (label) {
      this.onLabelClick = (event) => {
        event.preventDefault();
        this.focus();
      };
      label.addEventListener("click", this.onLabelClick);
      this.label = label;
    }
  }

  syncToTextarea() {
    this.textarea.value = this.getValue();
    const event = new Event("input", { bubbles: true });
    event.consoleEditor = this; // so the textarea listener above does not echo it back
    this.textarea.dispatchEvent(event);
  }

  /** Return the current text. */
  getValue() {
    return this.view.state.doc.toString();
  }

  /** Replace the whole text (an undoable change), and update the textarea. */
  setValue(text) {
    const value = String(text ?? "");
    if (value === this.getValue()) return;
    this.view.dispatch({ changes: { from: 0, to: this.view.state.doc.length, insert: value } });
  }

  /**
   * Show problems on their lines: [{line, column?, message, severity?}].
   *
   * Lines and columns count from 1; severity is "error" (default) or "warning".
   * An empty list clears them.
   */
  setDiagnostics(diagnostics) {
    this.view.dispatch({ effects: setDiagnosticsEffect.of(Array.from(diagnostics || [])) });
  }

  /** Focus the editor, optionally with the cursor at a line and column (from 1). */
  focus(line, column) {
    if (line) {
      const doc = this.view.state.doc;
      const target = doc.line(Math.min(Math.max(1, line), doc.lines));
      const pos = Math.min(target.from + Math.max(0, (column || 1) - 1), target.to);
      this.view.dispatch({ selection: { anchor: pos }, scrollIntoView: true });
    }
    this.view.focus();
  }

  /** Remove the editor and show the textarea again. */
  destroy() {
    this.textarea.removeEventListener("input", this.onTextareaInput);
    if (this.label) this.label.removeEventListener("click", this.onLabelClick);
    this.textarea.style.display = this.previousDisplay;
    this.textarea.required = this.wasRequired;
    this.view.destroy();
    this.view.dom.remove();
    delete this.textarea[EDITOR_KEY];
  }
}

function labelText(textarea) {
  const label = textarea.id && document.querySelector(`label[for="${CSS.escape(textarea.id)}"]`);
  return label ? label.textContent.replace(/:\s*$/, "").trim() : "";
}

/**
 * Turn a textarea into a code editor and return it; attaching twice returns the first.
 *
 * options.mode: "twig-json" (default), "twig-url", "twig-text" or "json".
 */
export function attach(textarea, options = {}) {
  if (!textarea || textarea.tagName !== "TEXTAREA") {
    throw new TypeError("ConsoleEditor.attach needs a <textarea> element.");
  }
  const existing = textarea[EDITOR_KEY];
  if (existing) return existing;
  const mode = options.mode || textarea.dataset.consoleEditor || "twig-json";
  if (!MODES.includes(mode)) {
    throw new RangeError(`Unknown editor mode "${mode}"; use one of ${MODES.join(", ")}.`);
  }
  installPalette(textarea.ownerDocument);
  const editor = new ConsoleEditorInstance(textarea, mode);
  textarea[EDITOR_KEY] = editor;
  return editor;
}

/** Return the editor attached to a textarea, or null. */
export function get(textarea) {
  return (textarea && textarea[EDITOR_KEY]) || null;
}

/** Attach an editor to every textarea[data-console-editor] under root. */
export function attachAll(root = document) {
  return Array.from(root.querySelectorAll("textarea[data-console-editor]"), (textarea) =>
    attach(textarea),
  );
}

export { MODES as modes };

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", () => attachAll());
} else {
  attachAll();
}
