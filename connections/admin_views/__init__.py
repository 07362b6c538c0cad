"""Pages of the connected-accounts admin beyond Django's own, one module a job.

Each module's ``urls(model_admin)`` returns its paths; ``ConnectedAccountAdmin
.get_urls`` puts them before the admin's own, inside ``admin_view`` (staff
login, CSRF, no caching).  Each view checks the model permissions it needs.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404


def account_to_change(model_admin, request, object_id):
    """The account a page changes, for whoever may change accounts.

    The permission is asked before the account is looked up, so no id is
    confirmed to anyone who may not change accounts: 403, else 404 for an
    unknown id.
    """
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    account = model_admin.get_object(request, object_id)
    if account is None:
        raise Http404("There is no connected account with this id.")
    if not model_admin.has_change_permission(request, account):
        raise PermissionDenied
    return account
