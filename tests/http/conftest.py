"""Fixtures of the HTTP client's tests: loopback allowed, servers, DNS answers."""

import socket

import pytest
import trustme

from tests.http.servers import FakeResolver, RawServer


@pytest.fixture
def loopback(settings):
    """Allow 127.0.0.1, as local development does; return the settings."""
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    return settings


@pytest.fixture
def raw_server():
    """Return a function starting a ``RawServer``; each is stopped afterwards."""
    started = []

    def start(respond, **options) -> RawServer:
        server = RawServer(respond, **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def resolver(monkeypatch) -> FakeResolver:
    """Steer DNS: ``resolver.answer("api.example.test", ["127.0.0.1"])``."""
    fake = FakeResolver(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return fake


@pytest.fixture(scope="module")
def authority():
    return trustme.CA()


@pytest.fixture
def trusted(authority, loopback, tmp_path):
    """Trust the test authority, as OUTBOUND_CA_BUNDLE would a private one."""
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    loopback.OUTBOUND_CA_BUNDLE = str(bundle)
    return loopback
