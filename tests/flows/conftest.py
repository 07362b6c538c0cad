"""Fixtures of the flow tests: loopback allowed, a staff member, a session."""

import pytest


@pytest.fixture
def allow_loopback(settings):
    """Let the guarded client reach the test servers on 127.0.0.1."""
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(
        username="tester", is_staff=True, is_superuser=True
    )


@pytest.fixture
def session():
    """A staff member's session: where the flow keeps its nonce."""
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store.create()
    return store
