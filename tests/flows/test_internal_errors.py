"""A failure the flows did not foresee still ends the run, in words, logged safely."""

import logging

import pytest
from django.db import DatabaseError

from authorizations.flows import flow_succeeded
from authorizations.flows.credentials import CredentialsFlow
from authorizations.flows.runs import KEEP_RUNS
from authorizations.models import TestRun
from connections.models import ConnectedAccount
from tests.factories import AppFactory, AuthorizationFactory
from tests.flows.helpers import run_of

pytestmark = pytest.mark.django_db

SECRET = "ak-live-never-logged-5521"
VALUES = {"username": "jason", "api_key": SECRET}


@pytest.fixture
def basic_api_key():
    # Basic with API-Key needs no endpoint: the run is the flow and the store.
    return AuthorizationFactory(app=AppFactory(), type="basic_api_key")


def test_a_bug_in_a_flow_fails_the_run_and_logs_no_secret(
    basic_api_key, staff, session, monkeypatch, caplog
):
    def broken(self, authorization, log, values):
        raise KeyError(f"values[{values['api_key']}]")

    monkeypatch.setattr(CredentialsFlow, "run", broken)
    caplog.set_level(logging.DEBUG)

    run = run_of(basic_api_key, staff, session, VALUES)

    assert run.status == TestRun.Status.FAILED
    assert run.message.startswith(
        "The console failed while running this step (an internal error"
    )
    assert run.pending == {}
    assert not ConnectedAccount.objects.exists()
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert f"Test run {run.pk} stopped on an internal error: KeyError at " in (
        record.getMessage()
    )
    assert SECRET not in caplog.text


def test_a_database_error_while_storing_keeps_no_half_written_account(
    basic_api_key, staff, session
):
    def store_then_fail(sender, **kwargs):
        ConnectedAccount.objects.create(
            authorization=kwargs["authorization"], user_identity="half"
        )
        raise DatabaseError("connection lost")

    flow_succeeded.connect(store_then_fail, dispatch_uid="test-store-then-fail")
    try:
        run = run_of(basic_api_key, staff, session, VALUES)
    finally:
        flow_succeeded.disconnect(dispatch_uid="test-store-then-fail")

    assert run.status == TestRun.Status.FAILED
    assert "internal error" in run.message
    assert not ConnectedAccount.objects.exists()
    assert run.connected_account_pk is None
    assert TestRun.objects.get().status == TestRun.Status.FAILED


def test_an_authorization_keeps_its_fifty_newest_runs(basic_api_key, staff, session):
    # Not an error, but the same end of a run: where it is written, old ones go.
    TestRun.objects.bulk_create(
        TestRun(authorization=basic_api_key, status=TestRun.Status.FAILED)
        for _ in range(KEEP_RUNS + 3)
    )
    other = AuthorizationFactory(app=basic_api_key.app, name="Other", type="api_key")
    TestRun.objects.create(authorization=other, status=TestRun.Status.FAILED)

    run = run_of(basic_api_key, staff, session, VALUES)

    kept = TestRun.objects.filter(authorization=basic_api_key)
    assert kept.count() == KEEP_RUNS
    assert kept.filter(pk=run.pk).exists()  # the newest is kept
    assert TestRun.objects.filter(authorization=other).count() == 1
