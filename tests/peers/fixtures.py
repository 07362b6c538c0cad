"""pytest fixtures for the provider peers (a pytest plugin: see tests/conftest.py).

Both peers run inside pytest-django's ``live_server``, reached at 127.0.0.1
while the console is reached at ``live_server.url`` (http://localhost:PORT): one
server, but two sites to a browser, so the provider's login cookie and the
console's session never mix. A test using a peer is transactional (the live
server's thread must see the test's rows) with serialized rollback (the
migration-made groups stay, so ``member_client`` works alongside).

The console's outgoing HTTP client refuses loopback unless the test opts in::

    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]

Fixtures: ``oauth2_peer`` (:class:`OAuth2Peer`), ``oauth1_peer``
(:class:`OAuth1Peer`), and ``provider_user`` (the user both peers know).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from django.utils import timezone
from oauthlib.common import generate_token

from tests.peers import oauth1
from tests.peers.views import user_json

USERNAME = "jason"
PASSWORD = "provider-password-5e1"
TIMEOUT = 10


class PeerError(AssertionError):
    """The provider answered the browser with something other than expected."""

    def __init__(self, message: str, response: requests.Response):
        super().__init__(
            f"{message}: HTTP {response.status_code} at {response.url}\n"
            f"{response.text[:2000]}"
        )
        self.response = response


class _HiddenFields(HTMLParser):
    """The hidden inputs of the first form of a page."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self.found = False
        self._inside = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and not self.found:
            self.found = self._inside = True
        elif tag == "input" and self._inside and attrs.get("type") == "hidden":
            self.fields[attrs.get("name") or ""] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False


def hidden_fields(response: requests.Response) -> dict[str, str]:
    parser = _HiddenFields()
    parser.feed(response.text)
    if not parser.found:
        raise PeerError("The provider's page has no form", response)
    return parser.fields


class ProviderBrowser:
    """The end user's browser at the provider: its own cookie jar.

    Redirects are not followed, so the one leaving the provider (to the
    console's callback) is returned, not fetched.
    """

    def __init__(self, origin: str, login_url: str, username: str, password: str):
        self.origin = origin
        self.login_url = login_url
        self.username = username
        self.password = password
        self.session = requests.Session()

    def _send(self, method: str, url: str, **options) -> requests.Response:
        try:
            return self.session.request(
                method, url, allow_redirects=False, timeout=TIMEOUT, **options
            )
        finally:
            # A new connection for each request: on a kept-alive one the live
            # server's separately written headers and body wait out the
            # client's delayed ACK (some 40 ms a page). Cookies are kept.
            self.session.close()

    def get(self, url: str) -> requests.Response:
        return self._send("GET", url)

    def post(self, url: str, data: dict) -> requests.Response:
        return self._send("POST", url, data=data)

    def log_in(self, login_url: str | None = None) -> None:
        """Sign in with the provider's login form (the ?next= URL is kept)."""
        url = login_url or self.login_url
        page = self.get(url)
        if page.status_code != 200:
            raise PeerError("The provider's login page did not open", page)
        fields = hidden_fields(page)
        fields |= {"username": self.username, "password": self.password}
        answer = self.post(url, fields)
        if answer.status_code != 302:
            raise PeerError("The provider refused the login", answer)

    def consent(self, authorize_url: str, allow: bool, allow_field: str) -> str:
        """Open the consent page (signing in first if sent to the login) and
        answer it; return where the provider redirects the browser."""
        page = self.get(authorize_url)
        if page.status_code == 302 and self._is_login(page.headers["Location"]):
            self.log_in(urljoin(page.url, page.headers["Location"]))
            page = self.get(authorize_url)
        if page.status_code in (301, 302, 303, 307):
            # The provider answered without asking: an error sent back to the
            # client, or an approval it remembers.
            return urljoin(page.url, page.headers["Location"])
        if page.status_code != 200:
            raise PeerError("The provider's consent page did not open", page)
        fields = hidden_fields(page)
        if allow:
            fields[allow_field] = "Authorize"
        answer = self.post(authorize_url, fields)
        if answer.status_code in (301, 302, 303, 307):
            return urljoin(answer.url, answer.headers["Location"])
        return self._out_of_band(answer)

    def _out_of_band(self, answer: requests.Response) -> str:
        # An OAuth 1.0a "oob" callback: the page shows the verifier.
        marker = '<code id="verifier">'
        if answer.status_code == 200 and marker in answer.text:
            return answer.text.split(marker, 1)[1].split("<", 1)[0]
        raise PeerError("The provider did not redirect after consent", answer)

    def _is_login(self, location: str) -> bool:
        return urlsplit(location).path == urlsplit(self.login_url).path


def provider_origin(live_server) -> str:
    """The live server under another host name than the console's."""
    host = live_server.thread.host
    other = "localhost" if host == "127.0.0.1" else "127.0.0.1"
    return f"http://{other}:{live_server.thread.port}"


