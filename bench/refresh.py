"""Refresh many expiring accounts with one worker and with eight: the throughput ratio.

Run as ``.venv/bin/python bench/refresh.py [--accounts N] [--delay-ms MS]
[--workers W]``.

A local provider answers each token request after ``--delay-ms`` (100 ms, as
real token endpoints take), rotating refresh tokens: each is good once, and
a reused one is refused with ``invalid_grant``, which leaves the account
needing a reconnect.  ``manage.py refresh_tokens`` refreshes the N accounts
(1,000 by default) with ``--workers 1``, then, after every account is made
due again, with ``--workers W`` (8).  Printed: each run's time, the
throughput ratio (goal ≥ 6×) and the accounts left broken (goal 0), and the
refresh tokens redeemed more than once (must be 0).

The database is a SQLite file in a temporary folder unless ``DATABASE_URL``
is set (PostgreSQL, as in production).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORKDIR = Path(tempfile.mkdtemp(prefix="refresh-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integry.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{WORKDIR / 'bench.sqlite3'}")
os.environ.setdefault("LOG_LEVEL", "WARNING")  # not a line per account

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from apps.models import App  # noqa: E402
from authorizations.defaults import OAUTH2_TOKEN_REQUEST  # noqa: E402
from authorizations.models import Authorization, Endpoint  # noqa: E402
from connections.models import ConnectedAccount  # noqa: E402

GOAL = 6.0


class Provider:
    """A token endpoint that rotates refresh tokens and refuses a reused one."""

    def __init__(self, delay: float):
        self.delay = delay
        self.redeemed: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.issued = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                token = (form.get("refresh_token") or [""])[0]
                time.sleep(provider.delay)
                with provider.lock:
                    provider.redeemed[token] += 1
                    reused = provider.redeemed[token] > 1
                    provider.issued += 1
                    number = provider.issued
                if reused:
                    status, reply = 400, {"error": "invalid_grant"}
                else:
                    status, reply = (
                        200,
                        {
                            "access_token": f"access-{number:08}",
                            "refresh_token": f"refresh-{number:08}",
                            "expires_in": 3600,
                            "token_type": "Bearer",
                        },
                    )
                body = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/token"


def make_accounts(provider: Provider, count: int) -> Authorization:
    app = App.objects.create(name="Bench", slug="bench-refresh")
    authorization = Authorization.objects.create(
        app=app,
        name="OAuth2.0",
        type="oauth2",
        client_id="bench-client",
        # Made at run time: the bench's provider checks no client secret.
        client_secret=secrets.token_urlsafe(24),
        authorize_url="https://provider.example.com/authorize",
        client_auth="client_secret_post",
    )
    Endpoint.objects.filter(authorization=authorization).delete()
    Endpoint.objects.create(
        authorization=authorization,
        kind="access_token",
        method="POST",
        url=provider.url,
        body_format="form",
        request_template=OAUTH2_TOKEN_REQUEST,
        response_template=(
            '{"access_token": "{{ response.access_token }}", '
            '"refresh_token": "{{ response.refresh_token }}", '
            '"expires_in": {{ response.expires_in }}}'
        ),
    )
    soon = timezone.now() + timedelta(minutes=5)
    ConnectedAccount.objects.bulk_create(
        ConnectedAccount(
            authorization=authorization,
            user_identity=f"user{n}@example.com",
            credentials={"access_token": "old", "refresh_token": f"first-{n:08}"},
            expires_at=soon,
        )
        for n in range(count)
    )
    return authorization


def make_due_again() -> None:
    ConnectedAccount.objects.update(expires_at=timezone.now() + timedelta(minutes=5))


def timed_run(workers: int) -> tuple[float, str]:
    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    call_command("refresh_tokens", "--workers", str(workers), stdout=out, stderr=err)
    return time.perf_counter() - started, out.getvalue().strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--delay-ms", type=float, default=100.0)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()

    override_settings(OUTBOUND_ALLOWED_NETWORKS=["127.0.0.1/32"], DEBUG=False).enable()
    call_command("migrate", verbosity=0)
    provider = Provider(args.delay_ms / 1000)
    make_accounts(provider, args.accounts)

    one, one_summary = timed_run(1)
    make_due_again()
    many, many_summary = timed_run(args.workers)

    broken = ConnectedAccount.objects.exclude(
        status=ConnectedAccount.Status.ACTIVE
    ).count()
    reused = sum(1 for count in provider.redeemed.values() if count > 1)
    ratio = one / many
    print(
        f"Refreshing {args.accounts} accounts against a provider answering after "
        f"{args.delay_ms:g} ms ({os.environ['DATABASE_URL'].split(':')[0]}):"
    )
    print(f"  --workers 1   {one:7.1f} s  {args.accounts / one:6.1f} accounts/s")
    print(f"      {one_summary}")
    print(
        f"  --workers {args.workers:<2}  {many:7.1f} s  "
        f"{args.accounts / many:6.1f} accounts/s"
    )
    print(f"      {many_summary}")
    verdict = "ok" if ratio >= GOAL and broken == 0 and reused == 0 else "MISSED"
    print(
        f"  throughput {ratio:.2f}x (goal >= {GOAL:g}x), {broken} account(s) left "
        f"broken (goal 0), {reused} refresh token(s) redeemed twice: {verdict}"
    )
    provider.server.shutdown()
    shutil.rmtree(WORKDIR, ignore_errors=True)
    return 0 if verdict == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
