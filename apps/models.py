from django.core.validators import MaxLengthValidator
from django.db import models
from django.urls import reverse

from console.fields import HttpURLField
from console.validators import MAX_DESCRIPTION_LENGTH, validate_no_nul_character


class App(models.Model):
    """A third-party service that users connect their accounts to."""

    name = models.CharField(max_length=100, validators=[validate_no_nul_character])
    slug = models.SlugField(
        max_length=100,
        unique=True,
        validators=[validate_no_nul_character],
        help_text="Stable identifier used by config files and URLs.",
        error_messages={"unique": "Another app already uses this slug."},
    )
    # A TextField's max_length reaches only its form field: the validator makes
    # the model, and so the importer, hold the same limit.
    description = models.TextField(
        blank=True,
        max_length=MAX_DESCRIPTION_LENGTH,
        validators=[
            validate_no_nul_character,
            MaxLengthValidator(MAX_DESCRIPTION_LENGTH),
        ],
    )
    logo_url = HttpURLField("logo URL", blank=True)
    api_base_url = HttpURLField(
        "API base URL",
        blank=True,
        help_text="Available to templates as {{ app.api_base_url }}.",
    )
    docs_url = HttpURLField("documentation URL", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("admin:apps_app_change", args=[self.pk])
