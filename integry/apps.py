from django.apps import AppConfig


class IntegryConfig(AppConfig):
    name = "integry"
    verbose_name = "Authorization console"

    def ready(self):
        from integry import checks  # noqa: F401  (registers the system checks)
