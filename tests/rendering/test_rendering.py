"""Endpoint rendering: the request and the response mapping of real endpoints."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from time import perf_counter
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command

import twig
from authorizations import defaults
from authorizations.models import Authorization
from authorizations.rendering import (
    EndpointRenderError,
    RenderedRequest,
    render_endpoint_request,
    render_endpoint_response,
    render_header_value,
    render_request,
    render_response,
    render_url,
    template_context,
)
from authorizations.samples import BASECAMP_AUTHORIZATION, samples_for
from console.validators import MAX_HEADERS_PER_ENDPOINT
from twig import TemplateError

CATALOG = settings.BASE_DIR / "catalog"
NOW = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
REDIRECT = "https://console.example.com/oauth/callback"


def catalog_endpoint(slug: str, kind: str):
    call_command("import_apps", str(CATALOG / f"{slug}.yaml"), stdout=StringIO())
    authorization = Authorization.objects.get(app__slug=slug, name="OAuth2.0")
    return authorization.endpoints.get(kind=kind)


def context(**inputs):
    return template_context(**inputs)


# --- Basecamp, from the catalog --------------------------------------------------


@pytest.mark.django_db
def test_basecamp_token_request_sends_every_parameter_intact():
    endpoint = catalog_endpoint("basecamp", "access_token")
    inputs = samples_for("access_token")
    request = render_endpoint_request(endpoint, request_body=inputs["requestBody"])
    assert request.method == "POST"
    assert request.body is None
    assert request.headers == []
    parts = urlsplit(request.url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "launchpad.37signals.com",
        "/authorization/token",
    )
    body = inputs["requestBody"]
    # The guide's redirect_uri|raw: the provider still reads the exact URI.
    assert parse_qs(parts.query) == {
        "type": ["web_server"],
        "client_id": [body["client_id"]],
        "redirect_uri": [REDIRECT],
        "client_secret": [body["client_secret"]],
        "code": [body["code"]],
    }


@pytest.mark.django_db
def test_basecamp_user_info_request_and_identity():
    endpoint = catalog_endpoint("basecamp", "user_info")
    query = samples_for("user_info")["query"]
    request = render_endpoint_request(endpoint, query=query)
    assert request == RenderedRequest(
        method="GET",
        url="https://launchpad.37signals.com/authorization.json",
        headers=[("Authorization", f"Bearer {query['access_token']}")],
    )
    output, contract = render_endpoint_response(
        endpoint, response=BASECAMP_AUTHORIZATION, query=query
    )
    assert contract.ok
    assert contract.values == {"user_identity": "Jason Fried / jason@basecamp.com"}


@pytest.mark.django_db
def test_basecamp_token_response_maps_rfc6749_fields():
    endpoint = catalog_endpoint("basecamp", "access_token")
    response = samples_for("access_token")["response"]
    _, contract = render_endpoint_response(endpoint, response=response, now=NOW)
    assert contract.ok
    assert contract.values == {
        "access_token": response["access_token"],
        "refresh_token": response["refresh_token"],
        "expires_in": 3600,
        "expires_at": "2025-01-01T01:00:00+00:00",
    }


@pytest.mark.django_db
def test_basecamp_token_response_without_refresh_token_keeps_it_absent():
    endpoint = catalog_endpoint("basecamp", "access_token")
    _, contract = render_endpoint_response(
        endpoint, response={"access_token": "x", "expires_in": 1209600}, now=NOW
    )
    assert contract.ok
    assert "refresh_token" not in contract.values


# --- GoTo, from the catalog ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("grant", "expected"),
    [
        (
            "authorization_code",
            {
                "grant_type": ["authorization_code"],
                "code": ["SplxlOBeZQQYbYS6WxSbIA"],
                "redirect_uri": [REDIRECT],
            },
        ),
        (
            "refresh_token",
            {
                "grant_type": ["refresh_token"],
                "refresh_token": ["rt_tGzv3JOkF0XG5Qx2TlKWIA"],
            },
        ),
    ],
)
def test_goto_conditional_form_body_renders_both_branches(grant, expected):
    endpoint = catalog_endpoint("gotomeeting", "access_token")
    body = {**samples_for("access_token")["requestBody"], "grant_type": grant}
    request = render_endpoint_request(endpoint, request_body=body)
    assert request.content_type == "application/x-www-form-urlencoded"
    assert parse_qs(request.body) == expected
    # Content-Type is the endpoint's own header, not added a second time.
    assert [name for name, _ in request.headers] == ["Accept", "Content-Type"]
    assert len(request.warnings) == 1
    assert request.warnings[0].startswith("Trailing comma at line ")


def test_a_trailing_comma_after_a_conditional_is_a_warning_not_an_error():
    source = (CATALOG / "gotomeeting.yaml").read_text()
    assert '"redirect_uri": "{{ requestBody.redirect_uri }}",\n' in source
    request = render_request(
        method="POST",
        url="https://api.getgo.com/oauth/v2/token",
        request_template=(
            "{\n{% if requestBody.grant_type == 'refresh_token' %}\n"
            '  "refresh_token": "{{ requestBody.refresh_token }}",\n'
            "{% else %}\n"
            '  "code": "{{ requestBody.code }}",\n'
            "{% endif %}\n}"
        ),
        body_format="json",
        headers=[],
        context=context(request_body={"code": "c"}),
    )
    assert request.body == '{"code": "c"}'
    assert request.warnings == [
        "Trailing comma at line 2, column 14 of the output; it was ignored, but "
        "strict JSON parsers refuse it."
    ]


# --- default templates -----------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "expected"),
    [("read write", {"scope": ["read write"]}), ("", {})],
)
def test_the_default_oauth2_token_request_asks_for_client_credentials(scope, expected):
    request = render_request(
        method="POST",
        url="https://p.example.com/token",
        request_template=defaults.OAUTH2_TOKEN_REQUEST,
        body_format="form",
        headers=[],
        context=context(
            request_body={
                "grant_type": "client_credentials",
                "scope": scope,
                "client_id": "id-1",
                "client_secret": "s-1",
            }
        ),
    )
    assert parse_qs(request.body) == {
        "grant_type": ["client_credentials"],
        **expected,
        "client_id": ["id-1"],
        "client_secret": ["s-1"],
    }


def test_the_default_oauth2_token_templates_render_to_their_contracts():
    inputs = samples_for("access_token")
    request = render_request(
        method="POST",
        url="https://p.example.com/token",
        request_template=defaults.OAUTH2_TOKEN_REQUEST,
        body_format="form",
        headers=[],
        context=context(request_body=inputs["requestBody"]),
    )
    assert parse_qs(request.body)["redirect_uri"] == [REDIRECT]
    assert request.headers == [("Content-Type", "application/x-www-form-urlencoded")]
    _, contract = render_response(
        kind="access_token",
        response_template=defaults.OAUTH2_TOKEN_RESPONSE,
        context=context(response=inputs["response"], with_response=True),
        now=NOW,
    )
    assert contract.ok, contract.errors
    assert contract.values["token_type"] == "Bearer"
    assert contract.values["scope"] == "read write"


USER_INFO_RESPONSE = """\
{
  "user_identity": "{{ response.email }}",
  "account_id": "{{ response.id }}"
}
"""


def test_a_user_info_template_quoting_a_numeric_id_turns_it_into_text():
    _, contract = render_response(
        kind="user_info",
        response_template=USER_INFO_RESPONSE,
        context=context(
            response={"email": "a@example.com", "id": 42}, with_response=True
        ),
    )
    assert contract.values == {"user_identity": "a@example.com", "account_id": "42"}


# --- parts ---------------------------------------------------------------------------


def test_response_extras_become_an_object_in_the_contract():
    _, contract = render_response(
        kind="access_token",
        response_template=(
            '{"access_token": "{{ response.access_token }}", '
            '"extras": {{ response.extras }}}'
        ),
        context=context(
            response={"access_token": "t", "extras": {"team": {"id": 7}}},
            with_response=True,
        ),
    )
    assert contract.values == {"access_token": "t", "extras": {"team": {"id": 7}}}


def test_a_first_name_with_quote_and_newline_reaches_the_identity_intact():
    _, contract = render_response(
        kind="user_info",
        response_template='{"user_identity": "{{ response.first_name }} Smith"}',
        context=context(response={"first_name": 'O"Brien\n'}, with_response=True),
    )
    assert contract.values["user_identity"] == 'O"Brien\n Smith'


def test_a_url_must_end_up_http_with_a_host():
    assert render_url("https://a.example.com/x", {}) == "https://a.example.com/x"
    for source, message in [
        ("", "The URL is empty."),
        ("ftp://a.example.com/", "The URL must start with http:// or https://"),
        ("https:///path", "has no host name"),
        ("https://a.example.com/a b", "contains a space"),
        ("{{ u|raw }}", "The URL must start with http:// or https://"),
    ]:
        with pytest.raises(TemplateError) as caught:
            render_url(source, {"u": "javascript:alert(1)"})
        assert message in caught.value.message


def test_a_header_value_with_a_line_break_names_the_header():
    with pytest.raises(TemplateError) as caught:
        render_header_value(
            name="Authorization",
            source="Bearer {{ query.access_token }}",
            context=context(query={"access_token": "a\r\nX-Injected: 1"}),
        )
    assert caught.value.message.startswith(
        'Header "Authorization": {{ query.access_token }} gave a line break'
    )


def test_a_header_template_trailing_newline_is_trimmed():
    value = render_header_value(name="Accept", source="application/json\n", context={})
    assert value == "application/json"


def test_render_request_reports_every_failing_field():
    with pytest.raises(EndpointRenderError) as caught:
        render_request(
            method="FETCH",
            url="{{ query.url }}/x",
            request_template='{"a": }',
            body_format="json",
            headers=[
                {"name": "X Bad", "value": "1"},
                {"name": "X-Ok", "value": "{{ a"},
            ],
            context=context(query={"url": "ftp://x"}),
        )
    fields = [problem.field for problem in caught.value.problems]
    assert fields == [
        "method",
        "url",
        "headers.0.name",
        "headers.1.value",
        "request_template",
    ]


def test_a_template_error_in_the_response_is_a_contract_error():
    output, contract = render_response(
        kind="user_info", response_template="{{ response.a|nope }}", context={}
    )
    assert output == ""
    assert not contract.ok
    assert 'Unknown "nope" filter' in contract.errors[0]


def test_app_and_authorization_settings_never_carry_secrets():
    built = template_context(
        app={"api_base_url": "https://a.example.com", "api_key": "k"},
        authorization={"client_id": "id", "client_secret": "s", "scopes": "a"},
    )
    assert built["app"] == {"api_base_url": "https://a.example.com"}
    assert built["authorization"] == {"client_id": "id", "scopes": "a"}
    assert "response" not in built


def test_a_line_break_written_by_the_header_template_itself_is_refused():
    with pytest.raises(TemplateError) as caught:
        render_header_value(name="X-Two", source="a\nb", context={})
    assert caught.value.message.startswith('Header "X-Two": The value has a line break')


# --- one budget per endpoint -----------------------------------------------------

# A billion iterations over small ranges: nothing but time stops it.
HEAVY = (
    "{% for i in 1..1000 %}{% for j in 1..1000 %}{% for k in 1..1000 %}"
    "{% endfor %}{% endfor %}{% endfor %}"
)


def test_all_templates_of_a_request_share_one_time_limit():
    headers = [
        {"name": f"X-Heavy-{index}", "value": f"{HEAVY}{{# {index} #}}"}
        for index in range(MAX_HEADERS_PER_ENDPOINT)
    ]
    with twig.bounds(time=0.3):
        started = perf_counter()
        with pytest.raises(EndpointRenderError) as caught:
            render_request(
                method="POST",
                url="https://api.example.com/" + HEAVY,
                request_template=HEAVY,
                body_format="json",
                headers=headers,
                context={},
            )
        elapsed = perf_counter() - started

    # Before, each of the 52 templates had 0.3 s of its own.
    assert elapsed < 5 * 0.3
    [problem] = caught.value.problems
    assert problem.field == "url"
    assert problem.message == (
        "The endpoint's templates together exceeded their time limit (0.3 s) in "
        "this one, so it and the ones after it were not rendered; simplify its "
        "loops."
    )


def test_more_headers_than_an_endpoint_may_have_are_refused_before_any_renders():
    headers = [
        {"name": f"X-{index}", "value": "{{ x|no_such_filter }}"}
        for index in range(MAX_HEADERS_PER_ENDPOINT + 1)
    ]
    with pytest.raises(EndpointRenderError) as caught:
        render_request(
            method="GET",
            url="ftp://not-rendered.example.com/",
            request_template="",
            body_format="none",
            headers=headers,
            context={},
        )
    # Neither the URL nor any header was rendered: their errors are absent.
    assert [(p.field, p.message) for p in caught.value.problems] == [
        (
            "headers",
            f"An endpoint has at most {MAX_HEADERS_PER_ENDPOINT} headers; this one "
            f"has {MAX_HEADERS_PER_ENDPOINT + 1}. Remove the headers it does not "
            "need.",
        )
    ]


def test_empty_header_rows_do_not_count_against_the_bound():
    headers = [
        {"name": f"X-{i}", "value": "1"} for i in range(MAX_HEADERS_PER_ENDPOINT)
    ]
    headers += [{"name": "", "value": " "}] * 3
    request = render_request(
        method="GET",
        url="https://api.example.com/",
        request_template="",
        body_format="none",
        headers=headers,
        context={},
    )
    assert len(request.headers) == MAX_HEADERS_PER_ENDPOINT


@pytest.mark.parametrize(
    ("character", "name"),
    [
        ("\x00", "a NUL character (U+0000)"),
        ("\t", "a tab"),
        ("\n", "a line break (LF)"),
        ("\x7f", "a control character (U+007F)"),
        ("\u2028", "a space character (U+2028)"),
    ],
)
def test_a_url_names_the_character_it_cannot_hold(character, name):
    with pytest.raises(TemplateError) as caught:
        render_url("{{ u|raw }}", {"u": f"https://a.example.com/a{character}b"})
    assert f"contains {name}, which a URL cannot hold" in caught.value.message
