"""Admin for connected accounts: staff see and manage them, never their secrets.

Credentials are shown masked and read-only, and can neither be searched,
filtered nor looked up through the URL.
"""

from django.contrib import admin
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

from authorizations.masking import mask_secret
from connections.models import ConnectedAccount
from console.admin_filters import (
    AutocompleteFilterMediaMixin,
    AutocompleteRelatedFilter,
)
from console.admin_mixins import ConsoleAdminMixin, SecretSafeAdminMixin

HISTORY_SHOWN = 50


@admin.register(ConnectedAccount)
class ConnectedAccountAdmin(
    AutocompleteFilterMediaMixin,
    SecretSafeAdminMixin,
    ConsoleAdminMixin,
    admin.ModelAdmin,
):
    unlisted_secret_fields = ("credentials",)
    list_display = ["user_identity", "app", "type", "status", "expires_at"]
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
    readonly_fields = [name for name in fields if name != "status"]

    def has_add_permission(self, request):
        # Accounts come from completed authorizations, not from typing them in.
        return False

    @admin.display(description="app", ordering="authorization__app__name")
    def app(self, obj):
        return obj.authorization.app

    @admin.display(description="type", ordering="authorization__type")
    def type(self, obj):
        return obj.authorization.get_type_display()

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

    @admin.display(description="credentials")
    def masked_credentials(self, obj):
        if not obj.credentials:
            return "None stored"
        return format_html_join(
            "",
            "<div>{}: {}</div>",
            (
                (name, mask_secret(str(value)) or "(empty)")
                for name, value in sorted(obj.credentials.items())
            ),
        )
