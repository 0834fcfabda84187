"""Settings for every environment, read from the environment.

SQLite in the repository root is the embedded default; DATABASE_URL switches to PostgreSQL.
DEBUG is off unless DJANGO_DEBUG is set. `config.settings.production` adds the HTTPS hardening.
docs/deploy.md lists every variable a deployment sets.
"""

import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG")
# pytest-django imports these settings inside pytest; no process that serves users does. Tests
# run with DEBUG off, and must not get what DEBUG off means in production (persistent
# connections, a cache on disk).
TESTING = "pytest_django" in sys.modules
# Development only: production.py refuses to start without DJANGO_SECRET_KEY.
SECRET_KEY = os.environ.get(
    "DJANGO_SECRET_KEY", "django-insecure-dev-only-7c1f0e2a9b4d4e6f8a3b5c7d9e1f2a4b6c8d0e2f"
)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "django_tasks_db",
    "content",
    "quizzes",
    "courses",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.PrivatePagesNotStoredMiddleware",
    "courses.passwords.PasswordChangeRequiredMiddleware",
    "courses.timezones.TimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as axes requires: it turns a login that axes locked into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Persistent connections in production: opening a PostgreSQL connection per request cost more
# than the request itself (50–90 against 332 req/s for a bare page, docs/performance.md). Each
# thread of each process keeps one, checked before reuse after an error (CONN_HEALTH_CHECKS) and
# closed after CONN_MAX_AGE seconds. Development (runserver closes every connection after each
# request anyway) and tests open one per request.
_CONN_MAX_AGE_DEFAULT = "0" if DEBUG or TESTING else str(10 * 60)
CONN_MAX_AGE = int(os.environ.get("DJANGO_CONN_MAX_AGE", _CONN_MAX_AGE_DEFAULT))
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=CONN_MAX_AGE,
        conn_health_checks=CONN_MAX_AGE != 0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A class can run on SQLite: write-ahead logging lets readers go on while one request writes;
    # IMMEDIATE transactions take the write lock at BEGIN, so two writers queue (for up to
    # `timeout` seconds) instead of one failing with "database is locked" when it upgrades a
    # read lock mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests use a file, not an in-memory database, so that the browser tests' live server
    # threads each open their own connection instead of sharing one across threads.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"learnhall-test-{os.getpid()}.sqlite3")
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database that accepts connections but never answers must not hold every worker until
    # the server's own timeout: give up connecting after 10 s (the health check uses 2 s).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 10)
    # Parallel workers only for queries that cost more than a few milliseconds' work: with
    # PostgreSQL's default (1000), a student's review queue at 10^7 memory states was planned
    # in parallel and took 28-73 ms to launch workers for 2 ms of work; at 10000 it takes 10 ms,
    # and a school-wide report still runs in parallel (docs/scale.md).
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c parallel_setup_cost=10000")
    # Prepared statements for the review loop's statements, which config.db.prepared_cursor
    # sends with server-side binding: psycopg prepares one after it has run 5 times on a
    # connection, and PostgreSQL no longer plans it on every request. Django's own queries use
    # client-side binding and are never prepared. Behind a pooler in transaction mode that
    # cannot keep prepared statements (PgBouncer before 1.21, or without
    # max_prepared_statements), set DJANGO_DB_PREPARED_STATEMENTS=0.
    # Those statements are the same shape for every student, so they keep one generic plan:
    # left to choose, PostgreSQL went on planning the queue afresh on every run (0.5 ms) when
    # its estimate of the generic plan came out higher. Only prepared statements have plans to
    # keep, so this changes nothing else.
    if os.environ.get("DJANGO_DB_PREPARED_STATEMENTS", "1") != "0":
        DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 5)
        DATABASES["default"]["OPTIONS"]["options"] += " -c plan_cache_mode=force_generic_plan"

# A read replica for the teacher reports (config/routers.py): only reads inside
# `reading_from_replica()` go there; everything else, and every write, goes to default. Without
# DATABASE_REPLICA_URL there is no alias and no router. In tests the replica is a second
# connection to the test database (TEST MIRROR), as a replica is a second view of the same data.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"],
        conn_max_age=CONN_MAX_AGE,
        conn_health_checks=CONN_MAX_AGE != 0,
    )
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 10)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["config.routers.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache. The app keeps values derived per student in the default cache and invalidates them
# on writes (content/usercache.py), so every process that serves requests or runs tasks must
# share one cache, or a process would go on serving what another has invalidated:
# - REDIS_URL set: Redis, shared by every app server and worker (several machines).
# - otherwise, outside tests: files in DJANGO_CACHE_DIR, shared by every gunicorn worker, the
#   task worker and runserver of one machine (one machine only). Each write lists the directory
#   to cull it, so it is for a small site: MAX_ENTRIES bounds that cost; past it, use Redis.
# - tests: memory in the test process, which its live server's threads share.
# Sessions live here too (cached_db below), so a value may be dropped at any time: the database
# has everything the cache has.
CACHE_KEY_PREFIX = os.environ.get("DJANGO_CACHE_KEY_PREFIX", "learnhall")
if TESTING:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
elif os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            # Values are invalidated by writes; expiry only bounds memory (callers may set theirs).
            "TIMEOUT": 60 * 60,
            # redis-py waits 5 s by default; a Redis that accepts and never answers would hold
            # a request that long for each cache call, and a signed-in request that fails makes
            # four (tests/deploy/test_dead_redis.py). Redis answers in well under a millisecond;
            # refused connections fail at once.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ.get("DJANGO_CACHE_DIR", str(BASE_DIR / "var" / "cache")),
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "TIMEOUT": 60 * 60,
            "OPTIONS": {"MAX_ENTRIES": 2000},
        }
    }

