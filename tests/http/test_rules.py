"""The URL and header rules: each refuses with its own words, before sending."""

import pytest

from authorizations.http import (
    OutboundRefused,
    check_headers,
    check_url,
    loggable_url,
    send,
)

URL_RULES = [
    ("", "The URL is empty."),
    ("ftp://api.example.com/x", "The URL must start with http:// or https://"),
    ("file:///etc/passwd", "The URL must start with http:// or https://"),
    ("gopher://127.0.0.1:6379/_FLUSHALL", "must start with http:// or https://"),
    ("//api.example.com/x", "The URL must start with http:// or https://"),
    ("https:///path", "has no host name"),
    ("https://user:pass@api.example.com/", "cannot hold a user name or password"),
    ("https://user@api.example.com/", "cannot hold a user name or password"),
    ("https://api.example.com/a b", "contains a space, which a URL cannot hold"),
    ("https://api.example.com/a\tb", "contains a tab"),
    ("https://api.example.com/a\nb", "contains a line break (LF)"),
    ("https://api.example.com/a\rb", "contains a line break (CR)"),
    ("https://api.example.com/a\x00b", "contains a NUL character (U+0000)"),
    ("https://api.example.com/a\x7fb", "contains a control character (U+007F)"),
    ("https://api.example.com/a\u00a0b", "contains a space character (U+00A0)"),
    ("https://api.example.com:99999/", "is not a URL: Port out of range"),
    ("https://[::1/", "is not a URL"),
    (
        "https://api.example.com/" + "a" * 8192,
        "The URL is 8,216 characters long; a URL may be at most 8,192 characters "
        "(8 KiB).",
    ),
]


@pytest.mark.parametrize(("url", "message"), URL_RULES)
def test_a_url_rule_refuses_with_its_words(url, message):
    with pytest.raises(OutboundRefused) as refused:
        check_url(url)
    assert refused.value.kind == "invalid_url"
    assert message in refused.value.message


def test_a_refused_url_with_a_password_does_not_repeat_it():
    with pytest.raises(OutboundRefused) as refused:
        check_url("https://user:hunter2@api.example.com/")
    assert "hunter2" not in refused.value.message


@pytest.mark.parametrize(
    "url",
    [
        "https://api.example.com/",
        "HTTP://API.EXAMPLE.COM/x?y=1#z",
        "http://127.0.0.1:8000/callback",
        "https://[2001:db8::1]:8443/x",
        "https://bücher.example/straße",
        "https://api.example.com/" + "a" * (8192 - 24),
    ],
)
def test_a_good_url_passes(url):
    check_url(url)


HEADER_RULES = [
    ([("X Api Key", "1")], '"X Api Key" is not a header name: header names cannot'),
    ([("X-Api-Key:", "1")], '"X-Api-Key:" is not a header name'),
    ([("", "1")], '"" is not a header name'),
    ([("X-\u00e9", "1")], "is not a header name"),
    ([("Host", "evil.example")], '"Host" cannot be set on an endpoint'),
    ([("content-length", "5")], '"content-length" cannot be set'),
    ([("Transfer-Encoding", "chunked")], '"Transfer-Encoding" cannot be set'),
    ([("Connection", "close")], '"Connection" cannot be set'),
    ([("Keep-Alive", "5")], '"Keep-Alive" cannot be set'),
    ([("TE", "trailers")], '"TE" cannot be set'),
    ([("Upgrade", "h2c")], '"Upgrade" cannot be set'),
    ([("Proxy-Authorization", "x")], '"Proxy-Authorization" cannot be set'),
    (
        [("X-A", "1\r\nX-Injected: 1")],
        'Header "X-A": A header value cannot contain a line break (CR or LF)',
    ),
    ([("X-A", "1\nb")], "cannot contain a line break"),
    ([("X-A", "1\x00b")], 'Header "X-A": A header value cannot contain a NUL'),
    ([("X-A", "1\x1bb")], "cannot contain a control character (U+001B)"),
    ([("X-A", " 1")], 'Header "X-A": the value starts with a space'),
    ([("X-A", "\u20ac")], 'Header "X-A": a header value can only carry ISO-8859-1'),
    (
        [("X-A", "a" * 8193)],
        'Header "X-A": the value is 8,193 characters long; a header value may be '
        "at most 8,192 characters (8 KiB).",
    ),
    (
        [("X-Api-Key", "1"), ("x-api-key", "2")],
        'The header "x-api-key" is given twice (as "X-Api-Key" first)',
    ),
]


@pytest.mark.parametrize(("headers", "message"), HEADER_RULES)
def test_a_header_rule_refuses_with_its_words(headers, message):
    with pytest.raises(OutboundRefused) as refused:
        check_headers(headers)
    assert refused.value.kind == "invalid_header"
    assert message in refused.value.message


def test_good_headers_pass():
    check_headers(
        [
            ("Authorization", "Bearer abc"),
            ("X-Empty", ""),
            ("Accept", "application/json"),
            ("X-Latin-1", "caf\u00e9"),
            ("X-Long", "a" * 8192),
        ]
    )


@pytest.mark.parametrize(("url", "message"), URL_RULES[1:8])
def test_send_refuses_a_url_before_sending(httpserver, loopback, url, message):
    with pytest.raises(OutboundRefused) as refused:
        send("GET", url.replace("api.example.com", f"127.0.0.1:{httpserver.port}"))
    assert message.split(":")[0] in refused.value.message
    assert httpserver.log == []


@pytest.mark.parametrize(("headers", "message"), HEADER_RULES)
def test_send_refuses_headers_before_sending(httpserver, loopback, headers, message):
    with pytest.raises(OutboundRefused) as refused:
        send("GET", httpserver.url_for("/"), headers=headers)
    assert message in refused.value.message
    assert httpserver.log == []


def test_a_loggable_url_has_no_query_fragment_or_password():
    url = "https://u:p@api.example.com:8443/v1/me?access_token=s3cret#frag"
    assert loggable_url(url) == "https://api.example.com:8443/v1/me"
    assert loggable_url("http://a.example/x\x1b[2J") == "http://a.example/x\\u001b[2J"
