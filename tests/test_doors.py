"""The same rules at every door: what the admin refuses, the importer refuses,
in the same words, and neither stores anything.

Each case is posted through the endpoint's admin page, as a browser would, and
imported from a real file; a rule lives once, on the model or in one validator.
"""

import pytest
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils.html import escape

from authorizations.rendering import render_header_value
from configuration.schema import dump_document
from tests.admin.forms import field_errors, submit
from tests.configuration.helpers import database_state, run_command, write
from tests.factories import EndpointFactory, HeaderFactory
from twig import TemplateError

pytestmark = pytest.mark.django_db

FORM = "endpoint_form"
ENDPOINT = "apps[0].authorizations[0].endpoints.user_info"

USERINFO = (
    "A URL cannot hold a user name or password (user:password@host): send "
    "credentials in a header such as Authorization, where logs and previews mask "
    "them."
)
SPACE = (
    "A URL cannot contain a space: write a space as %20, and remove line breaks "
    "and other invisible characters."
)
TAB = SPACE.replace("a space:", "a tab:")
LATIN_1 = (
    'A header value can only carry ISO-8859-1 (Latin-1) characters, and "€" is '
    "not one: leave it out, or encode it (for example with |url_encode)."
)


def reserved(name: str, reason: str) -> str:
    return f'"{name}" cannot be set on an endpoint: {reason}.'


CONNECTION = (
    "it belongs to one connection, which the HTTP client manages (RFC 9110 §7.6.1)"
)

# (what, url, [(header name, value)], field at fault, message)
CASES = {
    "a user name and password in the URL": (
        "https://me:secret@api.example.com/me",
        [],
        "url",
        USERINFO,
    ),
    "a user name and password around template values": (
        "https://{{ query.username }}:{{ query.password }}@api.example.com/me",
        [],
        "url",
        USERINFO,
    ),
    "a space in the URL": ("https://api.example.com/me?q=a b", [], "url", SPACE),
    "a tab in the URL": ("https://api.example.com/a\tb", [], "url", TAB),
    "a control character in the URL": (
        "https://api.example.com/a\x07b",
        [],
        "url",
        SPACE.replace("a space:", "a control character (U+0007):"),
    ),
    "a control character next to a template value": (
        "https://api.example.com/{{ query.id }}\x01",
        [],
        "url",
        SPACE.replace("a space:", "a control character (U+0001):"),
    ),
    "a URL over 8 KiB": (
        "https://api.example.com/?q=" + "a" * 8200,
        [],
        "url",
        "A URL may be at most 8,192 characters (8 KiB); this one has 8,227 without "
        "its template values.",
    ),
    "Host": (
        "https://api.example.com/me",
        [("Host", "evil.example")],
        "headers.0.name",
        reserved("Host", "the HTTP client sets it from the URL"),
    ),
    "Content-Length": (
        "https://api.example.com/me",
        [("content-length", "0")],
        "headers.0.name",
        reserved("content-length", "the HTTP client sets it from the body it sends"),
    ),
    "Transfer-Encoding": (
        "https://api.example.com/me",
        [("Transfer-Encoding", "chunked")],
        "headers.0.name",
        reserved("Transfer-Encoding", "the HTTP client sets it from the body it sends"),
    ),
    "Connection": (
        "https://api.example.com/me",
        [("Connection", "close")],
        "headers.0.name",
        reserved("Connection", CONNECTION),
    ),
    "Keep-Alive": (
        "https://api.example.com/me",
        [("Keep-Alive", "timeout=5")],
        "headers.0.name",
        reserved("Keep-Alive", CONNECTION),
    ),
    "TE": (
        "https://api.example.com/me",
        [("TE", "trailers")],
        "headers.0.name",
        reserved("TE", CONNECTION),
    ),
    "Upgrade": (
        "https://api.example.com/me",
        [("Upgrade", "websocket")],
        "headers.0.name",
        reserved("Upgrade", CONNECTION),
    ),
    "Proxy-Authorization": (
        "https://api.example.com/me",
        [("Proxy-Authorization", "Basic abc")],
        "headers.0.name",
        reserved(
            "Proxy-Authorization",
            "it is meant for a proxy, not for the API the endpoint calls",
        ),
    ),
    "Proxy-Connection": (
        "https://api.example.com/me",
        [("Proxy-Connection", "keep-alive")],
        "headers.0.name",
        reserved("Proxy-Connection", CONNECTION),
    ),
    "Trailer": (
        "https://api.example.com/me",
        [("Trailer", "Expires")],
        "headers.0.name",
        reserved("Trailer", CONNECTION),
    ),
    "Proxy-Authenticate": (
        "https://api.example.com/me",
        [("Proxy-Authenticate", "Basic")],
        "headers.0.name",
        reserved(
            "Proxy-Authenticate",
            "it is meant for a proxy, not for the API the endpoint calls",
        ),
    ),
    "a control character in a header value": (
        "https://api.example.com/me",
        [("X-Bell", "a\x07b")],
        "headers.0.value",
        "A header value cannot contain a control character (U+0007): a header "
        "cannot carry it.",
    ),
    "a header value that is not Latin-1": (
        "https://api.example.com/me",
        [("X-Price", "€100")],
        "headers.0.value",
        LATIN_1,
    ),
    "a header value over 8 KiB": (
        "https://api.example.com/me",
        [("X-Big", "x" * 8193)],
        "headers.0.value",
        "A header value may be at most 8,192 characters (8 KiB); this one has 8,193.",
    ),
    "two Authorization headers": (
        "https://api.example.com/me",
        [
            ("Authorization", "Bearer {{ query.access_token }}"),
            ("Accept", "application/json"),
            ("authorization", "Basic abc"),
        ],
        "headers.2.name",
        '"authorization" is already header 1 of this endpoint; a request sends each '
        "header once: keep one of them.",
    ),
    "51 headers": (
        "https://api.example.com/me",
        [(f"X-Header-{number}", "1") for number in range(51)],
        "headers",
        "An endpoint can send at most 50 headers; this one has 51. Remove some.",
    ),
}


