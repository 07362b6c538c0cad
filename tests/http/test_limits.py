"""Limits: the total deadline, the read timeout and the body cap hold."""

import socket
import threading
import time
import tracemalloc
import zlib

import pytest

from authorizations.http import OutboundError, send
from tests.http.servers import drip, reply

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n"


@pytest.fixture
def short_total(loopback):
    """A total deadline of 1.5 s, a read timeout far above one drip."""
    loopback.OUTBOUND_TOTAL_TIMEOUT = 1.5
    loopback.OUTBOUND_READ_TIMEOUT = 10.0
    return loopback


@pytest.mark.parametrize(
    "data",
    [HEAD + b"x" * 1000, b"HTTP/1.1 200 OK\r\n" + b"X-Slow: 1\r\n" * 200],
    ids=["in the body", "in the headers"],
)
def test_a_dripping_server_is_stopped_by_the_total_deadline(
    raw_server, short_total, data
):
    # One byte every 0.4 s never trips a 10 s read timeout; only the total
    # deadline ends the exchange.
    server = raw_server(drip(data, every=0.4))
    started = time.monotonic()
    with pytest.raises(OutboundError) as failed:
        send("GET", server.url("/slow"))
    elapsed = time.monotonic() - started
    assert failed.value.kind == "timeout"
    assert failed.value.message == (
        "The exchange with 127.0.0.1 took longer than 1.5 s, the most the console "
        "waits for a whole request (redirects and the response body included)."
    )
    assert "OUTBOUND_TOTAL_TIMEOUT" in failed.value.hint
    # Stopped at the deadline, not after the 400 s the drip would take.
    assert 1.4 < elapsed < 4


def test_the_partial_body_is_kept_when_time_runs_out(raw_server, short_total):
    def respond(conn, request):
        conn.sendall(HEAD + b"first part ")
        drip(b"x" * 100, every=0.4)(conn, request)

    server = raw_server(respond)
    with pytest.raises(OutboundError) as failed:
        send("GET", server.url("/"))
    response = failed.value.response
    assert response.status == 200
    assert response.body.startswith(b"first part ")


def test_redirects_share_the_total_deadline(raw_server, short_total):
    def respond(conn, request):
        time.sleep(0.4)
        reply(302, b"", [("Location", "/again")])(conn, request)

    server = raw_server(respond)
    short_total.OUTBOUND_TOTAL_TIMEOUT = 1.0
    started = time.monotonic()
    with pytest.raises(OutboundError) as failed:
        send("GET", server.url("/"))
    assert failed.value.kind == "timeout"
    assert "took longer than 1 s" in failed.value.message
    assert time.monotonic() - started < 3
    assert 2 <= len(server.requests) <= 3


def test_a_silent_server_trips_the_read_timeout(raw_server, loopback):
    loopback.OUTBOUND_READ_TIMEOUT = 0.5
    release = threading.Event()
    server = raw_server(lambda conn, request: release.wait(5))
    with pytest.raises(OutboundError) as failed:
        send("GET", server.url("/"))
    release.set()
    assert failed.value.kind == "timeout"
    assert failed.value.message == "127.0.0.1 did not answer within 0.5 s."
    assert "OUTBOUND_READ_TIMEOUT" in failed.value.hint


def test_a_server_that_stops_mid_body_trips_the_read_timeout(raw_server, loopback):
    loopback.OUTBOUND_READ_TIMEOUT = 0.5
    release = threading.Event()

    def respond(conn, request):
        conn.sendall(HEAD + b"half")
        release.wait(5)

    server = raw_server(respond)
    with pytest.raises(OutboundError) as failed:
        send("GET", server.url("/"))
    release.set()
    assert failed.value.kind == "timeout"
    assert failed.value.message == (
        "127.0.0.1 did not send the rest of its answer within 0.5 s."
    )
    assert failed.value.response.body == b"half"


