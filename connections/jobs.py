"""Admin actions on many accounts: the one map from action to function, and
the runner that works a job's accounts in the background.

A few accounts are worked in the request (``run_now``); more become an
``AccountJob`` with one item per account (``start_job``), worked by a daemon
thread in the web process or by a Celery task, as ``ACCOUNT_JOB_RUNNER``
says.  Either way each account goes through the same function the command
and the tasks use, and its item records the outcome in words.
"""

from __future__ import annotations

import logging
import queue
import threading
import traceback
from itertools import islice

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max
from django.db.models.functions import Coalesce
from django.utils import timezone

from connections import outcomes
from connections.lease import lease_seconds
from connections.models import AccountJob, AccountJobItem
from connections.outcomes import Outcome

logger = logging.getLogger(__name__)

Action = AccountJob.Action

# Accounts worked at once by a job; a provider sees at most this many
# requests from one job at a time.
WORKERS = 4
# Items written per INSERT, and read per query while working a job.
BATCH = 1000

RUNNERS = ("thread", "celery")

RESULT_WORDS = {
    outcomes.REFRESHED: "Refreshed",
    outcomes.FRESH: "Already fresh",
    outcomes.SKIPPED: "Skipped",
    outcomes.VERIFIED: "Verified",
    outcomes.REVOKED: "Revoked",
    outcomes.NEEDS_RECONNECT: "Needs reconnect",
    outcomes.ERROR: "Error",
    outcomes.GONE: "Gone",
    "": "Waiting",
}


def result_words(result: str) -> str:
    return RESULT_WORDS.get(result) or result.replace("_", " ").capitalize()


def _refresh(account_id, actor):
    from connections.refresh import refresh_account

    return refresh_account(account_id, via="admin", actor=actor, force=True)


def _verify(account_id, actor):
    from connections.verify import verify_account

    return verify_account(account_id, via="admin", actor=actor)


def _revoke(account_id, actor):
    from connections.revoke import revoke_account

    return revoke_account(account_id, via="admin", actor=actor)


# The one place an action's name meets its function (imported when first
# used, so this module loads whichever of them exist).
FUNCTIONS = {
    Action.REFRESH: _refresh,
    Action.VERIFY: _verify,
    Action.REVOKE: _revoke,
}


def run_one(action: str, account_id: int | None, actor=None) -> Outcome:
    """Run ``action`` on one account and say what happened, whatever happens.

    An exception becomes an error outcome naming its type only: its text
    may quote a request or a stored value, so it stays out of the words and
    of the log, which gets the traceback's lines of code.
    """
    if account_id is None:  # deleted after the job was made
        return outcomes.gone(account_id)
    try:
        return FUNCTIONS[action](account_id, actor)
    except Exception as error:  # noqa: BLE001 - one account must not stop a job
        name = type(error).__name__
        logger.error(
            "%s of account %s failed unexpectedly: %s\n%s",
            action,
            account_id,
            name,
            "".join(traceback.format_tb(error.__traceback__)),
        )
        return outcomes.outcome(
            account_id,
            outcomes.ERROR,
            f"{Action(action).label} stopped on an unexpected error ({name}); "
            "the account is as the action left it, and the server log says where "
            "it stopped.",
        )


def _workers(wanted: int) -> int:
    # The work is mostly waiting on providers, so a SQLite file serves
    # several workers (each write waits its turn, briefly); an in-memory one,
    # as in tests, refuses a second writer instead of waiting.
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        return 1
    return wanted


def _in_threads(work, tasks, workers: int) -> None:
    """Call ``work(task)`` for every task, on up to ``workers`` threads.

    Each thread closes its own database connection when it ends (Django
    opens one per thread, and nothing else would close these).  With one
    worker the tasks are worked here, on the caller's connection.
    """
    tasks = list(tasks)
    workers = _workers(workers)
    if workers <= 1:
        for task in tasks:
            work(task)
        return
    pending: queue.SimpleQueue = queue.SimpleQueue()
    for task in tasks:
        pending.put(task)

    def worker():
        try:
            while True:
                try:
                    task = pending.get_nowait()
                except queue.Empty:
                    return
                work(task)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, daemon=True)
        for _ in range(min(workers, len(tasks)))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def run_now(action: str, account_ids: list[int], actor=None) -> list[Outcome]:
    """Run ``action`` on a few accounts and return their outcomes, in order.

    At once where the database allows (a slow provider then costs the
    request one account's time, not all); one by one on an in-memory SQLite.
    """
    results: dict[int, Outcome] = {}

    def work(account_id):
        results[account_id] = run_one(action, account_id, actor)

    _in_threads(work, account_ids, len(account_ids))
    return [results[account_id] for account_id in account_ids]


def start_job(action: str, accounts, actor=None) -> AccountJob:
    """Make a job with one item per account and start it once committed.

    ``accounts`` yields (pk, user_identity) pairs (a ``values_list``), read
    in chunks and written in batches: 10,000 accounts never become 10,000
    model objects at once.
    """
    if action not in FUNCTIONS:
        raise ValueError(f"Unknown action {action!r}.")
    with transaction.atomic():
        job = AccountJob.objects.create(action=action, started_by=actor)
        rows = iter(accounts.iterator(chunk_size=BATCH))
        total = 0
        while batch := list(islice(rows, BATCH)):
            AccountJobItem.objects.bulk_create(
                AccountJobItem(job=job, account_id=pk, account_label=label[:500])
                for pk, label in batch
            )
            total += len(batch)
        job.total = total
        job.save(update_fields=["total"])
        transaction.on_commit(lambda: launch(job.pk))
    return job


