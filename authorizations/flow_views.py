"""Test authorization: the admin pages that run a flow, and the OAuth callback.

``AuthorizationAdmin.get_urls`` serves ``test_authorization`` and
``test_run`` inside ``admin_site.admin_view`` (staff login, CSRF, no caching);
``oauth_callback`` is the deployment's one callback URL (``/oauth/callback/``),
where providers send the staff member back.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from authorizations import types
from authorizations.callback import callback_url
from authorizations.flows import CallbackRefused, finish_callback, start_run
from authorizations.flows.forms import CredentialForm
from authorizations.models import Authorization, TestRun

RECENT_RUNS = 10


def _authorization(model_admin, request, object_id) -> Authorization:
    authorization = model_admin.get_object(request, object_id)
    if authorization is None:
        raise Http404("There is no authorization with this id.")
    return authorization


def form_or_start(request, authorization, **start):
    """Start a run of ``authorization`` when the request asks to, or return
    the form to show: ``(form, started)``, one of them None for OAuth.

    A credential-form type starts from its valid form; OAuth from a POST.
    ``start`` goes to ``start_run`` (``reconnect_account``).
    """
    form = None
    if authorization.spec.flow == types.Flow.CREDENTIALS:
        form = CredentialForm(request.POST or None, spec=authorization.spec)
    if request.method != "POST" or (form is not None and not form.is_valid()):
        return form, None
    started = start_run(
        authorization,
        user=request.user,
        session=request.session,
        values=form.cleaned_data if form is not None else None,
        **start,
    )
    return form, started


# Every field of the credential form may be a secret: an error report
# (ADMINS mail, the debug page) shows none of them.
@sensitive_post_parameters()
def test_authorization(request, object_id, *, model_admin):
    """Start a test: a credential form, or a page that sends to the provider."""
    authorization = _authorization(model_admin, request, object_id)
    if not model_admin.has_change_permission(request, authorization):
        raise PermissionDenied
    spec = authorization.spec
    form, started = form_or_start(request, authorization)
    if started is not None:
        if started.redirect:
            return HttpResponseRedirect(started.redirect)
        return HttpResponseRedirect(started.run.get_absolute_url())
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "original": authorization,
        "authorization": authorization,
        "spec": spec,
        "form": form,
        "callback_url": callback_url() if spec.flow != types.Flow.CREDENTIALS else "",
        "missing": authorization.missing_parts(),
        "title": f"Test {authorization}",
        "recent_runs": recent_runs(authorization),
    }
    return TemplateResponse(
        request, "admin/authorizations/authorization/test.html", context
    )


def recent_runs(authorization, limit: int = RECENT_RUNS):
    return list(
        authorization.test_runs.select_related("started_by").defer("pending", "steps")[
            :limit
        ]
    )


def account_url(run: TestRun, user) -> str:
    """The connected account's admin page, for a staff member who may see it."""
    if not run.connected_account_pk or not user.has_perm(
        "connections.view_connectedaccount"
    ):
        return ""
    try:
        return reverse(
            "admin:connections_connectedaccount_change",
            args=[run.connected_account_pk],
        )
    except NoReverseMatch:
        return ""


def test_run(request, run_id, *, model_admin):
    """Show a run's step log and how it ended."""
    run = get_object_or_404(
        TestRun.objects.select_related("authorization__app", "started_by"), pk=run_id
    )
    if not model_admin.has_view_or_change_permission(request, run.authorization):
        raise PermissionDenied
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "original": run.authorization,
        "authorization": run.authorization,
        "run": run,
        "account_url": account_url(run, request.user),
        "can_test": model_admin.has_change_permission(request, run.authorization),
        "title": f"Test run of {run.authorization}",
    }
    return TemplateResponse(
        request, "admin/authorizations/authorization/test_run.html", context
    )


def reconnected_account_url(run: TestRun) -> str:
    """The admin page of the account a reconnect run was for."""
    try:
        return reverse(
            "admin:connections_connectedaccount_change",
            args=[run.reconnect_account_pk],
        )
    except NoReverseMatch:
        return ""


def reconnect_finished(request, run: TestRun) -> HttpResponseRedirect:
    """Send the staff member back to the account a reconnect run was for, with
    how it went: the run page needs authorization permissions, which an
    account manager may not have."""
    if run.status == TestRun.Status.SUCCEEDED:
        messages.success(request, f"{run.message}.")
    else:
        messages.error(request, run.message)
    return HttpResponseRedirect(reconnected_account_url(run))


@never_cache
@staff_member_required
def oauth_callback(request):
    """Finish the run the provider's callback names, or say why it cannot."""
    try:
        run = finish_callback(request.GET, user=request.user, session=request.session)
    except CallbackRefused as refused:
        run = refused.run
        run_url = run.get_absolute_url() if run else ""
        if run is not None and run.reconnect_account_pk:
            run_url = reconnected_account_url(run)
        context = {
            **admin.site.each_context(request),
            "title": "The sign-in could not be finished",
            "message": refused.message,
            "run_url": run_url,
            "reconnect": bool(run is not None and run.reconnect_account_pk),
        }
        return TemplateResponse(
            request, "authorizations/callback_refused.html", context, status=400
        )
    if run.reconnect_account_pk:
        return reconnect_finished(request, run)
    return HttpResponseRedirect(run.get_absolute_url())


__all__ = [
    "form_or_start",
    "oauth_callback",
    "recent_runs",
    "reconnect_finished",
    "test_authorization",
    "test_run",
]
