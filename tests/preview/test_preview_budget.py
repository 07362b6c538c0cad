"""One time limit covers a whole preview, and a repeated preview does no
parsing again.

Times are compared with the configured limit (``twig.bounds(time=…)``),
never with an absolute figure: before, each of 50 headers had a limit of its
own, so a preview took 50 limits.
"""

import json
from time import perf_counter

import pytest
from django.urls import reverse

import twig
from authorizations.rendering import checks
from authorizations.samples import samples_for
from console.validators import MAX_HEADERS_PER_ENDPOINT

pytestmark = pytest.mark.django_db

PREVIEW_URL = reverse("admin:authorizations_endpoint_preview")
LIMIT = 0.5  # seconds: short, so the test is quick; far above a real render
USER_INFO = '{"user_identity": "{{ response.identity.email_address }}"}'
# A billion iterations over small ranges: nothing but time stops it.
HEAVY = (
    "{% for i in 1..1000 %}{% for j in 1..1000 %}{% for k in 1..1000 %}"
    "{% endfor %}{% endfor %}{% endfor %}"
)


def payload(**fields) -> dict:
    return {
        "kind": "user_info",
        "method": "GET",
        "url": "https://api.example.com/me",
        "request_template": "",
        "response_template": USER_INFO,
        "body_format": "none",
        "headers": [],
        "samples": samples_for("user_info"),
        **fields,
    }


def post(client, body: dict):
    return client.post(PREVIEW_URL, json.dumps(body), content_type="application/json")


def heavy_headers(count: int) -> list[dict]:
    # Distinct texts, so none is a compile-cache hit of another.
    return [
        {"name": f"X-Heavy-{index}", "value": f"{HEAVY}{{# {index} #}}"}
        for index in range(count)
    ]


def test_fifty_heavy_headers_share_one_time_limit(admin_client):
    with twig.bounds(time=LIMIT):
        started = perf_counter()
        response = post(admin_client, payload(headers=heavy_headers(50)))
        elapsed = perf_counter() - started

    assert response.status_code == 200
    answer = response.json()
    # One limit, plus compiling and checking 50 small templates: far from the
    # 50 limits that one deadline per template allowed.
    assert elapsed < 6 * LIMIT
    assert answer["errors"] == [
        {
            "field": "headers.0.value",
            "line": 1,
            "column": answer["errors"][0]["column"],
            "message": (
                f"The endpoint's templates together exceeded their time limit "
                f"({LIMIT:g} s) in this one, so it and the ones after it were not "
                "rendered; simplify its loops."
            ),
        }
    ]
    assert answer["request"]["headers"] == []
    assert answer["contract"] == {
        "ok": False,
        "values": {},
        "errors": [
            f"Not checked: the endpoint's templates exceeded their time limit "
            f"({LIMIT:g} s) before the response template was rendered."
        ],
    }


def test_a_heavy_url_body_and_response_share_one_time_limit(admin_client):
    with twig.bounds(time=LIMIT):
        started = perf_counter()
        response = post(
            admin_client,
            payload(
                method="POST",
                body_format="json",
                url="https://api.example.com/" + HEAVY,
                request_template=HEAVY + "{}",
                response_template=HEAVY + "{}",
            ),
        )
        elapsed = perf_counter() - started

    assert response.status_code == 200
    assert elapsed < 3 * LIMIT
    assert [error["field"] for error in response.json()["errors"]] == ["url"]


def test_more_headers_than_an_endpoint_may_have_are_refused_in_words(admin_client):
    started = perf_counter()
    response = post(
        admin_client, payload(headers=heavy_headers(MAX_HEADERS_PER_ENDPOINT + 1))
    )

    # Refused before any is rendered: well within one (default) time limit.
    assert perf_counter() - started < twig.current_limits().time
    assert response.status_code == 400
    assert response.json() == {
        "error": f"An endpoint has at most {MAX_HEADERS_PER_ENDPOINT} headers; "
        f"this one has {MAX_HEADERS_PER_ENDPOINT + 1}. Remove the headers it does "
        "not need."
    }


def test_a_repeated_preview_does_not_parse_its_templates_again(admin_client):
    body = payload(
        url="https://api.example.com/me?u={{ requestBody.usrname }}",
        headers=[
            {"name": "Authorization", "value": "Bearer {{ query.access_token }}"},
            {"name": "X-Trace", "value": "{{ query.acount_id }} (a unique text)"},
        ],
    )
    first = post(admin_client, body)
    analysed = checks.ANALYSES.analyses

    again = post(admin_client, body)

    assert checks.ANALYSES.analyses == analysed
    assert again.json() == first.json()
    # The warnings still come from the checks, cached or not.
    assert {w["field"] for w in again.json()["warnings"]} == {
        "url",
        "headers.1.value",
    }

    # One keystroke in one header: that header alone is read again.
    body["headers"][1]["value"] = "{{ query.acount_id }} (a unique text!)"
    post(admin_client, body)
    assert checks.ANALYSES.analyses == analysed + 1
