"""connections.verify: ask the provider who the account is, refresh once when
its token expired, against real peers.

The OAuth 2.0 peer (django-oauth-toolkit on the live server) rotates refresh
tokens and revokes a whole grant when a spent one comes back, so a refresh
redeemed twice would show as a dead account; the OAuth 1.0a peer checks
signatures.  Plain APIs and faults come from a local server
(pytest-httpserver).  Nothing is mocked.
"""

from __future__ import annotations

import base64
import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection, connections
from django.utils import timezone
from oauthlib.common import generate_token
from pytest_httpserver import HTTPServer
from werkzeug import Response

from authorizations.defaults import OAUTH2_TOKEN_REQUEST
from connections.models import AccountEvent, ConnectedAccount
from connections.verify import verify_account
from tests.connections.helpers import issue, refresh_tokens_of, works
from tests.factories import (
    AuthorizationFactory,
    ConnectedAccountFactory,
    OAuth2AuthorizationFactory,
)
from tests.peers import oauth1
from tests.peers.console import (
    oauth1_authorization,
    token_endpoint,
    user_info_endpoint,
)

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("allow_loopback"),
]

ACCESS = "old-access-token-4f1c9a7e2b"
REFRESH = "old-refresh-token-9d3e6b0a5c"
NEW_ACCESS = "new-access-token-77aa01b2c3"
NEW_REFRESH = "new-refresh-token-88bb02c3d4"
API_KEY = "ak_live_51HcXyZ2eB7qLmN0pQsecret"
PASSWORD = "correct-horse-battery-staple"
Kind = AccountEvent.Kind
Status = ConnectedAccount.Status


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("ann", is_staff=True)


def said(account) -> str:
    """Everything the console says about the account, for secret checks."""
    account.refresh_from_db()
    events = " ".join(e.detail for e in account.events.all())
    return f"{account.last_error} {events}"


def kinds(account) -> list[str]:
    return list(account.events.order_by("at", "id").values_list("kind", flat=True))


# --- OAuth 2.0, against the DOT peer -----------------------------------------


def peer_account(peer, authorization, **fields) -> ConnectedAccount:
    access, refresh_token = issue(peer)
    fields.setdefault("user_identity", "Jason (before)")
    fields.setdefault("account_id", str(peer.user.pk))
    account = ConnectedAccountFactory(
        authorization=authorization,
        credentials={"access_token": access, "refresh_token": refresh_token},
        expires_at=timezone.now() + dt.timedelta(minutes=30),
        **fields,
    )
    account.initial_refresh_token = refresh_token
    return account


def test_a_working_token_is_verified_and_the_identity_updated(
    peer, peer_authorization, staff, caplog
):
    account = peer_account(peer, peer_authorization)
    credentials = dict(account.credentials)

    outcome = verify_account(account.pk, via="admin", actor=staff)

    assert outcome.result == "verified", outcome.message
    account.refresh_from_db()
    assert account.user_identity == "Jason Fried / jason@basecamp.com"
    assert account.last_verified_at is not None
    assert account.credentials == credentials and account.version == 0
    event = account.events.get()
    assert event.kind == Kind.VERIFIED and event.ok
    assert (event.actor, event.via) == (staff, "admin")
    assert 'names the account "Jason Fried / jason@basecamp.com"' in event.detail
    assert 'it was "Jason (before)"' in event.detail
    for secret in [*credentials.values(), peer.app.client_secret]:
        assert secret not in outcome.message + said(account) + caplog.text


