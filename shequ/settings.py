"""Settings: every knob comes from the environment, with defaults safe for one machine.

See the configuration table in README.md.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from shequ.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("SHEQU_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", False)
# The demo and tests run without a configured secret; production must set one.
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "insecure-demo-key-change-me-" + "x" * 24)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "shequ.accounts",
    "shequ.audit",
    "shequ.registry",
    "shequ.tickets",
    "shequ.care",
    "shequ.facilities",
    "shequ.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "shequ.urls"
WSGI_APPLICATION = "shequ.wsgi.application"

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

_sqlite_path = VAR_DIR / "shequ.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{_sqlite_path}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend, with transactions queued on a file lock (see shequ/sqlite/base.py).
    DATABASES["default"]["ENGINE"] = "shequ.sqlite"
    # Tests in memory, as for Django's own engine name (which test runners look for).
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
    # SQLite cannot create the folder of its file; a fresh clone has no var/ yet.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock at
        # BEGIN so two workers never deadlock upgrading a read lock.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters sent apart from the SQL, and each statement prepared on the server from its
    # fifth run on a connection: a list request then costs PostgreSQL half the time (no
    # parsing and planning of its five statements every time). Behind a pooler in
    # transaction mode (PgBouncer), set SHEQU_PG_PREPARE=0: its connections are shared.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True,
        prepare_threshold=5 if env_bool("SHEQU_PG_PREPARE", True) else None,
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTHENTICATION_BACKENDS = ["shequ.accounts.backends.ScopedModelBackend"]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Failed log-ins allowed per user name and per address inside the window, then locked.
LOGIN_MAX_FAILURES = env_int("SHEQU_LOGIN_MAX_FAILURES", 5)
LOGIN_LOCK_MINUTES = env_int("SHEQU_LOGIN_LOCK_MINUTES", 15)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "shequ" / "locale"]
FORMAT_MODULE_PATH = ["shequ.formats"]  # 24-hour times and unpadded months in both languages
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Field encryption of ID and phone numbers: a base64 key in the environment, or a key file
# (``make demo`` creates var/field.key, outside git).
FIELD_KEY = env_str("SHEQU_FIELD_KEY", "")
FIELD_KEY_FILE = Path(env_str("SHEQU_FIELD_KEY_FILE", str(VAR_DIR / "field.key")))

TASKS = {
    "default": {
        "BACKEND": env_str("SHEQU_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Excel imports bigger than this are refused before parsing (bytes).
IMPORT_MAX_BYTES = env_int("SHEQU_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
# ... and so are workbooks whose parts unpack to more than this in all (zip bombs); the
# shared-strings table, which the reader holds in memory whole, may take a quarter of it.
IMPORT_MAX_EXPANDED_BYTES = env_int("SHEQU_IMPORT_MAX_EXPANDED_BYTES", 256 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = IMPORT_MAX_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Uploaded photos (tickets, facilities): largest file and largest image (decoded pixels).
PHOTO_MAX_BYTES = env_int("SHEQU_PHOTO_MAX_BYTES", 10 * 1024 * 1024)
PHOTO_MAX_PIXELS = env_int("SHEQU_PHOTO_MAX_PIXELS", 50_000_000)
# Uploaded files are answered by the app after a scope check; with a prefix set (nginx's
# internal location, e.g. "/protected-media/"), by the front server via X-Accel-Redirect.
MEDIA_ACCEL_REDIRECT = env_str("SHEQU_MEDIA_ACCEL_REDIRECT", "")

# New requests one phone number may file through the public channels in 24 hours (0: no
# limit). Staff at the window or the hotline, and client systems, are not limited.
TICKET_PUBLIC_DAILY_LIMIT = env_int("SHEQU_PUBLIC_DAILY_LIMIT", 10)

TICKET_CLASSIFIER_PATH = Path(env_str("SHEQU_CLASSIFIER_PATH", str(VAR_DIR / "classifier.joblib")))

SESSION_ENGINE = "shequ.accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SHEQU_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("SHEQU_LOG_LEVEL", "WARNING")},
}

# Walking accessibility (15-minute life circle): an OSM extract (.osm/.osm.bz2/.osm.pbf) or the
# demo's saved network; speed in m/s; an optional search cut-off in minutes.
ACCESS_NETWORK_FILE = Path(env_str("SHEQU_ACCESS_NETWORK_FILE", str(VAR_DIR / "network.npz")))
ACCESS_WALK_SPEED = float(env_str("SHEQU_ACCESS_WALK_SPEED", "1.2"))
ACCESS_CUTOFF_MINUTES = env_int("SHEQU_ACCESS_CUTOFF_MINUTES", 0) or None
# Map tiles are optional: the offices are often offline, and the maps draw boundaries without.
MAP_TILE_URL = env_str("SHEQU_MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = env_str("SHEQU_MAP_TILE_ATTRIBUTION", "")
