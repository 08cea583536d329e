import pytest

from gallery.models import Photo
from tests.factories import PhotoFactory
from tests.images import jpeg
from tests.ocr.images import text_jpeg


def ready(photo: Photo) -> Photo:
    """The pipeline's outcome without its model: the text pass only needs a ready photo and its original."""
    Photo.objects.filter(id=photo.id).update(status=Photo.Status.READY)
    photo.refresh_from_db()
    return photo


@pytest.fixture
def text_photo(user):
    return ready(PhotoFactory(owner=user, content=text_jpeg(["harbour", "segmentation"], background="rocket")))


@pytest.fixture
def plain_photo(user):
    return ready(PhotoFactory(owner=user, content=jpeg("coffee")))
