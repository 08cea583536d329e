"""Settings for real Celery worker processes started by the tests: the test database and folders of the run."""

import os

from .test import *  # noqa: F403

DATABASES["default"]["NAME"] = os.environ["TEST_DB_NAME"]  # noqa: F405
MEDIA_ROOT = os.environ["MEDIA_ROOT"]
SEARCH_INDEX_DIR = os.environ["SEARCH_INDEX_DIR"]
# Tasks the worker queues itself (index rebuilds, training) must reach the test's private queue too.
CELERY_TASK_DEFAULT_QUEUE = os.environ["CELERY_TASK_DEFAULT_QUEUE"]
# A faces or text worker of a benchmark or test (bench.latency --faces, --text) serves those tasks on a queue of
# their own, as deployed (CELERY_TASK_ROUTES in base.py), so they never wait in line with the photos.
_routes = {
    tasks: {"queue": os.environ[variable]}
    for tasks, variable in (("people.tasks.*", "FACES_QUEUE"), ("ocr.tasks.*", "TEXT_QUEUE"))
    if os.environ.get(variable)
}
if _routes:
    CELERY_TASK_ROUTES = _routes
