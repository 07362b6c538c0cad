"""What token endpoints answer, and what the console keeps of it.

The OAuth 2.0 client credentials grant and the Basic type's token endpoint,
each against a local server answering as real providers do: JSON or a form,
expires_in in every shape providers write it, and the replies a developer
must be told about in words.
"""

import datetime as dt
import json
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from werkzeug import Response

from authorizations.models import TestRun
from connections.models import ConnectedAccount
from tests.factories import AppFactory, AuthorizationFactory, OAuth2AuthorizationFactory
from tests.flows.helpers import (
    NAME_RESPONSE,
    failed_step,
    page_text,
    run_of,
    token_endpoint,
    user_info_endpoint,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_loopback")]

CLIENT_SECRET = "cs_live_token_responses_9x8y"
TOKEN = "at_live_0123456789abcdef"
TEN_YEARS = dt.timedelta(days=3653)  # ten years with their leap days
BASIC_VALUES = {"username": "jason", "password": "basic-password-77"}


def user_info(authorization, httpserver):
    user_info_endpoint(
        authorization,
        httpserver.url_for("/me"),
        NAME_RESPONSE,
        headers=[("Authorization", "Bearer {{ query.access_token }}")],
    )
    httpserver.expect_request(
        "/me", headers={"Authorization": f"Bearer {TOKEN}"}
    ).respond_with_json({"name": "Service account"})


def client_credentials(httpserver, *, scopes="read write"):
    """An OAuth 2.0 client credentials authorization against ``httpserver``."""
    authorization = OAuth2AuthorizationFactory(
        app=AppFactory(),
        grant_type="client_credentials",
        client_secret=CLIENT_SECRET,
        client_auth="client_secret_basic",
        scopes=scopes,
        authorize_url="",
    )
    token_endpoint(
        authorization,
        httpserver.url_for("/token"),
        '{"grant_type": "{{ requestBody.grant_type }}", '
        '"scope": "{{ requestBody.scope }}"}',
        body_format="form",
    )
    user_info(authorization, httpserver)
    return authorization


def token_reply(httpserver, body, *, status=200, content_type="application/json"):
    if not isinstance(body, str | bytes):
        body = json.dumps(body)
    httpserver.expect_request("/token", method="POST").respond_with_response(
        Response(body, status=status, content_type=content_type)
    )


def token_step(run):
    return next(step for step in run.steps if step["name"] == "Access token")


def failed(run):
    return failed_step(run, "Access token")


@pytest.fixture
def refused(httpserver, staff, session):
    """Return a function: the token endpoint answers ``body`` (as token_reply
    has it answer), a client credentials test runs; the failed token step."""

    def run(body, **reply):
        token_reply(httpserver, body, **reply)
        return failed(run_of(client_credentials(httpserver), staff, session))

    return run


# --- JSON and forms -----------------------------------------------------------


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8"]
)
def test_a_json_reply(httpserver, staff, session, content_type):
    token_reply(
        httpserver,
        {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600},
        content_type=content_type,
    )
    before = timezone.now()

    run = run_of(client_credentials(httpserver), staff, session)

    assert run.status == TestRun.Status.SUCCEEDED, run.message
    account = ConnectedAccount.objects.get()
    assert account.credentials == {"access_token": TOKEN}
    expected = before + dt.timedelta(seconds=3600)
    assert abs(account.expires_at - expected) < dt.timedelta(seconds=5)
    # client_secret_basic: the secret went in the Authorization header only.
    request = token_step(run)["request"]
    assert request["body"] == "grant_type=client_credentials&scope=read+write"
    assert request["headers"][0][0] == "Authorization"
    assert request["headers"][0][1].startswith("Basic ••••")


def test_a_form_encoded_reply(httpserver, staff, session):
    token_reply(
        httpserver,
        urlencode({"access_token": TOKEN, "token_type": "bearer", "expires_in": "60"}),
        content_type="application/x-www-form-urlencoded",
    )

    run = run_of(client_credentials(httpserver), staff, session)

    assert run.status == TestRun.Status.SUCCEEDED, run.message
    account = ConnectedAccount.objects.get()
    assert account.credentials == {"access_token": TOKEN}
    assert account.expires_at is not None


def test_a_form_sent_as_text_plain_is_read_as_a_form(httpserver, staff, session):
    # GitHub's token endpoint, without Accept: application/json.
    token_reply(
        httpserver,
        f"access_token={TOKEN}&scope=read%20write&token_type=bearer",
        content_type="text/plain",
    )

    run = run_of(client_credentials(httpserver), staff, session)

    assert run.status == TestRun.Status.SUCCEEDED, run.message
    assert ConnectedAccount.objects.get().granted_scopes == "read write"


