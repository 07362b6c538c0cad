import datetime as dt
import re
import sys
from html import unescape

import pytest
from django.core.signals import got_request_exception
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.views.debug import ExceptionReporter

from connections.models import ConnectedAccount
from tests.factories import (
    AppFactory,
    AuthorizationFactory,
    ConnectedAccountFactory,
    OAuth2AuthorizationFactory,
)

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:connections_connectedaccount_changelist")


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

    for column in (
        "user_identity",
        "app",
        "type",
        "status_badge",
        "expires_in",
        "last_refreshed",
        "last_verified",
        "last_error_in_words",
    ):
        assert f"column-{column}" in listing
    assert '<td class="field-app">Acme</td>' in listing
    assert '<td class="field-type">OAuth2.0</td>' in listing
    assert (
        '<span class="account-status account-status-needs_reconnect">'
        "Needs reconnect</span>"
    ) in listing


def row_of(listing: str, identity: str) -> str:
    """The changelist row that shows `identity`."""
    [row] = [row for row in listing.split("<tr") if f">{identity}<" in row]
    return row


def listed(admin_client, **fields) -> str:
    ConnectedAccountFactory(user_identity="listed@example.com", **fields)
    return row_of(admin_client.get(LIST_URL).content.decode(), "listed@example.com")


@pytest.mark.parametrize(
    ("status", "expires_in", "badge"),
    [
        ("active", dt.timedelta(hours=1), ("active", "Active")),
        ("active", None, ("active", "Active")),
        # Due within 15 minutes: expiring soon, whether or not the refresh
        # job has marked it yet.
        ("active", dt.timedelta(minutes=14), ("expiring_soon", "Expiring soon")),
        ("active", -dt.timedelta(minutes=5), ("expiring_soon", "Expiring soon")),
        ("expiring_soon", dt.timedelta(minutes=10), ("expiring_soon", "Expiring soon")),
        ("needs_reconnect", None, ("needs_reconnect", "Needs reconnect")),
        ("error", dt.timedelta(minutes=1), ("error", "Error")),
        ("revoked", dt.timedelta(minutes=1), ("revoked", "Revoked")),
    ],
)
def test_status_badge_has_colour_and_words(admin_client, status, expires_in, badge):
    expires_at = None if expires_in is None else timezone.now() + expires_in
    row = listed(admin_client, status=status, expires_at=expires_at)

    value, words = badge
    assert f'<span class="account-status account-status-{value}">{words}</span>' in row


@pytest.mark.parametrize(
    ("expires_in", "words"),
    [
        (dt.timedelta(minutes=12), "in 12 minutes"),
        (dt.timedelta(days=1), "in 1 day"),
        (dt.timedelta(seconds=20), "in less than a minute"),
        (-dt.timedelta(hours=3), "expired 3 hours ago"),
        (-dt.timedelta(seconds=5), "expired just now"),
        (None, "—"),
    ],
)
def test_expiry_in_words(admin_client, expires_in, words):
    expires_at = None if expires_in is None else timezone.now() + expires_in
    row = listed(admin_client, expires_at=expires_at)

    cell = re.search(r'<td class="field-expires_in">(.*?)</td>', row).group(1)
    assert re.sub(r"<[^>]+>", "", cell) == words
    if expires_at is not None:
        # The exact time is the tooltip.
        assert f'title="{expires_at:%Y-%m-%d %H:%M:%S} UTC"' in cell


def test_last_refresh_and_verify_are_relative(admin_client):
    now = timezone.now()
    row = listed(
        admin_client,
        last_refreshed_at=now - dt.timedelta(minutes=40),
        last_verified_at=None,
    )

    assert re.search(
        r'class="field-last_refreshed"><span title="[^"]+">40 minutes ago<', row
    )
    assert '<td class="field-last_verified">never</td>' in row


