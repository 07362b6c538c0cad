import json

import pytest
from django.urls import reverse

from authorizations.defaults import OAUTH2_TOKEN_REQUEST, OAUTH2_TOKEN_RESPONSE
from authorizations.models import Authorization
from tests.admin.forms import field_errors, form_data, submit
from tests.factories import (
    AppFactory,
    AuthorizationFactory,
    EndpointFactory,
    OAuth2AuthorizationFactory,
)

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:authorizations_authorization_add")
FORM = "authorization_form"


def change_url(authorization):
    return reverse("admin:authorizations_authorization_change", args=[authorization.pk])


def test_new_oauth2_authorization_starts_with_the_standard_token_endpoint(
    admin_client,
):
    app = AppFactory()
    response = submit(
        admin_client,
        f"{ADD_URL}?app={app.pk}",
        FORM,
        {
            "name": "Sign in with Acme",
            "type": "oauth2",
            "client_id": "acme-client",
            "client_secret": "acme-secret-value-7777",
            "authorize_url": "https://acme.example.com/oauth/authorize",
            "scopes": "read write",
            "use_pkce": "on",
        },
    )

    assert response.status_code == 302
    authorization = Authorization.objects.get(app=app, name="Sign in with Acme")
    assert authorization.type == "oauth2"
    assert authorization.client_id == "acme-client"
    assert authorization.client_secret == "acme-secret-value-7777"
    assert authorization.authorize_url == "https://acme.example.com/oauth/authorize"
    assert authorization.scopes == "read write"
    assert authorization.use_pkce is True
    token = authorization.endpoints.get()
    assert (token.kind, token.method, token.body_format) == (
        "access_token",
        "POST",
        "form",
    )
    assert token.request_template == OAUTH2_TOKEN_REQUEST
    assert token.response_template == OAUTH2_TOKEN_RESPONSE
    assert '"access_token"' in token.response_template
    assert '"refresh_token"' in token.response_template


def test_new_oauth1_authorization_starts_with_its_token_endpoint(admin_client):
    app = AppFactory()
    submit(
        admin_client,
        f"{ADD_URL}?app={app.pk}",
        FORM,
        {"name": "OAuth1", "type": "oauth1", "client_id": "consumer-key"},
    )

    authorization = Authorization.objects.get(app=app, name="OAuth1")
    token = authorization.endpoints.get()
    assert token.kind == "access_token"
    assert "oauth_token" in token.response_template


def test_a_credential_type_starts_without_endpoints(admin_client):
    app = AppFactory()
    submit(
        admin_client,
        f"{ADD_URL}?app={app.pk}",
        FORM,
        {"name": "Keys", "type": "api_key_secret"},
    )

    assert not Authorization.objects.get(app=app, name="Keys").endpoints.exists()


def test_the_add_page_preselects_the_app_from_the_create_button(admin_client):
    app = AppFactory()
    page = admin_client.get(f"{ADD_URL}?app={app.pk}")

    assert form_data(page.content.decode(), FORM)["app"] == str(app.pk)


def test_change_page_stores_edits(admin_client):
    authorization = OAuth2AuthorizationFactory(scopes="read")
    response = submit(
        admin_client,
        change_url(authorization),
        FORM,
        {"name": "Renamed", "scopes": "read write admin", "client_id": "new-id"},
    )

    assert response.status_code == 302
    authorization.refresh_from_db()
    assert authorization.name == "Renamed"
    assert authorization.scopes == "read write admin"
    assert authorization.client_id == "new-id"
    assert authorization.client_secret == "client-secret-value-abcd"


def test_settings_the_type_does_not_use_are_blanked_on_save(admin_client):
    app = AppFactory()
    submit(
        admin_client,
        f"{ADD_URL}?app={app.pk}",
        FORM,
        {
            "name": "Plain key",
            "type": "api_key",
            # Typed while OAuth2.0 was chosen, then the type was switched.
            "client_id": "left-over-id",
            "client_secret": "left-over-secret-1234",
            "authorize_url": "not even a URL",
            "use_pkce": "on",
        },
    )

    authorization = Authorization.objects.get(app=app, name="Plain key")
    assert authorization.client_id == ""
    assert authorization.client_secret == ""
    assert authorization.authorize_url == ""
    assert authorization.use_pkce is False


