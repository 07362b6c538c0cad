"""Time the console's OAuth 2.0 callback work against a bare requests-oauthlib client.

Run as ``.venv/bin/python bench/flow.py [--rounds R] [--calls K] [--warmup W]
[--provider-host 127.0.0.1|localhost] [--profile FILE]``.

What is timed is what a real callback costs once the provider has sent the
browser back with a code: the token exchange and the user info call.

* console: ``OAuth2Flow().finish(...)`` with a fresh ``StepLog`` (the
  authorization's secrets in it, as ``finish_callback`` builds it), then the
  log written out masked (``log.entries()``) and the outcome masked
  (``log.mask``): rendering the endpoints' templates, the guarded client
  (checks, pinned address, deadline, capped read), reading and mapping both
  replies through their response templates and contracts. The authorization is
  read from the database each time, as the callback does.  Not timed: the
  test run's and the account's rows, which the bare client has no counterpart
  for.
* bare: ``tests.peers.bare_clients.bare_oauth2_exchange`` — a new
  requests-oauthlib ``OAuth2Session``, ``fetch_token`` then ``get`` of the user
  info: the same two HTTP calls (POST form grant_type/code/redirect_uri with
  client_secret_basic, then GET with ``Authorization: Bearer``).

The provider is the tests' OAuth 2.0 peer (django-oauth-toolkit, tests/peers)
served by Django's ``LiveServerThread`` in this process, over a throwaway
SQLite database migrated at start (in /dev/shm where it exists: on disk each
of the provider's commits waits for an fsync).  It is reached at 127.0.0.1, as
in the tests, or with ``--provider-host localhost`` at a name both clients
resolve (through /etc/hosts), as real providers are reached; the console's
callback is at the other of the two.  Its sockets get ``TCP_NODELAY``: Django's
development server writes a response's headers and body separately, so on a
kept-alive connection (the bare session's second call) the body would
otherwise wait out the client's delayed ACK (~40 ms), a stall of the test
server that real providers do not have.  Passwords and the client secret are
hashed with MD5, as in the tests: Django's PBKDF2 check of the client secret
at the token endpoint would add hundreds of milliseconds to both sides alike
and hide the clients' difference.

Authorization codes are made beforehand as DOT ``Grant`` rows, one for each
exchange (a code is good once), so the timed part is exactly the exchange and
the user info call.  Both sides run alternately in rounds of ``--calls``
exchanges each, which of them goes first alternating too, so that the noise of
this shared machine hits both; each round gives one ratio (console / bare wall
time) and the median and quartiles of the ratios are printed, with each side's
median wall time per exchange.  Goal: ≤ 1.2× wall.  For information, the
ratio of process CPU time too (steadier on a loaded machine; the provider's
CPU is in both, as it runs in this process).

``--profile FILE`` runs 50 more console exchanges under pyinstrument (from
PyPI; not a dependency of the project) and writes its text report to FILE.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# A throwaway database, never a real one; in memory (tmpfs) where there is one:
# on disk, each of the provider's commits waits for an fsync (10-30 ms here).
SHM = "/dev/shm"
WORKDIR = tempfile.mkdtemp(
    prefix="bench-flow-", dir=SHM if os.path.isdir(SHM) else None
)
os.environ["DATABASE_URL"] = f"sqlite:///{WORKDIR}/bench.sqlite3"
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.staticfiles.handlers import StaticFilesHandler  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.servers.basehttp import ThreadedWSGIServer  # noqa: E402
from django.test.testcases import LiveServerThread  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402
from oauth2_provider.models import get_grant_model  # noqa: E402
from oauthlib.common import generate_token  # noqa: E402

from authorizations import http  # noqa: E402
from authorizations.flows.oauth2 import OAuth2Flow  # noqa: E402
from authorizations.flows.runs import authorization_secrets  # noqa: E402
from authorizations.flows.steps import StepLog  # noqa: E402
from authorizations.models import Authorization  # noqa: E402
from tests.peers.bare_clients import bare_oauth2_exchange  # noqa: E402
from tests.peers.console import PLAIN_TEMPLATES, oauth2_authorization  # noqa: E402
from tests.peers.fixtures import OAuth2Peer  # noqa: E402

GOAL = 1.2
PROFILED = 50  # console exchanges run under the profiler
SCOPE = "read"
IDENTITY = "Jason Fried / jason@basecamp.com"


class NoDelayWSGIServer(ThreadedWSGIServer):
    """Django's threaded test server, its accepted sockets without Nagle."""

    def get_request(self):
        sock, address = super().get_request()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock, address


