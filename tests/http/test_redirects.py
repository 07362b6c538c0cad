"""Redirects: followed by hand, each hop checked again, credentials kept home."""

from types import SimpleNamespace
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
from oauthlib.oauth1.rfc5849 import signature
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth1

from authorizations.http import OutboundError, OutboundRefused, send
from tests.http.servers import reply


def redirect(location: str, status: int = 302):
    return reply(status, b"moved", [("Location", location)])


def test_a_redirect_is_followed_and_recorded(raw_server, loopback):
    final = raw_server(reply(200, b"final"))
    middle = raw_server(redirect(final.url("/end")))
    first = raw_server(redirect("/middle-relative", 301))
    # The first server redirects to a path of its own, served by the same
    # function: point that one at the middle server instead.
    first.respond = lambda conn, request: (
        redirect(middle.url("/m"))(conn, request)
        if request.target == "/middle-relative"
        else redirect("/middle-relative", 301)(conn, request)
    )
    response = send("GET", first.url("/start"))
    assert response.status == 200
    assert response.body == b"final"
    assert response.url == final.url("/end")
    assert response.redirects == [
        first.url("/start"),
        first.url("/middle-relative"),
        middle.url("/m"),
    ]
    assert [r.target for r in first.requests] == ["/start", "/middle-relative"]


@pytest.mark.parametrize(
    ("status", "method", "body"),
    [
        (301, "GET", b""),
        (302, "GET", b""),
        (303, "GET", b""),
        (307, "POST", b"a=1"),
        (308, "POST", b"a=1"),
    ],
)
def test_a_post_redirected_keeps_its_body_only_for_307_and_308(
    raw_server, loopback, status, method, body
):
    final = raw_server(reply())
    first = raw_server(redirect(final.url("/next"), status))
    send(
        "POST",
        first.url("/"),
        headers=[("Content-Type", "application/x-www-form-urlencoded")],
        body="a=1",
    )
    [request] = final.requests
    assert request.method == method
    assert request.body == body
    assert (request.header("Content-Type") is not None) == bool(body)


def test_allow_redirects_false_returns_the_redirect(raw_server, loopback):
    final = raw_server(reply())
    first = raw_server(redirect(final.url("/next")))
    response = send("GET", first.url("/"), allow_redirects=False)
    assert response.status == 302
    assert response.header("Location") == final.url("/next")
    assert final.requests == []


def test_more_than_five_redirects_stop(raw_server, loopback):
    server = raw_server(redirect("/again"))
    with pytest.raises(OutboundError) as failed:
        send("GET", server.url("/"))
    assert failed.value.kind == "too_many_redirects"
    assert failed.value.message == (
        "The server redirected more than 5 times, last to "
        f"{server.url('/again')}; the console follows at most 5 redirects."
    )
    assert len(server.requests) == 6  # the request and five redirects
    assert failed.value.response.status == 302


def test_five_redirects_are_followed(raw_server, loopback):
    def respond(conn, request):
        hop = int(request.target.strip("/") or 0)
        if hop < 5:
            redirect(f"/{hop + 1}")(conn, request)
        else:
            reply(200, b"there")(conn, request)

    server = raw_server(respond)
    response = send("GET", server.url("/"))
    assert response.body == b"there"
    assert len(response.redirects) == 5


@pytest.mark.parametrize(
    ("location", "message"),
    [
        (
            "http://10.0.0.5/admin",
            "refused: 10.0.0.5 is a private address; add it to "
            "OUTBOUND_ALLOWED_NETWORKS to allow it (a redirect from "
            "http://127.0.0.1:{port}/start led there)",
        ),
        (
            "http://169.254.169.254/latest/meta-data/",
            "refused: 169.254.169.254 is a cloud metadata address",
        ),
        (
            "http://[::1]:{port}/",
            "refused: ::1 is a loopback address",
        ),
        ("file:///etc/passwd", "The URL must start with http:// or https://"),
        (
            "http://user:pw@127.0.0.1:{port}/",
            "A URL cannot hold a user name or password",
        ),
    ],
)
def test_a_redirect_to_a_forbidden_place_is_refused(
    raw_server, loopback, location, message
):
    server = raw_server(reply())
    server.respond = redirect(location.format(port=server.port))
    with pytest.raises(OutboundRefused) as refused:
        send("GET", server.url("/start"))
    assert message.format(port=server.port) in refused.value.message
    assert refused.value.response.status == 302
    assert [r.target for r in server.requests] == ["/start"]


