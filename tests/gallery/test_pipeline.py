"""The upload pipeline with a real Celery worker process on the test Redis (no eager mode)."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gallery.models import Photo
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