class ProviderThread(LiveServerThread):
    server_class = NoDelayWSGIServer


def serve() -> ProviderThread:
    thread = ProviderThread("localhost", StaticFilesHandler)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    return thread


def make_peer(thread: ProviderThread, provider_host: str) -> OAuth2Peer:
    """The tests' peer object over this server (its clients registered).

    The peer takes the other of 127.0.0.1 and localhost than the console's.
    """
    console_host = "localhost" if provider_host == "127.0.0.1" else "127.0.0.1"
    user = get_user_model().objects.create_user(
        username="jason",
        password="unused-here",
        first_name="Jason",
        last_name="Fried",
        email="jason@basecamp.com",
    )
    server = SimpleNamespace(
        url=f"http://{console_host}:{thread.port}",
        thread=SimpleNamespace(host=console_host, port=thread.port),
    )
    settings.PUBLIC_BASE_URL = server.url
    peer = OAuth2Peer(server, settings, user)
    assert peer.token_url.startswith(f"http://{provider_host}:"), peer.token_url
    return peer


def make_authorization(peer: OAuth2Peer) -> Authorization:
    # The endpoints as an integration developer writes them (the browser test's).
    return oauth2_authorization(
        peer,
        name="OAuth2.0",
        scopes=SCOPE,
        client_auth="client_secret_basic",
        **PLAIN_TEMPLATES,
    )


def make_codes(peer: OAuth2Peer, count: int) -> list[str]:
    """Authorization codes as DOT stores them after consent, one per exchange."""
    grant = get_grant_model()
    expires = timezone.now() + timedelta(hours=2)
    codes = [generate_token() for _ in range(count)]
    grant.objects.bulk_create(
        [
            grant(
                user=peer.user,
                code=code,
                application=peer.app.model,
                expires=expires,
                redirect_uri=peer.redirect_uri,
                scope=SCOPE,
            )
            for code in codes
        ],
        batch_size=500,
    )
    return codes


def console_exchange(authorization_pk: int, code: str, *, verify=False) -> None:
    # What finish_callback does around the flow, minus the run's rows.
    # ``verify``: check the log is masked too (the warm-up does; the bare
    # side's timed calls check no more than the identity either).
    authorization = Authorization.objects.select_related("app").get(pk=authorization_pk)
    log = StepLog(authorization_secrets(authorization))
    log.secret(code)
    with http.keep_alive():  # as finish_callback runs a flow
        result = OAuth2Flow().finish(authorization, log, {"code": code}, {})
    entries = log.entries()
    message = log.mask(f"Connected as {result.user_identity}")
    assert result.user_identity == IDENTITY, result
    if verify:
        assert all(entry["ok"] for entry in entries), entries
        assert code not in str(entries) and code not in message


def bare_exchange(peer: OAuth2Peer, code: str) -> None:
    callback = f"{peer.redirect_uri}?{urlencode({'code': code, 'state': 'bench'})}"
    result = bare_oauth2_exchange(peer, callback)
    assert result["user"]["name"] == "Jason Fried", result


