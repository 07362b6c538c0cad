import pytest
import yaml
from django.core.management.base import CommandError

from apps.models import App
from authorizations.models import Authorization, Endpoint, Header
from configuration.exporter import export_apps_text
from tests.configuration.helpers import database_state, run_command, write
from tests.factories import (
    AppFactory,
    AuthorizationFactory,
    ConnectedAccountFactory,
    EndpointFactory,
    HeaderFactory,
    OAuth2AuthorizationFactory,
)

pytestmark = pytest.mark.django_db

# Fake credentials for tests only. Comparisons are made into plain booleans
# first, so a failing assertion does not print them.
STORED_SECRET = "stored-secret-for-tests-0001"
FILE_SECRET = "file-secret-for-tests-0002"

# Text that is easy to get subtly wrong in YAML: trailing newlines or none,
# leading indentation, trailing spaces, tabs, YAML keywords, non-ASCII.
AWKWARD_TEMPLATES = [
    '{\n  "user_identity": "{{ response.email }}"\n}\n',
    '{"user_identity": "{{ response.login }}"}',
    '{\n  "a": "b"\n}\n\n\n',
    '  {\n    "indented": true\n  }\n',
    '{  \n  "trailing": "spaces"   \n}\n',
    '{\n\t"tab": "{{ response.x }}"\n}',
    "yes",
    "",
    '{\n  "name": "Zoë — {{ response.name }}"\n}\n',
    "\n",
]


def build_varied_apps():
    """Apps using every kind of value the format carries."""
    crm = AppFactory(
        slug="crm",
        name="CRM: the one",
        description="Line one.\nLine two: with a colon.\n",
        logo_url="https://crm.example/logo.png",
        docs_url="https://crm.example/docs",
    )
    oauth = OAuth2AuthorizationFactory(
        app=crm,
        name="OAuth",
        scopes="read write",
        use_pkce=True,
        client_auth="client_secret_post",
        scope_separator=",",
        # Not in alphabetical order: the export sorts them.
        authorize_params={"prompt": "consent", "access_type": "offline"},
        issuer="https://accounts.crm.example",
    )
    OAuth2AuthorizationFactory(
        app=crm,
        name="Machine",
        grant_type="client_credentials",
        client_auth="client_secret_basic",
        authorize_url="",
        scope_separator=" + ",
    )
    for kind, template in zip(
        ("user_info", "access_token", "revoke"), AWKWARD_TEMPLATES, strict=False
    ):
        endpoint = EndpointFactory(
            authorization=oauth,
            kind=kind,
            method="POST",
            url="{{ app.api_base_url }}/" + kind + "?q={{ query.access_token }}",
            request_template=AWKWARD_TEMPLATES[-1 - len(kind) % 4],
            response_template=template,
            body_format="form",
        )
        for position, name in enumerate(("Accept", "X-Trace", "Authorization")):
            HeaderFactory(
                endpoint=endpoint, name=name, value=f"v{position} {{{{ x }}}}"
            )
    oauth1 = AuthorizationFactory(
        app=crm,
        name="Legacy",
        type="oauth1",
        client_id="consumer",
        signature_method="HMAC-SHA256",
    )
    for template, kind in zip(
        AWKWARD_TEMPLATES[3:],
        ("request_token", "access_token", "user_info"),
        strict=False,
    ):
        EndpointFactory(authorization=oauth1, kind=kind, response_template=template)
    AuthorizationFactory(app=crm, name="Form", type="basic_url")
    wiki = AppFactory(slug="wiki", name="Wiki", api_base_url="")
    for template, spec in zip(
        AWKWARD_TEMPLATES, ("api_key_secret", "basic_api_key"), strict=False
    ):
        authorization = AuthorizationFactory(app=wiki, name=spec, type=spec)
        EndpointFactory(authorization=authorization, response_template=template)
    Authorization.objects.filter(app=wiki, name="API Key").delete()


@pytest.mark.parametrize("fmt", ["yaml", "json"])
@pytest.mark.parametrize("include_secrets", [False, True])
def test_export_delete_import_export_gives_identical_files(
    tmp_path, fmt, include_secrets
):
    build_varied_apps()
    first = tmp_path / f"first.{fmt}"
    second = tmp_path / f"second.{fmt}"
    flags = ["--format", fmt, "--output"]
    secret_flag = ["--include-secrets"] if include_secrets else []

    run_command("export_apps", *flags, str(first), *secret_flag)
    App.objects.all().delete()
    run_command("import_apps", str(first))
    run_command("export_apps", *flags, str(second), *secret_flag)

    # A boolean, so a failure does not print the secrets; diff the files instead.
    identical = second.read_bytes() == first.read_bytes()
    assert identical, f"the second export differs: diff {first} {second}"
    assert not Authorization.objects.filter(app__slug="wiki", name="API Key").exists()


