"""Fixtures the connection tests share: loopback allowed, and the OAuth 2.0
peer rotating refresh tokens with an authorization of the console against it."""

import pytest

from authorizations.defaults import OAUTH2_TOKEN_REQUEST
from tests.peers.console import oauth2_authorization


@pytest.fixture
def allow_loopback(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]


@pytest.fixture
def peer(oauth2_peer, settings):
    """The DOT peer, rotating refresh tokens and revoking a grant on reuse."""
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "ROTATE_REFRESH_TOKEN": True,
        "REFRESH_TOKEN_REUSE_PROTECTION": True,
        "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    }
    return oauth2_peer


@pytest.fixture
def peer_authorization(peer):
    # The console's default token request, which has a refresh branch.
    return oauth2_authorization(
        peer, token_request=OAUTH2_TOKEN_REQUEST, client_auth="client_secret_post"
    )
