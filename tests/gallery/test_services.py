import pytest

from gallery import services
from gallery.models import Photo
from tests.factories import PhotoFactory

pytestmark = pytest.mark.django_db


def test_photo_interrupted_too_often_is_failed_not_retried_for_ever(user, settings):
    """Ensure a poison image that keeps killing workers ends `failed` once its attempts are spent."""
    photo = PhotoFactory(owner=user)
    Photo.objects.filter(id=photo.id).update(status=Photo.Status.PROCESSING, attempts=settings.PHOTO_MAX_ATTEMPTS)
    services.photos_process(photo_ids=[photo.id])
    photo.refresh_from_db()
    assert photo.status == Photo.Status.FAILED
    assert photo.error == f"Processing was interrupted {settings.PHOTO_MAX_ATTEMPTS} times; giving up."


def test_processing_a_ready_photo_again_changes_nothing(user):
    photo = PhotoFactory(owner=user)
    services.photos_process(photo_ids=[photo.id])
    photo.refresh_from_db()
    assert photo.status == Photo.Status.READY and photo.attempts == 1
    services.photos_process(photo_ids=[photo.id])
    photo.refresh_from_db()
    assert photo.status == Photo.Status.READY and photo.attempts == 1


def test_display_name_drops_directories_and_control_characters():
    assert services.display_name("..\\..\\evil\x00name.jpg") == "evilname.jpg"
    assert services.display_name("") == "unnamed"
