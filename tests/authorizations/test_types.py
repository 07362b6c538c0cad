"""The nine authorization types: their rules, as the seed text states them."""

import pytest

from apps.models import App
from authorizations import types
from authorizations.models import Authorization, Endpoint
from authorizations.services import (
    authorization_add_starting_endpoints,
    authorization_clear_unused_settings,
)
from tests.factories import AppFactory, AuthorizationFactory, EndpointFactory

# (type, label, needs user info, needs access token, end-user credential fields)
SEED = [
    ("oauth1", "OAuth1.0", True, True, []),
    ("oauth2", "OAuth2.0", True, True, []),
    ("basic", "Basic", True, True, ["username", "password"]),
    ("basic_url", "Basic with URL", True, False, ["username", "password", "url"]),
    ("basic_api_key", "Basic with API-Key", False, False, ["username", "api_key"]),
    ("api_key", "API Key", True, False, ["api_key"]),
    ("api_secret", "API Secret", True, False, ["api_secret"]),
    ("api_key_secret", "API Key with Secret", True, False, ["api_key", "api_secret"]),
    ("api_key_url", "API Key with URL", True, False, ["api_key", "url"]),
]


def test_registry_holds_exactly_the_nine_types_in_order():
    assert [(key, label) for key, label, *_ in SEED] == types.type_choices()


@pytest.mark.parametrize(("key", "label", "user_info", "token", "fields"), SEED)
def test_type_rules(key, label, user_info, token, fields):
    spec = types.get_type(key)
    assert spec.label == label
    assert ("user_info" in spec.required_endpoints) is user_info
    assert ("access_token" in spec.required_endpoints) is token
    assert [f.name for f in spec.credential_fields] == fields
    secret = {f.name for f in spec.credential_fields if f.secret}
    assert secret == {"password", "api_key", "api_secret"} & set(fields)


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "label", "user_info", "token", "fields"), SEED)
def test_completeness_names_each_missing_endpoint(key, label, user_info, token, fields):
    authorization = AuthorizationFactory(type=key, client_id="id", client_secret="s")
    authorization.authorize_url = "https://provider.example.com/authorize"
    missing = authorization.missing_parts()
    assert ("a User Information Endpoint" in missing) is user_info
    assert ("an Access Token Endpoint" in missing) is token
    for kind in ("user_info", "access_token"):
        if kind in authorization.spec.required_endpoints:
            EndpointFactory(authorization=authorization, kind=kind)
    assert authorization.completeness == "Complete"


def test_unknown_type_is_a_clear_error():
    with pytest.raises(types.UnknownType, match='"oauth3" is not an authorization'):
        types.get_type("oauth3")


@pytest.mark.django_db
def test_completeness_sentence_lists_everything_missing():
    authorization = AuthorizationFactory(type="oauth2")
    assert authorization.completeness == (
        "Needs a client ID, a client secret, an authorization URL, "
        "a User Information Endpoint and an Access Token Endpoint"
    )


@pytest.mark.django_db
def test_every_new_app_starts_with_an_api_key_authorization():
    app = App.objects.create(name="Acme", slug="acme")
    (authorization,) = app.authorizations.all()
    assert (authorization.name, authorization.type) == ("API Key", "api_key")
    assert authorization.completeness == "Needs a User Information Endpoint"


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["oauth1", "oauth2"])
def test_new_oauth_authorization_starts_with_a_standard_token_endpoint(key):
    authorization = AuthorizationFactory(type=key)
    authorization_add_starting_endpoints(authorization=authorization)
    endpoint = authorization.endpoints.get(kind="access_token")
    assert endpoint.method == "POST"
    assert "access_token" in endpoint.response_template
    assert "a URL for its Access Token Endpoint" in authorization.missing_parts()


@pytest.mark.django_db
def test_credential_types_get_no_starting_endpoints():
    authorization = AuthorizationFactory(type="api_key")
    authorization_add_starting_endpoints(authorization=authorization)
    assert not authorization.endpoints.exists()


@pytest.mark.django_db
def test_endpoint_kind_must_belong_to_the_type():
    authorization = AuthorizationFactory(type="api_key", app=AppFactory())
    endpoint = Endpoint(authorization=authorization, kind="access_token", url="")
    with pytest.raises(
        Exception,
        match="This API Key authorization does not use an Access Token Endpoint",
    ):
        endpoint.full_clean()


