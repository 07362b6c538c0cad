"""Validators shared by the models, the admin forms and the config importer.

Each rule is on the model (a field validator) or is one function here, so the
admin, the importer and any later API refuse the same values with the same
words.  The limits are documented in docs/config-format.md.
"""

import re
import unicodedata
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from twig import TemplateError, text_parts

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")

# Bounds shared by the admin, the importer, the preview and rendering
# (docs/templates.md): an endpoint sends at most this many headers, and a URL
# or a header value is at most this long.
MAX_HEADERS_PER_ENDPOINT = 50
MAX_URL_LENGTH = 8 * 1024
MAX_HEADER_VALUE_LENGTH = 8 * 1024
# Free text and secrets: far above any real description or client secret (a
# PEM private key is under 4,000 characters), far below what would slow a page.
MAX_DESCRIPTION_LENGTH = 10_000
MAX_SECRET_LENGTH = 10_000

# RFC 9110 §5.6.2: a field name is a token.
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
# Stands for a template's {{ … }} or {% … %} part in the literal skeleton of a
# URL: a noncharacter, neither a space, a control character nor "@/?#", so
# that written literally it could not hide a character the checks look for.
_CODE = "\uffff"
_AUTHORITY = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://([^/?#]*)")

_FROM_THE_URL = "the HTTP client sets it from the URL"
_FROM_THE_BODY = "the HTTP client sets it from the body it sends"
_CONNECTION = (
    "it belongs to one connection, which the HTTP client manages (RFC 9110 §7.6.1)"
)
_FOR_A_PROXY = "it is meant for a proxy, not for the API the endpoint calls"
# Header names an endpoint may not set, and why.  Host and the framing fields
# are derived from the URL and body, and a second, different value would make
# the request ambiguous (request smuggling); the hop-by-hop fields of RFC 9110
# §7.6.1 and RFC 9112 §9.6 describe the connection, not the request.
RESERVED_HEADERS = {
    "host": _FROM_THE_URL,
    "content-length": _FROM_THE_BODY,
    "transfer-encoding": _FROM_THE_BODY,
    "connection": _CONNECTION,
    "keep-alive": _CONNECTION,
    "proxy-connection": _CONNECTION,
    "te": _CONNECTION,
    "trailer": _CONNECTION,
    "upgrade": _CONNECTION,
    "proxy-authorization": _FOR_A_PROXY,
    "proxy-authenticate": _FOR_A_PROXY,
}


def describe_character(char: str) -> str:
    """Name a character a user cannot see: "a line break", "a NUL character"."""
    names = {
        "\x00": "a NUL character (U+0000)",
        "\n": "a line break (LF)",
        "\r": "a line break (CR)",
        "\t": "a tab",
        " ": "a space",
    }
    if char in names:
        return names[char]
    code = f"U+{ord(char):04X}"
    if unicodedata.category(char) == "Cc":
        return f"a control character ({code})"
    return f"a space character ({code})"


def validate_no_nul_character(value: str) -> None:
    """Refuse text holding a NUL, which PostgreSQL cannot store in text columns."""
    if "\x00" in value:
        raise ValidationError(
            "The text contains a NUL character (U+0000), which cannot be stored; "
            "remove it.",
            code="null_characters_not_allowed",
        )


def _is_space_or_control(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) == "Cc"


def template_literals(source: str) -> list[str] | None:
    """Return the literal text of a template: what it prints whatever its values.

    Text inside {{ … }}, {% … %} and {# … #} is left out, and a code part is
    kept as ``_CODE`` so that what surrounds it stays apart.  None when the
    template does not lex; its syntax error is reported by the template checks.
    """
    try:
        parts = text_parts(source)
    except TemplateError:
        return None
    return [_CODE if part is None else part for part in parts]


def validate_header_name(value: str) -> None:
    if not _HEADER_NAME.match(value):
        if any(ch.isspace() for ch in value):
            raise ValidationError(
                f'"{value}" is not a header name: header names cannot contain '
                "spaces (for example X-Api-Key).",
                code="header_name",
            )
        raise ValidationError(
            f'"{value}" is not a header name: use letters, digits and - _ . only '
            "(for example X-Api-Key).",
            code="header_name",
        )
    reason = RESERVED_HEADERS.get(value.lower())
    if reason:
        raise ValidationError(
            f'"{value}" cannot be set on an endpoint: {reason}.',
            code="reserved_header",
        )


def validate_no_line_break(value: str) -> None:
    """Refuse a header value that holds a character no header can carry."""
    if "\r" in value or "\n" in value:
        raise ValidationError(
            "A header value cannot contain a line break (CR or LF): it would "
            "split the request.",
            code="line_break",
        )
    # RFC 9110 §5.5: a field value holds no control character but the tab.
    bad = next(
        (ch for ch in value if unicodedata.category(ch) == "Cc" and ch != "\t"), None
    )
    if bad is not None:
        raise ValidationError(
            f"A header value cannot contain {describe_character(bad)}: a header "
            "cannot carry it.",
            code="control_character",
        )


