"""The nine authorization types, as data, and the registry that serves them.

A type says which credentials the end user supplies, which app-level settings
the integration developer fills in, which endpoints it needs and which flow
family runs it. Adding a type is one entry here (and at most one flow class).
"""

from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class AppSetting:
    """An app-level setting of the Authorization model that a type uses."""

    name: str  # the Authorization model field
    label: str
    required: bool = True
    help_text: str = ""


USERNAME = CredentialField("username", "Username")
EMAIL_OR_USERNAME = CredentialField("username", "Username or e-mail")
PASSWORD = CredentialField("password", "Password", secret=True)
API_KEY = CredentialField("api_key", "API key", secret=True)
API_SECRET = CredentialField("api_secret", "API secret", secret=True)
INSTANCE_URL = CredentialField("url", "Instance URL", is_url=True)

_OAUTH2_SETTINGS = (
    AppSetting("client_id", "Client ID"),
    AppSetting("client_secret", "Client secret"),
    AppSetting(
        "authorize_url",
        "Authorization URL",
        help_text="Where the user is sent to give consent (RFC 6749 §4.1.1).",
    ),
    AppSetting("scopes", "Scopes", required=False, help_text="Space-separated."),
    AppSetting(
        "use_pkce",
        "Use PKCE (S256)",
        required=False,
        help_text="Send a code challenge (RFC 7636); needed by public clients.",
    ),
)
_OAUTH1_SETTINGS = (
    AppSetting("client_id", "Consumer key"),
    AppSetting("client_secret", "Consumer secret"),
    AppSetting(
        "authorize_url",
        "Authorization URL",
        help_text="Where the user authorizes the request token (RFC 5849 §2.2).",
    ),
)


@dataclass(frozen=True)
class AuthorizationType:
    key: str
    label: str
    flow: Flow
    credential_fields: tuple[CredentialField, ...] = ()
    app_settings: tuple[AppSetting, ...] = ()
    required_endpoints: tuple[str, ...] = ("user_info",)
    optional_endpoints: tuple[str, ...] = ("revoke",)
    secret_settings: frozenset[str] = field(default=frozenset({"client_secret"}))

    @property
    def endpoint_kinds(self) -> tuple[str, ...]:
        return self.required_endpoints + self.optional_endpoints

    @property
    def setting_names(self) -> tuple[str, ...]:
        return tuple(setting.name for setting in self.app_settings)

    def setting(self, name: str) -> AppSetting | None:
        return next((s for s in self.app_settings if s.name == name), None)


TYPES: dict[str, AuthorizationType] = {
    spec.key: spec
    for spec in (
        AuthorizationType(
            "oauth1",
            "OAuth1.0",
            Flow.OAUTH1,
            app_settings=_OAUTH1_SETTINGS,
            required_endpoints=("user_info", "access_token"),
            optional_endpoints=("request_token", "revoke"),
        ),
        AuthorizationType(
            "oauth2",
            "OAuth2.0",
            Flow.OAUTH2,
            app_settings=_OAUTH2_SETTINGS,
            required_endpoints=("user_info", "access_token"),
        ),
        AuthorizationType(
            "basic",
            "Basic",
            Flow.CREDENTIALS,
            credential_fields=(USERNAME, PASSWORD),
            required_endpoints=("user_info", "access_token"),
        ),
        AuthorizationType(
            "basic_url",
            "Basic with URL",
            Flow.CREDENTIALS,
            credential_fields=(USERNAME, PASSWORD, INSTANCE_URL),
        ),
        AuthorizationType(
            "basic_api_key",
            "Basic with API-Key",
            Flow.CREDENTIALS,
            credential_fields=(EMAIL_OR_USERNAME, API_KEY),
            required_endpoints=(),
            optional_endpoints=("user_info", "revoke"),
        ),
        AuthorizationType(
            "api_key", "API Key", Flow.CREDENTIALS, credential_fields=(API_KEY,)
        ),
        AuthorizationType(
            "api_secret",
            "API Secret",
            Flow.CREDENTIALS,
            credential_fields=(API_SECRET,),
        ),
        AuthorizationType(
            "api_key_secret",
            "API Key with Secret",
            Flow.CREDENTIALS,
            credential_fields=(API_KEY, API_SECRET),
        ),
        AuthorizationType(
            "api_key_url",
            "API Key with URL",
            Flow.CREDENTIALS,
            credential_fields=(API_KEY, INSTANCE_URL),
        ),
    )
}

DEFAULT_TYPE = "api_key"

# Every app-level setting any type uses, so a form can hide the ones a type doesn't.
ALL_SETTING_NAMES: tuple[str, ...] = tuple(
    dict.fromkeys(name for spec in TYPES.values() for name in spec.setting_names)
)


class UnknownType(KeyError):
    def __str__(self):
        return f'"{self.args[0]}" is not an authorization type; choose one of: ' + (
            ", ".join(TYPES)
        )


def get_type(key: str) -> AuthorizationType:
    try:
        return TYPES[key]
    except KeyError:
        raise UnknownType(key) from None


def type_choices() -> list[tuple[str, str]]:
    return [(spec.key, spec.label) for spec in TYPES.values()]


def endpoint_kind_choices() -> list[tuple[str, str]]:
    return [(kind.key, kind.label) for kind in ENDPOINT_KINDS.values()]
