"""Refresh now on many accounts in Chromium: from the list to the job's page.

The provider is a local token endpoint (pytest-httpserver) that holds its
answers until the test has seen the job running, so the page is caught
mid-way and then seen to reach "done" by itself, without a reload.
"""

import re
import threading

import pytest
from playwright.sync_api import expect
from pytest_httpserver import HTTPServer
from werkzeug import Response

from connections.models import AccountJob, ConnectedAccount
from tests.connections.test_actions import (  # noqa: F401 - autouse fixtures
    account,
    authorization_at,
    jobs_finish,
    sqlite_readers_do_not_lock,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TIMEOUT = 20_000
ACCOUNTS = 12  # more than are worked in the request


@pytest.fixture
def allow_loopback(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.ACCOUNT_JOB_RUNNER = "thread"


@pytest.fixture
def held_provider():
    """A token endpoint whose answers wait for ``release``."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.release = threading.Event()

    def token(request):
        server.release.wait(15)
        return Response(
            '{"access_token": "browser-access-1", "expires_in": 3600, '
            '"token_type": "Bearer"}',
            content_type="application/json",
        )

    server.expect_request("/token").respond_with_handler(token)
    server.start()
    yield server
    server.release.set()
    server.clear()
    if server.is_running():
        server.stop()


@pytest.mark.usefixtures("allow_loopback")
def test_refresh_now_on_selected_accounts_lands_on_a_job_that_reaches_done(
    admin_page, held_provider
):
    authorization = authorization_at(held_provider.url_for("/token"))
    for n in range(ACCOUNTS):
        account(authorization, f"browser{n:02}@example.com")
    page = admin_page

    page.goto(page.live_server_url + "/admin/connections/connectedaccount/")
    page.check("#action-toggle")  # every account on the page
    page.select_option('select[name="action"]', "refresh_now")
    page.click('button[name="index"]')

    expect(page).to_have_url(
        re.compile(r"/admin/connections/connectedaccount/jobs/\d+/$"), timeout=TIMEOUT
    )
    expect(page.locator(".messagelist")).to_contain_text(
        f"Refresh now started on {ACCOUNTS} accounts in the background"
    )
    expect(page.locator("h1")).to_have_text(f"Refresh now on {ACCOUNTS} accounts")
    # Caught mid-way: the provider holds every answer.
    expect(page.locator("#job-progress-text")).to_have_text(f"0 of {ACCOUNTS} done")
    expect(page.locator("#job-status")).to_have_text("Running", timeout=TIMEOUT)

    held_provider.release.set()

    job = page.locator(".account-job")
    expect(job).to_have_attribute("data-status", "done", timeout=TIMEOUT)
    expect(page.locator("#job-status")).to_have_text("Done")
    expect(page.locator("#job-progress-text")).to_have_text(
        f"{ACCOUNTS} of {ACCOUNTS} done"
    )
    assert page.eval_on_selector("#job-progress", "bar => [bar.value, bar.max]") == [
        ACCOUNTS,
        ACCOUNTS,
    ]
    expect(page.locator("#job-counts")).to_have_text(f"Refreshed: {ACCOUNTS}")
    results = page.locator("#job-items tbody .job-result")
    expect(results).to_have_count(ACCOUNTS)
    assert set(results.all_inner_texts()) == {"Refreshed"}
    messages = page.locator("#job-items tbody .job-message").all_inner_texts()
    assert all(text.startswith("Refreshed: a new access token") for text in messages)

    # The identity opens the account, now active with its new token.
    page.get_by_role("link", name="browser00@example.com").click()
    expect(page).to_have_url(
        re.compile(r"/admin/connections/connectedaccount/\d+/change/$"),
        timeout=TIMEOUT,
    )
    assert AccountJob.objects.get().status == "done"
    assert (
        ConnectedAccount.objects.filter(last_refreshed_at__isnull=False).count()
        == ACCOUNTS
    )
