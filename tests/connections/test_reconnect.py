"""Reconnect: the account page's button reruns the flow and updates the same
account, against real servers.

Credential types talk to a local API (pytest-httpserver); OAuth 2.0 goes
through the DOT peer on the live server, its consent given by the peer's
browser and the callback opened by the staff member's Client.  What is
checked is what an account manager sees: where the browser goes, the words
on the account page, and the account's row and history.
"""

from __future__ import annotations

import datetime as dt
import html
from urllib.parse import urlsplit

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from authorizations.flows import start_run
from authorizations.flows.result import FlowResult
from authorizations.models import TestRun
from connections.models import AccountEvent, ConnectedAccount
from connections.services import account_reconnect
from tests.factories import ConnectedAccountFactory
from tests.flows.helpers import jason_api_key_authorization
from tests.peers.console import oauth2_authorization

pytestmark = pytest.mark.usefixtures("allow_loopback")

JASON = "Jason Fried / jason@basecamp.com"
OLD_KEY = "old-api-key-1f2e3d4c5b"
NEW_KEY = "new-api-key-9a8b7c6d5e"
MANAGER = ("view_connectedaccount", "change_connectedaccount")


def reconnect_url(account) -> str:
    return reverse("admin:connections_connectedaccount_reconnect", args=[account.pk])


def account_url(account) -> str:
    return reverse("admin:connections_connectedaccount_change", args=[account.pk])


def said(response) -> list[str]:
    """The messages the page after ``response`` shows."""
    return [str(m) for m in get_messages(response.wsgi_request)]


def jason_account(authorization, **fields) -> ConnectedAccount:
    """Jason's account, connected once (its first event), now failing."""
    fields.setdefault("credentials", {"api_key": OLD_KEY})
    fields.setdefault("status", ConnectedAccount.Status.NEEDS_RECONNECT)
    account = ConnectedAccountFactory(
        authorization=authorization,
        user_identity=JASON,
        last_error="The provider refused the refresh (invalid_grant).",
        failed_attempts=3,
        retry_at=timezone.now() + dt.timedelta(minutes=5),
        version=4,
        **fields,
    )
    AccountEvent.objects.create(
        account=account,
        kind=AccountEvent.Kind.CONNECTED,
        detail=f"Connected as {JASON}",
    )
    return account


def assert_unchanged(account, before: dict):
    account.refresh_from_db()
    assert {
        "credentials": account.credentials,
        "status": account.status,
        "version": account.version,
        "user_identity": account.user_identity,
    } == before
    assert ConnectedAccount.objects.count() == 1
    assert not account.events.filter(kind=AccountEvent.Kind.RECONNECTED).exists()


def snapshot(account) -> dict:
    return {
        "credentials": account.credentials,
        "status": account.status,
        "version": account.version,
        "user_identity": account.user_identity,
    }


# --- credential types --------------------------------------------------------------


@pytest.mark.django_db
def test_a_credential_account_is_reconnected_in_place(httpserver, member_client):
    authorization = jason_api_key_authorization(httpserver, NEW_KEY)
    account = jason_account(authorization)
    client = member_client(permissions=MANAGER)

    page = client.get(account_url(account)).content.decode()
    assert f'href="{reconnect_url(account)}"' in page
    form = client.get(reconnect_url(account))
    assert form.status_code == 200
    text = form.content.decode()
    assert "API key" in text and "Reconnect with these credentials" in text
    assert OLD_KEY not in text

    answer = client.post(reconnect_url(account), {"api_key": NEW_KEY}, follow=True)

    assert answer.redirect_chain == [(account_url(account), 302)]
    assert said(answer) == [f"Reconnected as {JASON}."]
    shown = answer.content.decode()
    assert html.escape(f"Reconnected as {JASON}.") in shown
    assert NEW_KEY not in shown and OLD_KEY not in shown
    reconnected = ConnectedAccount.objects.get()
    assert reconnected.pk == account.pk
    assert reconnected.credentials == {"api_key": NEW_KEY}
    assert reconnected.status == ConnectedAccount.Status.ACTIVE
    assert reconnected.version == 5
    assert (reconnected.last_error, reconnected.failed_attempts) == ("", 0)
    assert reconnected.retry_at is None
    events = list(reconnected.events.order_by("id"))
    assert [e.kind for e in events] == ["connected", "reconnected"]
    assert events[1].detail == f"Reconnected as {JASON}"
    assert events[1].via == "Reconnect"
    assert events[1].actor.pk == int(client.session["_auth_user_id"])
    run = TestRun.objects.get()
    assert run.reconnect_account_pk == run.connected_account_pk == account.pk
    assert run.message == f"Reconnected as {JASON}"
    # The history on the page says it, with who.
    assert "Reconnect" in shown and events[1].actor.username in shown


