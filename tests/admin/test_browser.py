"""The authorization form's script and the Add Header link, in a real browser."""

import pytest
from django.urls import reverse

from authorizations.models import Authorization
from tests.factories import AppFactory, AuthorizationFactory, EndpointFactory

# Serialized rollback: the flush after a live-server test would otherwise take
# the migration's permission groups away from the tests that follow.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def row(page, name):
    return page.locator(f".form-row.field-{name}")


def test_type_drop_down_shows_the_type_fields_and_keeps_what_was_typed(admin_page):
    app = AppFactory(name="Acme")
    add_url = reverse("admin:authorizations_authorization_add")

    page, base = admin_page, admin_page.live_server_url
    page.goto(f"{base}{add_url}?app={app.pk}")
    # API Key has no app-level settings: the whole section is hidden.
    assert page.locator("fieldset.type-settings").is_hidden()

    page.select_option("#id_type", "oauth2")
    assert row(page, "client_id").is_visible()
    assert row(page, "use_pkce").is_visible()
    assert page.inner_text("label[for=id_client_id]") == "Client ID:"
    page.fill("#id_client_id", "typed-client-id")
    page.fill("#id_scopes", "read write")

    page.select_option("#id_type", "oauth1")
    assert page.inner_text("label[for=id_client_id]") == "Consumer key:"
    assert page.inner_text("label[for=id_client_secret]") == "Consumer secret:"
    assert row(page, "scopes").is_hidden()

    page.select_option("#id_type", "basic")
    assert page.locator("fieldset.type-settings").is_hidden()
    assert "Username, Password" in page.inner_text("#id_type_helptext")

    page.select_option("#id_type", "oauth2")
    assert page.input_value("#id_client_id") == "typed-client-id"
    assert page.input_value("#id_scopes") == "read write"
    assert page.inner_text("label[for=id_client_id]") == "Client ID:"

    page.fill("#id_name", "Acme OAuth")
    page.click("input[name=_save]")
    page.wait_for_url("**/authorization/")

    authorization = Authorization.objects.get(app=app, name="Acme OAuth")
    assert (authorization.client_id, authorization.scopes) == (
        "typed-client-id",
        "read write",
    )
    assert authorization.endpoints.filter(kind="access_token").exists()


def test_help_text_follows_the_type(admin_page):
    app = AppFactory()
    add_url = reverse("admin:authorizations_authorization_add")

    page, base = admin_page, admin_page.live_server_url
    page.goto(f"{base}{add_url}?app={app.pk}")
    page.select_option("#id_type", "oauth1")
    assert "RFC 5849" in page.inner_text("#id_authorize_url_helptext")
    page.select_option("#id_type", "oauth2")
    assert "RFC 6749" in page.inner_text("#id_authorize_url_helptext")


def test_add_header_link_adds_a_row(admin_page):
    endpoint = EndpointFactory()
    change_url = reverse("admin:authorizations_endpoint_change", args=[endpoint.pk])

    page, base = admin_page, admin_page.live_server_url
    page.goto(f"{base}{change_url}")
    page.get_by_role("button", name="Add Header", exact=True).click()
    page.fill("#id_headers-0-name", "X-Api-Key")
    page.fill("#id_headers-0-value", "{{ query.api_key }}")
    page.click("input[name=_continue]")
    page.wait_for_load_state()
    assert "was changed successfully" in page.inner_text(".messagelist")

    assert [(h.name, h.value) for h in endpoint.headers.all()] == [
        ("X-Api-Key", "{{ query.api_key }}")
    ]


def test_app_filter_finds_an_app_by_search_and_keeps_the_other_filters(admin_page):
    acme, other = AppFactory(name="Acme"), AppFactory(name="Globex")
    AuthorizationFactory(app=acme, name="Acme key")
    AuthorizationFactory(app=other, name="Globex key")
    changelist = reverse("admin:authorizations_authorization_changelist")

    page, base = admin_page, admin_page.live_server_url
    page.goto(f"{base}{changelist}?type__exact=api_key")
    app_filter = page.locator("details[data-filter-title=app]")
    # Only "All" is listed: apps are found by the search box, not listed.
    assert app_filter.locator("li").all_inner_texts() == ["All"]
    app_filter.locator(".select2-selection").click()
    page.locator(".select2-search__field").fill("Glob")
    page.locator(".select2-results__option", has_text="Globex").click()
    page.wait_for_url("**app__id__exact=*")

    assert "type__exact=api_key" in page.url
    rows = page.locator("#result_list").inner_text()
    assert "Globex key" in rows and "Acme key" not in rows
    assert app_filter.locator("li.selected").inner_text() == "Globex"


def test_app_picker_searches_apps_and_saves_the_choice(admin_page):
    AppFactory(name="Acme")
    globex = AppFactory(name="Globex")
    add_url = reverse("admin:authorizations_authorization_add")

    page, base = admin_page, admin_page.live_server_url
    page.goto(f"{base}{add_url}")
    page.locator(".field-app .select2-selection").click()
    page.locator(".select2-search__field").fill("Glo")
    page.locator(".select2-results__option", has_text="Globex").click()
    page.fill("#id_name", "Globex key")
    page.click("input[name=_save]")
    page.wait_for_url("**/authorization/")

    assert Authorization.objects.get(name="Globex key").app == globex


def test_the_client_credentials_grant_hides_the_consent_settings(admin_page):
    app = AppFactory()
    add_url = reverse("admin:authorizations_authorization_add")

    page, base = admin_page, admin_page.live_server_url
    page.goto(f"{base}{add_url}?app={app.pk}")
    # Not an OAuth type: no callback URL to register.
    assert row(page, "callback_url").is_hidden()
    page.select_option("#id_type", "oauth2")
    assert row(page, "callback_url").is_visible()
    page.fill("#id_authorize_url", "https://auth.example.com/authorize")
    page.check("#id_use_pkce")

    page.select_option("#id_grant_type", "client_credentials")
    for name in ("authorize_url", "use_pkce", "authorize_params", "issuer"):
        assert row(page, name).is_hidden(), name
    for name in ("client_id", "client_auth", "scopes", "scope_separator"):
        assert row(page, name).is_visible(), name

    # Hidden, not emptied: switching back loses nothing typed.
    page.select_option("#id_grant_type", "authorization_code")
    assert row(page, "authorize_url").is_visible()
    assert page.input_value("#id_authorize_url") == (
        "https://auth.example.com/authorize"
    )
    # OAuth1.0 has no grant: its settings show whatever the grant box says.
    page.select_option("#id_grant_type", "client_credentials")
    page.select_option("#id_type", "oauth1")
    assert row(page, "authorize_url").is_visible()
    assert row(page, "signature_method").is_visible()
    assert row(page, "grant_type").is_hidden()
    assert row(page, "callback_url").is_visible()


def test_the_copy_button_puts_the_callback_url_on_the_clipboard(new_admin_page):
    authorization = AuthorizationFactory(type="oauth2")
    change_url = reverse(
        "admin:authorizations_authorization_change", args=[authorization.pk]
    )
    page = new_admin_page(permissions=["clipboard-read", "clipboard-write"])

    page.goto(f"{page.live_server_url}{change_url}")
    shown = page.inner_text("#callback-url")
    page.get_by_role("button", name="Copy", exact=True).click()

    assert shown.endswith("/oauth/callback/")
    page.wait_for_function(
        "document.querySelector('.field-callback_url .copy-status')"
        ".textContent === 'Copied.'"
    )
    assert page.evaluate("navigator.clipboard.readText()") == shown
