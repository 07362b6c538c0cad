from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import ExpressionWrapper, Prefetch, Q
from django.urls import reverse

import twig
from authorizations import types
from authorizations.wording import with_article
from console.encryption import EncryptedJSONField, EncryptedTextField
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


class GrantType(models.TextChoices):
    """How an OAuth 2.0 authorization obtains its token (RFC 6749 §4.1, §4.4)."""

    AUTHORIZATION_CODE = "authorization_code", "Authorization code"
    CLIENT_CREDENTIALS = "client_credentials", "Client credentials"


class ClientAuth(models.TextChoices):
    """How the client proves itself to the token endpoint (RFC 6749 §2.3.1)."""

    CLIENT_SECRET_BASIC = "client_secret_basic", "HTTP Basic (client_secret_basic)"
    CLIENT_SECRET_POST = "client_secret_post", "In the body (client_secret_post)"
    NONE = "none", "None: the templates send what the provider expects"


class SignatureMethod(models.TextChoices):
    """How OAuth 1.0a requests are signed (RFC 5849 §3.4)."""

    HMAC_SHA1 = "HMAC-SHA1", "HMAC-SHA1"
    HMAC_SHA256 = "HMAC-SHA256", "HMAC-SHA256"
    RSA_SHA1 = "RSA-SHA1", "RSA-SHA1 (the consumer secret holds the private key)"
    PLAINTEXT = "PLAINTEXT", "PLAINTEXT (https only)"


# What the console itself puts on the authorize redirect: an extra parameter
# may not replace one of these (RFC 6749 §4.1.1, RFC 7636 §4.3).
RESERVED_AUTHORIZE_PARAMS = frozenset(
    {
        "client_id",
        "redirect_uri",
        "response_type",
        "scope",
        "state",
        "code_challenge",
        "code_challenge_method",
    }
)
MAX_AUTHORIZE_PARAMS = 20


# The HTTP status codes a provider may use to say a token expired: 401 by
# default (RFC 6750 §3.1 invalid_token); some answer 403 or 400.
MAX_EXPIRED_STATUSES = 10


def parse_status_codes(value: str) -> list[int]:
    """Read "401, 403" into [401, 403]; raise ``ValidationError`` on anything else."""
    codes = []
    for part in value.replace(",", " ").split():
        if not part.isdigit() or not 400 <= int(part) <= 599:
            raise ValidationError(
                f'"{part[:20]}" is not an HTTP error status code: give codes '
                "from 400 to 599, separated by commas, such as 401, 403."
            )
        if int(part) not in codes:
            codes.append(int(part))
    if len(codes) > MAX_EXPIRED_STATUSES:
        raise ValidationError(
            f"At most {MAX_EXPIRED_STATUSES} status codes; there are {len(codes)}."
        )
    return codes


def validate_status_codes(value: str) -> None:
    parse_status_codes(value)


def validate_twig_syntax(value: str) -> None:
    """A template must compile: its syntax error is said with line and column."""
    try:
        twig.compile_template(value)
    except twig.TemplateError as error:
        raise ValidationError(str(error)) from None


