"""The preview endpoint renders what the panel sends, adds the checks, saves nothing."""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from apps.models import App
from authorizations.models import Authorization, Endpoint, Header
from authorizations.rendering.context import variables
from authorizations.samples import samples_for
from tests.factories import EndpointFactory, HeaderFactory, OAuth2AuthorizationFactory

pytestmark = pytest.mark.django_db

PREVIEW_URL = reverse("admin:authorizations_endpoint_preview")
DEVELOPERS = "Integration developers"
USER_INFO = (
    '{"user_identity": "{{ response.identity.first_name }} '
    '{{ response.identity.last_name }} / {{ response.identity.email_address }}"}'
)


def preview(client, *, authorization=None, **fields):
    payload = {
        "kind": "user_info",
        "method": "GET",
        "url": "https://launchpad.37signals.com/authorization.json",
        "request_template": "",
        "response_template": USER_INFO,
        "body_format": "none",
        "headers": [
            {"name": "Authorization", "value": "Bearer {{query.access_token}}"}
        ],
        "samples": samples_for(fields.get("kind", "user_info")),
        **fields,
    }
    url = PREVIEW_URL
    if authorization is not None:
        url += f"?authorization={authorization.pk}"
    response = client.post(url, json.dumps(payload), content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def state():
    """Everything a preview could have written, to compare before and after."""
    return [
        list(model.objects.order_by("pk").values())
        for model in (App, Authorization, Endpoint, Header)
    ]


def test_basecamp_user_info_preview(admin_client):
    result = preview(admin_client)

    assert result["request"]["method"] == "GET"
    assert result["request"]["url"] == (
        "https://launchpad.37signals.com/authorization.json"
    )
    ((name, value),) = result["request"]["headers"]
    token = samples_for("user_info")["query"]["access_token"]
    assert name == "Authorization"
    assert value.startswith("Bearer ") and token not in value
    assert result["request"]["body"] is None
    assert json.loads(result["output"]) == {
        "user_identity": "Jason Fried / jason@basecamp.com"
    }
    assert result["contract"]["ok"] is True
    assert result["contract"]["values"]["user_identity"] == (
        "Jason Fried / jason@basecamp.com"
    )
    assert result["errors"] == [] and result["warnings"] == []
    assert result["curl"].startswith(
        "curl https://launchpad.37signals.com/authorization.json"
    )
    assert "-H 'Authorization: Bearer ••••" in result["curl"]
    assert token not in json.dumps(result)


def test_integration_developers_may_preview(member_client):
    result = preview(member_client(DEVELOPERS))
    assert result["contract"]["ok"] is True


def test_unknown_variables_come_back_as_warnings_with_their_field(admin_client):
    result = preview(
        admin_client,
        kind="access_token",
        method="POST",
        url="https://x.example.com/token?client_id={{ requestBody.clientid }}",
        headers=[{"name": "X-Token", "value": "{{ query.acces_token }}"}],
        response_template='{"access_token": "{{ response.access_token }}"}',
    )

    assert result["errors"] == []
    assert [
        (w["field"], w["line"], w["column"], w["message"].split(" Did you")[1])
        for w in result["warnings"]
    ] == [
        ("url", 1, 42, " mean `client_id`?"),
        ("headers.0.value", 1, 4, " mean `access_token`?"),
    ]


def test_a_syntax_error_is_reported_once_at_its_line(admin_client):
    result = preview(
        admin_client, response_template='{\n"user_identity": "{{ response.identity '
    )

    assert [(e["field"], e["line"]) for e in result["errors"]] == [
        ("response_template", 2)
    ]
    assert "Unclosed" in result["errors"][0]["message"]
    assert result["contract"]["ok"] is False


def test_nothing_it_receives_is_saved(admin_client):
    endpoint = EndpointFactory(authorization=OAuth2AuthorizationFactory())
    HeaderFactory(endpoint=endpoint)
    before = state()

    preview(
        admin_client,
        authorization=endpoint.authorization,
        url="https://other.example.com/{{ app.slug }}",
        response_template='{"user_identity": "changed"}',
        headers=[{"name": "X-New", "value": "1"}],
    )

    assert state() == before


def test_app_and_authorization_settings_reach_the_templates_but_no_secret(
    admin_client,
):
    authorization = OAuth2AuthorizationFactory(
        client_id="basecamp-client", client_secret="real-secret-never-shown"
    )
    result = preview(
        admin_client,
        authorization=authorization,
        url="{{ app.api_base_url }}/{{ app.slug }}?id={{ authorization.client_id }}",
        response_template=(
            '{"user_identity": "{{ authorization.client_secret }}'
            '{{ authorization.type }}"}'
        ),
    )

    assert result["request"]["url"] == (
        f"https://api.example.com/{authorization.app.slug}?id=basecamp-client"
    )
    assert result["contract"]["values"]["user_identity"] == "oauth2"
    assert "real-secret-never-shown" not in json.dumps(result)
    assert any(
        w["field"] == "response_template"
        and "requestBody.client_secret" in w["message"]
        for w in result["warnings"]
    )


def test_the_change_page_carries_the_panel(admin_client):
    call_command("import_apps", str(Path(settings.BASE_DIR) / "catalog/basecamp.yaml"))
    endpoint = Endpoint.objects.get(
        authorization__app__slug="basecamp", kind="user_info"
    )

    response = admin_client.get(
        reverse("admin:authorizations_endpoint_change", args=[endpoint.pk])
    )

    html = response.content.decode()
    assert 'id="preview-panel"' in html
    assert (
        f'data-preview-url="{PREVIEW_URL}?authorization={endpoint.authorization_id}"'
        in html
    )
    assert 'data-endpoint-kind="user_info"' in html
    assert response.context["preview_samples"]["user_info"] == samples_for("user_info")
    assert 'data-console-editor="twig-json"' in html
    assert "console/editor.bundle.js" in html


def test_the_add_page_offers_every_kinds_samples(admin_client):
    authorization = OAuth2AuthorizationFactory()

    response = admin_client.get(
        reverse("admin:authorizations_endpoint_add")
        + f"?authorization={authorization.pk}"
    )

    assert response.context["preview_kind"] == ""
    assert set(response.context["preview_samples"]) == {
        "user_info",
        "access_token",
        "request_token",
        "revoke",
    }
    assert response.context["preview_url"] == (
        f"{PREVIEW_URL}?authorization={authorization.pk}"
    )


def test_checks_know_every_variable_the_samples_give():
    # The vocabulary is what the warnings are judged by (rendering builds the
    # app and authorization settings from it); the samples must hold nothing
    # it lacks.
    known = variables()
    for kind in ("user_info", "access_token", "request_token", "revoke"):
        sample = samples_for(kind)
        assert set(sample["requestBody"]) <= set(known["requestBody"])
        assert set(sample["query"]) <= set(known["query"])
