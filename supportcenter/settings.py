"""Support Center settings.

Two halves, as in Zulip: the first reads everything an operator may configure from the environment
(every variable is documented in `.env.example`); the second is computed from it and is not meant to
be edited. App code reads `settings.X` at call time, never a module-level copy.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import overload

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from supportcenter.schedule import BEAT_SCHEDULE

BASE_DIR = Path(__file__).resolve().parent.parent


@overload
def _env(name: str) -> str | None: ...
@overload
def _env(name: str, default: str) -> str: ...
def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value is not None else default


def _env_list(name: str, default: list[str]) -> list[str]:
    value = _env(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# ---------------------------------------------------------------------------------------------
# Operator-configurable (environment)
# ---------------------------------------------------------------------------------------------

DEBUG = _env_bool("SUPPORTCENTER_DEBUG", False)
DATA_DIR = Path(_env("SUPPORTCENTER_DATA_DIR", str(BASE_DIR / "var"))).resolve()
SECRET_KEY_ENV = _env("SUPPORTCENTER_SECRET_KEY")
ALLOWED_HOSTS = _env_list("SUPPORTCENTER_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = _env_list("SUPPORTCENTER_CSRF_TRUSTED_ORIGINS", [])
# Behind a TLS-terminating proxy: secure cookies, HSTS and the forwarded-proto header.
HTTPS = _env_bool("SUPPORTCENTER_HTTPS", False)
# With HTTPS: how long browsers remember to use HTTPS only (Strict-Transport-Security), whether
# that covers the host's subdomains, and consent to the browsers' preload list.
HSTS_SECONDS = _env_int("SUPPORTCENTER_HSTS_SECONDS", 31536000)
HSTS_INCLUDE_SUBDOMAINS = _env_bool("SUPPORTCENTER_HSTS_INCLUDE_SUBDOMAINS", True)
HSTS_PRELOAD = _env_bool("SUPPORTCENTER_HSTS_PRELOAD", True)
DATABASE_URL = _env("DATABASE_URL")
# PostgreSQL: let each connection keep its most used statements prepared (see DATABASES below).
# Off for a pooler that hands a session's statements to other clients (PgBouncer in
# transaction mode before 1.22, or without max_prepared_statements).
DATABASE_PREPARED_STATEMENTS = _env_bool("SUPPORTCENTER_DATABASE_PREPARED_STATEMENTS", True)
CELERY_BROKER_URL = _env("CELERY_BROKER_URL")
REDIS_URL = _env("REDIS_URL")
DEMO = _env_bool("SUPPORTCENTER_DEMO", False)
# Comma-separated Fernet keys (newest first) for secrets at rest; derived from SECRET_KEY if unset.
ENCRYPTION_KEYS = _env_list("SUPPORTCENTER_ENCRYPTION_KEYS", [])
# Links in emails. Unset, it follows the address `make run` serves on (HOST and PORT; a
# wildcard address is no place to link to, so this machine's loopback name stands in for it).
_RUN_HOST = _env("HOST", "127.0.0.1")
SITE_URL = _env(
    "SUPPORTCENTER_SITE_URL",
    f"http://{'localhost' if _RUN_HOST in ('0.0.0.0', '::') else _RUN_HOST}:{_env('PORT', '8000')}",
)
TIME_ZONE = _env("SUPPORTCENTER_TIME_ZONE", "UTC")

EMAIL_HOST = _env("SUPPORTCENTER_EMAIL_HOST", "localhost")
EMAIL_PORT = _env_int("SUPPORTCENTER_EMAIL_PORT", 25)
EMAIL_HOST_USER = _env("SUPPORTCENTER_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = _env("SUPPORTCENTER_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("SUPPORTCENTER_EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _env_bool("SUPPORTCENTER_EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = _env_int("SUPPORTCENTER_EMAIL_TIMEOUT", 30)
# SMTP connections a worker sending a backlog of emails opens at most (it sends that many
# messages at once, one per connection).
EMAIL_CONNECTIONS = _env_int("SUPPORTCENTER_EMAIL_CONNECTIONS", 4)
DEFAULT_FROM_EMAIL = _env("SUPPORTCENTER_EMAIL_FROM", "Support Center <support@localhost>")
# "smtp" sends for real; "console" prints messages (handy for make run without a mail server).
EMAIL_BACKEND_NAME = _env("SUPPORTCENTER_EMAIL_BACKEND", "smtp")

# Storage for attachments: "local" (under DATA_DIR/media) or "s3" (django-storages).
STORAGE_BACKEND = _env("SUPPORTCENTER_STORAGE", "local")
AWS_STORAGE_BUCKET_NAME = _env("SUPPORTCENTER_S3_BUCKET")
AWS_S3_ENDPOINT_URL = _env("SUPPORTCENTER_S3_ENDPOINT_URL")
AWS_S3_REGION_NAME = _env("SUPPORTCENTER_S3_REGION", "us-east-1")

# Reverse proxies in front of the web server, each appending the address it received the
# request from to X-Forwarded-For; the client's address is the N-th from the right (0: none,
# the address is the connection's). Sign-in throttling and the audit trail use it.
TRUSTED_PROXY_COUNT = _env_int("SUPPORTCENTER_TRUSTED_PROXY_COUNT", 0)
# Sign-in throttling: failures allowed per IP and sign-in name, and how long the lockout lasts.
SIGNIN_FAILURE_LIMIT = _env_int("SUPPORTCENTER_SIGNIN_FAILURE_LIMIT", 5)
SIGNIN_LOCKOUT_MINUTES = _env_int("SUPPORTCENTER_SIGNIN_LOCKOUT_MINUTES", 15)

# Events: allow webhook targets over plain http (otherwise https is required, except when
# DEBUG is on, and for localhost / 127.0.0.1 / ::1 where private webhooks are allowed). Trails'
# S3-compatible endpoints follow the same rule (core.netguard).
EVENTS_ALLOW_HTTP_WEBHOOKS = _env_bool("SUPPORTCENTER_EVENTS_ALLOW_HTTP_WEBHOOKS", False)
# Events: allow webhooks to localhost and private, loopback, link-local or reserved addresses.
# Off in production: delivery logs show responses to customers (SSRF into our own network).
# Trails' S3-compatible endpoints follow the same rule (core.netguard).
EVENTS_ALLOW_PRIVATE_WEBHOOKS = _env_bool("SUPPORTCENTER_EVENTS_ALLOW_PRIVATE_WEBHOOKS", False)

# Domain limits (the spec's numbers are the defaults).
SUPPORTCENTER_ATTACHMENT_SET_TTL_SECONDS = _env_int(
    "SUPPORTCENTER_ATTACHMENT_SET_TTL_SECONDS", 3600
)
SUPPORTCENTER_ATTACHMENTS_PER_SET = _env_int("SUPPORTCENTER_ATTACHMENTS_PER_SET", 3)
SUPPORTCENTER_ATTACHMENT_MAX_BYTES = _env_int("SUPPORTCENTER_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024)
# New attachment sets an account's users may create per hour, web and API together (engineers'
# replies aside); over it, AttachmentLimitExceeded ("too many attachment sets in a short
# period", as botocore's model puts it). 0 turns it off.
SUPPORTCENTER_ATTACHMENT_SET_CREATION_LIMIT = _env_int(
    "SUPPORTCENTER_ATTACHMENT_SET_CREATION_LIMIT", 100
)
SUPPORTCENTER_BUSINESS_HOURS_START = _env_int("SUPPORTCENTER_BUSINESS_HOURS_START", 8)
SUPPORTCENTER_BUSINESS_HOURS_END = _env_int("SUPPORTCENTER_BUSINESS_HOURS_END", 18)
SUPPORTCENTER_AUTO_RESOLVE_DAYS = _env_int("SUPPORTCENTER_AUTO_RESOLVE_DAYS", 6)
# How long after its resolution a customer may reopen a case (AWS: 14 days); after that they
# open a related case instead. Engineers may reopen any resolved case.
SUPPORTCENTER_REOPEN_DAYS = _env_int("SUPPORTCENTER_REOPEN_DAYS", 14)
SUPPORTCENTER_CASE_RETENTION_DAYS = _env_int("SUPPORTCENTER_CASE_RETENTION_DAYS", 365)
# Test cases (subject "TEST CASE--Please ignore"): seconds until the scripted answer, and from
# it until the case is resolved (cases.services.testscript).
SUPPORTCENTER_TEST_CASE_DELAY = _env_int("SUPPORTCENTER_TEST_CASE_DELAY", 30)
SUPPORTCENTER_TEST_CASE_RESOLVE_DELAY = _env_int("SUPPORTCENTER_TEST_CASE_RESOLVE_DELAY", 60)
SUPPORTCENTER_AUDIT_REGION = _env("SUPPORTCENTER_AUDIT_REGION", "us-east-1")
# Audit trail: how far back event history reaches, and how long records are kept (days).
SUPPORTCENTER_EVENT_HISTORY_DAYS = _env_int("SUPPORTCENTER_EVENT_HISTORY_DAYS", 90)
SUPPORTCENTER_AUDIT_RETENTION_DAYS = _env_int("SUPPORTCENTER_AUDIT_RETENTION_DAYS", 90)
# AWS API limits: requests per second per access key; DescribeAttachment calls per minute per
# key; cases an account may open per hour (web and API). 0 turns a limit off.
SUPPORTCENTER_API_RATE_LIMIT = _env_int("SUPPORTCENTER_API_RATE_LIMIT", 20)
SUPPORTCENTER_DESCRIBE_ATTACHMENT_LIMIT = _env_int("SUPPORTCENTER_DESCRIBE_ATTACHMENT_LIMIT", 60)
SUPPORTCENTER_CASE_CREATION_LIMIT = _env_int("SUPPORTCENTER_CASE_CREATION_LIMIT", 30)
# Part size for multipart uploads of large attachments (at most 100 MB).
SUPPORTCENTER_UPLOAD_PART_SIZE = _env_int("SUPPORTCENTER_UPLOAD_PART_SIZE", 10 * 1024 * 1024)
# Lifetime of presigned upload and download links, in seconds.
SUPPORTCENTER_PRESIGNED_URL_TTL_SECONDS = _env_int("SUPPORTCENTER_PRESIGNED_URL_TTL_SECONDS", 3600)
# Trusted Advisor: the shortest time between two refreshes of one check (seconds); how long a
# refresh may stay enqueued or processing before it is given up; the AWS endpoint that key and
# role connections talk to (empty = AWS itself; set it to use LocalStack or a moto server).
ADVISOR_REFRESH_MIN_INTERVAL = _env_int("SUPPORTCENTER_ADVISOR_REFRESH_MIN_INTERVAL", 300)
ADVISOR_REFRESH_TIMEOUT = _env_int("SUPPORTCENTER_ADVISOR_REFRESH_TIMEOUT", 1800)
ADVISOR_AWS_ENDPOINT_URL = _env("SUPPORTCENTER_ADVISOR_AWS_ENDPOINT_URL", "")
# Seconds a refresh may wait in the queue before it is given up (the weekly refresh of many
# accounts can queue for a while).
ADVISOR_REFRESH_QUEUE_TIMEOUT = _env_int("SUPPORTCENTER_ADVISOR_REFRESH_QUEUE_TIMEOUT", 21600)
# The moto sample environment (`manage.py advisor_sample`); empty = start one in-process.
ADVISOR_SAMPLE_ENDPOINT = os.environ.get("SUPPORTCENTER_ADVISOR_SAMPLE_ENDPOINT", "")
# Whether accounts may connect the moto sample environment (on with the demo; it runs a moto
# server inside the worker when no SUPPORTCENTER_ADVISOR_SAMPLE_ENDPOINT is given).
ADVISOR_SAMPLE_ENABLED = _env_bool("SUPPORTCENTER_ADVISOR_SAMPLE_ENABLED", DEMO)
# How long check results are kept for the history chart (days).
ADVISOR_RESULT_RETENTION_DAYS = _env_int("SUPPORTCENTER_ADVISOR_RESULT_RETENTION_DAYS", 365)

# ---------------------------------------------------------------------------------------------
# Computed (do not edit)
# ---------------------------------------------------------------------------------------------

SECRET_KEY_FILE = _env("SUPPORTCENTER_SECRET_KEY_FILE")
if SECRET_KEY_ENV:
    SECRET_KEY = SECRET_KEY_ENV
elif SECRET_KEY_FILE:
    SECRET_KEY = Path(SECRET_KEY_FILE).read_text().strip()
elif (DATA_DIR / "secret_key").is_file():
    # The key `make run` keeps in the data directory: the operators' commands the README shows
    # (manage.py create_api_user, createsuperuser, ...) find it without being told.
    SECRET_KEY = (DATA_DIR / "secret_key").read_text().strip()
elif DEBUG:
    # Development only: a random key per process would log everyone out on every reload, so
    # keep one in the data directory.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    _key_file = DATA_DIR / "dev_secret_key"
    if not _key_file.exists():
        _key_file.write_text(secrets.token_urlsafe(50))
        _key_file.chmod(0o600)
    SECRET_KEY = _key_file.read_text().strip()
else:
    raise ImproperlyConfigured(
        "SUPPORTCENTER_SECRET_KEY (or SUPPORTCENTER_SECRET_KEY_FILE) is required when "
        "SUPPORTCENTER_DEBUG is off (see .env.example)."
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "csp",
    # django-axes, with its admin section named in the operator's language.
    "accounts.lockouts.LockoutsConfig",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "core",
    "accounts",
    "catalog",
    "cases",
    "audit",
    "cloudtrail",
    "connections",
    "awsapi",
    "notifications",
    "console",
    "advisor",
    "events",
    "macros",
    "demo",
    "ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Ahead of the page policy: an API answer is JSON no browser renders, and building the
    # policy cost a tenth of a DescribeCases call.
    "awsapi.middleware.AwsApiMiddleware",
    # Content-Security-Policy on every page that has none of its own (attachments keep
    # their stricter sandbox, cases.http.SANDBOX_CSP).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed a second factor (django-otp).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.middleware.HtmxVaryMiddleware",
    "accounts.middleware.PrincipalMiddleware",
    "accounts.middleware.ViewerTimeZoneMiddleware",
    # IAM users of an account that requires multi-factor sign-in set it up before anything else.
    "accounts.middleware.MfaEnrollmentMiddleware",
    # Service errors a view did not show on a form become the page they mean (404, 403, 400).
    "accounts.middleware.ServiceErrorMiddleware",
    # Records the actions a page refused, after the view's transaction is over.
    "audit.middleware.RefusedActionsMiddleware",
    # Last, as django-axes asks: it turns lockouts raised during sign-in into responses.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "supportcenter.urls"
WSGI_APPLICATION = "supportcenter.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.SupportCenterBackend",
]
LOGIN_URL = "/signin/"
# The issuer authenticator apps show beside the codes.
OTP_TOTP_ISSUER = "Support Center"
LOGIN_REDIRECT_URL = "/support/"
# Failed sign-ins are throttled per IP address and sign-in name (django-axes).
AXES_FAILURE_LIMIT = SIGNIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=SIGNIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"]]
AXES_USERNAME_CALLABLE = "accounts.backends.axes_username"
# The client's address behind TRUSTED_PROXY_COUNT proxies, as the audit trail records it.
AXES_CLIENT_IP_CALLABLE = "core.clientip.client_ip"
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
            ],
        },
    }
]

if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and (
        DATABASE_PREPARED_STATEMENTS
    ):
        # Django's psycopg 3 backend binds parameters on the client and prepares nothing, so
        # PostgreSQL parses and plans every statement anew, much of its CPU on the API's short
        # statements. Bound on the server, a statement a connection has run 5 times (psycopg's
        # threshold, which Django sets to None unless given) is prepared and kept for the
        # connection's life (CONN_MAX_AGE). PostgreSQL plans its first 5 executions for their
        # values and then keeps a generic plan only if that is estimated no dearer (the saving
        # is that planning: plan_cache_mode=force_custom_plan measured none). `bench api`:
        # PostgreSQL's CPU per DescribeCases call 2.7 -> 1.35 ms, per CreateCase 5.7 -> 4.0 ms.
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            {"server_side_binding": True, "prepare_threshold": 5}
        )
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            # Django's, with a process's writers queueing on a lock of their own (core.sqlite).
            "ENGINE": "core.sqlite",
            "NAME": str(DATA_DIR / "supportcenter.sqlite3"),
            # Kept open between requests: opening costs a few milliseconds, and when the last
            # connection to a WAL database closes SQLite checkpoints and removes the WAL, which
            # per request would cost more than the request.
            "CONN_MAX_AGE": None,
            "CONN_HEALTH_CHECKS": True,
            # WAL lets the web server and the Celery worker read while the other writes;
            # IMMEDIATE makes writers queue for the lock instead of failing mid-transaction.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
# Django's form renderer, with selects written in Python (core.widgets): through the templates
# a select cost a template per option.
FORM_RENDERER = "core.widgets.FormRenderer"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ja", "日本語")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"

if STORAGE_BACKEND == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": AWS_S3_ENDPOINT_URL,
            "region_name": AWS_S3_REGION_NAME,
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
            # Presigned URLs must be SigV4 with a custom endpoint (MinIO, moto).
            "signature_version": "s3v4",
            "access_key": _env("SUPPORTCENTER_S3_ACCESS_KEY_ID"),
            "secret_key": _env("SUPPORTCENTER_S3_SECRET_ACCESS_KEY"),
        },
    }
elif STORAGE_BACKEND == "local":
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": None},
    }
else:
    raise ImproperlyConfigured("SUPPORTCENTER_STORAGE must be 'local' or 's3'.")

STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

EMAIL_BACKEND = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
}.get(EMAIL_BACKEND_NAME, EMAIL_BACKEND_NAME)

if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 12 * 3600
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
# Everything the pages use is served from here (static/, htmx from django-htmx, the admin's own
# files): no CDN, no inline script or style, no eval (htmx's allowEval is off in base.html's
# htmx-config, its indicator styles too). JavaScript may still set styles through the DOM.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = HSTS_SECONDS
    SECURE_HSTS_INCLUDE_SUBDOMAINS = HSTS_INCLUDE_SUBDOMAINS
    SECURE_HSTS_PRELOAD = HSTS_PRELOAD
    SECURE_SSL_REDIRECT = _env_bool("SUPPORTCENTER_SSL_REDIRECT", True)

# Celery: a broker that needs no server by default (kombu's filesystem transport under DATA_DIR);
# Redis in production through CELERY_BROKER_URL.
CELERY_BROKER_DIR = DATA_DIR / "broker"
if CELERY_BROKER_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": 3600}
else:
    # A host named, though the folders below are the whole address: without one kombu warns
    # "No hostname was supplied" from every process that connects.
    CELERY_BROKER_URL = "filesystem://localhost//"
    # kombu's filesystem transport, writing each message whole (supportcenter/broker.py).
    CELERY_BROKER_TRANSPORT = "supportcenter.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
        # The worker looks at the folder again this often once it holds as many messages as it
        # may prefetch (kombu's default is a second: two tasks a second with two processes, so
        # a busy day's emails queued faster than they went out). Listing an empty folder is
        # cheap.
        "polling_interval": 0.05,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_TIMEOUT = 5
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing gives up after ~0.4 s when the broker is down; the outbox sweep picks the work up.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = BEAT_SCHEDULE

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
