from django.db.models.signals import post_save
from django.dispatch import receiver

from apps.models import App


@receiver(post_save, sender=App, dispatch_uid="app_default_authorization")
def give_new_app_its_default_authorization(sender, instance, created, raw, **kwargs):
    # raw: loaddata must restore fixtures exactly, not add to them.
    if created and not raw:
        from authorizations.services import authorization_create_default

        authorization_create_default(app=instance)
