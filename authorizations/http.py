"""The one outgoing HTTP client: every request to a URL someone typed goes here.

A request is checked before anything is sent: the URL (http or https, no user
name or password, no invisible characters, at most 8 KiB), the headers (names
are tokens, no line breaks, none of the headers the client sets itself, none
twice) and the destination: the host is resolved once, every address it
resolves to must be a public one (or inside OUTBOUND_ALLOWED_NETWORKS), and
the connection goes to that checked address while the Host header, TLS SNI
and the certificate check keep the host name, so a DNS answer that changes
between the check and the connection cannot redirect it.

Redirects are followed here, each hop checked again; the connect and read
timeouts bound each step and a total deadline bounds the whole exchange; the
decoded body is read in bounded pieces up to a cap.  Proxies and .netrc from
the environment are ignored.  Only the method and scheme://host/path are
logged, at DEBUG.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import contextvars
import datetime as dt
import functools
import heapq
import http.client
import ipaddress
import itertools
import logging
import os
import re
import socket
import ssl
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import Message
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import DEFAULT_ACCEPT_ENCODING, default_user_agent
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool
from urllib3 import exceptions as urllib3_errors
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.util import parse_url

from authorizations import types
from authorizations.wording import excerpt
from console.validators import (
    MAX_HEADER_VALUE_LENGTH,
    MAX_URL_LENGTH,
    describe_character,
    validate_header_name,
    validate_no_line_break,
)

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 5
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
_CHUNK = 64 * 1024
_DEFAULT_PORTS = {"http": 80, "https": 443}
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


class OutboundError(Exception):
    """An outgoing request failed; ``message`` says why in plain words.

    ``kind`` is one of "refused", "invalid_url", "invalid_header", "connect",
    "timeout", "too_large", "too_many_redirects", "tls", "protocol".  ``hint``
    says how to fix it, or is "".  ``response`` is what had arrived before
    the failure (status, headers, the partial body), or None.
    """

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        hint: str = "",
        response: OutboundResponse | None = None,
    ):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.hint = hint
        self.response = response

    def __str__(self) -> str:
        return self.message


class OutboundRefused(OutboundError):
    """A rule refused the request: nothing was sent to that URL."""


@dataclass
class OutboundResponse:
    """What the server answered, the body decoded and capped."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    url: str
    address: str
    elapsed: float
    # The URLs that answered with a redirect, the requested one first.
    redirects: list[str] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        """Return the first value of the header ``name`` (any case), or None."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)

    def _content_type(self) -> Message:
        message = Message()
        message["Content-Type"] = self.header("Content-Type") or ""
        return message

    @property
    def content_type(self) -> str:
        """The media type, lower-cased and without parameters; "" if none."""
        value = self.header("Content-Type") or ""
        return value.split(";", 1)[0].strip().lower()

    @functools.cached_property
    def text(self) -> str:
        """The body decoded by the charset of Content-Type (UTF-8 by default).

        Decoded once, when first read: the body is complete by then.
        """
        charset = self._content_type().get_param("charset") or "utf-8"
        if not isinstance(charset, str):  # an RFC 2231 value
            charset = "utf-8"
        try:
            return self.body.decode(charset.strip(), errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


# --- the URL and the headers ------------------------------------------------


def loggable_url(url: str, *, path: bool = True) -> str:
    """Return scheme://host/path of ``url``: no query, fragment or user name.

    Without ``path``, scheme://host only: what goes to the log, since some
    APIs take their key in the path.  Characters that cannot be printed are
    escaped, so the text is safe to log or print to a terminal.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        port = f":{parts.port}" if parts.port is not None else ""
        text = f"{parts.scheme}://{host}{port}{parts.path if path else ''}"
    except ValueError:
        text = url.split("?", 1)[0].split("#", 1)[0].rsplit("@", 1)[-1]
    return "".join(
        char if char.isprintable() else f"\\u{ord(char):04x}"
        for char in excerpt(text, limit=200)
    )


def check_url(url: str, *, max_length: int | None = MAX_URL_LENGTH) -> None:
    """Refuse a URL the console may not send a request to; syntax only.

    Raise ``OutboundRefused`` (kind "invalid_url") unless ``url`` is an http
    or https URL with a host, without a user name or password, without white
    space or control characters, and at most ``max_length`` characters long
    (8 KiB; None for any length, which ``send`` never passes).
    """
    if not isinstance(url, str) or not url:
        raise _invalid_url("The URL is empty.")
    if max_length is not None and len(url) > max_length:
        raise _invalid_url(
            f"The URL is {len(url):,} characters long; a URL may be at most "
            f"{max_length:,} characters ({_size(max_length)})."
        )
    found = next(
        (char for char in url if char.isspace() or not char.isprintable()), None
    )
    if found is not None:
        raise _invalid_url(
            f'The URL "{loggable_url(excerpt(url))}" contains '
            f"{describe_character(found)}, which a URL cannot hold; remove it, or "
            "encode it (a space is %20)."
        )
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not one
    except ValueError as error:
        raise _invalid_url(f'"{excerpt(url)}" is not a URL: {error}.') from None
    if parts.scheme.lower() not in _DEFAULT_PORTS:
        raise _invalid_url(
            f'The URL must start with http:// or https://; it is "{excerpt(url)}".'
        )
    if "@" in parts.netloc:
        # The URL itself is not repeated: it holds the password.
        raise _invalid_url(
            "A URL cannot hold a user name or password (user:password@host): "
            "send credentials in a header such as Authorization, where logs and "
            "previews mask them."
        )
    if not host:
        raise _invalid_url(f'The URL "{excerpt(url)}" has no host name.')


