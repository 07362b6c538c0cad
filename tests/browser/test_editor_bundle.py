"""The committed browser bundles: the template editor and the Preview panel's script.

The panel is exercised through Playwright's request routing: the page and the
preview endpoint's answers are served from the test, so the script's side of the
contract (what it sends, how it shows the answer) is checked on its own. The
admin test with the real endpoint lives beside the admin.
"""

import json
from pathlib import Path

import pytest
from django.template.loader import render_to_string

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "static"
EDITOR_BUNDLE = STATIC / "console" / "editor.bundle.js"
ORIGIN = "http://localhost:8765"
PREVIEW_URL = "/admin/authorizations/endpoint/preview/"

TEXTAREA_PAGE = """<!doctype html><html><body><form>
<label for="id_response_template">Response template:</label>
<textarea id="id_response_template" name="response_template" rows="4"
  required>{"user_identity": "{{ response.name }}"}</textarea>
</form></body></html>"""


def attach_editor(page, mode="twig-json"):
    page.set_content(TEXTAREA_PAGE)
    page.add_script_tag(path=str(EDITOR_BUNDLE))
    page.evaluate(
        """mode => {
            const textarea = document.getElementById("id_response_template");
            window.inputEvents = 0;
            textarea.addEventListener("input", () => window.inputEvents++);
            window.editor = ConsoleEditor.attach(textarea, {mode});
        }""",
        mode,
    )


def test_attach_replaces_the_textarea_and_keeps_it_in_sync(page):
    attach_editor(page)
    assert page.locator(".cm-editor").is_visible()
    assert page.locator("#id_response_template").is_hidden()
    assert page.locator(".cm-lineNumbers").is_visible()
    # Attaching twice returns the same editor rather than stacking a second one.
    assert page.evaluate(
        "ConsoleEditor.attach(document.getElementById('id_response_template'))"
        " === window.editor"
    )

    page.click(".cm-content")
    page.keyboard.press("Control+End")
    page.keyboard.type("\n{{ query.api_key|upper }}")

    value = page.input_value("#id_response_template")
    assert (
        value == '{"user_identity": "{{ response.name }}"}\n{{ query.api_key|upper }}'
    )
    assert page.evaluate("window.inputEvents") > 0
    # The hidden field may not block a submit; Django validates it instead.
    assert (
        page.evaluate("document.getElementById('id_response_template').required")
        is False
    )

    assert page.locator(".tok-filter", has_text="upper").count() == 1
    assert page.locator(".tok-delimiter").count() >= 4
    assert page.locator(".tok-property", has_text='"user_identity"').count() == 1

    page.keyboard.press("Control+z")
    assert page.input_value("#id_response_template") == (
        '{"user_identity": "{{ response.name }}"}'
    )


def test_marked_textareas_get_an_editor_once_even_if_loaded_twice(page):
    page.set_content(
        '<textarea id="a" data-console-editor="twig-url">https://x/{{ q }}</textarea>'
        '<textarea id="b">left alone</textarea>'
    )
    page.add_script_tag(path=str(EDITOR_BUNDLE))
    page.add_script_tag(path=str(EDITOR_BUNDLE))
    page.evaluate("ConsoleEditor.attach(document.getElementById('a'))")
    assert page.locator(".cm-editor").count() == 1
    assert page.locator(".cm-editor.console-editor-twig-url").is_visible()
    assert page.locator("#b").is_visible()


def test_set_diagnostics_marks_the_line_with_its_message(page):
    attach_editor(page)
    page.evaluate(
        """editor.setValue('{\\n  "user_identity": {{ response.name ]]\\n}');
        editor.setDiagnostics([
            {line: 2, column: 37, message: "unexpected ']'"}
        ])"""
    )
    marker = page.locator(".cm-console-marker-error")
    assert marker.is_visible()
    assert marker.get_attribute("title") == "unexpected ']'"
    message = page.locator(".cm-console-message-error")
    assert message.inner_text() == "unexpected ']'"
    marked_line = page.locator(".cm-line.cm-console-line-error")
    assert marked_line.count() == 1
    assert '"user_identity"' in marked_line.inner_text()

    page.evaluate("editor.setDiagnostics([])")
    assert page.locator(".cm-console-marker-error").count() == 0
    assert page.locator(".cm-console-message").count() == 0


def test_messages_are_shown_as_text(page):
    attach_editor(page)
    page.evaluate(
        """editor.setDiagnostics([
            {line: 1, column: 1, message: "<img src=x onerror=window.pwned=1>"}
        ])"""
    )
    assert page.locator(".cm-console-message-error").inner_text() == (
        "<img src=x onerror=window.pwned=1>"
    )
    assert page.locator(".cm-console-message img").count() == 0
    assert page.evaluate("window.pwned") is None


