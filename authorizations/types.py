"""The nine authorization types, as data, and the registry that serves them.

A type says which credentials the end user supplies, which app-level settings
the integration developer fills in, which endpoints it needs and which flow
family runs it. Adding a type is one entry here (and at most one flow class).

The registry is also the one source of what templates receive and of which
of those values are secret: the vocabulary of ``requestBody``, ``query`` and
``authorization``, and the secret names that masking, rendering, the checks,
the admin and the config format read (``TypeRegistry``).  ``registry()``
returns the registry in force; ``override_registry`` swaps it, for a test.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum


class Flow(StrEnum):
    OAUTH2 = "oauth2"
    OAUTH1 = "oauth1"
    CREDENTIALS = "credentials"


@dataclass(frozen=True)
class EndpointKind:
    key: str
    label: str
    # Used to build sentences like "needs an Access Token Endpoint".
    article: str = "a"


ENDPOINT_KINDS: dict[str, EndpointKind] = {
    kind.key: kind
    for kind in (
        EndpointKind("user_info", "User Information Endpoint"),
        EndpointKind("access_token", "Access Token Endpoint", article="an"),
        EndpointKind("request_token", "Request Token Endpoint"),
        EndpointKind("revoke", "Revoke Endpoint"),
    )
}


@dataclass(frozen=True)
class CredentialField:
    """A credential the end user types in when connecting an account."""

    name: str
    label: str
    secret: bool = False
    is_url: bool = False
    # Made up but shaped like the real thing: the preview's sample value.
    example: str = ""


@dataclass(frozen=True)
class AppSetting:
    """An app-level setting of the Authorization model that a type uses."""

    name: str  # the Authorization model field
    label: str
    required: bool = True
    help_text: str = ""
    # A secret setting is encrypted, write-only in the admin, left out of a
    # secret-less export, and reaches templates only as ``requestBody.<name>``.
    secret: bool = False
    # The grants (the ``grant_type`` setting's values) the setting serves;
    # empty: every grant, and every type without a grant setting.
    grants: tuple[str, ...] = ()
    # A placeholder the admin shows in an empty box: an example, not a default.
    example: str = ""
    # A yes/no setting that, when on, makes this required one optional.
    optional_with: str = ""

    def applies_to(self, grant: str | None) -> bool:
        """Tell whether the setting is used with ``grant`` (None: no grant chosen)."""
        return not self.grants or grant is None or grant in self.grants

    def is_missing(self, authorization, *, in_use) -> bool:
        """Tell whether ``authorization`` lacks this setting although it needs it.

        ``in_use`` names the settings its type and grant use: a stale switch
        left from another grant makes nothing optional.
        """
        if not self.required or authorization.has_setting(self.name):
            return False
        switch = self.optional_with
        return not (switch in in_use and getattr(authorization, switch))


@dataclass(frozen=True)
class Variable:
    """A value the platform gives templates besides the end user's fields."""

    name: str
    secret: bool = False


USERNAME = CredentialField("username", "Username", example="jason@basecamp.com")
EMAIL_OR_USERNAME = CredentialField(
    "username", "Username or e-mail", example="jason@basecamp.com"
)
PASSWORD = CredentialField(
    "password", "Password", secret=True, example="correct-horse-battery-staple"
)
API_KEY = CredentialField(
    "api_key", "API key", secret=True, example="ak_live_51HcXyZ2eB7qLmN0pQ"
)
API_SECRET = CredentialField(
    "api_secret", "API secret", secret=True, example="as_live_9f8e7d6c5b4a3210fedc"
)
INSTANCE_URL = CredentialField(
    "url", "Instance URL", is_url=True, example="https://acme.example.com"
)