def test_an_expired_token_is_refreshed_once_then_verified(
    peer, peer_authorization, staff, caplog
):
    account = peer_account(peer, peer_authorization, status=Status.ERROR)
    old = dict(account.credentials)
    peer.expire(old["access_token"])

    outcome = verify_account(account.pk, via="admin", actor=staff)

    assert outcome.result == "verified", outcome.message
    assert "refreshed first" in outcome.message
    account.refresh_from_db()
    assert account.user_identity == "Jason Fried / jason@basecamp.com"
    assert account.status == Status.ACTIVE
    assert account.credentials["refresh_token"] != old["refresh_token"]
    assert account.version == 1 and works(peer, account)
    assert refresh_tokens_of(peer, account).count() == 2  # redeemed once
    assert kinds(account) == [Kind.REFRESHED, Kind.VERIFIED]
    refreshed = account.events.get(kind=Kind.REFRESHED)
    assert (refreshed.via, refreshed.actor) == ("verify", staff)
    secrets = [*old.values(), *account.credentials.values(), peer.app.client_secret]
    for secret in secrets:
        assert secret not in outcome.message + said(account) + caplog.text


def test_an_expired_token_whose_refresh_is_refused_needs_a_reconnect(
    peer, peer_authorization, caplog
):
    from oauth2_provider.models import get_refresh_token_model

    account = peer_account(peer, peer_authorization)
    old = dict(account.credentials)
    peer.expire(old["access_token"])
    get_refresh_token_model().objects.filter(
        token_checksum=peer._checksum(old["refresh_token"])
    ).update(revoked=timezone.now())

    outcome = verify_account(account.pk, via="admin")

    assert outcome.result == "needs_reconnect", outcome.message
    assert "must connect the account again" in outcome.message
    account.refresh_from_db()
    assert account.status == Status.NEEDS_RECONNECT
    assert account.credentials == old and account.user_identity == "Jason (before)"
    assert kinds(account) == [Kind.REFRESH_FAILED, Kind.VERIFY_FAILED]
    assert "401" in account.events.get(kind=Kind.VERIFY_FAILED).detail
    for secret in [*old.values(), peer.app.client_secret]:
        assert secret not in outcome.message + said(account) + caplog.text


def test_an_expired_token_without_refresh_token_needs_a_reconnect(
    peer, peer_authorization
):
    account = peer_account(peer, peer_authorization)
    access = account.credentials["access_token"]
    ConnectedAccount.objects.filter(pk=account.pk).update(
        credentials={"access_token": access}
    )
    peer.expire(access)

    outcome = verify_account(account.pk, via="admin")

    assert outcome.result == "needs_reconnect", outcome.message
    assert "cannot be refreshed" in outcome.message
    account.refresh_from_db()
    assert account.status == Status.NEEDS_RECONNECT
    assert account.credentials == {"access_token": access}
    assert kinds(account) == [Kind.VERIFY_FAILED]


def test_a_refused_refresh_keeps_needs_reconnect_though_the_token_still_works(
    peer, peer_authorization
):
    account = peer_account(peer, peer_authorization, status=Status.NEEDS_RECONNECT)

    outcome = verify_account(account.pk, via="admin")

    assert outcome.result == "verified", outcome.message
    assert "still needs a reconnect" in outcome.message
    account.refresh_from_db()
    assert account.status == Status.NEEDS_RECONNECT
    assert account.last_verified_at is not None


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the live server shares one SQLite connection between its request "
    "threads; concurrent verifies need PostgreSQL",
)
def test_two_staff_members_verifying_at_once_redeem_the_refresh_token_once(
    peer, peer_authorization, django_user_model
):
    account = peer_account(peer, peer_authorization)
    old = dict(account.credentials)
    peer.expire(old["access_token"])
    people = [
        django_user_model.objects.create_user(name, is_staff=True)
        for name in ("ann", "bob")
    ]
    barrier = threading.Barrier(2)

    def press_verify(person):
        try:
            barrier.wait(30)
            return verify_account(account.pk, via="admin", actor=person)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(press_verify, people))

    assert [o.result for o in outcomes] == ["verified", "verified"], [
        o.message for o in outcomes
    ]
    account.refresh_from_db()
    assert account.status == Status.ACTIVE and account.version == 1
    assert works(peer, account)
    # The grant's family: the first token spent once, the rotated one alive.
    family = refresh_tokens_of(peer, account)
    assert family.count() == 2
    assert [t.token for t in family.filter(revoked=None)] == [
        account.credentials["refresh_token"]
    ]
    assert account.events.filter(kind=Kind.REFRESHED).count() == 1
    assert account.events.filter(kind=Kind.VERIFIED).count() == 2
    assert not account.events.filter(ok=False).exists()
    # And it keeps working: the next verify needs no refresh.
    assert verify_account(account.pk, via="admin").result == "verified"
    assert account.events.filter(kind=Kind.REFRESHED).count() == 1