def test_switching_type_clears_settings_the_new_type_does_not_use():
    authorization = Authorization(
        type="api_key", client_id="id", client_secret="secret", use_pkce=True
    )
    authorization_clear_unused_settings(authorization=authorization)
    assert (authorization.client_id, authorization.client_secret) == ("", "")
    assert authorization.use_pkce is False


@pytest.mark.django_db
def test_the_client_credentials_grant_needs_no_authorization_url():
    authorization = AuthorizationFactory(
        type="oauth2", grant_type="client_credentials", client_id="id"
    )
    assert authorization.missing_parts() == [
        "a client secret",
        "a User Information Endpoint",
        "an Access Token Endpoint",
    ]
    authorization.grant_type = "authorization_code"
    assert "an authorization URL" in authorization.missing_parts()


@pytest.mark.django_db
def test_a_public_client_using_pkce_needs_no_secret():
    authorization = AuthorizationFactory(
        type="oauth2",
        client_id="id",
        authorize_url="https://p.example.com/authorize",
        use_pkce=True,
    )
    assert "a client secret" not in authorization.missing_parts()
    authorization.use_pkce = False
    assert "a client secret" in authorization.missing_parts()
    # A PKCE switch left from the code grant does not excuse a machine client.
    authorization.use_pkce = True
    authorization.grant_type = "client_credentials"
    assert "a client secret" in authorization.missing_parts()


def test_the_consent_settings_serve_the_authorization_code_grant_only():
    spec = types.get_type("oauth2")
    code = {s.name for s in spec.used_settings(grant="authorization_code")}
    machine = {s.name for s in spec.used_settings(grant="client_credentials")}
    assert code - machine == {"authorize_url", "authorize_params", "use_pkce", "issuer"}
    assert {"client_auth", "scopes", "scope_separator"} <= machine
    # No grant chosen: every setting counts; a type without grants ignores one.
    assert spec.used_settings() == spec.app_settings
    oauth1 = types.get_type("oauth1")
    assert oauth1.used_settings(grant="client_credentials") == oauth1.app_settings


def test_every_type_keeps_its_settings_order_in_the_shared_list():
    for spec in types.NINE_TYPES:
        positions = [types.ALL_SETTING_NAMES.index(n) for n in spec.setting_names]
        assert positions == sorted(positions), spec.key
    assert types.ALL_SETTING_NAMES[0] == "grant_type"


def test_only_the_oauth_types_use_the_callback_url():
    assert [spec.key for spec in types.NINE_TYPES if spec.uses_callback] == [
        "oauth1",
        "oauth2",
    ]


def test_the_new_settings_are_reset_to_their_defaults_for_another_type():
    authorization = Authorization(
        type="api_key",
        grant_type="client_credentials",
        client_auth="client_secret_basic",
        scope_separator=",",
        authorize_params={"prompt": "consent"},
        issuer="https://auth.example.com",
        signature_method="RSA-SHA1",
    )
    authorization_clear_unused_settings(authorization=authorization)
    assert (authorization.grant_type, authorization.client_auth) == (
        "authorization_code",
        "none",
    )
    assert (authorization.scope_separator, authorization.issuer) == (" ", "")
    assert authorization.authorize_params == {}
    assert authorization.signature_method == "HMAC-SHA1"


def test_the_client_credentials_grant_resets_the_consent_settings():
    authorization = Authorization(
        type="oauth2",
        grant_type="client_credentials",
        authorize_url="https://auth.example.com/authorize",
        use_pkce=True,
        authorize_params={"prompt": "consent"},
        issuer="https://auth.example.com",
        client_auth="client_secret_basic",
        scope_separator=",",
    )
    authorization_clear_unused_settings(authorization=authorization)
    assert (authorization.authorize_url, authorization.use_pkce) == ("", False)
    assert (authorization.authorize_params, authorization.issuer) == ({}, "")
    # What the grant uses stays.
    assert (authorization.client_auth, authorization.scope_separator) == (
        "client_secret_basic",
        ",",
    )
