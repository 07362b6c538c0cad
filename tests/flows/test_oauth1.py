"""OAuth 1.0a end to end: the admin's Test authorization against a real provider.

The OAuth 1.0a peer (oauthlib's server endpoints on the live server) checks
every signature: a run that connects was signed as the provider expects.
The endpoints are the ones a developer gets from the console's defaults,
plus the request token endpoint.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django.core.signals import request_started

from authorizations.models import SignatureMethod, TestRun
from connections.models import ConnectedAccount
from tests.flows.helpers import start_url
from tests.flows.test_oauth2 import (
    JASON,
    local,
    query_of,
    raw_credentials,
    run_page,
    step_named,
    user_of,
)
from tests.peers import oauth1
from tests.peers.console import oauth1_authorization

pytestmark = pytest.mark.usefixtures("allow_loopback")

CALLBACK = "/oauth/callback/"


@pytest.fixture
def client(member_client):
    return member_client(superuser=True)


def start(client, authorization):
    answer = client.post(start_url(authorization))
    assert answer.status_code == 302, answer.content.decode()[:2000]
    return answer["Location"]


def callback_from(client, peer, authorization) -> str:
    """Start a run, authorize its request token; return the provider's callback."""
    authorize_url = start(client, authorization)
    assert authorize_url.startswith(peer.authorize_url + "?"), authorize_url
    callback = peer.consent(authorize_url)
    assert callback.startswith(peer.callback_url + "?"), callback
    assert query_of(callback)["oauth_token"] == query_of(authorize_url)["oauth_token"]
    return callback


@pytest.fixture
def provider_heard():
    """(path, Authorization header) of each request the OAuth 1.0a peer got."""
    heard = []

    def record(sender, environ, **kwargs):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/provider/oauth1/"):
            heard.append((path, environ.get("HTTP_AUTHORIZATION", "")))

    request_started.connect(record, weak=False)
    yield heard
    request_started.disconnect(record)


def request_tokens_issued() -> int:
    with oauth1.STORE.lock:
        return len(oauth1.STORE.request_tokens)


@pytest.mark.parametrize(
    "method",
    [
        SignatureMethod.HMAC_SHA1,
        SignatureMethod.HMAC_SHA256,
        SignatureMethod.RSA_SHA1,
    ],
)
def test_each_signature_method_connects_the_account(
    oauth1_peer, client, method, provider_heard
):
    authorization = oauth1_authorization(oauth1_peer, method)

    callback = callback_from(client, oauth1_peer, authorization)
    run, page = run_page(client, client.get(local(callback)))

    assert run.status == TestRun.Status.SUCCEEDED, run.message
    assert f"Connected as {JASON}" in page
    account = ConnectedAccount.objects.get()
    assert run.connected_account_pk == account.pk
    assert account.user_identity == JASON
    assert account.account_id == str(oauth1_peer.user.pk)
    assert account.connected_by == user_of(client)
    assert account.expires_at is None  # OAuth 1.0a token credentials do not expire
    credentials = account.credentials
    assert set(credentials) == {"oauth_token", "oauth_token_secret"}
    assert credentials["oauth_token"] in oauth1_peer.access_tokens()
    raw = raw_credentials(account)
    for value in credentials.values():
        assert value and value not in raw and value not in page
    names = [step["name"] for step in run.steps]
    assert names == [
        "Request token",
        "Redirect to the provider",
        "Back from the provider",
        "Access token",
        "User information",
    ]
    for name in ("Request token", "Access token", "User information"):
        headers = dict(step_named(run, name)["request"]["headers"])
        assert headers["Authorization"].startswith("OAuth ")
        # The header is masked; the step says how it was signed.
        assert f"Signed with OAuth 1.0a {method};" in step_named(run, name)["notes"][0]
    assert f"Signed with OAuth 1.0a {method};" in page
    # The provider received each request signed with the chosen method.
    # (The browser's visits to the authorize page carry no signature.)
    signed = [
        (path.rsplit("/", 1)[1], header)
        for path, header in provider_heard
        if not path.endswith("/authorize")
    ]
    assert [name for name, _ in signed] == ["request_token", "access_token", "me"]
    for _, header in signed:
        assert f'oauth_signature_method="{method}"' in header
    # The consumer secret (or private key) never reaches the page.
    secret = authorization.client_secret
    assert secret not in page and secret not in json.dumps(run.steps)


