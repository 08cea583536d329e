"""The photo pipeline (search.pipeline): its steps in-process, then through a real Celery worker process
(upload → searchable, and tags → a trained projection)."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gallery import services
from gallery.models import Photo
from search import ingest, pipeline
from search.models import PhotoEmbedding, SearchIndex, TextProjection
from tests import images
from tests.conftest import wait_for
from tests.factories import PhotoFactory
from tests.search.conftest import result_names


def stored(owner, names=("chelsea", "coffee", "astronaut", "rocket")) -> list[Photo]:
    """Pending photos, stored but not processed."""
    return [PhotoFactory(owner=owner, content=images.jpeg(name), name=f"{name}.jpg") for name in names]


def statuses(photos) -> dict[str, str]:
    return {p.original_name: p.status for p in Photo.objects.filter(id__in=[p.id for p in photos])}


# A real transaction per test: a photo deleted mid-batch must break the batch's commit as it would in production.
@pytest.mark.django_db(transaction=True)
def test_photo_deleted_while_embedding_leaves_the_rest_of_its_batch_ready(user, monkeypatch):
    photos = stored(user)
    victim = photos[1]
    real_embed = ingest.photos_embed

    def embed_after_a_delete(**kwargs):
        if Photo.objects.filter(id=victim.id).exists():
            services.photo_delete(photo=Photo.objects.get(id=victim.id))
        return real_embed(**kwargs)

    monkeypatch.setattr(ingest, "photos_embed", embed_after_a_delete)
    pipeline.photos_process(photo_ids=[p.id for p in photos])
    assert statuses(photos) == {"chelsea.jpg": "ready", "astronaut.jpg": "ready", "rocket.jpg": "ready"}
    assert PhotoEmbedding.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_photo_deleted_before_decoding_leaves_the_rest_of_its_batch_ready(user, monkeypatch):
    """Ensure a deleted photo, whose original is gone so it cannot be decoded, is not saved back as failed."""
    photos = stored(user)
    victim = photos[0]
    real_decode = services.photos_decode

    def decode_after_a_delete(*, photos, model_side):
        services.photo_delete(photo=Photo.objects.get(id=victim.id))
        return real_decode(photos=photos, model_side=model_side)

    monkeypatch.setattr(services, "photos_decode", decode_after_a_delete)
    pipeline.photos_process(photo_ids=[p.id for p in photos])
    assert statuses(photos) == {"coffee.jpg": "ready", "astronaut.jpg": "ready", "rocket.jpg": "ready"}


@pytest.mark.django_db(transaction=True)
def test_next_chunk_is_decoded_while_the_model_runs_on_this_one(user, monkeypatch):
    """Ensure decoding overlaps the model: the first chunk's embedding waits until the second chunk's decode began."""
    import threading

    photos = [
        PhotoFactory(owner=user, content=content, name=f"{i}.jpg")
        for i, content in enumerate(images.variants("chelsea", pipeline.FIRST_CHUNK + 2))
    ]
    second_decode_started, overlapped = threading.Event(), []
    real_decode, real_embed = services.photos_decode, ingest.photos_embed

    def decode(*, photos, model_side):
        if photos[0].id != min(p.id for p in photos_all):
            second_decode_started.set()
        return real_decode(photos=photos, model_side=model_side)

    def embed(*, photos, images):
        if len(overlapped) == 0:  # the first chunk
            overlapped.append(second_decode_started.wait(timeout=30))
        return real_embed(photos=photos, images=images)

    photos_all = photos
    monkeypatch.setattr(services, "photos_decode", decode)
    monkeypatch.setattr(ingest, "photos_embed", embed)
    pipeline.photos_process(photo_ids=[p.id for p in photos])

    assert overlapped == [True]
    assert set(statuses(photos).values()) == {"ready"}


def test_chunks_start_small_and_grow_to_the_batch_size(settings):
    settings.SEARCH_EMBED_BATCH = 32
    assert [len(c) for c in pipeline._growing_chunks(list(range(70)))] == [4, 8, 16, 32, 10]
    assert [len(c) for c in pipeline._growing_chunks([1])] == [1]


@pytest.mark.django_db(transaction=True)
def test_one_photo_failing_to_embed_fails_alone_with_its_reason(user, monkeypatch):
    photos = stored(user)
    poison = photos[2]
    real_embed = ingest.photos_embed

    def embed_refusing_one(*, photos, images):
        if any(p.id == poison.id for p in photos):
            raise ValueError("the model refused this one")
        return real_embed(photos=photos, images=images)

    monkeypatch.setattr(ingest, "photos_embed", embed_refusing_one)
    pipeline.photos_process(photo_ids=[p.id for p in photos])
    assert statuses(photos) == {
        "chelsea.jpg": "ready",
        "coffee.jpg": "ready",
        "astronaut.jpg": "failed",
        "rocket.jpg": "ready",
    }
    assert Photo.objects.get(id=poison.id).error == "The photo could not be made searchable: the model refused this one"


@pytest.mark.django_db
def test_photo_interrupted_too_often_is_failed_not_retried_for_ever(user, settings):
    """Ensure a poison image that keeps killing workers ends `failed` once its attempts are spent."""
    photo = PhotoFactory(owner=user)
    Photo.objects.filter(id=photo.id).update(status=Photo.Status.PROCESSING, attempts=settings.PHOTO_MAX_ATTEMPTS)
    pipeline.photos_process(photo_ids=[photo.id])
    photo.refresh_from_db()
    assert photo.status == Photo.Status.FAILED
    assert photo.error == f"Processing was interrupted {settings.PHOTO_MAX_ATTEMPTS} times; giving up."


@pytest.mark.django_db
def test_processing_a_ready_photo_again_changes_nothing(user):
    photo = PhotoFactory(owner=user)
    pipeline.photos_process(photo_ids=[photo.id])
    photo.refresh_from_db()
    assert photo.status == Photo.Status.READY and photo.attempts == 1
    pipeline.photos_process(photo_ids=[photo.id])
    photo.refresh_from_db()
    assert photo.status == Photo.Status.READY and photo.attempts == 1


@pytest.mark.django_db
def test_processing_a_failed_photo_again_changes_nothing(user):
    """Ensure a late duplicate message does not undo a verdict: only a retry re-opens a failed photo."""
    photo = PhotoFactory(owner=user)
    Photo.objects.filter(id=photo.id).update(status=Photo.Status.FAILED, error="broken")
    pipeline.photos_process(photo_ids=[photo.id])
    photo.refresh_from_db()
    assert (photo.status, photo.error, photo.attempts) == (Photo.Status.FAILED, "broken", 0)


@pytest.mark.django_db
def test_reconciler_processes_a_photo_whose_message_was_lost(user, settings, django_capture_on_commit_callbacks):
    photo = PhotoFactory(owner=user)  # stored, never announced: as if Redis lost the message
    Photo.objects.filter(id=photo.id).update(
        status_changed_at=timezone.now() - timedelta(seconds=settings.PHOTO_STUCK_SECONDS + 1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert pipeline.photos_reconcile() == {"requeued": 1, "failed": 0}
    photo.refresh_from_db()
    assert photo.status == Photo.Status.READY and photo.attempts == 1


@pytest.mark.django_db
def test_reconciler_leaves_recent_photos_alone(user):
    photo = PhotoFactory(owner=user)
    assert pipeline.photos_reconcile() == {"requeued": 0, "failed": 0}
    assert Photo.objects.get(id=photo.id).status == Photo.Status.PENDING


@pytest.mark.django_db
def test_reconciler_fails_a_stuck_photo_whose_attempts_are_spent(user, settings):
    photo = PhotoFactory(owner=user)
    Photo.objects.filter(id=photo.id).update(
        status=Photo.Status.PROCESSING,
        attempts=settings.PHOTO_MAX_ATTEMPTS,
        status_changed_at=timezone.now() - timedelta(seconds=settings.PHOTO_STUCK_SECONDS + 1),
    )
    assert pipeline.photos_reconcile() == {"requeued": 0, "failed": 1}
    photo.refresh_from_db()
    assert photo.status == Photo.Status.FAILED
    assert photo.error == f"Processing did not finish in {settings.PHOTO_MAX_ATTEMPTS} attempts; giving up."


def test_reconciler_runs_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["photos-reconcile"]
    assert entry == {"task": "search.tasks.photos_reconcile_task", "schedule": settings.PHOTO_RECONCILE_SECONDS}


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


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_upload_becomes_searchable_by_similarity(celery_worker, api, user):
    ids = upload(api, {f"{name}.jpg": images.jpeg(name) for name in ("chelsea", "coffee", "rocket")})
    wait_ready(ids)
    response = api.post("/api/search/similar/", {"image": SimpleUploadedFile("q.jpg", images.jpeg("coffee"))})
    assert response.status_code == 200
    assert result_names(response)[0] == "coffee"
    # The debounced rebuild ran in the worker and published indexes that cover all three photos.
    record = wait_for(lambda: SearchIndex.objects.filter(owner=user, space="image", size=3).first(), timeout=60)
    assert record.max_embedding_id > 0


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_users_tags_train_a_projection_that_text_search_uses(celery_worker, api, user):
    """Ensure words no ImageNet label implies ("family", "work") become searchable once the user tags with them."""
    groups = {"family": "chelsea", "work": "coffee", "travel": "rocket"}
    files = {
        f"{tag}-{i}.jpg": content for tag, name in groups.items() for i, content in enumerate(images.variants(name, 8))
    }
    ids = upload(api, files)
    wait_ready(ids)
    for photo in Photo.objects.filter(id__in=ids):
        tag = photo.original_name.split("-")[0]
        assert api.post(f"/api/photos/{photo.id}/tags/", {"name": tag}, format="json").status_code == 201

    # Training may already start while tags are still being added; a later tag edit retrains on all of them.
    projection = wait_for(lambda: TextProjection.objects.filter(owner=user, n_photos=24).first(), timeout=180)
    assert projection.n_tags == 3
    assert projection.active and projection.trained_score > projection.zeroshot_score
    assert projection.path.endswith(".npz")  # numpy arrays: web processes apply them without TensorFlow

    def uses_projection():
        body = api.get("/api/search/text/?q=family&k=8").json()
        return (
            body["mapping"]["method"] == "trained"
            and SearchIndex.objects.filter(owner=user, space="text", key__contains="proj").exists()
            and body
        )

    body = wait_for(uses_projection, timeout=60)
    top = [hit["photo"]["original_name"] for hit in body["results"]]
    assert sum(name.startswith("family-") for name in top) >= 7, top
    assert body["mapping"]["trained_score"] == pytest.approx(projection.trained_score)
    # The trained mapping's cosines have no fixed scale: its hits are labelled on the zero-shot one, and a photo
    # tagged with the query word is a strong match.
    matches = {hit["photo"]["original_name"]: hit["match"] for hit in body["results"]}
    assert None not in matches.values()
    assert {match for name, match in matches.items() if name.startswith("family-")} == {"strong"}
