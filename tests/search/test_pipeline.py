"""Search through a real Celery worker process: upload → searchable, and tags → a trained projection."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gallery.models import Photo
from search.models import SearchIndex, TextProjection
from tests import images
from tests.conftest import wait_for
from tests.search.conftest import result_names

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def upload(api, files: dict[str, bytes]) -> list[int]:
    response = api.post("/api/photos/", {"files": [SimpleUploadedFile(n, c) for n, c in files.items()]})
    assert response.status_code == 201, response.content
    return [photo["id"] for photo in response.json()["created"]]


def wait_ready(ids: list[int], timeout: float = 120) -> None:
    def all_ready():
        statuses = dict(Photo.objects.filter(id__in=ids).values_list("id", "status"))
        assert "failed" not in statuses.values(), Photo.objects.filter(id__in=ids, status="failed").values("error")
        return all(status == "ready" for status in statuses.values())

    wait_for(all_ready, timeout=timeout)


def test_upload_becomes_searchable_by_similarity(celery_worker, api, user):
    ids = upload(api, {f"{name}.jpg": images.jpeg(name) for name in ("chelsea", "coffee", "rocket")})
    wait_ready(ids)
    response = api.post("/api/search/similar/", {"image": SimpleUploadedFile("q.jpg", images.jpeg("coffee"))})
    assert response.status_code == 200
    assert result_names(response)[0] == "coffee"
    # The debounced rebuild ran in the worker and published indexes that cover all three photos.
    record = wait_for(lambda: SearchIndex.objects.filter(owner=user, space="image", size=3).first(), timeout=60)
    assert record.max_embedding_id > 0


def test_users_tags_train_a_projection_that_text_search_uses(celery_worker, api, user):
    """Ensure words no ImageNet label implies ("family", "work") become searchable once the user tags with them."""
    groups = {"family": "chelsea", "work": "coffee", "travel": "rocket"}
    files = {f"{tag}-{i}.jpg": content for tag, name in groups.items()
             for i, content in enumerate(images.variants(name, 8))}
    ids = upload(api, files)
    wait_ready(ids)
    for photo in Photo.objects.filter(id__in=ids):
        tag = photo.original_name.split("-")[0]
        assert api.post(f"/api/photos/{photo.id}/tags/", {"name": tag}, format="json").status_code == 201

    # Training may already start while tags are still being added; a later tag edit retrains on all of them.
    projection = wait_for(lambda: TextProjection.objects.filter(owner=user, n_photos=24).first(), timeout=180)
    assert projection.n_tags == 3
    assert projection.active and projection.trained_score > projection.zeroshot_score

    def uses_projection():
        body = api.get("/api/search/text/?q=family&k=8").json()
        return body["mapping"]["method"] == "trained" and SearchIndex.objects.filter(
            owner=user, space="text", key__contains="proj").exists() and body

    body = wait_for(uses_projection, timeout=60)
    top = [hit["photo"]["original_name"] for hit in body["results"]]
    assert sum(name.startswith("family-") for name in top) >= 7, top
    assert body["mapping"]["trained_score"] == pytest.approx(projection.trained_score)