# What the platform sends to a token endpoint besides the end user's fields
# (RFC 6749 §4.1.3, §6; RFC 7636 §4.5; RFC 5849 §2.3): ``requestBody``.
# The PKCE verifier, the tokens and the codes are secrets: an authorization
# code or an OAuth1 verifier, intercepted before use, is exchanged for a token
# (RFC 6749 §10.5, RFC 5849 §4.2), so logs and previews mask them too.
PLATFORM_PARAMETERS = (
    Variable("client_id"),
    Variable("client_secret", secret=True),
    Variable("redirect_uri"),
    Variable("code", secret=True),
    Variable("grant_type"),
    Variable("refresh_token", secret=True),
    Variable("code_verifier", secret=True),
    Variable("scope"),
    Variable("state"),
    Variable("oauth_token"),
    Variable("oauth_verifier", secret=True),
    # RFC 7009 §2.1: what a revoke endpoint is sent, the token being a secret.
    Variable("token", secret=True),
    Variable("token_type_hint"),
)
# What a connected account stores besides the end user's fields: ``query``.
# The tokens come before the fields, the account's record after them.
ACCOUNT_TOKENS = (
    Variable("access_token", secret=True),
    Variable("refresh_token", secret=True),
    # RFC 5849 §2.3: the token is an identifier, its secret the credential.
    Variable("oauth_token"),
    Variable("oauth_token_secret", secret=True),
)
ACCOUNT_RECORD = (
    Variable("extras"),
    Variable("expires_at"),
    Variable("account_id"),
    Variable("user_identity"),
)
# What a provider's token reply holds that is a credential (RFC 6749 §5.1,
# OpenID Connect Core §3.1.3.3, RFC 5849 §2.3).
SECRET_RESPONSE_FIELDS = frozenset(
    {"access_token", "refresh_token", "id_token", "oauth_token_secret"}
)
# Headers whose whole value is a credential, even when it came from no known
# secret (an API key typed into the template): RFC 9110 §11.6.2, §11.7.2;
# RFC 6265 §4.1, §5.4; and the X-Api-Key, X-Auth-Token family by their suffix.
SECRET_HEADER_NAMES = ("authorization", "proxy-authorization", "cookie", "set-cookie")
SECRET_HEADER_SUFFIXES = ("-key", "-token", "-secret")

# The setting that chooses a grant, and the grant a redirect to the provider
# belongs to (RFC 6749 §4.1); the client credentials grant (§4.4) has neither
# consent, nor redirect, nor PKCE.
GRANT_SETTING = "grant_type"
AUTHORIZATION_CODE = "authorization_code"
CLIENT_CREDENTIALS = "client_credentials"

_OAUTH2_SETTINGS = (
    AppSetting(
        GRANT_SETTING,
        "Grant",
        required=False,
        help_text="Authorization code: each end user consents at the provider "
        "(RFC 6749 §4.1). Client credentials: the app itself is the account, "
        "no consent page and no redirect (RFC 6749 §4.4).",
    ),
    AppSetting("client_id", "Client ID"),
    # A public client (a native or browser app) has no secret and proves
    # itself with PKCE instead (RFC 7636 §1, RFC 8252 §8.4).
    AppSetting(
        "client_secret",
        "Client secret",
        secret=True,
        optional_with="use_pkce",
        help_text="Not needed by a public client using PKCE.",
    ),
    AppSetting(
        "client_auth",
        "Client authentication",
        required=False,
        help_text="How the token endpoint receives the client ID and secret: "
        "HTTP Basic or body parameters (RFC 6749 §2.3.1). With None, the "
        "endpoint's templates send them themselves.",
    ),
    AppSetting(
        "authorize_url",
        "Authorization URL",
        help_text="Where the user is sent to give consent (RFC 6749 §4.1.1).",
        grants=(AUTHORIZATION_CODE,),
    ),
    AppSetting(
        "scopes",
        "Scopes",
        required=False,
        help_text="One per word, separated by spaces; they are sent joined by "
        "the scope separator.",
        example="read write",
    ),
    AppSetting(
        "scope_separator",
        "Scope separator",
        required=False,
        help_text="What joins the scopes when they are sent: a space (RFC 6749 "
        "§3.3) unless the provider asks for another, such as a comma. Left "
        "empty, a space.",
    ),
    AppSetting(
        "authorize_params",
        "Extra authorize parameters",
        required=False,
        help_text="A JSON object of parameters added to the authorization URL, "
        "each a text. The console's own (client_id, redirect_uri, "
        "response_type, scope, state, code_challenge…) cannot be replaced.",
        grants=(AUTHORIZATION_CODE,),
        example='{"access_type": "offline", "prompt": "consent"}',
    ),
    AppSetting(
        "use_pkce",
        "Use PKCE (S256)",
        required=False,
        help_text="Send a code challenge (RFC 7636); needed by public clients.",
        grants=(AUTHORIZATION_CODE,),
    ),
    AppSetting(
        "issuer",
        "Issuer",
        required=False,
        help_text="The provider's issuer identifier. When set, the callback "
        "must carry it as iss, which defeats mix-up attacks (RFC 9207).",
        grants=(AUTHORIZATION_CODE,),
        example="https://accounts.example.com",
    ),
)
_OAUTH1_SETTINGS = (
    AppSetting("client_id", "Consumer key"),
    AppSetting(
        "client_secret",
        "Consumer secret",
        secret=True,
        help_text="With RSA-SHA1, the consumer's RSA private key, in PEM.",
    ),
    AppSetting(
        "authorize_url",
        "Authorization URL",
        help_text="Where the user authorizes the request token (RFC 5849 §2.2).",
    ),
    AppSetting(
        "signature_method",
        "Signature method",
        required=False,
        help_text="How requests are signed (RFC 5849 §3.4). RSA-SHA1 signs with "
        "the private key held as the consumer secret; PLAINTEXT sends the "
        "secret itself, so it is refused over plain http.",
    ),
)

