"""Factories that build valid object graphs for tests."""

import factory

from apps.models import App
from authorizations.models import Authorization, Endpoint, Header
from connections.models import ConnectedAccount


class AppFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = App
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"App {n}")
    slug = factory.Sequence(lambda n: f"app-{n}")
    api_base_url = "https://api.example.com"


class AuthorizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Authorization

    app = factory.SubFactory(AppFactory)
    name = factory.Sequence(lambda n: f"Authorization {n}")
    type = "api_key"


class OAuth2AuthorizationFactory(AuthorizationFactory):
    type = "oauth2"
    client_id = "client-id-123"
    client_secret = "client-secret-value-abcd"
    authorize_url = "https://provider.example.com/oauth/authorize"


class EndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Endpoint

    authorization = factory.SubFactory(AuthorizationFactory)
    kind = "user_info"
    method = "GET"
    url = "https://api.example.com/me"
    response_template = '{"user_identity": "{{ response.email }}"}'
    body_format = "none"


class HeaderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Header

    endpoint = factory.SubFactory(EndpointFactory)
    name = "Authorization"
    value = "Bearer {{ query.access_token }}"
    position = factory.Sequence(int)


class ConnectedAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConnectedAccount

    authorization = factory.SubFactory(AuthorizationFactory)
    user_identity = factory.Sequence(lambda n: f"user{n}@example.com")
    credentials = factory.LazyFunction(lambda: {"api_key": "key-secret-0000-9999"})
