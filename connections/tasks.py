"""Celery tasks: the background refresh, on the same function as the command.

``refresh_due_accounts`` runs on the beat schedule (settings) and queues one
``refresh_account`` task per account due; a transient failure is retried
after the provider's Retry-After or the account's backoff, a bounded number
of times.  ``run_account_job`` works an admin action's job
(``ACCOUNT_JOB_RUNNER = "celery"``).
"""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from connections import jobs
from connections.refresh import refresh_account
from connections.services import accounts_due_for_refresh

# Retries of one task after transient failures; the next beat run starts over.
MAX_RETRIES = 3
# Queued per beat run at most: a backlog is worked off over several runs.
BATCH = 1000


@shared_task(name="connections.tasks.refresh_account", bind=True)
def refresh_account_task(self, account_id: int) -> str:
    outcome = refresh_account(account_id, via="celery")
    if outcome.result == "error" and self.request.retries < MAX_RETRIES:
        raise self.retry(countdown=outcome.retry_after or 60, max_retries=MAX_RETRIES)
    return outcome.result


@shared_task(name="connections.tasks.refresh_due_accounts")
def refresh_due_accounts(within_seconds: int = 900) -> int:
    due = accounts_due_for_refresh(timedelta(seconds=within_seconds), BATCH)
    for account_id in due:
        refresh_account_task.delay(account_id)
    return len(due)


@shared_task(name="connections.tasks.run_account_job")
def run_account_job(job_id: int) -> None:
    # A redelivered job (its worker died) goes on with the items not done.
    jobs.run_job(job_id)
