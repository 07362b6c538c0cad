"""OAuth 2.0 end to end: the admin's Test authorization against a real provider.

A staff member's Client posts the test page, is sent to the provider (the
OAuth 2.0 peer, django-oauth-toolkit on the live server), the end user
consents there, and the same Client opens the callback the provider sent the
browser to. What is checked is what a staff member would see: where the
browser goes, the words on the run page, and the connected account's row.
"""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.utils import timezone

from authorizations.models import TestRun
from connections.models import ConnectedAccount
from tests.flows.helpers import start_url
from tests.peers.console import oauth2_authorization

pytestmark = pytest.mark.usefixtures("allow_loopback")

JASON = "Jason Fried / jason@basecamp.com"


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def local(url: str) -> str:
    """The path and query of a URL: what the console's Client opens."""
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def start(client, authorization):
    """Press Test authorization; return the console's answer (a redirect)."""
    answer = client.post(start_url(authorization))
    assert answer.status_code == 302, answer.content.decode()[:2000]
    return answer


def sign_in(client, peer, authorization, *, allow=True):
    """Run the browser's round trip; return (authorize URL, callback answer)."""
    authorize_url = start(client, authorization)["Location"]
    assert authorize_url.startswith(peer.authorize_url + "?"), authorize_url
    callback = peer.consent(authorize_url, allow=allow)
    assert callback.startswith(peer.redirect_uri + "?"), callback
    return authorize_url, client.get(local(callback))


def run_page(client, answer) -> tuple[TestRun, str]:
    """Follow the callback's redirect to the run page; return the run and page."""
    assert answer.status_code == 302, answer.content.decode()[:2000]
    run = TestRun.objects.get(pk=answer["Location"].rstrip("/").rsplit("/", 1)[1])
    assert answer["Location"] == run.get_absolute_url()
    page = client.get(answer["Location"])
    assert page.status_code == 200
    return run, page.content.decode()


def user_of(client):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=client.session["_auth_user_id"])


def raw_credentials(account) -> str:
    """The credentials column as the database holds it."""
    table = ConnectedAccount._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT credentials FROM {table} WHERE id = %s", [account.pk])
        value = cursor.fetchone()[0]
    return value if isinstance(value, str) else json.dumps(value)


def step_named(run, name) -> dict:
    steps = [step for step in run.steps if step["name"] == name]
    assert steps, [step["name"] for step in run.steps]
    return steps[-1]


def assert_connected(run, page, *, by, scopes="read profile"):
    assert run.status == TestRun.Status.SUCCEEDED, run.message
    assert f"Connected as {JASON}" in page
    account = ConnectedAccount.objects.get()
    assert run.connected_account_pk == account.pk
    assert account.user_identity == JASON
    assert account.connected_by == by
    assert account.granted_scopes == scopes
    # The peer's access tokens live an hour.
    lifetime = account.expires_at - timezone.now()
    assert timedelta(minutes=55) < lifetime <= timedelta(hours=1)
    tokens = account.credentials
    assert set(tokens) == {"access_token", "refresh_token"}
    raw = raw_credentials(account)
    for token in tokens.values():
        assert token and token not in raw  # stored encrypted
        assert token not in page  # and never shown
    return account


def test_code_flow_with_pkce_connects_the_account(oauth2_peer, member_client):
    oauth2_peer.require_pkce()
    authorization = oauth2_authorization(oauth2_peer, use_pkce=True)
    client = member_client(superuser=True)

    authorize_url, answer = sign_in(client, oauth2_peer, authorization)

    sent = query_of(authorize_url)
    assert sent["code_challenge_method"] == ["S256"]
    assert len(sent["code_challenge"][0]) == 43
    assert sent["redirect_uri"] == [oauth2_peer.redirect_uri]
    assert sent["client_id"] == [oauth2_peer.app.client_id]
    assert sent["scope"] == ["read profile"]
    run, page = run_page(client, answer)
    assert_connected(run, page, by=user_of(client))
    # The peer requires PKCE and holds the code to its challenge: the token
    # request carried the verifier (masked in the log), or it was refused.
    body = step_named(run, "Access token")["request"]["body"]
    assert "code_verifier=" in body
    assert "code_challenge" not in body


