"""The Celery app: background refresh of connected accounts.

The broker comes from ``CELERY_BROKER_URL`` (Redis in production and in CI).
Without a broker, ``manage.py refresh_tokens`` from cron does the same work
with the same function underneath.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integry.settings")

app = Celery("integry")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