def test_every_awkward_template_survives_the_round_trip(tmp_path):
    for number, template in enumerate(AWKWARD_TEMPLATES):
        EndpointFactory(
            authorization__app__slug=f"app-{number:02}",
            response_template=template,
            request_template=template,
        )
    path = write(tmp_path / "all.yaml", export_apps_text(App.objects.all()))
    App.objects.all().delete()

    run_command("import_apps", str(path))

    stored = Endpoint.objects.order_by("authorization__app__slug")
    assert [e.response_template for e in stored] == AWKWARD_TEMPLATES
    assert [e.request_template for e in stored] == AWKWARD_TEMPLATES


def test_importing_the_same_file_twice_changes_nothing(tmp_path):
    build_varied_apps()
    path = write(tmp_path / "apps.yaml", export_apps_text(App.objects.all()))
    App.objects.all().delete()
    first = run_command("import_apps", str(path))
    before = database_state()

    second = run_command("import_apps", str(path))

    assert "crm: created" in first.stdout
    assert second.stdout.splitlines()[:2] == [
        f"crm: unchanged ({path})",
        f"wiki: unchanged ({path})",
    ]
    assert "0 created, 0 updated, 2 unchanged" in second.stdout
    assert database_state() == before


def test_a_changed_file_updates_the_app_to_match_it(tmp_path):
    build_varied_apps()
    document = yaml.safe_load(export_apps_text(App.objects.filter(slug="crm")))
    authorizations = document["apps"][0]["authorizations"]
    oauth = next(a for a in authorizations if a["name"] == "OAuth")
    oauth["scopes"] = "read"
    user_info = oauth["endpoints"]["user_info"]
    user_info["method"] = "GET"
    user_info["headers"] = [{"name": "Only", "value": "one"}] + user_info["headers"][:1]
    del oauth["endpoints"]["revoke"]
    document["apps"][0]["authorizations"] = [
        a for a in document["apps"][0]["authorizations"] if a["name"] != "Form"
    ] + [{"name": "Key", "type": "api_key", "endpoints": {}}]
    path = write(tmp_path / "crm.yaml", yaml.safe_dump(document))
    wiki_before = export_apps_text(App.objects.filter(slug="wiki"))

    result = run_command("import_apps", str(path))

    assert f"crm: updated ({path})" in result.stdout
    crm = App.objects.get(slug="crm")
    assert sorted(crm.authorizations.values_list("name", flat=True)) == [
        "API Key",
        "Key",
        "Legacy",
        "Machine",
        "OAuth",
    ]
    stored = crm.authorizations.get(name="OAuth")
    assert stored.scopes == "read"
    assert sorted(stored.endpoints.values_list("kind", flat=True)) == [
        "access_token",
        "user_info",
    ]
    endpoint = stored.endpoints.get(kind="user_info")
    assert endpoint.method == "GET"
    assert list(endpoint.headers.values_list("name", "value", "position")) == [
        ("Only", "one", 0),
        ("Accept", "v0 {{ x }}", 1),
    ]
    assert export_apps_text(App.objects.filter(slug="wiki")) == wiki_before


def test_an_absent_client_secret_keeps_the_stored_one(tmp_path):
    authorization = OAuth2AuthorizationFactory(
        app=AppFactory(slug="acme"), client_secret=STORED_SECRET
    )
    path = tmp_path / "acme.yaml"
    run_command("export_apps", "acme", "--output", str(path))
    assert "client_secret" not in path.read_text(encoding="utf-8")

    result = run_command("import_apps", str(path))

    assert "acme: unchanged" in result.stdout
    authorization.refresh_from_db()
    kept = authorization.client_secret == STORED_SECRET
    assert kept, "the stored client secret was not kept"


def test_a_client_secret_in_the_file_replaces_the_stored_one(tmp_path):
    authorization = OAuth2AuthorizationFactory(
        app=AppFactory(slug="acme"), client_secret=STORED_SECRET
    )
    document = yaml.safe_load(export_apps_text([authorization.app]))
    oauth = document["apps"][0]["authorizations"][1]
    oauth["client_secret"] = FILE_SECRET
    path = write(tmp_path / "acme.yaml", yaml.safe_dump(document))

    result = run_command("import_apps", str(path))

    assert "acme: updated" in result.stdout
    authorization.refresh_from_db()
    replaced = authorization.client_secret == FILE_SECRET
    assert replaced, "the file's client secret was not stored"