def timed(side, codes) -> tuple[float, float]:
    """Run ``side`` on each code; return (wall, process CPU) seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    for code in codes:
        side(code)
    return time.perf_counter() - wall, time.process_time() - cpu


def quartiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=201, help="rounds (201)")
    parser.add_argument(
        "--calls", type=int, default=2, help="exchanges per side per round (2)"
    )
    parser.add_argument(
        "--warmup", type=int, default=10, help="untimed exchanges per side (10)"
    )
    parser.add_argument(
        "--provider-host",
        choices=["127.0.0.1", "localhost"],
        default="127.0.0.1",
        help="the provider's host in its URLs: an address, as in the tests "
        "(default), or a name both clients resolve (/etc/hosts)",
    )
    parser.add_argument(
        "--profile", metavar="FILE", help="profile the console side into FILE"
    )
    args = parser.parse_args()

    # MD5 as in the tests (tests/conftest.py), for the client secret's check.
    override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        OUTBOUND_ALLOWED_NETWORKS=["127.0.0.1/32"],
        DEBUG=False,
    ).enable()
    call_command("migrate", verbosity=0)
    thread = serve()
    try:
        return run(args, thread)
    finally:
        thread.terminate()
        shutil.rmtree(WORKDIR, ignore_errors=True)


def run(args, thread: ProviderThread) -> int:
    peer = make_peer(thread, args.provider_host)
    authorization = make_authorization(peer)
    profiled = PROFILED if args.profile else 0
    per_side = args.warmup + args.rounds * args.calls
    codes = iter(make_codes(peer, 2 * per_side + profiled))

    def console(code):
        console_exchange(authorization.pk, code)

    def bare(code):
        bare_exchange(peer, code)

    sides = {"console": console, "bare": bare}
    for _ in range(args.warmup):
        console_exchange(authorization.pk, next(codes), verify=True)
        bare(next(codes))

    ratios: dict[str, list[float]] = {"wall": [], "cpu": []}
    per_call: dict[str, list[tuple[float, float]]] = {"console": [], "bare": []}
    for number in range(args.rounds):
        order = ["console", "bare"] if number % 2 == 0 else ["bare", "console"]
        seconds = {}
        for name in order:
            batch = [next(codes) for _ in range(args.calls)]
            seconds[name] = timed(sides[name], batch)
            per_call[name].append(tuple(t / args.calls for t in seconds[name]))
        ratios["wall"].append(seconds["console"][0] / seconds["bare"][0])
        ratios["cpu"].append(seconds["console"][1] / seconds["bare"][1])

    q1, median, q3 = quartiles(ratios["wall"])
    c1, cpu, c3 = quartiles(ratios["cpu"])
    wall_ms = {
        k: statistics.median(w for w, _ in v) * 1000 for k, v in per_call.items()
    }
    cpu_ms = {k: statistics.median(c for _, c in v) * 1000 for k, v in per_call.items()}
    verdict = "ok" if median <= GOAL else "OVER"
    print(
        f"OAuth 2.0 code exchange + user info, {args.rounds} rounds x "
        f"{args.calls} exchanges a side (provider: django-oauth-toolkit at "
        f"{args.provider_host}, LiveServerThread, SQLite)"
    )
    for name, label in (("console", "OAuth2Flow"), ("bare", "requests-oauthlib")):
        print(
            f"  {name:8s} {wall_ms[name]:6.2f} ms wall, {cpu_ms[name]:6.2f} ms "
            f"process CPU a exchange (median of rounds; {label})"
        )
    print(
        f"  ratio    {median:.2f}x wall (quartiles {q1:.2f}-{q3:.2f}), "
        f"goal <= {GOAL}x: {verdict}"
    )
    print(
        f"  info:    {cpu:.2f}x process CPU (quartiles {c1:.2f}-{c3:.2f}; "
        "the provider's CPU included, it runs in this process)"
    )

    if args.profile:
        from pyinstrument import Profiler

        batch = [next(codes) for _ in range(profiled)]
        profiler = Profiler(interval=0.0002)
        profiler.start()
        timed(console, batch)
        profiler.stop()
        Path(args.profile).write_text(
            profiler.output_text(unicode=True, color=False, show_all=False)
        )
        print(f"  profile of {profiled} console exchanges: {args.profile}")
    return 0 if median <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
