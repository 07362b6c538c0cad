"""Refresh now, Verify and Revoke from an account's own page.

The buttons post to the account's action URL; the same functions as the
list's actions run, and the answer is a message on the account's page.  The
provider is a local API (pytest-httpserver); the browser is Django's client.
"""

from __future__ import annotations

import html

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from connections.models import AccountEvent, ConnectedAccount
from tests.factories import ConnectedAccountFactory
from tests.flows.helpers import jason_api_key_authorization

pytestmark = pytest.mark.usefixtures("allow_loopback")

API_KEY = "ak_live_page_actions_5521"
MANAGER = ("view_connectedaccount", "change_connectedaccount")


def page_url(account) -> str:
    return reverse("admin:connections_connectedaccount_change", args=[account.pk])


def act_url(account, action: str) -> str:
    return reverse("admin:connections_connectedaccount_act", args=[account.pk, action])


def said(response) -> list[str]:
    return [html.unescape(str(m)) for m in get_messages(response.wsgi_request)]


def jason(httpserver) -> ConnectedAccount:
    return ConnectedAccountFactory(
        authorization=jason_api_key_authorization(httpserver, API_KEY),
        user_identity="jason@old.example",
        credentials={"api_key": API_KEY},
    )


def test_verify_from_the_page_says_what_happened_on_the_page(httpserver, member_client):
    account = jason(httpserver)
    client = member_client(permissions=MANAGER)

    page = client.get(page_url(account)).content.decode()
    response = client.post(act_url(account, "verify"))

    assert f'action="{act_url(account, "verify")}"' in page
    assert f'href="{act_url(account, "revoke")}"' in page
    assert response.status_code == 302 and response.url == page_url(account)
    [message] = said(response)
    assert "Verified" in message and "jason@basecamp.com" in message
    account.refresh_from_db()
    assert account.user_identity == "Jason Fried / jason@basecamp.com"
    event = account.events.get(kind=AccountEvent.Kind.VERIFIED)
    assert event.actor.username.startswith("member-") and event.via == "admin"
    assert API_KEY not in message


def test_a_get_runs_nothing(httpserver, member_client):
    account = jason(httpserver)
    client = member_client(permissions=MANAGER)

    response = client.get(act_url(account, "verify"))

    assert response.status_code == 302 and response.url == page_url(account)
    assert httpserver.log == []
    assert not account.events.exists()


def test_revoke_asks_first_then_revokes(httpserver, member_client):
    account = jason(httpserver)
    client = member_client(permissions=MANAGER)

    question = client.get(act_url(account, "revoke"))
    unconfirmed = client.post(act_url(account, "revoke"))
    account.refresh_from_db()
    untouched = (account.status, account.credentials)
    confirmed = client.post(act_url(account, "revoke"), {"post": "yes"})

    assert "Revoke <strong>jason@old.example</strong>?" in question.content.decode()
    assert "Revoke <strong>" in unconfirmed.content.decode()
    assert untouched == (ConnectedAccount.Status.ACTIVE, {"api_key": API_KEY})
    assert confirmed.status_code == 302 and confirmed.url == page_url(account)
    [message] = said(confirmed)
    assert "no Revoke Endpoint" in message
    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.REVOKED
    assert account.credentials == {}
    assert account.events.get().kind == AccountEvent.Kind.REVOKED
    # A revoked account offers no Revoke, and says so if asked.
    assert f'href="{act_url(account, "revoke")}"' not in (
        client.get(page_url(account)).content.decode()
    )


@pytest.mark.parametrize(
    "permissions", [("view_connectedaccount",), ()], ids=["view-only", "none"]
)
def test_without_the_change_permission_no_button_and_403(
    httpserver, member_client, permissions
):
    account = jason(httpserver)
    client = member_client(permissions=permissions)

    page = client.get(page_url(account))
    answers = [
        client.post(act_url(account, action), {"post": "yes"})
        for action in ("refresh", "verify", "revoke")
    ]

    if permissions:
        assert page.status_code == 200
        assert "/act/" not in page.content.decode()
    assert [answer.status_code for answer in answers] == [403, 403, 403]
    assert API_KEY not in "".join(a.content.decode() for a in answers)
    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.ACTIVE
    assert httpserver.log == []


def test_an_unknown_action_or_account_is_404(httpserver, member_client):
    account = jason(httpserver)
    client = member_client(permissions=MANAGER)

    assert client.post(act_url(account, "delete-everything")).status_code == 404
    missing = reverse("admin:connections_connectedaccount_act", args=[99999, "verify"])
    assert client.post(missing).status_code == 404