def _invalid_url(message: str) -> OutboundRefused:
    return OutboundRefused("invalid_url", message)


def check_headers(headers: Sequence[tuple[str, str]]) -> None:
    """Refuse headers the console may not send, naming the header.

    Raise ``OutboundRefused`` (kind "invalid_header") for a name that is not
    an RFC 9110 token or is one the client sets itself (Host, Content-Length,
    the hop-by-hop headers), a value with a line break, NUL or other control
    character, a value over 8 KiB or outside ISO-8859-1, or a name given twice.
    """
    seen: dict[str, str] = {}
    for name, value in headers:
        try:
            validate_header_name(name)
        except ValidationError as error:
            raise _invalid_header(" ".join(error.messages)) from None
        if not isinstance(value, str):
            raise _invalid_header(f'Header "{name}": the value is not text.')
        if len(value) > MAX_HEADER_VALUE_LENGTH:
            raise _invalid_header(
                f'Header "{name}": the value is {len(value):,} characters long; '
                f"a header value may be at most {MAX_HEADER_VALUE_LENGTH:,} "
                "characters (8 KiB)."
            )
        try:
            validate_no_line_break(value)
        except ValidationError as error:
            raise _invalid_header(
                f'Header "{name}": {" ".join(error.messages)}'
            ) from None
        if value[:1] in (" ", "\t"):
            raise _invalid_header(
                f'Header "{name}": the value starts with {describe_character(value[0])}'
                ", which a header value cannot (RFC 9110 §5.5); remove it."
            )
        try:
            value.encode("latin-1")
        except UnicodeEncodeError as error:
            raise _invalid_header(
                f'Header "{name}": a header value can only carry ISO-8859-1 '
                f'(Latin-1) characters, and "{value[error.start]}" is not one; '
                "leave it out, or encode it (for example with |url_encode)."
            ) from None
        first = seen.setdefault(name.lower(), name)
        if first is not name:
            raise _invalid_header(
                f'The header "{name}" is given twice (as "{first}" first); a '
                "request sends each header once: keep one of them."
            )


def _invalid_header(message: str) -> OutboundRefused:
    return OutboundRefused("invalid_header", message)


# --- the destination -------------------------------------------------------

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# Instance metadata services hand out the machine's cloud credentials: the
# classic server-side request forgery target.  AWS (IMDS, ECS task and EKS
# pod identity, IPv6 IMDS), GCP, Azure (IMDS and the WireServer, a public
# address), OpenStack, DigitalOcean, Hetzner, Oracle, Alibaba, Tencent.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(text)
    for text in (
        "169.254.169.254",
        "169.254.170.2",
        "169.254.170.23",
        "169.254.169.253",
        "169.254.0.23",
        "168.63.129.16",
        "192.0.0.192",
        "100.100.100.200",
        "fd00:ec2::254",
        "fd00:ec2::23",
    )
)

# Each network that is not on the public internet, and the words for it.  The
# order matters only where networks nest: the first that holds an address
# names it.
_SPECIAL_NETWORKS: tuple[tuple[ipaddress._BaseNetwork, str], ...] = (
    (_V4("0.0.0.0/8"), "an unspecified address"),  # "this network", RFC 791
    (_V4("127.0.0.0/8"), "a loopback address"),
    (_V4("10.0.0.0/8"), "a private address"),
    (_V4("172.16.0.0/12"), "a private address"),
    (_V4("192.168.0.0/16"), "a private address"),
    (_V4("169.254.0.0/16"), "a link-local address"),
    (_V4("100.64.0.0/10"), "a shared (carrier-grade NAT) address"),  # RFC 6598
    (_V4("224.0.0.0/4"), "a multicast address"),
    (_V4("192.0.0.0/24"), "a reserved address"),  # IETF protocol assignments
    (_V4("192.0.2.0/24"), "a reserved address"),  # documentation
    (_V4("192.88.99.0/24"), "a reserved address"),  # 6to4 relays, RFC 7526
    (_V4("198.18.0.0/15"), "a reserved address"),  # benchmarking
    (_V4("198.51.100.0/24"), "a reserved address"),
    (_V4("203.0.113.0/24"), "a reserved address"),
    (_V4("240.0.0.0/4"), "a reserved address"),  # and the broadcast address
    (_V6("::/128"), "an unspecified address"),
    (_V6("::1/128"), "a loopback address"),
    (_V6("fe80::/10"), "a link-local address"),
    (_V6("fec0::/10"), "a private address"),  # site-local, RFC 3879
    (_V6("fc00::/7"), "a private address"),  # unique local, RFC 4193
    (_V6("ff00::/8"), "a multicast address"),
    (_V6("100::/64"), "a reserved address"),  # discard
    (_V6("2001:db8::/32"), "a reserved address"),  # documentation
    (_V6("2001:10::/28"), "a reserved address"),  # ORCHID
    (_V6("2001:20::/28"), "a reserved address"),  # ORCHIDv2
    (_V6("3fff::/20"), "a reserved address"),  # documentation, RFC 9637
)
# Only global unicast (RFC 4291 §2.4) is on the public IPv6 internet.
_V6_GLOBAL_UNICAST = _V6("2000::/3")

