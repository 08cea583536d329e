import pytest
from django.core.files.base import ContentFile

from gallery import services
from gallery.models import Photo
from tests import images

SAMPLE_NAMES = ("chelsea", "coffee", "astronaut", "rocket")


def upload_samples(owner, names=SAMPLE_NAMES, capture=None) -> dict[str, Photo]:
    with capture(execute=True):
        result = services.photos_upload(
            owner=owner, files=[ContentFile(images.jpeg(name), name=f"{name}.jpg") for name in names]
        )
    assert not result.rejected, result.rejected
    return {p.original_name.removesuffix(".jpg"): Photo.objects.get(id=p.id) for p in result.created}


@pytest.fixture
def gallery(user, django_capture_on_commit_callbacks):
    """The user's four sample photos, processed (embedded, tagged) as the worker would."""
    return upload_samples(user, capture=django_capture_on_commit_callbacks)


def names(hits) -> list[str]:
    return [hit.photo.original_name.removesuffix(".jpg") for hit in hits]


def result_names(response) -> list[str]:
    return [hit["photo"]["original_name"].removesuffix(".jpg") for hit in response.json()["results"]]
