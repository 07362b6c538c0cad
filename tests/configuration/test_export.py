import json

import pytest
import yaml
from django.core.management.base import CommandError

from apps.models import App
from authorizations.models import Authorization
from configuration.exporter import export_apps_text
from tests.configuration.helpers import run_command
from tests.factories import (
    AppFactory,
    AuthorizationFactory,
    EndpointFactory,
    HeaderFactory,
    OAuth2AuthorizationFactory,
)

pytestmark = pytest.mark.django_db

# A fake credential for tests only. Comparisons are made into plain booleans
# first, so a failing assertion does not print it.
SECRET = OAuth2AuthorizationFactory.client_secret


def test_apps_authorizations_endpoints_and_headers_come_out_in_a_stable_order():
    zeta = AppFactory(slug="zeta", name="Zeta")
    AppFactory(slug="alpha", name="Alpha")
    second = AuthorizationFactory(app=zeta, name="Second", type="oauth2")
    AuthorizationFactory(app=zeta, name="First")
    EndpointFactory(authorization=second, kind="revoke", url="https://z.example/r")
    token = EndpointFactory(authorization=second, kind="access_token")
    EndpointFactory(authorization=second, kind="user_info")
    HeaderFactory(endpoint=token, name="B", value="2", position=1)
    HeaderFactory(endpoint=token, name="A", value="1", position=0)

    document = yaml.safe_load(export_apps_text(App.objects.all()))

    assert document["version"] == 1
    assert [app["slug"] for app in document["apps"]] == ["alpha", "zeta"]
    zeta_doc = document["apps"][1]
    assert [a["name"] for a in zeta_doc["authorizations"]] == [
        "API Key",
        "First",
        "Second",
    ]
    endpoints = zeta_doc["authorizations"][2]["endpoints"]
    assert list(endpoints) == ["user_info", "access_token", "revoke"]
    assert endpoints["access_token"]["headers"] == [
        {"name": "A", "value": "1"},
        {"name": "B", "value": "2"},
    ]


def test_keys_follow_the_documented_order():
    app = AppFactory(slug="acme", description="Tools", docs_url="https://d.example")
    authorization = OAuth2AuthorizationFactory(app=app, name="OAuth", scopes="read")
    EndpointFactory(authorization=authorization)
    Authorization.objects.filter(app=app, name="API Key").delete()

    document = yaml.safe_load(export_apps_text([app]))

    app_doc = document["apps"][0]
    assert list(app_doc) == [
        "slug",
        "name",
        "description",
        "api_base_url",
        "docs_url",
        "authorizations",
    ]
    assert list(app_doc["authorizations"][0]) == [
        "name",
        "type",
        "client_id",
        "authorize_url",
        "scopes",
        "endpoints",
    ]
    assert list(app_doc["authorizations"][0]["endpoints"]["user_info"]) == [
        "method",
        "url",
        "body_format",
        "request_template",
        "response_template",
        "headers",
    ]


def test_only_the_settings_the_type_uses_are_written():
    authorization = AuthorizationFactory(type="api_key")
    # A value lingering from an earlier type is not part of this one's config.
    Authorization.objects.filter(pk=authorization.pk).update(
        client_id="left-over", authorize_url="https://old.example/authorize"
    )

    text = export_apps_text([authorization.app])

    assert "left-over" not in text
    assert "authorize_url" not in text


def test_multi_line_templates_are_readable_blocks():
    EndpointFactory(
        response_template='{\r\n  "user_identity": "{{ response.email }}"\r\n}\r\n',
        request_template='{"a": 1}',
    )

    text = export_apps_text(App.objects.all())

    assert (
        "            response_template: |\n"
        "              {\n"
        '                "user_identity": "{{ response.email }}"\n'
        "              }\n"
    ) in text
    assert "request_template: '{\"a\": 1}'\n" in text


def test_json_has_the_same_structure_as_yaml():
    endpoint = EndpointFactory()
    HeaderFactory(endpoint=endpoint)
    apps = App.objects.all()

    as_json = json.loads(export_apps_text(apps, fmt="json"))

    assert as_json == yaml.safe_load(export_apps_text(apps, fmt="yaml"))


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match='"xml" is not a config format'):
        export_apps_text([], fmt="xml")


def test_secrets_are_left_out_unless_asked_for():
    OAuth2AuthorizationFactory(app=AppFactory(slug="acme"))

    without = run_command("export_apps", "acme")
    with_secrets = run_command("export_apps", "acme", "--include-secrets")

    leaked = SECRET in without.stdout
    assert not leaked, "the export without --include-secrets holds the secret"
    assert "client_secret" not in without.stdout
    authorizations = yaml.safe_load(with_secrets.stdout)["apps"][0]["authorizations"]
    oauth = next(a for a in authorizations if a["type"] == "oauth2")
    exported = oauth["client_secret"] == SECRET
    assert exported, "the export with --include-secrets lacks the stored secret"
    assert "client secrets in plain text" in with_secrets.stderr


def test_named_slugs_limit_the_export():
    AppFactory(slug="one")
    AppFactory(slug="two")

    result = run_command("export_apps", "two", "--format", "json")

    assert [app["slug"] for app in json.loads(result.stdout)["apps"]] == ["two"]


def test_an_unknown_slug_is_an_error_naming_it():
    AppFactory(slug="one")

    with pytest.raises(CommandError) as error:
        run_command("export_apps", "one", "nope", "gone")

    assert str(error.value) == 'Unknown app slugs: "gone", "nope". Known slugs: one.'


def test_output_writes_the_same_text_to_a_file(tmp_path):
    EndpointFactory()
    target = tmp_path / "apps.yaml"

    printed = run_command("export_apps")
    run_command("export_apps", "--output", str(target))

    assert target.read_text(encoding="utf-8") == printed.stdout


def test_an_output_file_that_cannot_be_written_is_a_clear_error(tmp_path):
    target = tmp_path / "missing-folder" / "apps.yaml"

    with pytest.raises(CommandError) as error:
        run_command("export_apps", "--output", str(target))

    assert str(error.value) == f"Cannot write {target}: No such file or directory."
