# ruff: noqa: E501 - the templates are written as an integration developer would.
"""Render realistic endpoints through our Twig engine and through bare Jinja2.

Run as ``.venv/bin/python bench/render.py [--rounds R] [--chunk-ms MS]
[--clock cpu|wall] [--each]``.

Two endpoints, each rendered whole (URL, every header, request body and
response mapping):

* a token exchange followed by Basecamp's user info (small templates, where
  Jinja2's fixed cost per call dominates);
* a 2 KB user info endpoint: a URL with a conditional parameter, six headers,
  a request body with a loop, and a response mapping that loops over a
  provider's nested lists (e-mails, organizations and their teams) with
  conditionals.

Each engine is compared with the same templates compiled by bare Jinja2 (the
"twin", in Jinja2's spelling; its output is checked to equal our plain Twig
render, so both do the same work).  Machines here are shared and noisy, so
engine and twin are timed alternately in chunks of a few milliseconds of
this thread's CPU time, many rounds: each round gives one ratio, and the
median and the spread (quartiles) of the ratios are printed.  Goal: ≤ 1.5×,
on every endpoint, for

* ``compile_template`` + ``PreparedContext`` — data checked once per endpoint;
* ``render_escaped`` — the same with contextual escaping, as endpoints render,
  and each template alone (the worst is printed; ``--each`` prints all).

Printed for information, as they do work that bare Jinja2 does not:

* ``templating.render`` — the public call, which checks the whole context
  for each template (nine times per endpoint here: a caller that renders
  several templates prepares the context once, as the service does);
* the whole rendering service (``render_request`` + ``render_response``:
  escaping, then parsing and checking the JSON output against its contract).

Every line runs with the template limits on.

Compiles are counted: after the warm-up, a render that compiles (a cache
miss) fails the bench.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integry.settings")

import jinja2  # noqa: E402

import twig as templating  # noqa: E402
from authorizations.samples import BASECAMP_AUTHORIZATION  # noqa: E402
from twig import prepare_context  # noqa: E402

GOAL = 1.5
# Lines that do more than render (parse and check the JSON output too): shown
# for information, not held to the goal.
INFO_PREFIX = "info: "


@dataclass
class Endpoint:
    """An endpoint's templates in Twig, their Jinja2 twin and the render data."""

    name: str
    url: str
    headers: dict[str, str]
    body: str
    response: str
    context: dict
    # (Twig spelling, Jinja2 spelling) pairs: the twin is the Twig text with
    # these replaced, so the two can never drift apart.
    spellings: list[tuple[str, str]] = field(default_factory=list)
    kind: str = "user_info"

    def twig(self) -> dict[str, str]:
        texts = {"url": self.url, "body": self.body, "response": self.response}
        for name, value in self.headers.items():
            texts[f"header {name}"] = value
        return texts

    def jinja(self) -> dict[str, str]:
        texts = {}
        for name, text in self.twig().items():
            for twig_spelling, jinja_spelling in self.spellings:
                text = text.replace(twig_spelling, jinja_spelling)
            texts[name] = text
        return texts


TOKEN_EXCHANGE = Endpoint(
    name="token exchange (small)",
    url=(
        "{{ app.base_url }}/oauth/token?client_id={{ requestBody.client_id }}"
        "&redirect_uri={{ requestBody.redirect_uri|url_encode }}"
        "&code={{ requestBody.code }}&grant_type={{ requestBody.grant_type }}"
    ),
    headers={
        "Authorization": "Basic {{ query.basic_credentials }}",
        "Accept": "application/json",
        "User-Agent": "{{ app.slug }}-connector/{{ authorization.version }}",
    },
    body="""{
  "client_id": "{{ requestBody.client_id }}",
  "client_secret": "{{ requestBody.client_secret }}",
  "grant_type": "{{ requestBody.grant_type }}",
  "code": "{{ requestBody.code }}",
  "redirect_uri": "{{ requestBody.redirect_uri }}"{% if requestBody.code_verifier is defined %},
  "code_verifier": "{{ requestBody.code_verifier }}"{% endif %}
}
""",
    response="""{
  "user_identity": "{{ response.identity.first_name }} {{ response.identity.last_name }} / {{ response.identity.email_address }}",
  "account_id": "{{ response.identity.id }}",
  "extras": {"accounts": {{ response.accounts|length }}, "href": "{{ response.accounts[0].href ?? '' }}"}
}
""",
    spellings=[("?? ''", "if response.accounts else ''")],
    context={
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
    },
)

