# The Celery app, loaded with Django so that shared tasks bind to it.
from integry.celery import app as celery_app

__all__ = ["celery_app"]