def admin_errors(response, field: str) -> list[str]:
    """The messages the endpoint page shows at `field` (`headers.N.name` …)."""
    if not field.startswith("headers"):
        return field_errors(response, field)
    (inline,) = [
        inline
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "headers"
    ]
    if field == "headers":
        return list(inline.formset.non_form_errors())
    _, number, name = field.split(".")
    return list(inline.formset.forms[int(number)].errors.get(name, []))


def header_rows(headers) -> dict[str, str]:
    data = {"headers-TOTAL_FORMS": str(len(headers)), "headers-INITIAL_FORMS": "0"}
    for number, (name, value) in enumerate(headers):
        data[f"headers-{number}-name"] = name
        data[f"headers-{number}-value"] = value
        data[f"headers-{number}-position"] = str(number)
    return data


def config_document(url: str, headers) -> dict:
    endpoint = {
        "method": "GET",
        "url": url,
        "body_format": "none",
        "request_template": "",
        "response_template": '{"user_identity": "{{ response.email }}"}',
        "headers": [{"name": name, "value": value} for name, value in headers],
    }
    authorization = {
        "name": "Main",
        "type": "api_key",
        "endpoints": {"user_info": endpoint},
    }
    return {
        "version": 1,
        "apps": [{"slug": "acme", "name": "Acme", "authorizations": [authorization]}],
    }


def config_file(url: str, headers) -> str:
    return dump_document(config_document(url, headers), fmt="yaml")


def import_problems(path: str) -> list[str]:
    with pytest.raises(CommandError) as error:
        run_command("import_apps", path)
    first, *problems = str(error.value).splitlines()
    assert first.startswith("Nothing was imported: ")
    return problems


