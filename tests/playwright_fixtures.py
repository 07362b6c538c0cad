"""Playwright driving Debian's Chromium against a live test server.

Skipped, with a reason in the report, when Chromium is not installed; with
REQUIRE_BROWSER=1 (set by CI) a missing browser fails instead.
"""

import os
import shutil

import pytest
from django.conf import settings
from django.test import Client

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

VIEWPORT = {"width": 1280, "height": 900}


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        message = "Chromium not found (apt-get install -y chromium)"
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message + " and REQUIRE_BROWSER is set")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop; Django refuses ORM calls from it.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=path, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def new_admin_page(browser, live_server, admin_user):
    """Return a function opening a page logged in to the admin as a superuser.

    Keywords go to the browser context (``permissions=["clipboard-read"]``);
    the page's ``live_server_url`` is the console's address.
    """
    contexts = []

    def open_page(**context_options):
        context = browser.new_context(viewport=VIEWPORT, **context_options)
        contexts.append(context)
        # A real session, as the login form makes it, without loading the form
        # in every test (0.6 s each); tests/integry/test_access.py logs in
        # through the form.
        client = Client()
        client.force_login(admin_user)
        cookie = settings.SESSION_COOKIE_NAME
        context.add_cookies(
            [
                {
                    "name": cookie,
                    "value": client.cookies[cookie].value,
                    "url": live_server.url,
                }
            ]
        )
        page = context.new_page()
        page.live_server_url = live_server.url
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def admin_page(new_admin_page):
    """A browser page logged in to the admin as a superuser."""
    return new_admin_page()
