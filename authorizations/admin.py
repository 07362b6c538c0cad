"""Admin for authorizations and endpoints (with headers).

Secrets are write-only here: the client secret is typed into a box that never
shows it back, and it cannot be searched, filtered or looked up through the URL.
"""

import functools

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.views.decorators.debug import sensitive_post_parameters

from authorizations import callback, flow_views, samples, types, views
from authorizations.defaults import endpoint_defaults
from authorizations.forms import (
    AuthorizationForm,
    EndpointForm,
    HeaderForm,
    HeaderFormSet,
    type_registry,
)
from authorizations.masking import mask_secret
from authorizations.models import (
    Authorization,
    Endpoint,
    Header,
    prefetch_endpoints,
)
from authorizations.rendering.checks import FIELD_LABELS, check_endpoint_templates
from authorizations.services import (
    authorization_add_starting_endpoints,
    authorization_clear_unused_settings,
)
from console.admin_filters import (
    AutocompleteFilterMediaMixin,
    AutocompleteRelatedFilter,
)
from console.admin_mixins import ConsoleAdminMixin, SecretSafeAdminMixin


@admin.register(Authorization)
class AuthorizationAdmin(
    AutocompleteFilterMediaMixin,
    SecretSafeAdminMixin,
    ConsoleAdminMixin,
    admin.ModelAdmin,
):
    form = AuthorizationForm
    list_display = ["name", "app", "type", "completeness"]
    list_display_links = ["name"]
    # Apps grow into the thousands: found by search, never listed whole.
    list_filter = [("app", AutocompleteRelatedFilter), "type"]
    list_select_related = ["app"]
    autocomplete_fields = ["app"]
    # Never a secret field: search terms land in URLs and logs.
    search_fields = ["name", "app__name"]
    readonly_fields = ["completeness", "endpoints_overview"]
    settings_fieldset_description = (
        "Only the settings the chosen type uses are shown. Required ones are not "
        "enforced on save: the completeness message says what is still missing."
    )
    expiry_fieldset_description = (
        "How Verify knows that an account's access token expired, from the "
        "User Information Endpoint's answer."
    )
    # What a read-only page shows instead of a setting's stored value: a
    # secret whole, or a separator that is a space, would show nothing useful.
    read_only_settings = {
        "client_secret": "masked_client_secret",
        "scope_separator": "shown_scope_separator",
    }

    class Media:
        js = ["admin-console/authorization-form.js", "admin-console/copy-button.js"]
        css = {"all": ["admin-console/admin-console.css"]}

    def get_queryset(self, request):
        # The app for __str__ (pickers, inlines, breadcrumbs), the endpoints
        # for completeness.
        return (
            super()
            .get_queryset(request)
            .select_related("app")
            .prefetch_related(prefetch_endpoints())
        )

    def get_fieldsets(self, request, obj=None):
        # The callback URL leads: it is what the provider's console asks for
        # first, before it hands out the client ID and secret.
        credentials = [
            n for n in types.ALL_SETTING_NAMES if n not in types.EXPIRY_SETTING_NAMES
        ]
        expiry = [n for n in types.ALL_SETTING_NAMES if n in types.EXPIRY_SETTING_NAMES]
        settings = {
            "fields": ["callback_url", *credentials],
            "classes": ["type-settings"],
            "description": self.settings_fieldset_description,
        }
        expiry_settings = {
            "fields": expiry,
            "classes": ["type-settings-expiry"],
            "description": self.expiry_fieldset_description,
        }
        if obj is not None and not self.has_change_permission(request, obj):
            # Read-only: no script picks the type's settings, and a read-only
            # field would print the stored secret whole.
            spec = obj.spec
            used = [
                self.read_only_settings.get(s.name, s.name)
                for s in spec.used_settings(grant=obj.grant_type)
            ]
            settings = {
                "fields": [
                    *(["callback_url"] if spec.uses_callback else []),
                    *(n for n in used if n not in types.EXPIRY_SETTING_NAMES),
                ]
            }
            expiry_settings = {
                "fields": [n for n in used if n in types.EXPIRY_SETTING_NAMES]
            }
        fieldsets = [(None, {"fields": ["app", "name", "type"]})]
        if settings["fields"]:
            fieldsets.append(("App credentials", settings))
        if expiry_settings["fields"]:
            fieldsets.append(("Expired tokens", expiry_settings))
        if obj is not None:
            fieldsets.append(
                ("Endpoints", {"fields": ["completeness", "endpoints_overview"]})
            )
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "callback_url", *self.read_only_settings.values()]

    @admin.display(description="Callback URL")
    def callback_url(self, obj):
        # The one redirect URL of every OAuth authorization; the script in
        # copy-button.js puts it on the clipboard, and it stays selectable text.
        return format_html(
            '<code class="callback-url" id="callback-url">{}</code> '
            '<button type="button" class="button copy-button" '
            'data-copy-target="callback-url">Copy</button> '
            '<span class="copy-status" role="status" aria-live="polite"></span>'
            '<div class="help">Register this URL with the provider as the '
            "redirect (callback) URL. Every OAuth authorization of this console "
            "uses it; the client credentials grant needs none.</div>",
            callback.callback_url(),
        )

    @admin.display(description="scope separator")
    def shown_scope_separator(self, obj):
        separator = obj.scope_separator or " "
        if separator == " ":
            return "a space"
        return format_html("<code>{}</code>", separator)

    @admin.display(description="completeness")
    def completeness(self, obj):
        return obj.completeness

    @admin.display(description="client secret")
    def masked_client_secret(self, obj):
        return mask_secret(obj.client_secret) or "Not set"

    @admin.display(description="endpoints")
    def endpoints_overview(self, obj):
        spec = obj.spec
        existing = {endpoint.kind: endpoint for endpoint in obj.endpoints.all()}
        rows = []
        for kind_key in dict.fromkeys([*spec.endpoint_kinds, *existing]):
            kind = types.ENDPOINT_KINDS[kind_key]
            endpoint = existing.get(kind_key)
            role = "required" if kind_key in spec.required_endpoints else "optional"
            if endpoint is not None:
                target = format_html(
                    '{} {} — <a href="{}">Change</a>',
                    endpoint.method,
                    endpoint.url or "(no URL yet)",
                    reverse("admin:authorizations_endpoint_change", args=[endpoint.pk]),
                )
            else:
                add_url = reverse("admin:authorizations_endpoint_add")
                target = format_html(
                    'not set — <a class="addlink" href="{}?authorization={}&amp;'
                    'kind={}">Add {}</a>',
                    add_url,
                    obj.pk,
                    kind_key,
                    kind.label,
                )
            rows.append((kind.label, role, target))
        if not rows:
            return "This type uses no endpoints."
        items = format_html_join("", "<li><strong>{}</strong> ({}): {}</li>", rows)
        add_any = format_html(
            '<a href="{}?authorization={}">Add an endpoint</a>',
            reverse("admin:authorizations_endpoint_add"),
            obj.pk,
        )
        return format_html('<ul class="endpoint-list">{}</ul>{}', items, add_any)

    def render_change_form(self, request, context, *args, **kwargs):
        context["authorization_types"] = type_registry()
        obj = kwargs.get("obj")
        if obj is not None:
            # Test authorization and its recent runs (flow_views).
            context["can_test"] = self.has_change_permission(request, obj)
            context["recent_runs"] = flow_views.recent_runs(obj)
        return super().render_change_form(request, context, *args, **kwargs)

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(functools.partial(view, model_admin=self))

        # Before the stock URLs, whose "<object_id>/" would swallow them.
        return [
            path(
                "<path:object_id>/test/",
                wrap(flow_views.test_authorization),
                name="authorizations_authorization_test",
            ),
            path(
                "test-runs/<int:run_id>/",
                wrap(flow_views.test_run),
                name="authorizations_testrun",
            ),
            *super().get_urls(),
        ]

    @method_decorator(sensitive_post_parameters("client_secret"))
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        authorization_clear_unused_settings(authorization=obj)
        super().save_model(request, obj, form, change)
        if not change or "type" in form.changed_data:
            # A new OAuth authorization starts from the standard token request
            # (RFC 6749 §4.1.3 / RFC 5849 §2.3) rather than a blank page.
            authorization_add_starting_endpoints(authorization=obj)


