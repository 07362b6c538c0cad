"""What the connection tests share: an OAuth 2.0 authorization whose token
endpoint is a local server, accounts due for a refresh, and grants issued by
the OAuth 2.0 peer (its tokens, whether they work, their family)."""

import datetime as dt
import json
import threading
import uuid

import requests
from django.utils import timezone
from oauthlib.common import generate_token
from werkzeug import Response

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


def held_token_endpoint(httpserver):
    """Make httpserver's /token answer new tokens ("a-2", "r-2") only once
    released: returns (answered, release), the events that a request has
    arrived and that it may be answered."""
    answered, release = threading.Event(), threading.Event()

    def held(request):
        answered.set()
        release.wait(10)
        return Response(
            json.dumps({"access_token": "a-2", "refresh_token": "r-2"}),
            content_type="application/json",
        )

    httpserver.expect_request("/token").respond_with_handler(held)
    return answered, release


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


# --- the OAuth 2.0 peer (django-oauth-toolkit) ---------------------------------


def issue(peer) -> tuple[str, str]:
    """Have the peer issue a grant to its console client, as a code exchange
    would: an access token and a refresh token of a new family."""
    from oauth2_provider.models import get_access_token_model, get_refresh_token_model

    access = get_access_token_model().objects.create(
        user=peer.user,
        application=peer.app.model,
        token=generate_token(),
        expires=timezone.now() + dt.timedelta(hours=1),
        scope="read profile",
    )
    refresh_token = get_refresh_token_model().objects.create(
        user=peer.user,
        application=peer.app.model,
        token=generate_token(),
        access_token=access,
        token_family=uuid.uuid4(),
    )
    return access.token, refresh_token.token


def works(peer, account) -> bool:
    """Whether the peer's API accepts the account's access token."""
    answer = requests.get(
        peer.userinfo_url,
        headers={"Authorization": f"Bearer {account.credentials['access_token']}"},
        timeout=10,
    )
    return answer.status_code == 200


def refresh_tokens_of(peer, account):
    """The peer's refresh tokens of the account's grant (its family)."""
    from oauth2_provider.models import get_refresh_token_model

    RefreshToken = get_refresh_token_model()
    first = RefreshToken.objects.get(
        token_checksum=peer._checksum(account.initial_refresh_token)
    )
    return RefreshToken.objects.filter(token_family=first.token_family)
