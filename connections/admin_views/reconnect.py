"""Reconnect a connected account: run its authorization's flow again and
update that same account in place, its history kept.

The account page's Reconnect button (object tools) leads here.  For the
credential-form types the page asks for the type's credentials and runs the
flow at once; for OAuth it has one button that starts the flow (a POST) and
sends the browser to the provider, whose callback (``/oauth/callback/``)
finishes it.  Either way the run names the account
(``start_run(..., reconnect_account=…)``), the store updates it only when the
provider signed in as the same user, and the staff member comes back to the
account's page with how it went: the test-run page needs authorization
permissions, which an account manager may not have.

Who may: whoever may change connected accounts
(``connections.change_connectedaccount``); anyone else gets a 403.
"""

from __future__ import annotations

import functools

from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path
from django.views.decorators.debug import sensitive_post_parameters

from authorizations.flow_views import form_or_start, reconnect_finished
from connections.admin_views import account_to_change

TEMPLATE = "admin/connections/connectedaccount/reconnect.html"


# Every field of the credential form may be a secret: an error report
# (ADMINS mail, the debug page) shows none of them.
@sensitive_post_parameters()
def reconnect(request, object_id, *, model_admin):
    """The reconnect page: the type's form, or a button to the provider."""
    account = account_to_change(model_admin, request, object_id)
    authorization = account.authorization
    spec = authorization.spec
    form, started = form_or_start(request, authorization, reconnect_account=account)
    if started is not None:
        if started.redirect:
            return HttpResponseRedirect(started.redirect)
        return reconnect_finished(request, started.run)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "original": account,
        "account": account,
        "authorization": authorization,
        "spec": spec,
        "form": form,
        "missing": authorization.missing_parts(),
        "title": f"Reconnect {account}",
    }
    return TemplateResponse(request, TEMPLATE, context)


def urls(model_admin) -> list:
    view = model_admin.admin_site.admin_view(
        functools.partial(reconnect, model_admin=model_admin)
    )
    opts = model_admin.model._meta
    return [
        path(
            "<path:object_id>/reconnect/",
            view,
            name=f"{opts.app_label}_{opts.model_name}_reconnect",
        )
    ]
