from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.models import App
from configuration.exporter import FORMATS, export_apps_text


class Command(BaseCommand):
    help = (
        "Export apps with their authorizations, endpoints and headers as YAML or "
        "JSON (see docs/config-format.md). Client secrets are left out unless "
        "--include-secrets is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "slugs", nargs="*", metavar="SLUG", help="Apps to export; all by default."
        )
        parser.add_argument(
            "--format",
            choices=FORMATS,
            default="yaml",
            dest="fmt",
            help="Default: yaml.",
        )
        parser.add_argument(
            "--include-secrets",
            action="store_true",
            help="Also write client secrets, in plain text.",
        )
        parser.add_argument(
            "--output", metavar="FILE", help="Write to FILE instead of standard output."
        )

    def handle(self, *args, slugs, fmt, include_secrets, output, **options):
        apps = App.objects.all()
        if slugs:
            apps = apps.filter(slug__in=slugs)
            unknown = sorted(set(slugs) - {app.slug for app in apps})
            if unknown:
                known = ", ".join(
                    App.objects.order_by("slug").values_list("slug", flat=True)
                )
                quoted = ", ".join(f'"{slug}"' for slug in unknown)
                plural = "s" if len(unknown) > 1 else ""
                raise CommandError(
                    f"Unknown app slug{plural}: {quoted}. "
                    f"Known slugs: {known or 'none'}."
                )
        text = export_apps_text(apps, fmt=fmt, include_secrets=include_secrets)
        if include_secrets:
            self.stderr.write(
                "The export contains client secrets in plain text: keep it out of "
                "version control and chat."
            )
        if output:
            try:
                Path(output).write_text(text, encoding="utf-8", newline="\n")
            except OSError as error:
                raise CommandError(
                    f"Cannot write {output}: {error.strerror}."
                ) from None
            if options["verbosity"] > 0:
                self.stderr.write(f"Wrote {len(apps)} app(s) to {output}.")
        else:
            self.stdout.write(text, ending="")
