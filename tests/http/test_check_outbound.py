"""check_outbound: the client's checks from the command line, sending nothing."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def run(*urls: str) -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command("check_outbound", *urls, stdout=out)
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


def test_an_allowed_url_prints_its_address_and_nothing_is_sent(httpserver, loopback):
    output, error = run(httpserver.url_for("/token?code=secret"))
    assert error is None
    assert output == f"http://127.0.0.1:{httpserver.port}/token  allowed 127.0.0.1\n"
    assert httpserver.log == []


def test_each_url_gets_a_line_and_any_refusal_fails(resolver, loopback):
    resolver.answer("api.example.test", ["8.8.8.8"])
    resolver.answer("intranet.example.test", ["10.1.2.3"])
    resolver.answer("gone.example.test", [])
    output, error = run(
        "https://api.example.test/v1",
        "https://intranet.example.test/",
        "http://[::ffff:169.254.169.254]/latest",
        "ftp://files.example.test/",
        "https://gone.example.test/",
    )
    assert output.splitlines() == [
        "https://api.example.test/v1  allowed 8.8.8.8",
        "https://intranet.example.test/  refused: intranet.example.test resolves "
        "to 10.1.2.3, a private address; add 10.1.2.3 to OUTBOUND_ALLOWED_NETWORKS "
        "to allow it",
        "http://[::ffff:169.254.169.254]/latest  refused: ::ffff:169.254.169.254 "
        "carries the IPv4 address 169.254.169.254 (IPv4-mapped), a cloud metadata "
        "address, which hands out the server's own cloud credentials; such an address "
        "should normally never be allowed (only OUTBOUND_ALLOWED_NETWORKS naming "
        "exactly 169.254.169.254/32 would allow it)",
        "ftp://files.example.test/  refused: The URL must start with http:// or "
        'https://; it is "ftp://files.example.test/".',
        "https://gone.example.test/  refused: The host gone.example.test could not "
        "be resolved (name or service not known).",
    ]
    assert error.returncode == 1
    assert str(error) == "4 of 5 URLs refused."


def test_a_url_needs_to_be_given():
    with pytest.raises(CommandError, match="URL"):
        call_command("check_outbound")
