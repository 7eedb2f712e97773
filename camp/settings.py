"""
Django settings for Camp.

Every value that differs between machines comes from the environment (or a
`.env` file in the project root) through one `environ.Env()`; `.env.example`
documents each variable. Production differs from development only by those
values.

https://docs.djangoproject.com/en/5.2/ref/settings/
"""

import re
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env.read_env(env.str("ENV_FILE", default=str(BASE_DIR / ".env")))


def parse_database_url(url: str) -> dict:
    """Return a DATABASES entry for `url`, accepting SQLAlchemy-style schemes.

    camp-backend wrote `postgresql+asyncpg://` and `postgresql+psycopg://`;
    the driver suffix means nothing to Django, which always uses psycopg 3.
    """
    url = re.sub(r"^postgres(?:ql)?\+\w+://", "postgresql://", url)
    return environ.Env.db_url_config(url)


# Core
# https://docs.djangoproject.com/en/5.2/ref/settings/#debug

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        # One sentence instead of a traceback: this is the first thing a new
        # deployment hits.
        raise SystemExit(
            "SECRET_KEY must be set when DEBUG is off "
            "(see .env.example), so Camp refuses to start."
        )
    SECRET_KEY = "django-insecure-camp-local-development-only"  # noqa: S105 (DEBUG only)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

ROOT_URLCONF = "camp.urls"
WSGI_APPLICATION = "camp.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# Applications
# https://docs.djangoproject.com/en/5.2/ref/settings/#installed-apps

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "simple_history",
    "django_prometheus",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "camp",
    "camp.audit",
    "camp.jobs",
    "users",
    "posts",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "camp.ops.observability.RequestLogMiddleware",
    # PostgreSQL down: a 503 page with Retry-After instead of a 500.
    "camp.ops.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Up here, so the responses of the middleware below (a 400 for an unknown
    # Host from CommonMiddleware, say) are covered too.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Responses for a logged-in member: Cache-Control private, no-store.
    "camp.ops.middleware.PrivateResponseMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "camp.accounts.middleware.RequireMFAMiddleware",
    "camp.accounts.middleware.SessionLastSeenMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so it sees the outcome of every login attempt.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

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
                "camp.jobs.context_processors.notifications",
            ],
        },
    },
]


# Database
# https://docs.djangoproject.com/en/5.2/ref/databases/#postgresql-notes
# Unset DATABASE_URL means the embedded SQLite file: for the quick start only.

DATABASE_URL = env("DATABASE_URL", default="")
if DATABASE_URL:
    DATABASES = {"default": parse_database_url(DATABASE_URL)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "db.sqlite3",
            # The worker beside `make run` writes too: writers wait their turn
            # instead of failing with "database is locked".
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The same backend, counting queries and errors for /metrics.
    DATABASES["default"]["ENGINE"] = "django_prometheus.db.backends.postgresql"
    # A connection that died with a PostgreSQL restart is replaced before the
    # request uses it instead of failing that request.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Connection reuse (bench/connections.py): a new connection costs a request
    # 6-10 ms, a reused one 0.3-0.7 ms; persistent connections and Django's
    # psycopg pool serve pages equally fast within the noise of this machine.
    # Camp uses the pool: one bound on connections per process, each one
    # checked as it is borrowed. Its size defaults to the gunicorn thread
    # count, so no thread waits for a connection. The pool needs CONN_MAX_AGE 0.
    if env.bool("DATABASE_POOL", default=True):
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": env.int(
                "DATABASE_POOL_MAX_SIZE", default=env.int("GUNICORN_THREADS", default=4)
            ),
            "timeout": 10,
            # After an outage the pool would retry with a doubling backoff, so the
            # first requests once PostgreSQL is back could wait out a 30-second
            # gap and fail. Giving up after 2 s means the next request starts a
            # fresh attempt at once.
            "reconnect_timeout": 2,
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=600)

DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", default=None)}


# Cache
# https://docs.djangoproject.com/en/5.2/topics/cache/
# https://github.com/jazzband/django-redis
# Redis is a cache only: with Redis down every cache call answers "miss" within
# the socket timeouts (IGNORE_EXCEPTIONS), the failure is logged (once per
# burst, see camp.ops.logging), and redis-py reconnects by itself when it returns.
# Without REDIS_URL a per-process memory cache stands in.

REDIS_URL = env("REDIS_URL", default="")
CACHE_KEY_PREFIX = env("CACHE_KEY_PREFIX", default="camp")
CACHE_TTL = env.int("CACHE_TTL", default=300)
# How long a rendered list page may be served again while no user or post
# changed (camp.lists.page_cache); 0 renders every page.
LIST_PAGE_CACHE_SECONDS = env.int("LIST_PAGE_CACHE_SECONDS", default=60)
# The dashboard counts are invalidated by every write; this only bounds how
# long a missed invalidation or a new day can show (0 turns the cache off).
DASHBOARD_STATS_TTL = env.int("DASHBOARD_STATS_TTL", default=60)


