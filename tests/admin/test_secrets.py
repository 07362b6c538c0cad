"""No secret leaves the database through an admin page, a download or a log."""

import logging

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from tests.admin.forms import field_errors, form_data, submit
from tests.factories import (
    ConnectedAccountFactory,
    EndpointFactory,
    HeaderFactory,
    OAuth2AuthorizationFactory,
)

pytestmark = pytest.mark.django_db

# Every secret below contains this marker, so one check covers them all.
MARKER = "SENTINEL"
CLIENT_SECRET = "oauth-client-secret-SENTINEL-4242"
ACCESS_TOKEN = "access-token-SENTINEL-7311"
REFRESH_TOKEN = "refresh-token-SENTINEL-8822"
API_KEY = "api-key-SENTINEL-6060"


@pytest.fixture
def world(admin_client):
    authorization = OAuth2AuthorizationFactory(
        name="Acme OAuth", client_secret=CLIENT_SECRET
    )
    endpoint = EndpointFactory(authorization=authorization, kind="user_info")
    HeaderFactory(endpoint=endpoint)
    account = ConnectedAccountFactory(
        authorization=authorization,
        user_identity="alice@acme.example.com",
        credentials={
            "access_token": ACCESS_TOKEN,
            "refresh_token": REFRESH_TOKEN,
            "api_key": API_KEY,
        },
    )
    # A change through the admin, so the history pages have entries.
    submit(
        admin_client,
        reverse("admin:authorizations_authorization_change", args=[authorization.pk]),
        "authorization_form",
        {"client_secret": CLIENT_SECRET, "scopes": "read"},
    )
    submit(
        admin_client,
        reverse("admin:connections_connectedaccount_change", args=[account.pk]),
        "connectedaccount_form",
        {"status": "active"},
    )
    return authorization.app, authorization, endpoint, account


def admin_pages(app, authorization, endpoint, account):
    def url(name, *args):
        return reverse(f"admin:{name}", args=args)

    return [
        url("index"),
        url("apps_app_changelist"),
        url("apps_app_changelist") + "?q=oauth-client-secret",
        url("apps_app_add"),
        url("apps_app_change", app.pk),
        url("apps_app_history", app.pk),
        url("apps_app_delete", app.pk),
        url("authorizations_authorization_changelist"),
        url("authorizations_authorization_changelist") + "?q=oauth-client-secret",
        url("authorizations_authorization_changelist") + "?type__exact=oauth2",
        url("authorizations_authorization_changelist") + f"?app__id__exact={app.pk}",
        url("authorizations_authorization_add"),
        url("authorizations_authorization_add") + f"?app={app.pk}",
        url("authorizations_authorization_change", authorization.pk),
        url("authorizations_authorization_history", authorization.pk),
        url("authorizations_authorization_delete", authorization.pk),
        url("authorizations_endpoint_changelist"),
        url("authorizations_endpoint_add") + f"?authorization={authorization.pk}",
        url("authorizations_endpoint_change", endpoint.pk),
        url("authorizations_endpoint_history", endpoint.pk),
        url("authorizations_endpoint_delete", endpoint.pk),
        url("connections_connectedaccount_changelist"),
        url("connections_connectedaccount_changelist") + "?q=alice",
        url("connections_connectedaccount_changelist") + "?q=access-token",
        url("connections_connectedaccount_changelist") + "?status__exact=active",
        url("connections_connectedaccount_changelist")
        + f"?authorization__app__id__exact={app.pk}",
        url("connections_connectedaccount_changelist")
        + "?authorization__type__exact=oauth2",
        url("connections_connectedaccount_change", account.pk),
        url("connections_connectedaccount_history", account.pk),
        url("connections_connectedaccount_delete", account.pk),
    ]


def test_no_admin_page_shows_a_secret(admin_client, world, caplog):
    caplog.set_level(logging.DEBUG)
    for page_url in admin_pages(*world):
        response = admin_client.get(page_url)
        assert response.status_code == 200, page_url
        assert MARKER not in response.content.decode(), page_url
    assert MARKER not in caplog.text


def test_masked_forms_are_shown_where_a_secret_is_stored(admin_client, world):
    _, authorization, _, account = world

    authorization_page = admin_client.get(
        reverse("admin:authorizations_authorization_change", args=[authorization.pk])
    ).content.decode()
    account_page = admin_client.get(
        reverse("admin:connections_connectedaccount_change", args=[account.pk])
    ).content.decode()

    assert "Stored: ••••4242" in authorization_page
    assert "access_token: ••••7311" in account_page
    assert "refresh_token: ••••8822" in account_page
    assert "api_key: ••••6060" in account_page


