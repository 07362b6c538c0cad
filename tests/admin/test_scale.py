"""Admin pages do the same number of queries however many rows they show.

bench/changelist.py times the pages at 10,000 apps; these tests hold the part
that does not depend on the machine: query counts that stay constant as rows,
inline rows and related tables grow, and pages that never list every app.
"""

import datetime as dt
import itertools
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.models import App
from connections.models import ConnectedAccount
from tests.factories import (
    AppFactory,
    AuthorizationFactory,
    ConnectedAccountFactory,
    EndpointFactory,
    HeaderFactory,
)

pytestmark = pytest.mark.django_db

FEW, MANY = 3, 30
# The connected-accounts list: session, user, the count with and without
# filters and the page's rows (5); the app filter adds the chosen app (read
# by the filter and by its choices: 7). Nothing per row.
ACCOUNT_LIST_QUERIES = 7


def queries(client, url: str) -> int:
    # Once before counting: the first request also fills per-process caches
    # (content types, the session's last write).
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def add_rows(count: int) -> None:
    """Add `count` apps, each with an authorization, two endpoints and an account."""
    for _ in range(count):
        authorization = AuthorizationFactory(type="oauth2")
        EndpointFactory(authorization=authorization, kind="user_info")
        HeaderFactory(
            endpoint=EndpointFactory(authorization=authorization, kind="access_token")
        )
        ConnectedAccountFactory(authorization=authorization)


CHANGELISTS = [
    "apps_app_changelist",
    "authorizations_authorization_changelist",
    "authorizations_endpoint_changelist",
    "connections_connectedaccount_changelist",
]


@pytest.mark.parametrize("name", CHANGELISTS)
def test_changelist_queries_do_not_grow_with_rows(admin_client, name):
    url = reverse(f"admin:{name}")
    add_rows(FEW)
    few = queries(admin_client, url)

    add_rows(MANY - FEW)

    assert queries(admin_client, url) == few


@pytest.mark.parametrize("name", CHANGELISTS[1:])
def test_changelist_filtered_by_app_queries_do_not_grow(admin_client, name):
    add_rows(FEW)
    app = AppFactory()
    authorization = AuthorizationFactory(app=app)
    ConnectedAccountFactory(authorization=authorization)
    EndpointFactory(authorization=authorization)
    field = "app" if name == CHANGELISTS[1] else "authorization__app"
    url = f"{reverse(f'admin:{name}')}?{field}__id__exact={app.pk}"
    few = queries(admin_client, url)

    add_rows(MANY - FEW)

    assert queries(admin_client, url) == few


def add_accounts(count: int, app, user) -> None:
    """Add `count` accounts of `app` in every status, with every column filled."""
    now = timezone.now()
    statuses = itertools.cycle(ConnectedAccount.Status.values)
    for n in range(count):
        ConnectedAccountFactory(
            authorization=AuthorizationFactory(app=app, type="oauth2"),
            status=next(statuses),
            expires_at=now + dt.timedelta(minutes=10 * n - 60),
            last_refreshed_at=now - dt.timedelta(minutes=n),
            last_verified_at=now - dt.timedelta(hours=n) if n % 2 else None,
            last_error=f"The provider answered 503 <{n}>" * (n % 3),
            connected_by=user,
        )


ACCOUNT_LISTS = [
    "",
    "?q=example.com",
    "?status__exact=active",
    "?authorization__type__exact=oauth2&o=-5",
    "?authorization__app__id__exact={app}",
]


@pytest.mark.parametrize("query", ACCOUNT_LISTS)
def test_account_changelist_queries_are_bounded_as_accounts_grow(admin_client, query):
    app = AppFactory()
    user = get_user_model().objects.create_user("manager")
    url = reverse("admin:connections_connectedaccount_changelist") + query.format(
        app=app.pk
    )
    add_accounts(FEW, app, user)
    few = queries(admin_client, url)

    add_accounts(MANY - FEW, app, user)

    assert ConnectedAccount.objects.count() == MANY
    assert queries(admin_client, url) == few
    assert few <= ACCOUNT_LIST_QUERIES


