"""The provider's own pages and the OAuth 2.0 peer's views (django-oauth-toolkit).

The provider is a site of its own: its login page, its consent page, its API.
Nothing here is the console's; the console reaches it over HTTP only.
"""

from django.contrib.auth.views import LoginView
from django.http import JsonResponse
from django.urls import reverse_lazy
from oauth2_provider.views import AuthorizationView, ProtectedResourceView

LOGIN_URL = reverse_lazy("peers:login")


def user_json(user) -> dict:
    """The provider's idea of a user, as /api/me answers it."""
    return {"id": user.pk, "name": user.get_full_name(), "email": user.email}


class ProviderLoginView(LoginView):
    """The provider's login form (not the console's admin login)."""

    template_name = "peers/login.html"
    next_page = reverse_lazy("peers:home")


class ProviderAuthorizationView(AuthorizationView):
    """DOT's authorize endpoint, sending anonymous users to the provider's login."""

    login_url = LOGIN_URL


class MeView(ProtectedResourceView):
    """GET /provider/api/me with a Bearer token: the token's user as JSON.

    A client-credentials token has no user: it answers for the application's
    owner, as a service account would.
    """

    def verify_request(self, request):
        valid, self.oauthlib_request = super().verify_request(request)
        return valid, self.oauthlib_request

    def get(self, request, *args, **kwargs):
        user = request.resource_owner or self.oauthlib_request.client.user
        if user is None:
            return self.unauthenticated_response(request)
        return JsonResponse(user_json(user))

    def unauthenticated_response(self, request, oauthlib_request=None):
        response = JsonResponse(
            {
                "error": "invalid_token",
                "error_description": "The access token is missing, expired, "
                "revoked or unknown.",
            },
            status=401,
        )
        response["WWW-Authenticate"] = 'Bearer realm="provider", error="invalid_token"'
        return response


def home(request):
    """Where the provider's login lands without ?next=: who is logged in."""
    if not request.user.is_authenticated:
        return JsonResponse({"user": None})
    return JsonResponse({"user": user_json(request.user)})
