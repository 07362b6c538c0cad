"""Servers on loopback for the HTTP client's tests, and a resolver to steer DNS.

``RawServer`` speaks HTTP by hand over a real socket, so a test can answer
the way no well-behaved server would: one byte at a time, a gzip bomb, a
certificate for another name.  Each records what it received.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Received:
    """One request as a server read it."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)


def read_request(conn: socket.socket) -> Received | None:
    """Read one request head and its Content-Length body; None if none came."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name, value.strip()))
    request = Received(method, target, headers, b"")
    length = int(request.header("Content-Length") or 0)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    request.body = body
    return request


Respond = Callable[[socket.socket, Received], None]


@dataclass
class RawServer:
    """Answer each connection with ``respond(connection, request)`` in a thread."""

    respond: Respond
    host: str = "127.0.0.1"
    port: int = 0
    tls: ssl.SSLContext | None = None
    # False: call ``respond(connection, None)`` at once, reading nothing (and
    # without TLS even when ``tls`` is set: the test speaks for the server).
    reads_request: bool = True
    requests: list[Received] = field(default_factory=list)
    server_names: list[str | None] = field(default_factory=list)
    connections: int = 0

    def start(self) -> RawServer:
        self._listener = socket.create_server((self.host, self.port))
        self.port = self._listener.getsockname()[1]
        self._listener.settimeout(0.1)
        self._stopping = threading.Event()
        if self.tls is not None:
            self.tls.sni_callback = self._record_server_name
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()
        return self

    def url(self, path: str = "/", *, host: str | None = None) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://{host or self.host}:{self.port}{path}"

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def _record_server_name(self, _sock, name, _context):
        self.server_names.append(name)

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:
            conn.settimeout(10)
            if not self.reads_request:
                self.respond(conn, None)
                return
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            request = read_request(conn)
            if request is None:
                return
            self.requests.append(request)
            self.respond(conn, request)


def reply(
    status: int = 200,
    body: bytes = b"ok",
    headers: list[tuple[str, str]] = (),
) -> Respond:
    """Answer every request with ``status``, ``headers`` and ``body``."""

    def respond(conn, _request):
        lines = [f"HTTP/1.1 {status} Whatever", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers]
        lines += ["Connection: close", "", ""]
        conn.sendall("\r\n".join(lines).encode("latin-1") + body)

    return respond


def drip(data: bytes, *, every: float) -> Respond:
    """Send ``data`` one byte at a time, ``every`` seconds apart."""

    def respond(conn, _request):
        for byte in data:
            conn.sendall(bytes([byte]))
            time.sleep(every)

    return respond


class FakeResolver:
    """Answer getaddrinfo for some names, each call taking the next answer.

    Other hosts (the numeric addresses urllib3 connects to) go to the real
    resolver, so only lookups of the names set here are steered; ``asked``
    records every host asked for, in order.
    """

    def __init__(self, real):
        self._real = real
        self._answers: dict[str, list[list[str]]] = {}
        self._delays: dict[str, float] = {}
        self.asked: list[str] = []

    def answer(self, name: str, *answers: list[str], after: float = 0) -> None:
        """Answer ``name`` with each list of addresses in turn, the last for good.

        ``after`` seconds pass before each answer, as with a slow resolver.
        """
        self._answers[name] = list(answers)
        self._delays[name] = after

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        self.asked.append(host)
        if host not in self._answers:
            return self._real(host, port, family, type, proto, flags)
        time.sleep(self._delays[host])
        queue = self._answers[host]
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        results = []
        for address in addresses:
            if ":" in address:
                results.append(
                    (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
                )
            else:
                results.append(
                    (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
                )
        return results


def tls_context(authority, *names: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(*names).configure_cert(context)
    return context
