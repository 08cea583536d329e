"""Two web processes and two workers, each in its own working directory, sharing only the database, Redis and
the data volume: the shape of a small cluster (docs/operations.md, "Several hosts")."""

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.contrib.auth import get_user_model

from bench._django import beat_command, free_port, wait_for_port, worker_command
from gallery.models import Photo
from search.models import PhotoEmbedding, SearchIndex
from tests import images
from tests.conftest import ROOT, wait_for, worker_env

pytestmark = [pytest.mark.worker, pytest.mark.own_workers, pytest.mark.django_db(transaction=True)]

SAMPLES = ("chelsea", "coffee", "astronaut", "rocket", "camera")


class Cluster:
    """Processes that share nothing but the test database, Redis and DATA_DIR; each runs in its own folder."""

    def __init__(self, tmp_path: Path, queue: str):
        self.tmp_path, self.queue, self.procs = tmp_path, queue, []
        self.env = worker_env(
            settings,
            queue=queue,
            PYTHONPATH=str(ROOT),
            # Long enough that a healthy batch on a busy machine is not taken for stuck, short enough to test.
            PHOTO_STUCK_SECONDS="20",
            PHOTO_MAX_ATTEMPTS="5",
            PHOTO_RECONCILE_SECONDS="1",
        )

    def _start(self, name: str, command: list[str]) -> subprocess.Popen:
        home = self.tmp_path / name  # its own working directory: nothing may depend on the current folder
        home.mkdir()
        proc = subprocess.Popen(
            command,
            cwd=home,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=open(home / "log", "wb"),
        )
        self.procs.append(proc)
        return proc

    def web(self, name: str) -> str:
        port = free_port()
        proc = self._start(
            name,
            [
                sys.executable,
                "-m",
                "gunicorn",
                "searchsite.wsgi:application",
                "-c",
                str(ROOT / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--timeout",
                "120",
            ],
        )
        wait_for_port(port, proc=proc, timeout=120)
        return f"http://127.0.0.1:{port}"

    def worker(self, name: str) -> subprocess.Popen:
        from searchsite.celery import app

        proc = self._start(name, worker_command(queue=self.queue, hostname=f"{name}@%h"))
        # The worker answers once its model is warm: minutes on a busy machine.
        wait_for(lambda: any(name in n for reply in app.control.ping(timeout=0.5) for n in reply), timeout=600)
        return proc

    def beat(self) -> None:
        self._start(
            "beat",
            beat_command(schedule=self.tmp_path / "beat-schedule"),
        )

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def cluster(transactional_db, tmp_path):
    from searchsite.celery import app

    queue = f"cluster-{os.getpid()}-{time.monotonic_ns()}"
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    running = Cluster(tmp_path, queue)
    yield running
    running.stop()
    app.conf.task_default_queue = "celery"
    app.conf.task_always_eager = True


def session_for(base: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    response = session.post(f"{base}/api/auth/token/", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    session.headers["Authorization"] = f"Token {response.json()['token']}"
    return session


def upload(session: requests.Session, base: str, names) -> list[int]:
    files = []
    for i, name in enumerate(names):
        image = images.sample(name)
        image = image.resize((image.width - i, image.height - i))  # distinct bytes for each copy
        out = io.BytesIO()
        image.save(out, "JPEG", quality=90)
        files.append(("files", (f"{name}-{i}.jpg", out.getvalue(), "image/jpeg")))
    response = session.post(f"{base}/api/photos/", files=files)
    assert response.status_code == 201, response.text
    return [photo["id"] for photo in response.json()["created"]]


def statuses(session: requests.Session, base: str, ids: list[int]) -> dict[int, str]:
    response = session.get(f"{base}/api/photos/", params={"ids": ",".join(map(str, ids)), "page_size": 200})
    return {photo["id"]: photo["status"] for photo in response.json()["results"]}


def similar_ids(session: requests.Session, base: str, photo_id: int) -> list[int]:
    response = session.get(f"{base}/api/search/similar/", params={"photo": photo_id, "k": 50})
    assert response.status_code == 200, response.text
    return [hit["photo"]["id"] for hit in response.json()["results"]]


@pytest.fixture
def two_webs_two_workers(cluster):
    get_user_model().objects.create_user("ann", password="a long pass phrase")
    web_a, web_b = cluster.web("web-a"), cluster.web("web-b")
    workers = [cluster.worker("worker-1"), cluster.worker("worker-2")]
    return cluster, web_a, web_b, workers, session_for(web_a, "ann", "a long pass phrase")


def test_upload_through_one_web_is_found_through_the_other_once_ready(two_webs_two_workers):
    _, web_a, web_b, _, session = two_webs_two_workers
    ids = upload(session, web_a, SAMPLES)
    wait_for(lambda: set(statuses(session, web_b, ids).values()) == {"ready"}, timeout=180)
    cat = ids[SAMPLES.index("chelsea")]
    assert sorted(similar_ids(session, web_b, cat)) == sorted(set(ids) - {cat})
    response = session.post(f"{web_b}/api/search/similar/", files={"image": ("q.jpg", images.jpeg("coffee"))})
    assert response.json()["results"][0]["photo"]["id"] == ids[SAMPLES.index("coffee")]


def test_a_rebuild_by_either_worker_is_served_by_both_webs(two_webs_two_workers):
    _, web_a, web_b, _, session = two_webs_two_workers
    first = upload(session, web_a, SAMPLES[:3])
    wait_for(lambda: set(statuses(session, web_a, first).values()) == {"ready"}, timeout=180)
    wait_for(lambda: SearchIndex.objects.filter(space="image", size=3).exists(), timeout=60)
    second = upload(session, web_b, SAMPLES[3:])
    wait_for(lambda: set(statuses(session, web_b, second).values()) == {"ready"}, timeout=180)
    wait_for(lambda: SearchIndex.objects.filter(space="image", size=5).exists(), timeout=60)
    for web in (web_a, web_b):
        assert sorted(similar_ids(session, web, first[0])) == sorted(set(first + second) - {first[0]})
    assert similar_ids(session, web_a, second[0]) == similar_ids(session, web_b, second[0])


def test_sigkill_of_one_worker_mid_batch_the_other_finishes_everything(two_webs_two_workers):
    cluster, web_a, _, workers, session = two_webs_two_workers
    cluster.beat()  # the reconciler hands the killed worker's photos to the survivor
    ids = upload(session, web_a, [SAMPLES[i % len(SAMPLES)] for i in range(40)])
    wait_for(
        lambda: Photo.objects.filter(id__in=ids, status=Photo.Status.PROCESSING).exists(), timeout=120, interval=0.02
    )
    workers[0].send_signal(signal.SIGKILL)
    wait_for(
        lambda: (
            not Photo.objects.filter(id__in=ids).exclude(status__in=[Photo.Status.READY, Photo.Status.FAILED]).exists()
        ),
        timeout=300,
    )
    photos = Photo.objects.filter(id__in=ids)
    assert photos.count() == 40
    assert sorted(photos.values_list("status", flat=True)) == ["ready"] * 40
    assert PhotoEmbedding.objects.filter(photo_id__in=ids).count() == 40  # one vector each, none duplicated
    assert Photo.objects.filter(owner__username="ann").count() == 40