# ---- The Preview panel, against a routed stand-in for the preview endpoint. ----

SAMPLES = {
    "requestBody": {"client_id": "abc"},
    "query": {"access_token": "tok-123"},
    "response": {"identity": {"first_name": "Jason", "last_name": "Fried"}},
}

CHANGE_FORM = """<!doctype html><html><head><meta charset="utf-8"></head><body>
<form id="endpoint_form" method="post">
<input type="hidden" name="csrfmiddlewaretoken" value="form-token">
<select id="id_method" name="method"><option>GET</option><option>POST</option>
</select>
<label for="id_url">URL:</label>
<textarea id="id_url" name="url" rows="2"
>https://api.example.com/me?t={{ query.access_token }}</textarea>
<select id="id_body_format" name="body_format"><option value="json">JSON</option>
</select>
<label for="id_request_template">Request template:</label>
<textarea id="id_request_template" name="request_template" rows="3"></textarea>
<label for="id_response_template">Response template:</label>
<textarea id="id_response_template" name="response_template" rows="3"
>{"user_identity": "{{ response.identity.first_name }}"}</textarea>
<table>
<tr><td><input id="id_headers-0-name" value="Accept"></td>
<td><input id="id_headers-0-value" value="application/json"></td>
<td><input type="checkbox" id="id_headers-0-DELETE"></td></tr>
<tr><td><input id="id_headers-1-name" value="X-Gone"></td>
<td><input id="id_headers-1-value" value="1"></td>
<td><input type="checkbox" id="id_headers-1-DELETE" checked></td></tr>
<tr><td><input id="id_headers-2-name" value="Authorization"></td>
<td><input id="id_headers-2-value" value="Bearer {{ query.access_token }}"></td></tr>
<tr><td><input id="id_headers-__prefix__-name" value=""></td></tr>
</table>
PANEL
</form></body></html>"""

XSS = "<script>window.pwned = 1</script><img src=x onerror=window.pwned=2>"

PREVIEW_RESULT = {
    "request": {
        "method": "GET",
        "url": "https://api.example.com/me?t=tok-123",
        "headers": [["Accept", "application/json"], ["X-Note", XSS]],
        "body": '{"note": "' + XSS + '"}',
    },
    "output": '{"user_identity": "Jason Fried / jason@basecamp.com"}',
    "contract": {
        "ok": True,
        "values": {"user_identity": "Jason Fried / jason@basecamp.com"},
        "errors": [],
    },
    "errors": [
        {
            "field": "response_template",
            "line": 1,
            "column": 5,
            "message": "unknown filter " + XSS,
        }
    ],
    "warnings": [
        {"field": "headers.1.value", "message": "did you mean `access_token`?"}
    ],
    "curl": "curl -X GET 'https://api.example.com/me?t=••••-123'",
}


@pytest.fixture
def panel_page(page):
    """Serve a stand-in change form with the real panel fragment and bundles."""
    panel = render_to_string(
        "authorizations/endpoint_preview_panel.html",
        {
            "preview_url": PREVIEW_URL,
            "preview_samples": SAMPLES,
            "preview_kind": "user_info",
        },
    )
    html = CHANGE_FORM.replace("PANEL", panel)
    posts = []
    answers = []  # (status, body) to answer in turn; the last one repeats

    def serve(route, request):
        path = request.url.removeprefix(ORIGIN)
        if path == "/endpoint/":
            route.fulfill(status=200, content_type="text/html", body=html)
        elif path.startswith("/static/"):
            file = STATIC / path.removeprefix("/static/")
            route.fulfill(status=200, path=str(file))
        elif path == PREVIEW_URL and request.method == "POST":
            posts.append(
                {"body": json.loads(request.post_data), "headers": request.headers}
            )
            status, body = answers[min(len(posts), len(answers)) - 1]
            route.fulfill(
                status=status,
                content_type="application/json" if status == 200 else "text/html",
                body=body if isinstance(body, str) else json.dumps(body),
            )
        else:
            route.fulfill(status=404, body="not found")

    page.route(f"{ORIGIN}/**", serve)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=ORIGIN)
    page.posts = posts
    page.answers = answers
    return page


