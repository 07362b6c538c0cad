"""Receivers: what authorizations do when the models they build on change."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from apps.models import App
from authorizations.services import authorization_create_default


# Here rather than in apps: the App is the root entity and knows nothing of
# authorizations, which build on it.
@receiver(post_save, sender=App, dispatch_uid="app_default_authorization")
def give_new_app_its_default_authorization(sender, instance, created, raw, **kwargs):
    # raw: loaddata must restore fixtures exactly, not add to them.
    if created and not raw:
        authorization_create_default(app=instance)
