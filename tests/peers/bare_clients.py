"""Plain requests-oauthlib clients of the peers: the baseline the console is
compared with (tests/peers/test_peers.py, and the flow benchmark).

requests-oauthlib refuses http URLs unless OAUTHLIB_INSECURE_TRANSPORT is set;
the peers are http on loopback, so it is set around each call here only.
"""

from __future__ import annotations

import contextlib
import os

from requests_oauthlib import OAuth2Session


@contextlib.contextmanager
def insecure_transport():
    """Let oauthlib talk to the http peers for the duration of the block."""
    before = os.environ.get("OAUTHLIB_INSECURE_TRANSPORT")
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    try:
        yield
    finally:
        if before is None:
            del os.environ["OAUTHLIB_INSECURE_TRANSPORT"]
        else:
            os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = before


def bare_oauth2_exchange(peer, callback_url: str, code_verifier=None) -> dict:
    """Exchange the code in ``callback_url`` at ``peer`` and fetch user info.

    ``peer`` is the ``oauth2_peer`` fixture's object; ``callback_url`` is what
    ``peer.consent(...)`` returned; ``code_verifier`` is the PKCE verifier when
    the authorize URL carried a challenge. The client authenticates with
    client_secret_basic. Returns ``{"token": <token response>, "user": <user
    info JSON>}``; raises if either call fails.
    """
    client = peer.app
    session = OAuth2Session(client.client_id, redirect_uri=client.redirect_uri)
    with insecure_transport():
        token = session.fetch_token(
            peer.token_url,
            authorization_response=callback_url,
            client_secret=client.client_secret,
            code_verifier=code_verifier,
            timeout=10,
        )
        response = session.get(peer.userinfo_url, timeout=10)
    response.raise_for_status()
    return {"token": dict(token), "user": response.json()}
