"""Business actions on authorizations, called by the admin and the importer."""

from django.db import transaction

from authorizations import types
from authorizations.defaults import TOKEN_ENDPOINT_DEFAULTS
from authorizations.models import Authorization, Endpoint


def authorization_create_default(*, app) -> Authorization:
    """Give a new app the API Key authorization every app starts with."""
    spec = types.get_type(types.DEFAULT_TYPE)
    return Authorization.objects.create(app=app, name=spec.label, type=spec.key)


@transaction.atomic
def authorization_add_starting_endpoints(*, authorization: Authorization) -> None:
    """Create the standard token endpoint of a new OAuth authorization.

    The URL stays empty: the completeness message asks for it.
    """
    defaults = TOKEN_ENDPOINT_DEFAULTS.get(authorization.spec.flow)
    if defaults is None:
        return
    Endpoint.objects.get_or_create(
        authorization=authorization, kind="access_token", defaults=defaults
    )


def authorization_clear_unused_settings(*, authorization: Authorization) -> None:
    """Reset the app-level settings the authorization does not use to their defaults.

    Those are the settings of other types, and of the type's other grants
    (the client credentials grant has no authorization URL). A secret typed
    for another type must not linger where nobody sees it.
    """
    used = {
        setting.name
        for setting in authorization.spec.used_settings(grant=authorization.grant_type)
    }
    for name in types.ALL_SETTING_NAMES:
        if name not in used:
            default = Authorization._meta.get_field(name).get_default()
            setattr(authorization, name, default)
