"""keep_alive(): one connection for a flow's requests to one host, still bounded.

A flow's token exchange and user info call usually go to the same host; the
second reuses the first's connection, and each request's total deadline
still reaches the connection it reuses.
"""

import time

import pytest

from authorizations.http import OutboundError, keep_alive, send
from tests.http.servers import read_request, tls_context


def answer(conn, body: bytes = b'{"ok": true}') -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)


def serve_each_request_on_the_connection(second=answer):
    """Answer every request of a connection; the second one with ``second``."""

    def respond(conn, request):
        answer(conn)
        request = read_request(conn)
        if request is not None:
            second(conn)
            while read_request(conn) is not None:
                answer(conn)

    return respond


def test_requests_within_keep_alive_share_one_connection(raw_server, loopback):
    server = raw_server(serve_each_request_on_the_connection())
    with keep_alive():
        first = send("POST", server.url("/token"), body="grant_type=x")
        second = send("GET", server.url("/me"))
    assert (first.status, second.status) == (200, 200)
    assert second.body == b'{"ok": true}'
    assert server.connections == 1


def test_without_keep_alive_each_request_has_its_own_connection(raw_server, loopback):
    server = raw_server(serve_each_request_on_the_connection())
    send("GET", server.url("/a"))
    send("GET", server.url("/b"))
    assert server.connections == 2


def test_a_reused_https_connection_is_shared_too(
    raw_server,
    trusted,
    authority,
):
    server = raw_server(
        serve_each_request_on_the_connection(), tls=tls_context(authority, "127.0.0.1")
    )
    with keep_alive():
        for path in ("/token", "/me"):
            assert send("GET", server.url(path)).status == 200
    assert server.connections == 1


@pytest.mark.parametrize("tls", [False, True])
def test_the_total_deadline_reaches_a_reused_connection(
    raw_server,
    trusted,
    authority,
    tls,
):
    trusted.OUTBOUND_TOTAL_TIMEOUT = 1.5

    def drip_the_second(conn):
        for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 100:
            conn.sendall(bytes([byte]))
            time.sleep(0.3)

    server = raw_server(
        serve_each_request_on_the_connection(second=drip_the_second),
        tls=tls_context(authority, "127.0.0.1") if tls else None,
    )
    with keep_alive():
        assert send("GET", server.url("/token")).status == 200
        started = time.monotonic()
        with pytest.raises(OutboundError) as failed:
            send("GET", server.url("/me"))
    assert failed.value.kind == "timeout"
    assert "took longer than 1.5 s" in failed.value.message
    assert time.monotonic() - started < 4
    assert server.connections == 1


def test_a_connection_cut_short_is_not_reused(raw_server, loopback):
    big = b"x" * 2000
    server = raw_server(
        serve_each_request_on_the_connection(second=lambda conn: answer(conn, big))
    )
    with keep_alive():
        send("GET", server.url("/a"))
        with pytest.raises(OutboundError) as failed:
            send("GET", server.url("/b"), max_body=1000)
        assert failed.value.kind == "too_large"
        assert send("GET", server.url("/c")).status == 200
    # The connection whose body was left unread was closed, not reused.
    assert server.connections == 2