def validate_header_value(value: str) -> None:
    """Refuse a header value that is too long, or literal text Latin-1 lacks.

    Only the literal text is checked for its characters; what a {{ … }} part
    prints is checked when the request is rendered.
    """
    if len(value) > MAX_HEADER_VALUE_LENGTH:
        raise ValidationError(
            f"A header value may be at most {MAX_HEADER_VALUE_LENGTH:,} characters "
            f"(8 KiB); this one has {len(value):,}.",
            code="header_value_length",
        )
    for literal in template_literals(value) or ():
        if literal == _CODE:
            continue
        try:
            literal.encode("latin-1")
        except UnicodeEncodeError as error:
            char = literal[error.start]
            raise ValidationError(
                f"A header value can only carry ISO-8859-1 (Latin-1) characters, "
                f'and "{char}" is not one: leave it out, or encode it (for example '
                "with |url_encode).",
                code="header_value_charset",
            ) from None


def validate_endpoint_headers(names: Sequence[str]) -> None:
    """Check an endpoint's headers together: how many, and no name twice.

    ``names`` are the header names in order.  Each error's ``params["index"]``
    is the header it concerns, or None for the whole list, so the admin and the
    importer can show it at that header.
    """
    errors = []
    if len(names) > MAX_HEADERS_PER_ENDPOINT:
        errors.append(
            ValidationError(
                "An endpoint can send at most %(limit)s headers; this one has "
                "%(count)s. Remove some.",
                code="too_many_headers",
                params={
                    "limit": MAX_HEADERS_PER_ENDPOINT,
                    "count": len(names),
                    "index": None,
                },
            )
        )
    # A request carries each header once: the HTTP client keeps one value per
    # name, case-insensitively (RFC 9110 §5.1), so a second one would be lost.
    first_by_name: dict[str, int] = {}
    for index, name in enumerate(names):
        key = (name or "").strip().lower()
        if not key:
            continue
        first = first_by_name.setdefault(key, index)
        if first != index:
            errors.append(
                ValidationError(
                    '"%(name)s" is already header %(first)s of this endpoint; a '
                    "request sends each header once: keep one of them.",
                    code="duplicate_header",
                    params={"name": name, "first": first + 1, "index": index},
                )
            )
    if errors:
        raise ValidationError(errors)


def _url_literal_problem(skeleton: str) -> ValidationError | None:
    """Check a URL's literal text: its characters, no user name or password."""
    for char in skeleton:
        # A NUL is refused, with its own words, by validate_no_nul_character.
        if char not in (_CODE, "\x00") and _is_space_or_control(char):
            return ValidationError(
                f"A URL cannot contain {describe_character(char)}: write a space "
                "as %20, and remove line breaks and other invisible characters.",
                code="url_character",
            )
    authority = _AUTHORITY.match(skeleton)
    if authority and "@" in authority.group(1):
        return ValidationError(
            "A URL cannot hold a user name or password (user:password@host): "
            "send credentials in a header such as Authorization, where logs and "
            "previews mask them.",
            code="url_userinfo",
        )
    return None


def validate_url_template(value: str) -> None:
    """Refuse a URL template whose literal text could never be a good URL.

    A template may start with a value (`{{ app.api_base_url }}/me`); that value is
    checked when the URL is rendered.  Spaces, control characters, a user name
    or password and a length over 8 KiB in the literal text are refused here.
    """
    text = value.strip()
    if not text:
        return
    if not text.startswith(("{{", "{%")):
        scheme = _SCHEME.match(text)
        if scheme is None:
            raise ValidationError(
                f'"{value}" is not a URL: it must start with http:// or https:// '
                "(or with a template value such as {{ app.api_base_url }}).",
                code="url_scheme",
            )
        if scheme.group(1).lower() not in ("http", "https"):
            raise ValidationError(
                f'"{value}" is not an http(s) URL: the console only calls http:// '
                "and https:// endpoints.",
                code="url_scheme",
            )
    # Surrounding whitespace is stripped when the URL is rendered.
    literals = template_literals(text)
    if literals is None:
        return
    skeleton = "".join(literals)
    problem = _url_literal_problem(skeleton)
    if problem is not None:
        raise problem
    length = len(skeleton.replace(_CODE, ""))
    if length > MAX_URL_LENGTH:
        raise ValidationError(
            f"A URL may be at most {MAX_URL_LENGTH:,} characters (8 KiB); this one "
            f"has {length:,} without its template values.",
            code="url_length",
        )


_HTTP_URL = URLValidator(schemes=["http", "https"])


def validate_http_url(value: str) -> None:
    """Refuse anything but an absolute http(s) URL, saying which rule failed."""
    validate_no_nul_character(value)
    scheme, _, _ = value.partition(":")
    if scheme.lower() not in ("http", "https"):
        raise ValidationError(
            f'"{value}" is not an http(s) URL: it must start with http:// or https://.',
            code="url_scheme",
        )
    problem = _url_literal_problem(value)
    if problem is not None:
        raise problem
    try:
        _HTTP_URL(value)
    except ValidationError:
        raise ValidationError(
            f'"{value}" is not a valid URL.', code="invalid"
        ) from None
