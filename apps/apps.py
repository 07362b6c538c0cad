from django.apps import AppConfig


class AppsConfig(AppConfig):
    name = "apps"
    verbose_name = "Apps"

    def ready(self):
        from apps import signals  # noqa: F401  (connects the default authorization)
