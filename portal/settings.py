"""One settings module for every environment, driven by environment variables.

With nothing set the portal runs with SQLite, Celery tasks in-process and email on the console.
Production sets DATABASE_URL, REDIS_URL, EMAIL_URL (or the SMTP variables), SECRET_KEY and ALLOWED_HOSTS.
"""

import logging
import sys
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from portal import logs, observability

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(str(BASE_DIR / ".env"))

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env(
    "SECRET_KEY",
    default="dev-only-insecure-key-set-SECRET_KEY-in-production-0123456789abcdef",
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "health_check",
    "django_prometheus",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "pgtrigger",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    # Lower apps first: an app imports only from apps above it in this list (see README, Architecture).
    "portal.core",
    "portal.audit",
    "portal.delivery",
    "portal.organisations",
    "portal.deadlines",
    "portal.evidence",
    "portal.backups",
    "portal.staff",
    "subprocessors.listing",
    "subprocessors.changes",
    "subprocessors.notices",
    "subprocessors.webhooks",
    "subprocessors.objections",
    "portal.trust",
    "portal.knowledge",
    "dpa.versions",
    "dpa.signing",
    "dpa.breaches",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # early, so redirects, static files and refused bodies get their line and X-Request-ID too
    "portal.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # gzip (with BREACH padding) for text the page cache below does not serve; outside it, so the cache stores
    # and compresses uncompressed bodies, and skips what the cache already encoded
    "portal.core.compression.TextGZipMiddleware",
    # whole anonymous public pages from one cache round trip, before sessions, CSRF and authentication run
    "portal.core.page_cache.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # before CsrfViewMiddleware, whose process_view parses POSTed forms: bodies are bounded before anything reads them
    "portal.core.request_limits.RequestLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.core.middleware.MfaSessionMiddleware",
    # near the end, so its process_exception sees a view's exception first: a missing or altered evidence file is a 503
    "portal.evidence.middleware.EvidenceIntegrityMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "portal.urls"
CSRF_FAILURE_VIEW = "portal.core.views.csrf_failure"
WSGI_APPLICATION = "portal.wsgi.application"
SITE_ID = 1

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
                "portal.core.context_processors.portal",
            ],
        },
    }
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The same engines, counting queries and errors for /metrics (django-prometheus).
DATABASES["default"]["ENGINE"] = DATABASES["default"]["ENGINE"].replace("django.db.", "django_prometheus.db.")
# /metrics answers only with "Authorization: Bearer <METRICS_TOKEN>"; unset, the endpoint does not exist.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "portal.core.cache_backend.PortalRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="portal"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

LANGUAGE_CODE = "en-gb"
USE_I18N = True
USE_TZ = True
# Business days and every date shown to people are in the portal's time zone; storage is UTC.
PORTAL_TIME_ZONE = env("PORTAL_TIME_ZONE", default="Europe/Amsterdam")
PORTAL_HOLIDAY_COUNTRY = env("PORTAL_HOLIDAY_COUNTRY", default="NL")
# Follow the Dutch Algemene termijnenwet instead of the holiday list as it is: 5 May closed every year, Good
# Friday a business day. Off by default: switching it on shortens notice periods that span Good Friday, which
# the operator decides knowingly (README "Business days").
PORTAL_CALENDAR_ALGEMENE_TERMIJNENWET = env.bool("PORTAL_CALENDAR_ALGEMENE_TERMIJNENWET", default=False)
if PORTAL_CALENDAR_ALGEMENE_TERMIJNENWET and PORTAL_HOLIDAY_COUNTRY.upper() != "NL":
    raise ImproperlyConfigured(
        "PORTAL_CALENDAR_ALGEMENE_TERMIJNENWET is a Dutch rule: it needs PORTAL_HOLIDAY_COUNTRY=NL "
        f"(it is {PORTAL_HOLIDAY_COUNTRY!r})."
    )
