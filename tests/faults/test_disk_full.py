"""Fault: the disk under the photos fills up, for originals (uploads) and for thumbnails (the worker).

The disk is a real one: a small tmpfs mounted over MEDIA_ROOT and filled to the last byte, so every write
fails with the kernel's own ENOSPC. Where mounting is not allowed (not root, no CAP_SYS_ADMIN) those tests
skip and say so; the fault-injecting ones (a storage whose write fails half-way, a threshold above the free
space) run anywhere.
"""

import errno
import io
import logging
import os
import subprocess

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from gallery import services, storage
from gallery.models import Photo
from search import pipeline
from tests import images
from tests.conftest import wait_for
from tests.factories import UserFactory
from tests.faults.conftest import RECONCILER, assert_every_photo_final, small_photos, upload

FILLER = "filler.bin"


class SmallDisk:
    """A tmpfs of ``size`` bytes at ``path``; fill() takes every free byte, free_up(n) gives n back."""

    def __init__(self, path, size: int):
        self.path, self.size = path, size

    def fill(self) -> None:
        chunk = b"\0" * 65536
        with open(self.path / FILLER, "ab", buffering=0) as filler:
            for block in (chunk, chunk[:4096], b"\0"):
                try:
                    while True:
                        filler.write(block)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
        assert storage.free_bytes() == 0

    def free_up(self, count: int) -> None:
        filler = self.path / FILLER
        os.truncate(filler, max(0, filler.stat().st_size - count))

    def empty(self) -> None:
        (self.path / FILLER).unlink()

    def files(self) -> list[str]:
        """Every file on the disk but the filler, partial ones (hidden names) included."""
        return sorted(str(p.relative_to(self.path)) for p in self.path.rglob("*") if p.is_file() and p.name != FILLER)


@pytest.fixture
def small_disk(settings, tmp_path):
    """MEDIA_ROOT on a 2 MiB tmpfs of its own, unmounted at the end."""
    mountpoint = tmp_path / "small-disk"
    mountpoint.mkdir()
    size = 2 * 1024 * 1024
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(mountpoint)], capture_output=True
    )
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.decode().strip()}); fault-injection tests cover it")
    settings.MEDIA_ROOT = mountpoint
    settings.STORAGE_MIN_FREE_BYTES = 0  # the real ENOSPC, not our early refusal, unless a test sets it
    yield SmallDisk(mountpoint, size)
    subprocess.run(["umount", "-l", str(mountpoint)], check=True)


def post(api, files: dict[str, bytes]):
    return api.post("/api/photos/", {"files": [SimpleUploadedFile(n, c) for n, c in files.items()]})


def assert_507(response):
    assert response.status_code == 507, response.content
    assert response["Content-Type"] == "application/json"
    assert int(response["Retry-After"]) == storage.RETRY_AFTER_SECONDS
    assert "no space left" in response.json()["detail"].lower() or "out of storage" in response.json()["detail"]


@pytest.mark.django_db
def test_upload_onto_a_full_disk_is_a_507_leaving_no_row_and_no_file(api, small_disk, caplog, monkeypatch):
    monkeypatch.setattr(storage, "free_space_check", lambda **kwargs: None)  # as a concurrent upload passes it
    small_disk.fill()
    response = post(api, {"cat.jpg": images.jpeg("chelsea")})
    assert_507(response)
    assert not Photo.objects.exists()
    assert small_disk.files() == []
    assert "No space left" in caplog.text


@pytest.mark.django_db
def test_a_batch_cut_short_by_a_full_disk_keeps_nothing(api, small_disk, monkeypatch):
    """Ensure the files stored before the disk filled up are removed too: the client gets no ids, so none stay."""
    monkeypatch.setattr(storage, "free_space_check", lambda **kwargs: None)  # the kernel's ENOSPC stops the write
    small = images.encode(images.sample("chelsea").resize((64, 48)), "JPEG", quality=80)
    large = images.jpeg("astronaut")
    assert len(small) < 16384 < len(large)
    small_disk.fill()
    small_disk.free_up(32768)  # room for the small file, not for the large one
    response = post(api, {"small.jpg": small, "large.jpg": large})
    assert_507(response)
    assert not Photo.objects.exists()
    assert small_disk.files() == []


@pytest.mark.django_db
def test_upload_is_refused_before_writing_below_the_free_space_threshold(api, settings, caplog):
    """Ensure STORAGE_MIN_FREE_BYTES refuses before any byte is written (no tmpfs needed: the threshold is
    set above the free space)."""
    settings.STORAGE_MIN_FREE_BYTES = storage.free_bytes() + 1024**4
    response = post(api, {"cat.jpg": images.jpeg("chelsea")})
    assert_507(response)
    assert "out of storage space" in response.json()["detail"]
    assert not Photo.objects.exists()
    assert not settings.MEDIA_ROOT.exists() or not any(p.is_file() for p in settings.MEDIA_ROOT.rglob("*"))
    assert "Upload refused, no space left" in caplog.text