def test_app_page_queries_do_not_grow_with_its_authorizations(admin_client):
    app = AppFactory()
    url = reverse("admin:apps_app_change", args=[app.pk])
    for _ in range(FEW - 1):  # the app starts with its API Key authorization
        EndpointFactory(authorization=AuthorizationFactory(app=app, type="oauth2"))
    few = queries(admin_client, url)

    for _ in range(MANY - FEW):
        EndpointFactory(authorization=AuthorizationFactory(app=app, type="oauth2"))

    assert app.authorizations.count() == MANY
    assert queries(admin_client, url) == few


def test_endpoint_page_queries_do_not_grow_with_its_headers(admin_client):
    endpoint = EndpointFactory()
    url = reverse("admin:authorizations_endpoint_change", args=[endpoint.pk])
    HeaderFactory.create_batch(FEW, endpoint=endpoint)
    few = queries(admin_client, url)

    HeaderFactory.create_batch(MANY - FEW, endpoint=endpoint)

    assert queries(admin_client, url) == few


def form_pages(authorization):
    return [
        reverse("admin:authorizations_authorization_add"),
        reverse("admin:authorizations_authorization_add")
        + f"?app={authorization.app_id}",
        reverse("admin:authorizations_authorization_change", args=[authorization.pk]),
        reverse("admin:authorizations_endpoint_add"),
        reverse("admin:authorizations_endpoint_add")
        + f"?authorization={authorization.pk}&kind=revoke",
        reverse(
            "admin:authorizations_endpoint_change",
            args=[authorization.endpoints.get().pk],
        ),
    ]


def test_form_pages_queries_do_not_grow_with_apps_or_authorizations(admin_client):
    authorization = AuthorizationFactory(type="oauth2")
    EndpointFactory(authorization=authorization)
    add_rows(FEW)
    few = {url: queries(admin_client, url) for url in form_pages(authorization)}

    add_rows(MANY - FEW)

    assert {url: queries(admin_client, url) for url in form_pages(authorization)} == (
        few
    )


def test_pickers_and_filters_never_list_every_app(admin_client):
    apps = [AppFactory(name=f"Listed nowhere {n}") for n in range(5)]
    chosen = apps[0]
    authorization = AuthorizationFactory(app=chosen, name="Chosen key")
    ConnectedAccountFactory(authorization=authorization)
    EndpointFactory(authorization=authorization)
    others = [app.name for app in apps[1:]]

    pages = {
        "authorization add": reverse("admin:authorizations_authorization_add")
        + f"?app={chosen.pk}",
        "authorization change": reverse(
            "admin:authorizations_authorization_change", args=[authorization.pk]
        ),
        "endpoint add": reverse("admin:authorizations_endpoint_add")
        + f"?authorization={authorization.pk}",
    }
    for label, url in pages.items():
        html = admin_client.get(url).content.decode()
        # The chosen app is shown; the others are left to the search.
        assert chosen.name in html, label
        assert [name for name in others if name in html] == [], label

    for name, field in (
        ("authorizations_authorization_changelist", "app"),
        ("authorizations_endpoint_changelist", "authorization__app"),
        ("connections_connectedaccount_changelist", "authorization__app"),
    ):
        url = f"{reverse(f'admin:{name}')}?{field}__id__exact={chosen.pk}"
        html = admin_client.get(url).content.decode()
        sidebar = re.search(
            r'<details data-filter-title="app".*?</details>', html, re.S
        ).group()
        assert chosen.name in sidebar, name
        assert [n for n in others if n in sidebar] == [], name
        assert "admin-autocomplete" in sidebar, name


def test_export_action_queries_do_not_grow_with_apps(admin_client):
    def export() -> int:
        data = {
            "action": "export_selected_apps",
            "_selected_action": list(App.objects.values_list("pk", flat=True)),
        }
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.post(reverse("admin:apps_app_changelist"), data)
        assert response["Content-Disposition"].startswith("attachment")
        return len(captured)

    add_rows(FEW)
    export()
    few = export()

    add_rows(MANY - FEW)

    assert export() == few