def test_a_body_over_the_cap_is_too_large(raw_server, loopback):
    body = b"a" * (2 * 1024 * 1024 + 1)
    server = raw_server(reply(200, body, [("X-Page", "1")]))
    with pytest.raises(OutboundError) as failed:
        send("GET", server.url("/"))
    assert failed.value.kind == "too_large"
    assert failed.value.message == (
        "The response is larger than 2 MiB; the console reads at most 2 MiB."
    )
    response = failed.value.response
    assert response.status == 200
    assert response.header("X-Page") == "1"
    assert response.body == body[: 2 * 1024 * 1024]


def test_a_body_at_the_cap_is_read_whole(raw_server, loopback):
    loopback.OUTBOUND_MAX_BODY_BYTES = 1024
    server = raw_server(reply(200, b"b" * 1024))
    assert send("GET", server.url("/")).body == b"b" * 1024


def test_max_body_overrides_the_setting(raw_server, loopback):
    server = raw_server(reply(200, b"c" * 11))
    with pytest.raises(OutboundError) as failed:
        send("GET", server.url("/"), max_body=10)
    assert failed.value.message == (
        "The response is larger than 10 bytes; the console reads at most 10 bytes."
    )
    assert failed.value.response.body == b"c" * 10


ZEROS = bytes(1024 * 1024)


def bomb(encoding: str):
    """Stream 1 GiB of zeros, compressed on the fly (about 1 MiB on the wire)."""

    def respond(conn, _request):
        wbits = 31 if encoding == "gzip" else 15
        compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Encoding: {encoding}\r\nConnection: close\r\n\r\n"
        )
        conn.sendall(head.encode())
        for _ in range(1024):
            conn.sendall(compressor.compress(ZEROS))
        conn.sendall(compressor.flush())

    return respond


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_compression_bomb_stops_at_the_cap_without_swelling(
    raw_server, loopback, encoding
):
    server = raw_server(bomb(encoding))
    tracemalloc.start()
    try:
        with pytest.raises(OutboundError) as failed:
            send("GET", server.url("/"))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert failed.value.kind == "too_large"
    assert failed.value.message == (
        "The response is larger than 2 MiB; the console reads at most 2 MiB."
    )
    assert failed.value.response.body == bytes(2 * 1024 * 1024)
    # The body kept (2 MiB) and its pieces, not the gigabyte.
    assert peak < 16 * 1024 * 1024


def test_a_slow_dns_answer_counts_against_the_deadline(resolver, loopback):
    loopback.OUTBOUND_TOTAL_TIMEOUT = 0.5
    resolver.answer("slow.example.test", ["127.0.0.1"], after=3)
    started = time.monotonic()
    with pytest.raises(OutboundError) as failed:
        send("GET", "http://slow.example.test/")
    assert failed.value.kind == "timeout"
    assert failed.value.message == (
        "The host slow.example.test could not be resolved within 0.5 s."
    )
    assert time.monotonic() - started < 2


@pytest.fixture
def full_listener():
    """Return the port of a listener whose queue is full: a connection hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    # Linux drops the handshakes beyond the backlog, so a connection neither
    # succeeds nor fails: it waits, as with a firewall that drops packets.
    filler = socket.create_connection(("127.0.0.1", port))
    yield port
    filler.close()
    listener.close()


def test_a_connection_that_hangs_trips_the_connect_timeout(full_listener, loopback):
    loopback.OUTBOUND_CONNECT_TIMEOUT = 0.3
    started = time.monotonic()
    with pytest.raises(OutboundError) as failed:
        send("GET", f"http://127.0.0.1:{full_listener}/")
    assert failed.value.kind == "timeout"
    assert failed.value.message == (
        "127.0.0.1 did not accept a connection within 0.3 s."
    )
    assert "OUTBOUND_CONNECT_TIMEOUT" in failed.value.hint
    assert time.monotonic() - started < 2
