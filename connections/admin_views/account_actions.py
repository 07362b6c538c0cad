"""Refresh now, Verify and Revoke on one account, from its page.

The list's actions run on a selection; an account manager looking at one
account wants its buttons there.  The same functions run (``jobs.run_one``),
for whoever may change accounts, and the answer is a message on the
account's page.  Revoke asks first; the others are a POST (a GET only
leads back to the page), so no link or prefetch ever runs them.
"""

from __future__ import annotations

import functools

from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from connections import jobs
from connections.admin_actions import in_words, message_level
from connections.admin_views import account_to_change
from connections.models import AccountJob

Action = AccountJob.Action
CONFIRM_TEMPLATE = "admin/connections/connectedaccount/revoke_one.html"


def account_action(request, object_id, action, *, model_admin):
    if action not in jobs.FUNCTIONS:
        raise Http404("There is no such action on connected accounts.")
    account = account_to_change(model_admin, request, object_id)
    page = reverse(
        f"{model_admin.admin_site.name}:connections_connectedaccount_change",
        args=[account.pk],
    )
    confirmed = request.method == "POST" and (
        action != Action.REVOKE or request.POST.get("post") == "yes"
    )
    if not confirmed:
        if action != Action.REVOKE:
            return HttpResponseRedirect(page)
        context = {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.model._meta,
            "original": account,
            "account": account,
            "title": "Are you sure?",
        }
        return TemplateResponse(request, CONFIRM_TEMPLATE, context)
    outcome = jobs.run_one(action, account.pk, request.user)
    model_admin.message_user(
        request,
        in_words(model_admin, account.user_identity, outcome),
        message_level(outcome),
    )
    return HttpResponseRedirect(page)


def urls(model_admin) -> list:
    view = model_admin.admin_site.admin_view(
        functools.partial(account_action, model_admin=model_admin)
    )
    opts = model_admin.model._meta
    return [
        path(
            "<path:object_id>/act/<str:action>/",
            view,
            name=f"{opts.app_label}_{opts.model_name}_act",
        )
    ]
