"""How Verify knows a token expired: the expired status codes and the
"expired when" predicate, at every door.

The admin form (saved, refused in words at the field with nothing saved,
shown to a read-only member, hidden for no type), the script's registry, and
config files (written, read back, refused at their path).
"""

import pytest
import yaml

from apps.models import App
from authorizations import types
from authorizations.forms import type_registry
from authorizations.models import Authorization
from configuration.exporter import export_apps_text
from tests.admin.forms import field_errors, submit
from tests.configuration.helpers import database_state, run_command, write
from tests.configuration.test_bad_input import ACME, import_expecting_errors
from tests.factories import AppFactory, AuthorizationFactory, OAuth2AuthorizationFactory

pytestmark = pytest.mark.django_db

FORM = "authorization_form"
PREDICATE = "{{ response.ok == false and response.error == 'token_expired' }}"


def change_url(authorization):
    from django.urls import reverse

    return reverse("admin:authorizations_authorization_change", args=[authorization.pk])


def stored(authorization) -> dict:
    return Authorization.objects.filter(pk=authorization.pk).values().get()


# --- the registry ----------------------------------------------------------------


def test_every_type_has_the_expiry_settings_and_templates_do_not_read_them():
    for spec in types.NINE_TYPES:
        assert "user_info" in spec.endpoint_kinds
        assert spec.setting_names[-2:] == ("expired_statuses", "expired_when")
        assert not any(spec.setting(n).required for n in types.EXPIRY_SETTING_NAMES)
    # The console's rules, not a value a template could use.
    keys = types.registry().authorization_keys
    assert "expired_statuses" not in keys and "expired_when" not in keys


def test_the_form_script_gets_the_help_in_words():
    settings = type_registry()["types"]["api_key"]["settings"]

    assert settings["expired_statuses"]["label"] == "Expired status codes"
    assert "separated by commas" in settings["expired_statuses"]["helpText"]
    assert "For example:" in settings["expired_when"]["helpText"]


# --- the admin form --------------------------------------------------------------


def test_the_settings_are_saved_from_the_form(admin_client):
    authorization = AuthorizationFactory(type="api_key")

    response = submit(
        admin_client,
        change_url(authorization),
        FORM,
        {"expired_statuses": "401,403 ", "expired_when": PREDICATE},
    )

    assert response.status_code == 302
    authorization.refresh_from_db()
    assert authorization.expired_statuses == "401, 403"  # as the console reads it
    assert authorization.expired_when == PREDICATE


def test_an_api_key_page_shows_the_expiry_section_only(admin_client):
    authorization = AuthorizationFactory(type="api_key")

    page = admin_client.get(change_url(authorization)).content.decode()

    assert "Expired tokens" in page
    assert 'name="expired_statuses"' in page and 'value="401"' in page
    assert 'placeholder="{{ response.error == &#x27;token_expired&#x27; }}"' in page


BAD = {
    "letters": (
        "expired_statuses",
        "abc",
        '"abc" is not an HTTP error status code: give codes from 400 to 599, '
        "separated by commas, such as 401, 403.",
    ),
    "a success code": (
        "expired_statuses",
        "401, 200",
        '"200" is not an HTTP error status code: give codes from 400 to 599, '
        "separated by commas, such as 401, 403.",
    ),
    "too many codes": (
        "expired_statuses",
        ", ".join(str(code) for code in range(400, 411)),
        "At most 10 status codes; there are 11.",
    ),
    "a twig syntax error": (
        "expired_when",
        "{{ response.ok }}\n{{ response.error == }}",
        "Line 2, column 21:",
    ),
    "an unclosed tag": (
        "expired_when",
        "{% if response.expired %}yes",
        "Line 1, column",
    ),
}


@pytest.mark.parametrize(("field", "value", "words"), BAD.values(), ids=BAD.keys())
def test_a_bad_value_is_refused_at_its_field_and_nothing_is_saved(
    admin_client, field, value, words
):
    authorization = OAuth2AuthorizationFactory(expired_statuses="401, 403")
    before = stored(authorization)

    response = submit(
        admin_client,
        change_url(authorization),
        FORM,
        {field: value, "client_id": "changed-id"},
    )

    (error,) = field_errors(response, field)
    assert error.startswith(words) if field == "expired_when" else error == words
    assert stored(authorization) == before