@pytest.mark.django_db
def test_a_revoked_account_is_reconnected(httpserver, member_client):
    authorization = jason_api_key_authorization(httpserver, NEW_KEY)
    account = jason_account(
        authorization, credentials={}, status=ConnectedAccount.Status.REVOKED
    )
    client = member_client(permissions=MANAGER)

    assert "is revoked" in client.get(reconnect_url(account)).content.decode()
    answer = client.post(reconnect_url(account), {"api_key": NEW_KEY}, follow=True)

    assert said(answer) == [f"Reconnected as {JASON}."]
    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.ACTIVE
    assert account.credentials == {"api_key": NEW_KEY}


@pytest.mark.django_db
def test_another_identity_is_refused_and_nothing_changes(httpserver, member_client):
    authorization = jason_api_key_authorization(httpserver, NEW_KEY)
    httpserver.expect_request(
        "/me", headers={"X-Api-Key": "someone-elses-key"}
    ).respond_with_json({"name": "Tobi Lutke", "email": "tobi@shopify.com"})
    account = jason_account(authorization)
    before = snapshot(account)
    client = member_client(permissions=MANAGER)

    answer = client.post(
        reconnect_url(account), {"api_key": "someone-elses-key"}, follow=True
    )

    assert answer.redirect_chain == [(account_url(account), 302)]
    assert said(answer) == [
        "The account could not be reconnected: The provider signed in as Tobi "
        f"Lutke / tobi@shopify.com, but this account is {JASON}: sign in as "
        f"{JASON} to reconnect it. Nothing was stored."
    ]
    assert "someone-elses-key" not in answer.content.decode()
    assert_unchanged(account, before)
    assert TestRun.objects.get().status == TestRun.Status.FAILED


@pytest.mark.django_db
def test_a_failing_sign_in_says_why_and_changes_nothing(httpserver, member_client):
    authorization = jason_api_key_authorization(httpserver, NEW_KEY)
    httpserver.expect_request("/me").respond_with_json(
        {"error": "invalid_api_key"}, status=401
    )
    account = jason_account(authorization)
    before = snapshot(account)
    client = member_client(permissions=MANAGER)

    answer = client.post(
        reconnect_url(account), {"api_key": "a-wrong-key"}, follow=True
    )

    [message] = said(answer)
    assert message.startswith(
        "The User Information Endpoint answered 401 invalid_api_key"
    ), message
    assert "a-wrong-key" not in message
    assert_unchanged(account, before)


@pytest.mark.django_db
def test_an_empty_form_is_refused_without_a_run(httpserver, member_client):
    authorization = jason_api_key_authorization(httpserver, NEW_KEY)
    account = jason_account(authorization)
    before = snapshot(account)
    client = member_client(permissions=MANAGER)

    answer = client.post(reconnect_url(account), {"api_key": ""})

    assert answer.status_code == 200
    assert "This field is required." in answer.content.decode()
    assert not TestRun.objects.exists() and not httpserver.log
    assert_unchanged(account, before)


# --- who may --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "permissions", [("view_connectedaccount",), ()], ids=["view-only", "none"]
)
def test_without_the_change_permission_it_is_403(
    httpserver, member_client, permissions
):
    authorization = jason_api_key_authorization(httpserver, NEW_KEY)
    account = jason_account(authorization)
    before = snapshot(account)
    client = member_client(permissions=permissions)

    assert client.get(reconnect_url(account)).status_code == 403
    assert client.post(reconnect_url(account), {"api_key": NEW_KEY}).status_code == 403
    # Nor for an account that does not exist: no id is confirmed.
    missing = reverse("admin:connections_connectedaccount_reconnect", args=[999999])
    assert client.get(missing).status_code == 403
    if permissions:
        page = client.get(account_url(account)).content.decode()
        assert "Reconnect</a>" not in page
    assert not TestRun.objects.exists() and not httpserver.log
    assert_unchanged(account, before)


@pytest.mark.django_db
def test_a_manager_without_authorization_rights_reconnects(httpserver, member_client):
    """Account managers hold no authorization permission: nothing on the way
    needs one."""
    authorization = jason_api_key_authorization(httpserver, NEW_KEY)
    account = jason_account(authorization)
    client = member_client(permissions=MANAGER)
    assert client.get(authorization.get_absolute_url()).status_code == 403

    answer = client.post(reconnect_url(account), {"api_key": NEW_KEY}, follow=True)

    assert answer.status_code == 200
    assert said(answer) == [f"Reconnected as {JASON}."]