@pytest.mark.parametrize(
    ("url", "headers", "field", "message"), CASES.values(), ids=CASES.keys()
)
def test_the_admin_refuses_it_at_its_field(admin_client, url, headers, field, message):
    endpoint = EndpointFactory()
    HeaderFactory(endpoint=endpoint, name="X-Kept", value="kept")
    change_url = reverse("admin:authorizations_endpoint_change", args=[endpoint.pk])
    before = database_state()

    response = submit(
        admin_client,
        change_url,
        FORM,
        {"url": url, **_after_the_stored_row(headers), "headers-0-DELETE": "on"},
    )

    shifted = _shift_header_field(field)
    assert admin_errors(response, shifted) == [message]
    assert escape(message) in response.content.decode()
    assert database_state() == before


def _after_the_stored_row(headers) -> dict[str, str]:
    """Rows posted after the endpoint's one stored header (row 0)."""
    data = {"headers-TOTAL_FORMS": str(len(headers) + 1)}
    for number, (name, value) in enumerate(headers, start=1):
        data[f"headers-{number}-name"] = name
        data[f"headers-{number}-value"] = value
        data[f"headers-{number}-position"] = str(number)
    return data


def _shift_header_field(field: str) -> str:
    # Row 0 of the page is the stored header; the case's rows follow it.
    if field.count(".") != 2:
        return field
    _, number, name = field.split(".")
    return f"headers.{int(number) + 1}.{name}"


@pytest.mark.parametrize(
    ("url", "headers", "field", "message"), CASES.values(), ids=CASES.keys()
)
def test_the_importer_refuses_it_at_its_path(in_tmp, url, headers, field, message):
    write(in_tmp / "acme.yaml", config_file(url, headers))
    before = database_state()

    problems = import_problems("acme.yaml")

    path = field.replace("headers.", "headers[").replace(".name", "].name")
    path = path.replace(".value", "].value")
    assert problems == [f"acme.yaml: {ENDPOINT}.{path}: {message}"]
    assert database_state() == before


def test_fifty_headers_and_template_values_are_fine_at_both_doors(in_tmp, admin_client):
    headers = [(f"X-Header-{number}", "{{ query.api_key }}") for number in range(50)]
    # A value may print anything: what it prints is checked when it is sent.
    url = "https://api.example.com/me?q={{ 'a b' }}&who={{ query.username }}@x"
    write(in_tmp / "acme.yaml", config_file(url, headers))

    result = run_command("import_apps", "acme.yaml")

    assert "acme: created" in result.stdout
    endpoint = EndpointFactory()
    response = submit(
        admin_client,
        reverse("admin:authorizations_endpoint_change", args=[endpoint.pk]),
        FORM,
        {"url": url, **header_rows(headers)},
    )
    assert response.status_code == 302
    assert endpoint.headers.count() == 50


def test_a_duplicate_header_can_be_fixed_by_deleting_one(admin_client):
    endpoint = EndpointFactory()
    HeaderFactory(endpoint=endpoint, name="Authorization", value="Bearer old")
    change_url = reverse("admin:authorizations_endpoint_change", args=[endpoint.pk])

    response = submit(
        admin_client,
        change_url,
        FORM,
        {
            "headers-TOTAL_FORMS": "2",
            "headers-0-DELETE": "on",
            "headers-1-name": "AUTHORIZATION",
            "headers-1-value": "Bearer {{ query.access_token }}",
            "headers-1-position": "0",
        },
    )

    assert response.status_code == 302
    assert list(endpoint.headers.values_list("name", "value")) == [
        ("AUTHORIZATION", "Bearer {{ query.access_token }}")
    ]


# -- NUL characters ----------------------------------------------------------

NUL = "The text contains a NUL character (U+0000), which cannot be stored; remove it."


