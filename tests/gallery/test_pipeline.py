"""The upload pipeline with a real Celery worker process on the test Redis (no eager mode)."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gallery.models import Photo
from search.workers import HEARTBEAT_TTL
from tests import images
from tests.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_upload_reaches_ready_with_thumbnail(celery_worker, api):
    response = api.post("/api/photos/", {"files": [SimpleUploadedFile("cat.jpg", images.jpeg("chelsea"))]})
    assert response.status_code == 201
    photo_id = response.json()["created"][0]["id"]

    def ready():
        photo = Photo.objects.get(id=photo_id)
        assert photo.status != Photo.Status.FAILED, photo.error
        return photo.status == Photo.Status.READY and photo

    photo = wait_for(ready, timeout=90)
    assert photo.thumbnail and photo.thumbnail.storage.exists(photo.thumbnail.name)
    assert api.get(f"/api/photos/{photo_id}/thumbnail").status_code == 200


def test_heic_upload_becomes_ready(celery_worker, api):
    response = api.post("/api/photos/", {"files": [SimpleUploadedFile("IMG_0001.HEIC", images.heic())]})
    assert response.status_code == 201, response.content
    photo_id = response.json()["created"][0]["id"]

    def ready():
        photo = Photo.objects.get(id=photo_id)
        assert photo.status != Photo.Status.FAILED, photo.error
        return photo.status == Photo.Status.READY and photo

    photo = wait_for(ready, timeout=90)
    assert photo.format == "heic" and photo.thumbnail
    assert api.get(f"/api/photos/{photo_id}/original")["Content-Type"] == "image/heic"


def test_corrupt_image_fails_in_worker_with_reason_and_can_be_retried(celery_worker, api, settings):
    """Ensure a file that passes upload checks but cannot be decoded ends `failed` with its reason."""
    response = api.post("/api/photos/", {"files": [SimpleUploadedFile("cat.jpg", images.jpeg("chelsea"))]})
    photo = Photo.objects.get(id=response.json()["created"][0]["id"])
    wait_for(lambda: Photo.objects.get(id=photo.id).status == Photo.Status.READY, timeout=90)
    # Damage the stored original behind the app's back, then ask for a retry.
    Photo.objects.filter(id=photo.id).update(status=Photo.Status.FAILED, thumbnail="")
    with open(photo.original.path, "r+b") as original:
        original.seek(200)
        original.truncate()
    assert api.post(f"/api/photos/{photo.id}/retry/").status_code == 202
    failed = wait_for(
        lambda: (p := Photo.objects.get(id=photo.id)).status == Photo.Status.FAILED and p.error and p, timeout=60
    )
    assert "could not be decoded" in failed.error


@pytest.mark.own_workers
def test_worker_killed_mid_batch_leads_to_a_retry_not_a_loss(start_worker, api, user):
    """Ensure acks_late: a worker killed while processing leaves the batch to the next worker, which finishes it."""
    import signal

    api.force_login(user)  # a body this large is let through only for a caller known before the body is read

    base = images.sample("astronaut").resize((4000, 3000))
    files = []
    for i in range(24):  # 12 MP each, so the batch takes long enough to be killed halfway
        base.putpixel((i, 0), (i, 255 - i, 0))
        files.append(SimpleUploadedFile(f"big{i}.jpg", images.encode(base, "JPEG", quality=85)))
    # Redelivery after a short visibility timeout, so the test need not wait an hour.
    first = start_worker(CELERY_VISIBILITY_TIMEOUT="5")
    response = api.post("/api/photos/", {"files": files})
    assert response.status_code == 201, response.content
    ids = [photo["id"] for photo in response.json()["created"]]
    wait_for(
        lambda: Photo.objects.filter(id__in=ids, status=Photo.Status.PROCESSING).exists(), timeout=60, interval=0.01
    )
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert Photo.objects.filter(id__in=ids).exclude(status=Photo.Status.READY).exists()

    # Past the visibility timeout, so the next worker restores the message when it starts, and past the killed
    # worker's heartbeat, so that the redelivered message may take its photos (search/workers.py).
    time.sleep(max(6, HEARTBEAT_TTL + 1))
    start_worker(CELERY_VISIBILITY_TIMEOUT="5")
    wait_for(lambda: Photo.objects.filter(id__in=ids, status=Photo.Status.READY).count() == len(ids), timeout=120)
    attempts = set(Photo.objects.filter(id__in=ids).values_list("attempts", flat=True))
    assert 2 in attempts and max(attempts) <= 2  # the interrupted batch was retried exactly once
