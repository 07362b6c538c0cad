from django.db import models
from django.urls import reverse

from authorizations.validators import HttpURLField


class App(models.Model):
    """A third-party service that users connect their accounts to."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(
        max_length=100,
        unique=True,
        help_text="Stable identifier used by config files and URLs.",
        error_messages={"unique": "Another app already uses this slug."},
    )
    description = models.TextField(blank=True)
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
