import json
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from authorizations.models import Endpoint, Header
from tests.admin.forms import field_errors, form_data, submit
from tests.factories import (
    AuthorizationFactory,
    EndpointFactory,
    HeaderFactory,
    OAuth2AuthorizationFactory,
)

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:authorizations_endpoint_add")
FORM = "endpoint_form"


def change_url(endpoint):
    return reverse("admin:authorizations_endpoint_change", args=[endpoint.pk])


def header_rows(*rows, initial=0):
    """The POST fields a browser sends after clicking "Add Header" per row."""
    data = {"headers-TOTAL_FORMS": str(initial + len(rows))}
    for index, (name, value, position) in enumerate(rows, start=initial):
        data[f"headers-{index}-name"] = name
        data[f"headers-{index}-value"] = value
        data[f"headers-{index}-position"] = str(position)
    return data


def test_add_endpoint_with_headers(admin_client):
    authorization = OAuth2AuthorizationFactory()

    response = submit(
        admin_client,
        f"{ADD_URL}?authorization={authorization.pk}&kind=user_info",
        FORM,
        {
            "method": "GET",
            "url": "https://api.example.com/me?fields={{ query.fields }}",
            "body_format": "none",
            "response_template": '{"user_identity": "{{ response.email }}"}',
            **header_rows(
                ("Authorization", "Bearer {{ query.access_token }}", 1),
                ("Accept", "application/json", 0),
            ),
        },
    )

    assert response.status_code == 302
    # A plain Save returns to the authorization, where endpoints are listed.
    assert response["Location"] == authorization.get_absolute_url()
    endpoint = authorization.endpoints.get(kind="user_info")
    assert endpoint.method == "GET"
    assert endpoint.url == "https://api.example.com/me?fields={{ query.fields }}"
    assert endpoint.body_format == "none"
    assert endpoint.response_template == '{"user_identity": "{{ response.email }}"}'
    assert [(h.name, h.value) for h in endpoint.headers.all()] == [
        ("Accept", "application/json"),
        ("Authorization", "Bearer {{ query.access_token }}"),
    ]


def test_the_add_page_preselects_authorization_and_kind(admin_client):
    authorization = OAuth2AuthorizationFactory()

    page = admin_client.get(
        f"{ADD_URL}?authorization={authorization.pk}&kind=access_token"
    )

    data = form_data(page.content.decode(), FORM)
    assert data["authorization"] == str(authorization.pk)
    assert data["kind"] == "access_token"


def test_kind_choices_are_the_ones_the_type_uses(admin_client):
    authorization = AuthorizationFactory(type="api_key")

    response = admin_client.get(f"{ADD_URL}?authorization={authorization.pk}")

    choices = response.context["adminform"].form.fields["kind"].choices
    assert [key for key, _ in choices] == ["", "user_info", "revoke"]


def test_change_endpoint_and_its_headers(admin_client):
    endpoint = EndpointFactory()
    keep = HeaderFactory(endpoint=endpoint, name="Accept", value="a/b", position=0)
    gone = HeaderFactory(endpoint=endpoint, name="X-Old", value="1", position=1)
    page = admin_client.get(change_url(endpoint)).content.decode()
    rows = {form_data(page, FORM)[f"headers-{i}-id"]: i for i in range(2)}

    response = submit(
        admin_client,
        change_url(endpoint),
        FORM,
        {
            "method": "POST",
            "url": "https://api.example.com/v2/me",
            "body_format": "json",
            "request_template": '{"fields": "all"}',
            f"headers-{rows[str(keep.pk)]}-value": "application/json",
            f"headers-{rows[str(gone.pk)]}-DELETE": "on",
            **header_rows(("X-New", "{{ query.api_key }}", 5), initial=2),
        },
    )

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.method, endpoint.url, endpoint.body_format) == (
        "POST",
        "https://api.example.com/v2/me",
        "json",
    )
    assert endpoint.request_template == '{"fields": "all"}'
    assert [(h.name, h.value, h.position) for h in endpoint.headers.all()] == [
        ("Accept", "application/json", 0),
        ("X-New", "{{ query.api_key }}", 5),
    ]


def attribute(response, element_id: str, name: str) -> str | None:
    """Return an attribute of the element with `element_id`, as a browser reads it."""
    found = []

    class Finder(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if attrs.get("id") == element_id:
                found.append(attrs.get(name))

    Finder().feed(response.content.decode())
    [value] = found
    return value


def test_headers_inline_add_link_reads_add_header(admin_client):
    response = admin_client.get(change_url(EndpointFactory()))

    [headers] = response.context["inline_admin_formsets"]
    # What inlines.js reads: the group's data-inline-formset, as the page has it.
    options = json.loads(attribute(response, "headers-group", "data-inline-formset"))
    assert options == {
        "name": "#headers",
        "options": {
            "prefix": "headers",
            "addText": "Add Header",
            "deleteText": "Remove",
        },
    }
    assert headers.formset.extra == 0
    assert [field["name"] for field in headers.fields()] == [
        "name",
        "value",
        "position",
    ]


def test_the_endpoint_keeps_its_authorization(admin_client):
    endpoint = EndpointFactory()
    other = AuthorizationFactory()

    submit(admin_client, change_url(endpoint), FORM, {"authorization": other.pk})

    endpoint.refresh_from_db()
    assert endpoint.authorization != other


# Bad input: shown at the field, nothing written.


def assert_nothing_changed(endpoint, headers=()):
    url, method = endpoint.url, endpoint.method
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.method) == (url, method)
    assert list(endpoint.headers.values_list("name", "value")) == list(headers)


