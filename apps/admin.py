"""Admin for apps: the list and the authorizations section.

The export action is added by the configuration app, which sits above this one.
"""

from django.contrib import admin
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html

from apps.models import App
from authorizations.models import (
    Authorization,
    prefetch_endpoints,
    secrets_as_presence,
)
from console.admin_mixins import ConsoleAdminMixin


class AuthorizationSummaryInline(ConsoleAdminMixin, admin.TabularInline):
    """The app's authorizations, read-only, each linking to its own page."""

    model = Authorization
    fields = ["authorization_link", "type", "completeness", "endpoint_kinds"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "authorizations"

    def get_queryset(self, request):
        # The app for each row's __str__, which the tabular inline prints.
        return (
            super()
            .get_queryset(request)
            .select_related("app")
            .prefetch_related(prefetch_endpoints())
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="name")
    def authorization_link(self, obj):
        url = reverse("admin:authorizations_authorization_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.name)

    @admin.display(description="completeness")
    def completeness(self, obj):
        return obj.completeness

    @admin.display(description="endpoints")
    def endpoint_kinds(self, obj):
        kinds = [endpoint.get_kind_display() for endpoint in obj.endpoints.all()]
        return ", ".join(kinds) or "None yet"


@admin.register(App)
class AppAdmin(ConsoleAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "authorization_count", "completeness_summary"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "description"]}),
        ("Links", {"fields": ["api_base_url", "logo_url", "docs_url"]}),
    ]

    def get_queryset(self, request):
        totals = (
            Authorization.objects.filter(app=OuterRef("pk"))
            .order_by()
            .values("app")
            .annotate(total=Count("pk"))
            .values("total")
        )
        return (
            super()
            .get_queryset(request)
            # A subquery rather than Count() over a join: no GROUP BY, which
            # would make the database group every app before picking a page.
            .annotate(authorization_total=Coalesce(Subquery(totals), 0))
            .prefetch_related(
                # Each app's own, by name: no join to sort by the app again.
                # A list of its own (to_attr), not the relation's cache: it
                # skips building a queryset per app, and the export action,
                # which prefetches whole endpoints, is not handed these partial
                # ones.
                Prefetch(
                    "authorizations",
                    # Whether a client secret is set, not the secret: no row
                    # of the list decrypts one.
                    secrets_as_presence(Authorization.objects.order_by("name")),
                    to_attr="authorization_list",
                ),
                prefetch_endpoints("authorization_list__endpoints"),
            )
        )

    def get_inlines(self, request, obj):
        # A new app has no authorizations until saved (then it gets API Key).
        return [AuthorizationSummaryInline] if obj is not None else []

    @admin.display(description="authorizations", ordering="authorization_total")
    def authorization_count(self, obj):
        return obj.authorization_total

    @admin.display(description="completeness")
    def completeness_summary(self, obj):
        authorizations = obj.authorization_list
        if not authorizations:
            return "No authorizations"
        complete = sum(
            1 for authorization in authorizations if authorization.is_complete
        )
        if complete == len(authorizations):
            return "All complete"
        return f"{complete} of {len(authorizations)} complete"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        if request.user.has_perm("authorizations.add_authorization"):
            extra_context["create_authorization_url"] = (
                reverse("admin:authorizations_authorization_add") + f"?app={object_id}"
            )
        return super().change_view(request, object_id, form_url, extra_context)
