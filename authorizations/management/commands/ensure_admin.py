"""Create the development admin login once and print how to sign in."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

USERNAME = "admin"


class Command(BaseCommand):
    help = (
        "Create a superuser named 'admin' with a generated password if no "
        "superuser exists, and print the admin URL and the login."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default=USERNAME)

    def handle(self, *args, username, **options):
        users = get_user_model()
        admin_url = settings.PUBLIC_BASE_URL.rstrip("/") + "/admin/"
        if users.objects.filter(is_superuser=True).exists():
            self.stdout.write(
                f"Admin: {admin_url} (an admin login already exists; reset a "
                "password with: .venv/bin/python manage.py changepassword "
                f"{username})"
            )
            return
        password = secrets.token_urlsafe(12)
        users.objects.create_superuser(
            username=username, email=f"{username}@localhost", password=password
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Admin: {admin_url}\n  username: {username}\n  password: {password}"
            )
        )
