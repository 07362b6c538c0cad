"""A field added to a type in the registry reaches every reader of it.

The test registry gives the API Key type a secret PIN the end user types in,
and makes the OAuth2.0 client ID a secret setting.  Nothing else is told:
the form, the samples, the checks, masking and the config format follow.
"""

import dataclasses

import pytest
from django.urls import reverse

from authorizations import types
from authorizations.rendering import preview_endpoint
from authorizations.rendering.checks import check_endpoint_templates
from authorizations.samples import samples_for
from configuration.exporter import export_apps_text
from tests.factories import AppFactory, AuthorizationFactory, OAuth2AuthorizationFactory

PIN = types.CredentialField("pin", "PIN", secret=True, example="pin-4921-7730-1185")
CLIENT_ID = "client-id-of-the-test-registry-77"


def with_pin_and_secret_client_id(spec: types.AuthorizationType):
    if spec.key == "api_key":
        return dataclasses.replace(
            spec, credential_fields=(*spec.credential_fields, PIN)
        )
    if spec.key == "oauth2":
        settings = tuple(
            dataclasses.replace(setting, secret=True)
            if setting.name == "client_id"
            else setting
            for setting in spec.app_settings
        )
        return dataclasses.replace(spec, app_settings=settings)
    return spec


@pytest.fixture
def test_registry():
    registry = types.TypeRegistry(
        with_pin_and_secret_client_id(spec) for spec in types.NINE_TYPES
    )
    with types.override_registry(registry):
        yield registry


def pin_warnings():
    _, warnings = check_endpoint_templates(
        kind="user_info",
        url="https://api.example.com/me?pin={{ requestBody.pin }}",
        request_template="",
        response_template="",
        headers=[{"name": "X-Client", "value": "{{ authorization.client_id }}"}],
    )
    return [warning.message for warning in warnings]


def test_the_override_ends_with_its_block():
    registry = types.TypeRegistry(types.NINE_TYPES)
    with types.override_registry(registry):
        assert types.registry() is registry
    assert types.registry() is not registry
    assert "pin" not in types.registry().request_body_keys


@pytest.mark.django_db
def test_the_form_says_the_end_user_supplies_the_pin(admin_client, test_registry):
    authorization = AuthorizationFactory(type="api_key")
    url = reverse("admin:authorizations_authorization_change", args=[authorization.pk])
    html = admin_client.get(url).content.decode()
    assert "The end user supplies: API key, PIN." in html


@pytest.mark.django_db
def test_the_form_never_shows_a_setting_made_secret(admin_client, test_registry):
    authorization = OAuth2AuthorizationFactory(client_id=CLIENT_ID)
    url = reverse("admin:authorizations_authorization_change", args=[authorization.pk])
    html = admin_client.get(url).content.decode()
    assert CLIENT_ID not in html
    assert CLIENT_ID[-4:] in html  # its masked summary: ••••…-77


def test_the_samples_give_the_pin(test_registry):
    samples = samples_for("user_info")
    assert samples["requestBody"]["pin"] == PIN.example
    assert samples["query"]["pin"] == PIN.example


def test_the_checks_know_the_pin_and_where_the_secret_setting_went(test_registry):
    assert pin_warnings() == [
        "`authorization.client_id` is never given to templates, so it prints "
        "empty: secrets are not settings. Did you mean `requestBody.client_id`?"
    ]


def test_without_the_test_registry_the_checks_warn_about_the_pin():
    assert pin_warnings() == [
        "`requestBody.pin` is never provided to a User Information Endpoint, so "
        "it prints empty."
    ]


def test_the_preview_masks_the_pin(test_registry):
    samples = samples_for("user_info")
    result = preview_endpoint(
        kind="user_info",
        method="GET",
        url="https://api.example.com/me?pin={{ query.pin }}",
        request_template="",
        response_template='{"user_identity": "{{ response.identity.id }}"}',
        body_format="json",
        headers=[{"name": "X-Pin", "value": "{{ requestBody.pin }}"}],
        samples=samples,
    )
    shown = str(result)
    assert PIN.example not in shown
    assert result["request"]["url"] == "https://api.example.com/me?pin=••••1185"
    assert result["request"]["headers"] == [["X-Pin", "••••1185"]]


@pytest.mark.django_db
def test_the_config_format_leaves_a_secret_setting_out(test_registry):
    app = AppFactory(slug="acme")
    OAuth2AuthorizationFactory(app=app, client_id=CLIENT_ID)
    assert CLIENT_ID not in export_apps_text([app])
    assert f"client_id: {CLIENT_ID}" in export_apps_text([app], include_secrets=True)


@pytest.mark.django_db
def test_without_the_test_registry_the_config_format_keeps_the_client_id():
    app = AppFactory(slug="acme")
    OAuth2AuthorizationFactory(app=app, client_id=CLIENT_ID)
    assert f"client_id: {CLIENT_ID}" in export_apps_text([app])
