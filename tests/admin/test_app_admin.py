import pytest
import yaml
from django.urls import reverse

from apps.models import App
from tests.admin.forms import field_errors, submit
from tests.factories import (
    AppFactory,
    AuthorizationFactory,
    EndpointFactory,
    OAuth2AuthorizationFactory,
)

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:apps_app_add")
LIST_URL = reverse("admin:apps_app_changelist")
FORM = "app_form"


def change_url(app):
    return reverse("admin:apps_app_change", args=[app.pk])


def test_new_app_from_the_admin_has_the_api_key_authorization(admin_client):
    response = submit(
        admin_client,
        ADD_URL,
        FORM,
        {
            "name": "Acme",
            "slug": "acme",
            "description": "Acme's API",
            "api_base_url": "https://api.acme.example.com",
            "docs_url": "https://docs.acme.example.com",
        },
    )

    assert response.status_code == 302
    app = App.objects.get(slug="acme")
    assert (app.name, app.description) == ("Acme", "Acme's API")
    assert app.api_base_url == "https://api.acme.example.com"
    assert [(a.name, a.type) for a in app.authorizations.all()] == [
        ("API Key", "api_key")
    ]


def test_change_page_stores_edits(admin_client):
    app = AppFactory(name="Acme", slug="acme")

    response = submit(
        admin_client,
        change_url(app),
        FORM,
        {"name": "Acme Corp", "logo_url": "https://acme.example.com/logo.png"},
    )

    assert response.status_code == 302
    app.refresh_from_db()
    assert app.name == "Acme Corp"
    assert app.slug == "acme"
    assert app.logo_url == "https://acme.example.com/logo.png"
    assert app.authorizations.count() == 1


def test_change_page_shows_authorizations_and_the_create_button(admin_client):
    app = AppFactory()
    oauth = OAuth2AuthorizationFactory(app=app, name="Sign in")
    EndpointFactory(authorization=oauth, kind="user_info")

    response = admin_client.get(change_url(app))
    page = response.content.decode()

    add_url = reverse("admin:authorizations_authorization_add")
    assert (
        f'<a href="{add_url}?app={app.pk}" class="addlink">Create Authorization</a>'
        in (page)
    )
    oauth_url = reverse("admin:authorizations_authorization_change", args=[oauth.pk])
    assert f'<a href="{oauth_url}">Sign in</a>' in page
    assert "OAuth2.0" in page
    assert "Needs an Access Token Endpoint" in page
    assert "Needs a User Information Endpoint" in page  # the default API Key one
    assert "User Information Endpoint</p>" in page
    [section] = response.context["inline_admin_formsets"]
    assert not section.has_add_permission
    assert not section.has_change_permission
    assert not section.has_delete_permission


def test_changelist_shows_counts_and_completeness_and_searches(admin_client):
    acme = AppFactory(name="Acme", slug="acme")
    EndpointFactory(authorization=acme.authorizations.get(), kind="user_info")
    OAuth2AuthorizationFactory(app=acme)
    AppFactory(name="Globex", slug="globex")

    listing = admin_client.get(LIST_URL).content.decode()
    by_slug = admin_client.get(LIST_URL, {"q": "globex"}).content.decode()

    assert '<td class="field-authorization_count">2</td>' in listing
    assert '<td class="field-completeness_summary">1 of 2 complete</td>' in listing
    assert '<td class="field-completeness_summary">0 of 1 complete</td>' in listing
    assert "Globex" in by_slug and "Acme" not in by_slug


def test_export_action_downloads_yaml_without_secrets(admin_client):
    app = AppFactory(name="Acme", slug="acme")
    OAuth2AuthorizationFactory(
        app=app, name="Acme OAuth", client_secret="export-must-not-leak-5150"
    )
    AppFactory(name="Not chosen", slug="not-chosen")

    response = admin_client.post(
        LIST_URL,
        {"action": "export_selected_apps", "_selected_action": [app.pk]},
    )

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="apps-export.yaml"'
    text = response.content.decode()
    assert "export-must-not-leak-5150" not in text
    document = yaml.safe_load(text)
    assert [entry["slug"] for entry in document["apps"]] == ["acme"]
    assert "acme" in text
    assert "API Key" in text
    assert "Acme OAuth" in text


# Bad input


def test_duplicate_slug_is_refused_at_the_field(admin_client):
    AppFactory(name="Acme", slug="acme")

    response = submit(admin_client, ADD_URL, FORM, {"name": "Acme 2", "slug": "acme"})

    assert field_errors(response, "slug") == ["Another app already uses this slug."]
    assert App.objects.filter(slug="acme").count() == 1
    assert not App.objects.filter(name="Acme 2").exists()


def test_api_base_url_must_be_http(admin_client):
    response = submit(
        admin_client,
        ADD_URL,
        FORM,
        {"name": "Files", "slug": "files", "api_base_url": "ftp://files.example.com"},
    )

    assert field_errors(response, "api_base_url") == [
        '"ftp://files.example.com" is not an http(s) URL: it must start with '
        "http:// or https://."
    ]
    assert not App.objects.filter(slug="files").exists()


def test_app_without_authorizations_says_so(admin_client):
    app = AppFactory()
    app.authorizations.all().delete()

    listing = admin_client.get(LIST_URL).content.decode()

    assert "No authorizations" in listing


def test_delete_cascades_to_authorizations(admin_client):
    app = AppFactory()
    AuthorizationFactory(app=app)

    response = admin_client.post(
        reverse("admin:apps_app_delete", args=[app.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not App.objects.filter(pk=app.pk).exists()


def test_completeness_on_the_list_counts_a_client_secret_without_reading_it(
    admin_client, settings
):
    from cryptography.fernet import Fernet

    with_secret = OAuth2AuthorizationFactory(
        app=AppFactory(name="Keyed", slug="keyed"), client_secret="s3cret-4417"
    )
    without = OAuth2AuthorizationFactory(
        app=AppFactory(name="Keyless", slug="keyless"), client_secret=""
    )
    for authorization in (with_secret, without):
        authorization.app.authorizations.exclude(pk=authorization.pk).delete()
        for kind in ("access_token", "user_info"):
            EndpointFactory(authorization=authorization, kind=kind)
    # The key that wrote the secret is gone (a rotation done wrong): a page
    # that decrypted it would fail, the list does not need to.
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    listing = admin_client.get(LIST_URL).content.decode()

    keyed, keyless = (
        listing[listing.index(f">{name}</a>") :].split("</tr>")[0]
        for name in ("Keyed", "Keyless")
    )
    assert "All complete" in keyed
    assert "0 of 1 complete" in keyless