def test_an_absent_client_id_keeps_the_stored_one_and_an_empty_one_clears_it(
    tmp_path,
):
    authorization = OAuth2AuthorizationFactory(app=AppFactory(slug="acme"))
    document = yaml.safe_load(export_apps_text([authorization.app]))
    oauth = document["apps"][0]["authorizations"][1]
    del oauth["client_id"]
    path = write(tmp_path / "acme.yaml", yaml.safe_dump(document))

    run_command("import_apps", str(path))
    authorization.refresh_from_db()
    assert authorization.client_id == "client-id-123"

    oauth["client_id"] = ""
    write(path, yaml.safe_dump(document))
    run_command("import_apps", str(path))
    authorization.refresh_from_db()
    assert authorization.client_id == ""


def test_a_type_change_clears_the_settings_the_new_type_does_not_use(tmp_path):
    authorization = OAuth2AuthorizationFactory(
        app=AppFactory(slug="acme"), name="Main", client_secret=STORED_SECRET
    )
    path = write(
        tmp_path / "acme.yaml",
        "version: 1\napps:\n  - slug: acme\n    name: Acme\n    authorizations:\n"
        "      - name: Main\n        type: api_key\n",
    )

    run_command("import_apps", str(path))

    authorization.refresh_from_db()
    assert (authorization.type, authorization.client_id) == ("api_key", "")
    assert authorization.client_secret == ""
    assert authorization.authorize_url == ""


def test_a_new_app_gets_exactly_the_authorizations_in_the_file(tmp_path):
    path = write(
        tmp_path / "apps.yaml",
        """\
version: 1
apps:
  - slug: without-key
    name: Without key
    authorizations:
      - name: OAuth2.0
        type: oauth2
        endpoints: {}
  - slug: with-key
    name: With key
    authorizations:
      - name: API Key
        type: api_key
        endpoints:
          user_info:
            url: https://api.example.com/me
  - slug: bare
    name: Bare
    authorizations: []
""",
    )

    result = run_command("import_apps", str(path))

    assert "3 created" in result.stdout
    names = {
        app.slug: list(app.authorizations.values_list("name", "type"))
        for app in App.objects.all()
    }
    assert names == {
        "without-key": [("OAuth2.0", "oauth2")],
        "with-key": [("API Key", "api_key")],
        "bare": [],
    }
    endpoint = Endpoint.objects.get(authorization__app__slug="with-key")
    assert (endpoint.kind, endpoint.url) == ("user_info", "https://api.example.com/me")
    assert "needs an Access Token Endpoint" in result.stderr


def test_an_unlisted_authorization_with_connected_accounts_is_not_deleted(in_tmp):
    app = AppFactory(slug="acme", name="Acme")
    kept = AuthorizationFactory(app=app, name="Old")
    ConnectedAccountFactory.create_batch(2, authorization=kept)
    write(
        in_tmp / "acme.yaml",
        "version: 1\napps:\n  - slug: acme\n    name: Acme\n"
        "    authorizations:\n      - name: API Key\n        type: api_key\n",
    )
    before = database_state()

    with pytest.raises(CommandError) as error:
        run_command("import_apps", "acme.yaml")

    assert str(error.value).splitlines()[1:] == [
        'acme.yaml: apps[0].authorizations: "Old" of app "acme" is not in the file, '
        "but it cannot be deleted: 2 connected accounts use it. List it again, or "
        "remove its connected accounts first."
    ]
    assert database_state() == before


def test_one_bad_file_means_nothing_is_written_from_any_file(in_tmp):
    AppFactory(slug="existing", name="Existing")
    write(
        in_tmp / "good.yaml",
        "version: 1\napps:\n  - slug: fresh\n    name: Fresh\n    authorizations: []\n"
        "  - slug: existing\n    name: Renamed\n    authorizations: []\n",
    )
    write(
        in_tmp / "bad.yaml",
        "version: 1\napps:\n  - slug: other\n    name: ''\n    authorizations: []\n",
    )
    before = database_state()

    with pytest.raises(CommandError) as error:
        run_command("import_apps", "good.yaml", "bad.yaml")

    assert str(error.value).splitlines() == [
        "Nothing was imported: 1 problem to fix.",
        "bad.yaml: apps[0].name: This field cannot be blank.",
    ]
    assert database_state() == before
    assert not App.objects.filter(slug="fresh").exists()


def test_headers_are_stored_at_the_positions_of_the_file(tmp_path):
    path = write(
        tmp_path / "acme.yaml",
        """\
version: 1
apps:
  - slug: acme
    name: Acme
    authorizations:
      - name: API Key
        type: api_key
        endpoints:
          user_info:
            url: https://api.example.com/me
            headers:
              - {name: Z-Last, value: '1'}
              - {name: A-First, value: '2'}
              - {name: M-Middle, value: '3'}
""",
    )

    run_command("import_apps", str(path))

    assert list(Header.objects.values_list("position", "name", "value")) == [
        (0, "Z-Last", "1"),
        (1, "A-First", "2"),
        (2, "M-Middle", "3"),
    ]
