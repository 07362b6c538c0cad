"""Test settings: the console's settings plus the provider peers of tests/peers.

The peers are real OAuth servers the console's flows are tested against: an
OAuth 2.0 provider (django-oauth-toolkit) and an OAuth 1.0a provider (oauthlib's
server endpoints), both served under /provider/ by pytest-django's live_server.
"""

from integry.settings import *  # noqa: F403
from integry.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "oauth2_provider", "tests.peers"]

# integry.urls unchanged, plus the peers under /provider/.
ROOT_URLCONF = "tests.peers.urls"

# Outgoing requests to loopback stay refused: a test calling a peer opts in
# with the `settings` fixture (settings.OUTBOUND_ALLOWED_NETWORKS = [...]).
OUTBOUND_ALLOWED_NETWORKS = []

OAUTH2_PROVIDER = {
    # Off by default so a test can run the code flow without PKCE; a test
    # turns it on with oauth2_peer.require_pkce(). A client that sends a
    # code_challenge is held to it either way.
    "PKCE_REQUIRED": False,
    "SCOPES": {
        "read": "Read your projects",
        "write": "Change your projects",
        "profile": "See your name",
        "email": "See your e-mail address",
    },
    "DEFAULT_SCOPES": ["read"],
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    # Refresh tokens rotate (DOT's default, stated here because tests rely on it).
    "ROTATE_REFRESH_TOKEN": True,
}