def test_plaintext_is_refused_over_http_and_nothing_is_sent(
    oauth1_peer, client, provider_heard
):
    authorization = oauth1_authorization(oauth1_peer, SignatureMethod.PLAINTEXT)

    location = start(client, authorization)

    run = TestRun.objects.get()
    assert location == run.get_absolute_url()  # no trip to the provider
    page = client.get(location).content.decode()
    assert run.status == TestRun.Status.FAILED
    assert "The test failed." in page
    assert "with PLAINTEXT sends the consumer secret as it is" in page
    assert "Use an https URL, or an HMAC signature method." in page
    step = step_named(run, "Request token")
    assert step["response"] is None
    assert provider_heard == []  # the provider heard nothing
    assert request_tokens_issued() == 0
    assert oauth1_peer.consumer_secret not in page
    assert not ConnectedAccount.objects.exists()


def test_a_provider_not_confirming_the_callback_stops_the_run(oauth1_peer, client):
    oauth1_peer.callback_confirmed = False
    authorization = oauth1_authorization(oauth1_peer)

    location = start(client, authorization)

    run = TestRun.objects.get()
    assert location == run.get_absolute_url()  # the browser is not sent on
    page = client.get(location).content.decode()
    assert run.status == TestRun.Status.FAILED
    assert "The provider did not confirm the callback: oauth_callback_confirmed" in (
        page
    )
    assert step_named(run, "Request token")["response"]["status"] == 200
    assert not any(step["name"] == "Redirect to the provider" for step in run.steps)
    assert not ConnectedAccount.objects.exists()


def test_a_callback_for_another_request_token_is_refused(oauth1_peer, client):
    authorization = oauth1_authorization(oauth1_peer)
    callback = callback_from(client, oauth1_peer, authorization)
    params = {name: values[0] for name, values in query_of(callback).items()}

    forged = {**params, "oauth_token": params["oauth_token"][:-4] + "AAAA"}
    answer = client.get(CALLBACK + "?" + urlencode(forged))

    page = answer.content.decode()
    assert answer.status_code == 400
    assert "The callback&#x27;s state matches no test run" in page
    assert "Nothing was stored." in page
    assert TestRun.objects.get().status == TestRun.Status.WAITING
    assert oauth1_peer.access_tokens() == []
    assert not ConnectedAccount.objects.exists()


def test_a_callback_without_verifier_fails_the_run(oauth1_peer, client):
    authorization = oauth1_authorization(oauth1_peer)
    callback = callback_from(client, oauth1_peer, authorization)
    token = query_of(callback)["oauth_token"][0]

    answer = client.get(CALLBACK + "?" + urlencode({"oauth_token": token}))

    run, page = run_page(client, answer)
    assert run.status == TestRun.Status.FAILED
    assert "The provider came back without an oauth_verifier" in page
    assert not any(step["name"] == "Access token" for step in run.steps)
    assert oauth1_peer.access_tokens() == []
    assert not ConnectedAccount.objects.exists()


def test_denied_consent_fails_the_run_in_words(oauth1_peer, client):
    authorization = oauth1_authorization(oauth1_peer)
    authorize_url = start(client, authorization)
    token = query_of(authorize_url)["oauth_token"][0]

    callback = oauth1_peer.consent(authorize_url, allow=False)
    assert query_of(callback) == {"denied": [token]}  # no error named: 1.0a has none
    run, page = run_page(client, client.get(local(callback)))

    assert run.status == TestRun.Status.FAILED
    assert "The authorization was denied at the provider." in page
    assert not any(step["name"] == "Access token" for step in run.steps)
    assert not ConnectedAccount.objects.exists()


def test_a_callback_naming_the_run_by_state_but_another_token_is_refused(
    oauth1_peer, client
):
    authorization = oauth1_authorization(oauth1_peer)
    callback = callback_from(client, oauth1_peer, authorization)
    params = {name: values[0] for name, values in query_of(callback).items()}
    other = params["oauth_token"][:-4] + "AAAA"

    # The pending request token as state, another as oauth_token: the run's
    # own token is not what the callback says it authorized.
    answer = client.get(
        CALLBACK
        + "?"
        + urlencode({**params, "state": params["oauth_token"], "oauth_token": other})
    )

    assert answer.status_code == 400
    assert "Nothing was stored." in answer.content.decode()
    assert TestRun.objects.get().status == TestRun.Status.WAITING
    assert oauth1_peer.access_tokens() == []
    assert not ConnectedAccount.objects.exists()
    # The provider's own callback still finishes the run.
    run, page = run_page(client, client.get(local(callback)))
    assert f"Connected as {JASON}" in page
