import os
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings

from bench._django import child_env, worker_command
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def private_data_dirs(settings, tmp_path):
    """Each test writes media and indexes to its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SEARCH_INDEX_DIR = tmp_path / "indexes"


@pytest.fixture(autouse=True)
def clean_redis(request):
    """Debounce marks and locks live in Redis; ids repeat across rolled-back tests, so start each test clean.

    Only tests with a database can schedule anything: the others (e.g. the ML core's) need no Redis at all.
    """
    import redis

    if not request.node.get_closest_marker("django_db") and not {"db", "transactional_db"} & set(request.fixturenames):
        yield
        return
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    yield
    client.flushdb()


@pytest.fixture(autouse=True)
def eager_celery():
    """Unit tests run tasks in-process; pipeline tests use the `celery_worker` fixture instead."""
    from searchsite.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def api(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def other_api(other_user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(other_user)
    return client


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run on_commit callbacks (i.e. queued tasks) when the block ends, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def worker_env(settings, *, queue: str = "unused", **extra: str) -> dict[str, str]:
    """The environment of a worker or web process on this test's database and folders (see bench._django)."""
    return child_env(
        db_name=str(settings.DATABASES["default"]["NAME"]),
        data_dir=settings.DATA_DIR,
        media_root=settings.MEDIA_ROOT,
        index_dir=settings.SEARCH_INDEX_DIR,
        queue=queue,
        **extra,
    )


@pytest.fixture
def start_worker(transactional_db, settings):
    """Start real `celery worker` processes on the test Redis, sharing the test database and data folder.

    Each call starts one more worker on the test's private queue and waits until it answers (after warming the
    model up); all are stopped at the end of the test. ``extra_env`` adds settings for that worker; ``beat=True``
    also runs Celery beat in it (the photo reconciler). The broker is REDIS_URL as the environment says at the call.
    """
    from searchsite.celery import app

    app.conf.task_always_eager = False
    queue = f"test-{os.getpid()}-{time.monotonic_ns()}"  # a private queue: no stray worker steals our tasks
    app.conf.task_default_queue = queue
    env = worker_env(settings, queue=queue, SEARCH_PROJECTION_MIN_PHOTOS=str(settings.SEARCH_PROJECTION_MIN_PHOTOS))
    procs = []

    def start(*, beat: bool = False, **extra_env: str) -> subprocess.Popen:
        beat_args = ["--beat", "--schedule", str(Path(settings.DATA_DIR) / f"beat-{queue}")] if beat else []
        proc = subprocess.Popen(
            [*worker_command(queue=queue, hostname=f"test{len(procs)}@%h"), *beat_args],
            cwd=ROOT,
            env={**env, **extra_env},
        )
        procs.append(proc)
        name = f"test{len(procs) - 1}@"
        deadline = time.monotonic() + 180  # the worker warms the model up before it answers
        while time.monotonic() < deadline:
            if any(name in reply_name for reply in app.control.ping(timeout=0.5) for reply_name in reply):
                return proc
            assert proc.poll() is None, "celery worker exited during start-up"
        proc.kill()
        pytest.fail("celery worker did not answer a ping within 180 s")

    yield start
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    app.conf.task_default_queue = "celery"
    app.conf.task_always_eager = True


@pytest.fixture
def celery_worker(start_worker):
    """One real worker process (see start_worker)."""
    return start_worker()


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.1):
    """Poll until predicate() is truthy; return its value or fail with how long we waited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s")
