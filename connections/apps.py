from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "connections"
    verbose_name = "Connections"

    def ready(self):
        # Stores the account a successful test run connected.
        from connections import signals  # noqa: F401