# --- expires_in as providers write it ----------------------------------------


@pytest.mark.parametrize(
    ("expires_in", "seconds"),
    [
        (3600, 3600),
        ("3600", 3600),
        (86399.0, 86399),
        (None, None),
        ("absent", None),
        ("", None),
    ],
    ids=["number", "numeric-string", "float", "null", "absent", "empty"],
)
def test_expires_in(httpserver, staff, session, expires_in, seconds):
    reply = {"access_token": TOKEN, "token_type": "Bearer"}
    if expires_in != "absent":
        reply["expires_in"] = expires_in
    token_reply(httpserver, reply)
    before = timezone.now()

    run = run_of(client_credentials(httpserver), staff, session)

    assert run.status == TestRun.Status.SUCCEEDED, run.message
    account = ConnectedAccount.objects.get()
    if seconds is None:  # the expiry is unknown, not "now"
        assert account.expires_at is None
    else:
        expected = before + dt.timedelta(seconds=seconds)
        assert abs(account.expires_at - expected) < dt.timedelta(seconds=5)
    assert token_step(run)["warnings"] == []


def test_a_huge_expires_in_is_clamped_to_ten_years_with_a_warning(
    httpserver, staff, session, member_client
):
    token_reply(
        httpserver,
        {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 2**31 - 1},
    )
    before = timezone.now()

    run = run_of(client_credentials(httpserver), staff, session)

    assert run.status == TestRun.Status.SUCCEEDED, run.message
    account = ConnectedAccount.objects.get()
    assert abs(account.expires_at - (before + TEN_YEARS)) < dt.timedelta(seconds=5)
    warning = (
        "expires_in is 2147483647 seconds, more than ten years; it is counted "
        "as ten years. Is it in milliseconds, or a date?"
    )
    assert warning in token_step(run)["warnings"]
    page = page_text(member_client(superuser=True), run.get_absolute_url())
    assert "more than ten years; it is counted as ten years" in page


@pytest.mark.parametrize(
    ("expires_in", "words"),
    [
        ("soon", 'expires_in must be a number of seconds, not "soon".'),
        (-5, "expires_in is negative (-5 seconds)."),
    ],
)
def test_an_expires_in_that_is_no_lifetime(refused, expires_in, words):
    step = refused(
        {"access_token": TOKEN, "token_type": "Bearer", "expires_in": expires_in}
    )

    assert words in step["error"]
    assert step["hint"] == "Compare the template with the response shown above."


# --- replies that hold no usable token ----------------------------------------


def test_a_reply_without_access_token(refused):
    step = refused({"token_type": "Bearer", "expires_in": 3600})

    assert step["error"] == (
        "The Access Token Endpoint's response template gave output that breaks "
        "its contract: access_token is missing or empty: the output needs the "
        "token the provider returned."
    )
    assert step["response"]["status"] == 200
    assert '"expires_in": 3600' in step["response"]["body"]


@pytest.mark.parametrize(
    ("reply", "error", "hint"),
    [
        pytest.param(
            [{"access_token": TOKEN}],
            "The Access Token Endpoint answered with a JSON array, not an object "
            "holding the token.",
            "Check the endpoint's URL: it should be the provider's token endpoint.",
            id="a-json-array-instead-of-an-object",
        ),
        pytest.param(
            {
                "access_token": TOKEN,
                "token_type": "mac",
                "mac_key": "adijq39jdlaska9asud",
            },
            'The token type is "mac"; the console sends tokens as Bearer (RFC 6750) '
            "and supports no other type.",
            "A provider that issues other tokens cannot be connected yet.",
            id="a-mac-token-is-refused-for-oauth2",
        ),
        pytest.param(
            {"access_token": "t" * (20 * 1024), "token_type": "Bearer"},
            "The access token is 20,480 characters long; the console keeps tokens "
            "of at most 16 KiB.",
            "Check that the response template maps the token, not the whole response.",
            id="a-20-kib-token-is-refused",
        ),
    ],
)
def test_a_reply_without_a_usable_token_is_told_in_words(refused, reply, error, hint):
    step = refused(reply)

    assert step["error"] == error
    assert step["hint"] == hint


def test_json_null_instead_of_an_object(refused):
    step = refused("null")

    assert step["error"] == (
        "The Access Token Endpoint answered with JSON null, not an object "
        "holding the token."
    )


