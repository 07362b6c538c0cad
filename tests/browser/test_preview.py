"""The Endpoint page's Preview panel against the real preview endpoint, in Chromium.

The Basecamp user-info endpoint comes from the catalog, as `make run` imports it;
the sample response is the guide's Basecamp `authorization.json`.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from authorizations.models import Endpoint
from authorizations.samples import samples_for

# Serialized rollback: the flush after a live-server test would otherwise take
# the migration's permission groups away from the tests that follow.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

IDENTITY = "Jason Fried / jason@basecamp.com"
RESPONSE_EDITOR = '.cm-editor[data-for="id_response_template"] .cm-content'


@pytest.fixture
def clipboard_page(new_admin_page):
    """A logged-in admin page whose scripts may write and read the clipboard."""
    return new_admin_page(permissions=["clipboard-read", "clipboard-write"])


@pytest.fixture
def basecamp_user_info():
    call_command(
        "import_apps", str(Path(settings.BASE_DIR) / "catalog" / "basecamp.yaml")
    )
    return Endpoint.objects.get(authorization__app__slug="basecamp", kind="user_info")


def open_endpoint(page, endpoint):
    url = reverse("admin:authorizations_endpoint_change", args=[endpoint.pk])
    page.goto(f"{page.live_server_url}{url}")
    wait_until_previewed(page)


def wait_until_previewed(page):
    page.wait_for_selector('#preview-status[data-state="ok"]')


def replace_response_template(page, text):
    """Type ``text`` into the response template's editor, replacing what is there."""
    page.click(RESPONSE_EDITOR)
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.type(text)
    # Typing schedules a preview; wait for the one that follows the last key.
    page.wait_for_selector('#preview-status[data-state="updating"]', state="attached")
    wait_until_previewed(page)


def test_typing_previews_the_identity_and_errors_and_copies_curl(
    clipboard_page, basecamp_user_info
):
    page = clipboard_page
    open_endpoint(page, basecamp_user_info)
    assert page.inner_text("#preview-request-line") == (
        "GET https://launchpad.37signals.com/authorization.json"
    )

    replace_response_template(
        page,
        '{"user_identity": "{{ response.identity.first_name }} '
        '{{ response.identity.last_name }} / {{ response.identity.email_address }}"}',
    )
    contract = page.locator("#preview-contract")
    assert "ok" in contract.get_attribute("class")
    assert contract.inner_text() == f'✓ user_identity = "{IDENTITY}"'
    assert IDENTITY in page.inner_text("#preview-output")
    assert page.locator("#preview-errors li").count() == 0

    if os.environ.get("PREVIEW_SCREENSHOT"):
        # For a look at the page: PREVIEW_SCREENSHOT=/tmp/preview.png pytest …
        path = Path(os.environ["PREVIEW_SCREENSHOT"])
        page.screenshot(path=str(path), full_page=True)
        page.locator("#preview-panel").screenshot(
            path=str(path.with_stem(path.stem + "-panel"))
        )

    # A misspelt variable is a warning, listed and marked, that does not block.
    replace_response_template(
        page,
        '{"user_identity": "{{ response.identity.email_address }}'
        '{{ query.acces_token }}"}',
    )
    warning = page.locator("#preview-warnings li").first
    assert warning.get_attribute("data-field") == "response_template"
    assert "Did you mean `access_token`?" in warning.inner_text()
    assert page.locator(
        '.cm-editor[data-for="id_response_template"] .cm-console-marker-warning'
    ).is_visible()

    # Break the syntax on line 2: the error is listed at its line and marked in
    # the editor's gutter.
    replace_response_template(
        page, '{\n"user_identity": "{{ response.identity.first_name '
    )
    error = page.locator("#preview-errors li").first
    assert error.get_attribute("data-field") == "response_template"
    assert error.get_attribute("data-line") == "2"
    assert "Unclosed" in error.inner_text()
    marker = page.locator(
        '.cm-editor[data-for="id_response_template"] .cm-console-marker-error'
    )
    assert marker.count() == 1
    assert "Unclosed" in marker.get_attribute("title")
    assert "ok" not in (contract.get_attribute("class") or "")

    # Copy as curl: the URL and a masked Authorization header, no sample token.
    page.click("#preview-copy-curl")
    page.wait_for_selector("#preview-copy-curl.copied")
    curl = page.evaluate("navigator.clipboard.readText()")
    assert curl.startswith("curl ")
    assert "https://launchpad.37signals.com/authorization.json" in curl
    assert "Authorization: Bearer " in curl
    secrets = [
        value
        for sample in samples_for("user_info").values()
        if isinstance(sample, dict)
        for key, value in sample.items()
        if key in ("access_token", "client_secret", "refresh_token")
    ]
    assert secrets
    for secret in secrets:
        assert secret not in curl


