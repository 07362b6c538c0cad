"""What the refresh tests share: an OAuth 2.0 authorization whose token
endpoint is a local server, and accounts due for a refresh."""

import datetime as dt

from django.utils import timezone

from authorizations.defaults import OAUTH2_TOKEN_REQUEST
from tests.factories import ConnectedAccountFactory, OAuth2AuthorizationFactory
from tests.peers.console import token_endpoint


def local_token_authorization(httpserver):
    """An OAuth 2.0 authorization whose token endpoint is httpserver's /token
    (client_secret_post, the default refresh template); the test says how
    /token answers."""
    authorization = OAuth2AuthorizationFactory(client_auth="client_secret_post")
    token_endpoint(
        authorization,
        httpserver.url_for("/token"),
        OAUTH2_TOKEN_REQUEST,
        body_format="form",
    )
    return authorization


def refreshable_authorization(httpserver, reply: dict):
    """An authorization whose token endpoint (httpserver's /token) answers ``reply``."""
    httpserver.expect_request("/token", method="POST").respond_with_json(reply)
    return local_token_authorization(httpserver)


def account_expiring_in(authorization, delay: dt.timedelta, refresh_token: str):
    return ConnectedAccountFactory(
        authorization=authorization,
        credentials={"access_token": "old-access", "refresh_token": refresh_token},
        expires_at=timezone.now() + delay,
    )
