"""connections.revoke: ask the provider to revoke, then wipe, against real peers.

The OAuth 2.0 peer (django-oauth-toolkit on the live server) answers RFC 7009
at /provider/o/revoke_token/; whether it really revoked is read from its own
tables.  Faults come from a local server (pytest-httpserver).  Nothing is
mocked: the console's guarded client talks to both over loopback.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs

import pytest
from django.db import connections
from django.utils import timezone
from oauthlib.common import generate_token
from werkzeug import Response

from authorizations.defaults import OAUTH2_TOKEN_REQUEST, REVOKE_REQUEST
from authorizations.flows.result import FlowResult
from authorizations.rendering.checks import check_endpoint_templates
from connections import lease
from connections.models import AccountEvent, ConnectedAccount
from connections.refresh import refresh_account
from connections.revoke import NO_REVOKE_ENDPOINT, revoke_account
from connections.services import account_reconnect
from tests.connections.helpers import held_token_endpoint
from tests.factories import (
    AuthorizationFactory,
    ConnectedAccountFactory,
    OAuth2AuthorizationFactory,
)
from tests.peers.console import oauth2_authorization, token_endpoint

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("allow_loopback"),
]

ACCESS = "access-token-8c1f0e9d7b"
REFRESH = "refresh-token-3a5b7c9d1e"
CLIENT_SECRET = "client-secret-value-abcd"  # OAuth2AuthorizationFactory's


def revoke_endpoint(authorization, url):
    """The console's default Revoke Endpoint (RFC 7009 form) at ``url``."""
    return token_endpoint(
        authorization, url, REVOKE_REQUEST, "", body_format="form", kind="revoke"
    )


def issue(peer, *, with_refresh=True) -> dict:
    """Have the peer issue a grant to its console client, as a code exchange
    would: the credentials an account holds."""
    from oauth2_provider.models import get_access_token_model, get_refresh_token_model

    access = get_access_token_model().objects.create(
        user=peer.user,
        application=peer.app.model,
        token=generate_token(),
        expires=timezone.now() + dt.timedelta(hours=1),
        scope="read profile",
    )
    credentials = {"access_token": access.token}
    if with_refresh:
        credentials["refresh_token"] = (
            get_refresh_token_model()
            .objects.create(
                user=peer.user,
                application=peer.app.model,
                token=generate_token(),
                access_token=access,
                token_family=uuid.uuid4(),
            )
            .token
        )
    return credentials


def said(account_pk, outcome) -> str:
    """Everything the console says about the account, for secret checks."""
    account = ConnectedAccount.objects.filter(pk=account_pk).first()
    events = " ".join(
        e.detail for e in AccountEvent.objects.filter(account_id=account_pk)
    )
    return f"{outcome.message} {account.last_error if account else ''} {events}"


def assert_wiped(account, *, version):
    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.REVOKED
    assert account.credentials == {}
    assert account.expires_at is None
    assert account.version == version
    assert (account.refresh_lease_owner, account.refresh_lease_until) == ("", None)
    assert (account.failed_attempts, account.retry_at) == (0, None)
    return account


# --- the OAuth 2.0 peer --------------------------------------------------------


@pytest.mark.parametrize("client_auth", ["client_secret_basic", "client_secret_post"])
def test_the_provider_revokes_the_grant(oauth2_peer, admin_user, client_auth):
    authorization = oauth2_authorization(oauth2_peer, client_auth=client_auth)
    revoke_endpoint(authorization, oauth2_peer.revoke_url)
    credentials = issue(oauth2_peer)
    account = ConnectedAccountFactory(
        authorization=authorization,
        credentials=credentials,
        expires_at=timezone.now() + dt.timedelta(hours=1),
        retry_at=timezone.now() + dt.timedelta(minutes=5),
        failed_attempts=2,
    )

    outcome = revoke_account(account.pk, via="admin", actor=admin_user)

    assert outcome.result == "revoked", outcome.message
    assert outcome.ok
    assert outcome.message == (
        "The provider confirmed the revocation (200). The stored credentials "
        "were deleted."
    )
    # RFC 7009 §2.1: revoking the refresh token revoked its grant, access too.
    assert not oauth2_peer.refresh_token_is_active(credentials["refresh_token"])
    assert not oauth2_peer.access_token_is_active(credentials["access_token"])
    account = assert_wiped(account, version=1)
    assert account.last_error == ""
    event = account.events.get()
    assert event.kind == AccountEvent.Kind.REVOKED and event.ok
    assert (event.actor, event.via) == (admin_user, "admin")
    assert event.detail == outcome.message
    text = said(account.pk, outcome)
    for secret in (*credentials.values(), oauth2_peer.app.client_secret):
        assert secret not in text


