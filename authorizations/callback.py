"""The one callback URL providers send the user back to.

Every OAuth authorization of the console shares it: the flow tells runs apart
by their ``state`` (OAuth 2.0) or request token (OAuth 1.0a), so a developer
registers this one URL with each provider, whatever the app.
"""

from django.conf import settings

CALLBACK_PATH = "/oauth/callback/"


def callback_url() -> str:
    """Return the absolute callback URL: ``PUBLIC_BASE_URL`` + ``/oauth/callback/``.

    Read at each call, so a changed setting (or ``override_settings``) counts.
    """
    return settings.PUBLIC_BASE_URL.rstrip("/") + CALLBACK_PATH
