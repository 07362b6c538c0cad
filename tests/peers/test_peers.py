"""The peers answer a bare requests-oauthlib client as real providers would.

No console code here: if these pass, a failing console flow test is about the
console, not about its test provider.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from oauthlib.oauth1 import (
    SIGNATURE_HMAC_SHA1,
    SIGNATURE_HMAC_SHA256,
    SIGNATURE_PLAINTEXT,
    SIGNATURE_RSA_SHA1,
)
from oauthlib.oauth2 import BackendApplicationClient, WebApplicationClient
from requests_oauthlib import OAuth1Session, OAuth2Session
from requests_oauthlib.oauth1_session import TokenRequestDenied

from tests.peers.bare_clients import bare_oauth2_exchange
from tests.peers.fixtures import PeerError

TIMEOUT = 10


@pytest.fixture(autouse=True)
def http_peers(monkeypatch):
    """oauthlib refuses http URLs unless told: the peers are http on loopback."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def pkce_pair() -> tuple[str, str]:
    client = WebApplicationClient("unused")
    verifier = client.create_code_verifier(64)
    return verifier, client.create_code_challenge(verifier, "S256")


def authorize(peer, **params) -> tuple[str, str]:
    """Return (callback URL after consent, state)."""
    session = OAuth2Session(
        peer.app.client_id, redirect_uri=peer.app.redirect_uri, scope=["read"]
    )
    url, state = session.authorization_url(peer.authorize_url, **params)
    return peer.consent(url), state


def exchange(peer, code: str, method: str, secret=None, **extra) -> requests.Response:
    """POST the code to the token endpoint, authenticating the client by `method`."""
    app = peer.app
    secret = app.client_secret if secret is None else secret
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": app.redirect_uri,
        **extra,
    }
    if method == "client_secret_basic":
        return requests.post(
            peer.token_url, data=data, auth=(app.client_id, secret), timeout=TIMEOUT
        )
    data |= {"client_id": app.client_id, "client_secret": secret}
    return requests.post(peer.token_url, data=data, timeout=TIMEOUT)


def user_info(peer, access_token: str) -> requests.Response:
    return requests.get(
        peer.userinfo_url,
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=TIMEOUT,
    )


# OAuth 2.0 -------------------------------------------------------------------


def test_code_flow_with_pkce(oauth2_peer):
    oauth2_peer.require_pkce()
    verifier, challenge = pkce_pair()
    callback, state = authorize(
        oauth2_peer, code_challenge=challenge, code_challenge_method="S256"
    )

    assert callback.startswith(oauth2_peer.redirect_uri + "?")
    assert query(callback)["state"] == state
    result = bare_oauth2_exchange(oauth2_peer, callback, code_verifier=verifier)
    assert result["user"] == {
        "id": oauth2_peer.user.pk,
        "name": "Jason Fried",
        "email": "jason@basecamp.com",
    }
    assert result["token"]["token_type"] == "Bearer"
    assert result["token"]["refresh_token"]
    assert result["token"]["expires_in"] == 3600


def test_code_flow_without_pkce(oauth2_peer):
    callback, _ = authorize(oauth2_peer)

    result = bare_oauth2_exchange(oauth2_peer, callback)
    assert result["user"] == oauth2_peer.user_info


def test_required_pkce_refuses_a_request_without_challenge(oauth2_peer):
    oauth2_peer.require_pkce()
    callback, state = authorize(oauth2_peer)

    assert query(callback)["error"] == "invalid_request"
    assert query(callback)["state"] == state


def test_a_wrong_code_verifier_is_refused(oauth2_peer):
    _, challenge = pkce_pair()
    callback, _ = authorize(
        oauth2_peer, code_challenge=challenge, code_challenge_method="S256"
    )
    code = query(callback)["code"]

    wrong, _ = pkce_pair()
    answer = exchange(oauth2_peer, code, "client_secret_basic", code_verifier=wrong)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
    # A challenge once sent binds the code: no verifier is refused too.
    assert exchange(oauth2_peer, code, "client_secret_basic").status_code == 400


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_client_authentication_methods(oauth2_peer, method):
    callback, _ = authorize(oauth2_peer)
    answer = exchange(oauth2_peer, query(callback)["code"], method)

    assert answer.status_code == 200, answer.text
    assert user_info(oauth2_peer, answer.json()["access_token"]).json() == (
        oauth2_peer.user_info
    )


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_a_wrong_client_secret_gets_401(oauth2_peer, method):
    callback, _ = authorize(oauth2_peer)
    answer = exchange(oauth2_peer, query(callback)["code"], method, secret="wrong")

    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"


def test_denied_consent_redirects_with_access_denied(oauth2_peer):
    callback, state = authorize(oauth2_peer)
    assert "code" in query(callback)

    callback, state = authorize_denied(oauth2_peer)
    assert callback.startswith(oauth2_peer.redirect_uri + "?")
    assert query(callback) == {"error": "access_denied", "state": state}


