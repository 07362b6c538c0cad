from django.apps import AppConfig


class AuthorizationsConfig(AppConfig):
    name = "authorizations"
    verbose_name = "Authorizations"

    def ready(self):
        # Connects the default authorization every new app receives.
        from authorizations import signals  # noqa: F401
