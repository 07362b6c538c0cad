"""Admin for connected accounts: staff see and manage them, never their secrets.

Credentials are shown masked and read-only, and can neither be searched,
filtered nor looked up through the URL; only a staff member with the reveal
permission sees one whole, on asking, and the history records it
(admin_views/reveal.py).  Nothing on an account's page is edited by hand:
refresh, verify, revoke and reconnect change it, each recorded.
"""

import datetime as dt

from django.contrib import admin
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.views.decorators.debug import sensitive_variables

from authorizations.masking import mask_secret
from connections import admin_actions
from connections.admin_views import account_actions, jobs, reconnect, reveal
from connections.models import ConnectedAccount
from console.admin_filters import (
    AutocompleteFilterMediaMixin,
    AutocompleteRelatedFilter,
)
from console.admin_mixins import ConsoleAdminMixin, SecretSafeAdminMixin

HISTORY_SHOWN = 50
# An active account whose token expires this soon is shown as expiring soon,
# whether or not the refresh job has marked it yet.
EXPIRING_SOON_WITHIN = dt.timedelta(minutes=15)
# How much of the last error the list shows; the whole text is its tooltip.
ERROR_SHOWN = 80

Status = ConnectedAccount.Status

# Largest unit first: a span is told in the largest unit it reaches.
UNITS = (
    (365 * 86400, "year"),
    (30 * 86400, "month"),
    (7 * 86400, "week"),
    (86400, "day"),
    (3600, "hour"),
    (60, "minute"),
)


def span_in_words(delta: dt.timedelta) -> str | None:
    """Say how long `delta` is ("12 minutes", "3 hours"); None under a minute.

    Told to the nearest minute, so a token set to expire in 12 minutes still
    says 12 a moment later, then in the largest unit it reaches, rounded down.
    """
    seconds = round(abs(delta.total_seconds()) / 60) * 60
    for size, unit in UNITS:
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return None


def exact_time(moment: dt.datetime) -> str:
    return date_format(localtime(moment), "Y-m-d H:i:s T")


def shown_status(account: ConnectedAccount, now: dt.datetime) -> tuple[str, str]:
    """Return the status to show (value, words): an active account whose token
    expires within EXPIRING_SOON_WITHIN is expiring soon already."""
    if (
        account.status == Status.ACTIVE
        and account.expires_at is not None
        and account.expires_at - now <= EXPIRING_SOON_WITHIN
    ):
        return Status.EXPIRING_SOON.value, Status.EXPIRING_SOON.label
    return account.status, account.get_status_display()


