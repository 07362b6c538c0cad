"""What the flow tests share: authorizations against a local API, runs, pages.

The endpoint builders themselves are tests/peers/console.py's, re-exported
here; the OAuth peers' authorizations are built there too.
"""

from authorizations.flows import start_run
from authorizations.models import TestRun
from connections.models import ConnectedAccount
from tests.factories import AppFactory, AuthorizationFactory
from tests.peers.console import (
    PLAIN_USER_INFO_RESPONSE,
    token_endpoint,
    user_info_endpoint,
)

__all__ = [
    "NAME_RESPONSE",
    "api_key_authorization",
    "failed_step",
    "jason_api_key_authorization",
    "page_text",
    "run_of",
    "start_url",
    "token_endpoint",
    "user_info_endpoint",
]

# The user info mapped to the user's name alone.
NAME_RESPONSE = '{"user_identity": "{{ response.name }}"}'


def api_key_authorization(url, *, app=None, response_template=NAME_RESPONSE, **fields):
    """An API Key authorization whose user info endpoint is ``url``, sent the
    key as X-Api-Key; ``fields`` go to the authorization."""
    authorization = AuthorizationFactory(
        app=app or AppFactory(), type="api_key", **fields
    )
    user_info_endpoint(
        authorization,
        url,
        response_template,
        headers=[("X-Api-Key", "{{ query.api_key }}")],
    )
    return authorization


def jason_api_key_authorization(httpserver, api_key, **fields):
    """An API Key authorization of a local API (``httpserver``) whose /me
    answers Jason's name and email to ``api_key``; ``fields`` go to the
    authorization."""
    httpserver.expect_request("/me", headers={"X-Api-Key": api_key}).respond_with_json(
        {"name": "Jason Fried", "email": "jason@basecamp.com"}
    )
    return api_key_authorization(
        httpserver.url_for("/me"), response_template=PLAIN_USER_INFO_RESPONSE, **fields
    )


def run_of(authorization, staff, session, values=None) -> TestRun:
    """Start the authorization's test run as ``staff``; return the run."""
    return start_run(authorization, user=staff, session=session, values=values).run


def failed_step(run, name="User information") -> dict:
    """Return the run's failing step, after checking the run failed cleanly:
    nothing stored, one step failed (``name``), the run's message its error."""
    assert run.status == TestRun.Status.FAILED, run.message
    assert not ConnectedAccount.objects.exists()
    failing = [step for step in run.steps if not step["ok"]]
    assert len(failing) == 1, run.steps
    step = failing[0]
    assert step["name"] == name
    assert run.message == step["error"]
    return step


def start_url(authorization) -> str:
    """The authorization's Test authorization page, where a run starts."""
    return f"/admin/authorizations/authorization/{authorization.pk}/test/"


def page_text(client, url) -> str:
    """The admin page at ``url`` as ``client`` gets it (200), as text."""
    answer = client.get(url)
    assert answer.status_code == 200, url
    return answer.content.decode()
