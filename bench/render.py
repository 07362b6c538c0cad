# ruff: noqa: E501 - the templates are written as an integration developer would.
"""Render a realistic endpoint through our Twig engine and through bare Jinja2.

Run as ``.venv/bin/python bench/render.py [--renders N] [--rounds R]``.

The endpoint is a token exchange followed by a user-info mapping: a URL with
four parameters, three headers, a JSON request body with a conditional and a
response template.  Each round renders the whole endpoint N times with each
engine; the ratio printed is the median over the rounds (machines here are
noisy, so no absolute time is asserted anywhere).  Goal: ≤ 1.5×, for

* ``templating.render`` — the public call, which checks the data every time;
* ``compile_template`` + ``PreparedContext`` — data checked once per endpoint;
* ``render_escaped`` — the same with contextual escaping, as endpoints render.

The whole rendering service (escaping, then parsing and checking the JSON
output against its contract) is printed for information: it does work that
bare Jinja2 does not.  Every line runs with the template limits on.

Also asserted here, not in the tests: each distinct template text is compiled
once, however many times it is rendered.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integry.settings")

import jinja2  # noqa: E402

from authorizations import templating  # noqa: E402
from authorizations.samples import BASECAMP_AUTHORIZATION  # noqa: E402
from authorizations.templating.environment import (  # noqa: E402
    get_environment,
    prepare_context,
)

GOAL = 1.5
# Lines that do more than render (parse and check the JSON output too): shown
# for information, not held to the goal.
INFO_PREFIX = "info: "

# The endpoint, in Twig (what an integration developer writes).
TWIG = {
    "url": (
        "{{ app.base_url }}/oauth/token?client_id={{ requestBody.client_id }}"
        "&redirect_uri={{ requestBody.redirect_uri|url_encode }}"
        "&code={{ requestBody.code }}&grant_type={{ requestBody.grant_type }}"
    ),
    "header_authorization": "Basic {{ query.basic_credentials }}",
    "header_accept": "application/json",
    "header_user_agent": "{{ app.slug }}-connector/{{ authorization.version }}",
    "body": """{
  "client_id": "{{ requestBody.client_id }}",
  "client_secret": "{{ requestBody.client_secret }}",
  "grant_type": "{{ requestBody.grant_type }}",
  "code": "{{ requestBody.code }}",
  "redirect_uri": "{{ requestBody.redirect_uri }}"{% if requestBody.code_verifier is defined %},
  "code_verifier": "{{ requestBody.code_verifier }}"{% endif %}
}
""",
    "response": """{
  "user_identity": "{{ response.identity.first_name }} {{ response.identity.last_name }} / {{ response.identity.email_address }}",
  "account_id": "{{ response.identity.id }}",
  "extras": {"accounts": {{ response.accounts|length }}, "href": "{{ response.accounts[0].href ?? '' }}"}
}
""",
}

# The same text in Jinja2's own dialect: only the two spellings Twig has and
# Jinja2 lacks differ.
JINJA = {
    **TWIG,
    "url": TWIG["url"].replace("|url_encode", "|urlencode"),
    "response": TWIG["response"].replace("?? ''", "if response.accounts else ''"),
}

CONTEXT = {
    "app": {"base_url": "https://launchpad.37signals.com", "slug": "basecamp"},
    "authorization": {"version": "3", "scopes": ["read", "write"]},
    "requestBody": {
        "client_id": "a1b2c3d4e5",
        "client_secret": "s3cr3t-value-0123456789",
        "grant_type": "authorization_code",
        "code": "c0de-4c9f-8b2e",
        "redirect_uri": "https://console.example.com/oauth/callback?state=xyz",
        "code_verifier": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    },
    "query": {"basic_credentials": "YTFiMmMzZDRlNTpzM2NyM3Q="},
    "response": BASECAMP_AUTHORIZATION,
}


def twig_endpoint_via_render() -> list[str]:
    """Render as a caller that only knows ``templating.render`` would."""
    render = templating.render
    return [render(source, CONTEXT) for source in TWIG.values()]


def twig_endpoint_compiled() -> list[str]:
    """Render as the endpoint code does: compile (cached), check the data once."""
    compile_template = templating.compile_template
    context = prepare_context(CONTEXT)
    return [compile_template(source).render(context) for source in TWIG.values()]


def make_jinja_endpoint():
    environment = jinja2.Environment()
    templates = [environment.from_string(source) for source in JINJA.values()]

    def jinja_endpoint() -> list[str]:
        return [template.render(CONTEXT) for template in templates]

    return jinja_endpoint


def make_rendering_endpoints() -> dict:
    """Bench the endpoint rendering service too, when it exists.

    ``render_escaped`` is the same templates with contextual escaping (URL,
    header, JSON); ``render_request`` + ``render_response`` is the whole
    service, which also parses and checks the JSON output (the contracts),
    work bare Jinja2 does not do.
    """
    try:
        import django

        django.setup()
        from authorizations import rendering
        from authorizations.templating.escaping import Output, render_escaped
    except ImportError:
        return {}
    outputs = {
        "url": Output.URL,
        "header_authorization": Output.HEADER,
        "header_accept": Output.HEADER,
        "header_user_agent": Output.HEADER,
        "body": Output.JSON,
        "response": Output.JSON,
    }

    def escaped_endpoint() -> list[str]:
        context = prepare_context(CONTEXT)
        return [
            render_escaped(source, context, output=outputs[name])
            for name, source in TWIG.items()
        ]

    headers = [
        {"name": "Authorization", "value": TWIG["header_authorization"]},
        {"name": "Accept", "value": TWIG["header_accept"]},
        {"name": "User-Agent", "value": TWIG["header_user_agent"]},
    ]

    def service_endpoint():
        context = prepare_context(CONTEXT)
        request = rendering.render_request(
            method="POST",
            url=TWIG["url"],
            request_template=TWIG["body"],
            body_format="json",
            headers=headers,
            context=context,
        )
        output, contract = rendering.render_response(
            kind="user_info", response_template=TWIG["response"], context=context
        )
        assert contract.ok, contract.errors
        return request, output

    return {
        "render_escaped (contextual escaping)": escaped_endpoint,
        INFO_PREFIX + "rendering service (escaping + contracts)": service_endpoint,
    }


def time_rounds(function, renders: int) -> float:
    start = time.perf_counter()
    for _ in range(renders):
        function()
    return time.perf_counter() - start


def compile_count() -> int:
    """Count compiles: each environment caches one template per distinct text."""
    environments = [get_environment()]
    try:
        from authorizations.templating.escaping import get_escaping_environment

        environments.append(get_escaping_environment())
    except ImportError:
        pass
    return sum(len(environment._cache) for environment in environments)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)

    jinja_endpoint = make_jinja_endpoint()
    candidates = {
        "templating.render": twig_endpoint_via_render,
        "compile_template + PreparedContext": twig_endpoint_compiled,
    }
    candidates.update(make_rendering_endpoints())

    # Warm up: compile every template once and check each engine agrees with
    # itself on the output; then no render may compile again.
    before = compile_count()
    for function in (jinja_endpoint, *candidates.values()):
        function()
    compiled = compile_count() - before
    # One compile per text and environment (plain Twig, contextual escaping).
    assert compiled <= 2 * len(TWIG), f"{compiled} compiles for {len(TWIG)} texts"

    timings = {name: [] for name in candidates}
    jinja_times = []
    for _ in range(args.rounds):
        jinja_times.append(time_rounds(jinja_endpoint, args.renders))
        for name, function in candidates.items():
            timings[name].append(time_rounds(function, args.renders))

    after = compile_count()
    assert after == before + compiled, "a render compiled its template again"

    jinja_us = statistics.median(jinja_times) / args.renders * 1e6
    print(f"bare Jinja2: {jinja_us:.1f} µs per endpoint ({len(JINJA)} templates)")
    worst = 0.0
    for name, times in timings.items():
        ratios = [
            ours / theirs for ours, theirs in zip(times, jinja_times, strict=True)
        ]
        ratio = statistics.median(ratios)
        ours_us = statistics.median(times) / args.renders * 1e6
        if name.startswith(INFO_PREFIX):
            print(f"{name}: {ours_us:.1f} µs, {ratio:.2f}× Jinja2")
            continue
        worst = max(worst, ratio)
        verdict = "ok" if ratio <= GOAL else "OVER GOAL"
        print(f"{name}: {ours_us:.1f} µs, {ratio:.2f}× Jinja2 ({verdict})")
    print(f"compiles: {compiled} for {len(TWIG)} distinct texts, none while rendering")
    return 0 if worst <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
