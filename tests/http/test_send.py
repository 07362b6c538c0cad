"""Sending: what reaches the server, what comes back, and what is never used."""

import gzip
import logging
import socket
import zlib

import pytest
from requests.auth import HTTPBasicAuth
from werkzeug import Response

from authorizations.http import OutboundError, send
from tests.http.servers import reply


def test_a_get_returns_the_response(httpserver, loopback):
    httpserver.expect_request("/me", query_string="a=1").respond_with_data(
        '{"id": 7}', content_type="application/json", headers={"X-Request-Id": "r1"}
    )
    response = send("GET", httpserver.url_for("/me?a=1"))
    assert response.status == 200
    assert response.reason == "OK"
    assert response.body == b'{"id": 7}'
    assert response.content_type == "application/json"
    assert response.header("x-request-id") == "r1"
    assert response.url == httpserver.url_for("/me?a=1")
    assert response.address == "127.0.0.1"
    assert response.redirects == []
    assert 0 < response.elapsed < 5


def test_headers_body_and_host_reach_the_server(raw_server, loopback):
    server = raw_server(reply(201, b"made"))
    response = send(
        "post",
        server.url("/token"),
        headers=[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-Api-Key", "k1"),
            ("User-Agent", "integry-test"),
        ],
        body="grant_type=client_credentials&name=caf\u00e9",
    )
    assert response.status == 201
    [request] = server.requests
    assert request.method == "POST"
    assert request.target == "/token"
    assert request.header("Host") == f"127.0.0.1:{server.port}"
    assert request.header("X-Api-Key") == "k1"
    assert request.header("User-Agent") == "integry-test"
    assert request.header("Content-Length") == str(len(request.body))
    assert request.body == "grant_type=client_credentials&name=café".encode()


def test_basic_auth_is_applied(raw_server, loopback):
    server = raw_server(reply())
    send("GET", server.url("/me"), auth=HTTPBasicAuth("id", "secret"))
    assert server.requests[0].header("Authorization") == "Basic aWQ6c2VjcmV0"


@pytest.mark.parametrize(
    ("content_type", "raw", "text"),
    [
        ("text/plain; charset=ISO-8859-1", "café".encode("latin-1"), "café"),
        ('text/plain; charset="utf-8"', "café".encode(), "café"),
        ("application/json", "café".encode(), "café"),
        ("text/plain; charset=nonsense", "café".encode(), "café"),
        ("", b"caf\xff", "caf\ufffd"),
    ],
)
def test_text_follows_the_charset(raw_server, loopback, content_type, raw, text):
    headers = [("Content-Type", content_type)] if content_type else []
    server = raw_server(reply(200, raw, headers))
    response = send("GET", server.url("/"))
    assert response.text == text
    assert response.content_type == content_type.split(";")[0]


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data, wbits=-15)),  # raw deflate
    ],
)
def test_a_compressed_body_is_decoded(raw_server, loopback, encoding, compress):
    body = b'{"access_token": "t"}' * 100
    server = raw_server(reply(200, compress(body), [("Content-Encoding", encoding)]))
    response = send("GET", server.url("/"))
    assert response.body == body
    assert "gzip" in server.requests[0].header("Accept-Encoding")


def test_a_body_that_is_not_what_it_says_is_a_protocol_error(raw_server, loopback):
    server = raw_server(reply(200, b"not gzip at all", [("Content-Encoding", "gzip")]))
    with pytest.raises(OutboundError) as failed:
        send("GET", server.url("/"))
    assert failed.value.kind == "protocol"
    assert 'says its body is compressed ("gzip"), but it could not be' in (
        failed.value.message
    )


def test_head_and_no_content_have_empty_bodies(httpserver, loopback):
    httpserver.expect_request("/h", method="HEAD").respond_with_data(
        "", headers={"Content-Length": "10"}
    )
    httpserver.expect_request("/n").respond_with_response(Response(status=204))
    assert send("HEAD", httpserver.url_for("/h")).body == b""
    assert send("DELETE", httpserver.url_for("/n")).status == 204


