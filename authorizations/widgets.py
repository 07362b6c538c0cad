"""Form widgets for secrets: typed in, never shown back."""

from django import forms
from django.utils.html import format_html

from authorizations.masking import mask_secret


class _Marker:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self):
        return self.name


# What the widget reads from a submission besides a newly typed value.
CLEAR = _Marker("CLEAR")
CONTRADICTION = _Marker("CONTRADICTION")


class WriteOnlySecretInput(forms.PasswordInput):
    """A password box with a masked summary of the stored secret and a clear box.

    The stored value is never written into the page: the summary shows at most
    its last four characters, as the admin shows passwords (auth's
    ReadOnlyPasswordHashWidget).
    """

    clear_label = "Remove the stored secret"

    def __init__(self, attrs=None):
        super().__init__(attrs={"autocomplete": "new-password", **(attrs or {})})
        self.render_value = False

    @staticmethod
    def clear_checkbox_name(name: str) -> str:
        return f"{name}-clear"

    def render(self, name, value, attrs=None, renderer=None):
        # `value` is the stored secret; only its masked form leaves this method.
        box = super().render(name, None, attrs, renderer)
        stored = mask_secret(value) if isinstance(value, str) else ""
        summary = format_html(
            '<span class="secret-summary">{}</span>',
            f"Stored: {stored}" if stored else "Not set",
        )
        if not stored:
            return format_html("{} {}", box, summary)
        checkbox_name = self.clear_checkbox_name(name)
        checkbox_id = f"{(attrs or {}).get('id', 'id_' + name)}-clear"
        clear = format_html(
            '<label class="secret-clear" for="{}"><input type="checkbox" name="{}" '
            'id="{}"> {}</label>',
            checkbox_id,
            checkbox_name,
            checkbox_id,
            self.clear_label,
        )
        return format_html("{} {} {}", box, summary, clear)

    def value_from_datadict(self, data, files, name):
        typed = super().value_from_datadict(data, files, name) or ""
        clear = self.clear_checkbox_name(name) in data
        if clear and typed:
            return CONTRADICTION
        if clear:
            return CLEAR
        return typed

    def value_omitted_from_data(self, data, files, name):
        return name not in data and self.clear_checkbox_name(name) not in data


class WriteOnlySecretField(forms.CharField):
    """A secret that is replaced only when typed, and removed only when asked.

    `clean()` returns None for "keep the stored value", "" for "remove it" and
    the typed text otherwise; the form maps None back to the stored value.
    """

    widget = WriteOnlySecretInput
    default_error_messages = {
        "contradiction": "Either type a new secret or tick “Remove the stored "
        "secret”, not both.",
    }

    def __init__(self, **kwargs):
        kwargs["required"] = False
        kwargs["strip"] = False
        kwargs.pop("max_length", None)
        super().__init__(**kwargs)

    def clean(self, value):
        if value is CONTRADICTION:
            raise forms.ValidationError(
                self.error_messages["contradiction"], code="contradiction"
            )
        if value is CLEAR:
            return ""
        if not value:
            return None
        return super().clean(value)

    def bound_data(self, data, initial):
        # Re-rendering after an error summarises what is stored, not what was typed.
        return initial

    def has_changed(self, initial, data):
        if data is CLEAR:
            return bool(initial)
        return data is CONTRADICTION or bool(data)