@pytest.mark.parametrize(
    ("where", "field"),
    [
        ("app", "name"),
        ("app", "description"),
        ("authorization", "name"),
        ("authorization", "client_id"),
        ("authorization", "client_secret"),
        ("authorization", "scopes"),
        ("endpoint", "url"),
        ("endpoint", "request_template"),
        ("endpoint", "response_template"),
    ],
)
def test_a_nul_character_is_refused_by_the_importer(in_tmp, where, field):
    document = config_document("https://api.example.com/me", [])
    app = document["apps"][0]
    authorization = app["authorizations"][0]
    authorization["type"] = "oauth2"
    sections = {
        "app": (app, "apps[0]"),
        "authorization": (authorization, "apps[0].authorizations[0]"),
        "endpoint": (authorization["endpoints"]["user_info"], ENDPOINT),
    }
    section, path = sections[where]
    section[field] = "https://api.example.com/\x00" if field == "url" else "a\x00b"
    # JSON writes the NUL as \u0000: the file itself holds none.
    write(in_tmp / "acme.json", dump_document(document, fmt="json"))
    before = database_state()

    problems = import_problems("acme.json")

    assert f"acme.json: {path}.{field}: {NUL}" in problems
    assert database_state() == before


def test_a_nul_in_a_header_is_named_at_both_doors(in_tmp, admin_client):
    document = config_document("https://api.example.com/me", [("X-Key", "a\x00b")])
    write(in_tmp / "acme.json", dump_document(document, fmt="json"))

    assert import_problems("acme.json") == [
        f"acme.json: {ENDPOINT}.headers[0].value: A header value cannot contain a "
        "NUL character (U+0000): a header cannot carry it."
    ]

    endpoint = EndpointFactory()
    response = submit(
        admin_client,
        reverse("admin:authorizations_endpoint_change", args=[endpoint.pk]),
        FORM,
        header_rows([("X-Key", "a\x00b")]),
    )
    # Django's form fields refuse a NUL before the model sees it.
    assert admin_errors(response, "headers.0.value") == [
        "Null characters are not allowed."
    ]
    assert not endpoint.headers.exists()


def test_a_nul_printed_into_a_header_is_named_when_rendered():
    with pytest.raises(TemplateError) as caught:
        render_header_value(
            name="X-Key",
            source="{{ query.api_key }}",
            context={"query": {"api_key": "a\x00b"}},
        )

    assert caught.value.message == (
        'Header "X-Key": {{ query.api_key }} gave a NUL character, which cannot be '
        "sent in a header."
    )


# -- app and authorization settings ------------------------------------------

# (section, field, value, message)
SETTINGS_CASES = {
    "a user name and password in the API base URL": (
        "app",
        "api_base_url",
        "https://me:secret@api.example.com",
        USERINFO,
    ),
    "a space in the documentation URL": (
        "app",
        "docs_url",
        "https://docs.example.com/a b",
        SPACE,
    ),
    "a description over 10,000 characters": (
        "app",
        "description",
        "x" * 10_001,
        "Ensure this value has at most 10000 characters (it has 10001).",
    ),
    "a user name and password in the authorization URL": (
        "authorization",
        "authorize_url",
        "https://me:secret@login.example.com/authorize",
        USERINFO,
    ),
}


@pytest.mark.parametrize(
    ("section", "field", "value", "message"),
    SETTINGS_CASES.values(),
    ids=SETTINGS_CASES.keys(),
)
def test_settings_are_refused_alike_at_both_doors(
    in_tmp, admin_client, section, field, value, message
):
    document = config_document("https://api.example.com/me", [])
    app = document["apps"][0]
    authorization = app["authorizations"][0]
    authorization["type"] = "oauth2"
    if section == "app":
        app[field], path = value, f"apps[0].{field}"
    else:
        authorization[field], path = value, f"apps[0].authorizations[0].{field}"
    write(in_tmp / "acme.json", dump_document(document, fmt="json"))
    stored = EndpointFactory(authorization__type="oauth2").authorization
    before = database_state()

    assert import_problems("acme.json") == [f"acme.json: {path}: {message}"]

    if section == "app":
        url, form = reverse("admin:apps_app_change", args=[stored.app.pk]), "app_form"
    else:
        url = reverse("admin:authorizations_authorization_change", args=[stored.pk])
        form = "authorization_form"
    response = submit(admin_client, url, form, {field: value})
    assert field_errors(response, field) == [message]
    assert database_state() == before