def test_history_lists_changed_field_names_only(world):
    _, authorization, _, _ = world

    entries = LogEntry.objects.filter(object_id=str(authorization.pk))
    assert entries.exists()
    for entry in entries:
        assert MARKER not in entry.change_message
        assert MARKER not in entry.object_repr


def test_delete_confirmations_do_not_show_secrets(admin_client, world):
    app, authorization, _, account = world
    pages = [
        admin_client.post(
            reverse(f"admin:{changelist}"),
            {"action": "delete_selected", "_selected_action": [pk]},
        )
        for changelist, pk in [
            ("apps_app_changelist", app.pk),
            ("authorizations_authorization_changelist", authorization.pk),
            ("connections_connectedaccount_changelist", account.pk),
        ]
    ]
    for response in pages:
        assert response.status_code == 200
        assert MARKER not in response.content.decode()


def test_export_download_leaves_secrets_out(admin_client, world):
    app, *_ = world

    response = admin_client.post(
        reverse("admin:apps_app_changelist"),
        {"action": "export_selected_apps", "_selected_action": [app.pk]},
    )

    assert response.status_code == 200
    assert MARKER not in response.content.decode()


def test_a_form_shown_again_after_an_error_does_not_echo_a_typed_secret(
    admin_client, world
):
    _, authorization, _, _ = world
    url = reverse("admin:authorizations_authorization_change", args=[authorization.pk])

    response = submit(
        admin_client,
        url,
        "authorization_form",
        {"client_secret": "typed-SENTINEL-0000", "authorize_url": "ftp://x.example"},
    )

    assert field_errors(response, "authorize_url")
    assert MARKER not in response.content.decode()
    authorization.refresh_from_db()
    assert authorization.client_secret == CLIENT_SECRET


def test_blank_submit_keeps_the_secret(admin_client, world):
    _, authorization, _, _ = world
    url = reverse("admin:authorizations_authorization_change", args=[authorization.pk])
    assert (
        form_data(admin_client.get(url).content.decode(), "authorization_form")[
            "client_secret"
        ]
        == ""
    )

    response = submit(admin_client, url, "authorization_form", {"name": "Renamed"})

    assert response.status_code == 302
    authorization.refresh_from_db()
    assert authorization.name == "Renamed"
    assert authorization.client_secret == CLIENT_SECRET
    change_message = LogEntry.objects.latest("action_time").get_change_message()
    assert "Client secret" not in change_message


def test_typing_a_new_secret_replaces_it(admin_client, world):
    _, authorization, _, _ = world
    url = reverse("admin:authorizations_authorization_change", args=[authorization.pk])

    submit(admin_client, url, "authorization_form", {"client_secret": "brand-new-9876"})

    authorization.refresh_from_db()
    assert authorization.client_secret == "brand-new-9876"


def test_clear_removes_the_secret(admin_client, world):
    _, authorization, _, _ = world
    url = reverse("admin:authorizations_authorization_change", args=[authorization.pk])

    submit(admin_client, url, "authorization_form", {"client_secret-clear": "on"})

    authorization.refresh_from_db()
    assert authorization.client_secret == ""
    assert "Not set" in admin_client.get(url).content.decode()


def test_typing_and_clearing_at_once_is_refused(admin_client, world):
    _, authorization, _, _ = world
    url = reverse("admin:authorizations_authorization_change", args=[authorization.pk])

    response = submit(
        admin_client,
        url,
        "authorization_form",
        {"client_secret": "other-value-1111", "client_secret-clear": "on"},
    )

    assert field_errors(response, "client_secret") == [
        "Either type a new secret or tick “Remove the stored secret”, not both."
    ]
    authorization.refresh_from_db()
    assert authorization.client_secret == CLIENT_SECRET


def test_error_reports_hide_the_posted_secret(admin_client, world):
    # Django's error reports and logs leave out parameters marked sensitive.
    _, authorization, _, _ = world
    url = reverse("admin:authorizations_authorization_change", args=[authorization.pk])

    response = submit(admin_client, url, "authorization_form", {"name": "Renamed"})

    assert response.wsgi_request.sensitive_post_parameters == ("client_secret",)
