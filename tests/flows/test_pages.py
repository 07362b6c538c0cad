"""The admin pages of Test authorization, as a staff member uses them."""

import pytest

from authorizations.models import TestRun
from connections.models import ConnectedAccount
from tests.factories import AppFactory
from tests.flows.helpers import jason_api_key_authorization, run_of, start_url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_loopback")]

API_KEY = "ak_live_51HcXyZ2eB7qLmN0pQ"


@pytest.fixture
def api_key_authorization(httpserver):
    return jason_api_key_authorization(
        httpserver, API_KEY, app=AppFactory(name="Basecamp")
    )


def test_the_authorization_page_offers_the_test(member_client, api_key_authorization):
    client = member_client(superuser=True)
    page = client.get(api_key_authorization.get_absolute_url())
    test_url = start_url(api_key_authorization)
    assert f'href="{test_url}"' in page.content.decode()
    assert "Test authorization" in page.content.decode()


def test_an_api_key_test_from_form_to_connected_account(
    member_client, api_key_authorization
):
    client = member_client(superuser=True)
    test_url = start_url(api_key_authorization)

    form = client.get(test_url)
    html = form.content.decode()
    assert 'type="password" name="api_key"' in html
    assert "API key" in html

    answer = client.post(test_url, {"api_key": API_KEY})
    run = TestRun.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == run.get_absolute_url()

    page = client.get(answer["Location"]).content.decode()
    account = ConnectedAccount.objects.get()
    assert "Connected as Jason Fried / jason@basecamp.com" in page
    assert f"/admin/connections/connectedaccount/{account.pk}/change/" in page
    assert "Copy as curl" in page
    assert "The output meets its contract." in page
    assert API_KEY not in page
    # The authorization page lists the run.
    page = client.get(api_key_authorization.get_absolute_url()).content.decode()
    assert "Recent test runs" in page and run.get_absolute_url() in page


def test_an_empty_form_is_refused_at_its_field_and_runs_nothing(
    member_client, api_key_authorization
):
    client = member_client(superuser=True)
    test_url = start_url(api_key_authorization)
    answer = client.post(test_url, {"api_key": ""})
    assert answer.status_code == 200
    assert "This field is required." in answer.content.decode()
    assert not TestRun.objects.exists()


def test_an_error_report_would_show_none_of_the_typed_credentials(
    member_client, api_key_authorization
):
    from django.views.debug import SafeExceptionReporterFilter

    client = member_client(superuser=True)
    answer = client.post(start_url(api_key_authorization), {"api_key": "typed-key-77"})
    shown = SafeExceptionReporterFilter().get_post_parameters(answer.wsgi_request)
    assert shown["api_key"] != "typed-key-77"
    assert set(shown["api_key"]) == {"*"}


def test_a_view_only_member_sees_runs_but_cannot_start_one(
    member_client, api_key_authorization, staff, session
):
    run = run_of(api_key_authorization, staff, session, {"api_key": API_KEY})
    client = member_client(permissions=["view_authorization"])
    test_url = start_url(api_key_authorization)
    assert client.get(test_url).status_code == 403
    assert client.post(test_url, {"api_key": API_KEY}).status_code == 403
    page = client.get(run.get_absolute_url())
    assert page.status_code == 200
    assert "Connected as Jason Fried" in page.content.decode()
    assert "Test again" not in page.content.decode()
    # No account link for a member who may not see connected accounts.
    assert "/admin/connections/connectedaccount/" not in page.content.decode()
    assert TestRun.objects.count() == 1
