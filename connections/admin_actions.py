"""The changelist's actions on selected accounts: Refresh now, Verify, Revoke.

A few accounts are worked in the request and each gets a message saying
what happened to it; more become a background job (connections/jobs.py)
and the action lands on the job's page, which shows the progress.  Revoke
destroys tokens, so it asks first, as Django's delete does.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from connections import jobs, outcomes
from connections.models import AccountJob

Action = AccountJob.Action

# At most this many accounts are worked in the request (all at once on
# PostgreSQL, so the slowest provider sets the time); more go to a
# background job.
INLINE_LIMIT = 10
# Identities named on Revoke's confirmation; the rest are counted.
NAMED_ON_CONFIRMATION = 20


def message_level(outcome) -> int:
    if outcome.result == outcomes.SKIPPED:
        return messages.WARNING
    return messages.SUCCESS if outcome.ok else messages.ERROR


def in_words(model_admin, label: str, outcome) -> str:
    """Say "jason@example.com: Refreshed: a new access token…", the identity
    linked to the account's page.

    The result's words lead, unless the function's message starts with them.
    """
    words = jobs.result_words(outcome.result)
    text = outcome.message
    if not text.lower().startswith(words.lower()):
        text = f"{words}: {text}" if text else f"{words}."
    if outcome.result == outcomes.GONE:
        return format_html("{}: {}", label, text)
    url = reverse(
        f"{model_admin.admin_site.name}:connections_connectedaccount_change",
        args=[outcome.account_id],
    )
    # Markup, which the message list shows as it is (a plain message has its
    # first letter capitalised, the identity's here).
    return format_html('<a href="{}">{}</a>: {}', url, label, text)


def _run(model_admin, request, queryset, action: str):
    rows = queryset.values_list("pk", "user_identity")
    few = list(rows[: INLINE_LIMIT + 1])
    if len(few) <= INLINE_LIMIT:
        results = jobs.run_now(action, [pk for pk, _ in few], actor=request.user)
        for (_, label), outcome in zip(few, results, strict=True):
            model_admin.message_user(
                request,
                in_words(model_admin, label, outcome),
                message_level(outcome),
            )
        return None
    job = jobs.start_job(action, rows, actor=request.user)
    model_admin.message_user(
        request,
        f"{Action(action).label} started on {job.total:,} accounts in the "
        "background; this page shows how far it is.",
        messages.INFO,
    )
    return HttpResponseRedirect(
        reverse(
            f"{model_admin.admin_site.name}:connections_connectedaccount_job",
            args=[job.pk],
        )
    )


@admin.action(description="Refresh now", permissions=["change"])
def refresh_now(model_admin, request, queryset):
    return _run(model_admin, request, queryset, Action.REFRESH)


@admin.action(description="Verify", permissions=["change"])
def verify(model_admin, request, queryset):
    return _run(model_admin, request, queryset, Action.VERIFY)


@admin.action(description="Revoke", permissions=["change"])
def revoke(model_admin, request, queryset):
    if request.POST.get("post") == "yes":
        return _run(model_admin, request, queryset, Action.REVOKE)
    return _confirm_revoke(model_admin, request, queryset)


def _confirm_revoke(model_admin, request, queryset):
    """Ask before revoking, naming a few of the accounts and counting all.

    The answer posts the same selection back to the same changelist URL (its
    filters included, which a selection of "all" depends on).
    """
    opts = model_admin.model._meta
    count = queryset.count()
    named = list(
        queryset.values_list("user_identity", flat=True)[:NAMED_ON_CONFIRMATION]
    )
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Are you sure?",
        "opts": opts,
        "count": count,
        "count_text": f"{count:,}",
        "named": named,
        "unnamed": f"{count - len(named):,}" if count > len(named) else "",
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across") == "1",
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": model_admin.media,
    }
    return TemplateResponse(
        request, "admin/connections/accountjob/revoke_confirmation.html", context
    )


ACTIONS: list = [refresh_now, verify, revoke]
