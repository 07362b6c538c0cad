from django.apps import AppConfig


class PeersConfig(AppConfig):
    name = "tests.peers"
    label = "peers"
    verbose_name = "Provider peers (tests only)"

    def ready(self):
        # The provider's models belong to a test peer, not to the console: they
        # stay out of the console's admin (tests/admin/test_every_page.py walks
        # every registered ModelAdmin). The admin app is listed first, so its
        # autodiscovery has registered them by now.
        from django.apps import apps
        from django.contrib import admin

        for model in apps.get_app_config("oauth2_provider").get_models():
            if admin.site.is_registered(model):
                admin.site.unregister(model)
