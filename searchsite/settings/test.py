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
# The faces pass costs about half a second a photo: only the tests of people/ turn it on (FACES_PASS=1 for workers).
FACES_PASS = env.bool("FACES_PASS", default=False)  # noqa: F405
# In-process unless a test asks for the face processes (tests/people/test_pipeline.py's worker, test_ml.py).
FACES_PROCESSES = env.int("FACES_PROCESSES", default=1)  # noqa: F405
# Tests must not depend on how full this machine's disk is; tests/faults/test_disk_full.py sets its own thresholds.
STORAGE_MIN_FREE_BYTES = env.int("STORAGE_MIN_FREE_BYTES", default=0)  # noqa: F405
