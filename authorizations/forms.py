"""Admin forms: the type-dependent authorization form, endpoints and headers."""

import json

from django import forms
from django.contrib.admin.widgets import AdminTextareaWidget
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from authorizations import types
from authorizations.models import (
    Authorization,
    Endpoint,
    Header,
    parse_status_codes,
    validate_authorize_params,
)
from authorizations.rendering.checks import (
    TEMPLATE_FIELDS,
    TemplateProblem,
    compile_problem,
)
from authorizations.widgets import WriteOnlySecretField
from authorizations.wording import with_article
from console.validators import validate_endpoint_headers

# A form field built from a model field with choices says "Select a valid
# choice"; the model's own message names the value and what it should be.
_CHOICE_FIELDS = {
    Authorization: ("type", "grant_type", "client_auth", "signature_method"),
    Endpoint: ("kind", "method", "body_format"),
}


def _use_model_choice_messages(form: forms.ModelForm) -> None:
    model = form._meta.model
    for name in _CHOICE_FIELDS.get(model, ()):
        if name in form.fields:
            message = model._meta.get_field(name).error_messages["invalid_choice"]
            form.fields[name].error_messages["invalid_choice"] = message


def template_error(problem: TemplateProblem) -> ValidationError:
    """Word a template's syntax error for its form field: where, what, the line.

    The offending line and its caret go in a <pre> so their spacing survives;
    format_html escapes them, as templates may hold markup.
    """
    excerpt = problem.excerpt()
    if not excerpt:
        return ValidationError(problem.located_message(), code="template_syntax")
    return ValidationError(
        format_html(
            '{}<pre class="template-error-excerpt">{}</pre>',
            problem.located_message(),
            excerpt,
        ),
        code="template_syntax",
    )


def type_registry() -> dict:
    """Describe every type for the authorization form's script, as plain data.

    ``grants`` names the grants a setting serves (empty: all); the script
    reads the chosen one from the ``grantSetting`` field.
    """
    return {
        "settingNames": list(types.ALL_SETTING_NAMES),
        "grantSetting": types.GRANT_SETTING,
        "types": {
            spec.key: {
                "label": spec.label,
                "summary": type_summary(spec),
                "usesCallback": spec.uses_callback,
                "settings": {
                    setting.name: {
                        "label": setting.label,
                        "required": setting.required,
                        "helpText": setting.help_text,
                        "grants": list(setting.grants),
                    }
                    for setting in spec.app_settings
                },
                "endpointKinds": list(spec.endpoint_kinds),
            }
            for spec in types.registry().types.values()
        },
    }


def type_summary(spec: types.AuthorizationType) -> str:
    """Say in one sentence what the end user supplies and which endpoints count."""
    supplies = (
        ", ".join(f.label for f in spec.credential_fields)
        if spec.credential_fields
        else "consent at the provider"
    )
    required = [
        f"{kind.article} {kind.label}"
        for kind in (types.ENDPOINT_KINDS[key] for key in spec.required_endpoints)
    ]
    needs = ("needs " + " and ".join(required)) if required else "needs no endpoint"
    return f"The end user supplies: {supplies}. It {needs}."


class ScopeSeparatorField(forms.CharField):
    """The text that joins scopes: kept as typed, a space included.

    A form field strips its value by default, which would turn the usual
    separator, a space, into nothing; nothing typed means a space.
    """

    def __init__(self, **kwargs):
        kwargs.update(strip=False, required=False, empty_value=" ", initial=" ")
        super().__init__(**kwargs)


class AuthorizeParamsField(forms.JSONField):
    """Extra authorize parameters, typed as a JSON object; empty means none.

    A JSON syntax error is told with its line and column, rather than the
    stock "Enter a valid JSON."; what the object may hold is
    ``validate_authorize_params``.
    """

    widget = AdminTextareaWidget

    def __init__(self, **kwargs):
        kwargs.update(required=False, initial=dict)
        super().__init__(**kwargs)

    def to_python(self, value):
        if self.disabled:
            return value
        if isinstance(value, str) and not value.strip():
            return {}
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value, cls=self.decoder)
        except json.JSONDecodeError as error:
            raise ValidationError(
                "This is not valid JSON (line %(line)s, column %(column)s: "
                "%(problem)s). Write an object such as "
                '{"prompt": "consent"}, or leave the box empty.',
                code="invalid",
                params={
                    "line": error.lineno,
                    "column": error.colno,
                    "problem": error.msg,
                },
            ) from None

    def validate(self, value):
        # Also for an empty value, which skips the validators: "null" is not
        # an object either.
        super().validate(value)
        validate_authorize_params(value)

    def prepare_value(self, value):
        # An empty object shows as an empty box, so its placeholder shows.
        if value == {}:
            return ""
        return super().prepare_value(value)


