"""The changelist's actions (Refresh now, Verify, Revoke) through the admin.

Django's test client posts to the changelist as the action form does; the
providers are real HTTP servers on loopback.  A few accounts are worked in
the request, each with a message; more become a background job.  The
actions work on threads of their own, so these tests are transactional.
"""

import datetime as dt
import re
import threading
import time
from html import unescape

import pytest
from django.db import connection
from django.db.backends.signals import connection_created
from django.urls import reverse
from django.utils import timezone
from pytest_httpserver import HTTPServer
from werkzeug import Response

from authorizations.defaults import OAUTH2_TOKEN_REQUEST, REVOKE_REQUEST
from connections.models import (
    AccountEvent,
    AccountJob,
    AccountJobItem,
    ConnectedAccount,
)
from tests.connections.test_tasks import worker  # noqa: F401 - a fixture
from tests.factories import (
    AuthorizationFactory,
    ConnectedAccountFactory,
    OAuth2AuthorizationFactory,
)
from tests.peers.console import token_endpoint, user_info_endpoint

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("allow_loopback"),
]

LIST_URL = reverse("admin:connections_connectedaccount_changelist")
NEW_TOKENS = {
    "access_token": "new-access-7301",
    "refresh_token": "new-refresh-7302",
    "expires_in": 3600,
    "token_type": "Bearer",
}


