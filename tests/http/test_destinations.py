"""Destinations: every way of writing a forbidden address is refused, naming it."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from authorizations.http import (
    OutboundError,
    OutboundRefused,
    check_destination,
    send,
)

ALLOW = "to OUTBOUND_ALLOWED_NETWORKS to allow it"

# (host as written in the URL, the whole message)
LITERALS = [
    ("127.0.0.1", f"refused: 127.0.0.1 is a loopback address; add it {ALLOW}"),
    ("127.53.0.9", f"refused: 127.53.0.9 is a loopback address; add it {ALLOW}"),
    ("10.0.0.5", f"refused: 10.0.0.5 is a private address; add it {ALLOW}"),
    ("172.16.3.4", f"refused: 172.16.3.4 is a private address; add it {ALLOW}"),
    ("192.168.1.1", f"refused: 192.168.1.1 is a private address; add it {ALLOW}"),
    ("169.254.1.1", f"refused: 169.254.1.1 is a link-local address; add it {ALLOW}"),
    (
        "100.64.0.1",
        f"refused: 100.64.0.1 is a shared (carrier-grade NAT) address; add it {ALLOW}",
    ),
    ("224.0.0.251", f"refused: 224.0.0.251 is a multicast address; add it {ALLOW}"),
    ("240.0.0.1", f"refused: 240.0.0.1 is a reserved address; add it {ALLOW}"),
    (
        "255.255.255.255",
        f"refused: 255.255.255.255 is a reserved address; add it {ALLOW}",
    ),
    ("192.0.2.10", f"refused: 192.0.2.10 is a reserved address; add it {ALLOW}"),
    ("0.0.0.0", f"refused: 0.0.0.0 is an unspecified address; add it {ALLOW}"),
    # The same addresses written the ways inet_aton reads them.
    (
        "2130706433",
        f"refused: 2130706433 is 127.0.0.1, a loopback address; add 127.0.0.1 {ALLOW}",
    ),
    (
        "0177.0.0.1",
        f"refused: 0177.0.0.1 is 127.0.0.1, a loopback address; add 127.0.0.1 {ALLOW}",
    ),
    (
        "0x7f.1",
        f"refused: 0x7f.1 is 127.0.0.1, a loopback address; add 127.0.0.1 {ALLOW}",
    ),
    (
        "0x7f000001",
        f"refused: 0x7f000001 is 127.0.0.1, a loopback address; add 127.0.0.1 {ALLOW}",
    ),
    (
        "127.1",
        f"refused: 127.1 is 127.0.0.1, a loopback address; add 127.0.0.1 {ALLOW}",
    ),
    (
        "10.1",
        f"refused: 10.1 is 10.0.0.1, a private address; add 10.0.0.1 {ALLOW}",
    ),
    (
        "0",
        f"refused: 0 is 0.0.0.0, an unspecified address; add 0.0.0.0 {ALLOW}",
    ),
    # IPv6.
    ("[::1]", f"refused: ::1 is a loopback address; add it {ALLOW}"),
    ("[::]", f"refused: :: is an unspecified address; add it {ALLOW}"),
    ("[fe80::1]", f"refused: fe80::1 is a link-local address; add it {ALLOW}"),
    ("[fd12:3456::1]", f"refused: fd12:3456::1 is a private address; add it {ALLOW}"),
    ("[fec0::1]", f"refused: fec0::1 is a private address; add it {ALLOW}"),
    ("[ff02::1]", f"refused: ff02::1 is a multicast address; add it {ALLOW}"),
    ("[2001:db8::1]", f"refused: 2001:db8::1 is a reserved address; add it {ALLOW}"),
    ("[100::1]", f"refused: 100::1 is a reserved address; add it {ALLOW}"),
    # IPv6 addresses carrying an IPv4 one.
    (
        "[::ffff:127.0.0.1]",
        "refused: ::ffff:127.0.0.1 carries the IPv4 address 127.0.0.1 "
        f"(IPv4-mapped), a loopback address; add 127.0.0.1 {ALLOW}",
    ),
    (
        "[::ffff:7f00:1]",
        "refused: ::ffff:7f00:1 carries the IPv4 address 127.0.0.1 "
        f"(IPv4-mapped), a loopback address; add 127.0.0.1 {ALLOW}",
    ),
    (
        "[::ffff:0:a00:5]",
        "refused: ::ffff:0:a00:5 carries the IPv4 address 10.0.0.5 "
        f"(IPv4-translated), a private address; add 10.0.0.5 {ALLOW}",
    ),
    (
        "[::127.0.0.1]",
        "refused: ::127.0.0.1 carries the IPv4 address 127.0.0.1 "
        f"(IPv4-compatible), a loopback address; add 127.0.0.1 {ALLOW}",
    ),
    (
        "[2002:a00:5::1]",
        "refused: 2002:a00:5::1 carries the IPv4 address 10.0.0.5 (6to4), "
        f"a private address; add 10.0.0.5 {ALLOW}",
    ),
    (
        "[64:ff9b::7f00:1]",
        "refused: 64:ff9b::7f00:1 carries the IPv4 address 127.0.0.1 (NAT64), "
        f"a loopback address; add 127.0.0.1 {ALLOW}",
    ),
    (
        "[64:ff9b::192.168.0.1]",
        "refused: 64:ff9b::192.168.0.1 carries the IPv4 address 192.168.0.1 "
        f"(NAT64), a private address; add 192.168.0.1 {ALLOW}",
    ),
    (
        "[64:ff9b:1::a00:5]",
        "refused: 64:ff9b:1::a00:5 carries the IPv4 address 10.0.0.5 (NAT64), "
        f"a private address; add 10.0.0.5 {ALLOW}",
    ),
    (
        "[64:ff9b:1::808:808]",
        f"refused: 64:ff9b:1::808:808 is a local-use NAT64 address; add it {ALLOW}",
    ),
    (
        # Teredo: the client address is stored inverted (RFC 4380 §4).
        "[2001:0:4136:e378:8000:63bf:80ff:fffe]",
        "refused: 2001:0:4136:e378:8000:63bf:80ff:fffe carries the IPv4 address "
        f"127.0.0.1 (Teredo), a loopback address; add 127.0.0.1 {ALLOW}",
    ),
]

METADATA = [
    "169.254.169.254",
    "169.254.170.2",
    "100.100.100.200",
    "168.63.129.16",
    "[fd00:ec2::254]",
]


@pytest.mark.parametrize(("host", "message"), LITERALS)
def test_a_forbidden_address_is_refused_in_any_form(host, message):
    with pytest.raises(OutboundRefused) as refused:
        check_destination(f"http://{host}:8000/x")
    assert refused.value.kind == "refused"
    assert refused.value.message == message
    assert "OUTBOUND_ALLOWED_NETWORKS" in refused.value.hint


@pytest.mark.parametrize("host", METADATA)
def test_a_metadata_address_should_never_be_allowed(host):
    with pytest.raises(OutboundRefused) as refused:
        check_destination(f"http://{host}/latest/meta-data/")
    address = host.strip("[]")
    assert refused.value.message.startswith(
        f"refused: {address} is a cloud metadata address, which hands out the "
        "server's own cloud credentials; such an address should normally never "
        "be allowed"
    )
    assert refused.value.hint == ""


def test_a_metadata_address_carried_in_ipv6_is_named():
    with pytest.raises(OutboundRefused) as refused:
        check_destination("http://[::ffff:169.254.169.254]/")
    assert refused.value.message.startswith(
        "refused: ::ffff:169.254.169.254 carries the IPv4 address 169.254.169.254 "
        "(IPv4-mapped), a cloud metadata address"
    )


def test_a_network_allowing_link_local_does_not_open_the_metadata_address(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["169.254.0.0/16", "0.0.0.0/0"]
    assert check_destination("http://169.254.1.1/") == "169.254.1.1"
    with pytest.raises(OutboundRefused, match="cloud metadata"):
        check_destination("http://169.254.169.254/")
    settings.OUTBOUND_ALLOWED_NETWORKS = ["169.254.169.254/32"]
    assert check_destination("http://169.254.169.254/") == "169.254.169.254"


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("8.8.8.8", "8.8.8.8"),
        ("[2606:4700:4700::1111]", "2606:4700:4700::1111"),
        ("[::ffff:8.8.8.8]", "::ffff:808:808"),
        ("[64:ff9b::8.8.8.8]", "64:ff9b::808:808"),
        ("[2002:808:808::1]", "2002:808:808::1"),
        ("134744072", "8.8.8.8"),
    ],
)
def test_a_public_address_is_allowed(host, address):
    assert check_destination(f"https://{host}/") == address


@pytest.mark.parametrize(
    ("networks", "host"),
    [
        (["10.0.0.0/8"], "10.0.0.5"),
        (["10.0.0.5/32"], "10.0.0.5"),
        (["10.0.0.5"], "10.0.0.5"),
        (["127.0.0.1/32"], "[::ffff:127.0.0.1]"),
        (["127.0.0.1/32"], "[64:ff9b::7f00:1]"),
        (["127.0.0.1/32"], "2130706433"),
        (["::ffff:7f00:1/128"], "[::ffff:127.0.0.1]"),
        (["::1/128"], "[::1]"),
        (["fd00::/8"], "[fd12:3456::1]"),
        (["64:ff9b:1::/48"], "[64:ff9b:1::808:808]"),
    ],
)
def test_outbound_allowed_networks_allow_their_addresses(settings, networks, host):
    settings.OUTBOUND_ALLOWED_NETWORKS = networks
    check_destination(f"http://{host}/")


def test_an_allowed_network_allows_only_itself(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["10.0.0.0/24"]
    with pytest.raises(OutboundRefused, match="10.0.1.5 is a private address"):
        check_destination("http://10.0.1.5/")


def test_a_value_that_is_not_a_network_is_a_configuration_error(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["localhost"]
    with pytest.raises(ImproperlyConfigured, match='holds "localhost", which is not'):
        check_destination("http://8.8.8.8/")


def test_a_name_is_refused_by_the_address_it_resolves_to(resolver):
    resolver.answer("db.internal.example", ["10.0.0.5"])
    with pytest.raises(OutboundRefused) as refused:
        check_destination("https://db.internal.example/")
    assert refused.value.message == (
        "refused: db.internal.example resolves to 10.0.0.5, a private address; "
        f"add 10.0.0.5 {ALLOW}"
    )
    assert refused.value.hint == (
        "Only for a server the console is meant to call: set, in the console's "
        "environment, OUTBOUND_ALLOWED_NETWORKS=10.0.0.5/32 (a comma-separated "
        "list of networks)."
    )


def test_a_name_resolving_to_an_ipv6_carrying_a_bad_address_names_both(resolver):
    resolver.answer("sneaky.example", ["64:ff9b::a9fe:a9fe"])
    with pytest.raises(OutboundRefused) as refused:
        check_destination("https://sneaky.example/")
    assert refused.value.message.startswith(
        "refused: sneaky.example resolves to 64:ff9b::a9fe:a9fe, which carries the "
        "IPv4 address 169.254.169.254 (NAT64), a cloud metadata address"
    )


def test_one_bad_address_among_good_ones_refuses_the_host(resolver):
    # Picking the good address would leave the choice to the resolver's order
    # and the connection's fallbacks: the host is refused whole.
    resolver.answer("mixed.example", ["8.8.8.8", "127.0.0.1", "1.1.1.1"])
    with pytest.raises(OutboundRefused) as refused:
        check_destination("https://mixed.example/")
    assert refused.value.message == (
        "refused: mixed.example resolves to 127.0.0.1, a loopback address; "
        f"add 127.0.0.1 {ALLOW}"
    )


def test_a_name_of_good_addresses_returns_the_first(resolver):
    resolver.answer("api.example.test", ["8.8.8.8", "2606:4700:4700::1111"])
    assert check_destination("https://api.example.test/v1") == "8.8.8.8"
    assert resolver.asked == ["api.example.test"]


def test_an_international_name_is_resolved_as_sent(resolver):
    resolver.answer("xn--bcher-kva.example", ["10.0.0.7"])
    with pytest.raises(OutboundRefused, match="xn--bcher-kva.example resolves to"):
        check_destination("https://bücher.example/")


def test_a_name_that_does_not_resolve_is_a_connect_error(resolver, httpserver):
    resolver.answer("nowhere.example", [])
    with pytest.raises(OutboundError) as failed:
        send("GET", "https://nowhere.example/")
    assert not isinstance(failed.value, OutboundRefused)
    assert failed.value.kind == "connect"
    assert failed.value.message == (
        "The host nowhere.example could not be resolved (name or service not known)."
    )


@pytest.mark.parametrize(("host", "message"), LITERALS[:3] + LITERALS[12:14])
def test_send_to_a_forbidden_address_sends_nothing(raw_server, host, message):
    # The server listens on every loopback address; nothing reaches it.
    server = raw_server(lambda conn, request: None, host="127.0.0.1")
    with pytest.raises(OutboundRefused) as refused:
        send("GET", f"http://{host}:{server.port}/x")
    assert refused.value.message == message
    assert server.connections == 0


@pytest.mark.parametrize("host", ["a..example", "a" * 64 + ".example"])
def test_a_host_name_with_a_bad_label_is_not_a_url(host):
    with pytest.raises(OutboundRefused) as refused:
        check_destination(f"https://{host}/")
    assert refused.value.kind == "invalid_url"
    assert "is not a host name: each part between dots must hold 1 to 63" in (
        refused.value.message
    )