# A user info reply shaped like the big providers' (GitHub's /user with its
# e-mails and organizations, Microsoft Graph's memberships): nested lists of
# objects, flags to test, a few values missing.
USER_INFO_REPLY = {
    "id": 583231,
    "login": "octocat",
    "name": "Mona Lisa Octocat",
    "avatar_url": "https://avatars.example.com/u/583231?v=4",
    "locale": "en-GB",
    "plan": {"name": "business", "seats": 25, "filled_seats": 17},
    "emails": [
        {"email": "mona@old-job.example", "primary": False, "verified": True},
        {"email": "octocat@example.com", "primary": True, "verified": True},
        {"email": "mona+spam@example.org", "primary": False, "verified": False},
    ],
    "organizations": [
        {
            "id": 9919,
            "name": "Acme Robotics",
            "role": "admin",
            "teams": [
                {"slug": "platform", "members": 12},
                {"slug": "security", "members": 4},
                {"slug": "mobile", "members": 9},
            ],
        },
        {
            "id": 12044,
            "name": 'Open Source "Friends"',
            "role": "member",
            "teams": [{"slug": "docs", "members": 31}],
        },
        {
            "id": 30117,
            "name": "Zürich Labs",
            "role": "member",
            "teams": [
                {"slug": "research", "members": 6},
                {"slug": "ml-infra", "members": 3},
            ],
        },
        {"id": 44001, "name": "Side Project", "role": "billing", "teams": []},
    ],
}

USER_INFO = Endpoint(
    name="user info (2 KB, loops)",
    url=(
        "{{ app.base_url }}/v2/users/{{ query.extras.account_id }}/profile"
        "?fields={{ authorization.fields|join(',') }}"
        "&include=emails,organizations"
        "{% if requestBody.locale is defined %}&locale={{ requestBody.locale }}{% endif %}"
        "{% for scope in authorization.scopes %}&scope[]={{ scope }}{% endfor %}"
    ),
    headers={
        "Authorization": "Bearer {{ query.access_token }}",
        "Accept": "application/vnd.acme.v2+json",
        "User-Agent": "{{ app.slug }}-connector/{{ authorization.version }} (+{{ app.docs_url }})",
        "X-Request-Id": "{{ requestBody.client_id }}-{{ query.extras.account_id }}",
        "X-Scopes": "{{ authorization.scopes|join(' ') }}",
        "Content-Type": "application/json",
    },
    body="""{
  "client_id": "{{ requestBody.client_id }}",
  "grant_type": "{{ requestBody.grant_type }}",
  "scope": "{{ authorization.scopes|join(' ') }}",
  "fields": [{% for name in authorization.fields %}"{{ name }}"{% if not loop.last %}, {% endif %}{% endfor %}],
{% if requestBody.code_verifier is defined %}
  "code_verifier": "{{ requestBody.code_verifier }}",
{% endif %}
  "redirect_uri": "{{ requestBody.redirect_uri }}"
}
""",
    response="""{
  "user_identity": "{{ response.name ?? response.login }}{% for e in response.emails %}{% if e.primary and e.verified %} <{{ e.email }}>{% endif %}{% endfor %}",
  "account_id": "{{ response.id }}",
  "extras": {
    "login": "{{ response.login }}",
    "avatar": "{{ response.avatar_url }}",
    "plan": "{{ response.plan.name|upper }}",
    "seats": {{ response.plan.seats }},
    "free_seats": {{ response.plan.seats - response.plan.filled_seats }},
    "emails": [{% for e in response.emails %}
      {"address": "{{ e.email|lower }}", "primary": {% if e.primary %}true{% else %}false{% endif %}, "verified": {% if e.verified %}true{% else %}false{% endif %}}{% if not loop.last %},{% endif %}
{% endfor %}
    ],
    "organizations": [{% for org in response.organizations %}
      {"id": {{ org.id }}, "name": "{{ org.name }}", "role": "{{ org.role }}",
       "admin": {% if org.role == 'admin' %}true{% else %}false{% endif %},
       "teams": [{% for team in org.teams %}"{{ team.slug }}"{% if not loop.last %}, {% endif %}{% endfor %}],
       "members": {% if org.teams|length > 0 %}{{ (org.teams|first).members }}{% else %}0{% endif %}}{% if not loop.last %},{% endif %}
{% endfor %}
    ],
    "locale": "{{ response.locale|default('en') }}"
  }
}
""",
    spellings=[("response.name ?? response.login", "response.name or response.login")],
    context={
        "app": {
            "base_url": "https://api.acme.example",
            "slug": "acme",
            "docs_url": "https://developer.acme.example/docs",
        },
        "authorization": {
            "version": "2",
            "scopes": ["profile", "email", "org:read"],
            "fields": ["id", "login", "name", "avatar_url", "locale", "plan"],
        },
        "requestBody": {
            "client_id": "acme-7f3a9c21",
            "grant_type": "authorization_code",
            "redirect_uri": "https://console.example.com/oauth/callback",
            "code_verifier": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            "locale": "en-GB",
        },
        "query": {
            "access_token": "gho_16C7e42F292c6912E7710c838347Ae178B4a",
            "extras": {"account_id": 583231},
        },
        "response": USER_INFO_REPLY,
    },
)