# Sessions are read from the cache and written through to the database: a request whose session
# is cached costs no session query, and a session outlives a cache that is flushed or lost.
# Logging out deletes the session from both, for every process at once.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Background work (Django's tasks framework), run by task workers beside the app servers
# (docs/deploy.md "Task workers"):
# - REDIS_URL set: queued in that Redis by django-tasks-rq (queue "default") and run by
#   `manage.py rqworker default`. django-tasks-rq 0.12 is built on the django-tasks backport
#   (which it installs) and accepts Django's own tasks; results it returns are the backport's
#   TaskResult, and RQ keeps a successful task's result for 500 seconds.
# - otherwise: stored in the database by django-tasks-db and run by `manage.py db_worker`.
# - tests: each task runs when it is enqueued.
if TESTING:
    TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
elif os.environ.get("REDIS_URL"):
    INSTALLED_APPS.append("django_rq")
    # RQ stops a task after DEFAULT_TIMEOUT seconds (its own default is 180).
    RQ_QUEUES = {"default": {"URL": os.environ["REDIS_URL"], "DEFAULT_TIMEOUT": 60 * 60}}
    # rqworker runs jobs as django-tasks-rq's Job, which calls the task's function.
    RQ = {"JOB_CLASS": "django_tasks_rq.Job"}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses every login, right or wrong, while the username or address is locked.
    "config.login_throttle.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
    # The one-time sign-in codes of accounts made from a roster (courses.signin).
    "courses.signin.SignInCodeBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Login throttling with django-axes; the rules that need code are in config/login_throttle.py.
# A username locks after AXES_FAILURE_LIMIT failures from anywhere; an address after
# LOGIN_FAILURE_LIMIT_PER_ADDRESS failures for any usernames, a limit high enough for a class
# signing in from one school address. Failures count while each came within the cool-off of
# the one before; a lock lifts one cool-off after the last counted failure, and attempts while
# locked do not count, so the page's "try again in N minutes" holds.
AXES_FAILURE_LIMIT = int(os.environ.get("DJANGO_LOGIN_FAILURE_LIMIT", "5"))
LOGIN_FAILURE_LIMIT_PER_ADDRESS = int(
    os.environ.get("DJANGO_LOGIN_FAILURE_LIMIT_PER_ADDRESS", "50")
)
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("DJANGO_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "config.login_throttle.LoginThrottleHandler"
AXES_LOCKOUT_CALLABLE = "config.login_throttle.lockout_response"
AXES_CLIENT_IP_CALLABLE = "config.login_throttle.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# No row per successful login with its address and browser, kept forever.
AXES_DISABLE_ACCESS_LOG = True
# Kept out of the failed attempts' stored POST data, besides the password.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code"]
# Reverse proxies in front of the app that append the client's address to X-Forwarded-For;
# 0 uses REMOTE_ADDR. production.py assumes one.
TRUSTED_PROXY_COUNT = int(os.environ.get("DJANGO_TRUSTED_PROXY_COUNT", "0"))


def discover_languages(locale_dir: Path) -> list[tuple[str, str]]:
    """English, plus every language that has a folder of translations in `locale_dir`.

    Adding a language is adding `locale/<code>/LC_MESSAGES/django.po` (and its compiled .mo).
    """
    from django.conf.locale import LANG_INFO

    found = [("en", "English")]
    if locale_dir.is_dir():
        for folder in sorted(locale_dir.iterdir()):
            code = folder.name.replace("_", "-").lower()
            if (folder / "LC_MESSAGES").is_dir() and code != "en" and code in LANG_INFO:
                found.append((code, LANG_INFO[code]["name"]))
    return found


LANGUAGE_CODE = "en"
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGES = discover_languages(LOCALE_PATHS[0])
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "static/"
# Set in production.py, where collectstatic fills it; elsewhere files come from the finders.
STATIC_ROOT = None
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # production.py switches to whitenoise's compressed manifest storage after collectstatic.
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests and development serve static files from the finders, not a collected tree.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# The bundled course that `load_content` loads when given no path.
CONTENT_BUNDLE_DIRS = [BASE_DIR / "content" / "bundle" / "alliance-politics"]

# A course (or one student in it) with fewer reviews in its log is not fitted: FSRS's parameters
# stay the defaults (courses.fitting; FSRS's own guidance is about a thousand reviews).
FSRS_FIT_MIN_REVIEWS = int(os.environ.get("FSRS_FIT_MIN_REVIEWS", "1000"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}