TIME_ZONE = PORTAL_TIME_ZONE

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# Serve from the app folders too, so a deployment that skipped collectstatic still has its styles (portal.W010).
WHITENOISE_USE_FINDERS = True
STATICFILES_DIRS = [BASE_DIR / "static"]
# Private files (trust documents, rendered PDFs) live outside any URL; views stream them after checks.
PRIVATE_STORAGE_ROOT = Path(env("PRIVATE_STORAGE_ROOT", default=str(BASE_DIR / "private")))
# Signed audit-log checkpoints (portal.evidence.checkpoints) are kept apart from the database they vouch for:
# a directory by default; point the `audit_checkpoints` alias at write-once storage (an S3 bucket with object lock).
AUDIT_CHECKPOINT_ROOT = Path(
    env("AUDIT_CHECKPOINT_ROOT", default=str(PRIVATE_STORAGE_ROOT.parent / "audit-checkpoints"))
)
# Or both in an S3-compatible bucket (portal/object_storage.py), so several web and worker containers share them.
PRIVATE_STORAGE_BUCKET = env("PRIVATE_STORAGE_BUCKET", default="")
AUDIT_CHECKPOINT_BUCKET = env("AUDIT_CHECKPOINT_BUCKET", default=PRIVATE_STORAGE_BUCKET)
_S3 = {
    "endpoint_url": env("PRIVATE_STORAGE_ENDPOINT_URL", default=""),
    "region": env("PRIVATE_STORAGE_REGION", default=""),
    "access_key_id": env("PRIVATE_STORAGE_ACCESS_KEY_ID", default=""),
    "secret_access_key": env("PRIVATE_STORAGE_SECRET_ACCESS_KEY", default=""),
    "encryption": env("PRIVATE_STORAGE_ENCRYPTION", default=""),
    "kms_key_id": env("PRIVATE_STORAGE_KMS_KEY_ID", default=""),
    "acl": env("PRIVATE_STORAGE_ACL", default="private"),
    "addressing_style": env("PRIVATE_STORAGE_ADDRESSING_STYLE", default=""),
}
PRIVATE_STORAGE_PREFIX = env("PRIVATE_STORAGE_PREFIX", default="private")
AUDIT_CHECKPOINT_PREFIX = env("AUDIT_CHECKPOINT_PREFIX", default="audit-checkpoints")
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_STORAGE_ROOT), "base_url": None},
    },
    "audit_checkpoints": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(AUDIT_CHECKPOINT_ROOT), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": "portal.core.staticfiles.PortalStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
if PRIVATE_STORAGE_BUCKET or AUDIT_CHECKPOINT_BUCKET:
    from portal.object_storage import check_prefixes, s3_storage

    if PRIVATE_STORAGE_BUCKET:
        STORAGES["default"] = s3_storage(bucket=PRIVATE_STORAGE_BUCKET, prefix=PRIVATE_STORAGE_PREFIX, **_S3)
    if AUDIT_CHECKPOINT_BUCKET:
        STORAGES["audit_checkpoints"] = s3_storage(
            bucket=AUDIT_CHECKPOINT_BUCKET, prefix=AUDIT_CHECKPOINT_PREFIX, **_S3
        )
    check_prefixes(
        bucket=PRIVATE_STORAGE_BUCKET,
        prefix=PRIVATE_STORAGE_PREFIX,
        checkpoint_bucket=AUDIT_CHECKPOINT_BUCKET,
        checkpoint_prefix=AUDIT_CHECKPOINT_PREFIX,
    )
# Nothing is ever served from MEDIA_URL: uploaded files live in PRIVATE_STORAGE_ROOT (see STORAGES).
MEDIA_URL = "/_no-public-media/"
MEDIA_ROOT = BASE_DIR / "no-public-media"

# --- Email -----------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
if env("EMAIL_HOST", default=""):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env("EMAIL_HOST")
    EMAIL_PORT = env.int("EMAIL_PORT", default=587)
    EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
    EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Trust Portal <privacy@portal.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=6)
