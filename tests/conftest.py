import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from django.conf import settings

from bench._django import child_env, worker_command
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(config, items):
    """Markers say what a test starts, so `make check` can leave out the slow ones: `worker` for a real worker
    process, and `own_workers` as well when the test starts workers of its own (start_worker)."""
    wrong = [
        item.nodeid
        for item in items
        if ({"celery_worker", "start_worker"} & set(item.fixturenames) and not item.get_closest_marker("worker"))
        or ("start_worker" in item.fixturenames and not item.get_closest_marker("own_workers"))
    ]
    if wrong:
        raise pytest.UsageError("mark these tests `worker` (and `own_workers` with start_worker): " + ", ".join(wrong))


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
    if not request.node.get_closest_marker("django_db") and not {"db", "transactional_db"} & set(request.fixturenames):
        yield
        return
    client = redis.Redis.from_url(settings.REDIS_URL)
    _flush(client)
    yield
    _flush(client)


def _flush(client, pattern: str = "*") -> None:
    """Delete what the app and queued tasks left, but not Kombu's queue bindings: without them nothing reaches the
    session's worker any more (its producer declared the queue once)."""
    keys = [key for key in client.scan_iter(match=pattern, count=1000) if not key.startswith(b"_kombu.binding.")]
    if keys:
        client.delete(*keys)


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


def _wait_for_ping(name: str, proc: subprocess.Popen) -> None:
    from searchsite.celery import app

    deadline = time.monotonic() + 180  # the worker warms the model up before it answers
    while time.monotonic() < deadline:
        if any(name in reply_name for reply in app.control.ping(timeout=0.5) for reply_name in reply):
            return
        assert proc.poll() is None, "celery worker exited during start-up"
    proc.kill()
    pytest.fail("celery worker did not answer a ping within 180 s")


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def start_worker(transactional_db, settings):
    """Start real `celery worker` processes of this test's own on the test Redis, sharing the test database and data
    folder (for tests that kill, restart or configure workers; the others share `celery_worker`).

    Each call starts one more worker on the test's private queue and waits until it answers (after warming the
    model up); all are stopped at the end of the test. ``extra_env`` adds settings for that worker; ``beat=True``
    also runs Celery beat in it (the photo reconciler). The broker is TEST_REDIS_URL as the environment says at the
    call.
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
        _wait_for_ping(f"test{len(procs) - 1}@", proc)
        return proc

    yield start
    _stop(procs)
    app.conf.task_default_queue = "celery"
    app.conf.task_always_eager = True


@dataclass(frozen=True)
class SessionWorker:
    proc: subprocess.Popen
    queue: str
    name: str
    media_root: Path
    index_dir: Path


@pytest.fixture(scope="session")
def session_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """One real worker for the whole run, started when a test first asks for `celery_worker` (a worker start costs
    seconds: TensorFlow or LiteRT, the model, the words). It serves a private queue with folders of its own."""
    folder = tmp_path_factory.mktemp("session-worker")
    queue = f"test-{os.getpid()}-session"
    name = f"session-{os.getpid()}@"
    env = child_env(
        db_name=str(settings.DATABASES["default"]["NAME"]),
        data_dir=settings.DATA_DIR,
        media_root=folder / "media",
        index_dir=folder / "indexes",
        queue=queue,
        SEARCH_PROJECTION_MIN_PHOTOS=str(settings.SEARCH_PROJECTION_MIN_PHOTOS),
    )
    proc = subprocess.Popen([*worker_command(queue=queue, hostname=f"{name}%h")], cwd=ROOT, env=env)
    _wait_for_ping(name, proc)
    yield SessionWorker(proc=proc, queue=queue, name=name, media_root=folder / "media", index_dir=folder / "indexes")
    _stop([proc])


def _wait_until_idle(name: str, *, timeout: float = 60) -> None:
    """Until the worker holds no task (running, or waiting for its countdown): a task left over from one test must
    not write into the next one's database."""
    from searchsite.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        inspect = app.control.inspect(timeout=0.5)
        held = [
            task
            for replies in (inspect.active(), inspect.reserved(), inspect.scheduled())
            for worker, tasks in (replies or {}).items()
            if worker.startswith(name)
            for task in tasks
        ]
        if not held:
            return
        time.sleep(0.2)


@pytest.fixture
def celery_worker(session_worker, transactional_db, settings):
    """The run's real worker process (see session_worker), serving this test: the test uses its folders and queue.

    Ids never repeat between tests that commit, so what the worker cached for one test never answers another."""
    from searchsite.celery import app

    settings.MEDIA_ROOT = session_worker.media_root
    settings.SEARCH_INDEX_DIR = session_worker.index_dir
    app.conf.task_always_eager = False
    app.conf.task_default_queue = session_worker.queue
    yield session_worker.proc
    assert session_worker.proc.poll() is None, "the session's worker died during the test"
    _flush(redis.Redis.from_url(settings.REDIS_URL), pattern=f"{session_worker.queue}*")  # waiting messages
    _wait_until_idle(session_worker.name)
    app.conf.task_default_queue = "celery"
    app.conf.task_always_eager = True


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.1):
    """Poll until predicate() is truthy; return its value or fail with how long we waited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s")