def test_a_granted_scope_other_than_the_one_asked(
    httpserver, staff, session, member_client
):
    token_reply(
        httpserver, {"access_token": TOKEN, "token_type": "Bearer", "scope": "read"}
    )

    run = run_of(client_credentials(httpserver, scopes="read write"), staff, session)

    assert run.status == TestRun.Status.SUCCEEDED, run.message
    assert ConnectedAccount.objects.get().granted_scopes == "read"
    assert run.granted_scopes == "read"
    warning = (
        'The provider granted "read" where "read write" was asked; the account '
        "keeps what was granted."
    )
    assert warning in token_step(run)["warnings"]
    page = page_text(member_client(superuser=True), run.get_absolute_url())
    assert "The provider granted &quot;read&quot; where &quot;read write&quot;" in page


def test_the_same_scopes_in_another_order_are_no_warning(httpserver, staff, session):
    token_reply(
        httpserver,
        {"access_token": TOKEN, "token_type": "Bearer", "scope": "write read"},
    )

    run = run_of(client_credentials(httpserver, scopes="read write"), staff, session)

    assert run.status == TestRun.Status.SUCCEEDED, run.message
    assert token_step(run)["warnings"] == []


# --- errors the token endpoint answers ----------------------------------------


def test_invalid_client_is_worded_with_what_to_check(refused):
    step = refused({"error": "invalid_client"}, status=401)

    assert step["error"] == (
        "The Access Token Endpoint answered 401 invalid_client: check the client "
        "secret and whether the provider expects client_secret_basic or "
        "client_secret_post (the authorization's Client authentication setting)."
    )
    assert step["response"]["status"] == 401


def test_an_error_answered_with_200(refused):
    step = refused({"error": "invalid_client"}, status=200)

    assert step["error"].startswith(
        "The Access Token Endpoint answered 200 invalid_client: check the client secret"
    )


def test_an_error_with_a_description(refused):
    step = refused(
        {"error": "invalid_scope", "error_description": "Unknown scope: write"},
        status=400,
    )

    assert step["error"] == (
        "The Access Token Endpoint answered 400 invalid_scope (Unknown scope: "
        "write): check the authorization's scopes against the provider's "
        "documentation."
    )


def test_a_long_error_description_is_cut(refused):
    step = refused(
        {"error": "invalid_request", "error_description": "Missing\n" + "x" * 5000},
        status=400,
    )

    assert step["error"] == (
        "The Access Token Endpoint answered 400 invalid_request (Missing "
        + "x" * 491
        + "…): a parameter is missing, repeated or malformed; compare the "
        "request with the provider's documentation."
    )


# --- the Basic type's token endpoint ------------------------------------------


def basic_with_token_endpoint(httpserver):
    authorization = AuthorizationFactory(app=AppFactory(), type="basic")
    token_endpoint(
        authorization,
        httpserver.url_for("/token"),
        '{"username": "{{ requestBody.username }}"}',
        body_format="json",
    )
    user_info(authorization, httpserver)
    return authorization


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (
            json.dumps({"access_token": TOKEN, "expires_in": "7200"}),
            "application/json",
        ),
        (
            urlencode({"access_token": TOKEN, "expires_in": "7200"}),
            "application/x-www-form-urlencoded",
        ),
    ],
    ids=["json", "form"],
)
def test_basic_reads_json_and_form_replies(
    httpserver, staff, session, body, content_type
):
    token_reply(httpserver, body, content_type=content_type)
    before = timezone.now()

    run = run_of(basic_with_token_endpoint(httpserver), staff, session, BASIC_VALUES)

    assert run.status == TestRun.Status.SUCCEEDED, run.message
    account = ConnectedAccount.objects.get()
    assert account.credentials["access_token"] == TOKEN
    expected = before + dt.timedelta(seconds=7200)
    assert abs(account.expires_at - expected) < dt.timedelta(seconds=5)


def test_basic_with_an_unknown_expiry(httpserver, staff, session):
    token_reply(httpserver, {"access_token": TOKEN, "expires_in": None})

    run = run_of(basic_with_token_endpoint(httpserver), staff, session, BASIC_VALUES)

    assert run.status == TestRun.Status.SUCCEEDED, run.message
    assert ConnectedAccount.objects.get().expires_at is None


def test_basic_refuses_a_20_kib_token(httpserver, staff, session):
    token_reply(httpserver, {"access_token": "t" * (20 * 1024)})

    step = failed(
        run_of(basic_with_token_endpoint(httpserver), staff, session, BASIC_VALUES)
    )

    assert step["error"].startswith("The access token is 20,480 characters long")
