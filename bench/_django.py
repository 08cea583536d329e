"""A throwaway searchsite for benchmarks: its own data folder, SQLite database and Redis, removed at exit.

Benchmarks call the app's real code (services, tasks, HTTP API), so they need what the app needs; none of it
may touch the developer's data folder or a shared Redis.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = "searchsite.settings.test"  # fast password hashing; ported model weights cached in the repo
WORKER_SETTINGS = "searchsite.settings.worker_test"  # child processes: database and folders from the environment


@dataclass(frozen=True)
class Site:
    data_dir: Path
    redis_url: str

    @property
    def db_path(self) -> Path:
        return self.data_dir / "db.sqlite3"

    def child_env(self, **extra: str) -> dict[str, str]:
        """Environment for a worker or web server process that shares this site."""
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": WORKER_SETTINGS,
            "DATA_DIR": str(self.data_dir),
            "TEST_DB_NAME": str(self.db_path),
            "MEDIA_ROOT": str(self.data_dir / "media"),
            "SEARCH_INDEX_DIR": str(self.data_dir / "indexes"),
            "REDIS_URL": self.redis_url,
            "CELERY_TASK_DEFAULT_QUEUE": "celery",
            **extra,
        }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def redis_server(directory: Path):
    """A private redis-server on a free port (no persistence); yields its URL."""
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(directory)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, proc=proc, timeout=10)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(proc)


def wait_for_port(port: int, *, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode} during start-up")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


def stop(proc: subprocess.Popen, *, timeout: float = 20) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def site():
    """Set up Django in this process on a fresh data folder and Redis, migrated; yields the Site."""
    data_dir = Path(tempfile.mkdtemp(prefix="searchsite-bench-"))
    try:
        with redis_server(data_dir) as redis_url:
            os.environ.update({
                "DJANGO_SETTINGS_MODULE": SETTINGS,
                "DATA_DIR": str(data_dir),
                "DATABASE_URL": f"sqlite:///{data_dir / 'db.sqlite3'}",  # never a DATABASE_URL from .env
                "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-not-secret"),
                "REDIS_URL": redis_url,
            })
            import django
            from django.core.management import call_command

            django.setup()
            call_command("migrate", verbosity=0)
            yield Site(data_dir=data_dir, redis_url=redis_url)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def start_worker(s: Site) -> subprocess.Popen:
    """A real `celery worker` (solo pool, like the tests) on the site's Redis and database."""
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "searchsite", "worker", "--pool=solo", "-Q", "celery",
         "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=s.child_env(), stdout=subprocess.DEVNULL,  # its banner would bury the JSON line
    )
