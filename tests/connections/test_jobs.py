"""Background jobs on connected accounts: their pages and their runner.

The pages are tested on jobs made here (nothing runs them); the runner on
jobs whose accounts need no provider (revoked accounts Verify skips).
"""

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from connections import jobs
from connections.models import AccountJob, AccountJobItem, ConnectedAccount
from tests.factories import ConnectedAccountFactory

LIST_URL = reverse("admin:connections_connectedaccount_changelist")
JOBS_URL = reverse("admin:connections_connectedaccount_jobs")


def page_url(job) -> str:
    return reverse("admin:connections_connectedaccount_job", args=[job.pk])


def progress_url(job) -> str:
    return reverse("admin:connections_connectedaccount_job_progress", args=[job.pk])


def change_url(account) -> str:
    return reverse("admin:connections_connectedaccount_change", args=[account.pk])


def make_job(accounts, *, by=None, action="refresh", finished=()):
    """A job over ``accounts``; those in ``finished`` say (result, message)."""
    job = AccountJob.objects.create(
        action=action, started_by=by, total=len(accounts), status="running"
    )
    AccountJobItem.objects.bulk_create(
        AccountJobItem(
            job=job,
            account=account,
            account_label=account.user_identity,
            **(
                {
                    "result": finished[n][0],
                    "message": finished[n][1],
                    "finished_at": timezone.now(),
                }
                if n < len(finished)
                else {}
            ),
        )
        for n, account in enumerate(accounts)
    )
    return job


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.mark.django_db
def test_the_job_page_shows_progress_counts_and_each_account(admin_client, admin_user):
    accounts = [
        ConnectedAccountFactory(user_identity=f"{name}@example.com")
        for name in ("jason", "lena", "omar")
    ]
    job = make_job(
        accounts,
        by=admin_user,
        finished=[("refreshed", "Refreshed: a new access token.")],
    )

    page = admin_client.get(page_url(job)).content.decode()

    assert "Refresh now on 3 accounts" in page
    assert "Started by admin" in page
    assert '<progress id="job-progress" value="1" max="3">' in page
    assert '<span id="job-progress-text" role="status" aria-live="polite">' in page
    assert "1 of 3 done" in text_of(page)
    assert "Status: Running" in text_of(page)
    assert "Refreshed: 1" in text_of(page) and "Waiting: 2" in text_of(page)
    assert (
        f'<a href="{change_url(accounts[0])}">jason@example.com</a>' in page
    )  # the identity opens the account
    assert "Refreshed: a new access token." in page
    assert page.count('class="job-result job-result-waiting">Waiting</span>') == 2
    assert f'data-progress-url="{progress_url(job)}"' in page
    assert 'data-status="running"' in page
    assert "admin-console/account-job.js" in page


@pytest.mark.django_db
def test_the_progress_view_says_the_same_as_json(admin_client):
    accounts = [ConnectedAccountFactory() for _ in range(3)]
    job = make_job(
        accounts,
        finished=[("refreshed", "Refreshed: yes."), ("error", "The provider failed.")],
    )

    state = admin_client.get(progress_url(job)).json()

    assert state["status"] == "running" and state["status_words"] == "Running"
    assert (state["done"], state["total"], state["waiting"]) == (2, 3, 1)
    assert state["progress_text"] == "2 of 3 done"
    assert state["counts"] == [
        {"result": "refreshed", "words": "Refreshed", "count": 1},
        {"result": "error", "words": "Error", "count": 1},
    ]
    assert [row["words"] for row in state["items"]] == ["Refreshed", "Error", "Waiting"]
    assert state["items"][1]["message"] == "The provider failed."
    assert state["items"][0]["account_url"] == change_url(accounts[0])


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_a_job_page_costs_the_same_queries_at_3_and_300_accounts(admin_client):
    small = make_job([ConnectedAccountFactory() for _ in range(3)])
    big = make_job(
        [ConnectedAccountFactory() for _ in range(300)],
        finished=[("refreshed", "Refreshed.")] * 150,
    )
    admin_client.get(page_url(small))  # the session, warm

    assert queries_for(admin_client, page_url(small)) == queries_for(
        admin_client, page_url(big)
    )
    assert queries_for(admin_client, progress_url(small)) == queries_for(
        admin_client, progress_url(big)
    )
    assert queries_for(admin_client, page_url(big)) <= 8


@pytest.mark.django_db
def test_a_big_job_is_shown_a_hundred_accounts_a_page(admin_client):
    accounts = [
        ConnectedAccountFactory(user_identity=f"p{n:03}@example.com")
        for n in range(250)
    ]
    job = make_job(accounts)

    second = admin_client.get(page_url(job) + "?page=2").content.decode()

    assert "Page 2 of 3" in text_of(second)
    assert ">p100@example.com<" in second and ">p199@example.com<" in second
    assert "p099@example.com" not in second and "p200@example.com" not in second
    assert 'href="?page=1">Previous' in second and 'href="?page=3">Next' in second
    assert f'data-progress-url="{progress_url(job)}?page=2"' in second
    assert len(admin_client.get(progress_url(job) + "?page=3").json()["items"]) == 50
    # A page that does not exist shows one that does.
    for wrong in ("abc", "0", "99", "-1", "1e9"):
        response = admin_client.get(page_url(job) + f"?page={wrong}")
        assert response.status_code == 200
        assert "of 3" in text_of(response.content.decode())


@pytest.mark.django_db
def test_identities_are_shown_as_text(admin_client):
    account = ConnectedAccountFactory(user_identity="<script>alert(1)</script>")
    job = make_job([account], finished=[("error", "<b>bold</b> words")])

    page = admin_client.get(page_url(job)).content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt; words" in page