def test_an_error_status_is_a_response_not_an_exception(httpserver, loopback):
    httpserver.expect_request("/t").respond_with_data(
        '{"error": "invalid_grant"}', status=400
    )
    response = send("POST", httpserver.url_for("/t"), body=b"code=x")
    assert response.status == 400
    assert response.text == '{"error": "invalid_grant"}'


def test_a_closed_port_is_a_connect_error(loopback):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(OutboundError) as failed:
        send("GET", f"http://127.0.0.1:{port}/")
    assert failed.value.kind == "connect"
    assert failed.value.message == (
        "Could not connect to 127.0.0.1: connection refused."
    )


def test_a_server_closing_without_an_answer_is_a_protocol_error(raw_server, loopback):
    server = raw_server(lambda conn, request: None)
    with pytest.raises(OutboundError) as failed:
        send("GET", server.url("/"))
    assert failed.value.kind == "protocol"
    assert failed.value.message == (
        "127.0.0.1 closed the connection without a valid answer (Remote end closed "
        "connection without response)."
    )


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (b"SSH-2.0-OpenSSH_9.2\r\n", "SSH-2.0-OpenSSH_9.2"),
        (
            b"HTTP/1.1 200 OK\r\n"
            + b"".join(b"X-%d: 1\r\n" % n for n in range(101))
            + b"\r\n",
            "got more than 100 headers",
        ),
    ],
)
def test_an_answer_that_is_not_http_is_said_so(raw_server, loopback, answer, reason):
    server = raw_server(lambda conn, request: conn.sendall(answer))
    with pytest.raises(OutboundError) as failed:
        send("GET", server.url("/"))
    assert failed.value.kind == "protocol"
    assert failed.value.message.startswith(
        "127.0.0.1 answered with something that is not valid HTTP ("
    )
    assert reason in failed.value.message
    assert failed.value.hint == "Check the URL's scheme and port: is it an HTTP API?"


def test_proxies_and_netrc_from_the_environment_are_ignored(
    raw_server, loopback, monkeypatch, tmp_path
):
    server = raw_server(reply())
    # A proxy that does not exist: using it would fail the request.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
        monkeypatch.setenv(name.lower(), "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login someone password from-netrc\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "missing.pem"))

    response = send("GET", server.url("/me"))

    assert response.status == 200
    [request] = server.requests
    assert request.target == "/me"  # not a proxy's absolute form
    assert request.header("Authorization") is None


def test_only_method_and_scheme_host_are_logged(raw_server, loopback, caplog):
    server = raw_server(reply())
    caplog.set_level(logging.DEBUG)
    send(
        "POST",
        # Some APIs take their key in the path.
        server.url("/v1/secret-in-path/me?access_token=secret-in-query"),
        headers=[("Authorization", "Bearer secret-in-header")],
        body="client_secret=secret-in-body",
    )
    assert f"POST http://127.0.0.1:{server.port}" in caplog.messages
    assert "secret" not in caplog.text


def test_a_method_that_is_not_a_token_is_a_programming_error(loopback):
    with pytest.raises(ValueError, match="is not an HTTP method"):
        send("GET /evil HTTP/1.1\r\n", "http://127.0.0.1/")


def test_repeated_response_headers_are_all_kept(raw_server, loopback):
    server = raw_server(
        reply(200, b"", [("Set-Cookie", "a=1"), ("set-cookie", "b=2"), ("X-A", "x")])
    )
    response = send("GET", server.url("/"))
    cookies = [v for k, v in response.headers if k.lower() == "set-cookie"]
    assert cookies == ["a=1", "b=2"]
    assert response.header("SET-COOKIE") == "a=1"
    assert response.header("X-Missing") is None


def test_a_closed_connection_says_so_in_words(raw_server, loopback):
    server = raw_server(lambda conn, request: conn.sendall(HEAD_ONLY + b"half"))
    with pytest.raises(OutboundError) as failed:
        send("GET", server.url("/"))
    assert failed.value.kind == "protocol"
    assert failed.value.message.startswith(
        "The connection to 127.0.0.1 broke before the whole response arrived ("
    )
    assert "4 bytes read, 6 more expected" in failed.value.message
    assert failed.value.response.body == b"half"


HEAD_ONLY = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"
