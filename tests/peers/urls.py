"""The test URLconf: every pattern of integry.urls unchanged, then the peers.

/provider/login/             the provider's own login page
/provider/o/authorize/       OAuth 2.0 (django-oauth-toolkit): consent page
/provider/o/token/           token endpoint (code, refresh, client credentials)
/provider/o/revoke_token/    RFC 7009 revocation
/provider/o/introspect/      RFC 7662 introspection
/provider/api/me             user info for a Bearer token
/provider/oauth1/request_token, authorize, access_token, api/me   OAuth 1.0a
"""

from django.urls import include, path
from oauth2_provider import views as dot

from integry import urls as console
from tests.peers import oauth1, views

# DOT reverses its own names in the "oauth2_provider" namespace: it keeps it.
oauth2_patterns = [
    path("authorize/", views.ProviderAuthorizationView.as_view(), name="authorize"),
    path("token/", dot.TokenView.as_view(), name="token"),
    path("revoke_token/", dot.RevokeTokenView.as_view(), name="revoke-token"),
    path("introspect/", dot.IntrospectTokenView.as_view(), name="introspect"),
]

peer_patterns = [
    path("", views.home, name="home"),
    path("login/", views.ProviderLoginView.as_view(), name="login"),
    path("api/me", views.MeView.as_view(), name="me"),
    path("oauth1/request_token", oauth1.request_token, name="oauth1-request-token"),
    path("oauth1/authorize", oauth1.authorize, name="oauth1-authorize"),
    path("oauth1/access_token", oauth1.access_token, name="oauth1-access-token"),
    path("oauth1/api/me", oauth1.me, name="oauth1-me"),
]

urlpatterns = [
    *console.urlpatterns,
    path("provider/o/", include((oauth2_patterns, "oauth2_provider"))),
    path("provider/", include((peer_patterns, "peers"))),
]