@pytest.mark.django_db
def test_an_unknown_job_is_not_found(admin_client):
    assert (
        admin_client.get(
            reverse("admin:connections_connectedaccount_job", args=[987654])
        ).status_code
        == 404
    )


@pytest.mark.django_db
def test_viewers_see_jobs_and_others_get_403(member_client):
    job = make_job([ConnectedAccountFactory(user_identity="seen@example.com")])
    viewer = member_client(permissions=["view_connectedaccount"])
    stranger = member_client(permissions=["view_app"])

    for url in (page_url(job), progress_url(job), JOBS_URL):
        assert viewer.get(url).status_code == 200
        refused = stranger.get(url)
        assert refused.status_code == 403
        assert b"seen@example.com" not in refused.content


@pytest.mark.django_db
def test_recent_jobs_are_listed_and_linked_from_the_account_list(
    admin_client, admin_user
):
    job = make_job([ConnectedAccountFactory() for _ in range(2)], by=admin_user)

    listing = admin_client.get(LIST_URL).content.decode()
    jobs_page = admin_client.get(JOBS_URL).content.decode()

    assert f'<a href="{JOBS_URL}">Recent jobs</a>' in listing
    assert f'href="{page_url(job)}"' in jobs_page
    row = text_of(jobs_page.split(f'href="{page_url(job)}"')[1].split("</tr>")[0])
    assert "Refresh now 2 admin Running" in row


@pytest.mark.django_db
def test_no_jobs_yet_says_how_to_start_one(admin_client):
    page = text_of(admin_client.get(JOBS_URL).content.decode())
    assert "No job yet." in page


def resume_url(job) -> str:
    return reverse("admin:connections_connectedaccount_job_resume", args=[job.pk])


def quiet_for(job, minutes: int):
    """Make ``job`` look as if nothing happened to it for ``minutes``."""
    then = timezone.now() - timezone.timedelta(minutes=minutes)
    AccountJob.objects.filter(pk=job.pk).update(created_at=then, started_at=then)
    job.items.exclude(finished_at=None).update(finished_at=then)
    job.refresh_from_db()


@pytest.mark.django_db
def test_a_stalled_job_says_so_and_offers_to_resume(admin_client):
    accounts = [ConnectedAccountFactory() for _ in range(2)]
    job = make_job(accounts, action="verify", finished=[("verified", "Earlier.")])
    quiet_for(job, 30)

    page = admin_client.get(page_url(job)).content.decode()

    assert "No account has finished for 30 minutes" in text_of(page)
    assert f'action="{resume_url(job)}"' in page


@pytest.mark.django_db
def test_a_moving_job_is_not_started_again(admin_client):
    job = make_job(
        [ConnectedAccountFactory() for _ in range(2)],
        action="verify",
        finished=[("verified", "Just now.")],
    )

    page = admin_client.get(page_url(job)).content.decode()
    response = admin_client.post(resume_url(job), follow=True)

    assert "Resume the job" not in page
    assert "The job was not started again" in text_of(response.content.decode())
    assert job.items.filter(result="").count() == 1


@pytest.mark.django_db
def test_viewers_see_a_stalled_job_but_may_not_resume_it(member_client):
    job = make_job([ConnectedAccountFactory()], action="verify")
    quiet_for(job, 30)
    viewer = member_client(permissions=["view_connectedaccount"])

    page = viewer.get(page_url(job)).content.decode()
    refused = viewer.post(resume_url(job))

    assert "No account has finished for 30 minutes" in text_of(page)
    assert "Resume the job" not in page
    assert refused.status_code == 403
    assert viewer.get(resume_url(job)).status_code in (403, 405)
    assert job.items.get().result == ""


# The runner: its own threads read what the test wrote, so these commit.
runner = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def revoked_accounts(count: int):
    return [
        ConnectedAccountFactory(
            user_identity=f"r{n}@example.com", status=ConnectedAccount.Status.REVOKED
        )
        for n in range(count)
    ]


@runner
def test_a_job_is_worked_to_done_in_batches(monkeypatch):
    monkeypatch.setattr(jobs, "BATCH", 2)  # five accounts, three reads
    job = make_job(revoked_accounts(5), action="verify")

    jobs.run_job(job.pk)

    job.refresh_from_db()
    assert job.status == "done"
    assert job.started_at is not None and job.finished_at >= job.started_at
    items = list(job.items.all())
    assert [item.result for item in items] == ["skipped"] * 5
    assert all(item.finished_at for item in items)
    assert items[0].message.startswith("The account is revoked")


@runner
def test_a_job_run_again_leaves_the_finished_accounts_alone():
    accounts = revoked_accounts(3)
    job = make_job(accounts, action="verify", finished=[("verified", "Earlier.")])
    before = job.items.get(account=accounts[0]).finished_at

    jobs.run_job(job.pk)  # as a redelivered task does after a worker died

    first = job.items.get(account=accounts[0])
    assert (first.result, first.message, first.finished_at) == (
        "verified",
        "Earlier.",
        before,
    )
    assert set(job.items.exclude(pk=first.pk).values_list("result", flat=True)) == {
        "skipped"
    }


@runner
def test_a_done_job_is_not_run_again():
    job = make_job(revoked_accounts(1), action="verify")
    AccountJob.objects.filter(pk=job.pk).update(status="done")

    jobs.run_job(job.pk)

    assert job.items.get().result == ""


@runner
def test_an_item_whose_account_was_deleted_before_the_job_says_gone():
    kept, deleted = revoked_accounts(2)
    job = make_job([kept, deleted], action="verify")
    deleted.delete()  # the item keeps its label, its account becomes NULL

    jobs.run_job(job.pk)

    item = job.items.get(account_label=deleted.user_identity)
    assert (item.account_id, item.result) == (None, "gone")
    assert item.message == "The account was deleted meanwhile."