def test_an_access_token_alone_is_revoked_as_one(oauth2_peer):
    authorization = oauth2_authorization(oauth2_peer)
    revoke_endpoint(authorization, oauth2_peer.revoke_url)
    credentials = issue(oauth2_peer, with_refresh=False)
    account = ConnectedAccountFactory(
        authorization=authorization, credentials=credentials
    )

    outcome = revoke_account(account.pk, via="admin")

    assert outcome.result == "revoked", outcome.message
    assert not oauth2_peer.access_token_is_active(credentials["access_token"])
    assert_wiped(account, version=1)


def test_without_a_revoke_endpoint_the_tokens_are_wiped_and_it_says_so(
    oauth2_peer,
):
    authorization = oauth2_authorization(oauth2_peer)
    credentials = issue(oauth2_peer)
    account = ConnectedAccountFactory(
        authorization=authorization, credentials=credentials
    )

    outcome = revoke_account(account.pk, via="admin")

    assert outcome.result == "revoked"
    assert outcome.message == NO_REVOKE_ENDPOINT
    assert "stay valid at the provider until they expire" in outcome.message
    # Honest: the provider was not asked, so its tokens still work.
    assert oauth2_peer.refresh_token_is_active(credentials["refresh_token"])
    assert oauth2_peer.access_token_is_active(credentials["access_token"])
    account = assert_wiped(account, version=1)
    assert account.events.get().detail == NO_REVOKE_ENDPOINT


def test_a_revoke_endpoint_without_url_counts_as_none():
    account = ConnectedAccountFactory(
        authorization=OAuth2AuthorizationFactory(),
        credentials={"access_token": ACCESS},
    )
    revoke_endpoint(account.authorization, "")

    outcome = revoke_account(account.pk, via="admin")

    assert (outcome.result, outcome.message) == ("revoked", NO_REVOKE_ENDPOINT)
    assert_wiped(account, version=1)


# --- the request, as a local server sees it ----------------------------------------


def local_account(httpserver, *, client_auth="client_secret_post", **fields):
    authorization = OAuth2AuthorizationFactory(client_auth=client_auth)
    token_endpoint(
        authorization,
        httpserver.url_for("/token"),
        OAUTH2_TOKEN_REQUEST,
        body_format="form",
    )
    revoke_endpoint(authorization, httpserver.url_for("/revoke"))
    fields.setdefault("credentials", {"access_token": ACCESS, "refresh_token": REFRESH})
    fields.setdefault("expires_at", timezone.now() + dt.timedelta(minutes=30))
    return ConnectedAccountFactory(authorization=authorization, **fields)


def test_the_request_is_rfc_7009s(httpserver):
    httpserver.expect_request("/revoke", method="POST").respond_with_data("")
    account = local_account(httpserver)

    assert revoke_account(account.pk, via="admin").result == "revoked"

    request, _ = httpserver.log[0]
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.get_data(as_text=True)) == {
        "token": [REFRESH],
        "token_type_hint": ["refresh_token"],
        "client_id": ["client-id-123"],
        "client_secret": [CLIENT_SECRET],
    }


def test_credential_types_send_their_basic_credentials(httpserver):
    httpserver.expect_request(
        "/revoke",
        method="POST",
        # base64("jason@basecamp.com:api-key-7f3e9a1c"), sent as typed.
        headers={
            "Authorization": "Basic amFzb25AYmFzZWNhbXAuY29tOmFwaS1rZXktN2YzZTlhMWM="
        },
    ).respond_with_data("", status=204)
    authorization = AuthorizationFactory(type="basic_api_key")
    revoke_endpoint(authorization, httpserver.url_for("/revoke"))
    account = ConnectedAccountFactory(
        authorization=authorization,
        credentials={"username": "jason@basecamp.com", "api_key": "api-key-7f3e9a1c"},
    )

    outcome = revoke_account(account.pk, via="admin")

    assert outcome.result == "revoked", outcome.message
    assert "confirmed the revocation (204)" in outcome.message
    assert_wiped(account, version=1)
    assert "api-key-7f3e9a1c" not in said(account.pk, outcome)


def test_the_default_template_uses_only_known_variables():
    problems, warnings = check_endpoint_templates(
        kind="revoke",
        url="https://provider.example.com/oauth/revoke",
        request_template=REVOKE_REQUEST,
        response_template="",
        headers=[],
    )

    assert (problems, warnings) == ([], [])