@admin.register(ConnectedAccount)
class ConnectedAccountAdmin(
    AutocompleteFilterMediaMixin,
    SecretSafeAdminMixin,
    ConsoleAdminMixin,
    admin.ModelAdmin,
):
    # The authorization's client secret is joined in for the app and type
    # columns; none of them reads it, so no row decrypts it.
    unlisted_secret_fields = ("credentials", "authorization__client_secret")
    list_display = [
        "user_identity",
        "app",
        "type",
        "status_badge",
        "expires_in",
        "last_refreshed",
        "last_verified",
        "last_error_in_words",
    ]
    list_filter = [
        ("authorization__app", AutocompleteRelatedFilter),
        "authorization__type",
        "status",
    ]
    list_select_related = ["authorization__app"]
    # Identity only: credentials are encrypted and must never be searchable.
    search_fields = ["user_identity", "account_id"]
    fields = [
        "user_identity",
        "account_id",
        "connected_through",
        "status",
        "masked_credentials",
        "extras",
        "granted_scopes",
        "expires_at",
        "connected_by",
        "last_refreshed_at",
        "last_verified_at",
        "last_error",
        "created_at",
        "updated_at",
        "history",
    ]
    # Nothing is edited by hand: the status is what refresh, verify, revoke
    # and reconnect found, each recorded in the history with who did it; a
    # typed-in "active" over wiped tokens would be a lie with no trace.
    readonly_fields = fields
    actions = admin_actions.ACTIONS

    class Media:
        css = {"all": ["admin-console/accounts.css"]}

    def get_urls(self):
        return [
            *account_actions.urls(self),
            *reconnect.urls(self),
            *jobs.urls(self),
            *reveal.urls(self),
            *super().get_urls(),
        ]

    def has_add_permission(self, request):
        # Accounts come from completed authorizations, not from typing them in.
        return False

    def get_fields(self, request, obj=None):
        # Who may reveal sees the same credentials with a Reveal button each.
        if obj is not None and reveal.may_reveal(self, request, obj):
            return [
                "revealable_credentials" if name == "masked_credentials" else name
                for name in self.fields
            ]
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def save_model(self, request, obj, form, change):
        # Nothing on the page is edited, and saving the row read at the
        # start of the request would write its credentials back over a
        # refresh that stored new ones meanwhile.
        pass

    def render_change_form(self, request, context, *args, **kwargs):
        # Every field is read-only: no Save buttons, a Close link.
        context.update(
            show_save=False,
            show_save_and_continue=False,
            show_save_and_add_another=False,
        )
        return super().render_change_form(request, context, *args, **kwargs)

    @admin.display(description="app", ordering="authorization__app__name")
    def app(self, obj):
        return obj.authorization.app

    @admin.display(description="type", ordering="authorization__type")
    def type(self, obj):
        return obj.authorization.get_type_display()

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        value, words = shown_status(obj, timezone.now())
        return format_html(
            '<span class="account-status account-status-{}">{}</span>', value, words
        )

    @admin.display(description="expires", ordering="expires_at")
    def expires_in(self, obj):
        if obj.expires_at is None:
            return "—"
        delta = obj.expires_at - timezone.now()
        words = span_in_words(delta)
        if delta.total_seconds() > 0:
            words = f"in {words}" if words else "in less than a minute"
        else:
            words = f"expired {words} ago" if words else "expired just now"
        return format_html(
            '<span title="{}">{}</span>', exact_time(obj.expires_at), words
        )

    def _ago(self, moment):
        if moment is None:
            return "never"
        words = span_in_words(timezone.now() - moment)
        return format_html(
            '<span title="{}">{}</span>',
            exact_time(moment),
            f"{words} ago" if words else "just now",
        )

    @admin.display(description="last refresh", ordering="last_refreshed_at")
    def last_refreshed(self, obj):
        return self._ago(obj.last_refreshed_at)

    @admin.display(description="last verified", ordering="last_verified_at")
    def last_verified(self, obj):
        return self._ago(obj.last_verified_at)

    @admin.display(description="last error")
    def last_error_in_words(self, obj):
        error = " ".join(obj.last_error.split())
        if not error:
            return "—"
        shown = error if len(error) <= ERROR_SHOWN else error[: ERROR_SHOWN - 1] + "…"
        return format_html(
            '<span class="account-error" title="{}">{}</span>', obj.last_error, shown
        )

    @admin.display(description="authorization")
    def connected_through(self, obj):
        # Plain text: account managers may not open authorization pages.
        return f"{obj.authorization} ({obj.authorization.get_type_display()})"

    @admin.display(description="history")
    def history(self, obj):
        # The newest events: an account refreshed hourly for a year has
        # thousands, and a page needs the recent ones.
        events = obj.events.select_related("actor")[:HISTORY_SHOWN]
        if not events:
            return "Nothing yet"
        return format_html(
            '<table class="account-history"><thead><tr><th>When</th><th>What</th>'
            "<th>Result</th><th>By</th><th>Details</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        date_format(localtime(event.at), "Y-m-d H:i:s"),
                        event.get_kind_display(),
                        "OK" if event.ok else "Failed",
                        event.actor or event.via or "—",
                        event.detail,
                    )
                    for event in events
                ),
            ),
        )

    # Sensitive: an error while rendering must not put the values in the
    # error report's frame variables.  Plain loops, not generators: a
    # finished generator's frame loses its caller, so the report could not
    # tell it ran inside this sensitive one.
    @admin.display(description="credentials")
    @sensitive_variables()
    def masked_credentials(self, obj):
        if not obj.credentials:
            return "None stored"
        rows = []
        for name, value in sorted(obj.credentials.items()):
            rows.append((name, mask_secret(str(value)) or "(empty)"))
        return format_html_join("", "<div>{}: {}</div>", rows)

    @admin.display(description="credentials")
    @sensitive_variables()
    def revealable_credentials(self, obj):
        if not obj.credentials:
            return "None stored"
        # A submit button of the account's form posting to the reveal view
        # (a form cannot hold another): the CSRF token goes with it, and the
        # value comes back as the answer to a POST, never in a URL.
        url = reveal.reveal_url(obj)
        rows = []
        for name, value in sorted(obj.credentials.items()):
            masked = mask_secret(str(value)) or "(empty)"
            rows.append((name, masked, url, name, name))
        return format_html_join(
            "",
            '<div class="account-credential">{}: {} <button type="submit" '
            'class="button reveal-credential" formaction="{}" formmethod="post" '
            'formnovalidate name="credential" value="{}" '
            'aria-label="Reveal {}">Reveal</button></div>',
            rows,
        )
