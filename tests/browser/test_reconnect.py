"""Reconnect in Chromium: an account manager, from the account's page to the
provider and back.

The provider is the OAuth 2.0 peer (django-oauth-toolkit on the live server,
under another host name than the console's, with its own login and consent
pages).  The account manager holds the connected-account permissions only,
no authorization permission, as in production.
"""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from connections.models import AccountEvent, ConnectedAccount
from tests.factories import ConnectedAccountFactory
from tests.peers.console import (
    PLAIN_TEMPLATES,
    USER_INFO_RESPONSE,
    oauth2_authorization,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TIMEOUT = 15_000
IDENTITY = "Jason Fried / jason@basecamp.com"


@pytest.fixture
def allow_loopback(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]


@pytest.fixture
def manager_page(browser, live_server, django_user_model):
    """A page logged in as a staff member who may view and change connected
    accounts, and nothing else."""
    user = django_user_model.objects.create_user(username="manager", is_staff=True)
    rights = Permission.objects.filter(
        content_type__app_label="connections",
        codename__in=["view_connectedaccount", "change_connectedaccount"],
    )
    assert rights.count() == 2
    user.user_permissions.add(*rights)
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
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
    yield page
    context.close()


@pytest.mark.usefixtures("allow_loopback")
def test_a_manager_reconnects_an_account_at_the_provider(manager_page, oauth2_peer):
    templates = {**PLAIN_TEMPLATES, "user_info_response": USER_INFO_RESPONSE}
    authorization = oauth2_authorization(oauth2_peer, **templates)
    account = ConnectedAccountFactory(
        authorization=authorization,
        user_identity=IDENTITY,
        account_id=str(oauth2_peer.user.pk),
        credentials={"access_token": "spent-access", "refresh_token": "spent-refresh"},
        status=ConnectedAccount.Status.NEEDS_RECONNECT,
        expires_at=timezone.now() - dt.timedelta(hours=2),
        last_error="The provider refused the refresh (invalid_grant).",
    )
    AccountEvent.objects.create(
        account=account,
        kind=AccountEvent.Kind.CONNECTED,
        detail=f"Connected as {IDENTITY}",
    )
    page = manager_page
    page.goto(
        page.live_server_url
        + f"/admin/connections/connectedaccount/{account.pk}/change/"
    )

    page.get_by_role("link", name="Reconnect").click()
    expect(page).to_have_url(
        re.compile(rf"/connectedaccount/{account.pk}/reconnect/$"), timeout=TIMEOUT
    )
    expect(page.locator("#content-main")).to_contain_text(
        f"sign in there as {IDENTITY}"
    )
    page.get_by_role("button", name="Continue to Basecamp").click()

    # The provider's own login and consent pages.
    expect(page).to_have_url(
        re.compile("^" + re.escape(oauth2_peer.login_url)), timeout=TIMEOUT
    )
    page.get_by_label("Username").fill(oauth2_peer.username)
    page.get_by_label("Password").fill(oauth2_peer.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Authorize Integry console?")).to_be_visible(
        timeout=TIMEOUT
    )
    page.get_by_role("button", name="Authorize").click()

    # Back on the same account's page, saying how it went.
    expect(page).to_have_url(
        re.compile(rf"/admin/connections/connectedaccount/{account.pk}/change/$"),
        timeout=TIMEOUT,
    )
    expect(page.locator(".messagelist .success")).to_have_text(
        f"Reconnected as {IDENTITY}."
    )
    history = page.locator("table.account-history tbody tr")
    expect(history).to_have_count(2)
    expect(history.first).to_contain_text("Reconnected")
    expect(history.first).to_contain_text("manager")
    expect(history.nth(1)).to_contain_text("Connected")

    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.ACTIVE
    assert account.last_error == ""
    assert oauth2_peer.access_token_is_active(account.credentials["access_token"])
    shown = page.content()
    for secret in (*account.credentials.values(), oauth2_peer.app.client_secret):
        assert secret not in shown
    assert ConnectedAccount.objects.count() == 1