@pytest.fixture
def relay():
    """A threaded local server in front of the peer's user info endpoint."""
    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the relay's threads read the database while the test runs: "
    "that needs PostgreSQL",
)
def test_a_verifier_told_of_the_expiry_after_the_other_refreshed_does_not_refresh(
    peer, peer_authorization, relay
):
    """The race that ``expected_version`` settles: both verifiers read the
    account and send the expired token; the second hears "401" only once the
    first has refreshed.  Its refresh must see that version moved ("fresh")
    rather than redeem the rotated refresh token again."""
    account = peer_account(peer, peer_authorization)
    old = dict(account.credentials)
    peer.expire(old["access_token"])
    both_asked = threading.Barrier(2)
    tickets = iter(range(2))
    lock = threading.Lock()

    def forward(request):
        try:
            header = request.headers.get("Authorization", "")
            if header == f"Bearer {old['access_token']}":
                both_asked.wait(10)
                with lock:
                    ticket = next(tickets)
                if ticket == 1:
                    deadline = time.monotonic() + 10
                    while (
                        time.monotonic() < deadline
                        and (
                            ConnectedAccount.objects.filter(pk=account.pk, version=0)
                        ).exists()
                    ):
                        time.sleep(0.02)
            answer = requests.get(
                peer.userinfo_url, headers={"Authorization": header}, timeout=10
            )
            return Response(
                answer.content,
                status=answer.status_code,
                content_type=answer.headers.get("Content-Type"),
            )
        finally:
            connections.close_all()  # the relay's thread, not the test's

    relay.expect_request("/me").respond_with_handler(forward)
    account.authorization.endpoints.filter(kind="user_info").update(
        url=relay.url_for("/me")
    )

    def press_verify(_):
        try:
            return verify_account(account.pk, via="admin")
        finally:
            connections.close_all()

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(press_verify, range(2)))

    assert [o.result for o in outcomes] == ["verified", "verified"], [
        o.message for o in outcomes
    ]
    account.refresh_from_db()
    assert account.version == 1 and works(peer, account)
    assert refresh_tokens_of(peer, account).count() == 2  # redeemed once
    assert account.events.filter(kind=Kind.REFRESHED).count() == 1


# --- OAuth 1.0a, against the oauthlib peer -------------------------------------


def oauth1_account(peer, authorization, *, known=True) -> ConnectedAccount:
    token, secret = generate_token(), generate_token()
    if known:
        with oauth1.STORE.lock:
            oauth1.STORE.access_tokens[token] = oauth1.Token(
                client_key=peer.consumer_key, secret=secret, user_id=peer.user.pk
            )
    return ConnectedAccountFactory(
        authorization=authorization,
        user_identity="jason (before)",
        credentials={"oauth_token": token, "oauth_token_secret": secret},
    )


def test_an_oauth1_account_is_verified_with_a_signed_request(oauth1_peer, caplog):
    authorization = oauth1_authorization(oauth1_peer)
    account = oauth1_account(oauth1_peer, authorization)

    outcome = verify_account(account.pk, via="admin")

    assert outcome.result == "verified", outcome.message
    account.refresh_from_db()
    assert account.user_identity == "Jason Fried / jason@basecamp.com"
    secret = account.credentials["oauth_token_secret"]
    for value in (secret, oauth1_peer.consumer_secret):
        assert value not in outcome.message + said(account) + caplog.text