# How Verify tells an expired access token from a broken reply, so it
# refreshes once and asks again: every type has a User Information Endpoint
# to verify with.  The console's rules, not the provider's: templates do not
# read them (TypeRegistry.authorization_keys).
EXPIRY_SETTINGS = (
    AppSetting(
        "expired_statuses",
        "Expired status codes",
        required=False,
        help_text="When Verify asks the User Information Endpoint and it answers "
        "one of these HTTP status codes, the access token is taken as expired: "
        "an OAuth 2.0 account with a refresh token is refreshed once and asked "
        "again; any other account needs the end user to connect again. Codes "
        "from 400 to 599, separated by commas. Left empty, no status code "
        "means expired.",
        example="401, 403",
    ),
    AppSetting(
        "expired_when",
        "Expired when",
        required=False,
        help_text="For APIs that say a token expired in a successful reply: a "
        "Twig template over response (the reply) and query (the stored "
        "tokens). When it prints anything but nothing, 0 or false, the access "
        "token is taken as expired, as with the status codes above. For "
        "example: {{ response.ok == false and response.error == "
        "'token_expired' }}. Left empty, only the status codes count.",
        example="{{ response.error == 'token_expired' }}",
    ),
)
EXPIRY_SETTING_NAMES = tuple(setting.name for setting in EXPIRY_SETTINGS)


@dataclass(frozen=True)
class AuthorizationType:
    key: str
    label: str
    flow: Flow
    credential_fields: tuple[CredentialField, ...] = ()
    app_settings: tuple[AppSetting, ...] = ()
    required_endpoints: tuple[str, ...] = ("user_info",)
    optional_endpoints: tuple[str, ...] = ("revoke",)
    # The credential fields sent as HTTP Basic user and password (RFC 7617).
    basic_auth: tuple[str, str] | None = None

    @property
    def secret_settings(self) -> frozenset[str]:
        return frozenset(s.name for s in self.app_settings if s.secret)

    @property
    def endpoint_kinds(self) -> tuple[str, ...]:
        return self.required_endpoints + self.optional_endpoints

    @property
    def setting_names(self) -> tuple[str, ...]:
        return tuple(setting.name for setting in self.app_settings)

    @property
    def uses_callback(self) -> bool:
        """Tell whether the provider sends the user back: a callback URL to register."""
        return self.flow in (Flow.OAUTH1, Flow.OAUTH2)

    def setting(self, name: str) -> AppSetting | None:
        return next((s for s in self.app_settings if s.name == name), None)

    def used_settings(self, *, grant: str | None = None) -> tuple[AppSetting, ...]:
        """Return the settings in use with ``grant``, the chosen grant if any.

        A type without a grant setting uses all its settings, whatever is given.
        """
        if GRANT_SETTING not in self.setting_names:
            grant = None
        return tuple(s for s in self.app_settings if s.applies_to(grant))


