"""Every admin page, fetched as every kind of staff member: no 5xx, no secret.

The pages are listed from the admin's own registry, so a model admin added
later is fetched too without touching this file.
"""

import json

import pytest
from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from authorizations.models import TestRun
from authorizations.roles import ROLES
from tests.factories import (
    AuthorizationFactory,
    ConnectedAccountFactory,
    EndpointFactory,
    HeaderFactory,
    OAuth2AuthorizationFactory,
)

pytestmark = pytest.mark.django_db

CLIENT_SECRET = "client-secret-never-shown-7f3a"
ACCESS_TOKEN = "access-token-never-shown-19c2"
REFRESH_TOKEN = "refresh-token-never-shown-5d8e"
API_KEY = "api-key-never-shown-0b4f"
SECRETS = (CLIENT_SECRET, ACCESS_TOKEN, REFRESH_TOKEN, API_KEY)

VIEW_ONLY_MODELS = ("app", "authorization", "endpoint", "header", "connectedaccount")
ROLE_NAMES = [
    "superuser",
    *(f"group:{name}" for name in ROLES),
    *(f"view:{model}" for model in VIEW_ONLY_MODELS),
    "no permission",
]


@pytest.fixture
def graph():
    """Build an app whose authorizations, endpoints and accounts hold secrets."""
    oauth = OAuth2AuthorizationFactory(name="Sign in", client_secret=CLIENT_SECRET)
    user_info = EndpointFactory(authorization=oauth, kind="user_info")
    HeaderFactory(endpoint=user_info, name="Accept", value="application/json")
    token = EndpointFactory(
        authorization=oauth,
        kind="access_token",
        method="POST",
        url="https://api.example.com/token",
        request_template='{"client_secret": "{{ requestBody.client_secret }}"}',
    )
    HeaderFactory(endpoint=token, name="Authorization", value="Basic abc")
    keys = AuthorizationFactory(app=oauth.app, name="Keys")
    oauth_account = ConnectedAccountFactory(
        authorization=oauth,
        credentials={"access_token": ACCESS_TOKEN, "refresh_token": REFRESH_TOKEN},
    )
    ConnectedAccountFactory(authorization=keys, credentials={"api_key": API_KEY})
    # A finished test run whose log shows (masked) what was sent.
    run = TestRun.objects.create(
        authorization=oauth,
        status=TestRun.Status.SUCCEEDED,
        message="Connected as Jason Fried",
        steps=[
            {
                "name": "Access token",
                "ok": True,
                "request": {
                    "method": "POST",
                    "url": "https://api.example.com/token",
                    "headers": [],
                    "body": "client_secret=••••",
                    "curl": "curl",
                },
            }
        ],
    )
    objects = {
        "app": oauth.app,
        "testrun": run,
        "authorization": oauth,
        "endpoint": token,
        "connectedaccount": oauth_account,
    }
    # History pages and the index's recent actions then have entries to show.
    editor = get_user_model().objects.create_user(username="editor", is_staff=True)
    for obj in objects.values():
        LogEntry.objects.log_actions(
            user_id=editor.pk,
            queryset=[obj],
            action_flag=CHANGE,
            change_message=[{"changed": {"fields": ["Client secret", "Credentials"]}}],
        )
    return objects


def login(role: str, member_client) -> Client:
    kind, _, name = role.partition(":")
    # A page that fails answers 500 here, as to a user, instead of raising.
    client_options = {"raise_request_exception": False}
    if role == "superuser":
        return member_client(superuser=True, **client_options)
    if kind == "group":
        return member_client(name, **client_options)
    if kind == "view":
        return member_client(permissions=[f"view_{name}"], **client_options)
    return member_client(**client_options)


def admin_pages(graph) -> list[str]:
    """List every GET page of the admin for the objects in `graph`."""
    pages = [reverse("admin:index"), reverse("admin:password_change")]
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        prefix = f"admin:{opts.app_label}_{opts.model_name}"
        pages.append(reverse("admin:app_list", args=[opts.app_label]))
        pages.append(reverse(f"{prefix}_changelist"))
        pages.append(reverse(f"{prefix}_add"))
        obj = graph.get(opts.model_name)
        if obj is not None:
            for action in ("change", "delete", "history"):
                pages.append(reverse(f"{prefix}_{action}", args=[obj.pk]))
        # Every filter and search the changelist offers, one at a time.
        changelist = reverse(f"{prefix}_changelist")
        if model_admin.search_fields:
            pages.append(f"{changelist}?q=example")
        for spec in model_admin.list_filter:
            field = spec if isinstance(spec, str) else spec[0]
            if not isinstance(field, str):
                continue
            if field.endswith("app"):
                # The app chosen, and values that name no app.
                for value in (graph["app"].pk, "99999999999999999999999", "x", "²"):
                    pages.append(f"{changelist}?{field}__id__exact={value}")
    authorization = graph["authorization"]
    pages += [
        reverse("admin:authorizations_endpoint_add")
        + f"?authorization={authorization.pk}&kind=revoke",
        reverse("admin:authorizations_authorization_add") + f"?app={graph['app'].pk}",
        reverse("admin:authorizations_endpoint_preview"),
        # Test authorization: the start page, a run's log, a run that is not
        # there, and the callback with a state nobody started.
        reverse("admin:authorizations_authorization_test", args=[authorization.pk]),
        reverse("admin:authorizations_testrun", args=[graph["testrun"].pk]),
        reverse("admin:authorizations_testrun", args=[99999999]),
        reverse("oauth_callback") + "?state=unknown&code=abc",
        reverse("oauth_callback") + "?error=access_denied&error_description=%3Cb%3E",
    ]
    # The searches behind the app and authorization pickers.
    for source, field in (("authorization", "app"), ("endpoint", "authorization")):
        pages.append(
            f"{reverse('admin:autocomplete')}?app_label=authorizations"
            f"&model_name={source}&field_name={field}&term="
        )
    return pages