class HeaderInline(ConsoleAdminMixin, admin.TabularInline):
    model = Header
    form = HeaderForm
    formset = HeaderFormSet
    fields = ["name", "value", "position"]
    ordering = ["position", "id"]
    extra = 0
    # The add link says "Add Header" (DESIGN.md §1) rather than Django's "Add
    # another Header": a template reading add_text, as no option sets it.
    template = "admin/edit_inline/tabular_named_add.html"
    add_text = "Add Header"


@admin.register(Endpoint)
class EndpointAdmin(AutocompleteFilterMediaMixin, ConsoleAdminMixin, admin.ModelAdmin):
    form = EndpointForm
    inlines = [HeaderInline]
    list_display = ["__str__", "method", "url", "body_format"]
    list_filter = [
        "kind",
        "authorization__type",
        ("authorization__app", AutocompleteRelatedFilter),
    ]
    list_select_related = ["authorization__app"]
    autocomplete_fields = ["authorization"]
    search_fields = ["url", "authorization__name", "authorization__app__name"]
    fieldsets = [
        (None, {"fields": ["authorization", "kind"]}),
        ("Request", {"fields": ["method", "url", "body_format", "request_template"]}),
        ("Response", {"fields": ["response_template"]}),
    ]

    class Media:
        css = {"all": ["admin-console/endpoint-form.css"]}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "authorization":
            # The chosen option's label names its app.
            kwargs["queryset"] = Authorization.objects.select_related("app")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_urls(self):
        # Before the stock URLs, whose "<object_id>/" would swallow "preview/".
        preview_view = self.admin_site.admin_view(
            functools.partial(views.endpoint_preview, model_admin=self)
        )
        return [
            path(
                "preview/",
                preview_view,
                name=f"{self.opts.app_label}_{self.opts.model_name}_preview",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, **kwargs):
        obj = kwargs.get("obj")
        context.update(self.preview_context(request, obj))
        return super().render_change_form(request, context, add, change, **kwargs)

    def preview_context(self, request, obj) -> dict:
        """Return what the Preview panel needs: its URL and sample input."""
        if obj is not None:
            authorization = obj.authorization
        else:
            key = request.GET.get("authorization", "")
            authorization = (
                Authorization.objects.filter(pk=key).first() if key.isdigit() else None
            )
        preview_url = reverse("admin:authorizations_endpoint_preview")
        if authorization is not None:
            # The app's and authorization's settings then reach the templates.
            preview_url += f"?authorization={authorization.pk}"
        flow = authorization.spec.flow if authorization is not None else None
        return {
            "preview_url": preview_url,
            # Every kind's samples: on the add page the kind is still a choice.
            "preview_samples": samples.samples_by_kind(flow=flow),
            "preview_kind": obj.kind if obj is not None else "",
        }

    def get_changeform_initial_data(self, request):
        # "Add Revoke Endpoint" (the authorization's endpoint list) names the
        # kind: the new endpoint starts from the standard request (RFC 7009).
        initial = super().get_changeform_initial_data(request)
        key = request.GET.get("authorization", "")
        authorization = (
            Authorization.objects.filter(pk=key).first() if key.isdigit() else None
        )
        flow = authorization.spec.flow if authorization is not None else None
        starting = endpoint_defaults(request.GET.get("kind", ""), flow)
        return {**starting, **initial}

    def get_readonly_fields(self, request, obj=None):
        # Moving an endpoint to another authorization would bypass its kind check.
        return ["authorization"] if obj is not None else []

    def _back_to_authorization(self, request, obj, response):
        # After a plain "Save", return to the authorization the endpoint belongs
        # to, where the endpoints are listed.
        keep_editing = {"_continue", "_addanother", "_saveasnew", "_popup"}
        if keep_editing.intersection(request.POST) or not isinstance(
            response, HttpResponseRedirect
        ):
            return response
        if not request.user.has_perm("authorizations.view_authorization"):
            return response
        return HttpResponseRedirect(obj.authorization.get_absolute_url())

    def warn_about_templates(self, request, obj) -> None:
        """Show, after a save, the variables the endpoint's kind never provides.

        They do not block saving (a value printing empty can be intended); the
        syntax errors that do are refused by the forms.
        """
        headers = obj.header_dicts()
        _, warnings = check_endpoint_templates(
            kind=obj.kind,
            url=obj.url,
            request_template=obj.request_template,
            response_template=obj.response_template,
            headers=headers,
        )
        for warning in warnings:
            if warning.field in FIELD_LABELS:
                label = FIELD_LABELS[warning.field]
                where = label[0].upper() + label[1:]
            else:  # headers.N.value
                where = f"Header {headers[int(warning.field.split('.')[1])]['name']}"
            if warning.line is not None:
                where += f", line {warning.line}, column {warning.column}"
            messages.warning(request, f"{where}: {warning.message}")

    def response_add(self, request, obj, post_url_continue=None):
        response = super().response_add(request, obj, post_url_continue)
        self.warn_about_templates(request, obj)
        return self._back_to_authorization(request, obj, response)

    def response_change(self, request, obj):
        response = super().response_change(request, obj)
        self.warn_about_templates(request, obj)
        return self._back_to_authorization(request, obj, response)
