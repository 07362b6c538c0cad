"""Hostile input to the preview view: every answer is a 400 or a field error in
words, never a 500, never a secret, and nothing is stored.

Each request goes through the Django test client to the real view, as the
panel's would.
"""

import json

import pytest
from django.urls import reverse

from apps.models import App
from authorizations.models import Authorization, Endpoint, Header
from authorizations.plain_data import MAX_DEPTH, MAX_INTEGER_DIGITS
from authorizations.samples import samples_for
from console.validators import MAX_HEADERS_PER_ENDPOINT
from tests.factories import EndpointFactory, HeaderFactory, OAuth2AuthorizationFactory

pytestmark = pytest.mark.django_db

PREVIEW_URL = reverse("admin:authorizations_endpoint_preview")
# A sample secret that must never come back, whatever else goes wrong.
SECRET = "sk_live_never-shown-4242"
USER_INFO = '{"user_identity": "{{ response.identity.email_address }}"}'


def payload(**fields) -> dict:
    samples = samples_for("user_info")
    samples["query"]["access_token"] = SECRET
    return {
        "kind": "user_info",
        "method": "GET",
        "url": "https://api.example.com/me?t={{ query.access_token }}",
        "request_template": "",
        "response_template": USER_INFO,
        "body_format": "none",
        "headers": [
            {"name": "Authorization", "value": "Bearer {{ query.access_token }}"}
        ],
        "samples": samples,
        **fields,
    }


def refuse_constant(name):
    raise AssertionError(f"{name} in the answer: not JSON a browser can parse")


def post(client, body, **query):
    """Post ``body`` (a payload or raw text) and check what every answer must be."""
    if isinstance(body, dict):
        body = json.dumps(body)
    url = PREVIEW_URL
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    before = stored()
    response = client.post(url, body, content_type="application/json")
    assert response.status_code in (200, 400), response.content[:500]
    text = response.content.decode()
    assert SECRET not in text and "never-shown" not in text
    assert stored() == before
    return response, json.loads(text, parse_constant=refuse_constant)


def stored():
    return [
        list(model.objects.order_by("pk").values())
        for model in (App, Authorization, Endpoint, Header)
    ]


def field_errors(answer, field):
    return [e["message"] for e in answer["errors"] if e["field"] == field]


@pytest.fixture(autouse=True)
def existing_endpoint():
    # Something to leave untouched: the preview must store nothing.
    endpoint = EndpointFactory(authorization=OAuth2AuthorizationFactory())
    HeaderFactory(endpoint=endpoint)
    return endpoint


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_samples_nested_950_levels_deep_are_a_400_that_says_where(admin_client):
    body = json.dumps(payload()).replace(
        '"extras": {', f'"deep": {nested(950)}, "extras": {{'
    )
    assert len(body) < 4000  # about the 2 KB POST that used to answer 500

    response, answer = post(admin_client, body)

    assert response.status_code == 400
    assert answer["error"].startswith(f"The data nests more than {MAX_DEPTH} levels")


@pytest.mark.parametrize("name", ["requestBody", "query", "response"])
def test_a_deep_sample_written_as_json_text_is_an_error_on_its_field(
    admin_client, name
):
    samples = samples_for("user_info")
    samples[name] = json.dumps({"deep": json.loads(nested(950))})
    response, answer = post(admin_client, payload(samples=samples))

    assert response.status_code == 200
    [message] = field_errors(answer, f"samples.{name}")
    assert message.startswith(
        f"The data nests more than {MAX_DEPTH} levels deep at samples.{name}"
    )


def test_a_5000_digit_integer_in_the_request_is_a_400(admin_client):
    body = json.dumps(payload()).replace('"account_id": 99999999', '"n": ' + "9" * 5000)

    response, answer = post(admin_client, body)

    assert response.status_code == 400
    assert answer["error"] == (
        f"A number has 5000 digits; numbers may have at most {MAX_INTEGER_DIGITS}. "
        "Write a longer one as text (in quotes)."
    )