OUTBOX_STUCK_AFTER = timedelta(minutes=env.int("OUTBOX_STUCK_MINUTES", default=5))
# Emails per delivery task: claimed at once and sent over one SMTP connection (portal.delivery.outbox).
OUTBOX_BATCH_SIZE = env.int("OUTBOX_BATCH_SIZE", default=200)
# How long an API Idempotency-Key is remembered (portal/core/idempotency.py).
IDEMPOTENCY_KEY_HOURS = env.int("IDEMPOTENCY_KEY_HOURS", default=24)
# Delivery batches (email and webhook) make their per-row records durable on disk at least this often and at the
# end of each batch, not at every commit (portal.delivery.services._Commits); 0: at every commit.
DELIVERY_FLUSH_INTERVAL_MS = env.int("DELIVERY_FLUSH_INTERVAL_MS", default=100)

# --- Celery ----------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="celery")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
# Redis connections: a dead peer is noticed within seconds (keepalive, timeouts, a PING before reusing a connection
# idle for 25 s) instead of a worker waiting forever on a socket that will never answer.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": 5,
    "socket_timeout": 10,  # longer than the 1-second BRPOP the worker waits in
    "socket_keepalive": True,
    "health_check_interval": 25,
    "retry_on_timeout": True,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker that lost Redis keeps reconnecting (every 2, 4, … up to 30 seconds) for as long as Redis is away, rather
# than giving up after 100 tries; if it stops anyway (status 1), the process supervisor restarts it (README).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CHANNEL_ERROR_RETRY = True
# A task running when Redis goes away finishes and records its outcome in the database; cancelling it would leave
# an email `sending` for the stuck-row sweep and risk a second copy. Its acknowledgement is lost, which is harmless:
# a redelivered task finds its row done and skips.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# A request that enqueues on commit must not hang when Redis is down: fail fast, the beat sweeps catch up.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
# Beat only sweeps: anything due later than a few minutes is a database row, never a task in Redis.
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "portal.delivery.tasks.outbox_sweep", "schedule": 60.0},
    "subprocessors-purge-unconfirmed": {
        "task": "subprocessors.listing.tasks.subscribers_purge_task",
        "schedule": 3600.0,
    },
    "access-escalate": {"task": "portal.trust.tasks.access_escalate_sweep", "schedule": 300.0},
    "access-expiry": {"task": "portal.trust.tasks.access_expiry_sweep", "schedule": 900.0},
    "access-digest": {"task": "portal.trust.tasks.access_digest_send", "schedule": 3600.0},
    "dpa-obligation-reminders": {"task": "portal.deadlines.tasks.obligation_reminders_sweep", "schedule": 60.0},
    "dpa-expire-signatory-links": {"task": "dpa.signing.tasks.dpa_expire_signatory_links_task", "schedule": 3600.0},
    "dpa-agreements-sweep": {"task": "dpa.signing.tasks.dpa_agreements_sweep_task", "schedule": 60.0},
    "subprocessors-changes-effective": {
        "task": "subprocessors.changes.tasks.changes_make_effective",
        "schedule": 300.0,
    },
    "subprocessors-objection-reminders": {
        "task": "subprocessors.objections.tasks.objection_reminders",
        "schedule": 3600.0,
    },
    "subprocessors-fanout-sweep": {"task": "subprocessors.changes.tasks.change_fanout_sweep", "schedule": 300.0},
    "subprocessors-webhook-sweep": {"task": "subprocessors.webhooks.tasks.webhook_sweep", "schedule": 60.0},
    "chat-sweep": {"task": "portal.delivery.tasks.chat_sweep", "schedule": 60.0},
    "core-idempotency-sweep": {"task": "portal.core.tasks.idempotency_sweep_task", "schedule": 3600.0},
    "evidence-prepared-files": {"task": "portal.evidence.tasks.prepared_files_sweep", "schedule": 60.0},
    "evidence-files-verify": {"task": "portal.evidence.tasks.evidence_files_sweep", "schedule": 86400.0},
    # Every day, whether or not the log grew: a checkpoint is what reveals deleted newest rows.
    "audit-checkpoint": {"task": "portal.evidence.tasks.audit_checkpoint_task", "schedule": crontab(hour=3, minute=17)},
}

