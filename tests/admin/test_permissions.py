"""Each permission group, as the migration creates it, sees what its role needs."""

import pytest
from django.urls import reverse

from apps.models import App
from authorizations.models import Authorization, Endpoint
from connections.models import ConnectedAccount
from tests.admin.forms import submit
from tests.factories import (
    ConnectedAccountFactory,
    EndpointFactory,
    HeaderFactory,
    OAuth2AuthorizationFactory,
)

pytestmark = pytest.mark.django_db

DEVELOPERS = "Integration developers"
ACCOUNT_MANAGERS = "Account managers"


@pytest.fixture
def world():
    authorization = OAuth2AuthorizationFactory(name="Acme OAuth")
    endpoint = EndpointFactory(authorization=authorization, kind="user_info")
    HeaderFactory(endpoint=endpoint, name="Accept", value="application/json")
    account = ConnectedAccountFactory(authorization=authorization)
    return authorization.app, authorization, endpoint, account


def url(name, *args):
    return reverse(f"admin:{name}", args=args)


# Integration developers


def test_developer_adds_and_changes_apps(member_client, world):
    client = member_client(DEVELOPERS)
    app, *_ = world

    added = submit(
        client, url("apps_app_add"), "app_form", {"name": "New", "slug": "new"}
    )
    changed = submit(
        client, url("apps_app_change", app.pk), "app_form", {"name": "Renamed"}
    )

    assert added.status_code == changed.status_code == 302
    assert App.objects.get(slug="new").authorizations.count() == 1
    app.refresh_from_db()
    assert app.name == "Renamed"


def test_developer_adds_and_changes_authorizations(member_client, world):
    client = member_client(DEVELOPERS)
    app, authorization, *_ = world

    added = submit(
        client,
        url("authorizations_authorization_add") + f"?app={app.pk}",
        "authorization_form",
        {"name": "Second", "type": "oauth2"},
    )
    changed = submit(
        client,
        url("authorizations_authorization_change", authorization.pk),
        "authorization_form",
        {"scopes": "read"},
    )

    assert added.status_code == changed.status_code == 302
    assert Authorization.objects.get(app=app, name="Second").endpoints.count() == 1
    authorization.refresh_from_db()
    assert authorization.scopes == "read"


def test_developer_adds_and_changes_endpoints_and_headers(member_client, world):
    client = member_client(DEVELOPERS)
    _, authorization, endpoint, _ = world

    added = submit(
        client,
        url("authorizations_endpoint_add")
        + f"?authorization={authorization.pk}&kind=revoke",
        "endpoint_form",
        {
            "url": "https://api.example.com/revoke",
            "headers-TOTAL_FORMS": "1",
            "headers-0-name": "X-Reason",
            "headers-0-value": "logout",
            "headers-0-position": "0",
        },
    )
    changed = submit(
        client,
        url("authorizations_endpoint_change", endpoint.pk),
        "endpoint_form",
        {"url": "https://api.example.com/v2/me", "headers-0-value": "text/plain"},
    )

    assert added.status_code == changed.status_code == 302
    revoke = Endpoint.objects.get(authorization=authorization, kind="revoke")
    assert [(h.name, h.value) for h in revoke.headers.all()] == [("X-Reason", "logout")]
    endpoint.refresh_from_db()
    assert endpoint.url == "https://api.example.com/v2/me"
    assert [h.value for h in endpoint.headers.all()] == ["text/plain"]


def test_developer_is_kept_out_of_connected_accounts(member_client, world):
    client = member_client(DEVELOPERS)
    *_, account = world

    for page in (
        url("connections_connectedaccount_changelist"),
        url("connections_connectedaccount_change", account.pk),
        url("connections_connectedaccount_delete", account.pk),
    ):
        assert client.get(page).status_code == 403, page
    assert "Connected accounts" not in client.get(url("index")).content.decode()


def test_developer_may_export_apps(member_client, world):
    client = member_client(DEVELOPERS)
    app, *_ = world

    response = client.post(
        url("apps_app_changelist"),
        {"action": "export_selected_apps", "_selected_action": [app.pk]},
    )

    assert response["Content-Disposition"] == 'attachment; filename="apps-export.yaml"'


# Account managers


def test_account_manager_views_connected_accounts(member_client, world):
    client = member_client(ACCOUNT_MANAGERS)
    *_, account = world

    assert client.get(url("connections_connectedaccount_changelist")).status_code == 200
    # The status is changed by the recorded actions (refresh, verify, revoke),
    # never typed in: tests/connections/test_admin.py, test_permissions.py.
    response = submit(
        client,
        url("connections_connectedaccount_change", account.pk),
        "connectedaccount_form",
        {"status": "revoked"},
    )

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.ACTIVE


def test_account_manager_views_apps_but_cannot_change_them(member_client, world):
    client = member_client(ACCOUNT_MANAGERS)
    app, *_ = world

    assert client.get(url("apps_app_changelist")).status_code == 200
    page = client.get(url("apps_app_change", app.pk))
    assert page.status_code == 200
    assert 'name="name"' not in page.content.decode()
    assert "Create Authorization" not in page.content.decode()
    # The app's authorizations are not part of this role's view.
    assert page.context["inline_admin_formsets"] == []

    response = client.post(url("apps_app_change", app.pk), {"name": "Renamed"})
    assert response.status_code == 403
    assert client.get(url("apps_app_add")).status_code == 403
    app.refresh_from_db()
    assert app.name != "Renamed"


def test_account_manager_cannot_see_authorizations(member_client, world):
    client = member_client(ACCOUNT_MANAGERS)
    _, authorization, endpoint, _ = world

    for page in (
        url("authorizations_authorization_changelist"),
        url("authorizations_authorization_change", authorization.pk),
        url("authorizations_authorization_add"),
        url("authorizations_endpoint_change", endpoint.pk),
    ):
        assert client.get(page).status_code == 403, page


def test_account_manager_cannot_export_apps(member_client, world):
    client = member_client(ACCOUNT_MANAGERS)
    app, *_ = world

    response = client.post(
        url("apps_app_changelist"),
        {"action": "export_selected_apps", "_selected_action": [app.pk]},
    )

    assert "Content-Disposition" not in response
    assert (
        "export_selected_apps"
        not in client.get(url("apps_app_changelist")).content.decode()
    )
