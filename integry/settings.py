"""Settings, read from the environment with working development defaults.

Every variable is documented in README.md. Production sets DEBUG=false and must
then provide SECRET_KEY and FIELD_ENCRYPTION_KEYS (see integry/checks.py).
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from integry.keys import DEVELOPMENT_SECRET_KEY, development_encryption_key

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
# Where this console is reached from a browser: OAuth providers redirect to
# PUBLIC_BASE_URL + /oauth/callback/, the one URL to register with them.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")

# Outgoing requests (authorizations/http.py): private, loopback and metadata
# addresses are refused unless one of these CIDRs holds them (for local
# development and tests: 127.0.0.1/32).
OUTBOUND_ALLOWED_NETWORKS = env.list("OUTBOUND_ALLOWED_NETWORKS", default=[])
OUTBOUND_CONNECT_TIMEOUT = env.float("OUTBOUND_CONNECT_TIMEOUT", default=5.0)
OUTBOUND_READ_TIMEOUT = env.float("OUTBOUND_READ_TIMEOUT", default=15.0)
OUTBOUND_TOTAL_TIMEOUT = env.float("OUTBOUND_TOTAL_TIMEOUT", default=30.0)
OUTBOUND_MAX_BODY_BYTES = env.int("OUTBOUND_MAX_BODY_BYTES", default=2 * 1024 * 1024)
# A CA bundle file for providers behind a private CA; unset, certifi's.
OUTBOUND_CA_BUNDLE = env.str("OUTBOUND_CA_BUNDLE", default=None)

# The first key encrypts; every key decrypts, so a new key can be put first
# while rows written under the old one stay readable until rotation.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
if not FIELD_ENCRYPTION_KEYS and DEBUG:
    FIELD_ENCRYPTION_KEYS = [development_encryption_key(BASE_DIR / ".local")]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "integry",
    # Lower layers first: an app imports only those listed before it (and the
    # plain `console` and `twig` packages). The admin discovers them in this
    # order, so configuration finds the App admin it extends registered.
    "apps",
    "authorizations",
    "connections",
    "configuration",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outermost but one, so it sees every 403, CSRF refusals included.
    "integry.audit.RefusalAuditMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "integry.urls"
# The admin is the whole site: a login whose ?next= is refused (another host)
# lands on its index, not on Django's /accounts/profile/ default, a 404 here.
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"
CSRF_FAILURE_VIEW = "integry.audit.csrf_failure"
WSGI_APPLICATION = "integry.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Production hardening; `manage.py check --deploy` verifies these when DEBUG is off.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Background refresh (integry/celery.py, connections/tasks.py): Redis in
# production; `make worker` runs a worker with its beat schedule.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
CELERY_TASK_ACKS_LATE = True  # a worker that dies mid-task leaves it queued
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULE = {
    "refresh-due-accounts": {
        "task": "connections.tasks.refresh_due_accounts",
        "schedule": env.float("REFRESH_EVERY_SECONDS", default=60.0),
    }
}

# Where the admin's actions on many accounts run (connections/jobs.py):
# "thread", a thread in the web process (no broker needed), or "celery", a
# task on the worker above.
ACCOUNT_JOB_RUNNER = env.str("ACCOUNT_JOB_RUNNER", default="thread")
if ACCOUNT_JOB_RUNNER not in ("thread", "celery"):
    raise ImproperlyConfigured(
        f"ACCOUNT_JOB_RUNNER must be thread or celery, not {ACCOUNT_JOB_RUNNER!r}."
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # At DEBUG these log tokens, signatures and whole URLs: held at WARNING
    # whatever LOG_LEVEL says.
    "loggers": {
        name: {"level": "WARNING"}
        for name in ("oauthlib", "requests_oauthlib", "urllib3")
    },
}
