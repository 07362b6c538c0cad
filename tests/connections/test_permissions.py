"""Issue 9 §9: who may see what, at every door of a connected account.

Each role is a staff member as the migrations make them (the "Account
managers" group), or given single permissions; every door is asked by each
role: the list, the account's page, Django's object history, the delete
page, the reveal, the actions, the reconnect page and the job pages.
Without rights on connected accounts: a 403 that holds none of the
account's secrets; signed out: the login page.
"""

import re

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from connections.history import record_event
from connections.models import AccountEvent, AccountJob, AccountJobItem
from tests.connections.helpers import local_token_authorization
from tests.factories import ConnectedAccountFactory, OAuth2AuthorizationFactory
from tests.peers.console import user_info_endpoint

pytestmark = pytest.mark.django_db

ACCESS = "perm-access-token-6b1f0e9c3a"
REFRESH = "perm-refresh-token-2d8a4c7e1f"
CLIENT_SECRET = "perm-client-secret-5e3b9d0a7c"
SECRETS = (ACCESS, REFRESH, CLIENT_SECRET)

ROLES = ("superuser", "manager", "viewer", "outsider", "developer", "anonymous")
# Who may see accounts at all.
SEEING = {"superuser", "manager", "viewer"}


@pytest.fixture
def account():
    account = ConnectedAccountFactory(
        authorization=OAuth2AuthorizationFactory(
            name="Acme OAuth", client_secret=CLIENT_SECRET
        ),
        user_identity="erin@acme.example.com",
        credentials={"access_token": ACCESS, "refresh_token": REFRESH},
        last_error="The provider answered 503; the old tokens are kept.",
    )
    record_event(account, AccountEvent.Kind.CONNECTED, detail="Connected as erin")
    # An entry for Django's object history page.
    LogEntry.objects.log_actions(
        user_id=_someone().pk,
        queryset=[account],
        action_flag=CHANGE,
        change_message="Looked at the account.",
    )
    return account


def _someone():
    return get_user_model().objects.get_or_create(username="someone")[0]


@pytest.fixture
def clients(member_client):
    """A logged-in Client for each role."""
    return {
        "superuser": member_client(superuser=True),
        "manager": member_client("Account managers"),
        "viewer": member_client(permissions=["view_connectedaccount"]),
        # Staff with no rights on connected accounts: none at all, and an
        # integration developer (rights on apps and authorizations).
        "outsider": member_client(),
        "developer": member_client("Integration developers"),
        "anonymous": Client(),
    }


def url(name, *args):
    return reverse(f"admin:connections_connectedaccount_{name}", args=args)


def no_secret_in(response):
    body = response.content.decode()
    for secret in SECRETS:
        assert secret not in body, response.request["PATH_INFO"]


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(
        reverse("admin:login")
    )


@pytest.fixture
def job(account):
    """A finished Refresh now on the account, for the job pages."""
    job = AccountJob.objects.create(
        action=AccountJob.Action.REFRESH,
        status=AccountJob.Status.DONE,
        started_by=_someone(),
        total=1,
    )
    AccountJobItem.objects.create(
        job=job,
        account=account,
        account_label=account.user_identity,
        result="refreshed",
        message="Refreshed: a new access token and a new refresh token.",
    )
    return job


