"""The apps' "Export selected apps" action, added to the registered App admin.

The config format sits above apps and authorizations, so the App admin does not
know of it: this module takes the registered admin's class and registers a
subclass with the action, without importing apps.admin. It relies on the admin
discovering apps.admin first, which INSTALLED_APPS orders.
"""

from django.contrib import admin
from django.http import HttpResponse

from apps.models import App
from configuration.exporter import export_apps_text

# Export shows how every part of an app is configured, so it needs view access
# to all of them, not only to apps.
EXPORT_PERMISSIONS = (
    "apps.view_app",
    "authorizations.view_authorization",
    "authorizations.view_endpoint",
    "authorizations.view_header",
)

BaseAppAdmin = type(admin.site.get_model_admin(App))


class AppAdmin(BaseAppAdmin):
    actions = [*(BaseAppAdmin.actions or ()), "export_selected_apps"]

    def has_export_permission(self, request):
        return request.user.has_perms(EXPORT_PERMISSIONS)

    @admin.action(description="Export selected apps", permissions=["export"])
    def export_selected_apps(self, request, queryset):
        text = export_apps_text(queryset.order_by("slug"), fmt="yaml")
        response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="apps-export.yaml"'
        return response


admin.site.unregister(App)
admin.site.register(App, AppAdmin)