@pytest.mark.parametrize("name", ["query", "response"])
def test_a_5000_digit_integer_in_a_json_text_sample_is_an_error_on_its_field(
    admin_client, name
):
    samples = samples_for("user_info")
    samples[name] = '{"n": ' + "9" * 5000 + "}"
    response, answer = post(admin_client, payload(samples=samples))

    assert response.status_code == 200
    assert field_errors(answer, f"samples.{name}") == [
        f"A number at samples.{name} has 5000 digits; numbers may have at most "
        f"{MAX_INTEGER_DIGITS}. Write a longer one as text (in quotes)."
    ]


def test_a_lone_surrogate_in_a_sample_secret_is_a_400_that_hides_the_secret(
    admin_client,
):
    # json.dumps writes the surrogate as the \udcff escape, as a hostile
    # client would send it.
    body = payload()
    body["samples"]["query"]["access_token"] = "ab\udcff" + SECRET

    response, answer = post(admin_client, body)

    assert response.status_code == 400
    assert answer["error"] == (
        "The text at samples.query.access_token holds an unpaired UTF-16 "
        "surrogate (\\udcff at character 3), which is not a character; remove "
        "it or pair it."
    )


def test_a_lone_surrogate_in_a_json_text_sample_is_an_error_on_its_field(
    admin_client,
):
    samples = samples_for("user_info")
    samples["query"] = json.dumps({"access_token": "ab\udcff" + SECRET})
    response, answer = post(admin_client, payload(samples=samples))

    assert response.status_code == 200
    [message] = field_errors(answer, "samples.query")
    assert "unpaired UTF-16 surrogate" in message
    assert "samples.query.access_token" in message


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("NaN", "NaN is not a JSON value; write it as text, in quotes."),
        ("-Infinity", "-Infinity is not a JSON value; write it as text, in quotes."),
        (
            "1e999",
            "The number 1e999 is too large to be a number; write it as text, "
            "in quotes.",
        ),
    ],
)
def test_numbers_json_does_not_have_are_refused_in_words(admin_client, number, message):
    body = json.dumps(payload()).replace("99999999}", number + "}")
    response, answer = post(admin_client, body)
    assert response.status_code == 400
    assert answer["error"] == message

    samples = samples_for("user_info")
    samples["response"] = '{"id": ' + number + "}"
    response, answer = post(admin_client, payload(samples=samples))
    assert response.status_code == 200
    assert field_errors(answer, "samples.response") == [
        message.replace(" is not", " at samples.response is not").replace(
            " is too large", " at samples.response is too large"
        )
    ]


def test_a_body_that_is_not_utf8_is_a_400(admin_client):
    response, answer = post(admin_client, b'{"kind": "\xff\xfe"}')
    assert response.status_code == 400
    assert answer["error"] == "The request is not UTF-8 text."


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ("Authorization: Bearer x", '"headers" must be a list of {"name", "value"}.'),
        ({"name": "A", "value": "b"}, '"headers" must be a list of {"name", "value"}.'),
        ([["Accept", "application/json"]], "Header 1 must be an object."),
        ([None], "Header 1 must be an object."),
        ([{"name": "A"}, 7], "Header 2 must be an object."),
        ([{"name": 1, "value": "x"}], "Header 1's name and value must be text."),
        ([{"name": "A", "value": ["x"]}], "Header 1's name and value must be text."),
        ([{"name": "A", "value": {"x": 1}}], "Header 1's name and value must be text."),
    ],
)
def test_headers_of_odd_shapes_are_a_400_in_words(admin_client, headers, message):
    response, answer = post(admin_client, payload(headers=headers))
    assert response.status_code == 400
    assert answer == {"error": message}


def test_empty_header_rows_are_no_headers(admin_client):
    headers = [{"name": None, "value": None}, {}, {"name": " ", "value": "\n"}]
    response, answer = post(admin_client, payload(headers=headers))
    assert response.status_code == 200
    assert answer["request"]["headers"] == []
    assert answer["errors"] == []


def test_more_headers_than_an_endpoint_may_have_are_refused_before_rendering(
    admin_client,
):
    headers = [
        {"name": f"X-Header-{index}", "value": "{{ nope|no_such_filter }}"}
        for index in range(MAX_HEADERS_PER_ENDPOINT + 1)
    ]
    response, answer = post(admin_client, payload(headers=headers))

    assert response.status_code == 400
    assert answer == {
        "error": f"An endpoint has at most {MAX_HEADERS_PER_ENDPOINT} headers; "
        f"this one has {MAX_HEADERS_PER_ENDPOINT + 1}. Remove the headers it does "
        "not need."
    }


