"""Reveal one stored credential of a connected account, whole, and record it.

Seeing a token whole is its own right (``connections.reveal_connectedaccount``),
beyond viewing or changing the account.  The value is only ever the answer to
a POST (CSRF-checked), so it lands in no URL, browser history or access log;
the page is not cached; every reveal is an event in the account's history
with who did it.  Nothing here logs the value, and an error report (the
ADMINS mail, a logged traceback with locals) shows none of the view's or the
template's variables: the page is rendered inside the sensitive view.
"""

from __future__ import annotations

import json

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from connections.history import record_event
from connections.models import AccountEvent

PERMISSION = "connections.reveal_connectedaccount"
TEMPLATE = "admin/connections/connectedaccount/reveal.html"


def may_reveal(model_admin, request, account=None) -> bool:
    """Whether the staff member may see ``account``'s credentials whole."""
    return model_admin.has_view_or_change_permission(
        request, account
    ) and request.user.has_perm(PERMISSION)


def reveal_url(account) -> str:
    return reverse("admin:connections_connectedaccount_reveal", args=[account.pk])


def shown(value) -> str:
    """A stored credential as text: strings as they are, the rest as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


@sensitive_variables()
@sensitive_post_parameters()
@never_cache
@require_POST
def reveal(request, object_id, *, model_admin):
    """Show one credential (named by the POST's ``credential``) whole."""
    if not may_reveal(model_admin, request):
        raise PermissionDenied
    account = model_admin.get_object(request, object_id)
    if account is None:
        raise Http404("There is no connected account with this id.")
    if not may_reveal(model_admin, request, account):
        raise PermissionDenied
    name = request.POST.get("credential", "")
    credentials = account.credentials or {}
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "original": account,
        "account": account,
        "name": name,
        "title": f"Credential of {account}",
    }
    if name not in credentials:
        context["error"] = (
            f"This account stores no credential named “{name}”; "
            "go back to the account and choose one of those it lists."
            if name
            else "Choose a credential to reveal from the account's page."
        )
        return render(request, TEMPLATE, context, status=404 if name else 400)
    record_event(
        account,
        AccountEvent.Kind.REVEALED,
        detail=f"Revealed {name}",
        actor=request.user,
        via="admin",
    )
    context["value"] = shown(credentials[name])
    # Rendered here, inside the sensitive view, rather than as a lazy
    # TemplateResponse: an error while rendering then reports no variable.
    return render(request, TEMPLATE, context)


def urls(model_admin) -> list:
    def view(request, object_id):
        return reveal(request, object_id, model_admin=model_admin)

    return [
        path(
            "<path:object_id>/reveal/",
            model_admin.admin_site.admin_view(view),
            name="connections_connectedaccount_reveal",
        )
    ]
