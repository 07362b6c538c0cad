"""The seven credential-form types, end to end against a real local API."""

import base64
import json

import pytest
from werkzeug import Response

from authorizations.models import TestRun
from connections.models import ConnectedAccount
from tests.factories import AppFactory, AuthorizationFactory
from tests.flows.helpers import run_of, start_url, token_endpoint, user_info_endpoint
from tests.peers.console import USER_INFO_RESPONSE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_loopback")]

JASON = {"id": 9, "name": "Jason Fried", "email": "jason@basecamp.com"}


def authorization_of(type_, user_info_url, *, headers=()):
    authorization = AuthorizationFactory(app=AppFactory(), type=type_)
    user_info_endpoint(authorization, user_info_url, USER_INFO_RESPONSE, headers)
    return authorization


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_api_key_connects_the_account_named_by_user_info(httpserver, staff, session):
    httpserver.expect_request(
        "/me", headers={"X-Api-Key": "ak_live_51HcXyZ2eB7qLmN0pQ"}
    ).respond_with_json(JASON)
    authorization = authorization_of(
        "api_key",
        httpserver.url_for("/me"),
        headers=[("X-Api-Key", "{{ query.api_key }}")],
    )

    run = run_of(
        authorization, staff, session, {"api_key": "ak_live_51HcXyZ2eB7qLmN0pQ"}
    )

    assert run.status == TestRun.Status.SUCCEEDED, run.message
    assert run.message == "Connected as Jason Fried / jason@basecamp.com"
    account = ConnectedAccount.objects.get()
    assert account.user_identity == "Jason Fried / jason@basecamp.com"
    assert account.account_id == "9"
    assert account.credentials == {"api_key": "ak_live_51HcXyZ2eB7qLmN0pQ"}
    assert account.connected_by == staff
    assert account.last_verified_at is not None
    assert run.connected_account_pk == account.pk
    # The log shows the request as sent, the key masked.
    step = run.steps[-1]
    assert step["request"]["headers"] == [["X-Api-Key", "••••N0pQ"]]
    assert "ak_live_51HcXyZ2eB7qLmN0pQ" not in json.dumps(run.steps)
    assert step["response"]["status"] == 200


@pytest.mark.parametrize(
    ("type_", "values", "user", "password"),
    [
        ("basic_url", {"username": "jason", "password": "pw 1"}, "jason", "pw 1"),
        (
            "basic_api_key",
            {"username": "jason@basecamp.com", "api_key": "ak-12345678"},
            "jason@basecamp.com",
            "ak-12345678",
        ),
    ],
)
def test_basic_types_send_http_basic(
    httpserver, staff, session, type_, values, user, password
):
    httpserver.expect_request(
        "/me", headers={"Authorization": basic(user, password)}
    ).respond_with_json(JASON)
    values = (
        {**values, "url": httpserver.url_for("/")} if type_ == "basic_url" else values
    )
    url = "{{ query.url }}me" if type_ == "basic_url" else httpserver.url_for("/me")
    authorization = authorization_of(type_, url)

    run = run_of(authorization, staff, session, values)

    assert run.status == TestRun.Status.SUCCEEDED, run.message
    assert ConnectedAccount.objects.get().user_identity == (
        "Jason Fried / jason@basecamp.com"
    )


def test_basic_with_api_key_without_user_info_is_identified_by_the_username(
    staff, session
):
    authorization = AuthorizationFactory(app=AppFactory(), type="basic_api_key")

    run = run_of(
        authorization,
        staff,
        session,
        {"username": "jason@basecamp.com", "api_key": "ak-12345678"},
    )

    assert run.status == TestRun.Status.SUCCEEDED, run.message
    assert run.message == "Connected as jason@basecamp.com"
    assert ConnectedAccount.objects.get().credentials["api_key"] == "ak-12345678"


def test_basic_trades_the_password_for_a_token_first(httpserver, staff, session):
    values = {"username": "jason", "password": "s3cret-password"}
    httpserver.expect_request(
        "/token",
        method="POST",
        headers={"Authorization": basic("jason", "s3cret-password")},
        json=values,
    ).respond_with_json({"token": "tok-abcdefghijkl", "ttl": 3600})
    httpserver.expect_request(
        "/me", headers={"Authorization": "Bearer tok-abcdefghijkl"}
    ).respond_with_json(JASON)
    authorization = authorization_of(
        "basic",
        httpserver.url_for("/me"),
        headers=[("Authorization", "Bearer {{ query.access_token }}")],
    )
    token_endpoint(
        authorization,
        httpserver.url_for("/token"),
        '{"username": "{{ requestBody.username }}", '
        '"password": "{{ requestBody.password }}"}',
        '{"access_token": "{{ response.token }}", "expires_in": {{ response.ttl }}}',
        body_format="json",
    )

    run = run_of(authorization, staff, session, values)

    assert run.status == TestRun.Status.SUCCEEDED, run.message
    account = ConnectedAccount.objects.get()
    assert account.credentials["access_token"] == "tok-abcdefghijkl"
    assert account.expires_at is not None
    # The template's Authorization replaced the flow's Basic one, and said so.
    user_info_step = run.steps[-1]
    assert any(
        "the endpoint's header is sent" in warning
        for warning in user_info_step["warnings"]
    )
    text = json.dumps(run.steps)
    assert "s3cret-password" not in text and "tok-abcdefghijkl" not in text


