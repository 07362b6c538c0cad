from django.apps import AppConfig

import twig


class IntegryConfig(AppConfig):
    name = "integry"
    verbose_name = "Authorization console"

    def ready(self):
        # Without it, memory freed after a large render stays with the process
        # (twig.return_large_blocks_to_the_system).
        twig.return_large_blocks_to_the_system()
        from integry import checks  # noqa: F401  (registers the system checks)