@pytest.mark.django_db
def test_a_missing_account_is_404_for_a_manager(member_client):
    client = member_client(permissions=MANAGER)

    answer = client.get(
        reverse("admin:connections_connectedaccount_reconnect", args=[999999])
    )

    assert answer.status_code == 404


@pytest.mark.django_db
def test_an_account_deleted_before_the_store_is_refused(httpserver, admin_user):
    authorization = jason_api_key_authorization(httpserver, NEW_KEY)
    account = jason_account(authorization)
    run = TestRun.objects.create(
        authorization=authorization, reconnect_account_pk=account.pk
    )
    account.delete()

    with pytest.raises(ValidationError) as refused:
        account_reconnect(
            account_pk=run.reconnect_account_pk,
            authorization=authorization,
            result=FlowResult(user_identity=JASON, credentials={"api_key": NEW_KEY}),
            user=admin_user,
        )
    assert refused.value.messages == [
        "The account to reconnect was deleted meanwhile. Nothing was stored."
    ]
    assert not ConnectedAccount.objects.exists()


@pytest.mark.django_db
def test_a_test_run_still_connects_by_identity(httpserver, admin_user, client):
    """A plain Test authorization is no reconnect: it creates or updates by
    identity, as before."""
    authorization = jason_api_key_authorization(httpserver, NEW_KEY)
    run = start_run(
        authorization,
        user=admin_user,
        session=client.session,
        values={"api_key": NEW_KEY},
    ).run

    assert run.message == f"Connected as {JASON}"
    assert run.reconnect_account_pk is None
    assert ConnectedAccount.objects.get().events.get().via == "Test authorization"


# --- OAuth 2.0 through the DOT peer ------------------------------------------------


def local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


@pytest.fixture
def oauth_account(oauth2_peer):
    authorization = oauth2_authorization(oauth2_peer)
    return jason_account(
        authorization,
        account_id=str(oauth2_peer.user.pk),
        credentials={"access_token": "dead-access", "refresh_token": "dead-refresh"},
    )


def sign_in_again(client, peer, account):
    """Press Reconnect's button, consent at the provider, come back; return
    the answer and the callback's URL."""
    page = client.get(reconnect_url(account)).content.decode()
    assert "Continue to Basecamp" in page
    start = client.post(reconnect_url(account))
    assert start.status_code == 302, start.content.decode()[:2000]
    assert start["Location"].startswith(peer.authorize_url + "?")
    callback = peer.consent(start["Location"])
    assert callback.startswith(peer.redirect_uri + "?"), callback
    return client.get(local(callback), follow=True), callback


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_oauth2_reconnect_returns_to_the_account(
    oauth2_peer, oauth_account, member_client
):
    client = member_client(permissions=MANAGER)

    answer, callback = sign_in_again(client, oauth2_peer, oauth_account)

    assert answer.redirect_chain == [(account_url(oauth_account), 302)]
    assert said(answer) == [f"Reconnected as {JASON}."]
    account = ConnectedAccount.objects.get()
    assert account.pk == oauth_account.pk
    assert account.status == ConnectedAccount.Status.ACTIVE
    assert account.version == 5
    tokens = account.credentials
    assert set(tokens) == {"access_token", "refresh_token"}
    assert oauth2_peer.access_token_is_active(tokens["access_token"])
    assert oauth2_peer.refresh_token_is_active(tokens["refresh_token"])
    assert timezone.now() < account.expires_at <= timezone.now() + dt.timedelta(hours=1)
    page = answer.content.decode()
    for token in tokens.values():
        assert token not in page
    assert [e.kind for e in account.events.order_by("id")] == [
        "connected",
        "reconnected",
    ]
    # The same callback again is refused, pointing back to the account (the
    # run's page needs authorization rights this manager does not have).
    again = client.get(local(callback))
    assert again.status_code == 400
    text = again.content.decode()
    assert "This sign-in was already used" in text
    assert f'<a href="{account_url(account)}">Back to the account</a>' in text
    account.refresh_from_db()
    assert account.version == 5


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_oauth2_sign_in_as_another_account_is_refused(
    oauth2_peer, oauth_account, member_client
):
    ConnectedAccount.objects.filter(pk=oauth_account.pk).update(account_id="424242")
    oauth_account.refresh_from_db()
    before = snapshot(oauth_account)
    client = member_client(permissions=MANAGER)

    answer, _ = sign_in_again(client, oauth2_peer, oauth_account)

    assert answer.redirect_chain == [(account_url(oauth_account), 302)]
    assert said(answer) == [
        "The account could not be reconnected: The provider signed in as "
        f"{JASON} (account ID {oauth2_peer.user.pk}), but this account is {JASON} "
        f"(account ID 424242): sign in as {JASON} to reconnect it. Nothing was "
        "stored."
    ]
    assert_unchanged(oauth_account, before)
