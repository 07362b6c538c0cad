"""Validators shared by the admin forms and the config importer."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")

# Bounds shared by the admin, the importer, the preview and rendering
# (docs/templates.md): an endpoint sends at most this many headers, and a URL
# or a header value is at most this long.
MAX_HEADERS_PER_ENDPOINT = 50
MAX_URL_LENGTH = 8 * 1024
MAX_HEADER_VALUE_LENGTH = 8 * 1024

# RFC 9110 §5.6.2: a field name is a token.
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")


def validate_header_name(value: str) -> None:
    if _HEADER_NAME.match(value):
        return
    if any(ch.isspace() for ch in value):
        raise ValidationError(
            f'"{value}" is not a header name: header names cannot contain spaces '
            "(for example X-Api-Key).",
            code="header_name",
        )
    raise ValidationError(
        f'"{value}" is not a header name: use letters, digits and - _ . only '
        "(for example X-Api-Key).",
        code="header_name",
    )


def validate_no_line_break(value: str) -> None:
    if "\r" in value or "\n" in value:
        raise ValidationError(
            "A header value cannot contain a line break (CR or LF): it would "
            "split the request.",
            code="line_break",
        )


def validate_url_template(value: str) -> None:
    """Refuse a URL template whose literal start is not http(s).

    A template may start with a value (`{{ app.api_base_url }}/me`); that value is
    checked when the URL is rendered.
    """
    text = value.strip()
    if not text or text.startswith(("{{", "{%")):
        return
    scheme = _SCHEME.match(text)
    if scheme is None:
        raise ValidationError(
            f'"{value}" is not a URL: it must start with http:// or https:// '
            "(or with a template value such as {{ app.api_base_url }}).",
            code="url_scheme",
        )
    if scheme.group(1).lower() not in ("http", "https"):
        raise ValidationError(
            f'"{value}" is not an http(s) URL: the console only calls http:// and '
            "https:// endpoints.",
            code="url_scheme",
        )


_HTTP_URL = URLValidator(schemes=["http", "https"])


def validate_http_url(value: str) -> None:
    """Refuse anything but an absolute http(s) URL, saying which rule failed."""
    scheme, _, _ = value.partition(":")
    if scheme.lower() not in ("http", "https"):
        raise ValidationError(
            f'"{value}" is not an http(s) URL: it must start with http:// or https://.',
            code="url_scheme",
        )
    try:
        _HTTP_URL(value)
    except ValidationError:
        raise ValidationError(
            f'"{value}" is not a valid URL.', code="invalid"
        ) from None


class HttpURLField(models.URLField):
    """A URL field that takes absolute http(s) URLs only, with one clear message.

    The stock URLField also takes ftp:// and says only "Enter a valid URL.";
    the console calls and links http(s) addresses only.
    """

    default_validators = [validate_http_url]
