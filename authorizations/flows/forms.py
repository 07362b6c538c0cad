"""The form an end user fills in to test a credential-form type."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxLengthValidator

from authorizations import http
from console.validators import MAX_SECRET_LENGTH, validate_no_nul_character


class CredentialForm(forms.Form):
    """One field a credential of the type: labels from the registry.

    Secrets are password inputs that are never shown back; an instance URL is
    checked by the outgoing client's rules before anything is sent.
    """

    def __init__(self, *args, spec, **kwargs):
        super().__init__(*args, **kwargs)
        self.spec = spec
        for credential in spec.credential_fields:
            widget = (
                forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})
                if credential.secret
                else forms.TextInput(
                    attrs={"placeholder": credential.example, "autocomplete": "off"}
                )
            )
            self.fields[credential.name] = forms.CharField(
                label=credential.label,
                widget=widget,
                # A password's spaces are part of it.
                strip=not credential.secret,
                validators=[
                    validate_no_nul_character,
                    MaxLengthValidator(MAX_SECRET_LENGTH),
                ],
            )

    def clean(self):
        data = super().clean()
        for credential in self.spec.credential_fields:
            value = data.get(credential.name)
            if not credential.is_url or not value:
                continue
            try:
                http.check_url(value)
                http.check_destination(value)
            except http.OutboundError as error:
                self.add_error(credential.name, error.message)
        return data


__all__ = ["CredentialForm"]