def redis_cache(location: str, prefix: str) -> dict:
    return {
        # django-redis, counting hits and misses for /metrics.
        "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
        "LOCATION": location,
        "KEY_PREFIX": prefix,
        "TIMEOUT": CACHE_TTL,
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "PARSER_CLASS": "redis.connection._HiredisParser",
            # Loopback or LAN Redis answers in well under a millisecond; a
            # quarter second means a dead Redis costs each request little.
            "SOCKET_CONNECT_TIMEOUT": 0.25,
            "SOCKET_TIMEOUT": 0.25,
            "IGNORE_EXCEPTIONS": True,
            # Camp caches plain data of a few hundred bytes. bench/cache_serializers.py
            # times pickle, JSON and zlib within noise of each other on them, so
            # JSON it is: readable in redis-cli, and unlike pickle it cannot run
            # code if someone else writes to the Redis. No compression: nothing
            # is large enough for it to pay.
            "SERIALIZER": "django_redis.serializers.json.JSONSerializer",
            "CONNECTION_POOL_KWARGS": {
                "max_connections": env.int("REDIS_MAX_CONNECTIONS", default=50),
                "health_check_interval": 30,
            },
        },
    }


if REDIS_URL:
    CACHES = {
        "default": redis_cache(REDIS_URL, CACHE_KEY_PREFIX),
        "sessions": redis_cache(REDIS_URL, f"{CACHE_KEY_PREFIX}-sessions"),
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "camp",
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "TIMEOUT": CACHE_TTL,
        },
        "sessions": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "camp-sessions",
            "KEY_PREFIX": f"{CACHE_KEY_PREFIX}-sessions",
        },
    }

DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "camp.cache"


# Security
# https://docs.djangoproject.com/en/5.2/topics/security/
# https://django-csp.readthedocs.io/
# Pages carry no inline script or style, so the policy can be strict.
# HTTPS=true (behind a TLS-terminating proxy that sets X-Forwarded-Proto)
# turns on the redirect, secure cookies and HSTS.

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

HTTPS = env.bool("HTTPS", default=False)
SECURE_SSL_REDIRECT = HTTPS
# Load balancers probe over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}


# Authentication
# https://docs.djangoproject.com/en/5.2/topics/auth/customizing/
# https://docs.djangoproject.com/en/5.2/topics/auth/passwords/

AUTH_USER_MODEL = "users.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): five failures for one username from one
# address lock that pair out for 15 minutes, never for good; the lockout is
# a 429 page. Failed second-factor codes count as failures of the same pair
# (camp.accounts.receivers), so the code step is throttled like the password
# step. Admins see and clear lockouts under Axes in the admin.
# https://django-axes.readthedocs.io/
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Members log in by username, which Django's backend checks; allauth's own
    # would tell someone holding a deactivated member's password that the
    # account exists.
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "429.html"
AXES_USERNAME_CALLABLE = "camp.ops.throttling.attempted_username"
# The client's address is the socket's: X-Forwarded-For can be forged unless
# a trusted proxy sets it, so count it only when told how many proxies there are
# (see camp.ops.throttling.client_address). Behind a proxy, without this, every
# login would come from the proxy's address and lock a username for everyone.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "camp.ops.throttling.client_address"

