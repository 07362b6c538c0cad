// The Preview panel of the Endpoint change form.
//
// It watches the endpoint's template fields and the panel's sample inputs, and
// after a pause in typing posts them to the staff-only preview endpoint, which
// renders without saving anything. What comes back is shown as text only: the
// templates and samples are written by integration developers, and a "<script>"
// in them must appear as characters, never run. So no innerHTML anywhere here.

import { parseJson } from "./json-location.js";

const DEBOUNCE_MS = 300;
const COPIED_MS = 2000;
const SAMPLE_NAMES = ["requestBody", "query", "response"];
// Endpoint form fields sent to the preview, with the editor mode of the templates.
const FIELDS = ["method", "url", "request_template", "response_template", "body_format"];
const EDITOR_MODES = { url: "twig-url", request_template: "twig-json", response_template: "twig-json" };

// Kept on the element, so loading the script twice still starts one panel.
const PANEL_KEY = "__consolePreview";

function setText(element, text) {
  element.textContent = text == null ? "" : String(text);
}

/** Show a value as the server would send it: strings verbatim, data as JSON. */
function asText(value) {
  if (value == null) return "";
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

/** Accept headers as [[name, value]], [{name, value}] or {name: value}. */
function headerPairs(headers) {
  if (!headers) return [];
  if (Array.isArray(headers)) {
    return headers.map((h) => (Array.isArray(h) ? [h[0], h[1]] : [h && h.name, h && h.value]));
  }
  return typeof headers === "object" ? Object.entries(headers) : [];
}

function readCookie(doc, name) {
  for (const part of doc.cookie ? doc.cookie.split(";") : []) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return "";
}

function plainServerMessage(data) {
  if (!data || typeof data !== "object") return "";
  const text = [data.error, data.detail, data.message].find((v) => typeof v === "string");
  return text ? text.slice(0, 300) : "";
}

/** The panel's behaviour; one per #preview-panel element. */
class PreviewPanel {
  constructor(panel) {
    this.panel = panel;
    this.doc = panel.ownerDocument;
    this.url = panel.dataset.previewUrl || "";
    this.headersPrefix = panel.dataset.headersPrefix || "headers";
    this.timer = null;
    this.controller = null;
    this.sequence = 0;
    this.lastPayload = null;
    this.curl = "";
    this.sentHeaderRows = [];
    this.samplesEdited = false;
    this.filling = false;
    this.copyLabel = this.part("preview-copy-curl").textContent || "Copy as curl";

    this.attachEditors();
    this.fillSamples(true);
    this.listen();
    if (!this.url) {
      this.setStatus("error", "Preview unavailable: the page gives no preview URL.");
      return;
    }
    this.update();
  }

  /** Find one of the panel's elements; a detached stand-in if a template omits it. */
  part(id) {
    return this.panel.querySelector(`#${id}`) || this.doc.createElement("div");
  }

  field(name) {
    return this.doc.getElementById(`id_${name}`);
  }

  editorFor(element) {
    const editors = window.ConsoleEditor;
    return element && editors ? editors.get(element) : null;
  }

  attachEditors() {
    const editors = window.ConsoleEditor;
    if (!editors) return; // the editor bundle failed to load: plain textareas still work
    for (const [name, mode] of Object.entries(EDITOR_MODES)) {
      const element = this.field(name);
      if (element && element.tagName === "TEXTAREA") {
        editors.attach(element, { mode: element.dataset.consoleEditor || mode });
      }
    }
    for (const name of SAMPLE_NAMES) {
      const element = this.sampleInput(name);
      if (element && element.tagName === "TEXTAREA") editors.attach(element, { mode: "json" });
    }
  }

  // ---- Sample inputs ----

  sampleInput(name) {
    return this.panel.querySelector(`#preview-sample-${name}`);
  }

  kind() {
    const kindField = this.field("kind");
    return this.panel.dataset.endpointKind || (kindField ? kindField.value : "") || "";
  }

  /** Return the server's samples for the current kind: {requestBody, query, response}. */
  serverSamples() {
    const script = this.doc.getElementById(this.panel.dataset.samplesId || "preview-samples");
    let data = null;
    try {
      data = script ? JSON.parse(script.textContent) : null;
    } catch {
      data = null;
    }
    if (!data || typeof data !== "object") return {};
    // Either the samples themselves, or one set per endpoint kind (for the add form).
    if (SAMPLE_NAMES.some((name) => name in data)) return data;
    return data[this.kind()] || {};
  }

  fillSamples(onlyEmpty) {
    const samples = this.serverSamples();
    this.filling = true;
    try {
      for (const name of SAMPLE_NAMES) {
        const input = this.sampleInput(name);
        if (!input || (onlyEmpty && input.value.trim())) continue;
        const text = JSON.stringify(samples[name] ?? {}, null, 2);
        const editor = this.editorFor(input);
        if (editor) editor.setValue(text);
        else input.value = text;
      }
    } finally {
      this.filling = false;
    }
  }

  /** Parse the three samples; show what is wrong and return null if one is invalid. */
  readSamples() {
    const samples = {};
    let valid = true;
    for (const name of SAMPLE_NAMES) {
      const input = this.sampleInput(name);
      const message = this.panel.querySelector(`#preview-sample-${name}-error`);
      const text = input ? input.value : "";
      const result = text.trim() ? parseJson(text) : { value: {} };
      const editor = this.editorFor(input);
      if (result.error) {
        valid = false;
        const { line, column } = result.error;
        const where = line ? ` at line ${line}, column ${column}` : "";
        if (message) {
          setText(message, `${name}: ${result.error.message}${where}`);
          message.hidden = false;
        }
        if (editor && line) editor.setDiagnostics([{ line, column, message: result.error.message }]);
        if (input) input.setAttribute("aria-invalid", "true");
      } else {
        samples[name] = result.value;
        if (message) {
          setText(message, "");
          message.hidden = true;
        }
        if (editor) editor.setDiagnostics([]);
        if (input) input.removeAttribute("aria-invalid");
      }
    }
    return valid ? samples : null;
  }

  // ---- What is sent ----

  /** Return the header rows of the inline, in order, skipping deleted and blank ones. */
  headerRows() {
    const prefix = this.headersPrefix;
    const pattern = new RegExp(`^id_${prefix}-(\\d+)-name$`);
    const rows = [];
    for (const nameInput of this.doc.querySelectorAll(`[id^="id_${prefix}-"][id$="-name"]`)) {
      const match = pattern.exec(nameInput.id); // also skips the "__prefix__" template row
      if (!match) continue;
      const index = match[1];
      const valueInput = this.doc.getElementById(`id_${prefix}-${index}-value`);
      const remove = this.doc.getElementById(`id_${prefix}-${index}-DELETE`);
      const position = this.doc.getElementById(`id_${prefix}-${index}-position`);
      const name = nameInput.value.trim();
      const value = valueInput ? valueInput.value : "";
      if ((remove && remove.checked) || (!name && !value.trim())) continue;
      rows.push({ index, name, value, position: position ? Number(position.value) : NaN });
    }
    // The inline is ordered by its position field where the rows have one.
    if (rows.every((row) => Number.isFinite(row.position))) {
      rows.sort((a, b) => a.position - b.position);
    }
    return rows;
  }

  payload(samples) {
    const rows = this.headerRows();
    const value = (name) => {
      const element = this.field(name);
      return element ? element.value : "";
    };
    return {
      rows,
      body: {
        kind: this.kind(),
        method: value("method"),
        url: value("url"),
        request_template: value("request_template"),
        response_template: value("response_template"),
        body_format: value("body_format"),
        headers: rows.map(({ name, value: headerValue }) => ({ name, value: headerValue })),
        samples,
      },
    };
  }

  csrfToken() {
    const form = this.panel.closest("form");
    const input =
      (form && form.querySelector('input[name="csrfmiddlewaretoken"]')) ||
      this.doc.querySelector('input[name="csrfmiddlewaretoken"]');
    return (input && input.value) || readCookie(this.doc, "csrftoken");
  }

  // ---- Updating ----

  listen() {
    const onEdit = (event) => this.onEdit(event);
    this.doc.addEventListener("input", onEdit);
    this.doc.addEventListener("change", onEdit);
    // Django's inlines.js announces rows added and removed with "Add another".
    this.doc.addEventListener("formset:added", () => this.schedule());
    this.doc.addEventListener("formset:removed", () => this.schedule());
    this.part("preview-copy-curl").addEventListener("click", () => this.copyCurl());
    for (const list of [this.part("preview-errors"), this.part("preview-warnings")]) {
      list.addEventListener("click", (event) => this.goToProblem(event));
      list.addEventListener("keydown", (event) => {
        if (event.key === "Enter") this.goToProblem(event);
      });
    }
  }

  isWatched(element) {
    const id = element.id || "";
    if (FIELDS.some((name) => id === `id_${name}`) || id === "id_kind") return true;
    return new RegExp(`^id_${this.headersPrefix}-\\d+-(name|value|DELETE|position)$`).test(id);
  }

  onEdit(event) {
    const target = event.target;
    if (!(target instanceof Element)) return;
    if (this.panel.contains(target)) {
      // Only the sample textareas count; their editors echo every edit onto them.
      if (!/^preview-sample-[A-Za-z]+$/.test(target.id)) return;
      if (!this.filling) this.samplesEdited = true;
      this.schedule();
      return;
    }
    if (!this.isWatched(target)) return;
    // On the add form the kind can change; offer that kind's samples unless edited.
    if (target.id === "id_kind" && !this.samplesEdited) this.fillSamples(false);
    this.schedule();
  }

  schedule() {
    clearTimeout(this.timer);
    if (this.url) this.setStatus("updating", "Updating…");
    this.timer = setTimeout(() => this.update(), DEBOUNCE_MS);
  }

  setStatus(state, text) {
    const status = this.part("preview-status");
    status.dataset.state = state;
    setText(status, text);
    this.panel.classList.toggle("is-stale", state !== "ok");
  }

  /** Send the current templates and samples now, and show the result. */
  async update() {
    clearTimeout(this.timer);
    if (!this.url) return;
    const samples = this.readSamples();
    if (!samples) {
      this.abort();
      this.setStatus("invalid", "Not updated: fix the sample input marked below.");
      return;
    }
    const { rows, body } = this.payload(samples);
    const text = JSON.stringify(body);
    if (text === this.lastPayload && !this.controller) {
      // input and change both fire for one edit; the answer on screen is still current.
      if (this.part("preview-status").dataset.state !== "error") {
        this.setStatus("ok", "Up to date");
        return;
      }
    }
    this.abort();
    const sequence = ++this.sequence;
    const controller = new AbortController();
    this.controller = controller;
    this.lastPayload = text;
    this.setStatus("updating", "Updating…");
    let response;
    let data = null;
    try {
      response = await fetch(this.url, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": this.csrfToken(),
          "X-Requested-With": "XMLHttpRequest",
        },
        body: text,
        signal: controller.signal,
      });
      try {
        data = await response.json();
      } catch {
        data = null;
      }
    } catch (error) {
      if (controller.signal.aborted || sequence !== this.sequence) return;
      this.controller = null;
      this.lastPayload = null;
      this.setStatus("error", "Preview unavailable: the server could not be reached. It will try again on your next edit.");
      return;
    }
    if (sequence !== this.sequence) return; // a newer request is on its way
    this.controller = null;
    const isResult = data && typeof data === "object" && (Array.isArray(data.errors) || "request" in data);
    if (isResult) {
      this.render(data, rows);
      this.setStatus("ok", "Up to date");
      return;
    }
    this.lastPayload = null;
    if (response.ok) {
      this.setStatus("error", "Preview failed: the server's answer was not a preview.");
    } else if (response.status === 403) {
      this.setStatus("error", "Preview refused (HTTP 403): your session may have ended. Reload the page and sign in again.");
    } else {
      const detail = plainServerMessage(data);
      this.setStatus("error", `Preview failed (HTTP ${response.status})${detail ? `: ${detail}` : "."}`);
    }
  }

  abort() {
    if (!this.controller) return;
    this.controller.abort();
    this.controller = null;
    this.lastPayload = null; // its answer will never be shown, so nothing is up to date
  }

  // ---- Showing the result ----

  render(data, rows) {
    this.sentHeaderRows = rows.map((row) => row.index);
    const request = data.request && typeof data.request === "object" ? data.request : {};
    setText(this.part("preview-request-line"), [request.method, request.url].filter(Boolean).join(" "));
    setText(
      this.part("preview-headers"),
      headerPairs(request.headers)
        .map(([name, value]) => `${name ?? ""}: ${value ?? ""}`)
        .join("\n"),
    );
    setText(this.part("preview-body"), asText(request.body));
    setText(this.part("preview-output"), asText(data.output));
    this.renderContract(data.contract, data.errors);
    const errors = Array.isArray(data.errors) ? data.errors : [];
    const warnings = Array.isArray(data.warnings) ? data.warnings : [];
    this.renderProblems(this.part("preview-errors"), errors);
    this.renderProblems(this.part("preview-warnings"), warnings);
    this.showDiagnostics(errors, warnings);
    this.curl = typeof data.curl === "string" ? data.curl : "";
    const copy = this.part("preview-copy-curl");
    copy.disabled = !this.curl;
    const fallback = this.panel.querySelector("#preview-curl-text");
    if (fallback) {
      fallback.value = this.curl;
      fallback.hidden = true;
    }
  }

  renderContract(contract, errors) {
    const box = this.part("preview-contract");
    box.replaceChildren();
    box.classList.remove("ok", "failed", "none");
    const line = (text) => {
      const div = this.doc.createElement("div");
      setText(div, text);
      box.appendChild(div);
    };
    if (!contract || typeof contract !== "object") {
      const blocked = Array.isArray(errors) && errors.length > 0;
      box.classList.add(blocked ? "failed" : "none");
      line(blocked ? "✗ Not checked: fix the errors below first." : "No output contract for this endpoint.");
      return;
    }
    if (contract.ok) {
      box.classList.add("ok");
      const values = contract.values && typeof contract.values === "object" ? Object.entries(contract.values) : [];
      if (!values.length) line("✓ The output meets its contract.");
      for (const [name, value] of values) line(`✓ ${name} = ${JSON.stringify(value) ?? "undefined"}`);
      return;
    }
    box.classList.add("failed");
    const reasons = Array.isArray(contract.errors) ? contract.errors : [];
    if (!reasons.length) line("✗ The output does not meet its contract.");
    for (const reason of reasons) {
      line(`✗ ${typeof reason === "string" ? reason : (reason && reason.message) || JSON.stringify(reason)}`);
    }
  }

  /** Map a server field name to the element it is about. */
  resolveField(field) {
    const name = String(field ?? "");
    if (FIELDS.includes(name)) return this.field(name);
    // Headers are named by their index in the list that was sent: "headers.0.value",
    // "headers-0-value" or "headers[0].name"; the panel maps it back to the inline row.
    const header = /^headers?[-.[](\d+)\]?(?:[-.](name|value))?$/.exec(name);
    if (header) {
      const row = this.sentHeaderRows[Number(header[1])];
      return row == null ? null : this.doc.getElementById(`id_${this.headersPrefix}-${row}-${header[2] || "value"}`);
    }
    const sample = /^(?:samples\.)?(requestBody|query|response)$/.exec(name);
    if (sample) return this.sampleInput(sample[1]);
    return name ? this.doc.getElementById(`id_${name}`) : null;
  }

  fieldLabel(element, field) {
    if (!element || !element.id) return String(field);
    // Inline cells have no label of their own: name the header by what it is called.
    const header = new RegExp(`^id_${this.headersPrefix}-(\\d+)-(name|value)$`).exec(element.id);
    if (header) {
      const nameInput = this.doc.getElementById(`id_${this.headersPrefix}-${header[1]}-name`);
      const name = nameInput ? nameInput.value.trim() : "";
      return `Header${name ? ` ${name}` : ""}${header[2] === "name" ? " (name)" : ""}`;
    }
    if (this.panel.contains(element)) return String(field);
    const label = this.doc.querySelector(`label[for="${CSS.escape(element.id)}"]`);
    const text = label ? label.textContent.replace(/:\s*$/, "").trim() : "";
    return text || String(field);
  }

  renderProblems(list, problems) {
    list.replaceChildren();
    for (const problem of problems) {
      const item = typeof problem === "string" ? { message: problem } : problem || {};
      const li = this.doc.createElement("li");
      const element = item.field ? this.resolveField(item.field) : null;
      li.dataset.field = item.field == null ? "" : String(item.field);
      li.dataset.line = item.line == null ? "" : String(item.line);
      li.dataset.column = item.column == null ? "" : String(item.column);
      const where = [];
      if (item.field) where.push(this.fieldLabel(element, item.field));
      if (item.line != null) where.push(`line ${item.line}${item.column != null ? `, column ${item.column}` : ""}`);
      const location = this.doc.createElement("span");
      location.className = "preview-problem-location";
      setText(location, where.length ? `${where.join(", ")}: ` : "");
      const message = this.doc.createElement("span");
      message.className = "preview-problem-message";
      setText(message, item.message ?? "");
      li.append(location, message);
      if (element) {
        li.tabIndex = 0;
        li.title = "Go to this line";
        li.classList.add("is-linked");
      }
      list.appendChild(li);
    }
  }

  showDiagnostics(errors, warnings) {
    const byElement = new Map();
    const add = (problem, severity) => {
      if (!problem || typeof problem !== "object" || !problem.field) return;
      const element = this.resolveField(problem.field);
      if (!element) return;
      if (!byElement.has(element)) byElement.set(element, []);
      byElement.get(element).push({
        line: problem.line || 1,
        column: problem.column,
        message: String(problem.message ?? ""),
        severity,
      });
    };
    errors.forEach((problem) => add(problem, "error"));
    warnings.forEach((problem) => add(problem, "warning"));
    for (const name of Object.keys(EDITOR_MODES)) {
      const element = this.field(name);
      const editor = this.editorFor(element);
      if (editor) editor.setDiagnostics(byElement.get(element) || []);
    }
    // Inputs without an editor (header rows, a plain URL input) get an outline and a tooltip.
    for (const marked of this.doc.querySelectorAll(".preview-field-problem")) {
      marked.classList.remove("preview-field-problem");
      marked.removeAttribute("title");
    }
    for (const [element, problems] of byElement) {
      if (this.editorFor(element) || this.panel.contains(element)) continue;
      element.classList.add("preview-field-problem");
      element.title = problems.map((p) => p.message).join("\n");
    }
  }

  goToProblem(event) {
    const li = event.target.closest("li");
    if (!li || !li.dataset.field) return;
    const element = this.resolveField(li.dataset.field);
    if (!element) return;
    const editor = this.editorFor(element);
    const line = Number(li.dataset.line) || undefined;
    const column = Number(li.dataset.column) || undefined;
    if (editor) editor.focus(line, column);
    else element.focus();
  }

  // ---- Copy as curl ----

  async copyCurl() {
    if (!this.curl) return;
    let copied = false;
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(this.curl);
        copied = true;
      }
    } catch {
      copied = false; // refused (permissions, focus): try the older way below
    }
    if (!copied) copied = this.copyWithSelection();
    const button = this.part("preview-copy-curl");
    if (copied) {
      setText(button, "Copied");
      button.classList.add("copied");
      clearTimeout(this.copiedTimer);
      this.copiedTimer = setTimeout(() => {
        setText(button, this.copyLabel);
        button.classList.remove("copied");
      }, COPIED_MS);
      return;
    }
    // Neither way was allowed: show the command selected, for Ctrl+C.
    const fallback = this.panel.querySelector("#preview-curl-text");
    if (fallback) {
      fallback.value = this.curl;
      fallback.hidden = false;
      fallback.focus();
      fallback.select();
    }
    this.setStatus("ok", "Copying is blocked by the browser: press Ctrl+C (⌘C) to copy the selected command.");
  }

  copyWithSelection() {
    const scratch = this.doc.createElement("textarea");
    scratch.value = this.curl;
    scratch.setAttribute("readonly", "");
    scratch.style.position = "fixed";
    scratch.style.opacity = "0";
    this.doc.body.appendChild(scratch);
    scratch.select();
    let copied = false;
    try {
      copied = this.doc.execCommand("copy");
    } catch {
      copied = false;
    }
    scratch.remove();
    return copied;
  }
}

/** Start the panel on an element (idempotent) and return its controller. */
export function init(panel) {
  if (!panel) throw new TypeError("ConsolePreview.init needs the #preview-panel element.");
  if (!panel[PANEL_KEY]) panel[PANEL_KEY] = new PreviewPanel(panel);
  return panel[PANEL_KEY];
}

/** Return the controller of a panel started before, or null. */
export function get(panel) {
  return (panel && panel[PANEL_KEY]) || null;
}

function initAll() {
  const panel = document.getElementById("preview-panel");
  if (panel && panel.dataset.autoInit !== "false") init(panel);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", initAll);
else initAll();