@pytest.mark.parametrize(
    ("name", "value", "field", "message"),
    [
        (
            "X Api Key",
            "abc",
            "name",
            '"X Api Key" is not a header name: header names cannot contain spaces '
            "(for example X-Api-Key).",
        ),
        (
            "X-Api-Key",
            "abc\r\nX-Injected: 1",
            "value",
            "A header value cannot contain a line break (CR or LF): it would split "
            "the request.",
        ),
        (
            "X-Api-Key",
            "abc\nX-Injected: 1",
            "value",
            "A header value cannot contain a line break (CR or LF): it would split "
            "the request.",
        ),
    ],
)
def test_bad_header_is_refused_at_its_field(admin_client, name, value, field, message):
    endpoint = EndpointFactory()

    response = submit(
        admin_client,
        change_url(endpoint),
        FORM,
        {"url": "https://changed.example.com", **header_rows((name, value, 0))},
    )

    assert field_errors(response, field, formset="headers") == [message]
    assert_nothing_changed(endpoint)


def test_method_that_is_not_http_is_refused(admin_client):
    endpoint = EndpointFactory()

    response = submit(
        admin_client,
        change_url(endpoint),
        FORM,
        {"method": "FETCH", **header_rows(("Accept", "a/b", 0))},
    )

    assert field_errors(response, "method") == ['"FETCH" is not an HTTP method.']
    assert_nothing_changed(endpoint)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "ftp://files.example.com/me",
            '"ftp://files.example.com/me" is not an http(s) URL: the console only '
            "calls http:// and https:// endpoints.",
        ),
        (
            "javascript:alert(1)",
            '"javascript:alert(1)" is not an http(s) URL: the console only calls '
            "http:// and https:// endpoints.",
        ),
        (
            "api.example.com/me",
            '"api.example.com/me" is not a URL: it must start with http:// or '
            "https:// (or with a template value such as {{ app.api_base_url }}).",
        ),
        ("", "Enter the URL this endpoint calls (http:// or https://)."),
    ],
)
def test_url_that_is_not_http_is_refused(admin_client, url, message):
    endpoint = EndpointFactory()

    response = submit(
        admin_client,
        change_url(endpoint),
        FORM,
        {"url": url, "method": "POST", **header_rows(("Accept", "a/b", 0))},
    )

    assert field_errors(response, "url") == [message]
    assert_nothing_changed(endpoint)


def test_kind_the_type_does_not_use_is_refused(admin_client):
    authorization = OAuth2AuthorizationFactory()
    before = Endpoint.objects.count()

    response = submit(
        admin_client,
        f"{ADD_URL}?authorization={authorization.pk}",
        FORM,
        {"kind": "request_token", "url": "https://api.example.com/request"},
    )

    assert field_errors(response, "kind") == [
        'An OAuth2.0 authorization does not use "request_token" endpoints; choose '
        "one of: User Information Endpoint, Access Token Endpoint, Revoke Endpoint."
    ]
    assert Endpoint.objects.count() == before


def test_second_endpoint_of_a_kind_is_refused(admin_client):
    endpoint = EndpointFactory(kind="user_info")
    before = Endpoint.objects.count()

    response = submit(
        admin_client,
        f"{ADD_URL}?authorization={endpoint.authorization_id}",
        FORM,
        {
            "kind": "user_info",
            "url": "https://api.example.com/other",
            **header_rows(("Accept", "a/b", 0)),
        },
    )

    assert field_errors(response, "kind") == [
        "This authorization already has a User Information Endpoint; edit that one "
        "instead."
    ]
    assert Endpoint.objects.count() == before
    assert not Header.objects.exists()


def test_new_endpoint_with_a_bad_header_writes_nothing(admin_client):
    authorization = AuthorizationFactory()

    response = submit(
        admin_client,
        f"{ADD_URL}?authorization={authorization.pk}&kind=user_info",
        FORM,
        {
            "url": "https://api.example.com/me",
            **header_rows(("Accept", "a/b", 0), ("Bad Name", "x", 1)),
        },
    )

    assert response.status_code == 200
    assert not authorization.endpoints.exists()
    assert not Header.objects.exists()
