"""A changelist URL never filters on a secret, however the lookup reaches it."""

import pytest

from authorizations.models import Authorization, Endpoint
from connections.models import ConnectedAccount
from console.admin_mixins import lookup_reaches_secret


@pytest.mark.parametrize(
    ("model", "lookup"),
    [
        (Authorization, "client_secret"),
        (Authorization, "client_secret__startswith"),
        (ConnectedAccount, "credentials__contains"),
        # Across a foreign key, and back along a reverse relation.
        (ConnectedAccount, "authorization__client_secret__startswith"),
        (Authorization, "connected_accounts__credentials"),
        (Endpoint, "authorization__connected_accounts__credentials__icontains"),
    ],
)
def test_lookups_reaching_an_encrypted_field_are_secret(model, lookup):
    assert lookup_reaches_secret(model, lookup)


@pytest.mark.parametrize(
    ("model", "lookup"),
    [
        (Authorization, "client_id"),
        (Authorization, "app__name__icontains"),
        (ConnectedAccount, "status__exact"),
        (ConnectedAccount, "authorization__app__id__exact"),
        (Authorization, "no_such_field"),
    ],
)
def test_other_lookups_are_not(model, lookup):
    assert not lookup_reaches_secret(model, lookup)


@pytest.mark.django_db
def test_the_selection_box_is_djangos_markup_for_any_name():
    from django.contrib import admin as django_admin

    from apps.admin import AppAdmin
    from apps.models import App
    from tests.factories import AppFactory

    app = AppFactory(name='Acme "&" <Co>')
    ours = AppAdmin(App, django_admin.site)

    assert ours.action_checkbox(app) == django_admin.ModelAdmin.action_checkbox(
        ours, app
    )
    assert "&lt;Co&gt;" in ours.action_checkbox(app)
