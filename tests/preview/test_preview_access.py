"""Who may call the preview endpoint, and what it refuses before rendering."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import EndpointFactory

pytestmark = pytest.mark.django_db

PREVIEW_URL = reverse("admin:authorizations_endpoint_preview")
DEVELOPERS = "Integration developers"
ACCOUNT_MANAGERS = "Account managers"

MINIMAL = {
    "kind": "user_info",
    "method": "GET",
    "url": "https://api.example.com/me",
    "request_template": "",
    "response_template": '{"user_identity": "{{ response.email }}"}',
    "body_format": "none",
    "headers": [],
    "samples": {"requestBody": {}, "query": {}, "response": {"email": "a@b.c"}},
}


def post(client, payload, **extra):
    body = payload if isinstance(payload, bytes | str) else json.dumps(payload)
    return client.post(PREVIEW_URL, body, content_type="application/json", **extra)


def test_anonymous_user_is_sent_to_the_login_page():
    response = post(Client(), MINIMAL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_account_managers_may_not_preview(member_client):
    response = post(member_client(ACCOUNT_MANAGERS), MINIMAL)
    assert response.status_code == 403
    assert response.json() == {
        "error": "You do not have permission to preview endpoints."
    }


def test_get_is_not_allowed(admin_client):
    assert admin_client.get(PREVIEW_URL).status_code == 405


def test_post_needs_the_csrf_token(member_client):
    client = member_client(DEVELOPERS, enforce_csrf_checks=True)
    endpoint = EndpointFactory()
    # The change page sets the CSRF cookie the panel reads its token from.
    page = client.get(
        reverse("admin:authorizations_endpoint_change", args=[endpoint.pk])
    )
    assert page.status_code == 200
    token = client.cookies["csrftoken"].value

    assert post(client, MINIMAL).status_code == 403
    response = post(client, MINIMAL, headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert "request" in response.json()


def test_too_large_a_request_is_refused(admin_client):
    payload = dict(MINIMAL, response_template="x" * (256 * 1024))
    response = post(admin_client, payload)
    assert response.status_code == 413
    assert "too large" in response.json()["error"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "The request is not valid JSON"),
        (b"\xff\xfe", "The request is not valid JSON"),
        (b"[]", "The request must be a JSON object."),
        ({**MINIMAL, "kind": ""}, "Choose the endpoint's kind to preview it."),
        ({**MINIMAL, "kind": "login"}, '"login" is not an endpoint kind.'),
        ({**MINIMAL, "url": 5}, '"url" must be text.'),
        ({**MINIMAL, "headers": {"A": "b"}}, '"headers" must be a list'),
        ({**MINIMAL, "headers": [{"name": "A", "value": 1}]}, "must be text"),
        ({**MINIMAL, "samples": ["token"]}, '"samples" must be an object.'),
    ],
)
def test_malformed_requests_are_400_with_a_reason(admin_client, body, message):
    response = post(admin_client, body)
    assert response.status_code == 400
    assert message in response.json()["error"]