# Addresses that carry an IPv4 address inside an IPv6 one, and where.  A
# packet to one of these may end up at the IPv4 address it carries, so that
# address is the one judged.
_MAPPED = _V6("::ffff:0:0/96")  # RFC 4291 §2.5.5.2
_TRANSLATED = _V6("::ffff:0:0:0/96")  # SIIT, RFC 2765
_COMPATIBLE = _V6("::/96")  # deprecated, RFC 4291 §2.5.5.1
_SIX_TO_FOUR = _V6("2002::/16")  # RFC 3056: 2002:AABB:CCDD::
_NAT64 = _V6("64:ff9b::/96")  # RFC 6052
# RFC 8215: for translators inside a network, which choose the prefix length;
# read as the /96 most use, and refused unless allowed whatever it carries.
_LOCAL_NAT64 = _V6("64:ff9b:1::/48")


def _bits(value: int, start: int, end: int) -> int:
    """Return bits ``start`` to ``end`` (from the left) of a 128-bit value."""
    return (value >> (128 - end)) & ((1 << (end - start)) - 1)


def _embedded_ipv4(
    address: ipaddress.IPv6Address,
) -> list[tuple[ipaddress.IPv4Address, str]]:
    """Return the IPv4 addresses ``address`` carries, each with its form."""
    value = int(address)
    if address in _MAPPED:
        return [(ipaddress.IPv4Address(value & 0xFFFFFFFF), "IPv4-mapped")]
    if address in _TRANSLATED:
        return [(ipaddress.IPv4Address(value & 0xFFFFFFFF), "IPv4-translated")]
    if address in _COMPATIBLE and value > 1:  # :: and ::1 are their own
        return [(ipaddress.IPv4Address(value), "IPv4-compatible")]
    if address in _SIX_TO_FOUR:
        return [(ipaddress.IPv4Address(_bits(value, 16, 48)), "6to4")]
    if address in _NAT64 or address in _LOCAL_NAT64:
        return [(ipaddress.IPv4Address(value & 0xFFFFFFFF), "NAT64")]
    if address.teredo:
        _server, client = address.teredo
        return [(client, "Teredo")]
    return []


def _kind_of(address: ipaddress._BaseAddress) -> str | None:
    """Return the words for an address that is not public, or None."""
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    for network, words in _SPECIAL_NETWORKS:
        if address in network:
            return words
    if address.version == 6 and address not in _V6_GLOBAL_UNICAST:
        return "a reserved address"
    return None


def allowed_networks() -> list[ipaddress._BaseNetwork]:
    """Return OUTBOUND_ALLOWED_NETWORKS as networks; refuse one that is not."""
    networks = []
    for text in getattr(settings, "OUTBOUND_ALLOWED_NETWORKS", None) or ():
        try:
            networks.append(ipaddress.ip_network(str(text).strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f'OUTBOUND_ALLOWED_NETWORKS holds "{text}", which is not a network; '
                "write networks as CIDR, for example 127.0.0.1/32 or 10.0.0.0/8."
            ) from None
    return networks


def _allows(networks, address, *, exactly: bool = False) -> bool:
    """Tell whether a network holds ``address``; ``exactly``: names it alone."""
    return any(
        address in network and (not exactly or network.num_addresses == 1)
        for network in networks
    )


def _problems(address) -> list[tuple[ipaddress._BaseAddress, str, str | None]]:
    """Return (address judged, its words, the form carrying it) for each problem."""
    if address in METADATA_ADDRESSES:
        return [(address, "a cloud metadata address", None)]
    if address.version == 6:
        carried = _embedded_ipv4(address)
        problems = [
            (v4, words, form)
            for v4, form in carried
            if (words := _kind_of(v4)) is not None
        ]
        if not problems and address in _LOCAL_NAT64:
            return [(address, "a local-use NAT64 address", None)]
        if carried:
            return problems
    words = _kind_of(address)
    return [(address, words, None)] if words else []


def _refusal(host: str, address, networks) -> tuple[str, str] | None:
    """Return why ``address``, which ``host`` gave, may not be called, or None.

    The reason is a message and a hint.  A network of OUTBOUND_ALLOWED_NETWORKS
    allows an address when it holds it or the IPv4 address it carries, except
    that a metadata address is only allowed by a network naming it alone:
    allowing 169.254.0.0/16 for a link-local device must not open the
    credentials service.
    """
    for judged, words, form in _problems(address):
        metadata = words == "a cloud metadata address"
        if _allows(networks, judged, exactly=metadata) or (
            not metadata and _allows(networks, address)
        ):
            continue
        literal = _literal_address(host)
        if literal is None:  # a name
            subject, has = f"{host} resolves to {address},", " which"
        elif literal.version == 4 and host != str(literal):  # 0177.1, 2130706433
            subject, has = f"{host} is {address},", " which"
        else:
            subject, has = host, ""
        if form is not None:
            what = f"{subject}{has} carries the IPv4 address {judged} ({form}), {words}"
        elif subject == host:
            what = f"{host} is {words}"
        else:
            what = f"{subject} {words}"
        if metadata:
            message = (
                f"refused: {what}, which hands out the server's own cloud "
                "credentials; such an address should normally never be allowed "
                f"(only OUTBOUND_ALLOWED_NETWORKS naming exactly "
                f"{judged}/{judged.max_prefixlen} would allow it)"
            )
            return message, ""
        target = "it" if what.startswith(f"{judged} is ") else str(judged)
        return (
            f"refused: {what}; add {target} to OUTBOUND_ALLOWED_NETWORKS to allow it",
            "Only for a server the console is meant to call: set, in the console's "
            "environment, OUTBOUND_ALLOWED_NETWORKS="
            f"{judged}/{judged.max_prefixlen} (a comma-separated list of networks).",
        )
    return None


_LEGACY_PART = re.compile(r"^(0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*)$")


def _legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """Read ``host`` as the C library's inet_aton would, or return None.

    getaddrinfo takes 2130706433, 0177.0.0.1, 0x7f.1 and 127.1 for 127.0.0.1
    without asking DNS: the address is known here, and judged, all the same.
    """
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()  # a trailing dot, as in a fully qualified name
    if not 1 <= len(parts) <= 4 or not all(_LEGACY_PART.match(p) for p in parts):
        return None
    numbers = []
    for part in parts:
        if part[:2].lower() == "0x":
            numbers.append(int(part[2:] or "0", 16))
        elif len(part) > 1 and part.startswith("0"):
            numbers.append(int(part, 8))
        else:
            numbers.append(int(part))
    *leading, last = numbers
    if any(n > 255 for n in leading) or last >= 256 ** (4 - len(leading)):
        return None
    value = last
    for index, number in enumerate(leading):
        value |= number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _literal_address(host: str) -> ipaddress._BaseAddress | None:
    """Return the address ``host`` writes literally, in any form, or None."""
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host.strip("[]"))
        except ValueError:
            return None
    return _legacy_ipv4(host)