@pytest.fixture
def provider_user(live_server, django_db_serialized_rollback, django_user_model):
    """The provider's end user: username "jason", password ``PASSWORD``,
    Jason Fried <jason@basecamp.com>. Not staff: it is no console user."""
    return django_user_model.objects.create_user(
        username=USERNAME,
        password=PASSWORD,
        first_name="Jason",
        last_name="Fried",
        email="jason@basecamp.com",
    )


@dataclass
class PeerApplication:
    """A client registered at the OAuth 2.0 peer (``model`` is DOT's row)."""

    client_id: str
    client_secret: str
    redirect_uri: str
    model: Any


class _Peer:
    """What both peers share: the console's address, the end user, their browser."""

    def __init__(self, live_server, user, path: str):
        self.console_url = live_server.url
        self.origin = provider_origin(live_server)
        self.base_url = f"{self.origin}{path}"
        self.login_url = f"{self.origin}/provider/login/"
        self.user = user
        self.username = USERNAME
        self.password = PASSWORD
        self.user_info = user_json(user)
        self.browser = ProviderBrowser(
            self.origin, self.login_url, self.username, self.password
        )


class OAuth2Peer(_Peer):
    """The OAuth 2.0 provider (django-oauth-toolkit) as a test sees it.

    URLs: ``base_url`` (http://127.0.0.1:PORT/provider), ``authorize_url``,
    ``token_url``, ``revoke_url``, ``introspect_url``, ``userinfo_url``
    (GET with ``Authorization: Bearer``: the user JSON, else 401 JSON),
    ``login_url``; ``console_url`` is ``live_server.url``.

    Clients: ``app`` is a confidential authorization-code client (scopes
    read write profile email; ``redirect_uri`` = console_url +
    "/oauth/callback/"), accepting client_secret_basic and client_secret_post;
    ``service_app`` is a confidential client-credentials client, owned by the
    user, so /api/me answers its tokens with the user too.
    ``add_application(...)`` registers more.

    The end user: ``user`` (the Django row), ``username``, ``password``,
    ``user_info`` (what /api/me returns), ``browser`` (:class:`ProviderBrowser`)
    and ``consent(authorize_url, allow=True)``.

    Behaviour: PKCE is optional unless ``require_pkce()``; a client sending a
    code_challenge must send its verifier. Refresh tokens rotate: a used one is
    revoked. Access tokens live an hour; ``expire(access_token)`` ends one now.
    """

    def __init__(self, live_server, settings, user):
        super().__init__(live_server, user, "/provider")
        self.authorize_url = f"{self.base_url}/o/authorize/"
        self.token_url = f"{self.base_url}/o/token/"
        self.revoke_url = f"{self.base_url}/o/revoke_token/"
        self.introspect_url = f"{self.base_url}/o/introspect/"
        self.userinfo_url = f"{self.base_url}/api/me"
        self.redirect_uri = f"{self.console_url}/oauth/callback/"
        self.settings = settings
        self.app = self.add_application(name="Integry console")
        self.service_app = self.add_application(
            name="Integry console (service)",
            grant_type="client-credentials",
            redirect_uri="",
            owner=user,
        )

    def add_application(
        self,
        name: str = "Another client",
        grant_type: str = "authorization-code",
        redirect_uri: str | None = None,
        client_type: str = "confidential",
        owner=None,
        **fields,
    ) -> PeerApplication:
        """Register a client; ``fields`` go to DOT's Application (e.g.
        ``skip_authorization=True``). Its plaintext secret is returned."""
        from oauth2_provider.models import get_application_model

        secret = generate_token(40)
        redirect_uri = self.redirect_uri if redirect_uri is None else redirect_uri
        model = get_application_model().objects.create(
            name=name,
            client_type=client_type,
            authorization_grant_type=grant_type,
            redirect_uris=redirect_uri,
            client_secret=secret,
            user=owner,
            **fields,
        )
        return PeerApplication(model.client_id, secret, redirect_uri, model)

    def consent(self, authorize_url: str, allow: bool = True) -> str:
        """Act as the end user: open ``authorize_url`` in the provider's
        browser, sign in at the provider's login page if sent there, press
        Authorize (``allow=True``) or Cancel, and return the Location the
        provider redirects to: ``<redirect_uri>?code=...&state=...`` or
        ``...?error=access_denied&state=...``. An authorize URL the provider
        refuses to redirect for (unknown client_id, unregistered redirect_uri)
        raises :class:`PeerError` with the provider's page."""
        return self.browser.consent(authorize_url, allow, allow_field="allow")

    def require_pkce(self, required: bool = True) -> None:
        """Turn DOT's PKCE_REQUIRED on (or off) for this test."""
        self.settings.OAUTH2_PROVIDER = {
            **self.settings.OAUTH2_PROVIDER,
            "PKCE_REQUIRED": required,
        }

    @staticmethod
    def _checksum(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def access_token_is_active(self, token: str) -> bool:
        """Whether the provider would accept this access token now."""
        from oauth2_provider.models import get_access_token_model

        found = (
            get_access_token_model()
            .objects.filter(token_checksum=self._checksum(token))
            .first()
        )
        return found is not None and not found.is_expired()

    def refresh_token_is_active(self, token: str) -> bool:
        """Whether this refresh token can still be used (not rotated, revoked)."""
        from oauth2_provider.models import get_refresh_token_model

        return (
            get_refresh_token_model()
            .objects.filter(token_checksum=self._checksum(token), revoked=None)
            .exists()
        )

    def expire(self, access_token: str) -> None:
        """Make an access token expired, as if its hour had passed."""
        from oauth2_provider.models import get_access_token_model

        get_access_token_model().objects.filter(
            token_checksum=self._checksum(access_token)
        ).update(expires=timezone.now() - timedelta(seconds=1))


@pytest.fixture
def oauth2_peer(live_server, settings, provider_user) -> OAuth2Peer:
    """A live OAuth 2.0 provider with two clients and one end user.

    Sets ``settings.PUBLIC_BASE_URL = live_server.url`` (the console's
    callback is then ``oauth2_peer.redirect_uri``). Typical use::

        def test_code_flow(oauth2_peer, settings, ...):
            settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
            # the console sends the browser to oauth2_peer.authorize_url?...
            callback = oauth2_peer.consent(authorize_url_from_the_console)
            # the console's /oauth/callback/ is then opened with `callback`

    Attributes and methods: see :class:`OAuth2Peer`.
    """
    settings.PUBLIC_BASE_URL = live_server.url
    return OAuth2Peer(live_server, settings, provider_user)


class OAuth1Peer(_Peer):
    """The OAuth 1.0a provider (oauthlib's endpoints) as a test sees it.

    URLs: ``base_url`` (http://127.0.0.1:PORT/provider/oauth1),
    ``request_token_url``, ``authorize_url``, ``access_token_url``,
    ``userinfo_url`` (signed GET or POST: the user JSON, else 401 JSON),
    ``login_url``; ``console_url`` is ``live_server.url`` and
    ``callback_url`` its /oauth/callback/ (any http(s) callback, or "oob", is
    accepted).

    Consumer: ``consumer_key``, ``consumer_secret``, ``rsa_private_key`` (PEM,
    for RSA-SHA1; the provider holds its public half, ``rsa_public_key``).
    ``signature_methods`` lists the four accepted: HMAC-SHA1, HMAC-SHA256,
    RSA-SHA1, PLAINTEXT (over http too: the peer does not enforce TLS).

    The end user: ``user``, ``username``, ``password``, ``user_info``,
    ``browser`` and ``consent(authorize_url, allow=True)``.

    Misbehaving: ``callback_confirmed = False`` answers the request token
    without ``oauth_callback_confirmed=true``.

    ``access_tokens()`` lists the token credentials issued so far.
    """

    signature_methods = oauth1.SIGNATURE_METHODS

    def __init__(self, live_server, user):
        super().__init__(live_server, user, "/provider/oauth1")
        self.request_token_url = f"{self.base_url}/request_token"
        self.authorize_url = f"{self.base_url}/authorize"
        self.access_token_url = f"{self.base_url}/access_token"
        self.userinfo_url = f"{self.base_url}/api/me"
        self.callback_url = f"{self.console_url}/oauth/callback/"
        self.consumer_key = generate_token(24)
        self.consumer_secret = generate_token(32)
        self.rsa_private_key, self.rsa_public_key = oauth1.rsa_keypair()
        oauth1.STORE.reset()
        oauth1.STORE.consumers[self.consumer_key] = oauth1.Consumer(
            self.consumer_key, self.consumer_secret, self.rsa_public_key
        )

    @property
    def callback_confirmed(self) -> bool:
        return oauth1.STORE.callback_confirmed

    @callback_confirmed.setter
    def callback_confirmed(self, value: bool) -> None:
        oauth1.STORE.callback_confirmed = value

    def consent(self, authorize_url: str, allow: bool = True) -> str:
        """Act as the end user: open ``authorize_url`` (the authorize URL with
        ?oauth_token=...), sign in at the provider if sent there, press
        Authorize or Cancel, and return the Location: the callback with
        ``oauth_token`` and ``oauth_verifier``, or, denied, with
        ``denied=<oauth_token>`` (the request token is then spent). With an
        "oob" callback the verifier itself is returned. An unknown request
        token raises :class:`PeerError`."""
        return self.browser.consent(authorize_url, allow, allow_field="allow")

    def access_tokens(self) -> list[str]:
        with oauth1.STORE.lock:
            return list(oauth1.STORE.access_tokens)


@pytest.fixture
def oauth1_peer(live_server, settings, provider_user):
    """A live OAuth 1.0a provider with one consumer and one end user.

    Sets ``settings.PUBLIC_BASE_URL = live_server.url``. Typical use::

        def test_oauth1_flow(oauth1_peer, settings, ...):
            settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
            # the console gets a request token, sends the browser to
            # oauth1_peer.authorize_url?oauth_token=...
            callback = oauth1_peer.consent(authorize_url_from_the_console)

    Attributes and methods: see :class:`OAuth1Peer`.
    """
    settings.PUBLIC_BASE_URL = live_server.url
    peer = OAuth1Peer(live_server, provider_user)
    yield peer
    oauth1.STORE.reset()
