"""The OAuth 1.0a peer: oauthlib's server endpoints behind Django views.

Storage is in memory (``STORE``), shared by the live server's thread and the
test's thread and guarded by a lock; the ``oauth1_peer`` fixture resets it and
registers one consumer. Users are the Django users of the provider's login.
"""

from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from oauthlib.common import add_params_to_uri, safe_string_equals
from oauthlib.oauth1 import (
    SIGNATURE_HMAC_SHA1,
    SIGNATURE_HMAC_SHA256,
    SIGNATURE_PLAINTEXT,
    SIGNATURE_RSA_SHA1,
    AccessTokenEndpoint,
    AuthorizationEndpoint,
    RequestTokenEndpoint,
    RequestValidator,
    ResourceEndpoint,
)
from oauthlib.oauth1.rfc5849 import errors

from tests.peers.views import LOGIN_URL, user_json

SIGNATURE_METHODS = (
    SIGNATURE_HMAC_SHA1,
    SIGNATURE_HMAC_SHA256,
    SIGNATURE_RSA_SHA1,
    SIGNATURE_PLAINTEXT,
)
DUMMY_KEY = "dummyConsumerKey0000"
DUMMY_TOKEN = "dummyToken0000000000"


@functools.cache
def rsa_keypair(name: str = "consumer") -> tuple[str, str]:
    """Return (private PEM, public PEM) of a 2048-bit key, made once a process."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode()
    )
    return private, public


@dataclass
class Consumer:
    key: str
    secret: str
    rsa_public_key: str
    name: str = "Integry console"


@dataclass
class Token:
    client_key: str
    secret: str
    realms: list[str] = field(default_factory=list)
    callback: str = ""
    verifier: str | None = None
    user_id: int | None = None


class Store:
    """Consumers, request and access tokens, and seen nonces, for one test."""

    def __init__(self):
        self.lock = threading.RLock()
        self.reset()

    def reset(self):
        with self.lock:
            self.consumers: dict[str, Consumer] = {}
            self.request_tokens: dict[str, Token] = {}
            self.access_tokens: dict[str, Token] = {}
            self.nonces: set[tuple] = set()
            # The misbehaving switch: False answers the request token without
            # oauth_callback_confirmed=true (an OAuth 1.0, not 1.0a, provider).
            self.callback_confirmed = True


STORE = Store()


class Validator(RequestValidator):
    """oauthlib's questions, answered from STORE."""

    enforce_ssl = False  # the live server speaks http
    allowed_signature_methods = SIGNATURE_METHODS
    dummy_client = DUMMY_KEY
    dummy_request_token = DUMMY_TOKEN
    dummy_access_token = DUMMY_TOKEN

    @property
    def nonce_length(self):
        # Any client's nonce, not only oauthlib's 20 to 30 characters.
        return 8, 64

    def _consumer(self, client_key):
        return STORE.consumers.get(client_key)

    def _token(self, tokens, client_key, token):
        found = tokens.get(token)
        if found is None or not safe_string_equals(found.client_key, client_key):
            return None
        return found

    # Secrets and keys (dummies for unknown values, so failures take as long).
    def get_client_secret(self, client_key, request):
        consumer = self._consumer(client_key)
        return consumer.secret if consumer else "dummy-secret"

    def get_rsa_key(self, client_key, request):
        consumer = self._consumer(client_key)
        return consumer.rsa_public_key if consumer else rsa_keypair("dummy")[1]

    def get_request_token_secret(self, client_key, token, request):
        found = self._token(STORE.request_tokens, client_key, token)
        return found.secret if found else "dummy-secret"

    def get_access_token_secret(self, client_key, token, request):
        found = self._token(STORE.access_tokens, client_key, token)
        return found.secret if found else "dummy-secret"

    # Realms: none are defined; a request asking for one is refused.
    def get_default_realms(self, client_key, request):
        return []

    def get_realms(self, token, request):
        found = STORE.request_tokens.get(token)
        return list(found.realms) if found else []

    def validate_requested_realms(self, client_key, realms, request):
        return True

    def validate_realms(self, client_key, token, request, uri=None, realms=None):
        found = self._token(STORE.access_tokens, client_key, token)
        return found is not None and set(found.realms) >= set(realms or [])

    def verify_realms(self, token, realms, request):
        found = STORE.request_tokens.get(token)
        return found is not None and set(found.realms) >= set(realms)

    # Validity.
    def validate_client_key(self, client_key, request):
        return self._consumer(client_key) is not None

    def validate_request_token(self, client_key, token, request):
        return self._token(STORE.request_tokens, client_key, token) is not None

    def validate_access_token(self, client_key, token, request):
        return self._token(STORE.access_tokens, client_key, token) is not None

    def verify_request_token(self, token, request):
        return token in STORE.request_tokens

    def validate_timestamp_and_nonce(
        self,
        client_key,
        timestamp,
        nonce,
        request,
        request_token=None,
        access_token=None,
    ):
        seen = (client_key, timestamp, nonce, request_token or access_token)
        with STORE.lock:
            if seen in STORE.nonces:
                return False
            STORE.nonces.add(seen)
            return True

    def validate_redirect_uri(self, client_key, redirect_uri, request):
        # Any absolute http(s) callback, or out of band.
        return redirect_uri == "oob" or redirect_uri.startswith(("http://", "https://"))

    def validate_verifier(self, client_key, token, verifier, request):
        found = self._token(STORE.request_tokens, client_key, token)
        return bool(
            found
            and found.verifier is not None
            and safe_string_equals(found.verifier, verifier)
        )

    def get_redirect_uri(self, token, request):
        return STORE.request_tokens[token].callback

    # Saving.
    def save_request_token(self, token, request):
        with STORE.lock:
            STORE.request_tokens[token["oauth_token"]] = Token(
                client_key=request.client_key,
                secret=token["oauth_token_secret"],
                realms=list(request.realms or []),
                callback=request.redirect_uri,
            )

    def save_verifier(self, token, verifier, request):
        with STORE.lock:
            STORE.request_tokens[token].verifier = verifier["oauth_verifier"]

    def save_access_token(self, token, request):
        with STORE.lock:
            request_token = STORE.request_tokens[request.resource_owner_key]
            STORE.access_tokens[token["oauth_token"]] = Token(
                client_key=request.client_key,
                secret=token["oauth_token_secret"],
                realms=list(request.realms or []),
                user_id=request_token.user_id,
            )

    def invalidate_request_token(self, client_key, request_token, request):
        with STORE.lock:
            STORE.request_tokens.pop(request_token, None)


