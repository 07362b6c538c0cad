"""The OAuth settings beyond credentials (grant, client authentication, scope
separator, extra authorize parameters, issuer, OAuth1 signature method) in
config files: written, read back, and refused in words at their path."""

import pytest
import yaml

from apps.models import App
from authorizations.models import Authorization
from configuration.exporter import export_apps_text
from tests.configuration.helpers import database_state, run_command, write
from tests.configuration.test_bad_input import ACME, import_expecting_errors
from tests.factories import AppFactory, AuthorizationFactory, OAuth2AuthorizationFactory

pytestmark = pytest.mark.django_db


def oauth_file(settings: str, *, type_: str = "oauth2") -> str:
    """An Acme file whose one authorization, "Main", has these settings."""
    return (
        ACME
        + f"      - name: Main\n        type: {type_}\n"
        + "".join(f"        {line}\n" for line in settings.splitlines())
    )


def only_authorization(document_text: str) -> dict:
    (app,) = yaml.safe_load(document_text)["apps"]
    (authorization,) = [a for a in app["authorizations"] if a["name"] == "Main"]
    return authorization


def test_every_setting_is_written_in_the_documented_order():
    app = AppFactory(slug="acme", name="Acme")
    OAuth2AuthorizationFactory(
        app=app,
        name="Main",
        client_auth="client_secret_basic",
        scopes="read write",
        scope_separator=",",
        authorize_params={"prompt": "consent", "access_type": "offline"},
        use_pkce=True,
        issuer="https://auth.acme.example",
    )

    written = only_authorization(export_apps_text([app]))

    assert list(written) == [
        "name",
        "type",
        "client_id",
        "client_auth",
        "authorize_url",
        "scopes",
        "scope_separator",
        "authorize_params",
        "use_pkce",
        "issuer",
        "endpoints",
    ]
    assert written["scope_separator"] == ","
    # Sorted, whatever order the database keeps (PostgreSQL's jsonb keeps none).
    assert list(written["authorize_params"].items()) == [
        ("access_type", "offline"),
        ("prompt", "consent"),
    ]


def test_settings_at_their_defaults_are_left_out():
    app = AppFactory(slug="acme", name="Acme")
    OAuth2AuthorizationFactory(app=app, name="Main")
    AuthorizationFactory(app=app, name="Legacy", type="oauth1", client_id="ck")

    text = export_apps_text([app])

    for key in (
        "grant_type",
        "client_auth",
        "scope_separator",
        "authorize_params",
        "issuer",
        "signature_method",
    ):
        assert key not in text


def test_the_client_credentials_grant_writes_no_authorization_url():
    app = AppFactory(slug="acme", name="Acme")
    authorization = OAuth2AuthorizationFactory(
        app=app, name="Main", grant_type="client_credentials"
    )
    # As an older save could have left them: the grant does not use them.
    Authorization.objects.filter(pk=authorization.pk).update(
        use_pkce=True, authorize_params={"prompt": "consent"}
    )

    written = only_authorization(export_apps_text([app]))

    assert written["grant_type"] == "client_credentials"
    assert "authorize_url" not in written
    assert "use_pkce" not in written
    assert "authorize_params" not in written


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_the_settings_survive_export_delete_import(tmp_path, fmt):
    app = AppFactory(slug="acme", name="Acme")
    OAuth2AuthorizationFactory(
        app=app,
        name="Main",
        client_auth="client_secret_post",
        scopes="a b",
        scope_separator=" ",
        authorize_params={"access_type": "offline"},
        issuer="https://auth.acme.example",
    )
    OAuth2AuthorizationFactory(
        app=app,
        name="Robot",
        grant_type="client_credentials",
        authorize_url="",
        scope_separator=",",
    )
    AuthorizationFactory(
        app=app, name="Legacy", type="oauth1", signature_method="RSA-SHA1"
    )
    path = tmp_path / f"acme.{fmt}"
    run_command("export_apps", "--format", fmt, "--output", str(path))
    first = path.read_text(encoding="utf-8")
    App.objects.all().delete()

    run_command("import_apps", str(path))

    main = Authorization.objects.get(name="Main")
    assert (main.client_auth, main.scope_separator, main.issuer) == (
        "client_secret_post",
        " ",
        "https://auth.acme.example",
    )
    assert main.authorize_params == {"access_type": "offline"}
    assert main.requested_scope() == "a b"
    robot = Authorization.objects.get(name="Robot")
    assert (robot.grant_type, robot.requested_scope()) == ("client_credentials", "")
    assert robot.scope_separator == ","
    legacy = Authorization.objects.get(name="Legacy")
    assert legacy.signature_method == "RSA-SHA1"
    assert export_apps_text(App.objects.all(), fmt=fmt) == first


def test_an_empty_scope_separator_means_a_space(in_tmp):
    write(in_tmp / "acme.yaml", oauth_file("scope_separator: ''\nscopes: a b"))

    run_command("import_apps", "acme.yaml")

    authorization = Authorization.objects.get(name="Main")
    assert authorization.scope_separator == " "
    assert authorization.requested_scope() == "a b"