def test_adding_a_revoke_endpoint_starts_from_rfc_7009(admin_client):
    from django.urls import reverse

    authorization = OAuth2AuthorizationFactory()

    page = admin_client.get(
        reverse("admin:authorizations_endpoint_add")
        + f"?authorization={authorization.pk}&kind=revoke"
    )

    form = page.context["adminform"].form
    assert form.initial["request_template"] == REVOKE_REQUEST
    assert form.initial["response_template"] == ""
    assert (form.initial["method"], form.initial["body_format"]) == ("POST", "form")
    assert "requestBody.token_type_hint" in page.content.decode()


# --- the provider does not confirm -----------------------------------------------

SLOW_DONE = threading.Event()


def slow(request):
    import time

    time.sleep(1.0)
    SLOW_DONE.set()  # the single-threaded server is free again
    return Response("", status=200)


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (
            Response("busy", status=503, headers={"Retry-After": "120"}),
            "The provider failed: the Revoke Endpoint answered 503 SERVICE "
            "UNAVAILABLE; it asks to wait 120 seconds.",
        ),
        (slow, "The Revoke Endpoint did not answer in time"),
        (
            Response(
                "<html><body>Sign in to Provider</body></html>",
                content_type="text/html",
            ),
            "The Revoke Endpoint answered with a web page: expected JSON, got "
            'text/html: "<html><body>Sign in to Provider</body></html>"',
        ),
        (
            Response(
                json.dumps(
                    {
                        "error": "unsupported_token_type",
                        "error_description": f"{REFRESH} is of no known kind",
                    }
                ),
                status=400,
                content_type="application/json",
            ),
            "The Revoke Endpoint answered 400 unsupported_token_type (",
        ),
    ],
    ids=["503", "timeout", "html", "unsupported_token_type"],
)
def test_a_provider_that_does_not_confirm_still_ends_revoked(
    httpserver, settings, admin_user, reply, words
):
    settings.OUTBOUND_READ_TIMEOUT = 0.5
    if callable(reply) and not isinstance(reply, Response):
        SLOW_DONE.clear()
        httpserver.expect_request("/revoke").respond_with_handler(reply)
    else:
        httpserver.expect_request("/revoke").respond_with_response(reply)
    account = local_account(httpserver)

    outcome = revoke_account(account.pk, via="admin", actor=admin_user)

    assert outcome.result == "error", outcome.message
    assert not outcome.ok
    assert outcome.message.startswith(
        "Revoked here, but the provider did not confirm it: "
    )
    assert words in outcome.message
    assert "the tokens may stay valid at the provider until they expire" in (
        outcome.message
    )
    account = assert_wiped(account, version=1)
    assert account.last_error == outcome.message
    event = account.events.get()
    assert event.kind == AccountEvent.Kind.REVOKED and not event.ok
    assert event.detail == outcome.message and event.actor == admin_user
    text = said(account.pk, outcome)
    assert REFRESH not in text and ACCESS not in text and CLIENT_SECRET not in text
    # Nothing left to ask with: a second press says so and changes nothing.
    again = revoke_account(account.pk, via="admin")
    assert (again.result, again.message) == (
        "skipped",
        "The account is already revoked.",
    )
    assert account.events.count() == 1
    if reply is slow:
        assert SLOW_DONE.wait(5)


def test_a_provider_that_cannot_be_reached(httpserver):
    account = local_account(httpserver)
    account.authorization.endpoints.filter(kind="revoke").update(
        url="http://127.0.0.1:9/revoke"
    )

    outcome = revoke_account(account.pk, via="admin")

    assert outcome.result == "error"
    assert "The Revoke Endpoint could not be reached" in outcome.message
    assert_wiped(account, version=1)


# --- concurrency and the account's life ------------------------------------------


def test_a_running_refresh_is_waited_for_and_cannot_write_after(httpserver):
    """A refresh holds the lease while the provider answers; the revoke waits
    for it, then revokes the tokens that refresh stored and wipes them."""
    answered, release = held_token_endpoint(httpserver)
    httpserver.expect_request("/revoke").respond_with_data("")
    account = local_account(
        httpserver, expires_at=timezone.now() + dt.timedelta(minutes=1)
    )

    def refresher():
        try:
            return refresh_account(account.pk, via="celery")
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        refreshing = pool.submit(refresher)
        assert answered.wait(10)
        threading.Timer(0.3, release.set).start()
        outcome = revoke_account(account.pk, via="admin", wait_seconds=10)
        assert refreshing.result().result == "refreshed"

    assert outcome.result == "revoked", outcome.message
    # The revoke came after the refresh: it revoked the new refresh token.
    request, _ = httpserver.log[-1]
    assert parse_qs(request.get_data(as_text=True))["token"] == ["r-2"]
    account = assert_wiped(account, version=2)
    assert [e.kind for e in account.events.order_by("id")] == ["refreshed", "revoked"]