ENDPOINTS = (TOKEN_EXCHANGE, USER_INFO)


# --- the ways of rendering an endpoint ---------------------------------------


def via_render(endpoint: Endpoint):
    """Render as a caller that only knows ``templating.render`` would."""
    render = templating.render
    texts = list(endpoint.twig().values())
    context = endpoint.context

    def run() -> list[str]:
        return [render(source, context) for source in texts]

    return run


def via_compiled(endpoint: Endpoint):
    """Render as the endpoint code does: compile (cached), check the data once."""
    compile_template = templating.compile_template
    texts = list(endpoint.twig().values())
    context = endpoint.context

    def run() -> list[str]:
        prepared = prepare_context(context)
        return [compile_template(source).render(prepared) for source in texts]

    return run


def via_jinja(endpoint: Endpoint):
    """Bare Jinja2 with Twig's whitespace rules, templates compiled beforehand.

    Jinja2's ``urlencode`` keeps "/", Twig's ``url_encode`` does not: the twin
    gets Twig's, one ``quote`` call as Jinja2's is.
    """
    environment = jinja2.Environment(trim_blocks=True, keep_trailing_newline=True)
    environment.filters["url_encode"] = lambda value: quote(str(value), safe="~")
    templates = [environment.from_string(text) for text in endpoint.jinja().values()]
    context = endpoint.context

    def run() -> list[str]:
        return [template.render(context) for template in templates]

    return run


def via_escaping(endpoint: Endpoint):
    """Render each template with the contextual escaping of its output."""
    from twig import Output, render_escaped

    outputs = {"url": Output.URL, "body": Output.JSON, "response": Output.JSON}
    work = [
        (source, outputs.get(name, Output.HEADER))
        for name, source in endpoint.twig().items()
    ]
    context = endpoint.context

    def run() -> list[str]:
        prepared = prepare_context(context)
        return [render_escaped(source, prepared, output=out) for source, out in work]

    return run


def via_service(endpoint: Endpoint):
    """The whole service: an endpoint into a request, a reply into its output."""
    from authorizations import rendering

    headers = [{"name": n, "value": v} for n, v in endpoint.headers.items()]
    context = endpoint.context

    def run():
        prepared = prepare_context(context)
        request = rendering.render_request(
            method="POST",
            url=endpoint.url,
            request_template=endpoint.body,
            body_format="json",
            headers=headers,
            context=prepared,
        )
        output, contract = rendering.render_response(
            kind=endpoint.kind, response_template=endpoint.response, context=prepared
        )
        assert contract.ok, contract.errors
        return request, output

    return run


# --- measuring -----------------------------------------------------------------


def compile_count() -> int:
    """Count the compiles (cache misses) of every environment the bench uses."""
    return templating.compile_count()


def calls_per_chunk(function, chunk: float) -> int:
    """How many calls of ``function`` take about ``chunk`` seconds."""
    calls = 1
    while True:
        elapsed = timed(function, calls)
        if elapsed >= chunk / 4:
            return max(1, round(calls * chunk / elapsed))
        calls *= 2


# The machines here are shared: wall time counts the moments another process
# had the CPU, so chunks are timed in this thread's CPU time by default.
CLOCKS = {"cpu": time.thread_time, "wall": time.perf_counter}
clock = CLOCKS["cpu"]


def timed(function, calls: int) -> float:
    start = clock()
    for _ in range(calls):
        function()
    return clock() - start


def compare(ours, theirs, *, rounds: int, chunk: float) -> tuple[list[float], float]:
    """Time both alternately in chunks; return the ratios and ours in µs/call.

    Both run the same number of calls per chunk (sized on the baseline), and
    the order flips each round so neither always runs on a warmer cache.
    """
    calls = calls_per_chunk(theirs, chunk)
    ratios, ours_times = [], []
    for round_ in range(rounds):
        if round_ % 2:
            mine = timed(ours, calls)
            base = timed(theirs, calls)
        else:
            base = timed(theirs, calls)
            mine = timed(ours, calls)
        ratios.append(mine / base)
        ours_times.append(mine / calls)
    return ratios, statistics.median(ours_times) * 1e6


