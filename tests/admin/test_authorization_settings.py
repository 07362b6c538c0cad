"""The OAuth settings beyond credentials on the authorization's admin page.

Grant, client authentication, scope separator, extra authorize parameters,
issuer, PKCE and the OAuth1 signature method: saved from a form post, refused
in words at their field with nothing saved, shown to a read-only member; and
the one callback URL to register with the provider.
"""

import json

import pytest
from django.test import override_settings
from django.urls import reverse

from authorizations.callback import callback_url
from authorizations.models import Authorization
from tests.admin.forms import field_errors, submit
from tests.factories import AppFactory, AuthorizationFactory, OAuth2AuthorizationFactory

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:authorizations_authorization_add")
FORM = "authorization_form"
CALLBACK = "https://console.example.com/oauth/callback/"


def change_url(authorization):
    return reverse("admin:authorizations_authorization_change", args=[authorization.pk])


def stored(authorization) -> dict:
    """Every column of the authorization, to show that nothing was saved."""
    return Authorization.objects.filter(pk=authorization.pk).values().get()


def test_every_oauth2_setting_is_saved(admin_client):
    app = AppFactory()
    response = submit(
        admin_client,
        f"{ADD_URL}?app={app.pk}",
        FORM,
        {
            "name": "Sign in",
            "type": "oauth2",
            "grant_type": "authorization_code",
            "client_id": "acme-client",
            "client_auth": "client_secret_basic",
            "authorize_url": "https://auth.acme.example/authorize",
            "scopes": "read write",
            "scope_separator": ",",
            "authorize_params": '{"access_type": "offline", "prompt": "consent"}',
            "use_pkce": "on",
            "issuer": "https://auth.acme.example",
        },
    )

    assert response.status_code == 302
    authorization = Authorization.objects.get(app=app, name="Sign in")
    assert authorization.client_auth == "client_secret_basic"
    assert authorization.scope_separator == ","
    assert authorization.requested_scope() == "read,write"
    assert authorization.authorize_params == {
        "access_type": "offline",
        "prompt": "consent",
    }
    assert authorization.use_pkce is True
    assert authorization.issuer == "https://auth.acme.example"


def test_the_oauth1_signature_method_is_saved(admin_client):
    authorization = AuthorizationFactory(type="oauth1", client_id="ck")

    response = submit(
        admin_client,
        change_url(authorization),
        FORM,
        {"signature_method": "RSA-SHA1"},
    )

    assert response.status_code == 302
    authorization.refresh_from_db()
    assert authorization.signature_method == "RSA-SHA1"


@pytest.mark.parametrize(
    ("typed", "saved"), [(" ", " "), ("", " "), (" + ", " + "), (",", ",")]
)
def test_a_scope_separator_is_kept_as_typed_and_empty_means_a_space(
    admin_client, typed, saved
):
    authorization = OAuth2AuthorizationFactory(scopes="a b", scope_separator=";")

    submit(admin_client, change_url(authorization), FORM, {"scope_separator": typed})

    authorization.refresh_from_db()
    assert authorization.scope_separator == saved
    assert authorization.requested_scope() == saved.join(["a", "b"])


def test_a_space_as_separator_survives_an_unchanged_save(admin_client):
    authorization = OAuth2AuthorizationFactory(scopes="a b")

    response = submit(admin_client, change_url(authorization), FORM)

    assert response.status_code == 302
    authorization.refresh_from_db()
    assert authorization.scope_separator == " "


def test_the_extra_parameters_show_as_json_and_an_empty_box_as_an_example(
    admin_client,
):
    empty = OAuth2AuthorizationFactory()
    filled = OAuth2AuthorizationFactory(authorize_params={"prompt": "consent"})

    empty_page = admin_client.get(change_url(empty)).content.decode()
    filled_page = admin_client.get(change_url(filled)).content.decode()

    assert 'placeholder="{&quot;access_type&quot;: &quot;offline&quot;' in empty_page
    assert 'id="id_authorize_params">\n</textarea>' in empty_page
    assert "{&quot;prompt&quot;: &quot;consent&quot;}</textarea>" in filled_page


def test_emptying_the_extra_parameters_removes_them(admin_client):
    authorization = OAuth2AuthorizationFactory(authorize_params={"prompt": "login"})

    submit(admin_client, change_url(authorization), FORM, {"authorize_params": "  "})

    authorization.refresh_from_db()
    assert authorization.authorize_params == {}