def authorize_denied(peer):
    session = OAuth2Session(peer.app.client_id, redirect_uri=peer.app.redirect_uri)
    url, state = session.authorization_url(peer.authorize_url)
    return peer.consent(url, allow=False), state


def test_an_unregistered_redirect_uri_is_not_redirected_to(oauth2_peer):
    session = OAuth2Session(
        oauth2_peer.app.client_id, redirect_uri="http://evil.example/callback"
    )
    url, _ = session.authorization_url(oauth2_peer.authorize_url)

    with pytest.raises(PeerError, match="HTTP 400"):
        oauth2_peer.consent(url)


def test_anonymous_users_sign_in_at_the_provider_not_the_admin(oauth2_peer):
    session = OAuth2Session(
        oauth2_peer.app.client_id, redirect_uri=oauth2_peer.app.redirect_uri
    )
    url, _ = session.authorization_url(oauth2_peer.authorize_url)

    answer = requests.get(url, allow_redirects=False, timeout=TIMEOUT)
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert urlsplit(location).path == "/provider/login/"
    assert "/provider/o/authorize/" in query(location)["next"]


def test_client_credentials(oauth2_peer):
    app = oauth2_peer.service_app
    session = OAuth2Session(client=BackendApplicationClient(client_id=app.client_id))
    token = session.fetch_token(
        oauth2_peer.token_url,
        client_id=app.client_id,
        client_secret=app.client_secret,
        timeout=TIMEOUT,
    )

    assert "refresh_token" not in token
    assert user_info(oauth2_peer, token["access_token"]).json() == (
        oauth2_peer.user_info
    )
    refused = requests.post(
        oauth2_peer.token_url,
        data={"grant_type": "client_credentials"},
        auth=(app.client_id, "wrong"),
        timeout=TIMEOUT,
    )
    assert refused.status_code == 401


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic eDp5"])
def test_user_info_without_a_valid_token_is_401_json(oauth2_peer, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    answer = requests.get(oauth2_peer.userinfo_url, headers=headers, timeout=TIMEOUT)

    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_token"
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_refresh_tokens_rotate(oauth2_peer):
    callback, _ = authorize(oauth2_peer)
    first = exchange(oauth2_peer, query(callback)["code"], "client_secret_basic")
    first = first.json()
    app = oauth2_peer.app

    def refresh(refresh_token):
        return requests.post(
            oauth2_peer.token_url,
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
            auth=(app.client_id, app.client_secret),
            timeout=TIMEOUT,
        )

    second = refresh(first["refresh_token"])
    assert second.status_code == 200, second.text
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert not oauth2_peer.refresh_token_is_active(first["refresh_token"])
    assert oauth2_peer.refresh_token_is_active(second["refresh_token"])
    assert user_info(oauth2_peer, second["access_token"]).status_code == 200
    # The rotated refresh token is spent.
    assert refresh(first["refresh_token"]).json()["error"] == "invalid_grant"


def test_expired_and_revoked_tokens_are_refused(oauth2_peer):
    tokens = []
    for _ in range(2):
        callback, _ = authorize(oauth2_peer)
        answer = exchange(oauth2_peer, query(callback)["code"], "client_secret_post")
        tokens.append(answer.json()["access_token"])
    expired, revoked = tokens

    oauth2_peer.expire(expired)
    assert not oauth2_peer.access_token_is_active(expired)
    assert user_info(oauth2_peer, expired).status_code == 401

    app = oauth2_peer.app
    answer = requests.post(
        oauth2_peer.revoke_url,
        data={"token": revoked, "token_type_hint": "access_token"},
        auth=(app.client_id, app.client_secret),
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200
    assert not oauth2_peer.access_token_is_active(revoked)
    assert user_info(oauth2_peer, revoked).status_code == 401


# OAuth 1.0a ------------------------------------------------------------------


def oauth1_session(peer, method: str, **tokens) -> OAuth1Session:
    if method == SIGNATURE_RSA_SHA1:
        keys = {"rsa_key": peer.rsa_private_key}
    else:
        keys = {"client_secret": peer.consumer_secret}
    return OAuth1Session(
        peer.consumer_key,
        callback_uri=peer.callback_url,
        signature_method=method,
        **keys,
        **tokens,
    )


SIGNATURES = [
    SIGNATURE_HMAC_SHA1,
    SIGNATURE_HMAC_SHA256,
    SIGNATURE_RSA_SHA1,
    SIGNATURE_PLAINTEXT,
]


@pytest.mark.parametrize("method", SIGNATURES)
def test_oauth1_flow(oauth1_peer, method):
    session = oauth1_session(oauth1_peer, method)

    temporary = session.fetch_request_token(oauth1_peer.request_token_url)
    assert temporary["oauth_callback_confirmed"] == "true"
    callback = oauth1_peer.consent(session.authorization_url(oauth1_peer.authorize_url))
    assert callback.startswith(oauth1_peer.callback_url + "?")
    assert query(callback)["oauth_token"] == temporary["oauth_token"]
    session.parse_authorization_response(callback)
    credentials = session.fetch_access_token(oauth1_peer.access_token_url)

    assert credentials["oauth_token"] in oauth1_peer.access_tokens()
    answer = session.get(oauth1_peer.userinfo_url, timeout=TIMEOUT)
    assert answer.status_code == 200
    assert answer.json() == {
        "id": oauth1_peer.user.pk,
        "name": "Jason Fried",
        "email": "jason@basecamp.com",
    }
    # A second session holding only the token credentials signs as well.
    again = oauth1_session(
        oauth1_peer,
        method,
        resource_owner_key=credentials["oauth_token"],
        resource_owner_secret=credentials["oauth_token_secret"],
    )
    assert again.post(oauth1_peer.userinfo_url, timeout=TIMEOUT).json() == (
        oauth1_peer.user_info
    )


@pytest.mark.parametrize("method", [SIGNATURE_HMAC_SHA1, SIGNATURE_PLAINTEXT])
def test_oauth1_wrong_consumer_secret_gets_401(oauth1_peer, method):
    session = OAuth1Session(
        oauth1_peer.consumer_key,
        client_secret="wrong",
        callback_uri=oauth1_peer.callback_url,
        signature_method=method,
    )
    with pytest.raises(TokenRequestDenied) as refused:
        session.fetch_request_token(oauth1_peer.request_token_url)
    assert refused.value.status_code == 401


def test_oauth1_wrong_rsa_key_gets_401(oauth1_peer):
    from tests.peers.oauth1 import rsa_keypair

    session = OAuth1Session(
        oauth1_peer.consumer_key,
        rsa_key=rsa_keypair("another")[0],
        callback_uri=oauth1_peer.callback_url,
        signature_method=SIGNATURE_RSA_SHA1,
    )
    with pytest.raises(TokenRequestDenied) as refused:
        session.fetch_request_token(oauth1_peer.request_token_url)
    assert refused.value.status_code == 401


def authorized_oauth1_session(peer) -> OAuth1Session:
    session = oauth1_session(peer, SIGNATURE_HMAC_SHA1)
    session.fetch_request_token(peer.request_token_url)
    callback = peer.consent(session.authorization_url(peer.authorize_url))
    session.parse_authorization_response(callback)
    session.fetch_access_token(peer.access_token_url)
    return session


def test_oauth1_resource_refuses_bad_signatures_and_replays(oauth1_peer):
    session = authorized_oauth1_session(oauth1_peer)
    token = session.token

    forged = oauth1_session(
        oauth1_peer,
        SIGNATURE_HMAC_SHA1,
        resource_owner_key=token["oauth_token"],
        resource_owner_secret="not-the-secret",
    )
    answer = forged.get(oauth1_peer.userinfo_url, timeout=TIMEOUT)
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_signature"
    assert requests.get(oauth1_peer.userinfo_url, timeout=TIMEOUT).status_code == 401

    signed = session.prepare_request(requests.Request("GET", oauth1_peer.userinfo_url))
    assert session.send(signed, timeout=TIMEOUT).status_code == 200
    assert session.send(signed, timeout=TIMEOUT).status_code == 401  # same nonce


def test_oauth1_denied_consent(oauth1_peer):
    session = oauth1_session(oauth1_peer, SIGNATURE_HMAC_SHA1)
    temporary = session.fetch_request_token(oauth1_peer.request_token_url)

    callback = oauth1_peer.consent(
        session.authorization_url(oauth1_peer.authorize_url), allow=False
    )
    assert query(callback) == {"denied": temporary["oauth_token"]}
    with pytest.raises(PeerError, match="HTTP 400"):
        oauth1_peer.consent(session.authorization_url(oauth1_peer.authorize_url))


def test_oauth1_verifier_is_checked(oauth1_peer):
    session = oauth1_session(oauth1_peer, SIGNATURE_HMAC_SHA1)
    session.fetch_request_token(oauth1_peer.request_token_url)
    oauth1_peer.consent(session.authorization_url(oauth1_peer.authorize_url))

    with pytest.raises(TokenRequestDenied) as refused:
        session.fetch_access_token(
            oauth1_peer.access_token_url, verifier="wrongVerifier00000000"
        )
    assert refused.value.status_code == 401
    assert oauth1_peer.access_tokens() == []


def test_oauth1_misbehaving_peer_omits_callback_confirmed(oauth1_peer):
    oauth1_peer.callback_confirmed = False
    session = oauth1_session(oauth1_peer, SIGNATURE_HMAC_SHA1)

    temporary = session.fetch_request_token(oauth1_peer.request_token_url)
    assert "oauth_callback_confirmed" not in temporary
    assert temporary["oauth_token"]
