"""Re-encrypt every stored secret under the first key of FIELD_ENCRYPTION_KEYS."""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from console.encryption import ENCRYPTED_FIELDS


def encrypted_fields_by_model():
    for model in apps.get_models():
        names = [
            field.name
            for field in model._meta.concrete_fields
            if isinstance(field, ENCRYPTED_FIELDS)
        ]
        if names:
            yield model, names


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column under the first key in "
        "FIELD_ENCRYPTION_KEYS. Run it after putting a new key first; the old "
        "key can be removed once it has finished."
    )

    def handle(self, *args, **options):
        total = 0
        with transaction.atomic():
            for model, names in encrypted_fields_by_model():
                # Loading decrypts with any configured key; update() writes the
                # values back encrypted under the first key, without touching
                # auto_now timestamps.
                rows = model._base_manager.select_for_update().only("pk", *names)
                count = 0
                for row in rows.iterator():
                    values = {name: getattr(row, name) for name in names}
                    model._base_manager.filter(pk=row.pk).update(**values)
                    count += 1
                total += count
                self.stdout.write(
                    f"{model._meta.verbose_name_plural}: {count} rows re-encrypted"
                )
        self.stdout.write(
            self.style.SUCCESS(f"Done: {total} rows under the first key.")
        )
