"""Time the console's admin pages against a stock ModelAdmin over the same rows.

Run as ``.venv/bin/python bench/changelist.py [--apps N] [--rounds R]``.

Builds, in a throwaway SQLite database, N apps (default 10,000), one OAuth2.0
authorization each with two endpoints (user info and token, one header
each), so 2N endpoints, and one connected account per app (in every status,
with expiry, refresh and verify times and some errors, so that every column
of the account list has something to show).  Three apps are
wider, so that query counts can be compared as a page's inlines grow: their
authorizations number 1, 10 and 30, and their user info endpoints carry 1, 10
and 30 headers.

Every page is fetched through the real admin with Django's test client, and
through a second AdminSite over the same rows whose ModelAdmins use stock
options only (``list_select_related = True`` and ``raw_id_fields`` for the
foreign keys that grow with the data, so the baseline itself does not load
every app) and stock inlines, showing the same columns where naming a field
is enough.  The two are timed alternately, page by page, over several rounds;
each round gives one ratio and the median is printed.  The time is this
process's CPU time: the client, the admin and SQLite all run in it, and other
processes' load (this machine is shared) does not count against either side.
Goals: ≤ 1.5× on every page, and query counts that do not grow with the
number of inline rows.  The connected-accounts changelist (issue 9 §7) gets a
line of its own: its ratio and both sides' query counts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# A throwaway database: the bench must never write into a real one.
WORKDIR = tempfile.mkdtemp(prefix="bench-changelist-")
os.environ["DATABASE_URL"] = f"sqlite:///{WORKDIR}/bench.sqlite3"
os.environ["DJANGO_SETTINGS_MODULE"] = "integry.settings"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib import admin  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import clear_url_caches, path, reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from apps.models import App  # noqa: E402
from authorizations.models import Authorization, Endpoint, Header  # noqa: E402
from connections.models import ConnectedAccount  # noqa: E402

GOAL = 1.5
WIDTHS = (1, 10, 30)
BATCH = 2000


def build(n_apps: int) -> dict:
    """Create the rows with bulk_create; return the objects pages are about."""
    # bulk_create sends no post_save, so apps get no default authorization.
    apps = App.objects.bulk_create(
        [
            App(
                name=f"App {i:05d}",
                slug=f"app-{i:05d}",
                api_base_url=f"https://api{i}.example.com",
            )
            for i in range(n_apps)
        ],
        batch_size=BATCH,
    )
    authorizations = Authorization.objects.bulk_create(
        [
            Authorization(
                app=app,
                name="Sign in",
                type="oauth2",
                client_id=f"client-{app.pk}",
                client_secret=f"secret-{app.pk}",
                authorize_url="https://example.com/authorize",
            )
            for app in apps
        ],
        batch_size=BATCH,
    )
    wide_apps = apps[:3]
    for app, width in zip(wide_apps, WIDTHS, strict=True):
        Authorization.objects.bulk_create(
            [
                Authorization(app=app, name=f"Extra {n}", type="api_key")
                for n in range(width - 1)
            ]
        )
    endpoints = []
    for authorization in authorizations:
        endpoints.append(
            Endpoint(
                authorization=authorization,
                kind="user_info",
                url="https://api.example.com/me",
                response_template='{"user_identity": "{{ response.email }}"}',
                body_format="none",
            )
        )
        endpoints.append(
            Endpoint(
                authorization=authorization,
                kind="access_token",
                method="POST",
                url="https://api.example.com/token",
                request_template='{"code": "{{ requestBody.code }}"}',
                response_template='{"access_token": "{{ response.access_token }}"}',
            )
        )
    endpoints = Endpoint.objects.bulk_create(endpoints, batch_size=BATCH)
    Header.objects.bulk_create(
        [
            Header(endpoint=endpoint, name="Accept", value="application/json")
            for endpoint in endpoints
        ],
        batch_size=BATCH,
    )
    wide_endpoints = [endpoints[2 * n] for n in range(3)]
    for endpoint, width in zip(wide_endpoints, WIDTHS, strict=True):
        Header.objects.bulk_create(
            [
                Header(endpoint=endpoint, name=f"X-Extra-{n}", value="1", position=n)
                for n in range(width - 1)
            ]
        )
    # Accounts in every status, expiring from an hour ago to days ahead,
    # refreshed and verified at various times, one in three with an error:
    # each column of the account list has something to say.
    now = timezone.now()
    statuses = ConnectedAccount.Status.values
    accounts = ConnectedAccount.objects.bulk_create(
        [
            ConnectedAccount(
                authorization=authorization,
                user_identity=f"user{authorization.pk}@example.com",
                credentials={"access_token": f"token-{authorization.pk}"},
                status=statuses[n % len(statuses)],
                expires_at=now + dt.timedelta(minutes=(n % 500) * 7 - 60),
                last_refreshed_at=now - dt.timedelta(minutes=n % 1000),
                last_verified_at=now - dt.timedelta(hours=n % 50) if n % 4 else None,
                last_error=(
                    "The token endpoint answered 400 invalid_grant: the refresh "
                    f"token was revoked or has expired (attempt {n % 7})"
                    if n % 3 == 0
                    else ""
                ),
            )
            for n, authorization in enumerate(authorizations)
        ],
        batch_size=BATCH,
    )
    return {
        "wide_apps": wide_apps,
        "wide_endpoints": wide_endpoints,
        "authorization": authorizations[len(authorizations) // 2],
        "account": accounts[len(accounts) // 2],
    }


def stock_site() -> admin.AdminSite:
    """Register stock ModelAdmins and inlines on a separate site."""
    site = admin.AdminSite(name="stock")

    def stock(model, raw_id_fields=(), inlines=(), list_display=("__str__",), **more):
        attrs = {
            "list_display": list(list_display),
            "list_select_related": True,
            "raw_id_fields": list(raw_id_fields),
            "inlines": list(inlines),
            **more,
        }
        site.register(
            model, type(f"Stock{model.__name__}Admin", (admin.ModelAdmin,), attrs)
        )

    def inline(model):
        return type(
            f"Stock{model.__name__}Inline", (admin.TabularInline,), {"model": model}
        )

    # The console's columns that a stock admin can show by naming fields;
    # computed ones (completeness, counts) are the console's own extra work.
    stock(App, inlines=[inline(Authorization)], list_display=["name", "slug"])
    stock(Authorization, ["app"], list_display=["name", "app", "type"])
    stock(
        Endpoint,
        ["authorization"],
        inlines=[inline(Header)],
        list_display=["__str__", "method", "url", "body_format"],
    )
    # The account list's columns as fields: the console shows the same ones
    # in words (status badge, "in 12 minutes", "3 hours ago", the error cut).
    stock(
        ConnectedAccount,
        ["authorization"],
        list_display=[
            "user_identity",
            "authorization",
            "status",
            "expires_at",
            "last_refreshed_at",
            "last_verified_at",
            "last_error",
        ],
        # Django's own pages: the console's link to its job pages and its
        # account buttons name URLs only the console's site has.
        change_list_template="admin/change_list.html",
        change_form_template="admin/change_form.html",
    )
    return site


def install_urls(site: admin.AdminSite) -> None:
    from integry import urls as console_urls

    module = types.ModuleType("bench_urls")
    module.urlpatterns = [*console_urls.urlpatterns, path("stock/", site.urls)]
    sys.modules["bench_urls"] = module
    settings.ROOT_URLCONF = "bench_urls"
    clear_url_caches()


def pages(objects: dict) -> list[tuple[str, str, list, str]]:
    """List (label, url name, args, query string) of every page measured."""
    authorization = objects["authorization"]
    listed = [
        ("app changelist", "apps_app_changelist", [], ""),
        ("authorization changelist", "authorizations_authorization_changelist", [], ""),
        ("endpoint changelist", "authorizations_endpoint_changelist", [], ""),
        ("account changelist", "connections_connectedaccount_changelist", [], ""),
    ]
    for app, width in zip(objects["wide_apps"], WIDTHS, strict=True):
        label = f"app change, {width} authorization{'s' * (width > 1)}"
        listed.append((label, "apps_app_change", [app.pk], ""))
    listed += [
        (
            "authorization change",
            "authorizations_authorization_change",
            [authorization.pk],
            "",
        ),
        (
            "authorization add ?app=",
            "authorizations_authorization_add",
            [],
            f"?app={authorization.app_id}",
        ),
    ]
    for endpoint, width in zip(objects["wide_endpoints"], WIDTHS, strict=True):
        label = f"endpoint change, {width} header{'s' * (width > 1)}"
        listed.append((label, "authorizations_endpoint_change", [endpoint.pk], ""))
    listed += [
        (
            "endpoint add ?authorization=",
            "authorizations_endpoint_add",
            [],
            f"?authorization={authorization.pk}&kind=revoke",
        ),
        (
            "account change",
            "connections_connectedaccount_change",
            [objects["account"].pk],
            "",
        ),
    ]
    return listed


def fetch(client: Client, url: str, times: int) -> tuple[float, int]:
    """Fetch `url` `times` times; return the fastest time and the page's size."""
    best = float("inf")
    for _ in range(times):
        started = time.process_time()
        response = client.get(url)
        best = min(best, time.process_time() - started)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return best, len(response.content)


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return len(queries)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--apps", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--chunk", type=int, default=3, help="fetches per chunk")
    options = parser.parse_args()

    setup_test_environment()
    # Queries are counted with CaptureQueriesContext only; DEBUG would record
    # every query of the timed fetches too.
    settings.DEBUG = False
    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    objects = build(options.apps)
    print(
        f"{App.objects.count()} apps, {Authorization.objects.count()} authorizations, "
        f"{Endpoint.objects.count()} endpoints, {Header.objects.count()} headers, "
        f"{ConnectedAccount.objects.count()} connected accounts "
        f"(built in {time.perf_counter() - started:.0f} s)"
    )
    install_urls(stock_site())
    user = get_user_model().objects.create_superuser("bench", password=None)
    client = Client()
    client.force_login(user)

    rows = []
    worst = 0.0
    for label, name, args, query in pages(objects):
        ours = reverse(f"admin:{name}", args=args) + query
        stock = reverse(f"stock:{name}", args=args) + query
        fetch(client, ours, 1), fetch(client, stock, 1)  # warm-up
        ratios = []
        for round_number in range(options.rounds):
            # Short chunks, alternating who goes first, so that drift in the
            # machine's load falls on both; the fastest of a chunk skips the
            # fetches another process interrupted.
            if round_number % 2:
                stock_time, stock_size = fetch(client, stock, options.chunk)
                our_time, our_size = fetch(client, ours, options.chunk)
            else:
                our_time, our_size = fetch(client, ours, options.chunk)
                stock_time, stock_size = fetch(client, stock, options.chunk)
            ratios.append(our_time / stock_time)
        ratio = statistics.median(ratios)
        worst = max(worst, ratio)
        rows.append(
            (
                label,
                ratio,
                count_queries(client, ours),
                count_queries(client, stock),
                our_size // 1024,
                stock_size // 1024,
            )
        )

    print(
        f"\n{'page':32} {'time':>7} {'queries':>9} {'stock':>6} {'KB':>6} {'stock':>6}"
    )
    for label, ratio, our_queries, stock_queries, our_kb, stock_kb in rows:
        flag = "" if ratio <= GOAL else "  over goal"
        print(
            f"{label:32} {ratio:6.2f}× {our_queries:9} {stock_queries:6} "
            f"{our_kb:6} {stock_kb:6}{flag}"
        )

    grown = []
    for prefix in ("app change", "endpoint change"):
        counts = [row[2] for row in rows if row[0].startswith(prefix + ",")]
        print(f"{prefix} queries at {WIDTHS} inline rows: {counts}")
        if len(set(counts)) > 1:
            grown.append(prefix)
    [account_list] = [row for row in rows if row[0] == "account changelist"]
    print(
        f"\nconnected-accounts changelist at {ConnectedAccount.objects.count()} "
        f"accounts: {account_list[1]:.2f}× the stock ModelAdmin (goal ≤ {GOAL}×), "
        f"{account_list[2]} queries (stock {account_list[3]})"
    )
    print(f"\nworst time ratio {worst:.2f}× (goal ≤ {GOAL}×); ", end="")
    print("query counts constant" if not grown else f"queries grow: {grown}")
    return 0 if worst <= GOAL and not grown else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        connection.close()
        shutil.rmtree(WORKDIR, ignore_errors=True)
