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
        # Due for a refresh: its token expires within the refresh window.
        EXPIRING_SOON = "expiring_soon", "Expiring soon"
        # The provider refused the refresh (invalid_grant, invalid_client):
        # only the end user connecting again helps.
        NEEDS_RECONNECT = "needs_reconnect", "Needs reconnect"
        # A transient failure (5xx, 408, 429, a timeout): the old tokens are
        # kept and the refresh is tried again later.
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
    # Counts every write of the credentials: a writer that read version n
    # writes only where the row still says n (compare-and-swap).
    version = models.PositiveBigIntegerField(default=0)
    # Who may refresh the account now, and until when: a lease taken by
    # compare-and-swap, so one refresher at a time across processes and
    # machines, on SQLite too.
    refresh_lease_owner = models.CharField(max_length=64, blank=True)
    refresh_lease_until = models.DateTimeField(null=True, blank=True)
    # Transient failures in a row, and when to try again (backoff).
    failed_attempts = models.PositiveIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="account_due_refresh"),
        ]
        # Seeing a token whole is more than changing the account: its own right.
        permissions = [
            ("reveal_connectedaccount", "Can reveal the secrets of connected accounts")
        ]

    def __str__(self):
        return self.user_identity

    @property
    def app(self):
        return self.authorization.app


class AccountEvent(models.Model):
    """One thing that happened to a connected account, in its history.

    Who or what did it, when, and how it went, in words; never a secret.
    """

    class Kind(models.TextChoices):
        CONNECTED = "connected", "Connected"
        RECONNECTED = "reconnected", "Reconnected"
        REFRESHED = "refreshed", "Refreshed"
        REFRESH_FAILED = "refresh_failed", "Refresh failed"
        VERIFIED = "verified", "Verified"
        VERIFY_FAILED = "verify_failed", "Verification failed"
        REVOKED = "revoked", "Revoked"
        SECRET_CHANGED = "secret_changed", "Secret changed"
        REVEALED = "revealed", "Secret revealed"

    account = models.ForeignKey(
        ConnectedAccount, on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    ok = models.BooleanField(default=True)
    # A staff member, or none when a job did it (``via`` says which).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    via = models.CharField(max_length=64, blank=True)
    detail = models.TextField(blank=True, validators=[validate_no_nul_character])

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["account", "-at"], name="event_by_account")]

    def __str__(self):
        return f"{self.account} · {self.get_kind_display()}"


class AccountJob(models.Model):
    """An admin action on many accounts, worked through in the background.

    Its items say, per account, what happened; the job's page shows them
    and the progress while it runs.
    """

    class Action(models.TextChoices):
        REFRESH = "refresh", "Refresh now"
        VERIFY = "verify", "Verify"
        REVOKE = "revoke", "Revoke"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    action = models.CharField(max_length=16, choices=Action.choices)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    total = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_action_display()} · {self.total} accounts"


class AccountJobItem(models.Model):
    """One account of a job, and what the action did to it (empty: not yet)."""

    job = models.ForeignKey(AccountJob, on_delete=models.CASCADE, related_name="items")
    # Kept when the account is deleted meanwhile: the item then says "gone".
    account = models.ForeignKey(
        ConnectedAccount, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    account_label = models.CharField(max_length=500, blank=True)
    result = models.CharField(max_length=32, blank=True)
    message = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["job", "result"], name="job_item_by_result")]

    def __str__(self):
        return f"{self.job} · {self.account_label}"