# --- Accounts (django-allauth) ---------------------------------------------------------------
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Trust Portal] "
ACCOUNT_ADAPTER = "portal.organisations.adapters.AccountAdapter"
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    # Failed sign-ins: 5 per account from one client address (portal.organisations.adapters makes the key
    # email + address, so a guesser elsewhere cannot lock the owner out) and 10 per address across all accounts.
    "login_failed": "10/5m/ip,5/5m/key",
    "signup": "20/h/ip",
    "reset_password": "10/h/ip,5/h/key",  # nosec B105 - a rate, not a password
    "confirm_email": "5/5m/key",
}
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env("MFA_TOTP_ISSUER", default="Trust Portal")
SOCIALACCOUNT_PROVIDERS = {}
for _provider in ("google", "github"):
    _client_id = env(f"{_provider.upper()}_CLIENT_ID", default="")
    if _client_id:
        INSTALLED_APPS.append(f"allauth.socialaccount.providers.{_provider}")
        SOCIALACCOUNT_PROVIDERS[_provider] = {
            "APPS": [{"client_id": _client_id, "secret": env(f"{_provider.upper()}_SECRET"), "key": ""}],
            "EMAIL_AUTHENTICATION": False,
        }

# --- API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "portal.core.api_schema.PortalAutoSchema",
    # Token first: a request without (or with an invalid) `Authorization: Token` header then answers 401 with
    # `WWW-Authenticate: Token`, as the schema says, rather than 403; browser sessions authenticate as before.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.organisations.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "portal.core.api.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "portal.core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"anon": env("API_ANON_RATE", default="120/min"), "user": "600/min"},
}
# API tokens (django-rest-knox with our own model): hashed, named, scoped, expiring; see portal/services/tokens.py.
KNOX_TOKEN_MODEL = "organisations.ApiToken"
# knox's own token table is never used (the model above replaces it); its migrations would still create it.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {"TOKEN_TTL": timedelta(days=90), "AUTH_HEADER_PREFIX": "Token", "AUTO_REFRESH": False}
API_TOKEN_DEFAULT_DAYS = env.int("API_TOKEN_DEFAULT_DAYS", default=90)
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=365)
API_TOKEN_STAFF_MAX_DAYS = env.int("API_TOKEN_STAFF_MAX_DAYS", default=30)
API_TOKEN_MAX_PER_USER = env.int("API_TOKEN_MAX_PER_USER", default=20)
SPECTACULAR_SETTINGS = {
    "TITLE": "Trust Portal API",
    "DESCRIPTION": "The trust portal's API: the public sub-processor list and change notices; customers' access "
    "requests, documents, objections and DPA signing; and, under /api/v1/staff/, every action of the processor's "
    "legal staff.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "ENABLE_DJANGO_DEPLOY_CHECK": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.core.api_schema.readable_component_names",
    ],
    # Several models have a `status`; name each enum after its model so the public contract reads well.
    "ENUM_NAME_OVERRIDES": {
        "SubprocessorStatusEnum": "subprocessors.listing.models.Subprocessor.Status",
        "SubscriberStatusEnum": "subprocessors.listing.models.Subscriber.Status",
        "SubprocessorChangeStatusEnum": "subprocessors.changes.models.SubprocessorChange.Status",
        "DpaVersionStatusEnum": "dpa.versions.models.DpaVersion.Status",
        "DpaExecutionStatusEnum": "dpa.signing.models.DpaExecution.Status",
        "AccessRequestStatusEnum": "portal.trust.models.AccessRequest.Status",
        "BreachIncidentStatusEnum": "dpa.breaches.models.BreachIncident.Status",
        "BreachDeliveryStatusEnum": "dpa.breaches.models.DeliveryStatus",
        "BreachScopeEnum": "dpa.breaches.models.BreachIncident.Scope",
        "BreachSeverityEnum": "dpa.breaches.models.BreachIncident.Severity",
        "BreachNotificationOutcomeEnum": "dpa.breaches.api_staff.OUTCOMES",
        "BreachBlockKeyEnum": "dpa.breaches.api_staff.BLOCK_FIELDS",
        "BreachBlockStateEnum": "dpa.breaches.api_staff.BLOCK_STATES",
        "ObligationStatusEnum": "portal.deadlines.models.obligations.Obligation.Status",
        # The public changes feed's name since before the staff API added other `kind` fields: kept stable.
        "KindEnum": "subprocessors.changes.models.changes.SubprocessorChange.Kind",
        "ObligationKindEnum": "portal.deadlines.models.obligations.Obligation.Kind",
        "ObligationStaffKindEnum": "portal.deadlines.forms.STAFF_KINDS",
        "ObligationStateFilterEnum": "portal.deadlines.api_staff.STATE_FILTERS",
        "ObjectionStatusEnum": "subprocessors.objections.models.Objection.Status",
        "ObjectionStatusFilterEnum": "subprocessors.objections.api_staff.STATUS_FILTERS",
        "ObjectionTransitionStatusEnum": "subprocessors.objections.api_staff.TARGET_STATUSES",
        "FaqEntryStatusEnum": "portal.knowledge.models.EntryStatus",
        "FaqVisibilityEnum": "portal.knowledge.models.Visibility",
        "OutboundEmailStatusEnum": "portal.delivery.models.OutboundEmail.Status",
        "WebhookDeliveryStatusEnum": "subprocessors.webhooks.models.WebhookDelivery.Status",
        "TrustDocumentCategoryEnum": "portal.trust.models.TrustDocument.Category",
        "SubprocessorCategoryEnum": "subprocessors.listing.models.Subprocessor.Category",
        "ApiTokenScopeEnum": "portal.organisations.models.ApiToken.Scope",
        "ChatAlertKindEnum": "portal.delivery.models.ChatAlert.Kind",
        "CalendarOverrideKindEnum": "portal.deadlines.models.CalendarOverride.Kind",
        "CalendarOverrideRecurrenceEnum": "portal.deadlines.models.CalendarOverride.Recurrence",
        "MonthEnum": "portal.deadlines.models.calendar.MONTHS",
    },
}

