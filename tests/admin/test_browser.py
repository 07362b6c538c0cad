"""The authorization form's script and the Add Header link, in a real browser."""

import pytest
from django.urls import reverse

from authorizations.models import Authorization
from tests.factories import AppFactory, EndpointFactory

# Serialized rollback: the flush after a live-server test would otherwise take
# the migration's permission groups away from the tests that follow.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def row(browser_page, name):
    return browser_page.locator(f".form-row.field-{name}")


def test_type_drop_down_shows_the_type_fields_and_keeps_what_was_typed(admin_page):
    app = AppFactory(name="Acme")
    url = reverse("admin:authorizations_authorization_add")
    admin_page.goto(f"{admin_page.live_server_url}{url}?app={app.pk}")

    # API Key has no app-level settings: the whole section is hidden.
    assert admin_page.locator("fieldset.type-settings").is_hidden()

    admin_page.select_option("#id_type", "oauth2")
    assert row(admin_page, "client_id").is_visible()
    assert row(admin_page, "use_pkce").is_visible()
    assert admin_page.inner_text("label[for=id_client_id]") == "Client ID:"
    admin_page.fill("#id_client_id", "typed-client-id")
    admin_page.fill("#id_scopes", "read write")

    admin_page.select_option("#id_type", "oauth1")
    assert admin_page.inner_text("label[for=id_client_id]") == "Consumer key:"
    assert admin_page.inner_text("label[for=id_client_secret]") == "Consumer secret:"
    assert row(admin_page, "scopes").is_hidden()
    assert "Request Token" not in admin_page.inner_text("#id_type_helptext")

    admin_page.select_option("#id_type", "basic")
    assert admin_page.locator("fieldset.type-settings").is_hidden()
    assert "Username, Password" in admin_page.inner_text("#id_type_helptext")

    admin_page.select_option("#id_type", "oauth2")
    assert admin_page.input_value("#id_client_id") == "typed-client-id"
    assert admin_page.input_value("#id_scopes") == "read write"
    assert admin_page.inner_text("label[for=id_client_id]") == "Client ID:"

    admin_page.fill("#id_name", "Acme OAuth")
    admin_page.click("input[name=_save]")
    admin_page.wait_for_url("**/authorization/")

    authorization = Authorization.objects.get(app=app, name="Acme OAuth")
    assert (authorization.client_id, authorization.scopes) == (
        "typed-client-id",
        "read write",
    )
    assert authorization.endpoints.filter(kind="access_token").exists()


def test_add_header_link_adds_a_row(admin_page):
    endpoint = EndpointFactory()
    url = reverse("admin:authorizations_endpoint_change", args=[endpoint.pk])
    admin_page.goto(f"{admin_page.live_server_url}{url}")

    admin_page.get_by_role("button", name="Add Header", exact=True).click()
    admin_page.fill("#id_headers-0-name", "X-Api-Key")
    admin_page.fill("#id_headers-0-value", "{{ query.api_key }}")
    admin_page.click("input[name=_continue]")
    admin_page.wait_for_load_state()

    assert [(h.name, h.value) for h in endpoint.headers.all()] == [
        ("X-Api-Key", "{{ query.api_key }}")
    ]


def test_help_text_follows_the_type(admin_page):
    app = AppFactory()
    url = reverse("admin:authorizations_authorization_add")
    admin_page.goto(f"{admin_page.live_server_url}{url}?app={app.pk}")

    admin_page.select_option("#id_type", "oauth1")
    assert "RFC 5849" in admin_page.inner_text("#id_authorize_url_helptext")
    admin_page.select_option("#id_type", "oauth2")
    assert "RFC 6749" in admin_page.inner_text("#id_authorize_url_helptext")