def launch(job_id: int):
    """Start working the job on the configured runner."""
    if settings.ACCOUNT_JOB_RUNNER == "celery":
        from connections.tasks import run_account_job

        try:
            run_account_job.delay(job_id)
        except Exception as error:  # noqa: BLE001 - the job says so instead
            # The broker is down or misconfigured: the job must not wait for
            # a worker that will never hear of it.
            logger.error("account job %s not queued: %s", job_id, type(error).__name__)
            _give_up(
                job_id,
                "The job could not be queued: the Celery broker did not answer. "
                "Nothing was done to this account.",
            )
        return None
    thread = threading.Thread(
        target=_run_in_thread, args=(job_id,), name=f"account-job-{job_id}", daemon=True
    )
    thread.start()
    return thread


def _give_up(job_id: int, message: str) -> None:
    now = timezone.now()
    AccountJobItem.objects.filter(job_id=job_id, finished_at__isnull=True).update(
        result=outcomes.ERROR, message=message, finished_at=now
    )
    AccountJob.objects.filter(pk=job_id).update(
        status=AccountJob.Status.DONE, finished_at=now
    )


def _run_in_thread(job_id: int) -> None:
    try:
        run_job(job_id)
    except Exception:
        logger.exception("account job %s stopped", job_id)
    finally:
        connection.close()


def run_job(job_id: int, workers: int = WORKERS) -> None:
    """Work a job's unfinished items and mark it done.

    Safe to run again on a job a dead worker left running (a Celery
    redelivery): the items already finished are not touched again.
    """
    now = timezone.now()
    claimed = (
        AccountJob.objects.filter(pk=job_id)
        .exclude(status=AccountJob.Status.DONE)
        .update(
            status=AccountJob.Status.RUNNING,
            started_at=Coalesce("started_at", now),
        )
    )
    if not claimed:
        return
    job = AccountJob.objects.select_related("started_by").get(pk=job_id)

    def work(item):
        pk, account_id = item
        result = run_one(job.action, account_id, job.started_by)
        try:
            AccountJobItem.objects.filter(pk=pk).update(
                result=result.result,
                message=result.message,
                finished_at=timezone.now(),
            )
        except Exception as error:  # noqa: BLE001 - the other items go on
            logger.error(
                "account job %s: item %s not recorded: %s",
                job_id,
                pk,
                type(error).__name__,
            )

    last = 0
    while True:
        batch = list(
            job.items.filter(finished_at__isnull=True, pk__gt=last)
            .order_by("pk")
            .values_list("pk", "account_id")[:BATCH]
        )
        if not batch:
            break
        _in_threads(work, batch, workers)
        last = batch[-1][0]
    AccountJob.objects.filter(pk=job_id).update(
        status=AccountJob.Status.DONE, finished_at=timezone.now()
    )


def stalled_after() -> float:
    """Seconds without an account finished after which a job that is not
    done has lost its worker: three times the longest one account may take
    (its lease), whatever the number of workers."""
    return 3 * lease_seconds()


def stalled_for(job: AccountJob, now=None) -> float | None:
    """How long an unfinished job has gone without progress, in seconds, when
    that is long enough to say its worker stopped (a restart of the web
    process stops its thread jobs); None while it is done or moving."""
    if job.status == AccountJob.Status.DONE:
        return None
    last = job.items.aggregate(last=Max("finished_at"))["last"]
    since = max(moment for moment in (last, job.started_at, job.created_at) if moment)
    quiet = ((now or timezone.now()) - since).total_seconds()
    return quiet if quiet >= stalled_after() else None


def resume(job: AccountJob) -> bool:
    """Start a stalled job again on the configured runner: its accounts not
    done yet are worked, the finished ones left alone.  False when the job
    is done or still moving, and nothing is started."""
    if stalled_for(job) is None:
        return False
    logger.info("account job %s resumed", job.pk)
    launch(job.pk)
    return True


def _in_word_order(pair) -> tuple:
    order = list(RESULT_WORDS)
    result = pair[0]
    return (order.index(result) if result in order else len(order), result)


def progress(job: AccountJob) -> dict:
    """How far a job is: done, total, and the count of each result (one query)."""
    counts = dict(
        job.items.order_by()
        .values("result")
        .annotate(count=Count("pk"))
        .values_list("result", "count")
    )
    waiting = counts.pop("", 0)
    total = sum(counts.values()) + waiting
    return {
        "done": total - waiting,
        "total": total,
        "counts": [
            {"result": result, "words": result_words(result), "count": count}
            for result, count in sorted(counts.items(), key=_in_word_order)
        ],
        "waiting": waiting,
    }


__all__ = [
    "FUNCTIONS",
    "launch",
    "progress",
    "resume",
    "stalled_for",
    "result_words",
    "run_job",
    "run_now",
    "run_one",
    "start_job",
]