NINE_TYPES: tuple[AuthorizationType, ...] = (
    AuthorizationType(
        "oauth1",
        "OAuth1.0",
        Flow.OAUTH1,
        app_settings=_OAUTH1_SETTINGS + EXPIRY_SETTINGS,
        required_endpoints=("user_info", "access_token"),
        optional_endpoints=("request_token", "revoke"),
    ),
    AuthorizationType(
        "oauth2",
        "OAuth2.0",
        Flow.OAUTH2,
        app_settings=_OAUTH2_SETTINGS + EXPIRY_SETTINGS,
        required_endpoints=("user_info", "access_token"),
    ),
    AuthorizationType(
        "basic",
        "Basic",
        Flow.CREDENTIALS,
        credential_fields=(USERNAME, PASSWORD),
        required_endpoints=("user_info", "access_token"),
        basic_auth=("username", "password"),
        app_settings=EXPIRY_SETTINGS,
    ),
    AuthorizationType(
        "basic_url",
        "Basic with URL",
        Flow.CREDENTIALS,
        credential_fields=(USERNAME, PASSWORD, INSTANCE_URL),
        basic_auth=("username", "password"),
        app_settings=EXPIRY_SETTINGS,
    ),
    AuthorizationType(
        "basic_api_key",
        "Basic with API-Key",
        Flow.CREDENTIALS,
        credential_fields=(EMAIL_OR_USERNAME, API_KEY),
        app_settings=EXPIRY_SETTINGS,
        required_endpoints=(),
        optional_endpoints=("user_info", "revoke"),
        basic_auth=("username", "api_key"),
    ),
    AuthorizationType(
        "api_key",
        "API Key",
        Flow.CREDENTIALS,
        credential_fields=(API_KEY,),
        app_settings=EXPIRY_SETTINGS,
    ),
    AuthorizationType(
        "api_secret",
        "API Secret",
        Flow.CREDENTIALS,
        credential_fields=(API_SECRET,),
        app_settings=EXPIRY_SETTINGS,
    ),
    AuthorizationType(
        "api_key_secret",
        "API Key with Secret",
        Flow.CREDENTIALS,
        credential_fields=(API_KEY, API_SECRET),
        app_settings=EXPIRY_SETTINGS,
    ),
    AuthorizationType(
        "api_key_url",
        "API Key with URL",
        Flow.CREDENTIALS,
        credential_fields=(API_KEY, INSTANCE_URL),
        app_settings=EXPIRY_SETTINGS,
    ),
)

DEFAULT_TYPE = "api_key"