def test_required_settings_are_not_enforced_but_named_by_completeness(admin_client):
    app = AppFactory()
    response = submit(
        admin_client,
        f"{ADD_URL}?app={app.pk}",
        FORM,
        {"name": "Half done", "type": "oauth2"},
    )

    assert response.status_code == 302
    authorization = Authorization.objects.get(app=app, name="Half done")
    page = admin_client.get(change_url(authorization)).content.decode()
    assert (
        "Needs a client ID, a client secret, an authorization URL, "
        "a User Information Endpoint and a URL for its Access Token Endpoint"
    ) in page


def test_completeness_names_a_missing_endpoint_in_words(admin_client):
    authorization = OAuth2AuthorizationFactory(name="Acme login")
    EndpointFactory(authorization=authorization, kind="user_info")

    page = admin_client.get(change_url(authorization)).content.decode()
    listing = admin_client.get(
        reverse("admin:authorizations_authorization_changelist")
    ).content.decode()

    assert "Needs an Access Token Endpoint" in page
    assert "Needs an Access Token Endpoint" in listing


def test_complete_authorization_says_so(admin_client):
    authorization = AuthorizationFactory(type="api_key")
    EndpointFactory(authorization=authorization, kind="user_info")

    listing = admin_client.get(
        reverse("admin:authorizations_authorization_changelist")
    ).content.decode()

    assert '<td class="field-completeness">Complete</td>' in listing


def test_change_page_lists_endpoints_with_links_and_offers_only_used_kinds(
    admin_client,
):
    authorization = OAuth2AuthorizationFactory()
    endpoint = EndpointFactory(authorization=authorization, kind="user_info")

    page = admin_client.get(change_url(authorization)).content.decode()

    endpoint_url = reverse("admin:authorizations_endpoint_change", args=[endpoint.pk])
    add_url = reverse("admin:authorizations_endpoint_add")
    assert f'href="{endpoint_url}"' in page
    assert f"{add_url}?authorization={authorization.pk}&amp;kind=access_token" in page
    assert f"{add_url}?authorization={authorization.pk}&amp;kind=revoke" in page
    assert "kind=request_token" not in page


def test_oauth1_labels_follow_the_type(admin_client):
    authorization = AuthorizationFactory(type="oauth1", client_id="ck")

    page = admin_client.get(change_url(authorization)).content.decode()

    assert '<label for="id_client_id">Consumer key:</label>' in page
    assert '<label for="id_client_secret">Consumer secret:</label>' in page


def test_the_form_carries_the_type_registry_for_its_script(admin_client):
    response = admin_client.get(ADD_URL)
    page = response.content.decode()

    assert "admin-console/authorization-form.js" in page
    start = page.index('<script id="authorization-types" type="application/json">')
    registry = json.loads(
        page[page.index(">", start) + 1 : page.index("</script>", start)]
    )
    assert set(registry["types"]) == {
        "oauth1",
        "oauth2",
        "basic",
        "basic_url",
        "basic_api_key",
        "api_key",
        "api_secret",
        "api_key_secret",
        "api_key_url",
    }
    assert registry["types"]["oauth1"]["settings"]["client_id"]["label"] == (
        "Consumer key"
    )
    # API Key has no app credentials, only the rules of its tokens' expiry.
    assert set(registry["types"]["api_key"]["settings"]) == {
        "expired_statuses",
        "expired_when",
    }
    assert registry["types"]["oauth2"]["endpointKinds"] == [
        "user_info",
        "access_token",
        "revoke",
    ]


def test_changelist_filters_and_searches(admin_client):
    acme = AppFactory(name="Acme")
    other = AppFactory(name="Other")
    OAuth2AuthorizationFactory(app=acme, name="Acme OAuth")
    AuthorizationFactory(app=other, name="Other key")
    url = reverse("admin:authorizations_authorization_changelist")

    by_type = admin_client.get(url, {"type__exact": "oauth2"}).content.decode()
    by_app = admin_client.get(url, {"app__id__exact": other.pk}).content.decode()
    by_app_name = admin_client.get(url, {"q": "Acme"}).content.decode()

    assert "Acme OAuth" in by_type and "Other key" not in by_type
    assert "Other key" in by_app and "Acme OAuth" not in by_app
    assert "Acme OAuth" in by_app_name and "Other key" not in by_app_name


# Bad input: each is shown at its field, and nothing is written.