# The doors: (name, method, path, post data, {role: expected status}).
def doors(account, job):
    seeing = {"superuser": 200, "manager": 200, "viewer": 200}
    changing = {"superuser": 200, "manager": 200, "viewer": 403}
    return [
        ("reconnect", "get", url("reconnect", account.pk), None, changing),
        ("jobs", "get", url("jobs"), None, seeing),
        ("job", "get", url("job", job.pk), None, seeing),
        ("job progress", "get", url("job_progress", job.pk), None, seeing),
        ("list", "get", url("changelist"), None, seeing),
        ("page", "get", url("change", account.pk), None, seeing),
        ("object history", "get", url("history", account.pk), None, seeing),
        (
            "delete",
            "get",
            url("delete", account.pk),
            None,
            {"superuser": 200, "manager": 200, "viewer": 403},
        ),
        (
            "add",
            "get",
            url("add"),
            None,
            {"superuser": 403, "manager": 403, "viewer": 403},
        ),
        (
            "reveal",
            "post",
            url("reveal", account.pk),
            {"credential": "access_token"},
            {"superuser": 200, "manager": 403, "viewer": 403},
        ),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_every_door_follows_the_model_permissions(clients, account, job, role):
    client = clients[role]
    for name, method, path, data, expected in doors(account, job):
        response = getattr(client, method)(path, data or {})
        if role == "anonymous":
            assert is_login_redirect(response), name
            continue
        want = expected.get(role, 403)
        assert response.status_code == want, (name, response.status_code)
        if not (name == "reveal" and want == 200):
            no_secret_in(response)
    # A staff member may not reveal, change or delete by trying.
    account.refresh_from_db()
    assert account.credentials == {"access_token": ACCESS, "refresh_token": REFRESH}


@pytest.mark.parametrize("role", ["outsider", "developer"])
def test_without_rights_the_index_does_not_list_accounts(clients, role):
    page = clients[role].get(reverse("admin:index")).content.decode()

    assert "Connected accounts" not in page
    assert url("changelist") not in page


@pytest.mark.parametrize("role", ["superuser", "manager", "viewer"])
def test_with_rights_the_index_lists_accounts(clients, role):
    page = clients[role].get(reverse("admin:index")).content.decode()

    assert url("changelist") in page


def test_a_view_only_member_sees_a_working_read_only_page(clients, account):
    response = clients["viewer"].get(url("change", account.pk))

    assert response.status_code == 200
    page = response.content.decode()
    assert "erin@acme.example.com" in page
    assert f"access_token: ••••{ACCESS[-4:]}" in page
    assert "Connected as erin" in page  # the history table
    assert '<table class="account-history">' in page
    assert "The provider answered 503" in page
    # Nothing to do: no Save, Delete, Reveal or Reconnect; Close instead.
    assert 'name="_save"' not in page
    assert url("delete", account.pk) not in page
    assert "reveal-credential" not in page
    assert "Reconnect" not in page
    assert "Close" in page
    no_secret_in(response)


def test_a_view_only_member_has_no_actions(clients, account):
    response = clients["viewer"].get(url("changelist"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "erin@acme.example.com" in page
    assert 'name="action"' not in page
    assert 'name="_selected_action"' not in page


def test_an_account_manager_may_delete_and_reconnect_but_not_reveal(clients, account):
    page = clients["manager"].get(url("change", account.pk)).content.decode()

    assert url("delete", account.pk) in page
    assert url("reconnect", account.pk) in page
    assert "reveal-credential" not in page
    assert 'name="_save"' not in page


def test_object_history_says_no_secret(clients, account):
    response = clients["viewer"].get(url("history", account.pk))

    assert "Looked at the account." in response.content.decode()
    no_secret_in(response)


def test_a_403_names_no_account_detail(clients, account):
    for path in (url("change", account.pk), url("history", account.pk)):
        response = clients["outsider"].get(path)
        assert response.status_code == 403
        body = response.content.decode()
        assert "erin@acme.example.com" not in body
        assert not re.search(r"••••", body)
        no_secret_in(response)


def test_the_history_says_who(clients, account):
    """Every event on the page names the staff member, or the job, behind it."""
    someone = _someone()
    record_event(
        account,
        AccountEvent.Kind.REVOKED,
        detail="Revoked at the provider.",
        actor=someone,
        via="admin",
    )
    record_event(
        account, AccountEvent.Kind.REFRESHED, detail="Refreshed.", via="celery"
    )

    page = clients["viewer"].get(url("change", account.pk)).content.decode()

    assert re.search(r"<td>Revoked</td><td>OK</td><td>someone</td>", page)
    assert re.search(r"<td>Refreshed</td><td>OK</td><td>celery</td>", page)


def act(client, action, account, **extra):
    return client.post(
        url("changelist"),
        {"action": action, "_selected_action": [account.pk], "index": 0, **extra},
    )


@pytest.mark.parametrize("role", ROLES)
def test_the_actions_take_the_change_permission(clients, account, role):
    """Revoke (confirmed) by each role: who may change accounts revokes, and
    the history says who; a viewer's post is a plain look at the list."""
    response = act(clients[role], "revoke", account, post="yes")

    account.refresh_from_db()
    if role == "anonymous":
        assert is_login_redirect(response)
    elif role in ("outsider", "developer"):
        assert response.status_code == 403
        no_secret_in(response)
    elif role == "viewer":
        assert response.status_code == 200
        assert 'name="action"' not in response.content.decode()
    if role not in ("superuser", "manager"):
        assert account.credentials == {"access_token": ACCESS, "refresh_token": REFRESH}
        assert not account.events.filter(kind=AccountEvent.Kind.REVOKED).exists()
        return
    assert response.status_code == 302
    assert account.status == "revoked" and account.credentials == {}
    event = account.events.get(kind=AccountEvent.Kind.REVOKED)
    assert event.actor.username.startswith("member-") and event.via == "admin"


@pytest.mark.usefixtures("allow_loopback")
def test_refresh_and_verify_in_the_admin_record_who(
    clients, httpserver, django_user_model
):
    """Refresh now and Verify by an account manager: each event names them,
    and the account's page shows it in its history."""
    authorization = local_token_authorization(httpserver)
    user_info_endpoint(
        authorization,
        httpserver.url_for("/me"),
        '{"user_identity": "{{ response.email }}"}',
        headers=[("Authorization", "Bearer {{ query.access_token }}")],
    )
    httpserver.expect_request("/token", method="POST").respond_with_json(
        {"access_token": "perm-new-access-1", "refresh_token": "perm-new-refresh-1"}
    )
    httpserver.expect_request("/me").respond_with_json(
        {"email": "frank@acme.example.com"}
    )
    account = ConnectedAccountFactory(
        authorization=authorization,
        user_identity="frank@acme.example.com",
        credentials={"access_token": ACCESS, "refresh_token": REFRESH},
    )
    manager = clients["manager"]

    for action in ("refresh_now", "verify"):
        assert act(manager, action, account).status_code == 302

    member = django_user_model.objects.get(groups__name="Account managers")
    events = {e.kind: e for e in account.events.all()}
    assert set(events) == {AccountEvent.Kind.REFRESHED, AccountEvent.Kind.VERIFIED}
    for event in events.values():
        assert (event.actor, event.via, event.ok) == (member, "admin", True)
    page = manager.get(url("change", account.pk)).content.decode()
    who = member.username
    for words in ("Refreshed", "Verified"):
        assert re.search(rf"<td>{words}</td><td>OK</td><td>{who}</td>", page)