def signed_request(request) -> dict:
    """The parts of a Django request that oauthlib verifies a signature over."""
    content_type = request.headers.get("Content-Type", "")
    form = content_type.startswith("application/x-www-form-urlencoded")
    return {
        "uri": request.build_absolute_uri(),
        "http_method": request.method,
        "body": request.body.decode() if form and request.body else None,
        "headers": dict(request.headers.items()),
    }


def oauthlib_response(headers, body, status) -> HttpResponse:
    response = HttpResponse(
        body or "",
        status=status,
        content_type=headers.get("Content-Type", "application/x-www-form-urlencoded"),
    )
    for name, value in headers.items():
        if name.lower() != "content-type":
            response[name] = value
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def request_token(request):
    """Temporary credentials: oauth_token, oauth_token_secret, callback confirmed."""
    endpoint = RequestTokenEndpoint(Validator())
    headers, body, status = endpoint.create_request_token_response(
        **signed_request(request)
    )
    if status == 200 and not STORE.callback_confirmed:
        fields = [
            (name, value)
            for name, value in parse_qsl(body)
            if name != "oauth_callback_confirmed"
        ]
        body = urlencode(fields)
    return oauthlib_response(headers, body, status)


@login_required(login_url=LOGIN_URL)
@require_http_methods(["GET", "POST"])
def authorize(request):
    """GET: the consent page for ?oauth_token. POST: verifier and redirect.

    Allowed, the browser goes to the callback with oauth_token and
    oauth_verifier (an "oob" callback shows the verifier instead). Denied, the
    request token is spent and the browser goes to the callback with
    ``denied=<oauth_token>`` (as Twitter did; OAuth 1.0a names no error).
    """
    params = request.POST if request.method == "POST" else request.GET
    token = params.get("oauth_token", "")
    found = STORE.request_tokens.get(token)
    if found is None:
        return render(
            request,
            "peers/oauth1_authorize.html",
            {"error": "This request token is unknown, used or denied."},
            status=400,
        )
    consumer = STORE.consumers.get(found.client_key)
    context = {"oauth_token": token, "consumer_name": consumer.name}
    if request.method == "GET":
        return render(request, "peers/oauth1_authorize.html", context)

    if "allow" not in request.POST:
        with STORE.lock:
            STORE.request_tokens.pop(token, None)
        if found.callback == "oob":
            return render(
                request, "peers/oauth1_authorize.html", {**context, "denied": True}
            )
        return HttpResponseRedirect(
            add_params_to_uri(found.callback, [("denied", token)])
        )

    with STORE.lock:
        found.user_id = request.user.pk
    endpoint = AuthorizationEndpoint(Validator())
    uri = add_params_to_uri(
        request.build_absolute_uri(request.path), [("oauth_token", token)]
    )
    try:
        headers, body, status = endpoint.create_authorization_response(uri)
    except errors.OAuth1Error as error:
        return render(
            request,
            "peers/oauth1_authorize.html",
            {"error": error.description},
            status=error.status_code,
        )
    if status == 302:
        return HttpResponseRedirect(headers["Location"])
    verifier = dict(parse_qsl(body))["oauth_verifier"]
    return render(
        request, "peers/oauth1_authorize.html", {**context, "verifier": verifier}
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def access_token(request):
    """Token credentials for a verified request token."""
    endpoint = AccessTokenEndpoint(Validator())
    headers, body, status = endpoint.create_access_token_response(
        **signed_request(request)
    )
    return oauthlib_response(headers, body, status)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def me(request):
    """The signed resource: the access token's user as JSON, 401 JSON otherwise."""
    endpoint = ResourceEndpoint(Validator())
    try:
        valid, oauth_request = endpoint.validate_protected_resource_request(
            **signed_request(request)
        )
    except errors.OAuth1Error:
        valid = False
    if valid:
        found = STORE.access_tokens.get(oauth_request.resource_owner_key)
        user = get_user_model().objects.filter(pk=found.user_id).first()
        if user is not None:
            return JsonResponse(user_json(user))
    response = HttpResponse(
        json.dumps(
            {
                "error": "invalid_signature",
                "error_description": "The request is not signed by a known "
                "consumer with a valid access token.",
            }
        ),
        status=401,
        content_type="application/json",
    )
    response["WWW-Authenticate"] = 'OAuth realm="provider"'
    return response