def test_as_many_headers_as_an_endpoint_may_have_are_previewed(admin_client):
    headers = [
        {"name": f"X-Header-{index}", "value": f"{index}"}
        for index in range(MAX_HEADERS_PER_ENDPOINT)
    ]
    # Blank rows the admin's "Add another" leaves are not counted.
    headers.append({"name": "", "value": ""})
    response, answer = post(admin_client, payload(headers=headers))
    assert response.status_code == 200
    assert len(answer["request"]["headers"]) == MAX_HEADERS_PER_ENDPOINT


@pytest.mark.parametrize("key", ["²", "9" * 40, "-1", "1e3"])
def test_an_authorization_id_that_is_not_one_previews_without_it(admin_client, key):
    response, answer = post(admin_client, payload(), authorization=key)
    assert response.status_code == 200
    assert answer["errors"] == []


def test_nul_and_control_characters_are_named_not_called_spaces(admin_client):
    response, answer = post(
        admin_client,
        payload(url="https://api.example.com/me\x00?t=1"),
    )
    assert response.status_code == 200
    [message] = field_errors(answer, "url")
    assert "contains a NUL character (U+0000)" in message


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ('"n": ' + "9" * 5000, "a number has 5000 digits (at most 32)"),
        ('"n": 1e999', "a number is too large to be a number"),
        ('"n": NaN', "NaN is not a JSON value"),
        ('"n": "\\udcff"', "unpaired UTF-16 surrogate"),
        ('"n": ' + nested(100), f"nests more than {MAX_DEPTH} levels deep at n[0]"),
        ('"n": ' + nested(5000), "nest too deeply"),
    ],
)
def test_an_output_json_cannot_hold_is_an_error_on_the_template(
    admin_client, output, message
):
    template = '{"user_identity": "someone", ' + output + "}"
    response, answer = post(admin_client, payload(response_template=template))

    assert response.status_code == 200
    [error] = field_errors(answer, "response_template")
    assert message in error
    assert answer["contract"]["ok"] is False


def test_a_request_body_json_cannot_hold_is_an_error_not_a_crash(admin_client):
    response, answer = post(
        admin_client,
        payload(
            method="POST",
            body_format="form",
            request_template='{"a": "\\udcff", "b": 1e999}',
        ),
    )
    assert response.status_code == 200
    assert field_errors(answer, "request_template")
    assert answer["request"]["body"] is None


def test_an_expiry_at_the_edge_of_the_calendar_is_an_error_not_a_crash(
    admin_client,
):
    samples = samples_for("access_token")
    response, answer = post(
        admin_client,
        payload(
            kind="access_token",
            samples=samples,
            response_template=(
                '{"access_token": "x", "expires_at": "0001-01-01T00:00:00+01:00"}'
            ),
        ),
    )
    assert response.status_code == 200
    [error] = field_errors(answer, "response_template")
    assert error.startswith("expires_at must be an ISO 8601 time")


def test_a_very_long_secret_is_masked_and_the_preview_answers(admin_client):
    body = payload()
    body["samples"]["query"]["access_token"] = SECRET + "x" * 100_000
    response, answer = post(admin_client, body)
    assert response.status_code == 200
    assert answer["request"]["url"] == "https://api.example.com/me?t=••••xxxx"
    assert answer["request"]["headers"] == [["Authorization", "Bearer ••••xxxx"]]


def test_a_one_letter_secret_does_not_garble_the_messages(admin_client):
    samples = samples_for("access_token")
    samples["query"]["access_token"] = "a"
    response, answer = post(
        admin_client,
        payload(
            kind="access_token",
            samples=samples,
            url="https://api.example.com/a/token?t={{ query.access_token }}",
            response_template=(
                '{"access_token": "{{ query.access_token }}", '
                '"expires_in": "{{ query.access_token }}"}'
            ),
        ),
    )

    assert response.status_code == 200
    assert field_errors(answer, "response_template") == [
        'expires_in must be a number of seconds, not "••••".'
    ]
    # As a value it is masked wherever it stands alone.
    assert answer["request"]["url"] == "https://api.example.com/••••/token?t=••••"
    assert json.loads(answer["output"]) == {
        "access_token": "••••",
        "expires_in": "••••",
    }