def _target(url: str) -> tuple[str, str, int, str]:
    """Return the scheme, host, port and Host header the request uses.

    The URL is normalised the way requests sends it (an international host
    name in IDNA), so the host judged is the host called.
    """
    prepared = requests.PreparedRequest()
    try:
        prepared.prepare_url(url, None)
        parsed = parse_url(prepared.url)
    except (requests.RequestException, urllib3_errors.LocationParseError) as error:
        raise _invalid_url(f'"{excerpt(url)}" is not a URL: {error}') from None
    scheme = (parsed.scheme or "").lower()
    if scheme not in _DEFAULT_PORTS or not parsed.host:
        check_url(url)  # says which
        raise _invalid_url(f'"{excerpt(url)}" is not an http(s) URL with a host.')
    port = parsed.port or _DEFAULT_PORTS[scheme]
    return scheme, parsed.host.strip("[]"), port, parsed.netloc


def _resolve(host: str, port: int, timeout: float) -> list[ipaddress._BaseAddress]:
    """Return every address ``host`` names, asking DNS once if it must."""
    literal = _literal_address(host)
    if literal is not None:
        return [literal]
    if ":" in host:
        raise _invalid_url(f'"{host}" is not an IPv6 address.')
    try:
        answers = _getaddrinfo_within(timeout, host, port)
    except UnicodeError:  # the IDNA codec: an empty label, or one too long
        raise _invalid_url(
            f'"{excerpt(host)}" is not a host name: each part between dots must '
            "hold 1 to 63 characters."
        ) from None
    except socket.gaierror as error:
        raise OutboundError(
            "connect",
            f"The host {host} could not be resolved ({_reason_of(error)}).",
            hint="Check the host name for a typo, and that it exists in DNS.",
        ) from None
    except TimeoutError:
        raise OutboundError(
            "timeout",
            f"The host {host} could not be resolved within {round(timeout, 1):g} s.",
            hint="Check the console's DNS resolver.",
        ) from None
    addresses = []
    for _family, _type, _proto, _name, sockaddr in answers:
        address = ipaddress.ip_address(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise OutboundError("connect", f"The host {host} could not be resolved.")
    return addresses


# Lookups run on a few reused threads: starting a thread per request costs
# more than a lookup answered from /etc/hosts or a local cache.  A lookup that
# hangs holds its thread until the C library gives up; with all of them held,
# later lookups wait in the queue and time out all the same.
_LOOKUP_THREADS = 8
_lookups: concurrent.futures.ThreadPoolExecutor | None = None
_lookups_lock = threading.Lock()


def _lookup_pool() -> concurrent.futures.ThreadPoolExecutor:
    global _lookups
    with _lookups_lock:
        if _lookups is None:
            _lookups = concurrent.futures.ThreadPoolExecutor(
                max_workers=_LOOKUP_THREADS, thread_name_prefix="outbound dns"
            )
        return _lookups


def _forget_lookup_pool() -> None:
    # A forked child (a Celery worker) has none of its parent's threads.
    global _lookups, _lookups_lock
    _lookups, _lookups_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_lookup_pool)


def _getaddrinfo_within(timeout: float, host: str, port: int) -> list:
    """Call getaddrinfo, giving up after ``timeout`` seconds.

    The C library's lookup cannot be interrupted, and its own retries can
    take longer than the whole exchange may: it runs on a thread of the
    lookup pool, which is left to finish alone when the time is up.
    """
    lookup = _lookup_pool().submit(
        socket.getaddrinfo, host, port, type=socket.SOCK_STREAM
    )
    try:
        return lookup.result(timeout=max(timeout, 0))
    except concurrent.futures.TimeoutError:
        lookup.cancel()  # if it has not started, it never will
        raise TimeoutError(host) from None


