from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Prefetch
from django.urls import reverse

from authorizations import types
from authorizations.wording import with_article
from console.encryption import EncryptedTextField
from console.fields import HttpURLField
from console.validators import (
    HTTP_METHODS,
    MAX_SECRET_LENGTH,
    validate_header_name,
    validate_header_value,
    validate_no_line_break,
    validate_no_nul_character,
    validate_url_template,
)


def _join_words(parts: list[str]) -> str:
    if len(parts) < 2:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


class Authorization(models.Model):
    """One way to authenticate against an app, of one of the nine types."""

    app = models.ForeignKey(
        "apps.App", on_delete=models.CASCADE, related_name="authorizations"
    )
    name = models.CharField(
        max_length=100,
        help_text="Shown to users choosing how to connect.",
        validators=[validate_no_nul_character],
    )
    type = models.CharField(
        max_length=32,
        choices=types.type_choices,
        default=types.DEFAULT_TYPE,
        error_messages={"invalid_choice": '"%(value)s" is not an authorization type.'},
    )
    client_id = models.CharField(
        "client ID",
        max_length=255,
        blank=True,
        validators=[validate_no_nul_character],
    )
    client_secret = EncryptedTextField(
        blank=True,
        validators=[validate_no_nul_character, MaxLengthValidator(MAX_SECRET_LENGTH)],
    )
    authorize_url = HttpURLField("authorization URL", max_length=500, blank=True)
    scopes = models.CharField(
        max_length=1000, blank=True, validators=[validate_no_nul_character]
    )
    use_pkce = models.BooleanField("use PKCE (S256)", default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["app__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["app", "name"],
                name="unique_authorization_name_per_app",
                violation_error_message="This app already has an authorization "
                "with this name.",
            )
        ]

    def __str__(self):
        return f"{self.app} · {self.name}"

    def get_absolute_url(self):
        return reverse("admin:authorizations_authorization_change", args=[self.pk])

    @property
    def spec(self) -> types.AuthorizationType:
        return types.get_type(self.type)

    def missing_parts(self) -> list[str]:
        """Say, in words, what this authorization still needs to work."""
        spec = self.spec
        missing = [
            with_article(s.label[0].lower() + s.label[1:])
            for s in spec.app_settings
            if s.required and not getattr(self, s.name)
        ]
        endpoints = {endpoint.kind: endpoint for endpoint in self.endpoints.all()}
        for kind_key in spec.required_endpoints:
            kind = types.ENDPOINT_KINDS[kind_key]
            endpoint = endpoints.get(kind_key)
            if endpoint is None:
                missing.append(f"{kind.article} {kind.label}")
            elif not endpoint.url.strip():
                missing.append(f"a URL for its {kind.label}")
        return missing

    @property
    def completeness(self) -> str:
        missing = self.missing_parts()
        return "Complete" if not missing else "Needs " + _join_words(missing)

    @property
    def is_complete(self) -> bool:
        return not self.missing_parts()


class Endpoint(models.Model):
    """An outgoing HTTP call the platform makes, described by templates."""

    class BodyFormat(models.TextChoices):
        JSON = "json", "JSON"
        FORM = "form", "Form (x-www-form-urlencoded)"
        NONE = "none", "None"

    authorization = models.ForeignKey(
        Authorization, on_delete=models.CASCADE, related_name="endpoints"
    )
    kind = models.CharField(
        max_length=32,
        choices=types.endpoint_kind_choices,
        error_messages={"invalid_choice": '"%(value)s" is not an endpoint kind.'},
    )
    method = models.CharField(
        max_length=10,
        choices=[(m, m) for m in HTTP_METHODS],
        default="GET",
        error_messages={"invalid_choice": '"%(value)s" is not an HTTP method.'},
    )
    url = models.TextField(
        "URL",
        blank=True,
        validators=[validate_no_nul_character, validate_url_template],
        help_text="A template.",
    )
    # Their size is bounded by the template engine's source limit (64 KiB),
    # checked with their syntax.
    request_template = models.TextField(
        blank=True,
        help_text="A template producing a JSON object; empty sends no body.",
        validators=[validate_no_nul_character],
    )
    response_template = models.TextField(
        blank=True, validators=[validate_no_nul_character]
    )
    body_format = models.CharField(
        max_length=8,
        choices=BodyFormat.choices,
        default=BodyFormat.JSON,
        error_messages={"invalid_choice": '"%(value)s" is not a body format.'},
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["authorization", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["authorization", "kind"],
                name="unique_endpoint_kind_per_authorization",
                violation_error_message="This authorization already has an "
                "endpoint of this kind.",
            )
        ]

    def __str__(self):
        return f"{self.authorization} · {self.get_kind_display()}"

    def get_absolute_url(self):
        return reverse("admin:authorizations_endpoint_change", args=[self.pk])

    def header_dicts(self) -> list[dict[str, str]]:
        """Return the headers as ``{"name", "value"}`` mappings, in their order.

        The shape rendering, the checks and the config format take.
        """
        return [{"name": h.name, "value": h.value} for h in self.headers.all()]

    def clean(self):
        if not self.authorization_id or not self.kind:
            return
        spec = self.authorization.spec
        if self.kind in types.ENDPOINT_KINDS and self.kind not in spec.endpoint_kinds:
            kind = types.ENDPOINT_KINDS[self.kind]
            raise ValidationError(
                {
                    "kind": f"This {spec.label} authorization does not use "
                    f"{kind.article} {kind.label}."
                }
            )


class Header(models.Model):
    """A header added to an endpoint's request; the value is a template."""

    endpoint = models.ForeignKey(
        Endpoint, on_delete=models.CASCADE, related_name="headers"
    )
    name = models.CharField(max_length=100, validators=[validate_header_name])
    # validate_no_line_break also refuses a NUL, in a header's words.
    value = models.TextField(validators=[validate_no_line_break, validate_header_value])
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.name


def prefetch_endpoints(lookup: str = "endpoints") -> Prefetch:
    """Prefetch endpoints in kind order, with what lists and completeness read.

    Within one authorization that is their default order, which would also
    join the authorization and its app only to sort by them.
    """
    endpoints = Endpoint.objects.order_by("kind").only(
        "authorization_id", "kind", "method", "url"
    )
    return Prefetch(lookup, queryset=endpoints)