def _merge_orders(orders: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    """Merge sequences into one that keeps each one's order where they agree.

    Each type lists its settings in the order a developer fills them in; the
    form shows every type's in one list, so OAuth2.0's grant stays first even
    though OAuth1.0, listed before it, starts with the client ID.
    """
    pending = [list(order) for order in orders if order]
    merged: list[str] = []
    while pending:
        heads = (order[0] for order in pending)
        # The first head no sequence wants later; on a contradiction, the first.
        head = next(
            (h for h in heads if not any(h in order[1:] for order in pending)),
            pending[0][0],
        )
        merged.append(head)
        pending = [[n for n in order if n != head] for order in pending]
        pending = [order for order in pending if order]
    return tuple(merged)


# Every app-level setting any type uses, so a form can hide the ones a type
# doesn't.  Each is a field of the Authorization model, so no registry adds one.
ALL_SETTING_NAMES: tuple[str, ...] = _merge_orders(
    spec.setting_names for spec in NINE_TYPES
)
# What a template reads as ``authorization`` besides the non-secret settings.
AUTHORIZATION_ATTRIBUTES = ("name", "type")


class UnknownType(KeyError):
    def __str__(self):
        return f'"{self.args[0]}" is not an authorization type; choose one of: ' + (
            ", ".join(registry().types)
        )


class TypeRegistry:
    """The authorization types in force, and everything derived from them.

    The vocabulary templates receive and the secret names are computed here
    once, from the types' fields and settings and the platform's own
    parameters, so a field added to a type reaches every reader.
    """

    def __init__(self, specs: Iterable[AuthorizationType]):
        self.types: dict[str, AuthorizationType] = {spec.key: spec for spec in specs}
        fields = {}
        for spec in self.types.values():
            for credential in spec.credential_fields:
                fields.setdefault(credential.name, credential)
        # Who first, where last: the instance URL follows the fields it
        # qualifies, as on the end user's form.
        self.credential_fields: tuple[CredentialField, ...] = tuple(
            sorted(fields.values(), key=lambda credential: credential.is_url)
        )
        credential_names = tuple(f.name for f in self.credential_fields)
        secret_credentials = {f.name for f in self.credential_fields if f.secret}
        self.request_body_keys: tuple[str, ...] = tuple(
            dict.fromkeys((*(v.name for v in PLATFORM_PARAMETERS), *credential_names))
        )
        self.query_keys: tuple[str, ...] = tuple(
            dict.fromkeys(
                (
                    *(v.name for v in ACCOUNT_TOKENS),
                    *credential_names,
                    *(v.name for v in ACCOUNT_RECORD),
                )
            )
        )
        settings = {
            setting.name: setting
            for spec in self.types.values()
            for setting in spec.app_settings
        }
        self.secret_settings: frozenset[str] = frozenset(
            name for name, setting in settings.items() if setting.secret
        )
        self.authorization_keys: tuple[str, ...] = AUTHORIZATION_ATTRIBUTES + tuple(
            name
            for name in settings
            if name not in self.secret_settings and name not in EXPIRY_SETTING_NAMES
        )
        # A secret setting is sent to the token endpoint under its own name.
        self.secret_request_fields: frozenset[str] = frozenset(
            {v.name for v in PLATFORM_PARAMETERS if v.secret}
            | secret_credentials
            | self.secret_settings
        )
        self.secret_query_fields: frozenset[str] = frozenset(
            {v.name for v in ACCOUNT_TOKENS if v.secret} | secret_credentials
        )
        self.secret_response_fields: frozenset[str] = SECRET_RESPONSE_FIELDS
        self.secret_header = re.compile(
            "^(?:{names}|.*(?:{suffixes}))$".format(
                names="|".join(map(re.escape, SECRET_HEADER_NAMES)),
                suffixes="|".join(map(re.escape, SECRET_HEADER_SUFFIXES)),
            ),
            re.IGNORECASE,
        )

    def get(self, key: str) -> AuthorizationType:
        """Return the type ``key``; raise ``UnknownType`` when there is none."""
        try:
            return self.types[key]
        except KeyError:
            raise UnknownType(key) from None

    def is_secret_header(self, name: str) -> bool:
        """Tell whether a header's whole value is a credential."""
        return bool(self.secret_header.match(name))


_registry = TypeRegistry(NINE_TYPES)


def registry() -> TypeRegistry:
    """Return the registry in force."""
    return _registry


@contextlib.contextmanager
def override_registry(replacement: TypeRegistry) -> Iterator[TypeRegistry]:
    """Put ``replacement`` in force for the block, as ``override_settings`` does."""
    global _registry
    previous, _registry = _registry, replacement
    try:
        yield replacement
    finally:
        _registry = previous


def get_type(key: str) -> AuthorizationType:
    return registry().get(key)


def type_choices() -> list[tuple[str, str]]:
    return [(spec.key, spec.label) for spec in registry().types.values()]


def endpoint_kind_choices() -> list[tuple[str, str]]:
    return [(kind.key, kind.label) for kind in ENDPOINT_KINDS.values()]