def test_an_oauth1_token_the_provider_forgot_needs_a_reconnect(oauth1_peer):
    authorization = oauth1_authorization(oauth1_peer)
    account = oauth1_account(oauth1_peer, authorization, known=False)

    outcome = verify_account(account.pk, via="admin")

    assert outcome.result == "needs_reconnect", outcome.message
    account.refresh_from_db()
    assert account.status == Status.NEEDS_RECONNECT
    assert account.user_identity == "jason (before)"


# --- the credential forms, against a local API ---------------------------------


def api_key_account(httpserver, **fields) -> ConnectedAccount:
    authorization = AuthorizationFactory(type="api_key", **fields)
    user_info_endpoint(
        authorization,
        httpserver.url_for("/me"),
        '{"user_identity": "{{ response.email }}", '
        '"account_id": "{{ response.id }}", "extras": {"plan": "{{ response.plan }}"}}',
        headers=[("X-Api-Key", "{{ query.api_key }}")],
    )
    return ConnectedAccountFactory(
        authorization=authorization,
        user_identity="ann@old.example",
        account_id="42",
        credentials={"api_key": API_KEY},
        extras={"region": "eu"},
        status=Status.ERROR,
    )


def test_an_api_key_account_is_verified_and_its_identity_change_said(
    httpserver, caplog
):
    httpserver.expect_request("/me", headers={"X-Api-Key": API_KEY}).respond_with_json(
        {"id": 42, "email": "ann@new.example", "plan": "pro"}
    )
    account = api_key_account(httpserver)

    outcome = verify_account(account.pk, via="admin")

    assert outcome.result == "verified", outcome.message
    account.refresh_from_db()
    assert account.user_identity == "ann@new.example"
    assert account.extras == {"region": "eu", "plan": "pro"}
    assert account.status == Status.ACTIVE and account.last_error == ""
    assert account.credentials == {"api_key": API_KEY}
    event = account.events.get()
    assert '"ann@new.example" (it was "ann@old.example")' in event.detail
    assert API_KEY not in outcome.message + said(account) + caplog.text


def test_a_refused_api_key_needs_a_reconnect(httpserver, caplog):
    httpserver.expect_request("/me").respond_with_json(
        {"error": "invalid_key", "error_description": f"bad key {API_KEY}"},
        status=401,
    )
    account = api_key_account(httpserver)

    outcome = verify_account(account.pk, via="admin")

    assert outcome.result == "needs_reconnect", outcome.message
    assert "answered 401" in outcome.message
    assert "the stored credentials expired" in outcome.message
    assert "end user must connect it again" in outcome.message
    account.refresh_from_db()
    assert account.status == Status.NEEDS_RECONNECT
    assert account.credentials == {"api_key": API_KEY}
    assert account.events.get().kind == Kind.VERIFY_FAILED
    assert API_KEY not in outcome.message + said(account) + caplog.text


def test_an_api_key_that_works_again_makes_the_account_active(httpserver):
    httpserver.expect_request("/me").respond_with_json(
        {"id": 42, "email": "ann@old.example", "plan": "pro"}
    )
    account = api_key_account(httpserver)
    ConnectedAccount.objects.filter(pk=account.pk).update(
        status=Status.NEEDS_RECONNECT, last_error="The key was refused."
    )

    outcome = verify_account(account.pk, via="admin")

    assert outcome.result == "verified", outcome.message
    assert 'names the account "ann@old.example", as before.' in outcome.message
    account.refresh_from_db()
    assert account.status == Status.ACTIVE and account.last_error == ""