def test_a_grant_change_resets_what_the_new_grant_does_not_use(in_tmp):
    authorization = OAuth2AuthorizationFactory(
        app=AppFactory(slug="acme", name="Acme"),
        name="Main",
        use_pkce=True,
        authorize_params={"prompt": "consent"},
    )
    write(in_tmp / "acme.yaml", oauth_file("grant_type: client_credentials"))

    run_command("import_apps", "acme.yaml")

    authorization.refresh_from_db()
    assert authorization.grant_type == "client_credentials"
    assert (authorization.authorize_url, authorization.use_pkce) == ("", False)
    assert authorization.authorize_params == {}
    # The credentials a file leaves out are kept, as for any grant.
    assert authorization.client_id == "client-id-123"


A = "bad.yaml: apps[0].authorizations[0]"

REFUSED = {
    "an unknown client authentication": (
        oauth_file("client_auth: basic"),
        f'{A}.client_auth: "basic" is not a client authentication method; '
        "expected one of: client_secret_basic, client_secret_post, none.",
    ),
    "a client authentication written with hyphens": (
        oauth_file("client_auth: client-secret-basic"),
        f'{A}.client_auth: "client-secret-basic" is not a client authentication '
        'method; did you mean "client_secret_basic"?',
    ),
    "an unknown grant": (
        oauth_file("grant_type: implicit"),
        f'{A}.grant_type: "implicit" is not an OAuth 2.0 grant; expected one of: '
        "authorization_code, client_credentials.",
    ),
    "an unknown signature method": (
        oauth_file("signature_method: hmac-sha1", type_="oauth1"),
        f'{A}.signature_method: "hmac-sha1" is not an OAuth 1.0 signature method; '
        'did you mean "HMAC-SHA1"?',
    ),
    "a signature method on OAuth 2.0": (
        oauth_file("signature_method: HMAC-SHA1"),
        f"{A}.signature_method: an OAuth2.0 authorization has no signature_method "
        "setting; remove this key.",
    ),
    "authorize params that are a list": (
        oauth_file("authorize_params:\n  - prompt=consent"),
        f"{A}.authorize_params: expected a mapping of parameter names to texts, "
        "such as {prompt: consent}, found a list.",
    ),
    "authorize params that are text": (
        oauth_file("authorize_params: prompt=consent"),
        f"{A}.authorize_params: expected a mapping of parameter names to texts, "
        "such as {prompt: consent}, found text.",
    ),
    "a reserved authorize parameter": (
        oauth_file("authorize_params:\n  prompt: consent\n  state: fixed"),
        f'{A}.authorize_params: "state" is set by the console itself and cannot '
        "be an extra authorize parameter.",
    ),
    "an authorize parameter that is a number": (
        oauth_file("authorize_params:\n  max_age: 0"),
        f'{A}.authorize_params: The extra authorize parameter "max_age" must be '
        'text, such as "consent".',
    ),
    "an authorize parameter named by a number": (
        oauth_file("authorize_params:\n  1: one"),
        f"{A}.authorize_params: expected text as each parameter name, found a "
        "number (put it in quotes).",
    ),
    "an authorization URL with the client credentials grant": (
        oauth_file(
            "grant_type: client_credentials\n"
            "authorize_url: https://auth.acme.example/authorize"
        ),
        f"{A}.authorize_url: an OAuth2.0 authorization with the client "
        "credentials grant has no authorize_url setting; remove this key.",
    ),
    "an issuer that is not http(s)": (
        oauth_file("issuer: ftp://auth.acme.example"),
        None,  # the model's URL message, whatever its words
    ),
}


@pytest.fixture
def stored_acme():
    """What the refused imports must leave as it is."""
    OAuth2AuthorizationFactory(
        app=AppFactory(slug="acme", name="Acme"),
        name="Main",
        client_auth="client_secret_post",
        authorize_params={"prompt": "login"},
    )


@pytest.mark.parametrize("text, expected", REFUSED.values(), ids=REFUSED.keys())
def test_a_bad_setting_is_refused_at_its_path_and_nothing_is_stored(
    in_tmp, stored_acme, text, expected
):
    write(in_tmp / "bad.yaml", text)
    before = database_state()

    problems = import_expecting_errors("bad.yaml")

    if expected is None:
        (problem,) = problems
        assert problem.startswith(f"{A}.issuer: ")
    else:
        assert problems == [expected]
    assert database_state() == before
    stored = Authorization.objects.get(app__slug="acme", name="Main")
    assert stored.authorize_params == {"prompt": "login"}


def test_the_config_doc_shows_an_oauth2_authorization_as_an_export_writes_it(
    in_tmp,
):
    from tests.configuration.test_docs import DOC

    block = next(
        text
        for text in DOC.split("```yaml\n")[1:]
        if "authorize_params:" in text.split("```")[0]
    ).split("```")[0]
    write(in_tmp / "doc.yaml", ACME + block)

    run_command("import_apps", "doc.yaml")

    written = export_apps_text(App.objects.filter(slug="acme"))
    assert block in written
