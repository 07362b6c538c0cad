"""preview_endpoint: what the admin's live preview panel receives."""

from __future__ import annotations

import json
import shlex
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from django.conf import settings

from authorizations import types
from authorizations.rendering import preview_endpoint
from authorizations.samples import samples_for

CATALOG = settings.BASE_DIR / "catalog"


def catalog(slug: str, kind: str) -> dict:
    data = yaml.safe_load((CATALOG / f"{slug}.yaml").read_text())
    endpoint = data["apps"][0]["authorizations"][0]["endpoints"][kind]
    return {
        "kind": kind,
        "method": endpoint["method"],
        "url": endpoint["url"],
        "request_template": endpoint["request_template"],
        "response_template": endpoint["response_template"],
        "body_format": endpoint["body_format"],
        "headers": endpoint["headers"],
    }


def preview(**fields):
    fields.setdefault("samples", samples_for(fields["kind"]))
    return preview_endpoint(**fields)


def secret_values(samples: dict) -> list[str]:
    registry = types.registry()
    values = [
        value
        for key, value in samples["requestBody"].items()
        if key in registry.secret_request_fields
    ]
    values += [
        value
        for key, value in samples["query"].items()
        if key in registry.secret_query_fields
    ]
    response = samples["response"]
    values += [response[k] for k in ("access_token", "refresh_token") if k in response]
    return values


def test_the_shape_the_panel_expects():
    result = preview(**catalog("basecamp", "user_info"))
    assert set(result) == {
        "request",
        "output",
        "contract",
        "errors",
        "warnings",
        "curl",
    }
    assert set(result["request"]) == {"method", "url", "headers", "body"}
    assert set(result["contract"]) == {"ok", "values", "errors"}
    assert result["request"]["method"] == "GET"
    assert (
        result["request"]["url"] == "https://launchpad.37signals.com/authorization.json"
    )
    assert result["request"]["body"] is None
    assert result["contract"] == {
        "ok": True,
        "values": {"user_identity": "Jason Fried / jason@basecamp.com"},
        "errors": [],
    }
    assert json.loads(result["output"]) == {
        "user_identity": "Jason Fried / jason@basecamp.com"
    }
    assert result["errors"] == result["warnings"] == []
    json.dumps(result)  # plain JSON all the way down


def test_secret_headers_are_masked_and_curl_matches_the_request():
    result = preview(**catalog("basecamp", "user_info"))
    assert result["request"]["headers"] == [["Authorization", "Bearer ••••WpAA"]]
    assert shlex.split(result["curl"].replace("\\\n", " ")) == [
        "curl",
        "https://launchpad.37signals.com/authorization.json",
        "-H",
        "Authorization: Bearer ••••WpAA",
    ]


@pytest.mark.parametrize(
    ("slug", "kind"),
    [
        ("basecamp", "user_info"),
        ("basecamp", "access_token"),
        ("gotomeeting", "user_info"),
        ("gotomeeting", "access_token"),
    ],
)
def test_no_secret_sample_value_appears_anywhere(slug, kind):
    samples = samples_for(kind)
    result = preview(**catalog(slug, kind), samples=samples)
    dumped = json.dumps(result, ensure_ascii=False)
    for secret in secret_values(samples):
        assert secret not in dumped
        assert secret not in result["curl"]


def test_secrets_embedded_in_url_and_bodies_are_masked_in_every_written_form():
    samples = samples_for("access_token")
    samples["requestBody"]["client_secret"] = 's3cr3t/with+odd&chars"é'
    result = preview(
        kind="access_token",
        method="POST",
        url=(
            "https://p.example.com/t?a={{ requestBody.client_secret }}"
            "&b={{ requestBody.client_secret|raw }}"
        ),
        request_template=(
            '{"s": "{{ requestBody.client_secret }}", '
            '"p": "{{ requestBody.password }}"}'
        ),
        response_template="",
        body_format="form",
        headers=[{"name": "X-Note", "value": "{{ requestBody.client_secret }}"}],
        samples=samples,
    )
    dumped = json.dumps(result, ensure_ascii=False)
    for secret in ('s3cr3t/with+odd&chars"é', samples["requestBody"]["password"]):
        assert secret not in dumped
    for encoded in ("s3cr3t%2Fwith%2Bodd", "s3cr3t/with%2Bodd", "s3cr3t%2Fwith%2Bodd"):
        assert encoded not in dumped
    assert "••••" in result["request"]["url"]
    assert "••••" in result["request"]["body"]