def test_another_account_id_is_refused_and_nothing_changes(httpserver):
    httpserver.expect_request("/me").respond_with_json(
        {"id": 77, "email": "someone@else.example", "plan": "free"}
    )
    account = api_key_account(httpserver)

    outcome = verify_account(account.pk, via="admin")

    assert outcome.result == "error"
    assert "name another account" in outcome.message
    assert '"77"' in outcome.message and '"42"' in outcome.message
    account.refresh_from_db()
    assert account.user_identity == "ann@old.example"
    assert account.extras == {"region": "eu"}
    assert account.last_verified_at is None and account.status == Status.ERROR
    event = account.events.get()
    assert event.kind == Kind.VERIFY_FAILED and not event.ok


def test_basic_sends_the_stored_user_and_password_as_http_basic(httpserver):
    basic = base64.b64encode(f"ann:{PASSWORD}".encode()).decode()
    httpserver.expect_request(
        "/me", headers={"Authorization": f"Basic {basic}"}
    ).respond_with_json({"login": "ann", "name": "Ann Smith"})
    authorization = AuthorizationFactory(type="basic_url")
    user_info_endpoint(
        authorization,
        httpserver.url_for("/me"),
        '{"user_identity": "{{ response.name }} ({{ query.url }})"}',
    )
    account = ConnectedAccountFactory(
        authorization=authorization,
        user_identity="ann",
        credentials={
            "username": "ann",
            "password": PASSWORD,
            "url": "https://acme.example.com",
        },
    )

    outcome = verify_account(account.pk, via="admin")

    assert outcome.result == "verified", outcome.message
    account.refresh_from_db()
    assert account.user_identity == "Ann Smith (https://acme.example.com)"


def test_basic_with_api_key_without_user_info_is_skipped(httpserver):
    account = ConnectedAccountFactory(
        authorization=AuthorizationFactory(type="basic_api_key"),
        credentials={"username": "ann", "api_key": API_KEY},
    )

    outcome = verify_account(account.pk, via="admin")

    assert outcome.result == "skipped"
    assert "no User Information Endpoint" in outcome.message
    assert not account.events.exists() and not httpserver.log


def test_a_revoked_account_is_skipped(httpserver):
    account = api_key_account(httpserver)
    ConnectedAccount.objects.filter(pk=account.pk).update(status=Status.REVOKED)

    outcome = verify_account(account.pk, via="admin")

    assert outcome.result == "skipped" and "reconnect it first" in outcome.message
    assert not httpserver.log and not account.events.exists()


def test_a_deleted_account_is_gone():
    account = ConnectedAccountFactory()
    account_id = account.pk
    account.delete()

    assert verify_account(account_id, via="admin").result == "gone"


def test_an_account_deleted_while_the_provider_answers_is_gone(httpserver):
    account = api_key_account(httpserver)

    def delete_then_answer(request):
        try:
            ConnectedAccount.objects.filter(pk=account.pk).delete()
        finally:
            connections.close_all()  # the server's thread, not the test's
        return Response(
            '{"id": 42, "email": "ann@new.example", "plan": "pro"}',
            content_type="application/json",
        )

    httpserver.expect_request("/me").respond_with_handler(delete_then_answer)

    outcome = verify_account(account.pk, via="admin")

    assert outcome.result == "gone", outcome.message
    assert not ConnectedAccount.objects.filter(pk=account.pk).exists()
    assert not AccountEvent.objects.exists()


@pytest.mark.parametrize(
    ("identity", "words"),
    [
        ("ann\x00@example.com", "NUL character"),
        ("a" * 501, "at most 500"),
    ],
    ids=["nul", "too-long"],
)
def test_an_identity_that_cannot_be_stored_is_refused(httpserver, identity, words):
    httpserver.expect_request("/me").respond_with_json(
        {"id": 42, "email": identity, "plan": "pro"}
    )
    account = api_key_account(httpserver)

    outcome = verify_account(account.pk, via="admin")

    assert outcome.result == "error" and words in outcome.message
    account.refresh_from_db()
    assert account.user_identity == "ann@old.example"
    assert account.events.get().kind == Kind.VERIFY_FAILED


