from django.core.management.base import BaseCommand, CommandError

from configuration.importer import (
    ConfigImportError,
    import_apps_config,
    read_config_source,
)


class Command(BaseCommand):
    help = (
        "Create or update apps from YAML or JSON files (see docs/config-format.md). "
        "The files are the truth for each app's authorizations; everything is "
        "checked first and written in one transaction, or nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")

    def handle(self, *args, files, **options):
        sources = [read_config_source(path) for path in files]
        try:
            report = import_apps_config(sources=sources)
        except ConfigImportError as error:
            self._write_warnings(error.warnings)
            count = len(error.problems)
            raise CommandError(
                f"Nothing was imported: {count} problem{'s' if count != 1 else ''} "
                "to fix.\n" + "\n".join(str(problem) for problem in error.problems)
            ) from None
        self._write_warnings(report.warnings)
        if options["verbosity"] == 0:
            return
        for result in report.results:
            self.stdout.write(f"{result.slug}: {result.status} ({result.source})")
        counts = {
            status: sum(1 for result in report.results if result.status == status)
            for status in ("created", "updated", "unchanged")
        }
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(report.results)} app(s): "
                + ", ".join(f"{count} {status}" for status, count in counts.items())
                + "."
            )
        )

    def _write_warnings(self, warnings):
        for warning in warnings:
            self.stderr.write(self.style.WARNING(f"Warning: {warning}"))
