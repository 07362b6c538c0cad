import pytest

from apps.models import App


@pytest.mark.django_db
def test_new_app_gets_an_api_key_authorization():
    app = App.objects.create(name="Acme", slug="acme")
    assert [(a.name, a.type) for a in app.authorizations.all()] == [
        ("API Key", "api_key")
    ]
