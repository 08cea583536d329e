"""Settings for real Celery worker processes started by the tests: the test database and folders of the run."""

import os

from .test import *  # noqa: F403

DATABASES["default"]["NAME"] = os.environ["TEST_DB_NAME"]  # noqa: F405
MEDIA_ROOT = os.environ["MEDIA_ROOT"]
SEARCH_INDEX_DIR = os.environ["SEARCH_INDEX_DIR"]
# Tasks the worker queues itself (index rebuilds, training) must reach the test's private queue too.
CELERY_TASK_DEFAULT_QUEUE = os.environ["CELERY_TASK_DEFAULT_QUEUE"]
# A faces worker of a benchmark or test (bench.latency --faces) serves the faces tasks on a queue of their own, as
# deployed (CELERY_TASK_ROUTES in base.py), so they never wait in line with the photos.
if os.environ.get("FACES_QUEUE"):
    CELERY_TASK_ROUTES = {"people.tasks.*": {"queue": os.environ["FACES_QUEUE"]}}
