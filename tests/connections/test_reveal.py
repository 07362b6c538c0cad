"""Reveal: one credential of a connected account shown whole, to those allowed.

Posted as the account page's Reveal button posts it (its CSRF token read
from the page); the value never comes back to a GET, to anyone without the
reveal permission, in a log line or in an error report.
"""

import logging
import re
import sys

import pytest
from django.core.signals import got_request_exception
from django.test import Client
from django.urls import reverse
from django.views.debug import ExceptionReporter
from playwright.sync_api import expect

from connections.admin_views import reveal
from connections.models import AccountEvent
from tests.factories import ConnectedAccountFactory

pytestmark = pytest.mark.django_db

ACCESS = "reveal-access-token-5c2e8f1a9b"
REFRESH = "reveal-refresh-token-0d7b3e4f6a"
SECRETS = (ACCESS, REFRESH)
# Generous for a loaded machine; a passing run waits far less.
TIMEOUT = 15_000


@pytest.fixture
def account():
    return ConnectedAccountFactory(
        user_identity="dana@example.com",
        credentials={"access_token": ACCESS, "refresh_token": REFRESH},
    )


def change_url(account):
    return reverse("admin:connections_connectedaccount_change", args=[account.pk])


def reveal_url(account):
    return reverse("admin:connections_connectedaccount_reveal", args=[account.pk])


def csrf_token(client, account) -> str:
    """The CSRF token of the account page, as the browser would send it."""
    page = client.get(change_url(account)).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def press_reveal(client, account, name="access_token"):
    token = csrf_token(client, account)
    return client.post(
        reveal_url(account), {"csrfmiddlewaretoken": token, "credential": name}
    )


@pytest.fixture
def revealer(member_client):
    """An account manager who was also given the reveal permission."""
    return member_client("Account managers", permissions=["reveal_connectedaccount"])


def test_reveal_shows_one_credential_whole_and_records_who(
    revealer, account, django_user_model
):
    page = revealer.get(change_url(account)).content.decode()
    # Each credential masked, a Reveal button beside each, posting to the view.
    for name, secret in (("access_token", ACCESS), ("refresh_token", REFRESH)):
        assert f"{name}: ••••{secret[-4:]}" in page
        assert re.search(
            rf'<button type="submit" class="button reveal-credential" '
            rf'formaction="{reveal_url(account)}" formmethod="post" formnovalidate '
            rf'name="credential" value="{name}"',
            page,
        )
    for secret in SECRETS:
        assert secret not in page

    response = press_reveal(revealer, account)

    assert response.status_code == 200
    body = response.content.decode()
    assert (
        f'<code id="revealed-credential" class="revealed-credential">{ACCESS}</code>'
    ) in body
    assert REFRESH not in body
    assert 'data-copy-target="revealed-credential">Copy</button>' in body
    assert "admin-console/copy-button.js" in body
    assert "this reveal is recorded in the account" in body
    assert "no-store" in response["Cache-Control"]
    event = account.events.get()
    assert event.kind == AccountEvent.Kind.REVEALED and event.ok
    assert event.detail == "Revealed access_token"
    assert event.actor == django_user_model.objects.get(username="member-1")
    # The history on the page says who.
    page = revealer.get(change_url(account)).content.decode()
    assert re.search(
        r"<td>Secret revealed</td><td>OK</td><td>member-1</td>"
        r"<td>Revealed access_token</td>",
        page,
    )
    assert ACCESS not in page


def test_a_superuser_may_reveal(member_client, account):
    client = member_client(superuser=True)

    response = press_reveal(client, account, "refresh_token")

    assert REFRESH in response.content.decode()
    assert account.events.get().detail == "Revealed refresh_token"


def test_a_view_only_member_with_the_right_may_reveal(member_client, account):
    client = member_client(
        permissions=["view_connectedaccount", "reveal_connectedaccount"]
    )

    assert "reveal-credential" in client.get(change_url(account)).content.decode()
    assert ACCESS in press_reveal(client, account).content.decode()


@pytest.mark.parametrize(
    ("groups", "permissions"),
    [
        (["Account managers"], []),
        ([], ["view_connectedaccount"]),
        # The right alone, without seeing accounts, reveals nothing either.
        ([], ["reveal_connectedaccount"]),
    ],
    ids=["account-manager", "view-only", "reveal-only"],
)
def test_without_the_right_no_button_and_403(
    member_client, account, groups, permissions
):
    client = member_client(*groups, permissions=permissions)

    page = client.get(change_url(account))
    if page.status_code == 200:
        assert "Reveal" not in page.content.decode()
    # (The test client does not check CSRF unless asked: this is the right.)
    response = client.post(reveal_url(account), {"credential": "access_token"})

    assert response.status_code == 403
    for secret in SECRETS:
        assert secret not in response.content.decode()
    assert not account.events.exists()


