"""An audit trail of refused access: every 403 is logged with who and where.

A refusal can come from many doors — PermissionDenied in a view, the admin's
own permission checks, a view answering 403 itself, a failed CSRF check — so
it is recorded once, from the response, whichever door it came through.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.views.csrf import csrf_failure as django_csrf_failure

logger = logging.getLogger("integry.audit")

_REASON = "_audit_refusal_reason"


def csrf_failure(request, reason=""):
    """Answer a failed CSRF check as Django does, keeping the reason for the log."""
    setattr(request, _REASON, f"CSRF check failed: {reason}")
    return django_csrf_failure(request, reason=reason)


def _who(request) -> str:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return "anonymous"
    return f"{user.get_username()} (user {user.pk})"


class RefusalAuditMiddleware:
    """Log each 403 response to `integry.audit` at WARNING: user, method, path.

    Only the path is logged, not the query string, which may carry codes or
    tokens (an OAuth callback's `code`, a search term).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 403:
            reason = getattr(request, _REASON, "") or "permission denied"
            reason = reason.rstrip(".")
            logger.warning(
                "Refused %s %s to %s: %s.",
                request.method,
                request.path,
                _who(request),
                reason,
                extra={
                    "audit_user": _who(request),
                    "audit_method": request.method,
                    "audit_path": request.path,
                    "audit_reason": reason,
                },
            )
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, PermissionDenied) and str(exception):
            setattr(request, _REASON, str(exception))
        # Returning None lets Django turn the exception into its 403 page.