@pytest.fixture
def allow_loopback(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.ACCOUNT_JOB_RUNNER = "thread"


@pytest.fixture(autouse=True)
def sqlite_readers_do_not_lock():
    """Let the test's reads run beside a job's writes on in-memory SQLite.

    The test database is one in-memory SQLite shared by every thread's
    connection, where a read meets a table another connection is writing as
    an immediate "table is locked" (a file, as in production, waits its
    turn).  Reading uncommitted rows lifts those read locks; writers still
    take turns, and the tests write nothing while a job writes.
    """

    def read_uncommitted(connection, **kwargs):
        if connection.vendor == "sqlite":
            connection.cursor().execute("PRAGMA read_uncommitted = 1")

    connection_created.connect(read_uncommitted)
    read_uncommitted(connection)
    yield
    connection_created.disconnect(read_uncommitted)
    if connection.vendor == "sqlite":
        connection.cursor().execute("PRAGMA read_uncommitted = 0")


@pytest.fixture(autouse=True)
def jobs_finish():
    """Let every job end before the test's tables are emptied, pass or fail."""
    yield
    deadline = time.monotonic() + 120
    while AccountJob.objects.exclude(status=AccountJob.Status.DONE).exists():
        assert time.monotonic() < deadline, "a job was still running"
        time.sleep(0.1)


@pytest.fixture
def threaded_server():
    """A provider on loopback answering requests at once, as real ones do."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


def authorization_at(url: str):
    authorization = OAuth2AuthorizationFactory(client_auth="client_secret_post")
    token_endpoint(authorization, url, OAUTH2_TOKEN_REQUEST, body_format="form")
    return authorization


def account(authorization, identity: str, refresh_token: str = "old-refresh-11"):
    return ConnectedAccountFactory(
        authorization=authorization,
        user_identity=identity,
        credentials={"access_token": "old-access-11", "refresh_token": refresh_token},
        expires_at=timezone.now() + dt.timedelta(minutes=5),
    )


def act(client, action: str, accounts, query: str = "", **fields):
    data = {
        "action": action,
        "index": 0,
        "_selected_action": [a.pk for a in accounts],
        **fields,
    }
    return client.post(LIST_URL + query, data)


def raw_messages_of(client, response) -> list[tuple[str, str]]:
    """The messages the page after ``response`` shows: (level, markup)."""
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    return re.findall(r'<li class="(\w+)">(.*?)</li>', page)


def words_of(markup: str) -> str:
    return unescape(re.sub("<[^>]+>", "", markup))


def messages_of(client, response) -> list[tuple[str, str]]:
    """The messages the page after ``response`` shows: (level, words)."""
    return [
        (level, words_of(markup)) for level, markup in raw_messages_of(client, response)
    ]


def change_url(account) -> str:
    return reverse("admin:connections_connectedaccount_change", args=[account.pk])


def wait_until_done(job_id: int, seconds: float = 30.0) -> AccountJob:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = AccountJob.objects.get(pk=job_id)
        if job.status == AccountJob.Status.DONE:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {seconds} s")


def job_of(response) -> AccountJob:
    assert response.status_code == 302
    job = AccountJob.objects.get()
    assert response["Location"] == reverse(
        "admin:connections_connectedaccount_job", args=[job.pk]
    )
    return job


def results_of(job) -> dict[str, str]:
    return {item.account_label: item.result for item in job.items.all()}


def test_refresh_now_on_a_mixed_batch_says_per_account_what_happened(
    admin_client, httpserver
):
    httpserver.expect_request("/ok", method="POST").respond_with_json(NEW_TOKENS)
    httpserver.expect_request("/refused", method="POST").respond_with_json(
        {"error": "invalid_grant"}, status=400
    )
    httpserver.expect_request("/down", method="POST").respond_with_data(
        "upstream exploded", status=500
    )
    jason = account(authorization_at(httpserver.url_for("/ok")), "jason@example.com")
    lena = account(authorization_at(httpserver.url_for("/refused")), "lena@example.com")
    omar = account(authorization_at(httpserver.url_for("/down")), "omar@example.com")

    response = act(admin_client, "refresh_now", [jason, lena, omar])

    assert response.status_code == 302 and response["Location"] == LIST_URL
    shown = messages_of(admin_client, response)
    assert len(shown) == 3, shown
    said = {text.split(":")[0]: (level, text) for level, text in shown}
    assert said["jason@example.com"][0] == "success", said
    assert said["jason@example.com"][1].startswith(
        "jason@example.com: Refreshed: a new access token and a new refresh token"
    )
    assert said["lena@example.com"][0] == "error"
    assert said["lena@example.com"][1].startswith(
        "lena@example.com: Needs reconnect: The provider refused the refresh "
        "(invalid_grant)"
    )
    assert said["omar@example.com"][0] == "error"
    assert said["omar@example.com"][1].startswith("omar@example.com: Error: ")
    assert "The old tokens are kept" in said["omar@example.com"][1]
    for _, text in said.values():
        assert "old-refresh-11" not in text and "new-access-7301" not in text
    # No job for a handful: the work was done in the request.
    assert not AccountJob.objects.exists()
    jason.refresh_from_db()
    assert jason.credentials["access_token"] == "new-access-7301"
    lena.refresh_from_db()
    assert lena.status == ConnectedAccount.Status.NEEDS_RECONNECT
    omar.refresh_from_db()
    assert omar.status == ConnectedAccount.Status.ERROR
    assert omar.credentials["refresh_token"] == "old-refresh-11"
    event = jason.events.get(kind=AccountEvent.Kind.REFRESHED)
    assert event.via == "admin" and event.actor.username == "admin"


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the in-memory SQLite test database refuses a second writer: accounts "
    "are worked one by one there (a SQLite file serves several)",
)
def test_a_handful_is_worked_at_once_so_the_slowest_provider_sets_the_time(
    admin_client, threaded_server
):
    started = threading.Barrier(3, timeout=10)

    def all_three_at_once(request):
        # Each answer waits until all three accounts have asked: a request
        # working them one by one would never get past the first.
        started.wait()
        return Response(
            '{"access_token": "a-1", "expires_in": 60, "token_type": "Bearer"}',
            content_type="application/json",
        )

    threaded_server.expect_request("/token").respond_with_handler(all_three_at_once)
    authorization = authorization_at(threaded_server.url_for("/token"))
    accounts = [account(authorization, f"u{n}@example.com") for n in range(3)]

    response = act(admin_client, "refresh_now", accounts)

    levels = [level for level, _ in messages_of(admin_client, response)]
    assert levels == ["success"] * 3


def test_a_hundred_accounts_go_to_the_background_and_the_page_comes_first(
    admin_client, threaded_server
):
    def slowly(request):
        time.sleep(0.1)  # as real token endpoints answer
        return Response(
            '{"access_token": "bg-access-1", "refresh_token": "bg-refresh-2", '
            '"expires_in": 3600, "token_type": "Bearer"}',
            content_type="application/json",
        )

    threaded_server.expect_request("/token").respond_with_handler(slowly)
    authorization = authorization_at(threaded_server.url_for("/token"))
    accounts = [account(authorization, f"bulk{n:03}@example.com") for n in range(100)]

    response = act(admin_client, "refresh_now", accounts)
    asked_when_answered = len(threaded_server.log)

    job = job_of(response)
    assert asked_when_answered < 100, "the request waited for the provider"
    assert job.total == 100 and job.action == "refresh"
    assert job.started_by.username == "admin"
    [(level, text)] = messages_of(admin_client, response)
    assert text == (
        "Refresh now started on 100 accounts in the background; "
        "this page shows how far it is."
    )

    job = wait_until_done(job.pk)
    assert job.finished_at is not None and job.started_at is not None
    assert set(results_of(job).values()) == {"refreshed"}
    assert len(results_of(job)) == 100
    assert all(item.message.startswith("Refreshed: ") for item in job.items.all())
    assert len(threaded_server.log) == 100
    refreshed = ConnectedAccount.objects.filter(last_refreshed_at__isnull=False)
    assert refreshed.count() == 100
    assert (
        AccountEvent.objects.filter(
            kind="refreshed", via="admin", actor=job.started_by
        ).count()
        == 100
    )


def test_select_across_takes_every_account_the_filters_show(admin_client, httpserver):
    httpserver.expect_request("/token", method="POST").respond_with_json(NEW_TOKENS)
    authorization = authorization_at(httpserver.url_for("/token"))
    shown = [account(authorization, f"shown{n}@example.com") for n in range(12)]
    hidden = ConnectedAccountFactory(
        authorization=authorization,
        user_identity="hidden@example.com",
        status=ConnectedAccount.Status.REVOKED,
    )

    # One box ticked on the page, then "Select all 12": the filter decides.
    response = act(
        admin_client,
        "refresh_now",
        shown[:1],
        query="?status__exact=active",
        select_across=1,
    )

    job = wait_until_done(job_of(response).pk)
    assert job.total == 12
    assert set(results_of(job)) == {a.user_identity for a in shown}
    assert set(results_of(job).values()) == {"refreshed"}
    hidden.refresh_from_db()
    assert hidden.last_refreshed_at is None


def test_select_across_ten_thousand_accounts_makes_one_job_in_few_queries(
    admin_client, django_assert_max_num_queries
):
    authorization = OAuth2AuthorizationFactory()
    now = timezone.now()
    ConnectedAccount.objects.bulk_create(
        ConnectedAccount(
            authorization=authorization,
            user_identity=f"many{n:05}@example.com",
            # Revoked: Verify skips each at once, so the job ends soon.
            status=ConnectedAccount.Status.REVOKED,
            credentials={},
            expires_at=now,
        )
        for n in range(10_000)
    )
    first = ConnectedAccount.objects.order_by("pk").first()

    # Not a query per account: the ids are read in chunks and the items
    # written in batches (1,000 rows on PostgreSQL; SQLite's limit on
    # parameters cuts them to about 250).
    with django_assert_max_num_queries(100):
        response = act(admin_client, "verify", [first], select_across=1)

    job = job_of(response)
    assert job.total == 10_000 and job.action == "verify"
    assert job.items.count() == 10_000
    page = admin_client.get(response["Location"])
    assert "10,000" in page.content.decode()
    job = wait_until_done(job.pk, seconds=120)
    assert set(results_of(job).values()) == {"skipped"}
    assert job.items.first().message.startswith("The account is revoked")


def test_an_account_that_crashes_is_recorded_and_the_job_goes_on(
    admin_client, httpserver
):
    httpserver.expect_request("/token", method="POST").respond_with_json(NEW_TOKENS)
    authorization = authorization_at(httpserver.url_for("/token"))
    accounts = [account(authorization, f"c{n:02}@example.com") for n in range(12)]
    broken = accounts[5]
    # Credentials written under a key the console no longer has: loading the
    # account raises, as after a key rotation gone wrong.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE connections_connectedaccount SET credentials = %s WHERE id = %s",
            ["gAAAAAB-not-a-token-any-key-opens", broken.pk],
        )

    job = wait_until_done(job_of(act(admin_client, "refresh_now", accounts)).pk)

    results = results_of(job)
    assert results.pop(broken.user_identity) == "error"
    assert set(results.values()) == {"refreshed"} and len(results) == 11
    item = job.items.get(account=broken)
    assert item.message == (
        "Refresh now stopped on an unexpected error (DecryptionError); the account "
        "is as the action left it, and the server log says where it stopped."
    )
    assert item.finished_at is not None


def test_an_account_deleted_while_its_job_runs_is_gone(admin_client, threaded_server):
    asked = threading.Event()
    release = threading.Event()

    def held(request):
        asked.set()
        release.wait(10)  # until the test has deleted an account
        return Response(
            '{"access_token": "h-1", "expires_in": 60, "token_type": "Bearer"}',
            content_type="application/json",
        )

    threaded_server.expect_request("/token").respond_with_handler(held)
    authorization = authorization_at(threaded_server.url_for("/token"))
    accounts = [account(authorization, f"d{n:02}@example.com") for n in range(12)]

    job = job_of(act(admin_client, "refresh_now", accounts))
    # The job's workers wait on the provider with its first accounts; its
    # last is not reached yet.
    assert asked.wait(10)
    last = job.items.order_by("-pk").first()
    doomed = ConnectedAccount.objects.get(pk=last.account_id)
    doomed.delete()
    release.set()

    job = wait_until_done(job.pk)
    item = job.items.get(pk=last.pk)
    assert item.result == "gone"
    assert item.account_label == doomed.user_identity
    assert item.message == "The account was deleted meanwhile."
    assert set(results_of(job).values()) == {"refreshed", "gone"}
    assert not ConnectedAccount.objects.filter(pk=doomed.pk).exists()

    page = admin_client.get(
        reverse("admin:connections_connectedaccount_job", args=[job.pk])
    ).content.decode()
    assert f"<td>{doomed.user_identity}</td>" in page  # no link to a deleted page


def test_a_view_only_user_has_no_actions_and_posting_one_does_nothing(
    member_client, httpserver
):
    httpserver.expect_request("/token", method="POST").respond_with_json(NEW_TOKENS)
    target = account(authorization_at(httpserver.url_for("/token")), "v@example.com")
    client = member_client(permissions=["view_connectedaccount"])

    listing = client.get(LIST_URL).content.decode()
    assert "v@example.com" in listing
    assert 'name="action"' not in listing
    assert "Refresh now" not in listing

    response = act(client, "refresh_now", [target])

    # Without actions the post is a plain look at the list.
    assert response.status_code == 200
    assert "Refresh now" not in response.content.decode()
    assert httpserver.log == []
    target.refresh_from_db()
    assert target.last_refreshed_at is None
    assert not AccountJob.objects.exists()


def test_account_managers_see_the_three_actions(member_client):
    ConnectedAccountFactory(user_identity="m@example.com")
    client = member_client("Account managers")

    listing = client.get(LIST_URL).content.decode()

    for value, words in (
        ("refresh_now", "Refresh now"),
        ("verify", "Verify"),
        ("revoke", "Revoke"),
    ):
        assert f'<option value="{value}">{words}</option>' in listing


def test_revoke_asks_first_and_changes_nothing_until_told(admin_client, httpserver):
    authorization = authorization_at(httpserver.url_for("/token"))
    accounts = [account(authorization, f"r{n:02}@example.com") for n in range(25)]

    response = act(
        admin_client,
        "revoke",
        accounts[:2],
        query="?status__exact=active",
        select_across=1,
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Revoke 25 connected accounts?" in page
    assert "and 5 more" in page
    assert page.count("<li>r") == 20
    # The answer carries the selection and asks to go ahead.
    assert 'name="post" value="yes"' in page
    assert 'name="select_across" value="1"' in page
    assert 'name="action" value="revoke"' in page
    for selected in accounts[:2]:
        assert f'name="_selected_action" value="{selected.pk}"' in page
    assert httpserver.log == []
    assert not AccountJob.objects.exists()
    for revocable in accounts:
        revocable.refresh_from_db()
        assert revocable.status == ConnectedAccount.Status.ACTIVE
        assert revocable.credentials["access_token"] == "old-access-11"


@pytest.mark.usefixtures("worker")
def test_the_celery_runner_works_the_job_through_a_real_worker(
    admin_client, httpserver, settings
):
    from celery.signals import task_postrun

    settings.ACCOUNT_JOB_RUNNER = "celery"
    httpserver.expect_request("/token", method="POST").respond_with_json(NEW_TOKENS)
    authorization = authorization_at(httpserver.url_for("/token"))
    accounts = [account(authorization, f"w{n:02}@example.com") for n in range(12)]
    ran = []

    def record(sender=None, args=None, **kwargs):
        ran.append((sender.name, tuple(args)))

    task_postrun.connect(record, weak=False)
    try:
        job = job_of(act(admin_client, "refresh_now", accounts))
        job = wait_until_done(job.pk)
        deadline = time.monotonic() + 10
        while not ran and time.monotonic() < deadline:  # the task just returned
            time.sleep(0.05)
    finally:
        task_postrun.disconnect(record)

    assert ran == [("connections.tasks.run_account_job", (job.pk,))]
    assert set(results_of(job).values()) == {"refreshed"}
    assert len(httpserver.log) == 12
    assert AccountEvent.objects.filter(kind="refreshed", via="admin").count() == 12


API_KEY = "ak_live_actions_5Kq8"


def api_key_account(httpserver, path: str, identity: str):
    authorization = AuthorizationFactory(type="api_key")
    user_info_endpoint(
        authorization,
        httpserver.url_for(path),
        '{"user_identity": "{{ response.email }}", "account_id": "{{ response.id }}"}',
        headers=[("X-Api-Key", "{{ query.api_key }}")],
    )
    return ConnectedAccountFactory(
        authorization=authorization,
        user_identity=identity,
        account_id="42",
        credentials={"api_key": API_KEY},
    )


def test_verify_says_per_account_what_the_provider_answered(admin_client, httpserver):
    httpserver.expect_request("/me-ok").respond_with_json(
        {"id": 42, "email": "ann@example.com"}
    )
    httpserver.expect_request("/me-refused").respond_with_json(
        {"error": "bad key"}, status=401
    )
    ann = api_key_account(httpserver, "/me-ok", "ann@example.com")
    bob = api_key_account(httpserver, "/me-refused", "bob@example.com")

    response = act(admin_client, "verify", [ann, bob])

    markup = raw_messages_of(admin_client, response)
    # Each identity opens its account; what the provider said is text.
    for person in (ann, bob):
        link = f'<a href="{change_url(person)}">{person.user_identity}</a>: '
        assert sum(text.startswith(link) for _, text in markup) == 1
    shown = {
        words_of(text).split(":")[0]: (level, words_of(text)) for level, text in markup
    }
    assert shown["ann@example.com"][0] == "success"
    assert shown["ann@example.com"][1].startswith("ann@example.com: Verified")
    assert shown["bob@example.com"][0] == "error"
    assert shown["bob@example.com"][1].startswith("bob@example.com: Needs reconnect: ")
    assert all(API_KEY not in text for _, text in shown.values())
    ann.refresh_from_db()
    assert ann.last_verified_at is not None
    assert ann.events.get(kind="verified").actor.username == "admin"
    bob.refresh_from_db()
    assert bob.status == ConnectedAccount.Status.NEEDS_RECONNECT


def revocable(httpserver, count: int):
    httpserver.expect_request("/revoke", method="POST").respond_with_data("")
    authorization = OAuth2AuthorizationFactory(client_auth="client_secret_post")
    token_endpoint(
        authorization,
        httpserver.url_for("/revoke"),
        REVOKE_REQUEST,
        "",
        body_format="form",
        kind="revoke",
    )
    return [account(authorization, f"rv{n:02}@example.com") for n in range(count)]


def test_revoke_once_confirmed_revokes_what_the_answer_names(admin_client, httpserver):
    accounts = revocable(httpserver, 3)

    asked = act(admin_client, "revoke", accounts[:2])
    assert "Revoke 2 connected accounts?" in asked.content.decode()
    # The confirmation's form, as the browser posts it.
    answer = dict(re.findall(r'name="(\w+)" value="([^"]*)"', asked.content.decode()))
    answer.pop("csrfmiddlewaretoken", None)
    answer["_selected_action"] = re.findall(
        r'name="_selected_action" value="(\d+)"', asked.content.decode()
    )
    response = admin_client.post(LIST_URL, answer)

    shown = messages_of(admin_client, response)
    assert [level for level, _ in shown] == ["success", "success"]
    assert all(": Revoked" in text for _, text in shown)
    for revoked in accounts[:2]:
        revoked.refresh_from_db()
        assert revoked.status == ConnectedAccount.Status.REVOKED
        assert revoked.credentials == {}
    kept = accounts[2]
    kept.refresh_from_db()
    assert kept.status == ConnectedAccount.Status.ACTIVE and kept.credentials
    assert len(httpserver.log) == 2


def test_revoke_on_all_the_filtered_accounts_runs_as_a_job(admin_client, httpserver):
    accounts = revocable(httpserver, 12)
    other = ConnectedAccountFactory(status=ConnectedAccount.Status.ERROR)

    query = "?status__exact=active"
    asked = act(admin_client, "revoke", accounts[:1], query=query, select_across=1)
    assert "Revoke 12 connected accounts?" in asked.content.decode()
    response = act(
        admin_client, "revoke", accounts[:1], query=query, select_across=1, post="yes"
    )

    job = wait_until_done(job_of(response).pk)
    assert job.action == "revoke" and job.total == 12
    assert set(results_of(job).values()) == {"revoked"}
    assert (
        ConnectedAccount.objects.filter(status=ConnectedAccount.Status.REVOKED).count()
        == 12
    )
    other.refresh_from_db()
    assert other.status == ConnectedAccount.Status.ERROR


def test_a_stalled_job_resumed_works_only_the_accounts_not_done(admin_client):
    """A job whose thread died with the web process: Resume works the
    accounts left waiting and leaves the finished one as it was."""
    done, *waiting = (
        ConnectedAccountFactory(
            user_identity=f"r{n}@example.com", status=ConnectedAccount.Status.REVOKED
        )
        for n in range(3)
    )
    long_ago = timezone.now() - dt.timedelta(hours=1)
    job = AccountJob.objects.create(
        action="verify", status="running", total=3, started_at=long_ago
    )
    AccountJob.objects.filter(pk=job.pk).update(created_at=long_ago)
    AccountJobItem.objects.bulk_create(
        [
            AccountJobItem(
                job=job,
                account=done,
                account_label=done.user_identity,
                result="verified",
                message="Before the restart.",
                finished_at=long_ago,
            ),
            *(
                AccountJobItem(job=job, account=a, account_label=a.user_identity)
                for a in waiting
            ),
        ]
    )

    response = admin_client.post(
        reverse("admin:connections_connectedaccount_job_resume", args=[job.pk])
    )
    deadline = time.monotonic() + 60
    while AccountJob.objects.get(pk=job.pk).status != AccountJob.Status.DONE:
        assert time.monotonic() < deadline, "the resumed job did not finish"
        time.sleep(0.05)

    assert response.status_code == 302
    results = dict(job.items.values_list("account_label", "result"))
    assert results == {
        "r0@example.com": "verified",
        "r1@example.com": "skipped",
        "r2@example.com": "skipped",
    }
    assert job.items.get(account=done).message == "Before the restart."