def assert_no_secret(html: str, where: str) -> None:
    for secret in SECRETS:
        # A masked summary shows the last four characters, never more.
        assert secret[:-4] not in html, f"{where} shows a secret"


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_every_admin_page_renders_without_secrets(role, graph, member_client):
    client = login(role, member_client)

    statuses = {}
    for page in admin_pages(graph):
        response = client.get(page)
        statuses[page] = response.status_code
        assert_no_secret(response.content.decode(), page)

    failed = {page: status for page, status in statuses.items() if status >= 500}
    assert failed == {}
    # The run reached real pages, not only refusals.
    assert statuses[reverse("admin:index")] == 200


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_custom_posts_answer_every_role_without_error(role, graph, member_client):
    client = login(role, member_client)
    endpoint = graph["endpoint"]
    preview_url = reverse("admin:authorizations_endpoint_preview")

    preview = client.post(
        f"{preview_url}?authorization={graph['authorization'].pk}",
        json.dumps(
            {
                "kind": endpoint.kind,
                "method": endpoint.method,
                "url": endpoint.url,
                "request_template": endpoint.request_template,
                "response_template": endpoint.response_template,
                "headers": [{"name": "Accept", "value": "application/json"}],
            }
        ),
        content_type="application/json",
    )
    export = client.post(
        reverse("admin:apps_app_changelist"),
        {"action": "export_selected_apps", "_selected_action": [graph["app"].pk]},
    )

    test = client.post(
        reverse(
            "admin:authorizations_authorization_test", args=[graph["authorization"].pk]
        )
    )
    assert test.status_code < 500
    assert_no_secret(test.content.decode(), "the test start")
    assert preview.status_code < 500 and export.status_code < 500
    can_view_endpoints = role in ("superuser", "group:Integration developers") or (
        role == "view:endpoint"
    )
    assert preview.status_code == (200 if can_view_endpoints else 403)
    assert_no_secret(preview.content.decode(), "the preview")
    assert_no_secret(export.content.decode(), "the export")


@pytest.mark.parametrize("model", ["app", "authorization", "endpoint"])
def test_view_only_change_page_is_read_only(model, graph, member_client):
    client = login(f"view:{model}", member_client)
    opts = type(graph[model])._meta
    url = reverse(
        f"admin:{opts.app_label}_{opts.model_name}_change", args=[graph[model].pk]
    )

    page = client.get(url)

    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="_save"' not in html and 'name="_continue"' not in html
    # The preview panel reads form fields a read-only page does not have.
    assert 'id="preview-panel"' not in html
    # Nothing to submit: a POST is refused and changes nothing.
    assert client.post(url, {"name": "Changed"}).status_code == 403


def test_view_only_authorization_shows_the_secret_masked(graph, member_client):
    client = login("view:authorization", member_client)
    authorization = graph["authorization"]

    html = client.get(
        reverse("admin:authorizations_authorization_change", args=[authorization.pk])
    ).content.decode()

    assert "••••" + CLIENT_SECRET[-4:] in html
    assert_no_secret(html, "the authorization page")


def test_view_only_authorization_lists_only_its_types_settings(graph, member_client):
    client = login("view:authorization", member_client)
    keys = graph["authorization"].app.authorizations.get(name="Keys")

    html = client.get(
        reverse("admin:authorizations_authorization_change", args=[keys.pk])
    ).content.decode()

    # An API Key authorization has no app credentials; its editors see none.
    assert "App credentials" not in html and "field-client_id" not in html


def test_view_only_endpoint_shows_headers_to_who_may_see_them(graph, member_client):
    endpoint = graph["endpoint"]
    url = reverse("admin:authorizations_endpoint_change", args=[endpoint.pk])
    endpoint_only = login("view:endpoint", member_client).get(url)
    client = member_client(permissions=["view_endpoint", "view_header"])

    with_headers = client.get(url).content.decode()

    assert endpoint.url in endpoint_only.content.decode()
    assert "Basic abc" not in endpoint_only.content.decode()
    assert "Basic abc" in with_headers
    assert 'name="headers-0-value"' not in with_headers
