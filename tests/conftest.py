import pytest
from django.test import Client

# Playwright on Debian's Chromium, for every test folder that drives a browser.
pytest_plugins = ["tests.playwright_fixtures"]


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser(
        username="root", email="root@example.com", password="pw-for-tests-only"
    )


@pytest.fixture
def staff_client(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


def pytest_report_header(config):
    from tests.playwright_fixtures import chromium_path

    path = chromium_path()
    if path:
        return f"browser tests: Chromium at {path}"
    return (
        "browser tests: SKIPPED - Chromium is not installed "
        "(apt-get install -y chromium to run them)"
    )