BAD_SETTINGS = {
    "JSON with a syntax error": (
        "authorize_params",
        '{"prompt": "consent",}',
        "This is not valid JSON (line 1, column 22: Expecting property name "
        "enclosed in double quotes). Write an object such as "
        '{"prompt": "consent"}, or leave the box empty.',
    ),
    "JSON that is a list": (
        "authorize_params",
        '["prompt", "consent"]',
        'Extra authorize parameters must be an object such as {"prompt": "consent"}.',
    ),
    "JSON null": (
        "authorize_params",
        "null",
        'Extra authorize parameters must be an object such as {"prompt": "consent"}.',
    ),
    "a parameter the console sets": (
        "authorize_params",
        '{"redirect_uri": "https://evil.example/"}',
        '"redirect_uri" is set by the console itself and cannot be an extra '
        "authorize parameter.",
    ),
    "a parameter that is a number": (
        "authorize_params",
        '{"max_age": 0}',
        'The extra authorize parameter "max_age" must be text, such as "consent".',
    ),
    "an unknown client authentication": (
        "client_auth",
        "private_key_jwt",
        '"private_key_jwt" is not a client authentication method.',
    ),
    "an unknown grant": (
        "grant_type",
        "password",
        '"password" is not an OAuth 2.0 grant.',
    ),
    "an issuer that is not a URL": (
        "issuer",
        "ftp://auth.acme.example",
        None,
    ),
    "a separator over 8 characters": (
        "scope_separator",
        " and also ",
        "Ensure this value has at most 8 characters (it has 10).",
    ),
}


@pytest.mark.parametrize(
    ("field", "value", "message"), BAD_SETTINGS.values(), ids=BAD_SETTINGS.keys()
)
def test_a_bad_setting_is_refused_at_its_field_and_nothing_is_saved(
    admin_client, field, value, message
):
    authorization = OAuth2AuthorizationFactory(
        authorize_params={"prompt": "login"}, client_auth="client_secret_post"
    )
    before = stored(authorization)

    response = submit(
        admin_client,
        change_url(authorization),
        FORM,
        {field: value, "client_id": "changed-id"},
    )

    errors = field_errors(response, field)
    if message is None:
        assert len(errors) == 1
    else:
        assert errors == [message]
    assert stored(authorization) == before


def test_a_bad_oauth1_signature_method_is_refused_at_its_field(admin_client):
    authorization = AuthorizationFactory(type="oauth1")

    response = submit(
        admin_client, change_url(authorization), FORM, {"signature_method": "MD5"}
    )

    assert field_errors(response, "signature_method") == [
        '"MD5" is not an OAuth 1.0 signature method.'
    ]


def test_the_choices_are_offered_with_their_labels(admin_client):
    page = admin_client.get(ADD_URL).content.decode()

    for option in (
        '<option value="authorization_code" selected>Authorization code</option>',
        '<option value="client_credentials">Client credentials</option>',
        '<option value="client_secret_basic">HTTP Basic (client_secret_basic)</option>',
        '<option value="none" selected>None: the templates send what the '
        "provider expects</option>",
        '<option value="RSA-SHA1">RSA-SHA1 (the consumer secret holds the '
        "private key)</option>",
    ):
        assert option in page


def test_the_client_credentials_grant_resets_the_consent_settings(admin_client):
    authorization = OAuth2AuthorizationFactory(
        use_pkce=True, authorize_params={"prompt": "consent"}
    )

    response = submit(
        admin_client,
        change_url(authorization),
        FORM,
        {
            "grant_type": "client_credentials",
            # Hidden with this grant: neither judged nor kept.
            "authorize_url": "not a URL",
            "authorize_params": "[not json",
        },
    )

    assert response.status_code == 302
    authorization.refresh_from_db()
    assert authorization.grant_type == "client_credentials"
    assert (authorization.authorize_url, authorization.use_pkce) == ("", False)
    assert authorization.authorize_params == {}
    assert "authorization URL" not in authorization.completeness