def test_the_basecamp_token_request_in_the_preview():
    samples = samples_for("access_token")
    result = preview(**catalog("basecamp", "access_token"), samples=samples)
    assert result["errors"] == []
    query = parse_qs(urlsplit(result["request"]["url"]).query)
    assert query["redirect_uri"] == [samples["requestBody"]["redirect_uri"]]
    assert query["client_secret"] == ["••••7b6c"]
    # The code reached the token request, masked: intercepted, it buys a token.
    code = samples["requestBody"]["code"]
    assert query["code"] == ["••••" + code[-4:]]
    assert code not in json.dumps(result)
    assert result["contract"]["ok"]
    assert result["contract"]["values"]["access_token"] == "••••3nHc"


def test_goto_token_preview_warns_about_the_trailing_comma():
    result = preview(**catalog("gotomeeting", "access_token"))
    assert result["errors"] == []
    assert [w["field"] for w in result["warnings"]] == ["request_template"]
    assert "Trailing comma" in result["warnings"][0]["message"]
    assert parse_qs(result["request"]["body"])["grant_type"] == ["authorization_code"]
    assert result["request"]["headers"] == [
        ["Accept", "application/json"],
        ["Content-Type", "application/x-www-form-urlencoded"],
    ]
    assert "--data-raw" in result["curl"]


def test_an_error_in_one_field_still_renders_the_others():
    samples = samples_for("user_info")
    result = preview(
        kind="user_info",
        method="GET",
        url="https://api.example.com/me?x={{ query.url ",
        request_template="",
        response_template=(
            '{"user_identity": "{{ response.identity.email_address }}"}'
        ),
        body_format="none",
        headers=[
            {"name": "Accept", "value": "application/json"},
            {"name": "X-Token", "value": "{{ query.access_token|nope }}"},
            {"name": "Bad Name", "value": "x"},
            {"name": "X-Trace", "value": "{{ requestBody.username }}"},
        ],
        samples=samples,
    )
    errors = {error["field"]: error for error in result["errors"]}
    assert set(errors) == {"url", "headers.1.value", "headers.2.name"}
    assert errors["url"]["line"] == 1 and errors["url"]["column"]
    assert errors["headers.1.value"]["message"].startswith('Header "X-Token": ')
    assert result["request"]["url"] == ""
    assert result["request"]["headers"] == [
        ["Accept", "application/json"],
        ["X-Trace", "jason@basecamp.com"],
    ]
    assert result["contract"]["ok"]
    assert result["contract"]["values"] == {"user_identity": "jason@basecamp.com"}


def test_response_template_errors_and_contract_errors():
    samples = samples_for("user_info")
    broken = preview(
        kind="user_info",
        method="GET",
        url="https://api.example.com/me",
        request_template="",
        response_template='{\n  "user_identity": "{{ response.nobody }}",\n  "x": }',
        body_format="none",
        headers=[],
        samples=samples,
    )
    [error] = broken["errors"]
    assert error["field"] == "response_template"
    assert "line 3, column 8" in error["message"]
    assert error["message"].endswith('  "x": }\n       ^')
    assert broken["contract"]["ok"] is False
    empty = preview(
        kind="user_info",
        method="GET",
        url="https://api.example.com/me",
        request_template="",
        response_template='{"user_identity": "{{ response.nobody }}"}',
        body_format="none",
        headers=[],
        samples=samples,
    )
    assert empty["contract"]["errors"] == [
        'user_identity is empty: the template gave "".'
    ]
    assert empty["errors"][0]["field"] == "response_template"


def test_method_and_body_format_are_checked():
    result = preview(
        kind="revoke",
        method="SEND",
        url="https://api.example.com/revoke",
        request_template='{"token": "{{ query.access_token }}"}',
        response_template="",
        body_format="xml",
        headers=[],
    )
    fields = [error["field"] for error in result["errors"]]
    assert fields[:2] == ["method", "body_format"]


def test_samples_may_be_json_text_and_bad_json_is_an_error_not_a_crash():
    result = preview(
        kind="user_info",
        method="GET",
        url="https://api.example.com/me",
        request_template="",
        response_template='{"user_identity": "{{ response.name }}"}',
        body_format="none",
        headers=[],
        samples={
            "requestBody": "{not json",
            "query": "{}",
            "response": '{"name": "Ann"}',
        },
    )
    assert result["errors"][0]["field"] == "samples.requestBody"
    assert result["contract"]["values"] == {"user_identity": "Ann"}


def test_a_response_sample_that_is_not_json_is_text():
    result = preview(
        kind="access_token",
        method="POST",
        url="https://api.example.com/token",
        request_template="",
        response_template='{"access_token": "{{ response|split(\'=\')|last }}"}',
        body_format="none",
        headers=[],
        samples={"response": "token=abc123xyz"},
    )
    assert result["contract"]["values"]["access_token"] == "abc123xyz"


