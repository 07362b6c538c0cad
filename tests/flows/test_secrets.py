"""No secret leaves a test run: not in the logs, the stored run, or any page.

Flows of several types run from the admin as a staff member runs them, some
succeeding and some failing, against local providers, one of which echoes
the secrets it was sent back in its error message, its body and a cookie.
Afterwards every place a secret could surface is searched for each one, in
each form it can be written (as is, percent- or form-encoded, and its first
eight characters, which a cut excerpt would leave): the log records (every logger at
DEBUG), the TestRun row, the run page, the test page, the authorization's
change page and the connected account's admin page.
"""

import base64
import json
import logging
import re
from urllib.parse import parse_qs, quote, quote_plus, unquote, urlsplit

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from authorizations.defaults import OAUTH1_TOKEN_RESPONSE
from authorizations.models import TestRun
from connections.models import ConnectedAccount
from tests.factories import AppFactory, AuthorizationFactory, OAuth2AuthorizationFactory
from tests.flows.helpers import (
    NAME_RESPONSE,
    api_key_authorization,
    page_text,
    start_url,
    token_endpoint,
    user_info_endpoint,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_loopback")]

API_KEY = "ak-Q7zJ3vN9wLp2Xc5Rt8Ym"
API_SECRET = "as-K4hT6bW1qZ8nV3eS0dGf"
PASSWORD = "pw-Hq2Lm9Zx4Rv7Tn1Bc6Wj"
ACCESS_TOKEN = "at-Yd3Kf8Ps1Mw6Qa9Ln4Xe"
REFRESH_TOKEN = "rt-Bv5Ng2Jt7Hc0Sx3Uk8Dm"
CLIENT_SECRET = "cs-Wp9Ea4Rz1Fy6Gu3Ih8Oq"
CODE = "co-Tl6Mb1Ns8Vd3Kq0Xw5Hj"
CONSUMER_SECRET = "ks-Zr3Cx8Vn5Bm2Lk7Jh4Gf"
REQUEST_TOKEN_SECRET = "rs-Pq1Wo6Ei3Ru8Ty5Az0Sx"
TOKEN_SECRET = "ts-Dc4Fv9Gb2Hn7Jm0Kl5Qa"
COOKIE = "sess-Ux7Ic2Ov9Pb4Na1Ms6Ld"
LOGGERS_HELD = ("oauthlib", "requests_oauthlib", "urllib3")
# The test servers' own request logs are the provider's, not the console's.
PROVIDER_LOGGERS = ("werkzeug", "django.server")


def written_forms(secret: str) -> set[str]:
    """The ways a secret can be written out, and what a cut would leave."""
    return {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        secret[:8],
    }


def leaks(text: str, secrets) -> list[str]:
    return sorted(
        secret
        for secret in secrets
        if any(form in text for form in written_forms(secret))
    )


def sent_secrets(httpserver) -> set[str]:
    """What the console sent that is a credential: Authorization and Cookie
    values as sent, and OAuth 1.0a signatures, read at the provider."""
    found = set()
    for request, _response in httpserver.log:
        for name in ("Authorization", "Cookie"):
            value = request.headers.get(name)
            if value:
                found.add(value)
                scheme, _, credentials = value.partition(" ")
                if credentials and scheme in ("Basic", "Bearer"):
                    found.add(credentials)
        authorization = request.headers.get("Authorization", "")
        for signature in re.findall(r'oauth_signature="([^"]+)"', authorization):
            found.update({signature, unquote(signature)})
    return found


@pytest.fixture
def debug_logs(caplog):
    """Every logger at DEBUG, except the three the settings hold at WARNING."""
    caplog.set_level(logging.DEBUG)
    # At DEBUG these log tokens and signatures; the settings hold them back
    # whatever the root level is.
    for name in LOGGERS_HELD:
        assert logging.getLogger(name).getEffectiveLevel() == logging.WARNING
    return caplog


@pytest.fixture
def admin(member_client):
    return member_client(superuser=True)


def assert_nothing_leaks(admin, debug_logs, authorization, secrets, pages=()):
    """Search every place a run's secrets could surface (and ``pages``)."""
    secrets = {s for s in secrets if s}
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    logged = "\n".join(
        formatter.format(record)  # with its traceback, if any
        for record in debug_logs.records
        if not record.name.startswith(PROVIDER_LOGGERS)
    )
    assert leaks(logged, secrets) == [], logged
    runs = list(TestRun.objects.filter(authorization=authorization))
    assert runs
    places = {}
    for run in runs:
        assert run.status in (TestRun.Status.SUCCEEDED, TestRun.Status.FAILED)
        places[f"run {run.pk} row"] = json.dumps(
            {"steps": run.steps, "message": run.message}, ensure_ascii=False
        )
        places[f"run {run.pk} page"] = page_text(admin, run.get_absolute_url())
    pk = authorization.pk
    places["test page"] = page_text(
        admin, f"/admin/authorizations/authorization/{pk}/test/"
    )
    places["authorization page"] = page_text(admin, authorization.get_absolute_url())
    for account in ConnectedAccount.objects.filter(authorization=authorization):
        places["account page"] = page_text(
            admin, f"/admin/connections/connectedaccount/{account.pk}/change/"
        )
        places["account list"] = page_text(
            admin, "/admin/connections/connectedaccount/"
        )
    places.update({f"page {number}": text for number, text in enumerate(pages)})
    for place, text in places.items():
        assert leaks(text, secrets) == [], place


# --- credential forms ---------------------------------------------------------


def test_api_key_and_secret_succeeding_then_echoed_back(httpserver, admin, debug_logs):
    authorization = AuthorizationFactory(app=AppFactory(), type="api_key_secret")
    user_info_endpoint(
        authorization,
        httpserver.url_for("/me") + "?secret={{ query.api_secret }}",
        NAME_RESPONSE,
        headers=[
            ("X-Api-Key", "{{ query.api_key }}"),
            ("Cookie", f"session={COOKIE}"),
        ],
    )
    httpserver.expect_ordered_request("/me").respond_with_json({"name": "Jason Fried"})
    # The second run: the provider says what it was sent, everywhere.
    echoed = f"key {API_KEY} with secret {API_SECRET}"
    httpserver.expect_ordered_request("/me").respond_with_response(
        Response(
            json.dumps(
                {
                    "error": "invalid_token",
                    "error_description": f"Refused {echoed}",
                    "debug": {"headers": {"X-Api-Key": API_KEY}, "query": API_SECRET},
                }
            ),
            status=401,
            content_type="application/json",
            headers={
                "Set-Cookie": f"last_key={API_KEY}; HttpOnly",
                "X-Debug": echoed,
            },
        )
    )
    values = {"api_key": API_KEY, "api_secret": API_SECRET}

    admin.post(start_url(authorization), values)
    admin.post(start_url(authorization), values)

    first, second = TestRun.objects.order_by("pk")
    assert first.status == TestRun.Status.SUCCEEDED, first.message
    assert second.status == TestRun.Status.FAILED
    assert second.message == (
        "The User Information Endpoint answered 401 invalid_token (Refused key "
        "••••t8Ym with secret ••••0dGf): the access token was not accepted; "
        "check how the endpoint's headers send it."
    )
    shown = dict(second.steps[-1]["response"]["headers"])
    assert shown["Set-Cookie"] == "••••Only"  # masked whole, as any cookie
    assert shown["X-Debug"] == "key ••••t8Ym with secret ••••0dGf"
    assert_nothing_leaks(
        admin,
        debug_logs,
        authorization,
        {API_KEY, API_SECRET, COOKIE, *sent_secrets(httpserver)},
    )


def test_an_echo_cut_by_the_excerpts_leaves_no_half_secret(
    httpserver, admin, debug_logs
):
    """The run shows 8 KiB of a body and 200 characters of a web page: a
    secret across either cut must not leave its first half behind."""
    authorization = api_key_authorization(httpserver.url_for("/me"))
    # Half of it before character 200 of the excerpt the message quotes.
    html = "<p>" + "x" * 185 + API_KEY + "</p>"
    httpserver.expect_ordered_request("/me").respond_with_response(
        Response(html, content_type="text/html")
    )
    # Half of it before byte 8192, where the body's excerpt ends.
    text = "y" * (8192 - 11) + API_KEY + "y" * 100
    httpserver.expect_ordered_request("/me").respond_with_response(
        Response(text, status=400, content_type="text/plain")
    )
    for _ in range(2):
        admin.post(start_url(authorization), {"api_key": API_KEY})

    first, second = TestRun.objects.order_by("pk")
    assert first.status == second.status == TestRun.Status.FAILED
    assert first.message.startswith(
        "The User Information Endpoint answered with a web page"
    )
    assert second.steps[-1]["response"]["truncated"] is True
    assert_nothing_leaks(admin, debug_logs, authorization, {API_KEY})


def test_basic_with_a_token_endpoint(httpserver, admin, debug_logs):
    authorization = AuthorizationFactory(app=AppFactory(), type="basic")
    token_endpoint(
        authorization,
        httpserver.url_for("/token"),
        '{"username": "{{ requestBody.username }}", '
        '"password": "{{ requestBody.password }}"}',
        body_format="json",
    )
    user_info_endpoint(
        authorization,
        httpserver.url_for("/me"),
        NAME_RESPONSE,
        headers=[("Authorization", "Bearer {{ query.access_token }}")],
    )
    tokens = {
        "access_token": ACCESS_TOKEN,
        "refresh_token": REFRESH_TOKEN,
        "expires_in": 3600,
    }
    httpserver.expect_ordered_request("/token").respond_with_json(tokens)
    httpserver.expect_ordered_request("/me").respond_with_json({"name": "Jason"})
    # The second run: a token, then a user info refusing it, with a cookie.
    httpserver.expect_ordered_request("/token").respond_with_json(tokens)
    httpserver.expect_ordered_request("/me").respond_with_response(
        Response(
            f"Token {ACCESS_TOKEN} of user jason (password {PASSWORD}) is revoked",
            status=403,
            content_type="text/plain",
            headers={"Set-Cookie": f"sid={COOKIE}; Secure"},
        )
    )
    # The third: the token endpoint refuses, quoting the password.
    httpserver.expect_ordered_request("/token").respond_with_json(
        {"error": "invalid_grant", "error_description": f"bad password {PASSWORD}"},
        status=400,
    )
    values = {"username": "jason", "password": PASSWORD}

    for _ in range(3):
        admin.post(start_url(authorization), values)

    statuses = list(TestRun.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == ["succeeded", "failed", "failed"]
    basic = base64.b64encode(f"jason:{PASSWORD}".encode()).decode()
    assert_nothing_leaks(
        admin,
        debug_logs,
        authorization,
        {PASSWORD, ACCESS_TOKEN, REFRESH_TOKEN, COOKIE, basic},
    )


def test_a_short_password_quoted_by_the_provider(httpserver, admin, debug_logs):
    """Prose keeps short words, but the provider's words are data: a six
    character password it quotes is masked in the run's message too."""
    password = "pw7x2Q"
    authorization = AuthorizationFactory(app=AppFactory(), type="basic")
    token_endpoint(
        authorization,
        httpserver.url_for("/token"),
        '{"password": "{{ requestBody.password }}"}',
        body_format="json",
    )
    user_info_endpoint(authorization, httpserver.url_for("/me"), NAME_RESPONSE)
    httpserver.expect_request("/token").respond_with_json(
        {
            "error": "invalid_grant",
            "error_description": f"password {password} is wrong",
        },
        status=400,
    )

    admin.post(start_url(authorization), {"username": "jason", "password": password})

    run = TestRun.objects.get()
    assert run.message.startswith(
        "The Access Token Endpoint answered 400 invalid_grant (password •••• is "
        "wrong): "
    )
    basic = base64.b64encode(f"jason:{password}".encode()).decode()
    assert_nothing_leaks(admin, debug_logs, authorization, {password, basic})


def test_a_token_refused_by_its_check_is_still_masked(httpserver, admin, debug_logs):
    """A MAC token is refused before the flow keeps it: it is a live token
    all the same, shown in the step's response and output."""
    authorization = OAuth2AuthorizationFactory(
        app=AppFactory(),
        grant_type="client_credentials",
        client_secret=CLIENT_SECRET,
        client_auth="client_secret_post",
        authorize_url="",
    )
    token_endpoint(
        authorization,
        httpserver.url_for("/token"),
        '{"grant_type": "client_credentials"}',
        body_format="form",
    )
    user_info_endpoint(authorization, httpserver.url_for("/me"), NAME_RESPONSE)
    httpserver.expect_request("/token").respond_with_json(
        {
            "access_token": ACCESS_TOKEN,
            "refresh_token": REFRESH_TOKEN,
            "token_type": "mac",
        }
    )

    admin.post(start_url(authorization))

    run = TestRun.objects.get()
    assert run.status == TestRun.Status.FAILED
    assert run.message.startswith('The token type is "mac"')
    assert_nothing_leaks(
        admin,
        debug_logs,
        authorization,
        {CLIENT_SECRET, ACCESS_TOKEN, REFRESH_TOKEN, *sent_secrets(httpserver)},
    )


# --- OAuth 2.0 ------------------------------------------------------------------


def oauth2_authorization(httpserver, *, client_auth):
    authorization = OAuth2AuthorizationFactory(
        app=AppFactory(),
        client_secret=CLIENT_SECRET,
        client_auth=client_auth,
        use_pkce=True,
        scopes="read",
    )
    token_endpoint(
        authorization,
        httpserver.url_for("/token"),
        '{"grant_type": "authorization_code", '
        '"code": "{{ requestBody.code }}", '
        '"redirect_uri": "{{ requestBody.redirect_uri }}", '
        '"code_verifier": "{{ requestBody.code_verifier }}"}',
        body_format="form",
    )
    user_info_endpoint(
        authorization,
        httpserver.url_for("/me"),
        NAME_RESPONSE,
        headers=[("Authorization", "Bearer {{ query.access_token }}")],
    )
    return authorization


def sign_in(admin, authorization, code=CODE) -> tuple[TestRun, dict]:
    """Start the test, and come back from the provider with ``code``; return
    the run and the callback's parameters."""
    answer = admin.post(start_url(authorization))
    assert answer.status_code == 302
    state = parse_qs(urlsplit(answer["Location"]).query)["state"][0]
    callback = {"state": state, "code": code}
    back = admin.get("/oauth/callback/", callback)
    assert back.status_code == 302, back.content.decode()
    run_pk = int(back["Location"].rstrip("/").split("/")[-1])
    return TestRun.objects.get(pk=run_pk), callback


def verifiers(httpserver) -> set[str]:
    found = set()
    for request, _response in httpserver.log:
        found.update(parse_qs(request.get_data(as_text=True)).get("code_verifier", []))
    return found


@pytest.mark.parametrize("client_auth", ["client_secret_basic", "client_secret_post"])
def test_oauth2_code_flow_with_pkce(httpserver, admin, debug_logs, client_auth):
    authorization = oauth2_authorization(httpserver, client_auth=client_auth)
    httpserver.expect_ordered_request("/token").respond_with_json(
        {
            "access_token": ACCESS_TOKEN,
            "refresh_token": REFRESH_TOKEN,
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": "read",
        },
        headers={"Set-Cookie": f"provider_session={COOKIE}"},
    )
    httpserver.expect_ordered_request("/me").respond_with_json({"name": "Jason"})
    # The second sign-in: the code is refused, and quoted.
    httpserver.expect_ordered_request("/token").respond_with_json(
        {
            "error": "invalid_grant",
            "error_description": f"Code {CODE} was already used by client "
            f"client-id-123 with secret {CLIENT_SECRET}",
        },
        status=400,
    )

    first, callback = sign_in(admin, authorization)
    second, _ = sign_in(admin, authorization)
    # The first callback again: refused, on a page that quotes none of it.
    replayed = admin.get("/oauth/callback/", callback)
    assert replayed.status_code == 400

    assert first.status == TestRun.Status.SUCCEEDED, first.message
    assert second.status == TestRun.Status.FAILED
    assert second.message.startswith(
        "The Access Token Endpoint answered 400 invalid_grant (Code ••••"
    )
    found = verifiers(httpserver)
    assert len(found) == 2  # one per sign-in, each sent and not shown
    assert_nothing_leaks(
        admin,
        debug_logs,
        authorization,
        {
            CLIENT_SECRET,
            CODE,
            ACCESS_TOKEN,
            REFRESH_TOKEN,
            COOKIE,
            *found,
            *sent_secrets(httpserver),
        },
        pages=[replayed.content.decode()],
    )


# --- OAuth 1.0a -------------------------------------------------------------------


def test_oauth1_flow(httpserver, admin, debug_logs):
    authorization = AuthorizationFactory(
        app=AppFactory(),
        type="oauth1",
        client_id="consumer-key-1",
        client_secret=CONSUMER_SECRET,
        authorize_url="https://provider.example.com/oauth/authorize",
        signature_method="HMAC-SHA1",
    )
    for kind, path in (("request_token", "/request"), ("access_token", "/access")):
        token_endpoint(
            authorization,
            httpserver.url_for(path),
            "",
            OAUTH1_TOKEN_RESPONSE,
            body_format="none",
            kind=kind,
        )
    user_info_endpoint(authorization, httpserver.url_for("/me"), NAME_RESPONSE)
    form = "application/x-www-form-urlencoded"
    httpserver.expect_ordered_request("/request").respond_with_data(
        "oauth_token=request-token-1&oauth_token_secret="
        f"{REQUEST_TOKEN_SECRET}&oauth_callback_confirmed=true",
        content_type=form,
    )
    httpserver.expect_ordered_request("/access").respond_with_data(
        f"oauth_token=access-token-1&oauth_token_secret={TOKEN_SECRET}",
        content_type=form,
    )
    httpserver.expect_ordered_request("/me").respond_with_json({"name": "Jason"})
    # A second run: the user info refuses the token, quoting its secret.
    httpserver.expect_ordered_request("/request").respond_with_data(
        "oauth_token=request-token-2&oauth_token_secret="
        f"{REQUEST_TOKEN_SECRET}&oauth_callback_confirmed=true",
        content_type=form,
    )
    httpserver.expect_ordered_request("/access").respond_with_data(
        f"oauth_token=access-token-2&oauth_token_secret={TOKEN_SECRET}",
        content_type=form,
    )
    httpserver.expect_ordered_request("/me").respond_with_json(
        {"error": "invalid_token", "error_description": f"bad secret {TOKEN_SECRET}"},
        status=401,
        headers={"Set-Cookie": f"s={COOKIE}"},
    )

    for token in ("request-token-1", "request-token-2"):
        answer = admin.post(start_url(authorization))
        assert answer.status_code == 302
        assert f"oauth_token={token}" in answer["Location"]
        back = admin.get(
            "/oauth/callback/",
            {"oauth_token": token, "oauth_verifier": "vf-Gh5Jk8Lz2XcQw7"},
        )
        assert back.status_code == 302

    first, second = TestRun.objects.order_by("pk")
    assert first.status == TestRun.Status.SUCCEEDED, first.message
    assert second.status == TestRun.Status.FAILED
    signed = [
        request.headers["Authorization"]
        for request, _response in httpserver.log
        if "oauth_signature=" in request.headers.get("Authorization", "")
    ]
    assert len(signed) == 6  # three signed requests a run, each signature searched
    assert_nothing_leaks(
        admin,
        debug_logs,
        authorization,
        {
            CONSUMER_SECRET,
            REQUEST_TOKEN_SECRET,
            TOKEN_SECRET,
            COOKIE,
            "vf-Gh5Jk8Lz2XcQw7",
            *sent_secrets(httpserver),
        },
    )


def test_a_key_in_the_url_path(httpserver, admin, debug_logs):
    """Some APIs take the key in the path (Telegram's /bot<token>/getMe)."""
    authorization = AuthorizationFactory(app=AppFactory(), type="api_key")
    user_info_endpoint(
        authorization,
        httpserver.url_for("/") + "bot{{ query.api_key }}/getMe",
        '{"user_identity": "{{ response.result.username }}"}',
    )
    httpserver.expect_ordered_request(f"/bot{API_KEY}/getMe").respond_with_json(
        {"ok": True, "result": {"username": "jason_bot"}}
    )
    httpserver.expect_ordered_request(f"/bot{API_KEY}/getMe").respond_with_json(
        {"ok": False, "description": "Unauthorized"}, status=401
    )

    for _ in range(2):
        admin.post(start_url(authorization), {"api_key": API_KEY})

    statuses = list(TestRun.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == ["succeeded", "failed"]
    assert_nothing_leaks(admin, debug_logs, authorization, {API_KEY})


def test_a_redirect_to_another_origin_carries_no_key(httpserver, admin):
    other = HTTPServer(host="127.0.0.1", port=0)
    other.start()
    try:
        other.expect_request("/me").respond_with_json({"name": "Jason"})
        httpserver.expect_request("/me").respond_with_response(
            Response(status=302, headers={"Location": other.url_for("/me")})
        )
        authorization = api_key_authorization(httpserver.url_for("/me"))

        admin.post(start_url(authorization), {"api_key": API_KEY})

        assert len(other.log) == 1  # the redirect was followed
        request, _response = other.log[0]
        assert "X-Api-Key" not in request.headers
    finally:
        other.stop()