def check_destination(url: str, *, timeout: float | None = None) -> str:
    """Resolve the URL's host and return the address to connect to.

    Raise ``OutboundRefused`` (kind "refused") if any address the host
    resolves to is not public and no network of OUTBOUND_ALLOWED_NETWORKS
    allows it: a host that answers with one good and one bad address is
    refused, not narrowed to the good one.  Raise ``OutboundError`` (kind
    "connect") if the host does not resolve, and one of kind "timeout" if
    it does not within ``timeout`` seconds (OUTBOUND_CONNECT_TIMEOUT by
    default).
    """
    _scheme, host, port, _netloc = _target(url)
    if timeout is None:
        timeout = float(settings.OUTBOUND_CONNECT_TIMEOUT)
    return _destination(host, port, timeout)


def _destination(host: str, port: int, timeout: float) -> str:
    """``check_destination`` for a host and port already read from the URL."""
    networks = allowed_networks()
    addresses = _resolve(host, port, timeout)
    for address in addresses:
        reason = _refusal(host, address, networks)
        if reason is not None:
            message, hint = reason
            raise OutboundRefused("refused", message, hint=hint)
    return str(addresses[0])


# --- the connection ---------------------------------------------------------


class _Watchdog:
    """One thread that expires every exchange's deadline when its time is up.

    A thread (or ``threading.Timer``) per request would cost a thread start on
    every call; deadlines wait in a heap instead, earliest first.
    """

    def __init__(self):
        self._condition = threading.Condition()
        self._heap: list[tuple[float, int, _Deadline]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, deadline: _Deadline) -> None:
        with self._condition:
            entry = (deadline.ends, next(self._order), deadline)
            heapq.heappush(self._heap, entry)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="outbound deadlines", daemon=True
                )
                self._thread.start()
            elif self._heap[0] is entry:
                self._condition.notify()

    def _run(self) -> None:
        while True:
            with self._condition:
                while self._heap and self._heap[0][2].closed:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._condition.wait()
                    continue
                ends, _, deadline = self._heap[0]
                wait = ends - time.monotonic()
                if wait > 0:
                    self._condition.wait(wait)
                    continue
                heapq.heappop(self._heap)
            deadline.expire()


_watchdog = _Watchdog()


def _new_watchdog() -> None:
    # A forked child has no watchdog thread, and maybe a lock the parent's
    # thread held at the fork: it starts afresh.
    global _watchdog
    _watchdog = _Watchdog()


os.register_at_fork(after_in_child=_new_watchdog)


class _Deadline:
    """The total time an exchange may take, enforced from a second thread.

    Connect and read timeouts bound each wait on the socket, not their sum: a
    server sending one byte a second never trips them.  When the time is up,
    every connection of the exchange is shut down, which ends a blocked read
    (or TLS handshake) at once, and ``expired`` tells the reader why.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.started = time.monotonic()
        self.ends = self.started + seconds
        self.expired = False
        self.closed = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        _watchdog.add(self)

    def remaining(self) -> float:
        return self.seconds - (time.monotonic() - self.started)

    def watch(self, sock: socket.socket) -> None:
        """Keep a way to shut ``sock``'s connection down until ``close``.

        A duplicate of the socket, not the socket: wrapping it in TLS detaches
        the original object from the connection, and a closed descriptor's
        number may be reused by another thread's connection.  Shutting down
        the duplicate shuts down the connection under both.
        """
        # fromfd duplicates the descriptor, which an SSLSocket (a kept-alive
        # TLS connection, watched again by the next exchange) cannot dup().
        duplicate = socket.fromfd(sock.fileno(), sock.family, sock.type)
        with self._lock:
            self._sockets.append(duplicate)
            if self.expired:
                _shut_down(duplicate)

    def expire(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.expired = True
            for sock in self._sockets:
                _shut_down(sock)

    def close(self) -> None:
        """Stop the clock and let go of the connections."""
        with self._lock:
            self.closed = True
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()


def _shut_down(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the other end
        sock.shutdown(socket.SHUT_RDWR)


class _DeadlineSlot:
    """The deadline of the exchange a pool's connections currently serve.

    A kept-alive connection outlives its exchange: each exchange puts its own
    deadline here, and a connection is watched by it when it is next used.
    """

    def __init__(self, deadline: _Deadline | None = None):
        self.current = deadline


class _Watched:
    """A connection the current exchange's deadline can shut down."""

    def __init__(self, *args, deadline: _DeadlineSlot, **kwargs):
        super().__init__(*args, **kwargs)
        self._slot = deadline
        self._watched_by: _Deadline | None = None

    def _watch(self, sock) -> None:
        deadline = self._slot.current
        if deadline is not None and self._watched_by is not deadline:
            deadline.watch(sock)
            self._watched_by = deadline

    def _new_conn(self) -> socket.socket:
        # Watched from before the TLS handshake, which the deadline bounds too.
        sock = super()._new_conn()
        self._watch(sock)
        return sock

    def request(self, *args, **kwargs):
        if self.sock is not None:  # kept alive from an earlier exchange
            self._watch(self.sock)
        return super().request(*args, **kwargs)


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _PinnedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _PinnedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class PinnedAdapter(HTTPAdapter):
    """Connect to the checked ``address`` whatever the URL's host resolves to now.

    The pool's host is the address, so no second DNS lookup happens; the URL's
    host name stays the TLS server name, which sends it as SNI and makes
    OpenSSL verify the certificate against it (urllib3 leaves
    ``check_hostname`` on when no ``assert_hostname`` is given).  The Host
    header is set by ``send``.
    """

    def __init__(self, deadline: _Deadline, kept: KeepAlive | None = None):
        super().__init__(max_retries=0, pool_connections=1, pool_maxsize=1)
        self.address = ""
        self.target: tuple[str, str, int, str] | None = None  # the hop's _target
        self.kept = kept
        self.slot = kept.slot if kept is not None else _DeadlineSlot()
        self.slot.current = deadline
        self._pools: list[HTTPConnectionPool] = []

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        scheme, host, port, _netloc = self.target or _target(request.url)
        key = (scheme, self.address, port, host, verify)
        if self.kept is not None and key in self.kept.pools:
            return self.kept.pools[key]
        options = {"host": self.address, "port": port, "maxsize": 1}
        if scheme == "https":
            pool = _PinnedHTTPSPool(**options, server_hostname=host, deadline=self.slot)
        else:
            pool = _PinnedHTTPPool(**options, deadline=self.slot)
        if self.kept is not None:
            self.kept.pools[key] = pool
        else:
            self._pools.append(pool)
        return pool

    def close(self) -> None:
        super().close()
        for pool in self._pools:
            pool.close()
        self._pools.clear()


