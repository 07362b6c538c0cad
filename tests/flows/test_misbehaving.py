"""Providers that misbehave: every failure ends the run in words, stores nothing.

Each test starts a real run (``start_run``) of an API Key or Basic
authorization against a local server that answers badly, and checks what a
developer reads on the run: the failing step's error and hint, the excerpt of
the response shown, and that no connected account was stored.
"""

import contextlib
import socket
import threading
import time
import tracemalloc
import zlib

import pytest
from werkzeug import Response

from authorizations.models import TestRun
from connections.models import ConnectedAccount
from tests.factories import AppFactory, AuthorizationFactory
from tests.flows.helpers import (
    NAME_RESPONSE,
    api_key_authorization,
    failed_step,
    page_text,
    run_of,
    token_endpoint,
    user_info_endpoint,
)

pytestmark = [pytest.mark.django_db]

API_KEY = "ak_live_misbehaving_7Q2w"


def run_against(url, staff, session):
    """Run an API Key test whose user info endpoint is ``url``; return the run."""
    return run_of(api_key_authorization(url), staff, session, {"api_key": API_KEY})


def respond(httpserver, body, status=200, **options):
    httpserver.expect_request("/me").respond_with_response(
        Response(body, status=status, **options)
    )


@pytest.fixture
def answered(httpserver, staff, session):
    """Return a function: the user info endpoint answers ``body`` (as
    ``respond`` has it answer), an API Key test runs against it; the run."""

    def run(body, status=200, **options):
        respond(httpserver, body, status, **options)
        return run_against(httpserver.url_for("/me"), staff, session)

    return run