# --- OAuth 2.0 against a local API: expiry rules and faults --------------------

USER = {"id": 42, "name": "Ann Smith", "email": "ann@example.com"}


def local_oauth2_account(httpserver, **authorization_fields) -> ConnectedAccount:
    """An OAuth 2.0 account whose token endpoint (/token) and user info (/me)
    are the local server's; the token endpoint hands out NEW_ACCESS."""
    httpserver.expect_request("/token", method="POST").respond_with_json(
        {
            "access_token": NEW_ACCESS,
            "refresh_token": NEW_REFRESH,
            "token_type": "Bearer",
            "expires_in": 3600,
        }
    )
    authorization = OAuth2AuthorizationFactory(
        client_auth="client_secret_post", **authorization_fields
    )
    token_endpoint(
        authorization,
        httpserver.url_for("/token"),
        OAUTH2_TOKEN_REQUEST,
        body_format="form",
    )
    user_info_endpoint(
        authorization,
        httpserver.url_for("/me"),
        '{"user_identity": "{{ response.email }}", "account_id": "{{ response.id }}"}',
        headers=[("Authorization", "Bearer {{ query.access_token }}")],
    )
    return ConnectedAccountFactory(
        authorization=authorization,
        user_identity="ann@example.com",
        account_id="42",
        credentials={"access_token": ACCESS, "refresh_token": REFRESH},
        expires_at=timezone.now() + dt.timedelta(minutes=30),
    )


def answer_new_token(httpserver):
    httpserver.expect_request(
        "/me", headers={"Authorization": f"Bearer {NEW_ACCESS}"}
    ).respond_with_json(USER)


def token_requests(httpserver) -> int:
    return sum(1 for request, _ in httpserver.log if request.path == "/token")


def assert_refreshed_then_verified(httpserver, account, outcome):
    assert outcome.result == "verified", outcome.message
    assert token_requests(httpserver) == 1
    account.refresh_from_db()
    assert account.credentials == {
        "access_token": NEW_ACCESS,
        "refresh_token": NEW_REFRESH,
    }
    assert kinds(account) == [Kind.REFRESHED, Kind.VERIFIED]


def test_an_expired_when_predicate_on_a_200_body_refreshes(httpserver):
    # Slack-like: 200 with ok false; without the predicate that breaks the
    # contract (an error in a 2xx body).
    answer_new_token(httpserver)
    httpserver.expect_request(
        "/me", headers={"Authorization": f"Bearer {ACCESS}"}
    ).respond_with_json({"ok": False, "error": "token_expired"})
    account = local_oauth2_account(
        httpserver,
        expired_when="{{ response.error == 'token_expired' "
        "and query.account_id == '42' }}",
    )

    outcome = verify_account(account.pk, via="admin")

    assert_refreshed_then_verified(httpserver, account, outcome)


def test_without_the_predicate_the_same_body_is_an_error(httpserver):
    httpserver.expect_request("/me").respond_with_json(
        {"ok": False, "error": "token_expired"}
    )
    account = local_oauth2_account(httpserver)

    outcome = verify_account(account.pk, via="admin")

    assert outcome.result == "error", outcome.message
    assert token_requests(httpserver) == 0


@pytest.mark.parametrize(
    ("statuses", "refreshes"),
    [("401, 403", True), ("401", False), ("", False)],
    ids=["403-listed", "default", "none-listed"],
)
def test_a_custom_expired_status_list(httpserver, statuses, refreshes):
    answer_new_token(httpserver)
    httpserver.expect_request(
        "/me", headers={"Authorization": f"Bearer {ACCESS}"}
    ).respond_with_json({"message": "Forbidden"}, status=403)
    account = local_oauth2_account(httpserver, expired_statuses=statuses)

    outcome = verify_account(account.pk, via="admin")

    if refreshes:
        assert_refreshed_then_verified(httpserver, account, outcome)
    else:
        assert outcome.result == "error" and "403" in outcome.message
        assert token_requests(httpserver) == 0
        account.refresh_from_db()
        assert account.credentials["access_token"] == ACCESS


