"""One settings module, configured by environment variables.

Fail closed: without DJANGO_DEBUG the settings are production's, and production refuses to
start without a real secret key. Development says so explicitly (DJANGO_DEBUG=1: the Makefile,
the test configuration and the scripts do); the database is then a SQLite file in the project
folder. Production sets DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS and DATABASE_URL, and
DJANGO_TRUSTED_PROXY_COUNT behind a proxy.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

# Django's own check (security.W009) asks for this much: a key shorter, or one of Django's
# generated development keys, can be guessed or is public.
SECRET_KEY_MIN_LENGTH = 50
INSECURE_KEY_PREFIX = "django-insecure-"


def secret_key_problem(key: str) -> str | None:
    if not key:
        return "DJANGO_SECRET_KEY is not set"
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"DJANGO_SECRET_KEY is too short (fewer than {SECRET_KEY_MIN_LENGTH} characters)"
    if len(set(key)) < 5:
        return "DJANGO_SECRET_KEY is too simple (fewer than 5 different characters)"
    if key.startswith(INSECURE_KEY_PREFIX):
        return f"DJANGO_SECRET_KEY starts with “{INSECURE_KEY_PREFIX}”, a development key"
    return None


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not DEBUG and secret_key_problem(SECRET_KEY):
    raise ImproperlyConfigured(
        f"{secret_key_problem(SECRET_KEY)}. With DJANGO_DEBUG off (the default: unset means "
        "production) the tool refuses to start without a secret key of at least "
        f"{SECRET_KEY_MIN_LENGTH} random characters: set DJANGO_SECRET_KEY, or set "
        "DJANGO_DEBUG=1 for development."
    )
if not SECRET_KEY:
    SECRET_KEY = "development-only-insecure-key-never-used-with-debug-off"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")

INSTALLED_APPS = [
    # First, so its templates (the admin index with "your work") override the admin's own.
    "annotator",
    # The admin's modules are imported with the URLs (config/urls.py), not at start-up.
    "annotator.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "import_export",
    "axes",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into a clear response.
    "axes.middleware.AxesMiddleware",
]

# Django's database sessions, read on every request by SQL written once (annotator/sessions.py).
SESSION_ENGINE = "annotator.sessions"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# Production keeps each worker thread's connection open (a new PostgreSQL connection per
# request costs a process start on the server), checked before reuse after an error or restart.
# Development and the tests open one per request. Each gunicorn thread holds one connection:
# workers x threads must stay below PostgreSQL's max_connections (config/gunicorn.conf.py).
CONN_MAX_AGE_DEFAULT = "0" if DEBUG else "60"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", CONN_MAX_AGE_DEFAULT)),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Annotators save concurrently: wait for the write lock instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    # Write-ahead log: a long read (an export's snapshot) blocks no writer, and the writers (a
    # background job's heartbeat, annotators saving) block no reader.
    DATABASES["default"]["OPTIONS"].setdefault("init_command", "PRAGMA journal_mode=WAL")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "annotator" / "locale"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"

# Files the tool writes (finished exports of background jobs, under MEDIA_ROOT/jobs/). Never
# served as static files: a lead downloads them through a permission-checked admin view.
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT") or BASE_DIR / "storage")

# Background jobs (annotator/jobs.py) through Django's Tasks API (`django-tasks` on Django 5.2).
# The default is the database backend: tasks wait in a table of this database and
# `manage.py db_worker` (started by `make run`) runs them; no other server. For several
# machines set DJANGO_TASKS_BACKEND to a distributed backend (README, "Background jobs").
# "django_tasks.backends.immediate.ImmediateBackend" runs each task at once, in the request.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("DJANGO_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
# A running job whose heartbeat is older than this many seconds is stale (its worker died)
# and may be retried from the admin.
JOB_STALE_SECONDS = int(os.environ.get("DJANGO_JOB_STALE_SECONDS", "60"))
# How often a running job writes its heartbeat and progress (the admin's job list shows both).
JOB_HEARTBEAT_SECONDS = float(os.environ.get("DJANGO_JOB_HEARTBEAT_SECONDS", "2"))
# Article uploads of more files or bytes than this, and agreement pages of projects with more
# submitted annotations, run as background jobs.
JOB_IMPORT_FILES = int(os.environ.get("DJANGO_JOB_IMPORT_FILES", "20"))
JOB_IMPORT_BYTES = int(os.environ.get("DJANGO_JOB_IMPORT_BYTES", str(2 * 1024 * 1024)))
JOB_AGREEMENT_ANNOTATIONS = int(os.environ.get("DJANGO_JOB_AGREEMENT_ANNOTATIONS", "50000"))
STATIC_ROOT = BASE_DIR / "staticfiles"

LOGIN_URL = "admin:login"

# Brute-force protection: after 5 failed logins (or wrong old passwords on the password change
# form) for a username from one address, that pair is locked for an hour (django-axes).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 1
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)
# The client's address: REMOTE_ADDR without a proxy; behind N trusted proxies, the Nth address
# from the right of X-Forwarded-For (each proxy appends the address it received the request
# from, so everything left of that is whatever the client chose to send).
TRUSTED_PROXY_COUNT = int(os.environ.get("DJANGO_TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "config.client_address.client_address"

IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
# xlsx cells cannot hold some control characters: the library replaces them (U+FFFD) instead of
# failing the export.
IMPORT_EXPORT_ESCAPE_ILLEGAL_CHARS_ON_EXPORT = True
# Admin import/export needs annotator.import_<model> / export_<model>, which only the Leads
# group holds (migration 0003): annotators never reach an export of other people's labels.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}