def test_a_public_client_with_pkce_connects_without_a_secret(
    oauth2_peer, member_client
):
    oauth2_peer.require_pkce()
    public = oauth2_peer.add_application(name="Native app", client_type="public")
    # client_secret_post sends the client ID alone when there is no secret
    # (RFC 6749 §3.2.1: a public client identifies itself).
    authorization = oauth2_authorization(
        oauth2_peer, application=public, client_auth="client_secret_post", use_pkce=True
    )
    authorization.client_secret = ""
    authorization.save()
    assert authorization.missing_parts() == []
    client = member_client(superuser=True)

    _, answer = sign_in(client, oauth2_peer, authorization)

    run, page = run_page(client, answer)
    assert_connected(run, page, by=user_of(client))
    request = step_named(run, "Access token")["request"]
    assert f"client_id={public.client_id}" in request["body"]
    assert "client_secret" not in request["body"]
    assert "Authorization" not in dict(request["headers"])


def test_code_flow_without_pkce_sends_no_challenge(oauth2_peer, member_client):
    authorization = oauth2_authorization(oauth2_peer, use_pkce=False)
    client = member_client(superuser=True)

    authorize_url, answer = sign_in(client, oauth2_peer, authorization)

    sent = query_of(authorize_url)
    assert "code_challenge" not in sent and "code_challenge_method" not in sent
    run, page = run_page(client, answer)
    assert_connected(run, page, by=user_of(client))
    assert "code_verifier" not in step_named(run, "Access token")["request"]["body"]


@pytest.mark.parametrize("client_auth", ["client_secret_basic", "client_secret_post"])
def test_client_authentication_methods_connect(oauth2_peer, member_client, client_auth):
    authorization = oauth2_authorization(oauth2_peer, client_auth=client_auth)
    client = member_client(superuser=True)

    _, answer = sign_in(client, oauth2_peer, authorization)

    run, page = run_page(client, answer)
    assert_connected(run, page, by=user_of(client))
    request = step_named(run, "Access token")["request"]
    headers = dict(request["headers"])
    if client_auth == "client_secret_basic":
        assert headers["Authorization"].startswith("Basic ")
        assert "client_secret=" not in request["body"]
    else:
        assert "Authorization" not in headers
        assert "client_secret=" in request["body"]
    # The secret is masked on the page, whichever way it was sent.
    assert oauth2_peer.app.client_secret not in page
    assert oauth2_peer.app.client_secret not in json.dumps(run.steps)


@pytest.mark.parametrize(
    ("client_auth", "secret"),
    [
        # The template leaves the client's credentials to the setting; "none"
        # sends none, so a confidential client is not recognised.
        ("none", None),
        ("client_secret_basic", "not-the-secret-0000"),
        ("client_secret_post", "not-the-secret-0000"),
    ],
)
def test_refused_client_authentication_names_invalid_client_with_the_hint(
    oauth2_peer, member_client, client_auth, secret
):
    authorization = oauth2_authorization(oauth2_peer, client_auth=client_auth)
    if secret:
        authorization.client_secret = secret
        authorization.save()
    client = member_client(superuser=True)

    _, answer = sign_in(client, oauth2_peer, authorization)

    run, page = run_page(client, answer)
    assert run.status == TestRun.Status.FAILED
    assert "The test failed." in page
    step = step_named(run, "Access token")
    assert step["response"]["status"] == 401
    assert "invalid_client" in step["error"]
    assert "invalid_client" in page
    hint = (
        "check the client secret and whether the provider expects "
        "client_secret_basic or client_secret_post"
    )
    assert hint in page
    assert not any(s["name"] == "User information" for s in run.steps)
    assert not ConnectedAccount.objects.exists()


def test_client_credentials_run_without_a_redirect(oauth2_peer, member_client):
    authorization = oauth2_authorization(
        oauth2_peer,
        application=oauth2_peer.service_app,
        grant_type="client_credentials",
        authorize_url="",
        scopes="read",
    )
    client = member_client(superuser=True)

    answer = start(client, authorization)

    run = TestRun.objects.get()
    assert answer["Location"] == run.get_absolute_url()  # straight to the run
    page = client.get(answer["Location"]).content.decode()
    assert run.status == TestRun.Status.SUCCEEDED, run.message
    assert f"Connected as {JASON}" in page
    assert [step["name"] for step in run.steps] == ["Access token", "User information"]
    assert (
        "grant_type=client_credentials"
        in step_named(run, "Access token")["request"]["body"]
    )
    account = ConnectedAccount.objects.get()
    assert account.user_identity == JASON
    assert account.granted_scopes == "read"
    assert account.expires_at is not None
    assert account.connected_by == user_of(client)
    # The client credentials grant issues no refresh token (RFC 6749 §4.4.3).
    assert list(account.credentials) == ["access_token"]
    assert account.credentials["access_token"] not in raw_credentials(account)