class KeepAlive:
    """Connections kept open between the requests of one flow.

    A flow's token exchange and user info call usually go to one host: the
    second reuses the first's connection (and its TLS session) when the host
    resolves to the same checked address.  In force within ``keep_alive()``,
    for the thread (or task) that entered it.
    """

    def __init__(self):
        self.pools: dict[tuple, HTTPConnectionPool] = {}
        self.slot = _DeadlineSlot()

    def close(self) -> None:
        for pool in self.pools.values():
            pool.close()
        self.pools.clear()


_kept_alive: contextvars.ContextVar[KeepAlive | None] = contextvars.ContextVar(
    "outbound_keep_alive", default=None
)


@contextlib.contextmanager
def keep_alive():
    """Keep connections open between the ``send`` calls of the block."""
    kept = KeepAlive()
    token = _kept_alive.set(kept)
    try:
        yield kept
    finally:
        _kept_alive.reset(token)
        kept.close()


# --- sending ---------------------------------------------------------------


def retry_after_seconds(value: str | None) -> float | None:
    """Read a Retry-After header: seconds from now, or None when it says none.

    It is either a number of seconds or an HTTP date (RFC 9110 §10.2.3).
    """
    value = (value or "").strip()
    if value.isdigit():
        return float(value)
    try:
        at = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return max((at - dt.datetime.now(dt.UTC)).total_seconds(), 0.0)


def _size(count: int) -> str:
    for unit, name in ((1024 * 1024, "MiB"), (1024, "KiB")):
        if count >= unit and count % unit == 0:
            return f"{count // unit} {name}"
    return f"{count:,} bytes"


def _find(error: BaseException, kind: type, test=None) -> BaseException | None:
    """Return the first exception of ``kind`` in ``error``'s chain of causes.

    requests and urllib3 wrap the error that happened in their own, by
    argument, ``reason``, cause or context; ``test`` narrows the search.
    """
    pending, seen = [error], set()
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kind) and (test is None or test(current)):
            return current
        pending.extend(
            item
            for item in (
                getattr(current, "reason", None),
                current.__cause__,
                current.__context__,
                *current.args,
            )
            if isinstance(item, BaseException)
        )
    return None


def _reason_of(error: BaseException) -> str:
    """Return the words of the failure underneath the wrappers, without a URL.

    The operating system's words when there are some ("connection refused"),
    else those of the first error that is not one of requests' or urllib3's
    wrappers (http.client's "Remote end closed connection without response").
    """
    os_error = _find(error, OSError, lambda e: e.strerror)
    if os_error is not None:
        return os_error.strerror.rstrip(".").lower()
    underneath = _find(
        error,
        BaseException,
        lambda e: type(e).__module__.split(".")[0] not in ("requests", "urllib3"),
    )
    found = underneath or error
    return str(found).rstrip(".") or type(found).__name__


def _tls_reason(error: BaseException) -> str:
    verification = _find(error, ssl.SSLCertVerificationError)
    if verification is not None:
        return verification.verify_message.rstrip(".")
    ssl_error = _find(error, ssl.SSLError)
    if ssl_error is not None and ssl_error.reason:
        return str(ssl_error.reason).replace("_", " ").lower()
    return _reason_of(error)


