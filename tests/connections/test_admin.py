import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from connections.models import ConnectedAccount
from tests.admin.forms import submit
from tests.factories import (
    AppFactory,
    AuthorizationFactory,
    ConnectedAccountFactory,
    OAuth2AuthorizationFactory,
)

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:connections_connectedaccount_changelist")
FORM = "connectedaccount_form"


def change_url(account):
    return reverse("admin:connections_connectedaccount_change", args=[account.pk])


@pytest.fixture
def accounts():
    acme = AppFactory(name="Acme")
    globex = AppFactory(name="Globex")
    alice = ConnectedAccountFactory(
        authorization=OAuth2AuthorizationFactory(app=acme),
        user_identity="alice@acme.example.com",
        account_id="acme-1001",
        credentials={"access_token": "alice-access-token-0001"},
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )
    bob = ConnectedAccountFactory(
        authorization=AuthorizationFactory(app=globex, type="api_key"),
        user_identity="bob@globex.example.com",
        account_id="globex-2002",
        status=ConnectedAccount.Status.NEEDS_RECONNECT,
    )
    return alice, bob


def test_changelist_columns(admin_client, accounts):
    listing = admin_client.get(LIST_URL).content.decode()

    for column in ("user_identity", "app", "type", "status", "expires_at"):
        assert f"column-{column}" in listing
    assert '<td class="field-app">Acme</td>' in listing
    assert '<td class="field-type">OAuth2.0</td>' in listing
    assert '<td class="field-status">Needs reconnect</td>' in listing


@pytest.mark.parametrize(
    ("params", "shown", "hidden"),
    [
        ({"q": "alice@"}, "alice@", "bob@"),
        ({"q": "globex-2002"}, "bob@", "alice@"),
        ({"status__exact": "needs_reconnect"}, "bob@", "alice@"),
        ({"authorization__type__exact": "oauth2"}, "alice@", "bob@"),
    ],
)
def test_search_and_filters(admin_client, accounts, params, shown, hidden):
    listing = admin_client.get(LIST_URL, params).content.decode()

    assert shown in listing
    assert hidden not in listing


def test_filter_by_app(admin_client, accounts):
    alice, _ = accounts
    listing = admin_client.get(
        LIST_URL, {"authorization__app__id__exact": alice.authorization.app_id}
    ).content.decode()

    assert "alice@" in listing and "bob@" not in listing


def test_search_does_not_reach_credentials(admin_client, accounts):
    listing = admin_client.get(LIST_URL, {"q": "alice-access-token"}).content.decode()

    assert "alice@" not in listing
    assert "0 results" in listing


@pytest.mark.parametrize(
    "lookup",
    [
        "credentials__contains",
        "credentials",
        "authorization__client_secret__startswith",
    ],
)
def test_url_lookups_on_secrets_are_refused(admin_client, accounts, lookup):
    response = admin_client.get(LIST_URL, {lookup: "alice"})

    assert response.status_code == 400


def test_change_page_shows_credentials_masked_and_stores_status(admin_client, accounts):
    alice, _ = accounts
    page = admin_client.get(change_url(alice)).content.decode()

    assert "access_token: ••••0001" in page
    assert 'name="credentials"' not in page

    response = submit(admin_client, change_url(alice), FORM, {"status": "revoked"})

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.status == ConnectedAccount.Status.REVOKED
    assert alice.user_identity == "alice@acme.example.com"
    assert alice.credentials == {"access_token": "alice-access-token-0001"}


def test_only_status_is_editable(admin_client, accounts):
    alice, _ = accounts
    response = admin_client.get(change_url(alice))

    assert list(response.context["adminform"].form.fields) == ["status"]


def test_accounts_are_not_added_by_hand(admin_client):
    response = admin_client.get(reverse("admin:connections_connectedaccount_add"))

    assert response.status_code == 403


def test_connected_accounts_have_their_own_section_on_the_index(admin_client):
    response = admin_client.get(reverse("admin:index"))

    sections = {app["app_label"]: app for app in response.context["app_list"]}
    [model] = sections["connections"]["models"]
    assert (sections["connections"]["name"], model["name"]) == (
        "Connections",
        "Connected accounts",
    )
    assert model["admin_url"] == LIST_URL
    assert "connectedaccount" not in {
        m["object_name"].lower() for m in sections["authorizations"]["models"]
    }


def test_the_account_page_shows_its_history_newest_first(member_client):
    from connections.history import record_event
    from connections.models import AccountEvent

    account = ConnectedAccountFactory(user_identity="carol@example.com")
    record_event(account, AccountEvent.Kind.CONNECTED, detail="Connected as carol")
    record_event(
        account,
        AccountEvent.Kind.REFRESH_FAILED,
        ok=False,
        detail="The provider refused the refresh token (invalid_grant).",
        via="refresh_tokens",
    )
    client = member_client("Account managers")

    page = client.get(
        f"/admin/connections/connectedaccount/{account.pk}/change/"
    ).content.decode()

    refused = page.index("The provider refused the refresh token (invalid_grant).")
    connected = page.index("Connected as carol")
    assert refused < connected
    assert "Refresh failed" in page and "refresh_tokens" in page and "Failed" in page