def test_last_error_is_truncated_escaped_and_whole_in_its_title(admin_client):
    error = (
        "The provider answered 400 <b>invalid_grant</b>: the refresh token "
        "was revoked by the user & cannot be used again; reconnect the account."
    )
    row = listed(admin_client, last_error=error)

    cell = re.search(r'<td class="field-last_error_in_words">(.*?)</td>', row).group(1)
    assert "<b>" not in cell
    assert f'title="{escape(error)}"' in cell
    shown = re.search(r">([^<]*)</span>", cell).group(1)
    assert shown.endswith("…") and len(unescape(shown)) == 80
    assert unescape(shown).startswith("The provider answered 400 <b>invalid_grant</b>")

    no_error = listed_again(admin_client)
    assert '<td class="field-last_error_in_words">—</td>' in no_error


def listed_again(admin_client) -> str:
    ConnectedAccountFactory(user_identity="clean@example.com", last_error="")
    return row_of(admin_client.get(LIST_URL).content.decode(), "clean@example.com")


def test_changelist_shows_and_decrypts_no_secret(admin_client, accounts, monkeypatch):
    alice, _ = accounts
    alice.authorization.client_secret = "client-secret-not-listed-77"
    alice.authorization.save()

    def refuse(token):
        raise AssertionError("the changelist decrypted a secret")

    monkeypatch.setattr("console.encryption.decrypt", refuse)
    listing = admin_client.get(LIST_URL).content.decode()

    assert "alice@acme.example.com" in listing
    for secret in ("alice-access-token-0001", "client-secret-not-listed-77"):
        assert secret not in listing


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


def test_change_page_shows_credentials_masked(admin_client, accounts):
    alice, _ = accounts
    page = admin_client.get(change_url(alice)).content.decode()

    assert "access_token: ••••0001" in page
    assert "alice-access-token-0001" not in page
    assert 'name="credentials"' not in page


def test_nothing_is_edited_by_hand(admin_client, accounts):
    """The status is what refresh, verify, revoke and reconnect found, each
    recorded with who did it: a typed-in status would bypass the history."""
    alice, _ = accounts
    response = admin_client.get(change_url(alice))

    assert list(response.context["adminform"].form.fields) == []
    page = response.content.decode()
    assert 'name="status"' not in page
    assert 'name="_save"' not in page and 'name="_continue"' not in page
    assert "Close" in page

    # A crafted post changes nothing either, and does not write the row back
    # (which would put the credentials read back over a concurrent refresh).
    before = alice.updated_at
    admin_client.post(
        change_url(alice), {"status": "revoked", "user_identity": "mallory"}
    )

    alice.refresh_from_db()
    assert alice.updated_at == before
    assert alice.status == ConnectedAccount.Status.ACTIVE
    assert alice.user_identity == "alice@acme.example.com"
    assert alice.credentials == {"access_token": "alice-access-token-0001"}
    bob = ConnectedAccount.objects.get(user_identity="bob@globex.example.com")
    admin_client.post(change_url(bob), {"status": "active"})
    bob.refresh_from_db()
    assert bob.status == ConnectedAccount.Status.NEEDS_RECONNECT
    assert not bob.events.exists()


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


@pytest.mark.parametrize("reveal", [False, True], ids=["masked", "with-reveal"])
def test_an_error_report_of_the_account_page_shows_no_credential(
    member_client, accounts, monkeypatch, reveal
):
    """Masking fails while the page renders: the report Django mails to
    ADMINS (and logs) holds the frames' variables, the credentials cleansed."""
    alice, _ = accounts
    client = member_client(
        "Account managers",
        permissions=["reveal_connectedaccount"] if reveal else [],
    )
    client.raise_request_exception = False

    def broken(value):
        raise RuntimeError("masking failed")

    monkeypatch.setattr("connections.admin.mask_secret", broken)
    reports = []

    def report(sender, request, **kwargs):
        reporter = ExceptionReporter(request, *sys.exc_info())
        reports.append(reporter.get_traceback_text() + reporter.get_traceback_html())

    got_request_exception.connect(report)
    try:
        response = client.get(change_url(alice))
    finally:
        got_request_exception.disconnect(report)

    assert response.status_code == 500
    [text] = reports
    assert "masking failed" in text
    assert "alice-access-token-0001" not in text