class _Exchange:
    """One call of ``send``: its settings, its deadline and its connections.

    No ``requests.Session``: its ``send`` reads the whole body of a redirect
    (``resolve_redirects`` touches ``response.content``, whatever its size),
    and with ``trust_env`` it takes proxies and .netrc credentials from the
    environment.  The adapter is called directly, with no proxies, and every
    header is set here.
    """

    def __init__(self, *, max_body: int | None):
        self.connect_timeout = float(settings.OUTBOUND_CONNECT_TIMEOUT)
        self.read_timeout = float(settings.OUTBOUND_READ_TIMEOUT)
        self.total_timeout = float(settings.OUTBOUND_TOTAL_TIMEOUT)
        self.max_body = int(
            settings.OUTBOUND_MAX_BODY_BYTES if max_body is None else max_body
        )
        self.verify = getattr(settings, "OUTBOUND_CA_BUNDLE", None) or True
        self.deadline = _Deadline(self.total_timeout)
        self.adapter = PinnedAdapter(self.deadline, _kept_alive.get())

    def close(self) -> None:
        self.adapter.close()
        self.deadline.close()

    def elapsed(self) -> float:
        return time.monotonic() - self.deadline.started

    def lookup_timeout(self, host: str) -> float:
        """Return how long a DNS lookup may take: as a connection, within the total."""
        remaining = self.deadline.remaining()
        if remaining <= 0:
            raise self.out_of_time(host)
        return min(self.connect_timeout, remaining)

    def out_of_time(self, host: str, response=None) -> OutboundError:
        return OutboundError(
            "timeout",
            f"The exchange with {host} took longer than {self.total_timeout:g} s, "
            "the most the console waits for a whole request (redirects and the "
            "response body included).",
            hint="Check that the API answers promptly; OUTBOUND_TOTAL_TIMEOUT sets "
            "the limit.",
            response=response,
        )

    def hop(self, prepared: requests.PreparedRequest, address: str, target):
        """Send one request to ``address``; return the response, body unread."""
        host = target[1]
        remaining = self.deadline.remaining()
        if remaining <= 0:
            raise self.out_of_time(host)
        self.adapter.address = address
        self.adapter.target = target
        timeout = (
            min(self.connect_timeout, remaining),
            min(self.read_timeout, remaining),
        )
        try:
            return self.adapter.send(
                prepared, stream=True, timeout=timeout, verify=self.verify, proxies={}
            )
        except requests.RequestException as error:
            raise self.failure(error, host, address) from None

    def failure(self, error, host: str, address: str, response=None):
        """Return the ``OutboundError`` for what requests or urllib3 raised."""
        if self.deadline.expired or self.deadline.remaining() <= 0:
            return self.out_of_time(host, response)
        where = host if host == address else f"{host} ({address})"
        if isinstance(error, requests.ConnectTimeout):
            return OutboundError(
                "timeout",
                f"{where} did not accept a connection within "
                f"{self.connect_timeout:g} s.",
                hint="Check the host and port, and that a firewall lets the "
                "console through; OUTBOUND_CONNECT_TIMEOUT sets the limit.",
            )
        if isinstance(error, requests.ReadTimeout) or _find(
            error, urllib3_errors.ReadTimeoutError
        ):
            waiting = "answer" if response is None else "send the rest of its answer"
            return OutboundError(
                "timeout",
                f"{where} did not {waiting} within {self.read_timeout:g} s.",
                hint="Check that the API is up; OUTBOUND_READ_TIMEOUT sets the limit.",
                response=response,
            )
        if isinstance(error, requests.exceptions.SSLError) or _find(
            error, urllib3_errors.SSLError
        ):
            return OutboundError(
                "tls",
                f"The TLS connection to {where} failed: {_tls_reason(error)}.",
                hint="Check that the server's certificate is valid for this host "
                "name and issued by a trusted authority.",
                response=response,
            )
        if _find(error, urllib3_errors.DecodeError):
            encoding = response.header("Content-Encoding") if response else None
            return OutboundError(
                "protocol",
                f"The response from {where} says its body is compressed "
                f'("{encoding}"), but it could not be decompressed.',
                response=response,
            )
        if response is None and _find(error, urllib3_errors.NewConnectionError):
            return OutboundError(
                "connect",
                f"Could not connect to {where}: {_reason_of(error)}.",
                hint="Check the host and port, and that the server is running.",
            )
        if response is None and not _find(error, http.client.RemoteDisconnected):
            invalid = _find(error, http.client.HTTPException)
            if invalid is not None:  # it answered, but not in HTTP
                return OutboundError(
                    "protocol",
                    f"{where} answered with something that is not valid HTTP "
                    f"({_reason_of(invalid)}).",
                    hint="Check the URL's scheme and port: is it an HTTP API?",
                )
        if response is None:
            message = f"{where} closed the connection without a valid answer"
        else:
            message = (
                f"The connection to {where} broke before the whole response arrived"
            )
        return OutboundError(
            "protocol", f"{message} ({_reason_of(error)}).", response=response
        )

    def read(self, response: requests.Response, result: OutboundResponse, host):
        """Read the decoded body into ``result``, within the cap and the time."""
        chunks: list[bytes] = []
        size = 0
        try:
            while not self.deadline.expired:
                # What has arrived, in bounded pieces: urllib3 decompresses at
                # most this much at a time, so a small compressed body cannot
                # swell in memory, and what was read stays when a read fails.
                wanted = min(_CHUNK, self.max_body + 1 - size)
                chunk = response.raw.read1(wanted, decode_content=True)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if size > self.max_body:
                    result.body = b"".join(chunks)[: self.max_body]
                    limit = _size(self.max_body)
                    raise OutboundError(
                        "too_large",
                        f"The response is larger than {limit}; the console reads "
                        f"at most {limit}.",
                        hint="Ask the API for less (a smaller page, fewer fields).",
                        response=result,
                    )
        except (urllib3_errors.HTTPError, OSError) as error:
            result.body = b"".join(chunks)
            raise self.failure(error, host, result.address, result) from None
        result.body = b"".join(chunks)
        if self.deadline.expired:
            # A socket shut down by the deadline can look like the end of a
            # body sent without a length.
            raise self.out_of_time(host, result)


def _default_headers() -> CaseInsensitiveDict:
    return CaseInsensitiveDict(
        {
            "User-Agent": default_user_agent(),
            "Accept-Encoding": DEFAULT_ACCEPT_ENCODING,
            "Accept": "*/*",
        }
    )


