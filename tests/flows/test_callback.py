"""The OAuth callback, /oauth/callback/: every way it refuses to finish a run.

Each test starts a real run against the OAuth 2.0 peer from a staff member's
Client, takes the callback the provider sent (or one a browser could be made
to open), and checks what a staff member sees: the status, the words on the
page, that no account was stored, and what became of the run.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from authorizations.flows.oauth2 import AUTHORIZE_ERRORS
from authorizations.models import TestRun
from connections.models import ConnectedAccount
from tests.flows.test_oauth2 import (
    JASON,
    local,
    query_of,
    run_page,
    start,
    step_named,
)
from tests.peers.console import oauth2_authorization

pytestmark = pytest.mark.usefixtures("allow_loopback")

CALLBACK = "/oauth/callback/"
NOTHING_STORED = "Nothing was stored."


@pytest.fixture
def authorization(oauth2_peer):
    return oauth2_authorization(oauth2_peer)


@pytest.fixture
def client(member_client):
    return member_client(superuser=True)


def callback_with(**params) -> str:
    return CALLBACK + "?" + urlencode(params)


def consented(client, peer, authorization) -> dict[str, str]:
    """Start a run and consent at the provider; return the callback's query."""
    callback = peer.consent(start(client, authorization)["Location"])
    assert callback.startswith(peer.redirect_uri + "?"), callback
    params = {name: values[0] for name, values in query_of(callback).items()}
    assert set(params) == {"code", "state"}
    return params


def waiting_state(client, authorization) -> str:
    """Start a run, stop before the provider; return the redirect's state."""
    return query_of(start(client, authorization)["Location"])["state"][0]


def assert_refused(answer, *words: str) -> str:
    page = answer.content.decode()
    assert answer.status_code == 400, page[:2000]
    assert "The sign-in could not be finished" in page
    for text in words:
        assert text in page, text
    assert NOTHING_STORED in page
    assert not ConnectedAccount.objects.exists()
    return page


def the_run() -> TestRun:
    return TestRun.objects.get()


def finish(client, params) -> TestRun:
    """Open the provider's own callback; check the run connects; return it."""
    run, page = run_page(client, client.get(callback_with(**params)))
    assert f"Connected as {JASON}" in page
    return run


def test_a_callback_without_state_is_refused(oauth2_peer, authorization, client):
    params = consented(client, oauth2_peer, authorization)

    answer = client.get(callback_with(code=params["code"]))

    assert_refused(answer, "The callback carries no state")
    assert the_run().status == TestRun.Status.WAITING


def test_an_unknown_state_is_refused(oauth2_peer, authorization, client):
    params = consented(client, oauth2_peer, authorization)

    answer = client.get(callback_with(code=params["code"], state=params["state"] + "x"))

    assert_refused(answer, "The callback&#x27;s state matches no test run")
    assert the_run().status == TestRun.Status.WAITING
    finish(client, params)  # the real callback still finishes the run


def test_a_state_is_used_once(oauth2_peer, authorization, client):
    params = consented(client, oauth2_peer, authorization)
    run = finish(client, params)
    account = ConnectedAccount.objects.get()
    tokens = account.credentials

    answer = client.get(callback_with(**params))

    page = answer.content.decode()
    assert answer.status_code == 400
    assert "This sign-in was already used" in page
    assert run.get_absolute_url() in page  # "See the test run"
    account.refresh_from_db()
    assert ConnectedAccount.objects.count() == 1
    assert account.credentials == tokens
    assert the_run().status == TestRun.Status.SUCCEEDED


def test_an_expired_state_is_refused_and_fails_the_run(
    oauth2_peer, authorization, client
):
    params = consented(client, oauth2_peer, authorization)
    TestRun.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    answer = client.get(callback_with(**params))

    page = assert_refused(
        answer, "This sign-in expired: it must be finished within 10 minutes."
    )
    run = the_run()
    assert run.get_absolute_url() in page
    assert run.status == TestRun.Status.FAILED
    assert run.pending == {}
    run_page_text = client.get(run.get_absolute_url()).content.decode()
    assert "The test failed." in run_page_text
    assert "the sign-in had expired" in run_page_text
    # Expired stays expired: the same callback again is refused as used.
    again = client.get(callback_with(**params))
    assert again.status_code == 400
    assert "This sign-in was already used" in again.content.decode()


def test_a_run_started_in_another_session_is_refused(
    oauth2_peer, authorization, client, member_client
):
    params = consented(client, oauth2_peer, authorization)
    colleague = member_client(superuser=True)

    answer = colleague.get(callback_with(**params))

    assert_refused(answer, "This sign-in was started in another browser session")
    assert the_run().status == TestRun.Status.WAITING
    finish(client, params)  # it stays the starter's to finish


def test_a_callback_without_code_fails_the_run(oauth2_peer, authorization, client):
    params = consented(client, oauth2_peer, authorization)

    answer = client.get(callback_with(state=params["state"]))

    run, page = run_page(client, answer)
    assert run.status == TestRun.Status.FAILED
    assert "The provider came back without a code, and said no error either." in page
    assert not any(step["name"] == "Access token" for step in run.steps)
    assert not ConnectedAccount.objects.exists()


