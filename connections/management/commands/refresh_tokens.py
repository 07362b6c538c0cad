"""Refresh the accounts whose tokens expire soon: the way without a broker.

Safe to run from cron on several machines at once: each account is refreshed
under a lease (``connections.refresh``), so two runs never redeem the same
refresh token.
"""

from __future__ import annotations

import re
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from connections.refresh import refresh_account
from connections.services import accounts_due_for_refresh

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
# The results a run counts, in the summary's words.
FAILED = ("needs_reconnect", "error")


def duration(text: str) -> timedelta:
    """Read "15m", "2h", "900s", "1d" or plain seconds."""
    found = _DURATION.match(text or "")
    if not found:
        raise CommandError(
            f'--within must be a duration such as 15m, 2h or 900s, not "{text}".'
        )
    number, unit = found.groups()
    return timedelta(seconds=int(number) * _UNITS[unit.lower()])


class Command(BaseCommand):
    help = "Refresh the tokens of connected accounts that expire soon."

    def add_arguments(self, parser):
        parser.add_argument(
            "--within",
            default="15m",
            help="refresh tokens expiring within this time (15m, 2h, 900s; 15m)",
        )
        parser.add_argument("--limit", type=int, help="refresh at most N accounts")
        parser.add_argument(
            "--workers", type=int, default=1, help="refresh N accounts at once (1)"
        )

    def handle(self, *args, within, limit, workers, **options):
        if workers < 1 or workers > 64:
            raise CommandError("--workers must be between 1 and 64.")
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1.")
        accounts = accounts_due_for_refresh(duration(within), limit)
        started = time.monotonic()
        counts: Counter[str] = Counter()
        total = len(accounts)
        self._progress(0, total)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(self._refresh, pk) for pk in accounts]
            for done, future in enumerate(as_completed(futures), start=1):
                counts[future.result()] += 1
                self._progress(done, total)
        self.stdout.write(self._summary(counts, total, time.monotonic() - started))
        return None

    def _refresh(self, pk: int) -> str:
        try:
            return refresh_account(pk, via="refresh_tokens").result
        finally:
            close_old_connections()  # each worker thread has its own

    def _progress(self, done: int, total: int) -> None:
        if not total:
            return
        stream = self.stderr
        width = 30
        filled = width * done // total
        line = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
        if sys.stderr.isatty():
            stream.write("\r" + line, ending="" if done < total else "\n")
        elif done == total or done * 10 // total != (done - 1) * 10 // total:
            stream.write(line)

    def _summary(self, counts: Counter, total: int, seconds: float) -> str:
        if not total:
            return "No account expires within the window: nothing to refresh."
        failed = sum(counts[result] for result in FAILED)
        skipped = total - counts["refreshed"] - failed
        return (
            f"{total} account(s) due: {counts['refreshed']} refreshed, {failed} "
            f"failed ({counts['needs_reconnect']} need reconnecting, "
            f"{counts['error']} will be retried), {skipped} skipped "
            f"(already fresh, leased elsewhere, gone or not refreshable) "
            f"in {seconds:.1f} s."
        )