def test_still_expired_after_the_refresh_needs_a_reconnect(httpserver):
    httpserver.expect_request("/me").respond_with_json(
        {"error": "invalid_token"}, status=401
    )
    account = local_oauth2_account(httpserver)

    outcome = verify_account(account.pk, via="admin")

    assert outcome.result == "needs_reconnect", outcome.message
    assert "after a refresh" in outcome.message
    assert token_requests(httpserver) == 1  # refreshed once, not again
    account.refresh_from_db()
    assert account.status == Status.NEEDS_RECONNECT
    assert kinds(account) == [Kind.REFRESHED, Kind.VERIFY_FAILED]


def test_an_expired_token_and_a_failing_token_endpoint_is_an_error(httpserver):
    httpserver.expect_request("/token").respond_with_data("down", status=503)
    httpserver.expect_request("/me").respond_with_json({}, status=401)
    account = local_oauth2_account(httpserver)

    outcome = verify_account(account.pk, via="admin")

    assert outcome.result == "error", outcome.message
    account.refresh_from_db()
    assert account.credentials == {"access_token": ACCESS, "refresh_token": REFRESH}
    assert kinds(account) == [Kind.REFRESH_FAILED, Kind.VERIFY_FAILED]


SLOW_DONE = threading.Event()


def slow(request):
    time.sleep(1.0)
    SLOW_DONE.set()
    return Response("{}", content_type="application/json")


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (Response("boom", status=500), "500"),
        (
            Response("<html><body>Sign in</body></html>", content_type="text/html"),
            "web page",
        ),
        (slow, "did not answer in time"),
        (Response('{"name": "no email"}', content_type="application/json"), "empty"),
    ],
    ids=["500", "html", "timeout", "contract"],
)
def test_transient_failures_keep_tokens_and_status(
    httpserver, settings, caplog, reply, words
):
    settings.OUTBOUND_READ_TIMEOUT = 0.5
    if callable(reply) and not isinstance(reply, Response):
        SLOW_DONE.clear()
        httpserver.expect_request("/me").respond_with_handler(reply)
    else:
        httpserver.expect_request("/me").respond_with_response(reply)
    account = local_oauth2_account(httpserver)

    outcome = verify_account(account.pk, via="admin")

    assert outcome.result == "error", outcome.message
    assert words in outcome.message
    account.refresh_from_db()
    assert account.status == Status.ACTIVE
    assert account.credentials == {"access_token": ACCESS, "refresh_token": REFRESH}
    assert account.version == 0 and account.last_verified_at is None
    assert words in account.last_error
    event = account.events.get()
    assert event.kind == Kind.VERIFY_FAILED and not event.ok
    assert "credentials are kept" in event.detail
    for secret in (ACCESS, REFRESH, account.authorization.client_secret):
        assert secret not in outcome.message + said(account) + caplog.text
    if reply is slow:
        assert SLOW_DONE.wait(5)


def test_connection_refused_is_an_error(httpserver):
    account = local_oauth2_account(httpserver)
    account.authorization.endpoints.filter(kind="user_info").update(
        url="http://127.0.0.1:9/me"
    )

    outcome = verify_account(account.pk, via="admin")

    assert outcome.result == "error" and "could not be reached" in outcome.message
    account.refresh_from_db()
    assert account.credentials["access_token"] == ACCESS


def test_a_predicate_failing_at_run_time_is_an_error_in_words(httpserver):
    httpserver.expect_request("/me").respond_with_json(USER)
    account = local_oauth2_account(
        httpserver, expired_when="{{ response.email|no_such_filter }}"
    )

    outcome = verify_account(account.pk, via="admin")

    assert outcome.result == "error"
    assert '"expired when" predicate could not be rendered' in outcome.message