@contextlib.contextmanager
def raw_server(handle):
    """A one-connection HTTP server on 127.0.0.1 answering with ``handle(conn)``.

    For what pytest-httpserver cannot do: write a body slowly, byte by byte.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve():
        conn, _ = listener.accept()
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                request += chunk
            with contextlib.suppress(OSError):  # the client hung up, as it should
                handle(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/me"
    finally:
        listener.close()
        thread.join(timeout=10)


# --- what came back is not what was expected ---------------------------------


@pytest.mark.usefixtures("allow_loopback")
def test_html_instead_of_json(answered, member_client):
    page = "<html><body><h1>Sign in to Acme</h1><script>x()</script></body></html>"
    run = answered(page, content_type="text/html; charset=utf-8")

    step = failed_step(run)
    assert step["error"] == (
        "The User Information Endpoint answered with a web page: expected JSON, "
        f'got text/html: "{page}"'
    )
    assert step["hint"] == (
        "The URL may point at a page for people rather than the API."
    )
    assert step["response"]["status"] == 200
    assert step["response"]["body"] == page
    # The run page shows the page's markup as text, never as markup.
    html = page_text(member_client(superuser=True), run.get_absolute_url())
    assert "&lt;h1&gt;Sign in to Acme&lt;/h1&gt;" in html
    assert "&lt;script&gt;x()&lt;/script&gt;" in html
    assert "<h1>Sign in to Acme" not in html and "<script>x()" not in html


@pytest.mark.usefixtures("allow_loopback")
def test_a_web_page_labelled_json(answered):
    page = "<!DOCTYPE html><html><body>Maintenance</body></html>"
    step = failed_step(answered(page, content_type="application/json"))

    assert step["error"] == (
        "The User Information Endpoint answered with a web page: expected JSON, "
        f'got application/json: "{page}"'
    )
    assert step["hint"] == (
        "The URL may point at a page for people rather than the API."
    )


@pytest.mark.usefixtures("allow_loopback")
def test_json_labelled_text_html_is_read_with_a_warning(answered):
    # Older PHP APIs send their JSON as text/html.
    run = answered('{"name": "Jason Fried"}', content_type="text/html")

    assert run.status == TestRun.Status.SUCCEEDED, run.message
    assert ConnectedAccount.objects.get().user_identity == "Jason Fried"
    assert run.steps[-1]["warnings"] == [
        "The User Information Endpoint labels its JSON text/html; it was read as JSON."
    ]


@pytest.mark.usefixtures("allow_loopback")
def test_json_null_is_not_called_an_empty_body(answered):
    step = failed_step(answered("null", content_type="application/json"))

    # Not "an empty body": the template ran, over null.
    assert step["error"] == (
        "The User Information Endpoint's response template gave output that "
        'breaks its contract: user_identity is empty: the template gave "".'
    )
    assert step["response"]["body"] == "null"


@pytest.mark.usefixtures("allow_loopback")
@pytest.mark.parametrize("content_type", ["application/json", None])
def test_an_empty_body(answered, content_type):
    step = failed_step(answered(b"", content_type=content_type))

    assert step["error"] == (
        "The User Information Endpoint answered 200 with an empty body; expected JSON."
    )
    assert step["hint"] == "Check the endpoint's URL and method."
    assert step["response"]["body"] == ""


@pytest.mark.usefixtures("allow_loopback")
def test_an_error_answered_with_200(answered):
    # Slack's Web API answers every error 200 with ok: false.
    step = failed_step(
        answered(
            '{"ok": false, "error": "invalid_auth"}', content_type="application/json"
        )
    )

    assert step["error"] == "The User Information Endpoint answered 200 invalid_auth."
    assert step["response"]["status"] == 200


@pytest.mark.usefixtures("allow_loopback")
def test_a_500(answered):
    step = failed_step(
        answered(
            '{"message": "NullPointerException at UserService"}',
            status=500,
            content_type="application/json",
        )
    )

    assert step["error"] == (
        "The provider failed: the User Information Endpoint answered "
        "500 INTERNAL SERVER ERROR."
    )
    assert step["hint"] == "This is on the provider's side; try again later."
    assert step["response"]["status"] == 500
    assert (
        '"message": "NullPointerException at UserService"' in (step["response"]["body"])
    )


@pytest.mark.usefixtures("allow_loopback")
def test_a_502_with_an_html_page(answered):
    page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    step = failed_step(answered(page, status=502, content_type="text/html"))

    assert step["error"] == (
        "The provider failed: the User Information Endpoint answered 502 BAD GATEWAY."
    )
    assert step["hint"] == "This is on the provider's side; try again later."
    assert step["response"]["body"] == page


@pytest.mark.usefixtures("allow_loopback")
def test_a_429_says_how_long_to_wait(answered):
    step = failed_step(
        answered(
            '{"message": "slow down"}',
            status=429,
            content_type="application/json",
            headers={"Retry-After": "120"},
        )
    )

    assert step["error"] == (
        "The provider is limiting requests: the User Information Endpoint "
        "answered 429 TOO MANY REQUESTS; it asks to wait 120 seconds."
    )
    assert step["hint"] == "Try again later."
    assert ["Retry-After", "120"] in step["response"]["headers"]


@pytest.mark.usefixtures("allow_loopback")
@pytest.mark.parametrize(
    ("body", "options", "error"),
    [
        pytest.param(
            '{"error": "rate_limit_exceeded", "error_description": "100 calls/min"}',
            {"content_type": "application/json", "headers": {"Retry-After": "30"}},
            "The provider is limiting requests: the User Information Endpoint "
            "answered 429 rate_limit_exceeded (100 calls/min); it asks to wait 30 "
            "seconds.",
            id="with-an-error-code",
        ),
        pytest.param(
            "",
            {"headers": {"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}},
            "The provider is limiting requests: the User Information Endpoint "
            "answered 429 TOO MANY REQUESTS; it asks to wait until "
            "Wed, 21 Oct 2026 07:28:00 GMT.",
            id="with-a-retry-after-date",
        ),
    ],
)
def test_a_429_still_says_how_long_to_wait(answered, body, options, error):
    step = failed_step(answered(body, status=429, **options))

    assert step["error"] == error


@pytest.mark.usefixtures("allow_loopback")
def test_a_503_with_retry_after(answered):
    step = failed_step(
        answered("Down for maintenance", status=503, headers={"Retry-After": "600"})
    )

    assert step["error"] == (
        "The provider failed: the User Information Endpoint answered 503 "
        "SERVICE UNAVAILABLE; it asks to wait 600 seconds."
    )
    assert step["hint"] == "This is on the provider's side; try again later."


@pytest.mark.usefixtures("allow_loopback")
def test_invalid_utf8_in_json_is_refused_and_shown_with_replacements(
    answered, member_client
):
    run = answered(
        b'{"name": "Jos\xe9 Mar\xeda"}',  # Latin-1, not UTF-8
        content_type="application/json",
    )

    step = failed_step(run)
    assert step["error"] == (
        "The User Information Endpoint answered with JSON that is not UTF-8 "
        "(the byte 0xe9 at position 13); JSON must be UTF-8 (RFC 8259 §8.1)."
    )
    assert step["response"]["body"] == '{\n  "name": "Jos\ufffd Mar\ufffda"\n}'
    page = page_text(member_client(superuser=True), run.get_absolute_url())
    assert "Jos\ufffd Mar\ufffda" in page


@pytest.mark.usefixtures("allow_loopback")
@pytest.mark.parametrize(
    ("charset", "body"),
    [
        ("utf-16", '{"name": "José"}'.encode("utf-16")),
        ("iso-8859-1", '{"name": "José"}'.encode("iso-8859-1")),
    ],
)
def test_json_in_the_charset_it_names(answered, charset, body):
    run = answered(body, content_type=f"application/json; charset={charset}")

    assert run.status == TestRun.Status.SUCCEEDED, run.message
    assert ConnectedAccount.objects.get().user_identity == "José"
    assert run.steps[-1]["response"]["body"] == '{\n  "name": "José"\n}'


@pytest.mark.usefixtures("allow_loopback")
def test_nul_bytes_in_a_body_are_shown_as_replacement_characters(answered):
    # PostgreSQL stores no NUL: the run's own save would fail on them.
    step = failed_step(
        answered(
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", status=400, content_type="image/png"
        )
    )

    assert step["error"] == "The User Information Endpoint answered 400 BAD REQUEST."
    assert step["response"]["body"] == "\ufffdPNG\r\n\x1a\n\ufffd\ufffd\ufffd\rIHDR"
    assert TestRun.objects.get().steps == [step]


@pytest.mark.usefixtures("allow_loopback")
def test_a_nul_in_the_identity_fails_the_run_in_words(answered):
    run = answered('{"name": "J\\u0000o"}', content_type="application/json")

    assert run.status == TestRun.Status.FAILED
    assert not ConnectedAccount.objects.exists()
    assert run.message == (
        "The account could not be stored: The text contains a NUL character "
        "(U+0000), which cannot be stored; remove it."
    )


@pytest.mark.usefixtures("allow_loopback")
def test_invalid_utf8_in_an_error_page_is_shown_with_replacements(answered):
    step = failed_step(
        answered(b"Acc\xe8s refus\xe9", status=403, content_type="text/plain")
    )

    assert step["error"] == "The User Information Endpoint answered 403 FORBIDDEN."
    assert step["hint"] == (
        "The credentials were accepted but lack permission; check the scopes."
    )
    assert step["response"]["body"] == "Acc\ufffds refus\ufffd"


@pytest.mark.usefixtures("allow_loopback")
def test_deeply_nested_json_is_an_error_not_a_recursion_error(answered):
    depth = 10_000
    step = failed_step(
        answered("[" * depth + "]" * depth, content_type="application/json")
    )

    assert step["error"].startswith(
        "The User Information Endpoint answered with JSON that cannot be read: "
    )
    assert step["error"].endswith("The data nests more than 64 levels deep.")
    # Shown as it came, cut at 8 KiB.
    assert step["response"]["body"] == "[" * 8192
    assert step["response"]["truncated"] is True


# --- the exchange itself fails ------------------------------------------------


@pytest.mark.usefixtures("allow_loopback")
def test_a_slow_drip_ends_at_the_total_deadline(staff, session, settings):
    settings.OUTBOUND_TOTAL_TIMEOUT = 1
    settings.OUTBOUND_READ_TIMEOUT = 5  # each byte comes in time; the sum does not

    def drip(conn):
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n"
        )
        conn.sendall(b'{"name": "')
        for _ in range(40):
            time.sleep(0.1)
            conn.sendall(b"x")

    started = time.monotonic()
    with raw_server(drip) as url:
        run = run_against(url, staff, session)
    assert time.monotonic() - started < 3.5

    step = failed_step(run)
    assert step["error"] == (
        "The User Information Endpoint did not answer in time: The exchange "
        "with 127.0.0.1 took longer than 1 s, the most the console waits for a "
        "whole request (redirects and the response body included)."
    )
    assert "OUTBOUND_TOTAL_TIMEOUT" in step["hint"]
    # What had arrived is shown: the status and headers (the bytes of the
    # body read so far are lost inside the client's blocked read).
    assert step["response"]["status"] == 200
    assert ["Content-Length", "1000"] in step["response"]["headers"]


@pytest.mark.usefixtures("allow_loopback")
def test_a_body_over_the_cap(answered, settings):
    settings.OUTBOUND_MAX_BODY_BYTES = 4096
    step = failed_step(
        answered('{"name": "' + "a" * 10_000 + '"}', content_type="application/json")
    )

    assert step["error"] == (
        "The User Information Endpoint sent a response too large to read: "
        "The response "
        "is larger than 4 KiB; the console reads at most 4 KiB."
    )
    assert step["hint"] == "Ask the API for less (a smaller page, fewer fields)."
    assert step["response"]["body"] == '{"name": "' + "a" * (4096 - 10)


@pytest.mark.usefixtures("allow_loopback")
def test_a_gzip_bomb_is_read_no_further_than_the_cap(
    httpserver, staff, session, settings
):
    settings.OUTBOUND_MAX_BODY_BYTES = 64 * 1024
    # 256 MiB of zeros, 256 KiB compressed.
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: a gzip stream
    zeros = b"0" * (1024 * 1024)
    bomb = b"".join(packer.compress(zeros) for _ in range(256)) + packer.flush()
    assert len(bomb) < 300 * 1024
    respond(
        httpserver,
        bomb,
        content_type="application/json",
        headers={"Content-Encoding": "gzip"},
    )

    tracemalloc.start()
    try:
        run = run_against(httpserver.url_for("/me"), staff, session)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    step = failed_step(run)
    assert step["error"] == (
        "The User Information Endpoint sent a response too large to read: "
        "The response is larger than 64 KiB; the console reads at most 64 KiB."
    )
    assert step["response"]["body"] == "0" * 8192
    assert step["response"]["truncated"] is True
    # Decompressed in bounded pieces: nowhere near the 256 MiB it swells to.
    assert peak < 32 * 1024 * 1024, f"{peak:,} bytes"


@pytest.mark.usefixtures("allow_loopback")
@pytest.mark.parametrize(
    ("target", "words"),
    [
        (
            "127.0.0.2",
            "127.0.0.2 is a loopback address; add it to "
            "OUTBOUND_ALLOWED_NETWORKS to allow it",
        ),
        (
            "10.0.0.5",
            "10.0.0.5 is a private address; add it to "
            "OUTBOUND_ALLOWED_NETWORKS to allow it",
        ),
    ],
)
def test_a_redirect_outside_the_allowed_networks(
    httpserver, staff, session, target, words
):
    httpserver.expect_request("/me").respond_with_response(
        Response(status=302, headers={"Location": f"http://{target}:9/me"})
    )

    step = failed_step(run_against(httpserver.url_for("/me"), staff, session))

    assert step["error"] == (
        "The console refused to call the User Information Endpoint: "
        f"{words} (a redirect from {httpserver.url_for('/me')} led there)"
    )
    assert "OUTBOUND_ALLOWED_NETWORKS" in step["hint"]
    # The redirect that led there is shown.
    assert step["response"]["status"] == 302
    assert [
        "Location",
        f"http://{target}:9/me",
    ] in step["response"]["headers"]


@pytest.mark.usefixtures("allow_loopback")
def test_a_server_closing_without_an_answer(staff, session):
    with raw_server(lambda conn: None) as url:
        step = failed_step(run_against(url, staff, session))

    assert step["error"] == (
        "The exchange with the User Information Endpoint failed: 127.0.0.1 "
        "closed the connection without a valid answer (Remote end closed "
        "connection without response)."
    )
    assert step["response"] is None


@pytest.mark.usefixtures("allow_loopback")
def test_a_connection_refused(staff, session):
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()

    step = failed_step(run_against(f"http://127.0.0.1:{port}/me", staff, session))

    assert step["error"] == (
        "The User Information Endpoint could not be reached: Could not connect "
        "to 127.0.0.1: connection refused."
    )
    assert step["hint"] == "Check the host and port, and that the server is running."
    assert step["response"] is None


def test_a_provider_url_refused_when_loopback_is_not_allowed(
    httpserver, staff, session, settings
):
    assert settings.OUTBOUND_ALLOWED_NETWORKS == []

    step = failed_step(run_against(httpserver.url_for("/me"), staff, session))

    # The test server listens on 127.0.0.1, or is named localhost.
    what = (
        "127.0.0.1 is a loopback address; add it"
        if httpserver.host == "127.0.0.1"
        else f"{httpserver.host} resolves to 127.0.0.1, a loopback address; "
        "add 127.0.0.1"
    )
    assert step["error"] == (
        f"The console refused to call the User Information Endpoint: {what} to "
        "OUTBOUND_ALLOWED_NETWORKS to allow it"
    )
    assert "OUTBOUND_ALLOWED_NETWORKS" in step["hint"]
    assert step["response"] is None
    # Nothing was sent.
    assert httpserver.log == []


@pytest.mark.usefixtures("allow_loopback")
def test_a_basic_token_endpoint_behind_a_failing_gateway(httpserver, staff, session):
    page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    httpserver.expect_request("/token", method="POST").respond_with_response(
        Response(page, status=502, content_type="text/html")
    )
    authorization = AuthorizationFactory(app=AppFactory(), type="basic")
    token_endpoint(
        authorization,
        httpserver.url_for("/token"),
        '{"username": "{{ requestBody.username }}"}',
        '{"access_token": "{{ response.token }}"}',
        body_format="json",
    )
    user_info_endpoint(authorization, httpserver.url_for("/me"), NAME_RESPONSE)

    run = run_of(
        authorization,
        staff,
        session,
        {"username": "jason", "password": "basic-password-42"},
    )

    assert run.status == TestRun.Status.FAILED
    assert not ConnectedAccount.objects.exists()
    assert [(step["name"], step["ok"]) for step in run.steps] == [
        ("Access token", False)
    ]
    step = run.steps[0]
    assert step["error"] == (
        "The provider failed: the Access Token Endpoint answered 502 BAD GATEWAY."
    )
    assert step["response"]["body"] == page
    # The user info endpoint was never called.
    assert [request.path for request, _ in httpserver.log] == ["/token"]
