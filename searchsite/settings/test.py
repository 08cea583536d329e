"""pytest settings: isolated data folder per run, fast password hashing."""

import os
import tempfile

from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("SECRET_KEY", "test-only-not-secret")
os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="searchsite-test-"))
# The suite flushes Redis between tests, so it only ever uses a Redis its runner started (scripts/test.sh, bench),
# named in TEST_REDIS_URL: never REDIS_URL from the shell or .env, which may be a running site's queue.
if not os.environ.get("TEST_REDIS_URL"):
    raise ImproperlyConfigured(
        "TEST_REDIS_URL is not set: run the tests with `make check` or scripts/test.sh, which start a Redis of "
        "their own (a bare pytest would flush the Redis in REDIS_URL)."
    )
os.environ["REDIS_URL"] = os.environ["TEST_REDIS_URL"]

from .base import *  # noqa: F403

# Ported model weights and the word index are slow to build and never change: keep them across test runs.
SEARCH_MODEL_DIR = BASE_DIR / "data" / "models"  # noqa: F405
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, not :memory:, so that real Celery worker processes and the browser tests' live server share it.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-db.sqlite3")}  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SEARCH_INDEX_DEBOUNCE_SECONDS = 0.5
# Test workers serve one private queue each (tests/conftest.py): no routing to the deployment's queues.
CELERY_TASK_ROUTES = {}
