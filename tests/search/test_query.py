"""Search services end to end on the real model and small real photos (eager tasks, real Redis)."""
import pytest
from django.core.files.base import ContentFile

from gallery import services
from gallery.models import Photo
from search import query
from tests import images

pytestmark = pytest.mark.django_db


@pytest.fixture
def gallery(user, django_capture_on_commit_callbacks):
    """Four of the user's photos, processed (embedded, tagged) as the worker would."""
    with django_capture_on_commit_callbacks(execute=True):
        result = services.photos_upload(
            owner=user,
            files=[ContentFile(images.jpeg(name), name=f"{name}.jpg") for name in ("chelsea", "coffee", "astronaut", "rocket")],
        )
    assert not result.rejected
    return {p.original_name.removesuffix(".jpg"): Photo.objects.get(id=p.id) for p in result.created}


def names(hits):
    return [hit.photo.original_name.removesuffix(".jpg") for hit in hits]


def test_photos_are_ready_with_auto_tags(gallery):
    cat = gallery["chelsea"]
    assert cat.status == Photo.Status.READY
    tags = {link.tag.name: link for link in cat.photo_tags.select_related("tag")}
    assert any(name in tags for name in ("tabby cat", "tiger cat", "egyptian mau", "cat")), tags


def test_text_search_cat_ranks_chelsea_first(user, gallery):
    assert names(query.by_text(owner=user, q="cat", k=4))[0] == "chelsea"


def test_text_search_drink_finds_coffee(user, gallery):
    assert names(query.by_text(owner=user, q="coffee", k=4))[0] == "coffee"


def test_similar_to_image_finds_its_twin(user, gallery):
    hits = query.similar_to_image(owner=user, image=images.sample("chelsea").resize((300, 200)), k=4)
    assert names(hits)[0] == "chelsea"
    assert hits[0].score > 0.8


def test_similar_to_photo_excludes_itself(user, gallery):
    hits = query.similar_to_photo(owner=user, photo_id=gallery["coffee"].id, k=10)
    assert "coffee" not in names(hits) and len(hits) == 3