def test_a_failing_user_info_stores_nothing(httpserver, staff, session):
    httpserver.expect_request("/me").respond_with_response(
        Response(
            '{"error": "invalid_token"}', status=401, content_type="application/json"
        )
    )
    authorization = authorization_of(
        "api_key",
        httpserver.url_for("/me"),
        headers=[("Authorization", "Bearer {{ query.api_key }}")],
    )

    run = run_of(authorization, staff, session, {"api_key": "k-123456789"})

    assert run.status == TestRun.Status.FAILED
    assert run.message.startswith(
        "The User Information Endpoint answered 401 invalid_token"
    )
    assert not ConnectedAccount.objects.exists()


def test_a_second_run_updates_the_same_account(httpserver, staff, session):
    httpserver.expect_request("/me").respond_with_json(JASON)
    authorization = authorization_of("api_key", httpserver.url_for("/me"))
    for key in ("first-key-0001", "second-key-0002"):
        run = run_of(authorization, staff, session, {"api_key": key})
        assert run.status == TestRun.Status.SUCCEEDED, run.message

    account = ConnectedAccount.objects.get()
    assert account.credentials == {"api_key": "second-key-0002"}
    assert account.version == 1  # written twice: a refresher's read is stale
    # The history says it, newest first, by whom, and shows no key.
    events = list(account.events.values_list("kind", "actor", "via", "detail"))
    identity = "Connected as Jason Fried / jason@basecamp.com"
    assert events == [
        ("reconnected", staff.pk, "Test authorization", identity),
        ("connected", staff.pk, "Test authorization", identity),
    ]


@pytest.mark.parametrize(
    ("type_", "values", "header", "expected"),
    [
        ("api_secret", {"api_secret": "as_live_9f8e7d6c"}, "X-Api-Secret", None),
        (
            "api_key_secret",
            {"api_key": "ak-0001-xyz", "api_secret": "as-0002-xyz"},
            "X-Api-Key",
            None,
        ),
        ("api_key_url", {"api_key": "ak-0003-xyz"}, "X-Api-Key", "url"),
    ],
)
def test_the_other_key_types_connect(
    httpserver, staff, session, type_, values, header, expected
):
    sent = dict(values)
    if expected == "url":
        # The instance URL is the account's own API: the user info URL is
        # built from it, as query.url.
        sent["url"] = httpserver.url_for("/instance")
        url = "{{ query.url }}/me"
        path = "/instance/me"
    else:
        url, path = httpserver.url_for("/me"), "/me"
    field = "api_secret" if type_ == "api_secret" else "api_key"
    expected_headers = {header: values[field]}
    if type_ == "api_key_secret":
        expected_headers["X-Api-Secret"] = values["api_secret"]
    httpserver.expect_request(path, headers=expected_headers).respond_with_json(JASON)
    headers = [(header, "{{ query." + field + " }}")]
    if type_ == "api_key_secret":
        headers.append(("X-Api-Secret", "{{ query.api_secret }}"))
    authorization = authorization_of(type_, url, headers=headers)

    run = run_of(authorization, staff, session, sent)

    assert run.status == TestRun.Status.SUCCEEDED, run.message
    account = ConnectedAccount.objects.get()
    assert account.user_identity == "Jason Fried / jason@basecamp.com"
    assert account.credentials == sent
    for secret in values.values():
        assert secret not in json.dumps(run.steps)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        (
            "http://10.0.0.5/",
            "10.0.0.5 is a private address; add it to "
            "OUTBOUND_ALLOWED_NETWORKS to allow it",
        ),
        ("ftp://acme.example.com/", "The URL must start with http:// or https://"),
        (
            "https://user:pw@acme.example.com/",
            "A URL cannot hold a user name or password",
        ),
    ],
)
def test_an_instance_url_the_client_refuses_is_an_error_on_the_form(
    member_client, url, words
):
    authorization = authorization_of("api_key_url", "{{ query.url }}/me")
    client = member_client(superuser=True)

    answer = client.post(
        start_url(authorization), {"api_key": "ak-0003-xyz", "url": url}
    )

    assert answer.status_code == 200
    assert words in answer.content.decode()
    assert not TestRun.objects.exists()


def test_headers_are_sent_in_their_order_whatever_order_they_were_added(
    httpserver, staff, session
):
    httpserver.expect_request("/me").respond_with_json(JASON)
    authorization = authorization_of("api_key", httpserver.url_for("/me"))
    endpoint = authorization.endpoints.get(kind="user_info")
    for position, name in ((2, "X-Third"), (0, "X-First"), (1, "X-Second")):
        endpoint.headers.create(name=name, value="v", position=position)

    run = run_of(authorization, staff, session, {"api_key": "k-0000-0001"})

    sent = [name for name, _ in run.steps[-1]["request"]["headers"]]
    assert sent == ["X-First", "X-Second", "X-Third"]
    [request] = [r for r, _ in httpserver.log]
    assert [n for n, _ in request.headers.items() if n.startswith("X-")] == [
        "X-First",
        "X-Second",
        "X-Third",
    ]