def test_script_in_templates_and_samples_is_just_text():
    result = preview(
        kind="user_info",
        method="GET",
        url="https://api.example.com/me?q={{ requestBody.username }}",
        request_template="",
        response_template=(
            '{"user_identity": "<script>alert(1)</script>{{ response.name }}"}'
        ),
        body_format="none",
        headers=[],
        samples={
            "requestBody": {"username": "<script>x</script>"},
            "response": {"name": "<img src=x onerror=alert(2)>"},
        },
    )
    assert result["contract"]["values"]["user_identity"] == (
        "<script>alert(1)</script><img src=x onerror=alert(2)>"
    )
    assert result["request"]["url"] == (
        "https://api.example.com/me?q=%3Cscript%3Ex%3C%2Fscript%3E"
    )


def test_untrusted_template_errors_are_messages_never_tracebacks():
    result = preview(
        kind="user_info",
        method="GET",
        url="https://api.example.com/{{ ''.__class__ }}",
        request_template="{{ range(1, 10)|join(',') ~ (1 / 0) }}",
        response_template="{% for %}",
        body_format="json",
        headers=[],
    )
    assert {e["field"] for e in result["errors"]} >= {
        "request_template",
        "response_template",
    }
    for error in result["errors"]:
        assert "Traceback" not in error["message"]


@pytest.mark.parametrize("field", ["request_template", "response_template"])
def test_deeply_nested_output_is_reported_not_raised(field):
    templates = {"request_template": "", "response_template": ""}
    templates[field] = "{% for i in 1..100000 %}[{% endfor %}"
    result = preview(
        kind="user_info",
        method="POST",
        url="https://api.example.com/me",
        body_format="json",
        headers=[],
        samples=samples_for("user_info"),
        **templates,
    )
    messages = [e["message"] for e in result["errors"] if e["field"] == field]
    assert messages and "nest too deeply" in messages[0]


# --- hostile samples, called directly (the flows and tests do) ---------------------


def minimal(**fields):
    return preview(
        **{
            "kind": "user_info",
            "method": "GET",
            "url": "https://api.example.com/me",
            "request_template": "",
            "response_template": '{"user_identity": "{{ response.name }}"}',
            "body_format": "none",
            "headers": [],
            "samples": {"response": {"name": "Ann"}},
            **fields,
        }
    )


@pytest.mark.parametrize(
    ("samples", "field", "message"),
    [
        (
            {"query": {"deep": json.loads("[" * 100 + "]" * 100)}},
            "samples.query",
            "The data nests more than 64 levels deep at samples.query.deep[0]",
        ),
        (
            {"requestBody": {"n": 10**40}},
            "samples.requestBody",
            "A number at samples.requestBody.n is too large",
        ),
        (
            {"query": {"access_token": "ab\udcffcd"}},
            "samples.query",
            "The text at samples.query.access_token holds an unpaired UTF-16",
        ),
        ({"query": {None: "x"}}, "samples", "The template data has a key of type"),
        ({"query": ["a"]}, "samples.query", "The query sample must be a JSON object."),
        ("not an object", "samples", "The samples must be a JSON object."),
    ],
)
def test_samples_outside_the_bounds_are_errors_at_their_field(samples, field, message):
    result = minimal(samples=samples)
    errors = [e for e in result["errors"] if e["field"] == field]
    assert errors and errors[0]["message"].startswith(message)
    json.dumps(result, allow_nan=False)


def test_a_header_that_is_not_a_mapping_is_an_error_not_a_crash():
    result = minimal(headers=["Accept: */*", {"name": "Accept", "value": "*/*"}])
    assert [(e["field"], e["message"]) for e in result["errors"]] == [
        ("headers.0.name", "The header has no name.")
    ]
    assert result["request"]["headers"] == [["Accept", "*/*"]]


def test_a_secret_in_a_quoted_message_value_is_masked_but_prose_is_not():
    samples = samples_for("access_token")
    samples["query"]["access_token"] = "a"
    result = preview(
        kind="access_token",
        method="POST",
        url="https://api.example.com/token",
        request_template="",
        response_template=(
            '{"access_token": "x", "expires_at": "{{ query.access_token }}"}'
        ),
        body_format="none",
        headers=[],
        samples=samples,
    )
    assert result["contract"]["errors"] == [
        "expires_at must be an ISO 8601 time (2025-01-31T12:00:00Z) or epoch "
        'seconds, not "••••".'
    ]