def validate_authorize_params(value) -> None:
    """Extra authorize parameters: an object of short texts, none the console's own."""
    if not isinstance(value, dict):
        raise ValidationError(
            'Extra authorize parameters must be an object such as {"prompt": '
            '"consent"}.'
        )
    if len(value) > MAX_AUTHORIZE_PARAMS:
        raise ValidationError(
            f"At most {MAX_AUTHORIZE_PARAMS} extra authorize parameters; "
            f"there are {len(value)}."
        )
    for name, text in value.items():
        if name in RESERVED_AUTHORIZE_PARAMS:
            raise ValidationError(
                f'"{name}" is set by the console itself and cannot be an extra '
                "authorize parameter."
            )
        if not name.strip():
            raise ValidationError("An extra authorize parameter has no name.")
        if not isinstance(text, str):
            raise ValidationError(
                f'The extra authorize parameter "{name}" must be text, such as '
                '"consent".'
            )
        for part in (name, text):
            validate_no_nul_character(part)
            if len(part) > 1000:
                raise ValidationError(
                    f'The extra authorize parameter "{name[:40]}" is over 1000 '
                    "characters."
                )


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
    grant_type = models.CharField(
        max_length=32,
        choices=GrantType.choices,
        default=GrantType.AUTHORIZATION_CODE,
        error_messages={"invalid_choice": '"%(value)s" is not an OAuth 2.0 grant.'},
    )
    client_auth = models.CharField(
        "client authentication",
        max_length=32,
        choices=ClientAuth.choices,
        default=ClientAuth.NONE,
        error_messages={
            "invalid_choice": '"%(value)s" is not a client authentication method.'
        },
    )
    scope_separator = models.CharField(
        max_length=8,
        default=" ",
        blank=True,
        validators=[validate_no_nul_character],
    )
    authorize_params = models.JSONField(
        "extra authorize parameters",
        default=dict,
        blank=True,
        validators=[validate_authorize_params],
    )
    issuer = HttpURLField("issuer", max_length=500, blank=True)
    signature_method = models.CharField(
        max_length=16,
        choices=SignatureMethod.choices,
        default=SignatureMethod.HMAC_SHA1,
        error_messages={
            "invalid_choice": '"%(value)s" is not an OAuth 1.0 signature method.'
        },
    )
    # How Verify knows the stored access token expired, so it refreshes once
    # and tries again: the user info endpoint answered one of these codes, or
    # the predicate (a Twig template over ``response``) printed something true.
    expired_statuses = models.CharField(
        "expired status codes",
        max_length=100,
        default="401",
        blank=True,
        validators=[validate_status_codes],
    )
    expired_when = models.TextField(
        "expired when",
        blank=True,
        validators=[
            validate_no_nul_character,
            MaxLengthValidator(4000),
            validate_twig_syntax,
        ],
    )
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
        # A setting another grant uses is not missing: the client credentials
        # grant has no authorization URL to fill in.
        used = spec.used_settings(grant=self.grant_type)
        in_use = {setting.name for setting in used}
        missing = [
            with_article(s.label[0].lower() + s.label[1:])
            for s in used
            if s.is_missing(self, in_use=in_use)
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

    def has_setting(self, name: str) -> bool:
        """Whether the setting ``name`` is filled in.

        A list judging completeness may defer a secret setting and annotate
        ``<name>_is_set`` instead (``secrets_as_presence``): it then decrypts
        nothing.
        """
        known = self.__dict__.get(f"{name}_is_set")
        if known is not None:
            return bool(known)
        return bool(getattr(self, name))

    def requested_scope(self) -> str:
        """Return the scopes as the provider expects them: joined by the separator.

        They are typed one per word, whatever the provider's separator.
        """
        return (self.scope_separator or " ").join(self.scopes.split())

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

        The shape rendering, the checks and the config format take.  Sorted
        here, so headers fetched without an ORDER BY (the flows') keep it.
        """
        headers = getattr(self, "_fetched_headers", None)
        if headers is None:
            headers = self.headers.all()
        headers = sorted(headers, key=lambda h: (h.position, h.pk))
        return [{"name": h.name, "value": h.value} for h in headers]

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


def secrets_as_presence(authorizations):
    """Defer the secret settings of ``authorizations``, annotating whether
    each is set: what completeness needs, without decrypting a secret a
    row."""
    names = sorted(types.registry().secret_settings)
    return authorizations.defer(*names).annotate(
        **{
            f"{name}_is_set": ExpressionWrapper(
                ~Q(**{name: ""}), output_field=models.BooleanField()
            )
            for name in names
        }
    )


def prefetch_endpoints(lookup: str = "endpoints") -> Prefetch:
    """Prefetch endpoints in kind order, with what lists and completeness read.

    Within one authorization that is their default order, which would also
    join the authorization and its app only to sort by them.
    """
    endpoints = Endpoint.objects.order_by("kind").only(
        "authorization_id", "kind", "method", "url"
    )
    return Prefetch(lookup, queryset=endpoints)


class TestRun(models.Model):
    """One press of Test authorization: the flow's steps and how it ended.

    The steps are stored masked (``authorizations.flows.steps``).  While an
    OAuth flow waits for the provider's callback, the run holds what the
    callback must match: digests of its ``state`` and of the staff member's
    session nonce, and, encrypted, what the flow needs to finish (the PKCE
    verifier, the OAuth1 request token secret); ``pending`` is wiped when the
    run ends.
    """

    __test__ = False  # a model, not a pytest test class

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        WAITING = "waiting", "Waiting for the provider"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    authorization = models.ForeignKey(
        Authorization, on_delete=models.CASCADE, related_name="test_runs"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.RUNNING
    )
    steps = models.JSONField(default=list, blank=True)
    # How it ended, in words, masked: "Connected as …" or what went wrong.
    message = models.TextField(blank=True)
    user_identity = models.CharField(max_length=500, blank=True)
    granted_scopes = models.CharField(max_length=1000, blank=True)
    # The connected account the run created or updated: a plain id, since
    # connections builds on authorizations and not the other way round.
    connected_account_pk = models.PositiveBigIntegerField(null=True, blank=True)
    # Reconnect: the account this run must update in place (a plain id, as
    # above); None for a test, which creates or updates by identity.
    reconnect_account_pk = models.PositiveBigIntegerField(null=True, blank=True)
    state_digest = models.CharField(max_length=64, blank=True, db_index=True)
    session_digest = models.CharField(max_length=64, blank=True)
    pending = EncryptedJSONField(default=dict, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(
                fields=["authorization", "-started_at"],
                name="testrun_by_authorization",
            )
        ]

    def __str__(self):
        return f"{self.authorization} · test run {self.pk}"

    def get_absolute_url(self):
        return reverse("admin:authorizations_testrun", args=[self.pk])


def endpoints_by_kind(authorization: Authorization) -> dict[str, Endpoint]:
    """Return an authorization's endpoints by kind, each with its headers.

    What a flow reads on every run, in two queries without ORDER BY: Django's
    prefetching and ordering cost more here than the SQL itself.
    """
    endpoints = {
        endpoint.kind: endpoint
        for endpoint in Endpoint.objects.filter(authorization=authorization).order_by()
    }
    fetched: dict[int, list[Header]] = {
        endpoint.pk: [] for endpoint in endpoints.values()
    }
    headers = Header.objects.filter(endpoint__authorization=authorization).order_by()
    for header in headers:
        fetched[header.endpoint_id].append(header)
    for endpoint in endpoints.values():
        endpoint.authorization = authorization  # the caller's, not a query
        endpoint._fetched_headers = fetched[endpoint.pk]  # header_dicts() reads them
    return endpoints
