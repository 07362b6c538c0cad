"""Helpers shared by the config tests: run commands, snapshot the database."""

import hashlib
import io
from pathlib import Path

from django.core.management import call_command

from apps.models import App
from authorizations.models import Authorization, Endpoint, Header
from configuration.exporter import export_apps_text


class CommandRun:
    """What a management command printed."""

    def __init__(self, stdout: str, stderr: str):
        self.stdout = stdout
        self.stderr = stderr


def run_command(name: str, *args, **options) -> CommandRun:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command(name, *args, stdout=stdout, stderr=stderr, **options)
    return CommandRun(stdout.getvalue(), stderr.getvalue())


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def database_state() -> tuple:
    """Everything an import could change: the full export and every timestamp.

    Secrets are compared by digest, so a failing comparison does not print them.
    """
    return (
        export_apps_text(App.objects.all()),
        [
            (pk, hashlib.sha256(secret.encode()).hexdigest())
            for pk, secret in sorted(
                (a.pk, a.client_secret) for a in Authorization.objects.all()
            )
        ],
        list(App.objects.order_by("pk").values_list("pk", "updated_at")),
        list(Authorization.objects.order_by("pk").values_list("pk", "updated_at")),
        list(Endpoint.objects.order_by("pk").values_list("pk", "updated_at")),
        list(Header.objects.order_by("pk").values_list("pk", "name", "position")),
    )
