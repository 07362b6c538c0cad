"""Save-time checks: compile errors with their place, unknown variables as warnings."""

import pytest

import twig
from authorizations.rendering import checks
from authorizations.rendering.checks import AnalysisCache, check_endpoint_templates
from authorizations.rendering.context import variables
from authorizations.wording import closest_match as suggest


def check(kind="user_info", *, url="", request="", response="", headers=()):
    return check_endpoint_templates(
        kind=kind,
        url=url,
        request_template=request,
        response_template=response,
        headers=[{"name": "X", "value": value} for value in headers],
    )


def messages(problems):
    return [(p.field, p.line, p.column, p.message) for p in problems]


def test_clean_endpoint_has_no_problems():
    errors, warnings = check(
        "access_token",
        url="{{ app.api_base_url }}/token?code={{ requestBody.code }}",
        request='{"grant_type": "{{ requestBody.grant_type|default("code") }}"}',
        response='{"access_token": "{{ response.access_token }}",'
        ' "extras": {{ response|json_encode|raw }}}',
        headers=["Bearer {{ query.access_token }}", "{{ authorization.client_id }}"],
    )
    assert (errors, warnings) == ([], [])


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ x|shout }}", 'Unknown "shout" filter.'),
        ("{{ shout(x) }}", 'Unknown "shout" function.'),
        ("{% shout %}", 'Unknown "shout" tag.'),
        ("{{ x|safe }}", 'Unknown "safe" filter.'),
        ("{% if x %}", "Unexpected end of template."),
    ],
)
def test_compile_errors_are_errors(source, message):
    errors, warnings = check(request=source)
    assert [(e.field, e.message) for e in errors] == [("request_template", message)]
    assert warnings == []


def test_error_keeps_its_line_and_source_line():
    (error,), _ = check(response='{\n  "id": {{ response.id ]]\n}')
    assert (error.line, error.column) == (2, 24)
    assert error.source_line == '  "id": {{ response.id ]]'
    assert error.excerpt().splitlines()[1] == " " * 23 + "^"
    assert error.located_message().startswith("Line 2, column 24: ")


def test_each_header_value_is_checked_at_its_index():
    errors, warnings = check(
        headers=["fine", "{{ query.token|nope }}", "{{ query.x }}"]
    )
    assert [e.field for e in errors] == ["headers.1.value"]
    assert [w.field for w in warnings] == ["headers.2.value"]


def test_unknown_keys_suggest_the_right_one():
    _, warnings = check(
        "access_token",
        url="https://x/?a={{ requestBody.clientid }}&b={{ query.acces_token }}",
        request='{"v": "{{ requestBody.codeVerifier }}"}',
    )
    assert messages(warnings) == [
        (
            "url",
            1,
            17,
            "`requestBody.clientid` is never provided to an Access Token Endpoint, "
            "so it prints empty. Did you mean `client_id`?",
        ),
        (
            "url",
            1,
            46,
            "`query.acces_token` is never provided to an Access Token Endpoint, "
            "so it prints empty. Did you mean `access_token`?",
        ),
        (
            "request_template",
            1,
            11,
            "`requestBody.codeVerifier` is never provided to an Access Token "
            "Endpoint, so it prints empty. Did you mean `code_verifier`?",
        ),
    ]


def test_response_is_for_response_templates_only():
    _, warnings = check(
        url="https://x/{{ response.id }}",
        request="{{ response }}",
        headers=["{{ response.token }}"],
        response="{{ response.anything.at.all }}",
    )
    assert [w.field for w in warnings] == ["url", "request_template", "headers.0.value"]
    assert all("only available in response templates" in w.message for w in warnings)


def test_misspelt_root_and_secret_settings_are_warnings():
    _, warnings = check(
        request="{{ requestbody.code }}{{ authorization.client_secret }}{{ apps.slug }}"
    )
    assert [w.message for w in warnings] == [
        "`requestbody` is not a variable templates get, so it prints empty. "
        "Did you mean `requestBody`?",
        "`authorization.client_secret` is never given to templates, so it prints "
        "empty: secrets are not settings. Did you mean `requestBody.client_secret`?",
        "`apps` is not a variable templates get, so it prints empty. "
        "Did you mean `app`?",
    ]


def test_names_the_template_binds_are_not_warned_about():
    source = (
        "{% set who = response.user %}{{ who.name }}"
        "{% for key, item in response.items %}{{ key }}{{ item.id }}"
        "{{ loop.index }}{% endfor %}"
        "{{ response.list|map(x => x.id)|join }}"
        "{% macro row(cell) %}{{ cell.v }}{% endmacro %}"
        "{% import _self as m %}{{ m.row(1) }}"
        "{% with {inner: 1} %}{{ inner }}{% endwith %}"
    )
    _, warnings = check(response=source)
    assert warnings == []


def test_extras_and_computed_keys_are_left_alone():
    _, warnings = check(request="{{ query.extras.team }}{{ requestBody[name ~ 'x'] }}")
    # Only `name` is unknown: a computed key cannot be checked.
    assert [w.message.split(" ")[0] for w in warnings] == ["`name`"]


def test_one_warning_per_variable():
    _, warnings = check(request="{{ query.tokn }}{{ query.tokn }}")
    assert len(warnings) == 1


def test_suggest():
    keys = variables()["requestBody"]
    assert suggest("clientid", keys) == "client_id"
    assert suggest("CLIENT-ID", keys) == "client_id"
    assert suggest("redirect_url", keys) == "redirect_uri"
    assert suggest("zzz", keys) is None


# --- the analysis cache -------------------------------------------------------------


def test_checking_the_same_templates_again_parses_nothing():
    sources = {
        "url": "https://x.example.com/?c={{ requestBody.clientid }} (cache test)",
        "response": '{"user_identity": "{{ response.id }}"} {# cache test #}',
        "headers": ["Bearer {{ query.access_token }} {# cache test #}", "{{ a"],
    }
    first = check("user_info", **sources)
    analysed = checks.ANALYSES.analyses

    again = check("user_info", **sources)

    assert checks.ANALYSES.analyses == analysed
    assert messages(again[0]) == messages(first[0])
    assert messages(again[1]) == messages(first[1])
    assert [p.field for p in again[0]] == ["headers.1.value"]
    assert "Did you mean `client_id`?" in again[1][0].message


def test_the_same_source_in_another_field_is_reported_at_that_field():
    header = check(headers=["{{ query.acces_token }} {# moved #}"])
    url = check(url="{{ query.acces_token }} {# moved #}")
    assert [p.field for p in header[1]] == ["headers.0.value"]
    assert [p.field for p in url[1]] == ["url"]


def test_the_cache_is_bounded_by_count_and_by_the_source_it_holds():
    cache = AnalysisCache(size=2, source_chars=1000)
    for index in range(3):
        cache.analyse(f"{{{{ a }}}} {index}")
    assert cache.analyses == 3
    cache.analyse("{{ a }} 2")
    assert cache.analyses == 3  # still held
    cache.analyse("{{ a }} 0")
    assert cache.analyses == 4  # evicted by the third

    big = AnalysisCache(size=100, source_chars=1000)
    big.analyse("x" * 600)
    big.analyse("y" * 600)
    big.analyse("x" * 600)
    assert big.analyses == 3  # the first made room for the second


def test_a_result_depends_on_the_limits_in_force():
    source = "{{ a }} {# limits in the key #}" + " " * 100
    with twig.bounds(source=50):
        problem = checks.compile_problem(source, field="url")
    assert problem is not None and "size limit" in problem.message
    # The error found under the smaller limit is not reused outside it.
    assert checks.compile_problem(source, field="url") is None