def quartiles(values: list[float]) -> tuple[float, float]:
    q1, _, q3 = statistics.quantiles(values, n=4)
    return q1, q3


def escaped_templates(endpoint: Endpoint) -> dict:
    """Pair each template's ``render_escaped`` with its twin's bare render."""
    from twig import Output, render_escaped

    environment = jinja2.Environment(trim_blocks=True, keep_trailing_newline=True)
    environment.filters["url_encode"] = lambda value: quote(str(value), safe="~")
    outputs = {"url": Output.URL, "body": Output.JSON, "response": Output.JSON}
    context = endpoint.context
    prepared = prepare_context(context)
    pairs = {}
    for (name, source), twin in zip(
        endpoint.twig().items(), endpoint.jinja().values(), strict=True
    ):
        output = outputs.get(name, Output.HEADER)
        template = environment.from_string(twin)
        pairs[name] = (
            functools.partial(render_escaped, source, prepared, output=output),
            functools.partial(template.render, context),
        )
    return pairs


def report(name: str, ratios: list[float], ours_us: float, *, held: bool) -> str:
    ratio = statistics.median(ratios)
    low, high = quartiles(ratios)
    line = (
        f"  {name}: {ratio:.2f}× Jinja2 (quartiles {low:.2f}–{high:.2f}, "
        f"{ours_us:.1f} µs)"
    )
    if held:
        line += " ok" if ratio <= GOAL else " OVER GOAL"
    return line


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=201)
    parser.add_argument("--chunk-ms", type=float, default=4.0)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu")
    parser.add_argument(
        "--each", action="store_true", help="print every template's escaped ratio"
    )
    args = parser.parse_args(argv)
    global clock
    clock = CLOCKS[args.clock]
    chunk = args.chunk_ms / 1e3

    import django

    django.setup()

    worst = 0.0
    compiles_while_timing = 0
    for endpoint in ENDPOINTS:
        size = sum(len(text.encode()) for text in endpoint.twig().values())
        jinja = via_jinja(endpoint)
        candidates = {
            INFO_PREFIX + "templating.render (checks the data for each template)": (
                via_render(endpoint)
            ),
            "compile_template + PreparedContext": via_compiled(endpoint),
            "render_escaped (contextual escaping)": via_escaping(endpoint),
            INFO_PREFIX + "rendering service (render_request + render_response)": (
                via_service(endpoint)
            ),
        }
        singles = escaped_templates(endpoint)
        # Warm up (compile every template once) and check that the twin does
        # the same work: its output is our plain render's, byte for byte.
        expected = jinja()
        for function in candidates.values():
            function()
        for ours, _ in singles.values():
            ours()
        plain = via_render(endpoint)()
        assert plain == expected, f"{endpoint.name}: the Jinja2 twin differs"

        before = compile_count()
        results = {
            name: compare(function, jinja, rounds=args.rounds, chunk=chunk)
            for name, function in candidates.items()
        }
        # Each template alone, fewer rounds: a template's share of an
        # endpoint is small, and the endpoint lines above already hold.
        single_results = {
            name: compare(ours, theirs, rounds=max(11, args.rounds // 4), chunk=chunk)
            for name, (ours, theirs) in singles.items()
        }
        compiled = compile_count() - before
        compiles_while_timing += compiled
        if compiled:
            # A render that compiles is a cache miss: every figure here would
            # include compile time, so none of them holds.
            print(f"FAIL: {compiled} compiles while timing {endpoint.name}")
            return 2

        base_us = statistics.median(timed(jinja, 200) / 200 * 1e6 for _ in range(5))
        print(
            f"{endpoint.name}: {len(endpoint.twig())} templates, {size} bytes; "
            f"bare Jinja2 {base_us:.1f} µs per endpoint"
        )
        for name, (ratios, ours_us) in results.items():
            held = not name.startswith(INFO_PREFIX)
            if held:
                worst = max(worst, statistics.median(ratios))
            print(report(name, ratios, ours_us, held=held))
        by_ratio = sorted(
            single_results.items(), key=lambda item: statistics.median(item[1][0])
        )
        shown = by_ratio if args.each else by_ratio[-1:]
        for name, (ratios, ours_us) in shown:
            worst = max(worst, statistics.median(ratios))
            label = f"render_escaped, {name} alone"
            if not args.each:
                label = f"render_escaped, worst single template ({name})"
            print(report(label, ratios, ours_us, held=True))
    print(
        f"median of {args.rounds} alternating rounds of ~{args.chunk_ms:g} ms "
        f"({args.clock} time) each; compiles while timing: {compiles_while_timing}"
    )
    return 0 if worst <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