@pytest.mark.django_db
def test_web_form_upload_onto_a_full_disk_says_so(client, settings):
    user = UserFactory()
    client.force_login(user)
    settings.STORAGE_MIN_FREE_BYTES = storage.free_bytes() + 1024**4
    response = client.post("/upload/", {"files": [SimpleUploadedFile("cat.jpg", images.jpeg("chelsea"))]})
    assert response.status_code == 507
    assert "out of storage space" in response.content.decode()
    assert not Photo.objects.exists()


class FailingHalfway(ContentFile):
    """Content whose second chunk fails as a full disk would: the fault-injecting counterpart of the tmpfs."""

    def chunks(self, chunk_size=None):
        yield self.read(1000)
        raise OSError(errno.ENOSPC, "No space left on device")


def test_storage_leaves_no_partial_file_when_a_write_fails(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    atomic = storage.AtomicFileSystemStorage(location=tmp_path)
    with pytest.raises(OSError) as raised:
        atomic.save("originals/1/x.jpg", FailingHalfway(b"x" * 5000))
    assert storage.is_disk_full(raised.value)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    assert atomic.save("originals/1/y.jpg", ContentFile(b"y" * 5000)) == "originals/1/y.jpg"
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["y.jpg"]


@pytest.mark.django_db
def test_thumbnails_on_a_full_disk_fail_at_once_and_resume_when_space_returns(small_disk, client, caplog, settings):
    """Ensure each photo fails with the reason at once, burns no attempt, leaves no thumbnail (whole or partial),
    shows on the health page, and is processed once space returns, by the reconciler alone."""
    user = UserFactory()
    photos = [
        services.photo_create(owner=user, file=ContentFile(content, name=name))
        for name, content in small_photos(5).items()
    ]
    originals = small_disk.files()
    settings.STORAGE_MIN_FREE_BYTES = 65536
    small_disk.fill()
    with caplog.at_level(logging.ERROR):
        pipeline.photos_process(photo_ids=[photo.id for photo in photos])
    for photo in Photo.objects.filter(owner=user):
        assert (photo.status, photo.error, photo.attempts, photo.thumbnail.name) == (
            "failed",
            storage.NO_SPACE_REASON,
            0,
            "",
        )
    assert small_disk.files() == originals
    assert "No space left for thumbnails" in caplog.text
    owner_api = APIClient()
    owner_api.force_authenticate(user)
    assert owner_api.get(f"/api/photos/{photos[0].id}/").json()["error"] == storage.NO_SPACE_REASON
    health = client.get("/health/")
    assert health.status_code == 503
    assert all(problem.startswith("No space left") for problem in health.json()["problems"])
    assert "storage" not in health.json()  # figures are for staff

    pipeline.photos_reconcile()  # still full: nothing moves
    assert set(Photo.objects.values_list("status", flat=True)) == {"failed"}

    small_disk.empty()
    pipeline.photos_reconcile()  # eager: queues and processes them
    for photo in Photo.objects.filter(owner=user):
        assert (photo.status, photo.error, photo.attempts) == ("ready", "", 1)
        with photo.thumbnail.open("rb") as thumb:
            Image.open(io.BytesIO(thumb.read())).load()
    assert len(small_disk.files()) == 10
    assert client.get("/health/").json() == {"status": "ok", "problems": []}


@pytest.mark.worker
@pytest.mark.own_workers
@pytest.mark.django_db(transaction=True)
def test_real_worker_out_of_space_fails_photos_then_finishes_them(small_disk, start_worker, api, user):
    """The same with a real worker and beat: photos uploaded, the disk fills before their thumbnails are written."""
    ids = upload(api, small_photos(6))
    originals = small_disk.files()
    small_disk.fill()
    start_worker(beat=True, STORAGE_MIN_FREE_BYTES="65536", MEDIA_ROOT=str(small_disk.path), **RECONCILER)
    wait_for(lambda: Photo.objects.filter(id__in=ids, error=storage.NO_SPACE_REASON).count() == 6, timeout=180)
    assert set(Photo.objects.filter(id__in=ids).values_list("status", "attempts")) == {("failed", 0)}
    assert small_disk.files() == originals
    small_disk.empty()
    wait_for(lambda: Photo.objects.filter(id__in=ids, status="ready").count() == 6, timeout=120)
    assert_every_photo_final(user, ids)
    assert max(Photo.objects.filter(id__in=ids).values_list("attempts", flat=True)) == 1
    assert len(small_disk.files()) == 12
