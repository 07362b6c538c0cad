"""Test authorization in Chromium, from the authorization's page to the account.

The OAuth 2.0 test signs in at a real provider (tests/peers: django-oauth-toolkit
served by the live server under another host name than the console's, with its
own login and consent pages); the API key test calls a local API
(pytest-httpserver). Nothing is mocked: the console's guarded client makes the
calls, allowed to reach 127.0.0.1 for these tests only.
"""

import re

import pytest
from playwright.sync_api import expect

from connections.models import ConnectedAccount
from tests.factories import AppFactory
from tests.flows.helpers import jason_api_key_authorization
from tests.peers.console import PLAIN_TEMPLATES, oauth2_authorization

# Serialized rollback: the flush after a live-server test would otherwise take
# the migration's permission groups away from the tests that follow.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Generous for a loaded machine; a passing run waits far less.
TIMEOUT = 15_000
IDENTITY = "Jason Fried / jason@basecamp.com"
API_KEY = "ak_live_7Gq2Lm9XbR4tZw1P"


@pytest.fixture
def allow_loopback(settings):
    """Let the console's guarded client reach the test servers on 127.0.0.1."""
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]


@pytest.fixture
def clipboard_page(new_admin_page):
    """A logged-in admin page whose scripts may write and read the clipboard."""
    return new_admin_page(permissions=["clipboard-read", "clipboard-write"])


def open_test_page(page, authorization):
    """Open the authorization's page and follow its Test authorization tool."""
    page.goto(page.live_server_url + authorization.get_absolute_url())
    page.get_by_role("link", name="Test authorization").click()
    expect(page).to_have_url(
        re.compile(rf"/admin/authorizations/authorization/{authorization.pk}/test/$"),
        timeout=TIMEOUT,
    )


def expect_connected(page):
    """Wait for the run page and return its "Connected as" headline."""
    expect(page).to_have_url(
        re.compile(r"/admin/authorizations/authorization/test-runs/\d+/$"),
        timeout=TIMEOUT,
    )
    headline = page.locator(".run-headline")
    expect(headline).to_have_text(f"Connected as {IDENTITY}", timeout=TIMEOUT)
    return headline


@pytest.mark.usefixtures("allow_loopback")
@pytest.mark.parametrize("client_auth", ["client_secret_post", "client_secret_basic"])
def test_oauth2_signs_in_at_the_provider_and_lands_on_the_account(
    new_admin_page, oauth2_peer, client_auth
):
    authorization = oauth2_authorization(
        oauth2_peer, name="OAuth2.0", client_auth=client_auth, **PLAIN_TEMPLATES
    )
    page = new_admin_page()
    open_test_page(page, authorization)

    page.get_by_role("button", name="Continue to Basecamp").click()

    # The provider's own login page, at its own host name.
    expect(page).to_have_url(
        re.compile("^" + re.escape(oauth2_peer.login_url)), timeout=TIMEOUT
    )
    page.get_by_label("Username").fill(oauth2_peer.username)
    page.get_by_label("Password").fill(oauth2_peer.password)
    page.get_by_role("button", name="Sign in").click()

    # Its consent page, naming the client and the scopes asked for.
    expect(page.get_by_text("Authorize Integry console?")).to_be_visible(
        timeout=TIMEOUT
    )
    expect(page.get_by_text("See your name")).to_be_visible()
    page.get_by_role("button", name="Authorize").click()

    # Back at the console: the step log, each step a <details>.
    headline = expect_connected(page)
    steps = page.locator("ol.run-steps > li")
    expect(steps.locator("summary .step-name")).to_have_text(
        [
            "Redirect to the provider",
            "Back from the provider",
            "Access token",
            "User information",
        ]
    )
    expect(steps.locator("summary .step-result")).to_have_text(["OK"] * 4)
    expect(page.locator(".step-status")).to_have_text(["200", "200"])
    # No secret on the page: the client's, the code's tokens (masked).
    account = ConnectedAccount.objects.get()
    shown = page.content()
    for secret in (
        oauth2_peer.app.client_secret,
        account.credentials["access_token"],
        account.credentials["refresh_token"],
    ):
        assert secret not in shown

    # The headline links to the connected account.
    headline.get_by_role("link").click()
    expect(page).to_have_url(
        re.compile(r"/admin/connections/connectedaccount/\d+/change/$"),
        timeout=TIMEOUT,
    )
    page.locator(".breadcrumbs").get_by_role("link", name="Connected accounts").click()
    expect(page).to_have_url(
        re.compile(r"/admin/connections/connectedaccount/$"), timeout=TIMEOUT
    )
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list tbody tr").first).to_contain_text(IDENTITY)


@pytest.fixture
def api_key_authorization(httpserver):
    """An API Key authorization whose user info is a local API."""
    return jason_api_key_authorization(
        httpserver,
        API_KEY,
        app=AppFactory(name="Basecamp", slug="basecamp"),
        name="API key",
    )


@pytest.mark.usefixtures("allow_loopback")
def test_api_key_form_connects_and_copies_a_masked_curl(
    clipboard_page, api_key_authorization, httpserver
):
    page = clipboard_page
    open_test_page(page, api_key_authorization)

    key = page.get_by_label("API key")
    expect(key).to_have_attribute("type", "password")
    key.fill(API_KEY)
    page.get_by_role("button", name="Test with these credentials").click()

    expect_connected(page)
    assert API_KEY not in page.content()

    step = page.locator("ol.run-steps > li").filter(has_text="User information")
    expect(step.locator("details")).to_have_attribute("open", "")
    step.get_by_role("button", name="Copy as curl").click()
    expect(step.locator(".copy-status")).to_have_text("Copied.", timeout=TIMEOUT)
    curl = page.evaluate("navigator.clipboard.readText()")
    assert curl.startswith("curl ")
    assert httpserver.url_for("/me") in curl
    assert "X-Api-Key: " in curl
    assert API_KEY not in curl
    assert API_KEY[-4:] in curl  # masked as the page shows it: its last four kept