def test_scopes_are_joined_by_the_custom_separator(oauth2_peer, member_client):
    authorization = oauth2_authorization(
        oauth2_peer, scopes="read profile", scope_separator=","
    )
    client = member_client(superuser=True)

    authorize_url = start(client, authorization)["Location"]

    assert query_of(authorize_url)["scope"] == ["read,profile"]
    assert "scope=read%2Cprofile&" in authorize_url
    # This provider separates scopes by spaces: it refuses the joined one,
    # and says so at the callback.
    callback = oauth2_peer.consent(authorize_url)
    assert query_of(callback)["error"] == ["invalid_scope"]
    run, page = run_page(client, client.get(local(callback)))
    assert run.status == TestRun.Status.FAILED
    assert "The provider refused the requested scopes." in page
    assert "Check the authorization&#x27;s scopes." in page
    assert not ConnectedAccount.objects.exists()


def test_extra_authorize_params_are_on_the_redirect(oauth2_peer, member_client):
    authorization = oauth2_authorization(
        oauth2_peer, authorize_params={"prompt": "consent", "access_type": "offline"}
    )
    client = member_client(superuser=True)

    authorize_url, answer = sign_in(client, oauth2_peer, authorization)

    sent = query_of(authorize_url)
    assert sent["prompt"] == ["consent"]
    assert sent["access_type"] == ["offline"]
    assert len(sent["state"]) == 1 and len(sent["response_type"]) == 1
    run, page = run_page(client, answer)
    assert_connected(run, page, by=user_of(client))


def consent_to_fewer_scopes(peer, authorize_url: str, scope: str) -> str:
    """The end user grants only ``scope`` on the consent page."""
    from tests.peers.fixtures import hidden_fields

    browser = peer.browser
    browser.log_in()
    page = browser.get(authorize_url)
    assert page.status_code == 200, page.text[:2000]
    fields = hidden_fields(page)
    assert fields["scope"] == "read profile"
    answer = browser.post(authorize_url, {**fields, "scope": scope, "allow": "1"})
    assert answer.status_code == 302, answer.text[:2000]
    return answer.headers["Location"]


def test_a_narrower_grant_is_stored_and_shown_as_a_warning(oauth2_peer, member_client):
    authorization = oauth2_authorization(oauth2_peer, scopes="read profile")
    client = member_client(superuser=True)
    authorize_url = start(client, authorization)["Location"]

    callback = consent_to_fewer_scopes(oauth2_peer, authorize_url, "read")
    run, page = run_page(client, client.get(local(callback)))

    assert_connected(run, page, by=user_of(client), scopes="read")
    assert (
        "The provider granted &quot;read&quot; where &quot;read profile&quot; was "
        "asked; the account keeps what was granted." in page
    )
    assert "Granted scopes: <code>read</code>" in page
    assert run.granted_scopes == "read"


def test_testing_again_updates_the_same_account(oauth2_peer, member_client):
    authorization = oauth2_authorization(oauth2_peer)
    first = member_client(superuser=True)
    run, page = run_page(first, sign_in(first, oauth2_peer, authorization)[1])
    account = assert_connected(run, page, by=user_of(first))
    old_tokens = account.credentials

    second = member_client(superuser=True)
    run_again, page = run_page(second, sign_in(second, oauth2_peer, authorization)[1])

    assert run_again.pk != run.pk
    assert run_again.status == TestRun.Status.SUCCEEDED, run_again.message
    updated = assert_connected(run_again, page, by=user_of(second))
    assert updated.pk == account.pk == run_again.connected_account_pk
    assert updated.account_id == str(oauth2_peer.user.pk)
    assert updated.credentials["access_token"] != old_tokens["access_token"]
    assert updated.credentials["refresh_token"] != old_tokens["refresh_token"]