def _submitted_type(form: forms.ModelForm) -> types.AuthorizationType | None:
    if form.is_bound:
        key = form.data.get(form.add_prefix("type"))
    else:
        key = form.initial.get("type") or form.instance.type
    return types.registry().types.get(key or "")


class AuthorizationForm(forms.ModelForm):
    """Edit an authorization; only the settings its type uses count.

    Every setting field is rendered so the form works without JavaScript; the
    script hides those the chosen type does not use, keeping what was typed.
    Required settings are not enforced here: the completeness message names
    what is missing, so a half-configured authorization can still be saved.
    """

    client_secret = WriteOnlySecretField(label="Client secret")
    scope_separator = ScopeSeparatorField(
        label="Scope separator",
        max_length=8,
        widget=forms.TextInput(attrs={"size": 4}),
    )
    authorize_params = AuthorizeParamsField(
        label="Extra authorize parameters",
        widget=AdminTextareaWidget(attrs={"rows": 3}),
    )

    class Meta:
        model = Authorization
        fields = ["app", "name", "type", *types.ALL_SETTING_NAMES]
        widgets = {
            "scopes": forms.TextInput(attrs={"class": "vTextField"}),
            "expired_statuses": forms.TextInput(attrs={"size": 20}),
            "expired_when": AdminTextareaWidget(
                attrs={"rows": 3, "class": "vLargeTextField"}
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _use_model_choice_messages(self)
        # Every setting the registry calls secret is typed in and never shown.
        for name in types.registry().secret_settings:
            field = self.fields.get(name)
            if field is not None and not isinstance(field, WriteOnlySecretField):
                self.fields[name] = WriteOnlySecretField(label=field.label)
        # A view-only page builds this form without the fields it shows read-only.
        if "name" in self.fields:
            self.fields["name"].required = False
            self.fields["name"].help_text = (
                "Shown to users choosing how to connect. Left blank, it is the "
                "type's name (OAuth2.0, API Key, …)."
            )
        spec = _submitted_type(self)
        if spec is None:
            return
        if "type" in self.fields:
            self.fields["type"].help_text = type_summary(spec)
        for name in spec.setting_names:
            if name in self.fields:
                setting = spec.setting(name)
                self.fields[name].label = setting.label
                if setting.help_text:
                    self.fields[name].help_text = setting.help_text
                if setting.example:
                    self.fields[name].widget.attrs["placeholder"] = setting.example

    def clean_expired_statuses(self):
        # Written back as the console reads it: "401,403 " is "401, 403".
        value = self.cleaned_data["expired_statuses"]
        return ", ".join(str(code) for code in parse_status_codes(value))

    def clean_expired_when(self):
        # A syntax error said as the endpoint templates' are: where, and the
        # line with a caret.
        value = self.cleaned_data["expired_when"]
        if value.strip():
            problem = compile_problem(value, field="expired_when")
            if problem is not None:
                raise template_error(problem)
        return value

    def clean(self):
        cleaned_data = super().clean()
        for name in types.registry().secret_settings:
            # None means the box was left blank: keep what is stored.
            if name in cleaned_data and cleaned_data[name] is None:
                cleaned_data[name] = getattr(self.instance, name)
        spec = types.registry().types.get(cleaned_data.get("type") or "")
        if spec is not None and not cleaned_data.get("name"):
            cleaned_data["name"] = spec.label
        if spec is not None:
            self._drop_unused_settings(spec)
            self._check_endpoints_fit(spec)
        app, name = cleaned_data.get("app"), cleaned_data.get("name")
        if app is not None and name:
            taken = Authorization.objects.filter(app=app, name=name)
            if self.instance.pk:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                # On the field rather than the form, and it also keeps the model's
                # two-field constraint from repeating the message at the top.
                self.add_error(
                    "name", f'{app} already has an authorization named "{name}".'
                )
        return cleaned_data

    def _drop_unused_settings(self, spec: types.AuthorizationType) -> None:
        # A hidden field's error could not be seen or fixed, and its value is
        # reset on save anyway (authorization_clear_unused_settings): reset
        # here, so the model's own checks judge the default, not what is hidden.
        # The settings of the type's other grants (the authorization URL with
        # client credentials) are hidden too.
        if types.GRANT_SETTING in self._errors:
            grant = None  # no grant chosen yet: every setting counts
        else:
            grant = self.cleaned_data.get(types.GRANT_SETTING)
        used = {setting.name for setting in spec.used_settings(grant=grant)}
        for name in types.ALL_SETTING_NAMES:
            if name not in used and name in self.fields:
                self._errors.pop(name, None)
                self.cleaned_data[name] = self.instance._meta.get_field(
                    name
                ).get_default()

    def _check_endpoints_fit(self, spec: types.AuthorizationType) -> None:
        if not self.instance.pk or "type" not in self.changed_data:
            return
        unused = [
            f"{kind.article} {kind.label}"
            for kind in (
                types.ENDPOINT_KINDS[endpoint.kind]
                for endpoint in self.instance.endpoints.all()
            )
            if kind.key not in spec.endpoint_kinds
        ]
        if unused:
            self.add_error(
                "type",
                f"{with_article(spec.label, capital=True)} authorization does not "
                f"use {' or '.join(unused)}: delete "
                f"{'it' if len(unused) == 1 else 'them'} first, or keep the type.",
            )


class EndpointForm(forms.ModelForm):
    """Edit an endpoint; its kind must be one its authorization's type uses."""

    class Meta:
        model = Endpoint
        fields = [
            "authorization",
            "kind",
            "method",
            "url",
            "body_format",
            "request_template",
            "response_template",
        ]
        # The template textareas get a code editor (static/console/editor.bundle.js).
        widgets = {
            "url": forms.TextInput(attrs={"class": "vURLField"}),
            "request_template": AdminTextareaWidget(
                attrs={"data-console-editor": "twig-json", "rows": 8}
            ),
            "response_template": AdminTextareaWidget(
                attrs={"data-console-editor": "twig-json", "rows": 8}
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _use_model_choice_messages(self)
        # A view-only page builds this form without the fields it shows read-only.
        if "url" in self.fields:
            self.fields["url"].required = True
            self.fields["url"].error_messages["required"] = (
                "Enter the URL this endpoint calls (http:// or https://)."
            )
        authorization = self._authorization()
        if authorization is not None and "kind" in self.fields:
            spec = authorization.spec
            self.fields["kind"].choices = [("", "---------")] + [
                (key, types.ENDPOINT_KINDS[key].label) for key in spec.endpoint_kinds
            ]
            self.fields["kind"].error_messages["invalid_choice"] = (
                f"{with_article(spec.label, capital=True)} authorization does not "
                'use "%(value)s" endpoints; '
                "choose one of: "
                + ", ".join(
                    types.ENDPOINT_KINDS[key].label for key in spec.endpoint_kinds
                )
                + "."
            )

    def _authorization(self) -> Authorization | None:
        if self.instance.authorization_id:
            return self.instance.authorization
        if "authorization" not in self.fields:
            return None
        key = (
            self.data.get(self.add_prefix("authorization"))
            if self.is_bound
            else self.initial.get("authorization")
        )
        try:
            return Authorization.objects.get(pk=key) if key else None
        except (Authorization.DoesNotExist, ValueError, TypeError):
            return None

    def clean(self):
        cleaned_data = super().clean()
        authorization = cleaned_data.get("authorization") or (
            self.instance.authorization if self.instance.authorization_id else None
        )
        kind = cleaned_data.get("kind")
        if authorization is not None and kind:
            taken = Endpoint.objects.filter(authorization=authorization, kind=kind)
            if self.instance.pk:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error(
                    "kind",
                    f"This authorization already has a "
                    f"{types.ENDPOINT_KINDS[kind].label}; edit that one instead.",
                )
        self._check_templates()
        return cleaned_data

    def _check_templates(self) -> None:
        # A template that does not compile could never be sent: refuse it here,
        # at its field. Variables the kind never provides are only warnings,
        # given after the save (EndpointAdmin) and in the preview.
        for name in TEMPLATE_FIELDS:
            source = self.cleaned_data.get(name)
            if name in self._errors or not source or not source.strip():
                continue
            problem = compile_problem(source, field=name)
            if problem is not None:
                self.add_error(name, template_error(problem))


class HeaderForm(forms.ModelForm):
    class Meta:
        model = Header
        fields = ["name", "value", "position"]
        # One line: a header value cannot hold a line break.
        widgets = {"value": forms.TextInput(attrs={"class": "vTextField"})}

    def clean_value(self):
        value = self.cleaned_data["value"]
        problem = compile_problem(value, field="value")
        if problem is not None:
            raise template_error(problem)
        return value


class HeaderFormSet(forms.BaseInlineFormSet):
    """An endpoint's headers: the rules over all of them (how many, no name
    twice) are ``validate_endpoint_headers``, as for the importer."""

    def clean(self):
        super().clean()
        kept = [
            form
            for form in self.forms
            # An untouched "Add another" row and a row marked for deletion
            # are not sent.
            if (form.has_changed() or form.instance.pk)
            and not (self.can_delete and self._should_delete_form(form))
        ]
        names = [
            form.cleaned_data.get("name")
            if hasattr(form, "cleaned_data")
            else form.data.get(form.add_prefix("name"))
            for form in kept
        ]
        try:
            validate_endpoint_headers([name or "" for name in names])
        except ValidationError as error:
            whole_list = []
            for problem in error.error_list:
                index = problem.params.get("index")
                if index is None:
                    whole_list.append(problem)
                elif "name" not in kept[index].errors:
                    kept[index].add_error("name", problem)
            if whole_list:
                raise ValidationError(whole_list) from None
