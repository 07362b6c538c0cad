"""Pinning: the request goes to the checked address, and TLS still checks the name.

There is no DNS server here: the resolver is steered with a fake
``socket.getaddrinfo`` that answers for the test's names and passes every
other lookup to the real one.
"""

import socket
import time

import pytest

from authorizations.http import OutboundError, OutboundRefused, send
from tests.http.servers import RawServer, drip, reply, tls_context


def test_https_to_a_name_pinned_to_its_address_sends_sni_and_checks_the_name(
    raw_server, resolver, trusted, authority
):
    resolver.answer("api.example.test", ["127.0.0.1"])
    server = raw_server(
        reply(200, b'{"ok": true}'), tls=tls_context(authority, "api.example.test")
    )
    response = send("GET", server.url("/me", host="api.example.test"))
    assert response.status == 200
    assert response.address == "127.0.0.1"
    assert server.server_names == ["api.example.test"]
    assert server.requests[0].header("Host") == f"api.example.test:{server.port}"
    # Resolved once, by the check; the connection used the address.
    assert resolver.asked.count("api.example.test") == 1


def test_a_certificate_for_another_name_is_refused(
    raw_server, resolver, trusted, authority
):
    resolver.answer("api.example.test", ["127.0.0.1"])
    server = raw_server(reply(), tls=tls_context(authority, "other.example.test"))
    with pytest.raises(OutboundError) as failed:
        send("GET", server.url("/me", host="api.example.test"))
    assert failed.value.kind == "tls"
    assert failed.value.message == (
        "The TLS connection to api.example.test (127.0.0.1) failed: Hostname "
        "mismatch, certificate is not valid for 'api.example.test'."
    )
    assert server.requests == []


def test_a_certificate_for_the_address_does_not_stand_for_the_name(
    raw_server, resolver, trusted, authority
):
    # Connecting to 127.0.0.1 must not make a certificate for 127.0.0.1 do.
    resolver.answer("api.example.test", ["127.0.0.1"])
    server = raw_server(reply(), tls=tls_context(authority, "127.0.0.1"))
    with pytest.raises(OutboundError) as failed:
        send("GET", server.url("/", host="api.example.test"))
    assert failed.value.kind == "tls"
    assert server.requests == []


def test_an_unknown_authority_is_refused(raw_server, resolver, loopback, authority):
    resolver.answer("api.example.test", ["127.0.0.1"])
    server = raw_server(reply(), tls=tls_context(authority, "api.example.test"))
    with pytest.raises(OutboundError) as failed:
        send("GET", server.url("/", host="api.example.test"))
    assert failed.value.kind == "tls"
    assert failed.value.message.startswith(
        "The TLS connection to api.example.test (127.0.0.1) failed: "
    )
    assert "certificate" in failed.value.message
    assert server.requests == []


def test_https_to_an_address_checks_the_address(raw_server, trusted, authority):
    server = raw_server(reply(), tls=tls_context(authority, "127.0.0.1"))
    assert send("GET", server.url("/")).status == 200
    assert server.server_names == [None]  # no SNI for an address (RFC 6066 §3)


def two_servers_on_one_port(respond):
    """Start a server on 127.0.0.1 and one on 127.0.0.2, with the same port."""
    for _ in range(20):
        first = RawServer(respond, host="127.0.0.1").start()
        try:
            second = RawServer(respond, host="127.0.0.2", port=first.port).start()
        except OSError:
            first.stop()
            continue
        return first, second
    pytest.skip("no port free on both 127.0.0.1 and 127.0.0.2")


def test_a_name_that_changes_its_answer_is_not_asked_again(resolver, settings):
    # DNS rebinding: the first answer passes the check, a later one would
    # lead elsewhere.  The connection goes to the address that was checked.
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32", "127.0.0.2/32"]
    checked, other = two_servers_on_one_port(reply(200, b"checked"))
    try:
        resolver.answer("rebind.example.test", ["127.0.0.1"], ["127.0.0.2"])
        response = send("GET", checked.url("/x", host="rebind.example.test"))
    finally:
        checked.stop()
        other.stop()
    assert response.body == b"checked"
    assert response.address == "127.0.0.1"
    assert len(checked.requests) == 1
    assert checked.requests[0].header("Host") == (f"rebind.example.test:{checked.port}")
    assert other.connections == 0
    assert resolver.asked.count("rebind.example.test") == 1


def test_a_rebinding_name_is_checked_again_on_a_redirect(
    resolver, raw_server, loopback
):
    # Each hop is resolved and checked once: a name that turns private
    # between hops is refused there, and nothing is sent to it.
    server = raw_server(reply())
    server.respond = reply(302, b"", [("Location", "/next")])
    resolver.answer("rebind.example.test", ["127.0.0.1"], ["10.0.0.5"])
    with pytest.raises(OutboundRefused) as refused:
        send("GET", server.url("/", host="rebind.example.test"))
    assert refused.value.message.startswith(
        "refused: rebind.example.test resolves to 10.0.0.5, a private address"
    )
    assert [r.target for r in server.requests] == ["/"]


def test_the_connection_does_not_resolve_the_name(resolver, raw_server, loopback):
    resolver.answer("api.example.test", ["127.0.0.1"])
    server = raw_server(reply())
    send("GET", server.url("/", host="api.example.test"))
    # The name once, by the check; the connection only looks up the address,
    # which needs no DNS.
    assert resolver.asked == ["api.example.test", "127.0.0.1"]
    assert socket.getaddrinfo is resolver


def test_a_dripping_https_server_is_stopped_by_the_total_deadline(
    raw_server, trusted, authority
):
    # Over TLS the socket the client reads is a wrapper of the one it
    # connected: the deadline must still reach it.
    trusted.OUTBOUND_TOTAL_TIMEOUT = 1.5
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
    server = raw_server(
        drip(head + b"x" * 100, every=0.3), tls=tls_context(authority, "127.0.0.1")
    )
    started = time.monotonic()
    with pytest.raises(OutboundError) as failed:
        send("GET", server.url("/"))
    assert failed.value.kind == "timeout"
    assert "took longer than 1.5 s" in failed.value.message
    assert time.monotonic() - started < 4


def test_a_handshake_that_drips_is_stopped_by_the_total_deadline(raw_server, trusted):
    # A TLS record header announcing 16 KiB, then one byte at a time: the
    # handshake waits for the whole record, and each byte comes well within
    # the connect timeout.
    trusted.OUTBOUND_TOTAL_TIMEOUT = 1.5
    trusted.OUTBOUND_CONNECT_TIMEOUT = 10.0
    record = b"\x16\x03\x03\x40\x00" + b"\x02" * 100
    server = raw_server(drip(record, every=0.3), reads_request=False)
    started = time.monotonic()
    with pytest.raises(OutboundError) as failed:
        send("GET", f"https://127.0.0.1:{server.port}/")
    assert failed.value.kind == "timeout"
    assert "took longer than 1.5 s" in failed.value.message
    assert time.monotonic() - started < 4
