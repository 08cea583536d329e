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
    database_url: str

    @property
    def db_name(self) -> str:
        """What worker_test settings take as the database NAME: the SQLite file, or PostgreSQL's database."""
        if self.database_url.startswith("sqlite"):
            return str(self.data_dir / "db.sqlite3")
        return self.database_url.rsplit("/", 1)[1]

    def child_env(self, **extra: str) -> dict[str, str]:
        """Environment for a worker or web server process that shares this site."""
        return child_env(
            db_name=self.db_name,
            data_dir=self.data_dir,
            media_root=self.data_dir / "media",
            index_dir=self.data_dir / "indexes",
            queue="celery",
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,  # for a process on other settings than the tests' (bench.load)
            TEST_REDIS_URL=self.redis_url,
            **extra,
        )


def child_env(
    *, db_name: str, data_dir: Path | str, media_root: Path | str, index_dir: Path | str, queue: str, **extra: str
) -> dict[str, str]:
    """The environment of a worker or web process that shares a test's or a benchmark's database and folders
    (searchsite.settings.worker_test), where the tasks it queues itself go to ``queue``; ``extra`` adds settings.
    The one place it is built."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": WORKER_SETTINGS,
        "TEST_DB_NAME": str(db_name),
        "DATA_DIR": str(data_dir),
        "MEDIA_ROOT": str(media_root),
        "SEARCH_INDEX_DIR": str(index_dir),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        **extra,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(port: int, directory: Path) -> subprocess.Popen:
    """redis-server on a port of ours, without persistence."""
    return subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@contextlib.contextmanager
def redis_server(directory: Path):
    """A private redis-server on a free port (no persistence); yields its URL."""
    port = free_port()
    proc = start_redis(port, directory)
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
def postgres_server(directory: Path):
    """A private PostgreSQL cluster on a free port (durability off: it never outlives the benchmark); yields a
    DATABASE_URL. As root the cluster belongs to the `postgres` user that Debian's package creates."""
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not bins:
        raise RuntimeError("PostgreSQL is not installed: run scripts/ensure-system.sh --test")
    as_pg = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    cluster = directory / "pg"
    cluster.mkdir()
    if as_pg:
        shutil.chown(directory, "postgres")
        shutil.chown(cluster, "postgres")
    port = free_port()
    subprocess.run(
        [
            *as_pg,
            bins[-1] / "initdb",
            "-D",
            cluster / "data",
            "-U",
            "searchsite",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    options = (
        f"-p {port} -k {cluster} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c max_connections=200"
    )
    subprocess.run(
        [
            *as_pg,
            bins[-1] / "pg_ctl",
            "-D",
            cluster / "data",
            "-l",
            cluster / "server.log",
            "-w",
            "start",
            "-o",
            options,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        subprocess.run(
            [bins[-1] / "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "searchsite", "searchsite"], check=True
        )
        yield f"postgres://searchsite@127.0.0.1:{port}/searchsite"
    finally:
        subprocess.run(
            [*as_pg, bins[-1] / "pg_ctl", "-D", cluster / "data", "-m", "immediate", "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


@contextlib.contextmanager
def site(database: str = "sqlite"):
    """Set up Django in this process on a fresh data folder and Redis, migrated; yields the Site.

    ``database`` is "sqlite" (a file in the data folder) or "postgres" (a private cluster, see postgres_server).
    """
    data_dir = Path(tempfile.mkdtemp(prefix="searchsite-bench-"))
    try:
        with contextlib.ExitStack() as stack:
            redis_url = stack.enter_context(redis_server(data_dir))
            if database == "postgres":
                database_url = stack.enter_context(postgres_server(data_dir))
            else:
                database_url = f"sqlite:///{data_dir / 'db.sqlite3'}"
            os.environ.update(
                {
                    "DJANGO_SETTINGS_MODULE": SETTINGS,
                    "DATA_DIR": str(data_dir),
                    "DATABASE_URL": database_url,  # never a DATABASE_URL from .env
                    "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-not-secret"),
                    "TEST_REDIS_URL": redis_url,
                }
            )
            import django
            from django.core.management import call_command

            django.setup()
            call_command("migrate", verbosity=0)
            yield Site(data_dir=data_dir, redis_url=redis_url, database_url=database_url)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


_CELERY = (sys.executable, "-m", "celery", "-A", "searchsite")


def worker_command(*, queue: str, hostname: str | None = None, loglevel: str = "WARNING") -> list[str]:
    """The command line of one real `celery worker` (solo pool, one queue), as the tests and benchmarks start it."""
    hostname_args = ["--hostname", hostname] if hostname else []
    quiet = ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    return [*_CELERY, "worker", "--pool=solo", "-Q", queue, *hostname_args, f"--loglevel={loglevel}", *quiet]


def beat_command(*, schedule: Path, loglevel: str = "WARNING") -> list[str]:
    """The command line of Celery beat (the periodic tasks, e.g. the photo reconciler) with its schedule file."""
    return [*_CELERY, "beat", f"--loglevel={loglevel}", "--schedule", str(schedule)]


def start_worker(s: Site, *, env: dict[str, str] | None = None, loglevel: str = "WARNING") -> subprocess.Popen:
    """A real `celery worker` (solo pool, like the tests) on the site's Redis and database; ``env`` replaces
    ``s.child_env()`` where a benchmark needs other settings."""
    return subprocess.Popen(
        worker_command(queue="celery", loglevel=loglevel),
        cwd=ROOT,
        env=env or s.child_env(),
        stdout=subprocess.DEVNULL,  # its banner would bury the JSON line
    )


def placeholder_photos(*, owner, count: int, prefix: str = "", files: bool = False, **fields) -> None:
    """``count`` ready photo rows of ``owner`` (``fields`` set on each): a large gallery for benches and fault tests
    without processing thousands of uploads. ``prefix`` keeps names and hashes unique per call. The originals are
    small placeholder files with ``files`` (as a backup needs), otherwise absent."""
    from django.conf import settings

    from gallery.models import Photo

    names = [f"originals/placeholder/{prefix}{i}.jpg" for i in range(count)]
    if files:
        for name in names:
            path = Path(settings.MEDIA_ROOT) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"placeholder " + name.encode())
    Photo.objects.bulk_create(
        (
            Photo(
                owner=owner,
                original=name,
                original_name=f"{i}.jpg",
                sha256=f"{prefix}{i:x}".rjust(64, "0")[-64:],
                size_bytes=1,
                format="jpg",
                width=1,
                height=1,
                status=Photo.Status.READY,
                **fields,
            )
            for i, name in enumerate(names)
        ),
        batch_size=5000,
    )