def test_anonymous_is_sent_to_log_in(account):
    response = Client().post(reveal_url(account), {"credential": "access_token"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert not account.events.exists()


def test_a_get_reveals_nothing(revealer, account):
    response = revealer.get(reveal_url(account), {"credential": "access_token"})

    assert response.status_code == 405
    assert ACCESS not in response.content.decode()
    assert not account.events.exists()


def test_a_post_without_the_csrf_token_is_refused(member_client, account):
    client = member_client(
        "Account managers",
        permissions=["reveal_connectedaccount"],
        enforce_csrf_checks=True,
    )

    response = client.post(reveal_url(account), {"credential": "access_token"})
    assert response.status_code == 403
    assert ACCESS not in response.content.decode()

    # The token from the page opens it.
    assert ACCESS in press_reveal(client, account).content.decode()


@pytest.mark.parametrize(
    ("name", "status", "words"),
    [
        ("password", 404, "This account stores no credential named “password”"),
        ("<script>", 404, "no credential named “&lt;script&gt;”"),
        ("", 400, "Choose a credential to reveal"),
    ],
)
def test_an_unknown_credential_says_so(revealer, account, name, status, words):
    response = press_reveal(revealer, account, name)

    assert response.status_code == status
    body = response.content.decode()
    assert words in body
    assert "“<script>”" not in body
    for secret in SECRETS:
        assert secret not in body
    assert not account.events.exists()


def test_an_unknown_account_is_404(revealer, account):
    token = csrf_token(revealer, account)
    for object_id in (account.pk + 1000, "not-a-number"):
        response = revealer.post(
            reverse("admin:connections_connectedaccount_reveal", args=[object_id]),
            {"csrfmiddlewaretoken": token, "credential": "access_token"},
        )
        assert response.status_code == 404


def test_a_revoked_account_has_nothing_to_reveal(revealer):
    wiped = ConnectedAccountFactory(credentials={}, status="revoked")

    page = revealer.get(change_url(wiped)).content.decode()

    assert "None stored" in page and "reveal-credential" not in page
    assert press_reveal(revealer, wiped).status_code == 404


def test_the_value_is_not_logged(revealer, account, caplog):
    caplog.set_level(logging.DEBUG)

    press_reveal(revealer, account)

    assert account.events.exists()
    for secret in SECRETS:
        assert secret not in caplog.text


def test_an_error_report_shows_no_credential(revealer, account, monkeypatch):
    """Rendering fails after the value was read: the report Django mails to
    ADMINS (and logs) holds the frames' variables, all cleansed."""
    monkeypatch.setattr(reveal, "TEMPLATE", "admin/connections/no-such-page.html")
    reports = []

    def report(sender, request, **kwargs):
        reporter = ExceptionReporter(request, *sys.exc_info())
        reports.append(reporter.get_traceback_text() + reporter.get_traceback_html())

    got_request_exception.connect(report)
    revealer.raise_request_exception = False
    try:
        response = press_reveal(revealer, account)
    finally:
        got_request_exception.disconnect(report)

    assert response.status_code == 500
    [text] = reports
    assert "TemplateDoesNotExist" in text
    assert "credential" in text  # the POST is there, its values cleansed
    for secret in SECRETS:
        assert secret not in text


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_reveal_and_copy_in_the_browser(new_admin_page, admin_user):
    """The button on the account page, the value whole on a page whose URL
    holds no secret, and the Copy button putting it on the clipboard."""
    account = ConnectedAccountFactory(
        user_identity="dana@example.com",
        credentials={"access_token": ACCESS, "refresh_token": REFRESH},
    )
    page = new_admin_page(permissions=["clipboard-read", "clipboard-write"])
    page.goto(page.live_server_url + change_url(account))
    expect(page.get_by_text(f"access_token: ••••{ACCESS[-4:]}")).to_be_visible()
    assert ACCESS not in page.content()

    page.get_by_role("button", name="Reveal access_token").click()

    revealed = page.locator("#revealed-credential")
    expect(revealed).to_have_text(ACCESS, timeout=TIMEOUT)
    assert page.url == page.live_server_url + reveal_url(account)
    assert REFRESH not in page.content()
    page.get_by_role("button", name="Copy").click()
    expect(page.locator(".copy-status")).to_have_text("Copied.", timeout=TIMEOUT)
    assert page.evaluate("navigator.clipboard.readText()") == ACCESS
    event = account.events.get()
    assert (event.kind, event.detail, event.actor) == (
        AccountEvent.Kind.REVEALED,
        "Revealed access_token",
        admin_user,
    )

    # Back on the account page the history says so, and nothing is whole.
    page.get_by_role("link", name="Back to the account").click()
    expect(page.locator("table.account-history")).to_contain_text(
        "Revealed access_token", timeout=TIMEOUT
    )
    assert ACCESS not in page.content()