def test_a_syntax_error_shows_the_line_with_a_caret(admin_client):
    authorization = AuthorizationFactory(type="api_key")

    response = submit(
        admin_client,
        change_url(authorization),
        FORM,
        {"expired_when": "{{ response.error == }}"},
    )

    page = response.content.decode()
    assert '<pre class="template-error-excerpt">{{ response.error == }}' in page
    assert " " * 20 + "^</pre>" in page


def test_a_read_only_member_sees_the_settings(member_client):
    client = member_client(permissions=["view_authorization"])
    authorization = AuthorizationFactory(
        type="api_key", expired_statuses="401, 403", expired_when=PREDICATE
    )

    response = client.get(change_url(authorization))
    page = response.content.decode()

    assert response.status_code == 200
    assert "Expired tokens" in page and "401, 403" in page
    assert "token_expired" in page
    assert 'name="expired_statuses"' not in page
    assert "App credentials" not in page  # API Key has none


# --- config files ----------------------------------------------------------------


def only_authorization(text: str) -> dict:
    (app,) = yaml.safe_load(text)["apps"]
    # A new app starts with an API Key authorization of its own.
    (authorization,) = [a for a in app["authorizations"] if a["name"] == "Main"]
    return authorization


def test_the_defaults_are_left_out_of_an_export():
    app = AppFactory(slug="acme", name="Acme")
    AuthorizationFactory(app=app, name="Main")

    written = only_authorization(export_apps_text([app]))

    assert "expired_statuses" not in written and "expired_when" not in written


def test_the_settings_round_trip_through_a_file(tmp_path):
    app = AppFactory(slug="acme", name="Acme")
    OAuth2AuthorizationFactory(
        app=app,
        name="Main",
        expired_statuses="401, 403",
        expired_when=PREDICATE + "\n",
    )
    text = export_apps_text([app])
    written = only_authorization(text)
    assert written["expired_statuses"] == "401, 403"
    assert written["expired_when"] == PREDICATE + "\n"
    Authorization.objects.all().delete()
    App.objects.all().delete()

    run_command("import_apps", str(write(tmp_path / "acme.yaml", text)))

    authorization = Authorization.objects.get(name="Main")
    assert authorization.expired_statuses == "401, 403"
    assert authorization.expired_when == PREDICATE + "\n"
    assert export_apps_text(App.objects.all()) == text


@pytest.mark.parametrize(
    ("written", "stored_as"),
    [("403", "403"), ("[401, 403]", "401, 403"), ("'401, 429'", "401, 429")],
)
def test_a_file_may_write_codes_as_numbers(tmp_path, written, stored_as):
    text = ACME + (
        f"      - name: Main\n        type: api_key\n"
        f"        expired_statuses: {written}\n"
    )

    run_command("import_apps", str(write(tmp_path / "acme.yaml", text)))

    assert Authorization.objects.get(name="Main").expired_statuses == stored_as


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (
            "expired_statuses: [401, abc]",
            "expected text, found a list",
        ),
        (
            "expired_statuses: 200",
            '"200" is not an HTTP error status code',
        ),
        (
            "expired_when: '{{ response.error == }}'",
            "(line 1, column 21)",
        ),
    ],
    ids=["not-numbers", "a-success-code", "twig-syntax"],
)
def test_a_bad_file_is_refused_at_its_path_and_nothing_changes(
    in_tmp, setting, expected
):
    AppFactory(slug="acme", name="Acme")
    write(
        in_tmp / "bad.yaml",
        ACME + f"      - name: Main\n        type: api_key\n        {setting}\n",
    )
    before = database_state()

    (problem,) = import_expecting_errors("bad.yaml")

    assert problem.startswith("bad.yaml: apps[0].authorizations[0]."), problem
    assert expected in problem
    assert database_state() == before
