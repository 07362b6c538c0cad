"""The demo catalog `make run` loads on every start."""

import pytest
from django.conf import settings

from apps.models import App
from authorizations.models import Authorization
from configuration.exporter import export_apps_text
from tests.configuration.helpers import database_state, run_command

pytestmark = pytest.mark.django_db

CATALOG = settings.BASE_DIR / "catalog"
FILES = [str(CATALOG / "basecamp.yaml"), str(CATALOG / "gotomeeting.yaml")]


def endpoint_of(slug: str, kind: str):
    return (
        Authorization.objects.get(app__slug=slug, name="OAuth2.0")
        .endpoints.prefetch_related("headers")
        .get(kind=kind)
    )


def headers_of(endpoint) -> list[tuple[str, str]]:
    return [(header.name, header.value) for header in endpoint.headers.all()]


def test_the_catalog_imports_cleanly_and_again_without_changes():
    first = run_command("import_apps", *FILES)
    before = database_state()
    second = run_command("import_apps", *FILES)

    assert first.stderr == ""
    assert "2 created" in first.stdout
    assert "basecamp: unchanged" in second.stdout
    assert "gotomeeting: unchanged" in second.stdout
    assert database_state() == before


def test_each_app_has_only_its_oauth2_authorization_needing_just_credentials():
    run_command("import_apps", *FILES)

    for app in App.objects.all():
        (authorization,) = app.authorizations.all()
        assert (authorization.name, authorization.type) == ("OAuth2.0", "oauth2")
        # Credentials are the developer's own, set in the admin; no endpoint lacks.
        assert len(authorization.missing_parts()) == 2
        assert "client secret" in authorization.completeness
        assert "Endpoint" not in authorization.completeness


def test_basecamp_is_transcribed_from_the_guide():
    run_command("import_apps", *FILES)

    app = App.objects.get(slug="basecamp")
    assert (app.name, app.api_base_url, app.docs_url) == (
        "Basecamp",
        "https://3.basecampapi.com",
        "https://github.com/basecamp/bc3-api",
    )
    authorization = app.authorizations.get()
    assert authorization.authorize_url == (
        "https://launchpad.37signals.com/authorization/new"
    )
    # The URL template sends the client credentials itself (PROVIDERS.md §1).
    assert (authorization.grant_type, authorization.client_auth) == (
        "authorization_code",
        "none",
    )
    token = endpoint_of("basecamp", "access_token")
    assert (token.method, token.body_format, token.request_template) == (
        "POST",
        "none",
        "",
    )
    assert token.url == (
        "https://launchpad.37signals.com/authorization/token?type=web_server"
        "&client_id={{requestBody.client_id}}"
        "&redirect_uri={{requestBody.redirect_uri|raw}}"
        "&client_secret={{requestBody.client_secret}}&code={{requestBody.code}}"
    )
    assert '"access_token": "{{ response.access_token }}"' in token.response_template
    assert '"refresh_token": "{{ response.refresh_token }}"' in token.response_template
    assert headers_of(token) == []
    user_info = endpoint_of("basecamp", "user_info")
    assert (user_info.method, user_info.url) == (
        "GET",
        "https://launchpad.37signals.com/authorization.json",
    )
    assert headers_of(user_info) == [("Authorization", "Bearer {{query.access_token}}")]
    assert user_info.response_template == (
        "{\n"
        '  "user_identity": "{{ response.identity.first_name }} '
        '{{ response.identity.last_name }} / {{ response.identity.email_address }}"\n'
        "}\n"
    )


def test_gotomeeting_is_transcribed_from_the_guide_but_for_its_token_host():
    run_command("import_apps", *FILES)

    app = App.objects.get(slug="gotomeeting")
    assert (app.name, app.api_base_url) == ("GoTo Meeting", "https://api.getgo.com")
    authorization = app.authorizations.get()
    assert authorization.authorize_url == (
        "https://authentication.logmeininc.com/oauth/authorize"
    )
    # Not the guide's: api.getgo.com's token endpoint was retired on 2025-09-30;
    # its successor takes the client credentials as HTTP Basic (PROVIDERS.md §2).
    assert (authorization.grant_type, authorization.client_auth) == (
        "authorization_code",
        "client_secret_basic",
    )
    token = endpoint_of("gotomeeting", "access_token")
    assert (token.method, token.url, token.body_format) == (
        "POST",
        "https://authentication.logmeininc.com/oauth/token",
        "form",
    )
    # The guide's template, trailing commas included.
    assert token.request_template == (
        "{\n"
        "  {% if requestBody.grant_type is defined and "
        "requestBody.grant_type == 'refresh_token' %}\n"
        '  "grant_type": "refresh_token",\n'
        '  "refresh_token": "{{ requestBody.refresh_token }}",\n'
        "  {% else %}\n"
        '  "grant_type": "authorization_code",\n'
        '  "code": "{{ requestBody.code }}",\n'
        '  "redirect_uri": "{{ requestBody.redirect_uri }}",\n'
        "  {% endif %}\n"
        "}\n"
    )
    assert headers_of(token) == [
        ("Accept", "application/json"),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ]
    assert '"organizer_key": "{{ response.organizer_key }}"' in token.response_template
    assert '"extras": {' in token.response_template
    user_info = endpoint_of("gotomeeting", "user_info")
    assert (user_info.method, user_info.url) == (
        "GET",
        "https://api.getgo.com/admin/rest/v1/me",
    )
    assert headers_of(user_info) == [
        ("Authorization", "Bearer {{ query.access_token }}")
    ]
    assert (
        '"user_identity": "{{ response.firstName }} {{ response.lastName }} / '
        '{{ response.email }}"'
    ) in user_info.response_template
    assert '"account_id": "{{ response.key }}"' in user_info.response_template


@pytest.mark.parametrize("slug", ["basecamp", "gotomeeting"])
def test_the_catalog_files_are_what_an_export_writes(slug):
    run_command("import_apps", *FILES)

    text = (CATALOG / f"{slug}.yaml").read_text(encoding="utf-8")
    without_comments = "".join(
        line for line in text.splitlines(keepends=True) if not line.startswith("#")
    )

    assert export_apps_text(App.objects.filter(slug=slug)) == without_comments


def test_credentials_set_in_the_admin_survive_the_next_make_run():
    run_command("import_apps", *FILES)
    Authorization.objects.filter(app__slug="basecamp").update(client_id="my-client-id")
    authorization = Authorization.objects.get(app__slug="basecamp")
    authorization.client_secret = "test-only-secret-value"
    authorization.save()

    result = run_command("import_apps", *FILES)

    assert "basecamp: unchanged" in result.stdout
    authorization.refresh_from_db()
    assert authorization.client_id == "my-client-id"
    kept_secret = authorization.client_secret == "test-only-secret-value"
    assert kept_secret, "the stored client secret was overwritten"
