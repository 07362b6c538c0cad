"""The pages of background jobs: recent jobs, one job, and its progress as JSON.

A job's page shows the action, who started it, a progress bar, the count of
each result and the accounts, a page at a time; while the job runs a small
script polls the JSON view and updates the page in place.  Each page costs
the same few queries whatever the job's size.  Seeing a job takes the right
to view connected accounts.
"""

from __future__ import annotations

import functools

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from connections import jobs
from connections.models import AccountJob

PER_PAGE = 100
RECENT_JOBS = 50


def urls(model_admin) -> list:
    def wrap(view):
        return model_admin.admin_site.admin_view(
            functools.partial(view, model_admin=model_admin)
        )

    prefix = f"{model_admin.opts.app_label}_{model_admin.opts.model_name}"
    return [
        path("jobs/", wrap(job_list), name=f"{prefix}_jobs"),
        path("jobs/<int:job_id>/", wrap(job_page), name=f"{prefix}_job"),
        path(
            "jobs/<int:job_id>/progress/",
            wrap(job_progress),
            name=f"{prefix}_job_progress",
        ),
        path(
            "jobs/<int:job_id>/resume/", wrap(job_resume), name=f"{prefix}_job_resume"
        ),
    ]


def _allowed(request, model_admin) -> None:
    if not model_admin.has_view_permission(request):
        raise PermissionDenied


def _job(job_id: int) -> AccountJob:
    return get_object_or_404(AccountJob.objects.select_related("started_by"), pk=job_id)


def _items_page(request, job: AccountJob):
    # The job's total is the number of its items: no COUNT query per page.
    paginator = Paginator(job.items.all(), PER_PAGE)
    paginator.count = job.total
    return paginator.get_page(request.GET.get("page"))


def _row(item, model_admin) -> dict:
    account_url = None
    if item.account_id is not None:
        account_url = reverse(
            f"{model_admin.admin_site.name}:connections_connectedaccount_change",
            args=[item.account_id],
        )
    return {
        "id": item.pk,
        "label": item.account_label,
        "account_url": account_url,
        "result": item.result,
        "words": jobs.result_words(item.result),
        "message": item.message,
    }


def _state(job: AccountJob, page, model_admin) -> dict:
    progress = jobs.progress(job)
    return {
        "status": job.status,
        "status_words": job.get_status_display(),
        **progress,
        "progress_text": f"{progress['done']:,} of {progress['total']:,} done",
        "items": [_row(item, model_admin) for item in page],
    }


def job_page(request, job_id, *, model_admin):
    """One job: its progress and, a page at a time, what happened to each account."""
    _allowed(request, model_admin)
    job = _job(job_id)
    page = _items_page(request, job)
    state = _state(job, page, model_admin)
    progress_url = reverse(
        f"{model_admin.admin_site.name}:connections_connectedaccount_job_progress",
        args=[job.pk],
    )
    if page.number > 1:
        progress_url += f"?page={page.number}"
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": f"{job.get_action_display()} on {job.total:,} "
        f"account{'s' if job.total != 1 else ''}",
        "job": job,
        "state": state,
        "stalled_minutes": _stalled_minutes(job),
        "can_resume": model_admin.has_change_permission(request),
        "page": page,
        "progress_url": progress_url,
        "media": model_admin.media,
    }
    return TemplateResponse(request, "admin/connections/accountjob/job.html", context)


def _stalled_minutes(job) -> int | None:
    seconds = jobs.stalled_for(job)
    return None if seconds is None else max(1, round(seconds / 60))


@require_POST
def job_resume(request, job_id, *, model_admin):
    """Start a stalled job again; who may change accounts may."""
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    job = _job(job_id)
    if jobs.resume(job):
        messages.info(
            request,
            "The job was started again: the accounts not done yet are being "
            "worked; those done are left as they are.",
        )
    else:
        messages.warning(
            request,
            "The job was not started again: it is done, or it is still moving "
            "(an account finished within the last few minutes).",
        )
    return HttpResponseRedirect(
        reverse(
            f"{model_admin.admin_site.name}:connections_connectedaccount_job",
            args=[job.pk],
        )
    )


def job_progress(request, job_id, *, model_admin):
    """The job's progress and the rows of one page, for the page's script."""
    _allowed(request, model_admin)
    job = _job(job_id)
    page = _items_page(request, job)
    return JsonResponse(_state(job, page, model_admin))


def job_list(request, *, model_admin):
    """The latest jobs, newest first."""
    _allowed(request, model_admin)
    recent = list(AccountJob.objects.select_related("started_by")[:RECENT_JOBS])
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": "Recent jobs on connected accounts",
        "jobs": recent,
        "media": model_admin.media,
    }
    return TemplateResponse(
        request, "admin/connections/accountjob/job_list.html", context
    )
