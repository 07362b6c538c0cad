"""Fixtures every test folder shares: fast password hashing, staff members, tmp."""

import itertools
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client, override_settings

# Playwright on Debian's Chromium, for every test folder that drives a browser.
pytest_plugins = ["tests.playwright_fixtures"]
pytest_plugins += ["tests.peers.fixtures"]  # the provider peers


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    # Every admin_user, admin_client and browser login hashes a password, and
    # no test exercises the hasher's cost: PBKDF2 would dominate them.
    with override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    ):
        yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Give every connection object of the test database its serialized copy.

    Django keeps the copy a serialized rollback restores on the connection
    object that made it.  Connection objects are per context, and Playwright's
    sync API runs the tests after it starts in a greenlet context of its own:
    there ``connections["default"]`` is a new object without the copy, so
    every transactional test from then on would flush the tables (the
    migrations' groups, the content types) without putting them back.  Kept
    on the backend's class, the copy is found from any context.
    """
    from django.db import connections

    for alias in connections:
        wrapper = connections[alias]
        copy = getattr(wrapper, "_test_serialized_contents", None)
        if copy is not None:
            type(wrapper)._test_serialized_contents = copy
    yield


@pytest.fixture(autouse=True)
def fresh_content_type_cache():
    """Empty Django's in-memory content type cache before each test.

    A cached content type whose row a flush recreated under another id breaks
    a foreign key (the admin's LogEntry) far from the cause; looked up again,
    it is found.
    """
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


@pytest.fixture(scope="session")
def httpserver_listen_address():
    # pytest-httpserver's one server per worker listens on "localhost" by
    # default, which may resolve to ::1 as well; the tests allow 127.0.0.1
    # alone.  Here, not in a folder's conftest: whichever folder's test starts
    # the server first on a worker fixes its address for all the others.
    return ("127.0.0.1", 0)


@pytest.fixture
def member_client(django_user_model):
    """Return a function logging in a new staff member in a Client of its own.

    ``member_client("Integration developers")`` joins the groups the migration
    creates; ``permissions=["view_endpoint"]`` grants single permissions;
    ``superuser=True`` grants everything; other keywords go to the Client
    (``enforce_csrf_checks=True``).
    """
    numbers = itertools.count(1)

    def log_in(
        *groups: str, permissions=(), superuser: bool = False, **client_options
    ) -> Client:
        # No password: the client is logged in directly, and the password
        # form is exercised in tests/integry/test_access.py.
        user = django_user_model.objects.create_user(
            username=f"member-{next(numbers)}",
            is_staff=True,
            is_superuser=superuser,
        )
        # The groups come from the migration, not from the test.
        user.groups.add(*(Group.objects.get(name=name) for name in groups))
        user.user_permissions.add(
            *(Permission.objects.get(codename=codename) for codename in permissions)
        )
        client = Client(**client_options)
        client.force_login(user)
        return client

    return log_in


@pytest.fixture
def in_tmp(tmp_path, monkeypatch) -> Path:
    """Work in tmp_path, so messages name files as short relative paths."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def pytest_report_header(config):
    from tests.playwright_fixtures import chromium_path

    path = chromium_path()
    if path:
        return f"browser tests: Chromium at {path}"
    return (
        "browser tests: SKIPPED - Chromium is not installed "
        "(apt-get install -y chromium to run them)"
    )


def pytest_collection_modifyitems(config, items):
    """Refuse a transactional test without serialized rollback.

    Its flush recreates the content types under new ids (post_migrate), and
    the next serialized test's restore then collides with them: every
    transactional test here rolls back serialized.
    """
    offenders = []
    for item in items:
        marker = item.get_closest_marker("django_db")
        transactional = (marker and marker.kwargs.get("transaction")) or (
            "transactional_db" in item.fixturenames
        )
        serialized = (marker and marker.kwargs.get("serialized_rollback")) or (
            "django_db_serialized_rollback" in item.fixturenames
        )
        if transactional and not serialized:
            offenders.append(item.nodeid)
    if offenders:
        raise pytest.UsageError(
            "These transactional tests need serialized_rollback=True "
            "(see tests/conftest.py): " + ", ".join(offenders[:5])
        )