def test_preview_panel_sends_the_form_and_shows_the_answer_as_text(panel_page):
    page = panel_page
    page.answers.append((200, PREVIEW_RESULT))
    page.goto(f"{ORIGIN}/endpoint/")
    page.wait_for_selector("#preview-status[data-state=ok]")

    sent = page.posts[0]
    assert sent["headers"]["x-csrftoken"] == "form-token"
    assert sent["body"] == {
        "kind": "user_info",
        "method": "GET",
        "url": "https://api.example.com/me?t={{ query.access_token }}",
        "request_template": "",
        "response_template": '{"user_identity": "{{ response.identity.first_name }}"}',
        "body_format": "json",
        # The deleted row and the empty "Add another" template row are left out.
        "headers": [
            {"name": "Accept", "value": "application/json"},
            {"name": "Authorization", "value": "Bearer {{ query.access_token }}"},
        ],
        "samples": SAMPLES,
    }

    assert page.inner_text("#preview-status") == "Up to date"
    assert page.text_content("#preview-request-line") == (
        "GET https://api.example.com/me?t=tok-123"
    )
    assert page.text_content("#preview-headers") == (
        f"Accept: application/json\nX-Note: {XSS}"
    )
    assert page.text_content("#preview-body") == '{"note": "' + XSS + '"}'
    assert page.text_content("#preview-output") == PREVIEW_RESULT["output"]
    contract = page.locator("#preview-contract")
    assert "ok" in contract.get_attribute("class").split()
    assert (
        contract.inner_text() == '✓ user_identity = "Jason Fried / jason@basecamp.com"'
    )

    error = page.locator("#preview-errors li")
    assert error.count() == 1
    assert error.get_attribute("data-field") == "response_template"
    assert error.get_attribute("data-line") == "1"
    assert error.get_attribute("data-column") == "5"
    assert "unknown filter " + XSS in error.inner_text()
    assert "Response template, line 1, column 5" in error.inner_text()
    # The error is also pinned in the response template's editor.
    editor = page.locator('.cm-editor[data-for="id_response_template"]')
    assert editor.locator(".cm-console-marker-error").is_visible()
    # The warning about the second header sent lands on the Authorization row.
    warning = page.locator("#preview-warnings li")
    assert warning.get_attribute("data-field") == "headers.1.value"
    assert warning.inner_text().startswith("Header Authorization: did you mean")
    assert "preview-field-problem" in page.get_attribute("#id_headers-2-value", "class")

    # Nothing from the answer ran or became markup.
    assert page.evaluate("window.pwned") is None
    assert page.locator("#preview-panel script, #preview-panel img").count() == 0

    page.click("#preview-copy-curl")
    page.wait_for_selector("#preview-copy-curl:text('Copied')")
    assert page.evaluate("navigator.clipboard.readText()") == PREVIEW_RESULT["curl"]


def test_preview_follows_edits_after_a_pause(panel_page):
    page = panel_page
    page.answers.append((200, PREVIEW_RESULT))
    # The page's clock stands still between the edits, so a busy machine
    # cannot stretch the burst past the pause the panel waits for.
    page.clock.install()
    page.goto(f"{ORIGIN}/endpoint/")
    page.clock.run_for(1000)
    page.wait_for_selector("#preview-status[data-state=ok]")
    assert len(page.posts) == 1

    page.click('.cm-editor[data-for="id_response_template"] .cm-content')
    page.keyboard.press("Control+End")
    page.keyboard.type(" ")
    page.fill("#id_headers-0-value", "text/plain")
    assert page.get_attribute("#preview-status", "data-state") == "updating"
    page.clock.run_for(1000)
    page.wait_for_selector("#preview-status[data-state=ok]")
    page.clock.run_for(1000)
    # One request for the whole burst of edits, carrying all of them.
    assert len(page.posts) == 2
    body = page.posts[1]["body"]
    assert body["response_template"].endswith('"} ')
    assert body["headers"][0] == {"name": "Accept", "value": "text/plain"}


def test_invalid_sample_is_explained_and_not_sent(panel_page):
    page = panel_page
    page.answers.append((200, PREVIEW_RESULT))
    page.goto(f"{ORIGIN}/endpoint/")
    page.wait_for_selector("#preview-status[data-state=ok]")

    page.evaluate(
        """ConsoleEditor.get(document.getElementById("preview-sample-requestBody"))
            .setValue('{\\n  "client_id": abc\\n}')"""
    )
    message = page.locator("#preview-sample-requestBody-error")
    message.wait_for(state="visible")
    assert message.inner_text() == (
        "requestBody: Unexpected token 'a', expected a value at line 2, column 16"
    )
    page.wait_for_selector("#preview-status[data-state=invalid]")
    page.wait_for_timeout(400)
    assert len(page.posts) == 1


def test_failed_request_shows_a_plain_message(panel_page):
    page = panel_page
    page.answers.append(
        (500, "<html><body>Traceback (most recent call last)</body></html>")
    )
    page.goto(f"{ORIGIN}/endpoint/")
    page.wait_for_selector("#preview-status[data-state=error]")
    assert page.inner_text("#preview-status") == "Preview failed (HTTP 500)."