def test_unknown_type_is_refused_at_the_field(admin_client):
    app = AppFactory()
    before = Authorization.objects.count()

    response = submit(
        admin_client,
        f"{ADD_URL}?app={app.pk}",
        FORM,
        {"name": "Mystery", "type": "oauth3"},
    )

    assert field_errors(response, "type") == ['"oauth3" is not an authorization type.']
    assert Authorization.objects.count() == before


def test_duplicate_name_in_one_app_is_refused_at_the_name(admin_client):
    app = AppFactory(name="Acme")
    before = Authorization.objects.count()

    response = submit(
        admin_client,
        f"{ADD_URL}?app={app.pk}",
        FORM,
        {"name": "API Key", "type": "api_key"},
    )

    assert field_errors(response, "name") == [
        'Acme already has an authorization named "API Key".'
    ]
    assert response.context["adminform"].form.non_field_errors() == []
    assert Authorization.objects.count() == before


def test_a_blank_name_becomes_the_type_label(admin_client):
    app = AppFactory()

    response = submit(
        admin_client, f"{ADD_URL}?app={app.pk}", FORM, {"name": "", "type": "oauth2"}
    )

    assert response.status_code == 302
    assert app.authorizations.filter(name="OAuth2.0", type="oauth2").exists()


def test_a_blank_name_taken_by_the_default_is_refused_at_the_name(admin_client):
    app = AppFactory(name="Acme")
    before = Authorization.objects.count()

    response = submit(
        admin_client, f"{ADD_URL}?app={app.pk}", FORM, {"name": "", "type": "api_key"}
    )

    assert field_errors(response, "name") == [
        'Acme already has an authorization named "API Key".'
    ]
    assert Authorization.objects.count() == before


def test_same_name_in_another_app_is_fine(admin_client):
    OAuth2AuthorizationFactory(app=AppFactory(name="Acme"), name="Sign in")
    other = AppFactory(name="Globex")

    response = submit(
        admin_client,
        f"{ADD_URL}?app={other.pk}",
        FORM,
        {"name": "Sign in", "type": "api_key"},
    )

    assert response.status_code == 302
    assert other.authorizations.filter(name="Sign in", type="api_key").exists()
    assert Authorization.objects.filter(name="Sign in").count() == 2


def test_authorization_url_must_be_http(admin_client):
    authorization = OAuth2AuthorizationFactory()

    response = submit(
        admin_client,
        change_url(authorization),
        FORM,
        {"authorize_url": "ftp://provider.example.com/authorize", "name": "Changed"},
    )

    assert field_errors(response, "authorize_url") == [
        '"ftp://provider.example.com/authorize" is not an http(s) URL: it must '
        "start with http:// or https://."
    ]
    authorization.refresh_from_db()
    assert authorization.name != "Changed"


def test_type_change_is_refused_while_endpoints_do_not_fit(admin_client):
    authorization = OAuth2AuthorizationFactory()
    EndpointFactory(authorization=authorization, kind="access_token")

    response = submit(
        admin_client, change_url(authorization), FORM, {"type": "api_key"}
    )

    assert field_errors(response, "type") == [
        "An API Key authorization does not use an Access Token Endpoint: delete it "
        "first, or keep the type."
    ]
    authorization.refresh_from_db()
    assert authorization.type == "oauth2"
    assert authorization.client_secret == "client-secret-value-abcd"


def test_unknown_type_on_the_change_page_changes_nothing(admin_client):
    authorization = OAuth2AuthorizationFactory()

    response = submit(
        admin_client,
        change_url(authorization),
        FORM,
        {"type": "saml", "name": "Changed", "client_secret": "new-secret-2222"},
    )

    assert field_errors(response, "type") == ['"saml" is not an authorization type.']
    authorization.refresh_from_db()
    assert authorization.type == "oauth2"
    assert authorization.name != "Changed"
    assert authorization.client_secret == "client-secret-value-abcd"


def test_switching_to_oauth2_adds_the_standard_token_endpoint(admin_client):
    authorization = AuthorizationFactory(type="basic_url")
    EndpointFactory(authorization=authorization, kind="user_info")

    submit(
        admin_client,
        change_url(authorization),
        FORM,
        {"type": "oauth2", "client_id": "switched"},
    )

    authorization.refresh_from_db()
    assert authorization.type == "oauth2"
    assert sorted(authorization.endpoints.values_list("kind", flat=True)) == [
        "access_token",
        "user_info",
    ]