# --- Security --------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How to find the client's address behind reverse proxies (portal.core.clients.client_ip and allauth's
# rate limits): the number of proxies that append to X-Forwarded-For, or one header a proxy sets.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env.str("TRUSTED_CLIENT_IP_HEADER", default="") or None
REST_FRAMEWORK["NUM_PROXIES"] = ALLAUTH_TRUSTED_PROXY_COUNT or None  # DRF throttles: same client address
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# load balancers and orchestrators probe over plain HTTP inside the network
SECURE_REDIRECT_EXEMPT = [r"^health/(live|ready)$", r"^metrics$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
# Sessions are read from the cache (written through to the database): a signed-in page costs no session query.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- Portal ----------------------------------------------------------------------------------
PORTAL_NAME = env("PORTAL_NAME", default="Trust Portal")
PORTAL_PROCESSOR_NAME = env("PORTAL_PROCESSOR_NAME", default="Routewise B.V.")
PORTAL_SUPPORT_EMAIL = env("PORTAL_SUPPORT_EMAIL", default="support@portal.example")
PORTAL_LEGAL_LEAD_EMAIL = env("PORTAL_LEGAL_LEAD_EMAIL", default="legal-lead@portal.example")
# The processor's privacy/DPO contact point, stated in every breach notice (GDPR Art. 33(3)(b)).
PORTAL_DPO_NAME = env("PORTAL_DPO_NAME", default="Data Protection Officer")
PORTAL_DPO_EMAIL = env("PORTAL_DPO_EMAIL", default="dpo@portal.example")
PORTAL_DPO_PHONE = env("PORTAL_DPO_PHONE", default="+31 20 555 0199")
# Sub-processor change notices and customer webhooks
CHANGE_FANOUT_BATCH = env.int("CHANGE_FANOUT_BATCH", default=500)
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", default=False)
WEBHOOK_TIMEOUT_SECONDS = env.int("WEBHOOK_TIMEOUT_SECONDS", default=10)
# Webhook deliveries per delivery task, and how many deliveries to one endpoint (webhook) may be claimed at once
# across all workers: a slow endpoint occupies at most that many workers; its other deliveries wait their turn.
WEBHOOK_BATCH_SIZE = env.int("WEBHOOK_BATCH_SIZE", default=50)
WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT = env.int("WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT", default=4)
# Staff alerts in chat (portal.delivery.chat): a Slack or Microsoft Teams incoming-webhook URL; empty: off.
STAFF_CHAT_WEBHOOK_URL = env("STAFF_CHAT_WEBHOOK_URL", default="").strip()

# --- Evidence signatures (portal.evidence.signing) -----------------------------------------------------------
# PAdES signatures on the PDFs the portal issues as evidence, and detached CMS signatures (audit checkpoints).
# PORTAL_SIGNING_KEY: a PEM private key (with PORTAL_SIGNING_CERT) or a PKCS#12 bundle (.p12/.pfx: key, certificate
# and usually the chain). Unset: evidence PDFs are issued unsigned (`check --deploy` warns); with DEBUG, the demo
# CA that `load_demo` writes into PORTAL_SIGNING_DEMO_DIR is used instead.
PORTAL_SIGNING_KEY = env("PORTAL_SIGNING_KEY", default="")
PORTAL_SIGNING_CERT = env("PORTAL_SIGNING_CERT", default="")
PORTAL_SIGNING_PASSPHRASE = env("PORTAL_SIGNING_PASSPHRASE", default="")
# PEM files of the intermediate and root certificates (comma-separated); the roots are the verifier's trust anchors.
PORTAL_SIGNING_CHAIN = env.list("PORTAL_SIGNING_CHAIN", default=[])
# RFC 3161 time-stamping authority: signatures become PAdES B-T (B-LT when revocation info can be embedded).
PORTAL_TSA_URL = env("PORTAL_TSA_URL", default="")
# PEM files of the TSA's root/intermediate certificates, so verification can call its timestamps trusted.
PORTAL_TSA_CHAIN = env.list("PORTAL_TSA_CHAIN", default=[])
PORTAL_TSA_TIMEOUT_SECONDS = env.int("PORTAL_TSA_TIMEOUT_SECONDS", default=10)
PORTAL_SIGNING_DEMO_DIR = BASE_DIR / "var" / "demo-signing"

# --- Audit chain (portal.audit.models.AuditEvent) -----------------------------------------------------
# Every audit row carries HMAC-SHA256(AUDIT_CHAIN_KEY, previous row's hash + its content). The key never enters the
# database, so someone who can write to the database cannot recompute a valid chain. Rotation (README): put the
# current key first in AUDIT_CHAIN_OLD_KEYS (comma-separated) and set a new AUDIT_CHAIN_KEY; old rows stay checkable.
AUDIT_CHAIN_DEV_KEY = "dev-only-insecure-audit-chain-key-set-AUDIT_CHAIN_KEY-in-production"
AUDIT_CHAIN_KEY = env("AUDIT_CHAIN_KEY", default="")
AUDIT_CHAIN_OLD_KEYS = env.list("AUDIT_CHAIN_OLD_KEYS", default=[])
# pytest-django loads these settings with DEBUG off, like production; tests use the development key, and so does
# mypy, whose django-stubs plugin imports the settings to learn the models.
if not AUDIT_CHAIN_KEY:
    if not (DEBUG or "pytest" in sys.modules or "mypy" in sys.modules):
        raise ImproperlyConfigured(
            "AUDIT_CHAIN_KEY is not set. The audit log is keyed with a secret kept outside the database: set "
            "AUDIT_CHAIN_KEY to a random string of at least 32 bytes, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`, and keep it with SECRET_KEY "
            '(README "Audit log"). Only DEBUG=1 runs with a development key.'
        )
    AUDIT_CHAIN_KEY = AUDIT_CHAIN_DEV_KEY

# --- Sub-processor list ----------------------------------------------------------------------
SUBPROCESSORS_PAGE_CACHE_SECONDS = env.int("SUBPROCESSORS_PAGE_CACHE_SECONDS", default=86400)
SUBPROCESSORS_SUBSCRIBE_RATE = env("SUBPROCESSORS_SUBSCRIBE_RATE", default="5/h")
# Verifications per client address on the HTML verify page, counted before the upload is read (the API takes
# only a hash and uses DRF's anonymous throttle).
DPA_VERIFY_RATE = env("DPA_VERIFY_RATE", default="30/10m")
# --- Trust-portal access (dpa/) --------------------------------------------------------------
ACCESS_DEFAULT_EXPIRY_MONTHS = env.int("ACCESS_DEFAULT_EXPIRY_MONTHS", default=12)
ACCESS_EXPIRY_WARNING_DAYS = env.int("ACCESS_EXPIRY_WARNING_DAYS", default=14)
TRUST_DOCUMENT_MAX_BYTES = env.int("TRUST_DOCUMENT_MAX_MB", default=20) * 1024 * 1024

# --- Request sizes (portal.core.request_limits.RequestLimitMiddleware) ----------------------------------
# Refused with 413 from Content-Length before anything parses the body; the upload handler stops a body that
# streams in longer than it said. The reverse proxy should refuse first: nginx `client_max_body_size 21m;`.
# The largest body of all: the largest legitimate upload (a trust document) and room for the form around it.
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=TRUST_DOCUMENT_MAX_BYTES + 1024 * 1024)
# A body that is not multipart/form-data (forms without files, JSON): Django's default, 2.5 MB, made explicit.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2621440)
# Verifying an executed DPA uploads one PDF, a few hundred kilobytes in practice.
DPA_VERIFY_MAX_BYTES = env.int("DPA_VERIFY_MAX_BYTES", default=10 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = [
    "portal.core.request_limits.BodyLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Addresses at these domains are never auto-approved, whatever the rules say.
ACCESS_FREEMAIL_DOMAINS = env.list(
    "ACCESS_FREEMAIL_DOMAINS",
    default=[
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "yandex.com",
        "zoho.com",
        "hey.com",
        "fastmail.com",
        "ziggo.nl",
        "kpnmail.nl",
        "hotmail.nl",
        "live.nl",
    ],
)

# --- Logs and error reports (portal.logs, portal.request_log, portal.task_log, portal.observability) ---------
# One JSON object a line on stderr (`console`: readable lines, the default with DEBUG); one line per request and per
# task run, with request_id, user_id and organisation_id; no addresses, emails or query strings.
LOG_FORMAT = env("LOG_FORMAT", default=logs.default_format(debug=DEBUG))
LOGGING = logs.logging_config(log_format=LOG_FORMAT, level=env("LOG_LEVEL", default="INFO"))
logs.configure_structlog()
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True  # checked and replaced when malformed by RequestLogMiddleware
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False
DJANGO_STRUCTLOG_STATUS_START_LOG_LEVEL = logging.DEBUG  # the line at the end says it all
# Sentry only with a DSN; personal data is scrubbed before anything is sent.
observability.sentry_init(
    dsn=env("SENTRY_DSN", default=""),
    environment=env("SENTRY_ENVIRONMENT", default=""),
    traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=None),
)
