"""Logging in lands in the admin, and every refused access is logged."""

import logging

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from tests.factories import EndpointFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-only"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(
        username="alice", password=PASSWORD, is_staff=True
    )


@pytest.fixture
def audit(caplog):
    caplog.set_level(logging.WARNING, logger="integry.audit")

    def records():
        return [r for r in caplog.records if r.name == "integry.audit"]

    return records


def log_in(client: Client, next_url: str):
    login = reverse("admin:login")
    return client.post(
        f"{login}?next={next_url}",
        {"username": "alice", "password": PASSWORD, "next": next_url},
    )


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/admin/", "javascript:x"]
)
def test_login_with_a_refused_next_lands_on_the_admin_index(client, staff, next_url):
    response = log_in(client, next_url)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert client.get(response["Location"]).status_code == 200


def test_login_with_a_local_next_still_goes_there(client, staff):
    apps = reverse("admin:apps_app_changelist")

    response = log_in(client, apps)

    assert response["Location"] == apps


def test_a_refused_admin_page_is_logged_with_user_and_path(client, staff, audit):
    staff.groups.add(Group.objects.get(name="Account managers"))
    client.force_login(staff)
    page = reverse("admin:authorizations_authorization_changelist")

    response = client.get(page + "?q=secret-search")

    assert response.status_code == 403
    [record] = audit()
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        f"Refused GET {page} to alice (user {staff.pk}): permission denied."
    )
    # The query string may carry a code or a token: it stays out of the log.
    assert "secret-search" not in record.getMessage()


def test_a_failed_csrf_check_is_logged_with_its_reason(staff, audit):
    staff.groups.add(Group.objects.get(name="Integration developers"))
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    page = reverse("admin:apps_app_add")
    client.get(page)  # sets the CSRF cookie, as a browser's visit does

    response = client.post(page, {"name": "Acme", "slug": "acme"})

    assert response.status_code == 403
    [record] = audit()
    assert record.audit_user == f"alice (user {staff.pk})"
    assert record.audit_path == page
    assert record.getMessage().startswith(f"Refused POST {page} to alice")
    assert "CSRF check failed: CSRF token missing" in record.getMessage()


def test_an_anonymous_csrf_refusal_is_logged_as_anonymous(audit):
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("admin:login"), {"username": "x"})

    assert response.status_code == 403
    [record] = audit()
    assert record.audit_user == "anonymous"


def test_a_view_answering_403_itself_is_logged(client, staff, audit):
    # The endpoint preview answers 403 in JSON rather than raising.
    client.force_login(staff)
    endpoint = EndpointFactory()
    preview = reverse("admin:authorizations_endpoint_preview")

    response = client.post(
        f"{preview}?authorization={endpoint.authorization_id}",
        "{}",
        content_type="application/json",
    )

    assert response.status_code == 403
    assert [r.audit_path for r in audit()] == [preview]


def test_allowed_pages_are_not_logged(admin_client, audit):
    assert admin_client.get(reverse("admin:index")).status_code == 200
    assert audit() == []