def test_markup_in_a_template_shows_as_text_and_never_runs(
    clipboard_page, basecamp_user_info
):
    page = clipboard_page
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_endpoint(page, basecamp_user_info)

    markup = (
        "<script>window.pwned = 1; alert(1)</script>"
        '<img src=x onerror="window.pwned = 2; alert(2)">'
    )
    replace_response_template(page, f'{{"user_identity": "{markup}"}}')

    assert markup in page.inner_text("#preview-output")
    assert markup in page.inner_text("#preview-contract")
    assert page.evaluate("window.pwned") is None
    assert page.locator("#preview-panel script, #preview-panel img").count() == 0
    assert dialogs == []


def test_saving_a_syntax_error_shows_it_at_the_field(admin_page, basecamp_user_info):
    page = admin_page
    open_endpoint(page, basecamp_user_info)
    replace_response_template(
        page, '{\n"user_identity": "{{ response.identity.first_name '
    )

    page.click("input[name=_continue]")
    page.wait_for_load_state()

    error = page.locator(".field-response_template .errorlist li")
    assert error.inner_text().startswith('Line 2, column 19: Unclosed "variable".')
    excerpt = error.locator("pre.template-error-excerpt")
    assert excerpt.inner_text() == (
        '"user_identity": "{{ response.identity.first_name\n' + " " * 18 + "^"
    )
    if os.environ.get("PREVIEW_SCREENSHOT"):
        path = Path(os.environ["PREVIEW_SCREENSHOT"])
        page.locator(".field-response_template").screenshot(
            path=str(path.with_stem(path.stem + "-error"))
        )
    basecamp_user_info.refresh_from_db()
    assert "{{ response.identity.last_name }}" in basecamp_user_info.response_template


def test_the_add_page_previews_the_kind_chosen(admin_page, basecamp_user_info):
    page = admin_page
    authorization = basecamp_user_info.authorization
    basecamp_user_info.delete()  # so that User Information is free to add again
    add_url = reverse("admin:authorizations_endpoint_add")
    page.goto(f"{page.live_server_url}{add_url}?authorization={authorization.pk}")
    # No kind yet: the panel says what it needs.
    page.wait_for_selector('#preview-status[data-state="error"]')
    assert "Choose the endpoint's kind" in page.inner_text("#preview-status")

    page.select_option("#id_kind", "access_token")
    page.fill("#id_url", "https://launchpad.37signals.com/authorization/token")
    replace_response_template(
        page, '{"access_token": "{{ response.access_token }}", "expires_in": 60}'
    )

    # The token endpoint's samples: RFC 6749 §5.1's reply, masked in the output.
    assert '"token_type": "Bearer"' in page.input_value("#preview-sample-response")
    contract = page.locator("#preview-contract")
    assert "ok" in contract.get_attribute("class")
    assert "access_token" in contract.inner_text()
    token = samples_for("access_token")["response"]["access_token"]
    assert token not in page.inner_text(".preview-results")


def set_sample(page, name, text):
    """Write ``text`` into a sample box as a paste would, and wait for the answer."""
    page.evaluate(
        """([id, text]) => {
            const box = document.getElementById(id);
            box.value = text;
            box.dispatchEvent(new Event("input", {bubbles: true}));
        }""",
        [f"preview-sample-{name}", text],
    )
    page.wait_for_selector('#preview-status[data-state="updating"]', state="attached")
    page.wait_for_selector('#preview-status:not([data-state="updating"])')


def test_hostile_samples_are_refused_in_words_and_the_panel_recovers(
    admin_page, basecamp_user_info
):
    page = admin_page
    open_endpoint(page, basecamp_user_info)
    secret = "sk_live_panel-never-shows-77"

    # Nested far beyond the bound: the server says so, the page keeps working.
    deep = "[" * 950 + "]" * 950
    set_sample(page, "query", f'{{"access_token": "{secret}", "deep": {deep}}}')
    status = page.inner_text("#preview-status")
    assert status.startswith("Preview failed (HTTP 400): The data nests more than 64")

    # A lone surrogate in the token: named by its place, the token not shown.
    set_sample(page, "query", f'{{"access_token": "ab\\udcff{secret}"}}')
    status = page.inner_text("#preview-status")
    assert "samples.query.access_token holds an unpaired UTF-16 surrogate" in status
    assert secret not in status

    set_sample(page, "query", f'{{"access_token": "{secret}"}}')
    assert page.get_attribute("#preview-status", "data-state") == "ok"
    assert "Bearer ••••s-77" in page.inner_text("#preview-headers")
    # Only the sample box, where it was typed, holds the token.
    assert secret not in page.inner_text(".preview-results")