def test_a_redirect_to_another_origin_drops_the_credentials(raw_server, loopback):
    other = raw_server(reply())
    home = raw_server(lambda conn, request: None)

    def respond(conn, request):
        if request.target == "/start":
            redirect(other.url("/elsewhere"))(conn, request)
        else:
            reply()(conn, request)

    home.respond = respond
    # The other origin sends the request home again: still no credentials.
    other.respond = redirect(home.url("/back"))
    send(
        "GET",
        home.url("/start"),
        headers=[
            ("Authorization", "Bearer secret"),
            ("Cookie", "session=secret"),
            ("X-Trace", "kept"),
        ],
    )
    [elsewhere] = other.requests
    assert elsewhere.header("Authorization") is None
    assert elsewhere.header("Cookie") is None
    assert elsewhere.header("X-Trace") == "kept"
    first, back = home.requests
    assert first.header("Authorization") == "Bearer secret"
    assert back.header("Authorization") is None
    assert back.header("Cookie") is None


def test_another_host_name_is_another_origin(raw_server, loopback, resolver):
    # The same server under a second name: only the name differs.
    resolver.answer("api.example.test", ["127.0.0.1"])
    server = raw_server(reply())
    server.respond = lambda conn, request: (
        redirect(server.url("/b", host="api.example.test"))(conn, request)
        if request.target == "/a"
        else reply()(conn, request)
    )
    send("GET", server.url("/a"), auth=HTTPBasicAuth("id", "secret"))
    first, second = server.requests
    assert first.header("Authorization") is not None
    assert second.header("Host") == f"api.example.test:{server.port}"
    assert second.header("Authorization") is None


def test_the_same_origin_keeps_the_credentials(raw_server, loopback):
    server = raw_server(reply())
    server.respond = lambda conn, request: (
        redirect(server.url("/b").upper().replace("/B", "/b"))(conn, request)
        if request.target == "/a"
        else reply()(conn, request)
    )
    send(
        "GET",
        server.url("/a"),
        headers=[("Cookie", "s=1")],
        auth=HTTPBasicAuth("id", "secret"),
    )
    first, second = server.requests
    assert second.header("Authorization") == first.header("Authorization")
    assert second.header("Cookie") == "s=1"


def test_basic_auth_is_not_sent_to_another_origin(raw_server, loopback):
    other = raw_server(reply())
    home = raw_server(redirect(other.url("/x"), 307))
    send("POST", home.url("/"), auth=HTTPBasicAuth("id", "secret"), body=b"a=1")
    assert home.requests[0].header("Authorization").startswith("Basic ")
    assert other.requests[0].header("Authorization") is None
    assert other.requests[0].body == b"a=1"


def oauth1_signature_is_valid(request, url: str) -> bool:
    """Check an OAuth1 HMAC-SHA1 signature the way a provider would."""
    header = request.header("Authorization")
    assert header.startswith("OAuth ")
    params = signature.collect_parameters(
        uri_query=urlsplit(url).query,
        body=request.body.decode() if request.body else "",
        headers={"Authorization": header},
        exclude_oauth_signature=True,
    )
    base = signature.signature_base_string(
        request.method,
        signature.base_string_uri(url),
        signature.normalize_parameters(params),
    )
    given = dict(part.split("=", 1) for part in header[len("OAuth ") :].split(", "))
    client = SimpleNamespace(
        client_secret="consumer-secret", resource_owner_secret="token-secret"
    )
    expected = signature.sign_hmac_sha1_with_client(base, client)
    return unquote(given["oauth_signature"].strip('"')) == expected


def test_oauth1_signs_each_hop_again_on_the_same_origin(raw_server, loopback):
    def respond(conn, request):
        if request.target.startswith("/request_token"):
            redirect("/v2/request_token?x=1")(conn, request)
        else:
            reply(200, b"oauth_token=t&oauth_token_secret=s")(conn, request)

    server = raw_server(respond)
    auth = OAuth1(
        "consumer-key",
        client_secret="consumer-secret",
        resource_owner_key="token",
        resource_owner_secret="token-secret",
    )
    send(
        "POST",
        server.url("/request_token"),
        headers=[("Content-Type", "application/x-www-form-urlencoded")],
        body="oauth_callback=https%3A%2F%2Fconsole.example%2Fcb",
        auth=auth,
    )
    first, second = server.requests
    assert oauth1_signature_is_valid(first, server.url("/request_token"))
    # A 302 turns the POST into a GET: signed again, for its own URL.
    assert second.method == "GET"
    assert oauth1_signature_is_valid(second, server.url("/v2/request_token?x=1"))
    nonces = [
        dict(parse_qsl(r.header("Authorization")[6:].replace(", ", "&")))["oauth_nonce"]
        for r in (first, second)
    ]
    assert nonces[0] != nonces[1]