def test_settings_of_another_type_are_reset_to_their_defaults(admin_client):
    authorization = OAuth2AuthorizationFactory(
        client_auth="client_secret_basic",
        scope_separator=",",
        authorize_params={"prompt": "consent"},
        issuer="https://auth.acme.example",
    )

    submit(
        admin_client,
        change_url(authorization),
        FORM,
        {"type": "oauth1", "signature_method": "PLAINTEXT"},
    )

    authorization.refresh_from_db()
    assert authorization.signature_method == "PLAINTEXT"
    assert (authorization.grant_type, authorization.client_auth) == (
        "authorization_code",
        "none",
    )
    assert (authorization.scope_separator, authorization.issuer) == (" ", "")
    assert authorization.authorize_params == {}


def test_the_form_script_learns_which_grant_each_setting_serves(admin_client):
    page = admin_client.get(ADD_URL).content.decode()
    start = page.index('<script id="authorization-types" type="application/json">')
    registry = json.loads(
        page[page.index(">", start) + 1 : page.index("</script>", start)]
    )

    assert registry["grantSetting"] == "grant_type"
    oauth2 = registry["types"]["oauth2"]
    assert oauth2["settings"]["authorize_url"]["grants"] == ["authorization_code"]
    assert oauth2["settings"]["use_pkce"]["grants"] == ["authorization_code"]
    assert oauth2["settings"]["scopes"]["grants"] == []
    assert (oauth2["usesCallback"], registry["types"]["oauth1"]["usesCallback"]) == (
        True,
        True,
    )
    assert registry["types"]["api_key"]["usesCallback"] is False
    assert "signature_method" in registry["types"]["oauth1"]["settings"]


@override_settings(PUBLIC_BASE_URL="https://console.example.com/")
def test_the_callback_url_is_built_from_the_public_base_url():
    assert callback_url() == CALLBACK


@override_settings(PUBLIC_BASE_URL="https://console.example.com")
@pytest.mark.parametrize("type_", ["oauth1", "oauth2"])
def test_an_oauth_page_shows_the_callback_url_with_a_copy_button(admin_client, type_):
    authorization = AuthorizationFactory(type=type_)

    page = admin_client.get(change_url(authorization)).content.decode()

    assert f'<code class="callback-url" id="callback-url">{CALLBACK}</code>' in page
    assert 'data-copy-target="callback-url">Copy</button>' in page
    assert "admin-console/copy-button.js" in page
    assert "Callback URL" in page


@override_settings(PUBLIC_BASE_URL="https://console.example.com")
def test_a_view_only_member_sees_the_settings_and_the_callback_url(member_client):
    client = member_client(permissions=["view_authorization"])
    authorization = OAuth2AuthorizationFactory(
        client_auth="client_secret_basic",
        scope_separator=",",
        authorize_params={"prompt": "consent"},
        issuer="https://auth.acme.example",
        use_pkce=True,
    )

    response = client.get(change_url(authorization))
    page = response.content.decode()

    assert response.status_code == 200
    assert CALLBACK in page
    assert "HTTP Basic (client_secret_basic)" in page
    assert "<code>,</code>" in page
    assert "{&quot;prompt&quot;: &quot;consent&quot;}" in page
    assert "https://auth.acme.example" in page
    assert "Authorization code" in page
    # Read only: no box to type in, and the secret only masked.
    assert 'name="client_auth"' not in page
    assert 'name="authorize_params"' not in page
    assert OAuth2AuthorizationFactory.client_secret not in page
    assert "••••abcd" in page


def test_a_view_only_member_sees_a_space_separator_in_words(member_client):
    client = member_client(permissions=["view_authorization"])
    authorization = OAuth2AuthorizationFactory()

    page = client.get(change_url(authorization)).content.decode()

    assert '<div class="readonly">a space</div>' in page


def test_a_view_only_member_sees_only_the_settings_of_the_grant(member_client):
    client = member_client(permissions=["view_authorization"])
    authorization = OAuth2AuthorizationFactory(
        grant_type="client_credentials", authorize_url=""
    )

    page = client.get(change_url(authorization)).content.decode()

    assert "Client credentials" in page
    assert "field-authorize_url" not in page
    assert "field-use_pkce" not in page


def test_a_view_only_member_sees_no_callback_url_on_a_credential_type(
    member_client,
):
    client = member_client(permissions=["view_authorization"])
    authorization = AuthorizationFactory(type="api_key")

    page = client.get(change_url(authorization)).content.decode()

    assert "callback-url" not in page
