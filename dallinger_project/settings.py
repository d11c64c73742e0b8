"""Django settings, read once from the environment and an optional `.env` file.

Every integration is switched on by the presence of its variables:

- `DATABASE_URL` selects PostgreSQL (or any database django-environ understands);
  without it the project uses an embedded SQLite file so it runs with no set-up.
- `REDIS_URL` selects the Redis channel layer and the Celery broker; without it
  the in-memory channel layer and in-process task execution are used.
- An https `DALLINGER_BASE_URL` turns on the settings for serving behind a TLS proxy
  (secure cookies, HSTS, the redirect to https, trusting X-Forwarded-Proto).
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)

# A development key is generated per checkout and kept out of version control,
# so no secret ever lives in the repository.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    from dallinger_project.secret import local_secret_key

    SECRET_KEY = local_secret_key(BASE_DIR / ".secret_key")

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])

INSTALLED_APPS = [
    "daphne",
    # Before the admin, so that the dashboard's templates override the admin's.
    "dashboard",
    "dashboard.admin_app.DashboardAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",  # login throttling: failed dashboard logins, and lockouts (see "Logging in" below)
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from here instead of a CDN
    "channels",
    "core",
    "recruitment",
    "bots",
    "experiments",
]

MIDDLEWARE = [
    # First, so that it sees every answer as it leaves: one log line per server error.
    "dallinger_project.server_errors.server_error_log",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Needs the user: the experiment's `protected_routes` answer 403 to all but the experimenter.
    "experiments.route_protection.ProtectedRoutesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Listed after the clickjacking middleware so that it sees the response first: it sets
    # X-Frame-Options itself on pages a recruiter may frame (see its module).
    "dallinger_project.content_security.ContentSecurityPolicyMiddleware",
    # Last, so that it sees the login's answer first and turns a lockout into the lockout page
    # (which the middleware above then give their headers).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dallinger_project.urls"

TEMPLATES = [
    # The dashboard (the admin) and the API's browsable pages.
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
    # Participant pages are Jinja2, as Dallinger's: the experiment package's templates
    # first, then the project's (experiments/page_templates.py).
    {
        "NAME": "participant",
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {"environment": "experiments.page_templates.participant_environment"},
    },
    # The error pages: the project's templates only, so a broken experiment template
    # cannot break them too.
    {
        "NAME": "platform_pages",
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {"environment": "experiments.page_templates.platform_environment"},
    },
]

WSGI_APPLICATION = "dallinger_project.wsgi.application"
ASGI_APPLICATION = "dallinger_project.asgi.application"

# Database ---------------------------------------------------------------------

# Absolute, because servers work in the experiment's folder (experiments/workdir.py).
SQLITE_PATH = str(Path(env.str("DALLINGER_SQLITE_PATH", default=str(BASE_DIR / "db.sqlite3"))).absolute())

if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db_url("DATABASE_URL")}
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["ENGINE"] = "dallinger_project.sqlite"  # an SQLite URL gets the same rules
else:
    # The embedded default: an SQLite file shared by the web server and the task worker.
    # Its backend (dallinger_project/sqlite/base.py) begins every transaction with
    # BEGIN IMMEDIATE, waits up to 20 s for the write lock, keeps a write-ahead log and
    # creates the file readable by its owner only; its docstring says why.
    DATABASES = {"default": {"ENGINE": "dallinger_project.sqlite", "NAME": SQLITE_PATH}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis, channels and background tasks -------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # channels-redis, with each process's messages read in batches by one task
            # (core/channel_layer.py says why).
            "BACKEND": "core.channel_layer.BatchingRedisChannelLayer",
            # redis-py 8 reads with a 5 s socket timeout by default, the same 5 s that
            # channels-redis blocks for on an idle queue: every quiet socket failed with
            # "Timeout reading". A longer read timeout still notices a dead Redis.
            # A process's connection pool fails rather than waits when full: 100 (the default)
            # refused handshakes with a 500 once many sockets opened at once. `capacity` is how
            # many frames may wait for one process before channels-redis drops them (whole
            # rooms' copies, logged at INFO only): at 100, a process a second behind lost
            # messages (benchmarks/results/realtime.md).
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15, "max_connections": 1000}],
                "capacity": 2000,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Background tasks go to Redis when it is configured. Without Redis, a folder named by
# DALLINGER_TASK_QUEUE_DIR can carry them between processes (runexperiment uses one for its
# worker); with neither, tasks run in the process that enqueues them, after its commit.
DALLINGER_TASK_QUEUE_DIR = env.str("DALLINGER_TASK_QUEUE_DIR", default="")
DALLINGER_TASK_QUEUE_DIR = str(Path(DALLINGER_TASK_QUEUE_DIR).absolute()) if DALLINGER_TASK_QUEUE_DIR else ""
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # Tasks are acknowledged when they end: one still unacknowledged after this many seconds
    # lost its worker and is delivered again (every acknowledged-late task is safe to rerun).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300)}
elif DALLINGER_TASK_QUEUE_DIR:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": DALLINGER_TASK_QUEUE_DIR,
        "data_folder_out": DALLINGER_TASK_QUEUE_DIR,
        "control_folder": str(Path(DALLINGER_TASK_QUEUE_DIR) / "control"),
        "polling_interval": 0.1,
    }
else:
    CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL == "memory://"
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
# A bot's run lasts as long as its participant takes part: on a queue of its own, bots never
# take every worker thread from the tasks the experiment needs meanwhile (websocket messages,
# settlements). The production worker reads both queues; runexperiment gives bots a worker.
BOTS_QUEUE = "bots"
CELERY_TASK_ROUTES = {"experiments.tasks.run_bot": {"queue": BOTS_QUEUE}}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fix-up closes database connections around each task unless this many
# tasks have run; dallinger_project/celery.py handles connections as requests do instead.
CELERY_DB_REUSE_MAX = 2**31
# What celery beat runs (the `beat` process of the production layout).
CELERY_BEAT_SCHEDULE = {
    "settle-overdue-submissions": {"task": "recruitment.tasks.settle_overdue", "schedule": 300.0},
    # Prolific's statuses, polled where no webhooks arrive (recruitment.tasks.recruiter_status_check).
    "recruiter-status-check": {"task": "recruitment.tasks.recruiter_status_check", "schedule": 60.0},
    # Participants working past the duration (with clock_on), as often as Dallinger's clock.
    "participants-overdue-check": {"task": "recruitment.tasks.participants_overdue_check", "schedule": 30.0},
    # Open places nobody takes (idle_recruitment_minutes).
    "recruitment-idle-check": {"task": "recruitment.tasks.recruitment_idle_check", "schedule": 60.0},
    # Dropouts past their grace period, and waiting-room groups whose wait ran out (docs/realtime.md).
    "realtime-sweep": {"task": "experiments.tasks.realtime_sweep", "schedule": 10.0},
}

# Email to the experimenter (recruitment/notices): SMTP comes from the experiment's configuration
# (smtp_host, smtp_username, smtp_password); without it, or in debug mode, mail goes here.
EMAIL_BACKEND = env.str("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="dallinger@localhost")

# Passwords, i18n, static files --------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "experiments.assets.ExperimentStaticFinder",
    "experiments.assets.DallingerLibraryFinder",
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
STATIC_ROOT = env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))

# API -------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "experiments.api.exceptions.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.JSONParser",
    ],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Dallinger on Django",
    "DESCRIPTION": "The Dallinger-compatible experiment API.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# Experiments ------------------------------------------------------------------------

# The experiment this deployment runs: a bundled demo's name, an installed package's
# entry-point name, or a path to an experiment package folder.
DALLINGER_EXPERIMENT = env.str("DALLINGER_EXPERIMENT", default="")
# The address participants reach the server at (used in recruitment links).
DALLINGER_BASE_URL = env.str("DALLINGER_BASE_URL", default="http://localhost:8000")

# HTTPS behind a proxy ---------------------------------------------------------------------


def _flag(name: str, default: bool) -> bool:
    """A yes/no variable; a value that is neither is refused rather than read as "no"."""
    text = env.str(name, default="").strip().lower()
    if not text:
        return default
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {text!r}.")


def _whole_number(name: str, default: int) -> int:
    """A variable holding a whole number of at least 0."""
    text = env.str(name, default="").strip()
    if not text:
        return default
    if not text.isdigit():
        raise ImproperlyConfigured(f"{name} must be a whole number of at least 0, not {text!r}.")
    return int(text)


_base_url = urlsplit(DALLINGER_BASE_URL)
if _base_url.scheme not in ("http", "https") or not _base_url.hostname:
    raise ImproperlyConfigured(
        f"DALLINGER_BASE_URL must be an address such as https://experiment.example.org, not {DALLINGER_BASE_URL!r}."
    )
# Participants reach an https base URL through a proxy that ends TLS (deploy/nginx), so
# each setting below defaults to its secure choice then, and to plain http otherwise
# (a laptop, runexperiment); each has its own variable to override that.
SERVED_OVER_HTTPS = _base_url.scheme == "https"

# Requests arrive from the proxy over plain http; X-Forwarded-Proto tells the original
# scheme. Trust it only where a proxy sets it, since a client could send it too.
_BEHIND_PROXY = _flag("DJANGO_TRUST_X_FORWARDED_PROTO", default=SERVED_OVER_HTTPS)
if _BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The server's own public origin is always trusted for forms (a proxy may rewrite Host).
CSRF_TRUSTED_ORIGINS = [f"{_base_url.scheme}://{_base_url.netloc.rpartition('@')[2]}"]
for _origin in env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[]):
    if not _origin.startswith(("http://", "https://")):
        raise ImproperlyConfigured(
            f"DJANGO_CSRF_TRUSTED_ORIGINS holds origins such as https://experiment.example.org, not {_origin!r}."
        )
    CSRF_TRUSTED_ORIGINS.append(_origin)
SESSION_COOKIE_SECURE = _flag("DJANGO_SESSION_COOKIE_SECURE", default=SERVED_OVER_HTTPS)
CSRF_COOKIE_SECURE = _flag("DJANGO_CSRF_COOKIE_SECURE", default=SERVED_OVER_HTTPS)
SECURE_SSL_REDIRECT = _flag("DJANGO_SECURE_SSL_REDIRECT", default=SERVED_OVER_HTTPS)
SECURE_HSTS_SECONDS = _whole_number("DJANGO_SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if SERVED_OVER_HTTPS else 0)
# Both reach beyond this server (every subdomain; browsers' built-in lists), so they
# are the operator's decision, never a default; `check --deploy` is told so.
SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = _flag("DJANGO_SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = []
if not SECURE_HSTS_INCLUDE_SUBDOMAINS:
    SILENCED_SYSTEM_CHECKS.append("security.W005")
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS.append("security.W021")

# Logging in to the dashboard -------------------------------------------------------------

# The dashboard's login is the admin's. After logging in with no (or no safe) `next`, the
# experimenter lands on the dashboard, not on Django's default /accounts/profile/.
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"
AUTHENTICATION_BACKENDS = [
    # First: a login refused for too many failures is refused before any password is checked.
    "dashboard.login_throttling.ThrottledLoginBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# django-axes counts failed logins per user name and address (in the database, so every web
# process counts the same failures); at the limit that pair is locked out for the cool-off
# time, and each further failure starts the cool-off again. A successful login clears the count.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = _whole_number("DJANGO_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=_whole_number("DJANGO_LOGIN_COOLOFF_MINUTES", default=15))
if AXES_FAILURE_LIMIT < 1 or not AXES_COOLOFF_TIME:
    raise ImproperlyConfigured("DJANGO_LOGIN_FAILURE_LIMIT and DJANGO_LOGIN_COOLOFF_MINUTES must be at least 1.")
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "dashboard.login_throttling.lockout_response"
AXES_CLIENT_IP_CALLABLE = "dallinger_project.client_address.client_address"
# Kept out of the attempts' stored form data and axes' log lines (the password always is):
# `dashboard_user` is a secret of the configuration. The address is logged.
AXES_SENSITIVE_PARAMETERS = ["username", "csrfmiddlewaretoken"]
AXES_VERBOSE = False  # no banner at each start; failures and lockouts are still logged
# Behind proxies that each append the address they saw to X-Forwarded-For (deploy/nginx does),
# the address a login comes from is the one the outermost of them saw: this many entries from
# the right. 0 (no proxy) takes the connection's own address. A client could write any
# address into the header itself, so count only proxies that are really there.
PROXY_COUNT = _whole_number("DJANGO_PROXY_COUNT", default=1 if _BEHIND_PROXY else 0)

# Logging -----------------------------------------------------------------------------

DASHBOARD_LOG_RECORDS = env.int("DASHBOARD_LOG_RECORDS", default=1000)
#: Seconds between two reloads of a dashboard page's data while its live socket cannot connect.
DASHBOARD_FALLBACK_POLL_SECONDS = env.float("DASHBOARD_FALLBACK_POLL_SECONDS", default=20)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        # Writes nothing: lets a server error's log line name its cause (server_errors.py).
        "logged_exceptions": {"class": "dallinger_project.server_errors.LoggedExceptions", "level": "ERROR"},
        # Keeps the last DASHBOARD_LOG_RECORDS records for the dashboard's Logger tab (docs/dashboard.md).
        "recent_records": {"class": "dashboard.logger.handler.RecentRecords", "level": "INFO"},
    },
    "root": {
        "handlers": ["console", "logged_exceptions", "recent_records"],
        "level": env.str("DJANGO_LOG_LEVEL", default="INFO"),
    },
}
