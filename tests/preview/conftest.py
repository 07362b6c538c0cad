import pytest
from django.contrib.auth.models import Group
from django.test import Client


@pytest.fixture
def member_client(django_user_model):
    """Return a function logging in a staff user who belongs to one group."""

    def make(group_name: str, **client_options) -> Client:
        user = django_user_model.objects.create_user(
            username=group_name.lower().replace(" ", "-"),
            password="pw-for-tests-only",
            is_staff=True,
        )
        # The groups come from the migration, not from the test.
        user.groups.add(Group.objects.get(name=group_name))
        client = Client(**client_options)
        client.force_login(user)
        return client

    return make