def test_a_refresh_that_read_before_the_revoke_cannot_write(httpserver):
    httpserver.expect_request("/token").respond_with_json(
        {"access_token": "a-2", "refresh_token": "r-2"}
    )
    httpserver.expect_request("/revoke").respond_with_data("")
    account = local_account(httpserver)

    assert revoke_account(account.pk, via="admin").result == "revoked"
    late = refresh_account(account.pk, via="celery", force=True, expected_version=0)

    assert late.result != "refreshed"
    account = assert_wiped(account, version=1)
    assert [len(httpserver.log)] == [1]  # the revoke alone: no token request


def test_a_lease_held_too_long_changes_nothing(httpserver):
    account = local_account(httpserver)
    assert lease.take_lease(account.pk, "a-slow-worker", 60)

    outcome = revoke_account(account.pk, via="admin", wait_seconds=0.2)

    assert outcome.result == "error"
    assert outcome.message == (
        "A refresh of this account is still running, so it was not revoked and "
        "nothing was changed; try again in a minute."
    )
    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.ACTIVE
    assert account.credentials == {"access_token": ACCESS, "refresh_token": REFRESH}
    assert account.refresh_lease_owner == "a-slow-worker"
    assert not account.events.exists() and not httpserver.log


def test_a_deleted_account_is_gone(httpserver):
    account = local_account(httpserver)
    pk = account.pk
    account.delete()

    outcome = revoke_account(pk, via="admin")

    assert (outcome.result, outcome.message) == (
        "gone",
        "The account was deleted meanwhile.",
    )
    assert not ConnectedAccount.objects.filter(pk=pk).exists()
    assert not AccountEvent.objects.exists() and not httpserver.log


def test_an_account_deleted_while_the_provider_answers_is_gone(httpserver):
    account = local_account(httpserver)

    def delete_then_answer(request):
        try:
            ConnectedAccount.objects.filter(pk=account.pk).delete()
        finally:
            connections.close_all()
        return Response("", status=200)

    httpserver.expect_request("/revoke").respond_with_handler(delete_then_answer)

    outcome = revoke_account(account.pk, via="admin")

    assert outcome.result == "gone", outcome.message
    assert not ConnectedAccount.objects.filter(pk=account.pk).exists()
    assert not AccountEvent.objects.exists()


def test_oauth1_accounts_are_signed_with_their_token(httpserver):
    httpserver.expect_request("/revoke", method="POST").respond_with_data("")
    authorization = AuthorizationFactory(
        type="oauth1",
        client_id="consumer-key-1a2b",
        client_secret="consumer-secret-3c4d",
        signature_method="HMAC-SHA1",
    )
    revoke_endpoint(authorization, httpserver.url_for("/revoke"))
    account = ConnectedAccountFactory(
        authorization=authorization,
        credentials={
            "oauth_token": "token-5e6f",
            "oauth_token_secret": "token-secret-7a8b",
        },
    )

    outcome = revoke_account(account.pk, via="admin")

    assert outcome.result == "revoked", outcome.message
    request, _ = httpserver.log[0]
    signed = request.headers["Authorization"]
    assert signed.startswith("OAuth ")
    assert 'oauth_consumer_key="consumer-key-1a2b"' in signed
    assert 'oauth_token="token-5e6f"' in signed
    assert 'oauth_signature_method="HMAC-SHA1"' in signed
    assert parse_qs(request.get_data(as_text=True))["token"] == ["token-5e6f"]
    assert_wiped(account, version=1)
    assert "token-secret-7a8b" not in said(account.pk, outcome)


def test_a_reconnect_while_the_provider_answers_wins(httpserver):
    """A reconnect stores new credentials while the revoke waits on the
    provider: the revoke's write finds another version and changes nothing,
    and says so; the new credentials are kept."""
    account = local_account(httpserver)

    def reconnect_then_answer(request):
        try:
            account_reconnect(
                account_pk=account.pk,
                authorization=account.authorization,
                result=FlowResult(
                    user_identity=account.user_identity,
                    credentials={"access_token": "a-new", "refresh_token": "r-new"},
                ),
                user=None,
            )
        finally:
            connections.close_all()
        return Response("", status=200)

    httpserver.expect_request("/revoke").respond_with_handler(reconnect_then_answer)

    outcome = revoke_account(account.pk, via="admin")

    assert outcome.result == "error"
    assert outcome.message == (
        "The account was reconnected while it was being revoked; its new "
        "credentials are kept and it was not revoked. Revoke it again if that is "
        "still wanted."
    )
    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.ACTIVE
    assert account.credentials == {"access_token": "a-new", "refresh_token": "r-new"}
    assert [e.kind for e in account.events.all()] == ["reconnected"]