@pytest.mark.parametrize("repeated", ["state", "code"])
def test_repeated_parameters_are_refused(oauth2_peer, authorization, client, repeated):
    params = consented(client, oauth2_peer, authorization)
    pairs = [("code", params["code"]), ("state", params["state"])]
    pairs.append((repeated, params[repeated] + "-other"))

    answer = client.get(CALLBACK + "?" + urlencode(pairs))

    assert_refused(answer, f"The callback carries {repeated} more than once")
    assert the_run().status == TestRun.Status.WAITING


ISSUER = "https://provider.example.com"


def test_an_iss_other_than_the_issuer_fails_the_run(oauth2_peer, client):
    authorization = oauth2_authorization(oauth2_peer, issuer=ISSUER)
    params = consented(client, oauth2_peer, authorization)

    answer = client.get(callback_with(**params, iss="https://attacker.example"))

    run, page = run_page(client, answer)
    assert run.status == TestRun.Status.FAILED
    assert (
        "The callback says it comes from &quot;https://attacker.example&quot;, not "
        "from the expected issuer &quot;https://provider.example.com&quot;" in page
    )
    assert "mix-up attack" in page
    assert not any(step["name"] == "Access token" for step in run.steps)
    assert not ConnectedAccount.objects.exists()


def test_a_missing_iss_fails_the_run_when_an_issuer_is_set(oauth2_peer, client):
    authorization = oauth2_authorization(oauth2_peer, issuer=ISSUER)
    params = consented(client, oauth2_peer, authorization)  # the peer sends no iss

    run, page = run_page(client, client.get(callback_with(**params)))

    assert run.status == TestRun.Status.FAILED
    assert "The provider sent no iss, but this authorization expects" in page
    assert "Clear the Issuer setting if the provider does not send iss." in page
    assert not ConnectedAccount.objects.exists()


def test_the_expected_iss_connects(oauth2_peer, client):
    authorization = oauth2_authorization(oauth2_peer, issuer=ISSUER)
    params = consented(client, oauth2_peer, authorization)

    run, page = run_page(client, client.get(callback_with(**params, iss=ISSUER)))

    assert run.status == TestRun.Status.SUCCEEDED, run.message
    assert f"Connected as {JASON}" in page
    assert ConnectedAccount.objects.count() == 1


def test_denied_consent_fails_the_run_in_words(oauth2_peer, authorization, client):
    callback = oauth2_peer.consent(
        start(client, authorization)["Location"], allow=False
    )
    assert query_of(callback)["error"] == ["access_denied"]

    run, page = run_page(client, client.get(local(callback)))

    assert run.status == TestRun.Status.FAILED
    assert "The authorization was denied at the provider." in page
    assert step_named(run, "Back from the provider")["error"].startswith(
        "The authorization was denied at the provider."
    )
    assert not ConnectedAccount.objects.exists()


@pytest.mark.parametrize(
    "error", sorted(set(AUTHORIZE_ERRORS) - {"access_denied"}) + ["custom_error"]
)
def test_provider_errors_are_told_in_words(authorization, client, error):
    state = waiting_state(client, authorization)

    run, page = run_page(client, client.get(callback_with(error=error, state=state)))

    assert run.status == TestRun.Status.FAILED
    words = AUTHORIZE_ERRORS.get(
        error, 'The provider sent back the error "custom_error".'
    )
    assert words.replace("'", "&#x27;").replace('"', "&quot;") in page
    assert not ConnectedAccount.objects.exists()


def test_an_error_description_is_shown_escaped(authorization, client):
    state = waiting_state(client, authorization)
    description = "<script>alert('owned')</script> Jason said no"

    answer = client.get(
        callback_with(error="access_denied", error_description=description, state=state)
    )

    run, page = run_page(client, answer)
    assert run.status == TestRun.Status.FAILED
    assert "The authorization was denied at the provider." in page
    assert "&lt;script&gt;alert(&#x27;owned&#x27;)&lt;/script&gt; Jason said no" in page
    assert "<script>alert(" not in page
    assert not ConnectedAccount.objects.exists()


def test_a_callback_opened_signed_out_changes_nothing(
    oauth2_peer, authorization, client
):
    from django.test import Client

    params = consented(client, oauth2_peer, authorization)

    answer = Client().get(callback_with(**params))

    assert answer.status_code == 302
    assert answer["Location"].startswith("/admin/login/?next=/oauth/callback/")
    assert the_run().status == TestRun.Status.WAITING
    assert not ConnectedAccount.objects.exists()
    finish(client, params)  # the staff member who started it still can


def test_a_state_sent_under_another_name_is_refused(oauth2_peer, authorization, client):
    params = consented(client, oauth2_peer, authorization)

    # OAuth 2.0 callbacks name their run by state alone.
    answer = client.get(callback_with(code=params["code"], oauth_token=params["state"]))

    assert_refused(answer)
    assert the_run().status == TestRun.Status.WAITING