# Accounts (django-allauth): the login, second factors, password reset, email
# change and the sessions page. Members are created by staff, never by signing
# up (camp.accounts.adapter). Axes is the lockout of record; allauth's own
# rate limits stay on as a second, coarser net.
# https://docs.allauth.org/en/latest/account/configuration.html
# https://docs.allauth.org/en/latest/mfa/configuration.html
ACCOUNT_ADAPTER = "camp.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
# A changed address takes effect only once its owner follows the link mailed to it.
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_CHANGE_EMAIL = True
# A reset asked for an address Camp does not know sends nothing: no mail to strangers.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_LOGOUT_ON_GET = False
# Logins last as long as the session does (two weeks), as before: no "remember me" box.
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_LOGOUT_REDIRECT_URL = "login"
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PRESERVE_USERNAME_CASING = True
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Camp] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if HTTPS else "http"
# Re-authentication (password or second factor) stays good for five minutes.
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
# axes is the login throttle of record (in the database, per username and
# address, seen and cleared in the admin); allauth's login limits, kept in the
# cache, would keep refusing a member after an admin cleared their lockout.
ACCOUNT_RATE_LIMITS = {"login": False, "login_failed": False}
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
MFA_ADAPTER = "allauth.mfa.adapter.DefaultMFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
# A passkey opens the door on its own (it proves possession and, through the
# device's PIN or biometrics, the member). WebAuthn checks the page's origin
# against the host it was served from; browsers and fido2 accept only https
# origins, and http://localhost for development, so nothing here loosens that.
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "Camp"
# Staff accounts are made by staff with an address they vouch for; making them
# confirm it before they may protect their account would only delay that.
MFA_ALLOW_UNVERIFIED_EMAIL = True
MFA_FORMS = {"authenticate": "camp.accounts.forms.AuthenticateForm"}
# Staff must set up a second factor before they work (camp.accounts.middleware).
CAMP_REQUIRE_MFA = env.bool("CAMP_REQUIRE_MFA", default=not DEBUG)
# The sessions page lists each session's address and client as of its login:
# tracking every request would add two or three queries to every page.
USERSESSIONS_TRACK_ACTIVITY = False
# The sessions page's "last seen", written at most this often per session.
SESSION_SEEN_INTERVAL = env.int("SESSION_SEEN_INTERVAL", default=300)
# Ending sessions sends no signal; the adapter records it in the audit log.
USERSESSIONS_ADAPTER = "camp.audit.usersessions.AuditUserSessionsAdapter"

# Argon2 for new passwords; older hashes still verify and are upgraded to
# Argon2 at the next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Audit log (camp.audit): security events older than this many days are
# deleted by `manage.py prune_audit`; nothing else deletes them.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365)

# Sessions are written to PostgreSQL and read through their own cache alias:
# a Redis outage logs nobody out and does not stop anyone logging in.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_CACHE_ALIAS = "sessions"


# Email
# https://docs.djangoproject.com/en/5.2/topics/email/
# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-email-url
# EMAIL_URL such as smtp+tls://user:password@mail.example.com:587; unset, mail
# is printed to the console.

globals().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Camp <camp@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL


# Internationalization
# https://docs.djangoproject.com/en/5.2/topics/i18n/
# Timestamps are stored in UTC and shown in TIME_ZONE.

LANGUAGE_CODE = env("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", "English"), ("ja", "日本語")]
# One style of dates, times and numbers per language (see camp/formats/).
FORMAT_MODULE_PATH = ["camp.formats"]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True


# Static files
# https://whitenoise.readthedocs.io/

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}


# Background jobs
# https://github.com/RealOrangeOne/django-tasks
# The queue lives in the database (django-tasks' database backend), so a job is
# queued in the transaction of the data it belongs to and survives a Redis loss.
# A running job commits a batch every second or so; one silent for
# JOBS_STALLED_SECONDS has lost its worker and is queued again.

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
JOBS_STALLED_SECONDS = env.int("JOBS_STALLED_SECONDS", default=60)
# Rows per batch: each batch is one transaction with its history rows.
JOBS_BATCH_SIZE = env.int("JOBS_BATCH_SIZE", default=1000)
# Hours a file a job made (an XLSX export) can be downloaded before it is deleted.
JOBS_FILE_RETENTION_HOURS = env.int("JOBS_FILE_RETENTION_HOURS", default=24)

# CSV imports: the largest file in bytes and the most rows. The request only
# reads the upload into the database; its preview and its import are jobs. The
# import page refuses a bigger upload from its Content-Length, before reading
# it; the proxy in front (nginx's client_max_body_size) should cap the body a
# little above this.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=200 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=1_000_000)


# Metrics
# https://github.com/korfuri/django-prometheus
# /metrics answers superusers, and scrapers whose address (REMOTE_ADDR, not a
# forwarded header) is listed here.

METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
# Functions returning Prometheus text appended to /metrics.
METRICS_TEXT_PROVIDERS = ["camp.jobs.metrics.jobs_metrics_text"]


# Logging
# https://docs.djangoproject.com/en/5.2/topics/logging/

LOG_FORMAT = env("LOG_FORMAT", default="plain" if DEBUG else "json")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "camp.ops.logging.JsonFormatter"},
    },
    "filters": {
        "request_id": {"()": "camp.ops.observability.RequestIdFilter"},
        # A Redis outage would otherwise log one error per cache call.
        "once_per_burst": {"()": "camp.ops.logging.OncePerBurstFilter", "interval": 60},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        },
        "cache_console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "once_per_burst"],
        },
    },
    "loggers": {
        "camp.cache": {"handlers": ["cache_console"], "level": "WARNING", "propagate": False},
        # A database outage fails every request the same way.
        "camp.database": {
            "handlers": ["cache_console"],
            "level": "WARNING",
            "propagate": False,
        },
        # Django's own lines go through the root handler once, with their request id.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
