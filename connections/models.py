"""Connected accounts: what a successful authorization leaves behind."""

from django.conf import settings
from django.db import models

from authorizations.models import Authorization
from console.encryption import EncryptedJSONField
from console.validators import validate_no_nul_character


class ConnectedAccount(models.Model):
    """An end user's account at an app, connected through an authorization."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        EXPIRED = "expired", "Expired"
        ERROR = "error", "Error"
        REVOKED = "revoked", "Revoked"

    authorization = models.ForeignKey(
        Authorization, on_delete=models.PROTECT, related_name="connected_accounts"
    )
    user_identity = models.CharField(
        max_length=500, validators=[validate_no_nul_character]
    )
    account_id = models.CharField(
        "account ID",
        max_length=255,
        blank=True,
        help_text="The provider's stable id.",
        validators=[validate_no_nul_character],
    )
    credentials = EncryptedJSONField(
        default=dict, blank=True, help_text="Tokens and form credentials, encrypted."
    )
    extras = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    last_verified_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # What the provider granted (RFC 6749 §5.1), which may differ from what
    # the authorization asked for.
    granted_scopes = models.CharField(
        max_length=1000, blank=True, validators=[validate_no_nul_character]
    )
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self):
        return self.user_identity

    @property
    def app(self):
        return self.authorization.app
