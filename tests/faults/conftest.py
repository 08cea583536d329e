"""The fault suite: real worker processes, real Redis, and at the end the state of every photo.

Each test breaks one thing the way it breaks in production and then asserts that every photo it uploaded is
`ready` (or `failed` with a reason where the fault is the photo's own): none lost, stuck or duplicated.
"""

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from bench._django import start_redis
from gallery.models import Photo
from search.models import PhotoEmbedding
from tests import images
from tests.conftest import wait_for

# The reconciler as a worker under test runs it: every second, for photos untouched for 3 s.
RECONCILER = {"PHOTO_RECONCILE_SECONDS": "1", "PHOTO_STUCK_SECONDS": "3"}


def small_photos(count: int, *, side: int = 160, offset: int = 0) -> dict[str, bytes]:
    """Distinct small JPEGs (crops of the sample photos): quick to process, each one unique (give later calls of a
    test an ``offset`` past the earlier ones)."""
    names = list(images.SAMPLES)
    out = {}
    for i in range(offset, offset + count):
        base = images.sample(names[i % len(names)])
        x, y = (i * 7) % (base.width - side), (i * 13) % (base.height - side)
        crop = base.crop((x, y, x + side, y + side))
        if (i // len(names)) % 2:
            crop = crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        out[f"p{i:03}.jpg"] = images.encode(crop, "JPEG", quality=85)
    return out


def upload(api, files: dict[str, bytes]) -> list[int]:
    response = api.post("/api/photos/", {"files": [SimpleUploadedFile(n, c) for n, c in files.items()]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert not body["rejected"] and not body["duplicates"], body
    return [photo["id"] for photo in body["created"]]


def settled(owner) -> bool:
    return not Photo.objects.filter(owner=owner, status__in=["pending", "processing"]).exists()


def assert_every_photo_final(owner, uploaded: list[int], *, deleted=(), failed=(), timeout: float = 120) -> None:
    """Every uploaded photo ends ready (or failed with a reason, for those in ``failed``); the deleted ones are
    gone; no photo is missing, extra, or embedded twice."""
    wait_for(lambda: settled(owner), timeout=timeout, interval=0.2)
    rows = {p.id: p for p in Photo.objects.filter(owner=owner)}
    assert set(rows) == set(uploaded) - set(deleted), "photos lost or added"
    assert len(uploaded) == len(set(uploaded)), "an upload created a photo twice"
    for photo_id, photo in rows.items():
        if photo_id in failed:
            assert photo.status == "failed" and photo.error, (photo_id, photo.status)
        else:
            assert photo.status == "ready", (photo_id, photo.status, photo.error)
    embedded = list(PhotoEmbedding.objects.filter(photo__owner=owner).values_list("photo_id", "model_name"))
    assert len(embedded) == len(set(embedded)), "a photo has two vectors of one model"
    assert {photo_id for photo_id, _ in embedded} == {i for i, p in rows.items() if p.status == "ready"}


class RedisServer:
    """A redis-server of the test's own, without persistence, that the test may stop and start."""

    def __init__(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.dir = tempfile.mkdtemp(prefix="fault-redis-")
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None

    def start(self) -> None:
        self.proc = start_redis(self.port, Path(self.dir))
        for _ in range(100):
            if subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).returncode == 0:
                return
            time.sleep(0.05)
        pytest.fail("redis-server did not start")

    def stop(self) -> None:
        """Like a crash of a Redis without persistence: everything queued is gone."""
        self.proc.kill()
        self.proc.wait()

    def restart(self, *, down: float = 1.0) -> None:
        self.stop()
        time.sleep(down)
        self.start()


@pytest.fixture
def private_redis(settings, monkeypatch):
    """Point this test, the Celery app and the workers it starts at a Redis of its own."""
    from searchsite.celery import app

    server = RedisServer()
    server.start()
    old_broker = app.conf.broker_url
    monkeypatch.setenv("TEST_REDIS_URL", server.url)
    settings.REDIS_URL = server.url
    app.conf.broker_url = server.url
    app._after_fork()  # drop pooled connections to the old broker
    yield server
    app.conf.broker_url = old_broker
    app._after_fork()
    server.proc.kill()
    server.proc.wait()
    shutil.rmtree(server.dir, ignore_errors=True)
