"""Save-time checks of an endpoint's templates, through real admin form posts."""

from html import unescape

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from authorizations.models import Endpoint
from tests.admin.forms import field_errors, submit
from tests.factories import EndpointFactory, HeaderFactory, OAuth2AuthorizationFactory

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:authorizations_endpoint_add")
FORM = "endpoint_form"

UNCLOSED = '{\n  "user_identity": "{{ response.identity.first_name '


def change_url(endpoint):
    return reverse("admin:authorizations_endpoint_change", args=[endpoint.pk])


def warnings_of(response) -> list[str]:
    return [
        str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"
    ]


def snapshot(endpoint):
    endpoint.refresh_from_db()
    return (
        endpoint.url,
        endpoint.request_template,
        endpoint.response_template,
        [(h.name, h.value) for h in endpoint.headers.all()],
        endpoint.updated_at,
    )


@pytest.mark.parametrize(
    ("field", "source", "expected"),
    [
        (
            "response_template",
            UNCLOSED,
            [
                'Line 2, column 21: Unclosed "variable".',
                # The form strips the trailing space, as Django's fields do.
                '  "user_identity": "{{ response.identity.first_name\n'
                "                    ^</pre>",
            ],
        ),
        (
            "request_template",
            '{"scope": "{{ requestBody.scope|shout }}"}',
            ['Line 1, column 33: Unknown "shout" filter.'],
        ),
        (
            "url",
            "https://api.example.com/me?t={{ now() }}",
            ['Line 1, column 33: Unknown "now" function.'],
        ),
        (
            "request_template",
            '{% include "x.twig" %}',
            ['Line 1, column 4: The "include" tag is not supported'],
        ),
        (
            # Jinja-only syntax is not Twig: Twig raises, so do we.
            "response_template",
            '{"user_identity": "{{ response.a if response.a else response.b }}"}',
            ['Unexpected token "name" of value "if"'],
        ),
    ],
)
def test_template_that_does_not_compile_is_refused_at_its_field(
    admin_client, field, source, expected
):
    endpoint = EndpointFactory(authorization=OAuth2AuthorizationFactory())
    before = snapshot(endpoint)

    response = submit(admin_client, change_url(endpoint), FORM, {field: source})

    errors = [unescape(e) for e in field_errors(response, field)]
    assert len(errors) == 1
    for part in expected:
        assert part in errors[0]
    # Shown at the field, with the offending line kept as written.
    html = response.content.decode()
    assert '<pre class="template-error-excerpt">' in html
    assert snapshot(endpoint) == before


def test_error_excerpt_is_escaped(admin_client):
    endpoint = EndpointFactory()
    source = "<script>alert(1)</script>{{ response.name|nope }}"

    response = submit(
        admin_client, change_url(endpoint), FORM, {"response_template": source}
    )

    assert field_errors(response, "response_template")
    html = response.content.decode()
    assert "<script>alert(1)</script>{{" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;{{ response.name|nope }}" in html


def test_header_value_that_does_not_compile_is_refused_at_the_header(admin_client):
    endpoint = EndpointFactory()
    header = HeaderFactory(endpoint=endpoint, value="Bearer {{ query.access_token }}")
    before = snapshot(endpoint)

    response = submit(
        admin_client,
        change_url(endpoint),
        FORM,
        {"headers-0-value": "Bearer {{ query.access_token|md5 }}"},
    )

    errors = [unescape(e) for e in field_errors(response, "value", formset="headers")]
    assert errors == [
        'Line 1, column 30: Unknown "md5" filter.'
        '<pre class="template-error-excerpt">'
        "Bearer {{ query.access_token|md5 }}\n"
        "                             ^</pre>"
    ]
    assert snapshot(endpoint) == before
    header.refresh_from_db()
    assert header.value == "Bearer {{ query.access_token }}"


def test_new_endpoint_with_a_syntax_error_writes_nothing(admin_client):
    authorization = OAuth2AuthorizationFactory()

    response = submit(
        admin_client,
        f"{ADD_URL}?authorization={authorization.pk}&kind=user_info",
        FORM,
        {
            "method": "GET",
            "url": "https://api.example.com/me",
            "body_format": "none",
            "response_template": UNCLOSED,
            "headers-TOTAL_FORMS": "1",
            "headers-0-name": "Authorization",
            "headers-0-value": "Bearer {{ query.access_token }}",
            "headers-0-position": "0",
        },
    )

    assert field_errors(response, "response_template")
    assert not Endpoint.objects.filter(authorization=authorization).exists()


def test_unknown_variables_are_warnings_after_the_save(admin_client):
    endpoint = EndpointFactory(
        authorization=OAuth2AuthorizationFactory(), kind="access_token"
    )
    HeaderFactory(endpoint=endpoint, name="X-Token", value="{{ query.acces_token }}")

    response = submit(
        admin_client,
        change_url(endpoint),
        FORM,
        {
            "url": "https://api.example.com/token?id={{ requestBody.clientid }}",
            "request_template": '{"code": "{{ requestBody.code }}"}',
            "response_template": '{"access_token": "{{ response.access_token }}"}',
        },
    )

    # Warnings never block the save.
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.url == "https://api.example.com/token?id={{ requestBody.clientid }}"
    assert warnings_of(response) == [
        "URL, line 1, column 37: `requestBody.clientid` is never provided to an "
        "Access Token Endpoint, so it prints empty. Did you mean `client_id`?",
        "Header X-Token, line 1, column 4: `query.acces_token` is never provided to "
        "an Access Token Endpoint, so it prints empty. Did you mean `access_token`?",
    ]


def test_response_outside_the_response_template_is_a_warning(admin_client):
    authorization = OAuth2AuthorizationFactory()

    response = submit(
        admin_client,
        f"{ADD_URL}?authorization={authorization.pk}&kind=user_info",
        FORM,
        {
            "method": "GET",
            "url": "https://api.example.com/users/{{ response.id }}",
            "body_format": "none",
            "response_template": '{"user_identity": "{{ response.email }}"}',
        },
    )

    assert response.status_code == 302
    assert authorization.endpoints.filter(kind="user_info").exists()
    (warning,) = warnings_of(response)
    assert warning.startswith("URL, line 1, column 34: `response` is only available")
    assert "response templates" in warning


def test_clean_templates_save_without_warnings(admin_client):
    endpoint = EndpointFactory(authorization=OAuth2AuthorizationFactory())

    response = submit(
        admin_client,
        change_url(endpoint),
        FORM,
        {
            "url": "{{ app.api_base_url }}/me?key={{ query.api_key }}",
            "response_template": (
                "{% set name = response.first ~ ' ' ~ response.last %}"
                '{"user_identity": "{{ name }}", '
                '"account_id": "{{ response.id }}",'
                '"extras": {{ response.teams|map(t => t.id)|json_encode|raw }}}'
            ),
        },
    )

    assert response.status_code == 302
    assert warnings_of(response) == []
