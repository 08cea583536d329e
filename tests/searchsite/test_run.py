"""`make run` as a newcomer runs it: a copy of the project with no data/ and no .env, the whole supervised stack
(Redis with AOF, gunicorn, the Celery workers and beat), then faults: a killed worker, a killed Redis.

The copy shares this checkout's .venv (installing TensorFlow again would take minutes and the network) and its
ported model weights (SEARCH_MODEL_DIR): everything else is created by `make run` itself.
"""

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from bench.slowloris import Slowloris, probe
from tests import images

pytestmark = pytest.mark.stack

ROOT = Path(__file__).resolve().parent.parent.parent
START_TIMEOUT = 600  # migrate, collectstatic, and three workers warming the model up on a shared 2-core machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fresh_copy(dest: Path) -> Path:
    """The project's files as a clone has them (tracked and new, not ignored): no data/, no .env, no .venv."""
    files = (
        subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True, capture_output=True
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    assert not (dest / "data").exists() and not (dest / ".env").exists()
    (dest / ".venv").symlink_to((ROOT / ".venv").resolve())
    return dest


def wait_until(predicate, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"{what}: not within {timeout} s")


class Stack:
    def __init__(self, project: Path):
        self.project = project
        self.port, self.redis_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "CELERY_"))
            and k not in {"SECRET_KEY", "DATA_DIR", "REDIS_URL", "TEST_REDIS_URL", "DATABASE_URL", "MEDIA_ROOT"}
            and k != "SEARCH_INDEX_DIR"
        }
        self.env.update(
            PORT=str(self.port),
            REDIS_PORT=str(self.redis_port),
            WEB_WORKERS="1",
            SEARCH_MODEL_DIR=str(ROOT / "data" / "models"),
        )
        self.log = open(project / "make-run.log", "wb")
        # -o: the shared .venv counts as installed (its requirements may be newer than its stamp).
        self.proc = subprocess.Popen(
            ["make", "-o", ".venv/.installed", "run"],
            cwd=project,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def ctl(self, *args: str) -> str:
        env = {**self.env, "DATA_DIR": str(self.project / "data")}
        return subprocess.run(
            ["scripts/run.sh", "ctl", *args], cwd=self.project, env=env, capture_output=True, text=True, timeout=60
        ).stdout.strip()

    def pid(self, name: str) -> int:
        out = self.ctl("pid", name)
        return int(out) if out.isdigit() else 0

    def get(self, path: str, **kwargs) -> requests.Response | None:
        try:
            return requests.get(self.url + path, timeout=30, **kwargs)
        except (requests.ConnectionError, requests.Timeout):
            return None

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # what Ctrl-C does: supervisord stops everything it started
            try:
                self.proc.wait(timeout=240)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()


@pytest.fixture
def stack(tmp_path):
    running = Stack(fresh_copy(tmp_path / "clone"))
    yield running
    running.stop()
    log = (running.project / "make-run.log").read_text(errors="replace")
    assert running.get("/accounts/login/") is None, "the web server outlived make run"
    print(log[-5000:])


def upload(stack: Stack, token: str, name: str) -> int:
    response = requests.post(
        f"{stack.url}/api/photos/",
        headers={"Authorization": f"Token {token}"},
        files={"files": (f"{name}.jpg", images.jpeg(name), "image/jpeg")},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return response.json()["created"][0]["id"]


def status_of(stack: Stack, token: str, photo_id: int) -> str:
    return requests.get(
        f"{stack.url}/api/photos/{photo_id}/", headers={"Authorization": f"Token {token}"}, timeout=10
    ).json()["status"]


def test_make_run_on_a_fresh_clone_serves_without_debug_and_survives_worker_and_redis_crashes(stack):
    login = wait_until(
        lambda: (r := stack.get("/accounts/login/")) is not None and r.status_code == 200 and r,
        timeout=START_TIMEOUT,
        what="the site answering",
    )
    assert "csrfmiddlewaretoken" in login.text
    assert (stack.project / ".env").is_file()  # make run wrote a SECRET_KEY
    assert (stack.project / "data" / "redis" / "appendonlydir").is_dir()  # Redis persists to data/

    # DEBUG is off: a plain 404 page that lists no URL patterns; static files come from WhiteNoise.
    missing = stack.get("/no-such-page/")
    assert missing.status_code == 404 and "URLconf" not in missing.text and "api/" not in missing.text
    assert stack.get("/static/css/app.css").status_code == 200
    assert stack.get("/api/no-such-endpoint/").json() == {"detail": "Not found."}

    # 50 slow-header clients (slowloris) do not stop the site: nginx in front holds them, not gunicorn.
    with Slowloris(stack.port, 50):
        probed = probe(stack.port, 10)
    assert probed["answered"] == probed["probes"], probed

    credentials = {"username": "newcomer", "password": "a long pass phrase"}
    assert requests.post(f"{stack.url}/api/auth/register/", json=credentials, timeout=30).status_code == 201
    token = requests.post(f"{stack.url}/api/auth/token/", json=credentials, timeout=30).json()["token"]
    first = upload(stack, token, "chelsea")
    wait_until(lambda: status_of(stack, token, first) == "ready", timeout=START_TIMEOUT, what="first upload ready")

    # A killed worker is restarted, and the web server keeps serving meanwhile.
    worker = stack.pid("worker-photos:worker-photos-0")
    assert worker
    os.kill(worker, signal.SIGKILL)
    for _ in range(5):
        assert stack.get("/accounts/login/").status_code == 200
        time.sleep(0.2)
    wait_until(
        lambda: stack.pid("worker-photos:worker-photos-0") not in (0, worker),
        timeout=60,
        what="the photos worker restarted",
    )
    second = upload(stack, token, "coffee")
    wait_until(
        lambda: status_of(stack, token, second) == "ready",
        timeout=START_TIMEOUT,
        what="an upload ready after the worker restart",
    )

    # Redis killed with a task queued: restarted from its AOF, the task is still there and runs.
    stack.ctl("stop", "worker-photos:*")
    third = upload(stack, token, "astronaut")
    time.sleep(2)  # appendfsync everysec
    redis = stack.pid("redis")
    os.kill(redis, signal.SIGKILL)
    wait_until(lambda: stack.pid("redis") not in (0, redis), timeout=60, what="Redis restarted")
    queued = wait_until(
        lambda: (
            subprocess.run(
                ["redis-cli", "-p", str(stack.redis_port), "llen", "photos"],
                capture_output=True,
                text=True,
                env=stack.env,
            ).stdout.strip()
            in ("0", "1")
            and "ok"
        ),
        timeout=60,
        what="Redis loaded its AOF",
    )
    assert (
        queued
        and subprocess.run(
            ["redis-cli", "-p", str(stack.redis_port), "llen", "photos"], capture_output=True, text=True, env=stack.env
        ).stdout.strip()
        == "1"
    )
    stack.ctl("start", "worker-photos:*")
    wait_until(
        lambda: status_of(stack, token, third) == "ready",
        timeout=START_TIMEOUT,
        what="the upload queued before Redis died ready",
    )