def _prepare(method, url, headers, body, auth):
    """Return the request for one hop, signed by ``auth`` if given, and its target.

    Prepared step by step as ``requests.Request.prepare`` does, without its
    cookie jar and hooks, which the console has no use for.
    """
    merged = _default_headers()
    for name, value in headers:
        merged[name] = value
    prepared = requests.PreparedRequest()
    try:
        prepared.prepare_method(method)
        prepared.prepare_url(url, None)
        prepared.prepare_headers(merged)
        prepared.prepare_body(body, None)
        prepared.prepare_auth(auth, url)
    except requests.RequestException as error:
        raise _invalid_url(f'"{excerpt(url)}" is not a URL: {error}') from None
    if isinstance(prepared.body, str):  # a signer may give the body back as text
        prepared.body = prepared.body.encode("utf-8")
        prepared.headers["Content-Length"] = str(len(prepared.body))
    target = _target(prepared.url)
    # The connection goes to an address, so the Host header is set here.
    prepared.headers = CaseInsensitiveDict({"Host": target[3], **prepared.headers})
    return prepared, target


def _origin(url: str) -> tuple[str, str, int]:
    scheme, host, port, _netloc = _target(url)
    return scheme, host, port


def _redirect_target(response: requests.Response, url: str) -> str | None:
    location = response.headers.get("Location")
    if response.status_code not in REDIRECT_STATUSES or not location:
        return None
    # http.client reads header bytes as Latin-1; servers send UTF-8.
    with contextlib.suppress(UnicodeError):
        location = location.encode("latin-1").decode("utf-8")
    return urljoin(url, location.strip()).split("#", 1)[0]


def send(
    method: str,
    url: str,
    *,
    headers: Sequence[tuple[str, str]] = (),
    body: str | bytes | None = None,
    auth: requests.auth.AuthBase | None = None,
    max_body: int | None = None,
    allow_redirects: bool = True,
) -> OutboundResponse:
    """Send a request under every rule of this module; return the response.

    ``headers`` are (name, value) pairs; a text ``body`` is sent as UTF-8.
    ``auth`` is applied to each hop (OAuth1 signs each one) until a redirect
    leads to another origin (scheme, host, port), from where on it and the
    Authorization and Cookie headers are left out.  301, 302 and 303 are
    followed with a GET without body, 307 and 308 with the same method and
    body, at most ``MAX_REDIRECTS`` of them.  The decoded body is at most
    ``max_body`` bytes (OUTBOUND_MAX_BODY_BYTES by default).

    Raise ``OutboundRefused`` when a rule refuses the request (nothing is sent
    to the URL refused), ``OutboundError`` when the exchange fails.
    """
    if not isinstance(method, str) or not _TOKEN.match(method):
        raise ValueError(f"{method!r} is not an HTTP method.")
    method = method.upper()
    headers = list(headers)
    check_headers(headers)
    check_url(url)
    data = body.encode("utf-8") if isinstance(body, str) else body
    exchange = _Exchange(max_body=max_body)
    redirects: list[str] = []
    previous: OutboundResponse | None = None
    try:
        while True:
            prepared, target = _prepare(method, url, headers, data, auth)
            _scheme, host, port, _netloc = target
            address = _destination(host, port, exchange.lookup_timeout(host))
            logger.debug("%s %s", method, loggable_url(prepared.url, path=False))
            response = exchange.hop(prepared, address, target)
            result = OutboundResponse(
                status=response.status_code,
                reason=response.reason or "",
                headers=list(response.raw.headers.items()),
                body=b"",
                url=prepared.url,
                address=address,
                elapsed=0.0,
                redirects=list(redirects),
            )
            try:
                exchange.read(response, result, host)
            except BaseException:
                response.close()  # a connection cut short is not reused
                raise
            # Read to its end: the connection may serve the next request
            # (within keep_alive()); otherwise its pool closes it.
            response.raw.release_conn()
            result.elapsed = exchange.elapsed()
            target = _redirect_target(response, prepared.url)
            if target is None or not allow_redirects:
                return result
            redirects.append(prepared.url)
            previous = result
            if len(redirects) > MAX_REDIRECTS:
                raise OutboundError(
                    "too_many_redirects",
                    f"The server redirected more than {MAX_REDIRECTS} times, "
                    f"last to {loggable_url(target)}; the console follows at most "
                    f"{MAX_REDIRECTS} redirects.",
                    hint="Call the final URL directly, or look for a redirect loop.",
                    response=result,
                )
            check_url(target)
            if _origin(target) != _origin(prepared.url):
                # Credentials belong to the origin they were given for, and
                # are not given back on a later hop, whichever origin it is:
                # every header the type registry calls a credential
                # (Authorization, Cookie, X-Api-Key, X-Auth-Token, …).
                auth = None
                headers = [
                    (name, value)
                    for name, value in headers
                    if not types.registry().is_secret_header(name)
                ]
            if response.status_code in (301, 302, 303) and method != "HEAD":
                # RFC 9110 §15.4.2-4: what browsers do, and what APIs expect.
                method, data = "GET", None
                headers = [
                    (name, value)
                    for name, value in headers
                    if name.lower() != "content-type"
                ]
            url = target
    except OutboundRefused as refused:
        if previous is not None:
            refused.message = (
                f"{refused.message} (a redirect from "
                f"{loggable_url(redirects[-1])} led there)"
            )
            refused.args = (refused.message,)
            refused.response = previous
        raise
    finally:
        exchange.close()


__all__ = [
    "MAX_REDIRECTS",
    "METADATA_ADDRESSES",
    "OutboundError",
    "OutboundRefused",
    "OutboundResponse",
    "KeepAlive",
    "PinnedAdapter",
    "allowed_networks",
    "check_destination",
    "keep_alive",
    "check_headers",
    "check_url",
    "loggable_url",
    "retry_after_seconds",
    "send",
]
