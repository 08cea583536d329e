import os
import shutil
from pathlib import Path
from unittest import mock

import pytest

from search import components, index_versions, indexes
from search.models import SearchIndex

pytestmark = pytest.mark.django_db


def test_many_schedules_within_the_window_queue_one_rebuild(user, django_capture_on_commit_callbacks):
    with (
        mock.patch("search.tasks.rebuild_index_task.apply_async") as apply_async,
        django_capture_on_commit_callbacks(execute=True),
    ):
        for _ in range(5):
            index_versions.index_rebuild_schedule(owner_id=user.id)
    assert apply_async.call_count == 1


def test_rebuild_clears_the_schedule_so_later_uploads_queue_again(user, gallery, django_capture_on_commit_callbacks):
    indexes.index_rebuild_try(owner_id=user.id)
    with (
        mock.patch("search.tasks.rebuild_index_task.apply_async") as apply_async,
        django_capture_on_commit_callbacks(execute=True),
    ):
        index_versions.index_rebuild_schedule(owner_id=user.id)
    assert apply_async.call_count == 1


def test_rebuild_waits_while_another_holds_the_lock(user, gallery):
    lock = index_versions.redis_client().lock(indexes.lock_key(user.id), timeout=30)
    assert lock.acquire(blocking=False)
    try:
        assert indexes.index_rebuild_try(owner_id=user.id) is False
    finally:
        lock.release()
    assert indexes.index_rebuild_try(owner_id=user.id) is True


def test_rebuild_records_current_versions_and_keeps_two(user, gallery):
    for _ in range(3):
        indexes.index_rebuild_try(owner_id=user.id)
    records = SearchIndex.objects.filter(owner=user, space="image")
    assert records.count() == index_versions.KEEP_VERSIONS
    newest = records.order_by("-id").first()
    assert newest.size == 4 and newest.max_embedding_id > 0
    on_disk = sorted(
        p.name
        for p in index_versions.owner_dir(user.id).iterdir()
        if p.name.startswith(f"{components.configured_model_key()}.")
    )
    assert len(on_disk) == index_versions.KEEP_VERSIONS


def test_collection_has_no_delta_after_rebuild(user, gallery):
    from search.spaces import image_space

    indexes.index_rebuild_try(owner_id=user.id)
    found = index_versions.collection(owner_id=user.id, space=image_space(model_key=components.configured_model_key()))
    assert len(found.index) == 4 and len(found.delta_ids) == 0


def test_rebuild_after_everything_deleted_retires_indexes(user, gallery, django_capture_on_commit_callbacks):
    from gallery import services

    indexes.index_rebuild_try(owner_id=user.id)
    for photo in gallery.values():
        services.photo_delete(photo=photo)
    indexes.index_rebuild_try(owner_id=user.id)
    assert not SearchIndex.objects.filter(owner=user).exists()


def test_collection_with_a_corrupt_index_scans_everything_exactly_and_schedules_a_rebuild(
    user, gallery, django_capture_on_commit_callbacks
):
    import json
    from pathlib import Path

    from search.ml import ann
    from search.spaces import image_space

    indexes.index_rebuild_try(owner_id=user.id)
    record = SearchIndex.objects.filter(owner=user, space="image").order_by("-id").first()
    manifest = Path(record.path) / ann.MANIFEST
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "format": 1}))  # an older format's index
    ann._load.cache_clear()
    with (
        mock.patch("search.tasks.rebuild_index_task.apply_async") as apply_async,
        django_capture_on_commit_callbacks(execute=True),
    ):
        found = index_versions.collection(
            owner_id=user.id, space=image_space(model_key=components.configured_model_key())
        )
    assert found.index is None and len(found.delta_ids) == 4
    assert apply_async.call_count == 1


def _break_and_search(user, django_capture_on_commit_callbacks, damage):
    """Publish the four photos' index, damage its files, then look it up as a fresh process would."""
    from search.ml import ann
    from search.spaces import image_space

    indexes.index_rebuild_try(owner_id=user.id)
    record = SearchIndex.objects.filter(owner=user, space="image").order_by("-id").first()
    damage(Path(record.path))
    ann._load.cache_clear()
    with (
        mock.patch("search.tasks.rebuild_index_task.apply_async") as apply_async,
        django_capture_on_commit_callbacks(execute=True),
    ):
        found = index_versions.collection(
            owner_id=user.id, space=image_space(model_key=components.configured_model_key())
        )
    return found, apply_async


def test_missing_index_folder_is_searched_exactly_and_rebuilt_at_once(
    user, gallery, django_capture_on_commit_callbacks
):
    """Ensure a record whose folder is gone does not recurse: exact scan of every vector, a rebuild with no delay."""
    found, apply_async = _break_and_search(user, django_capture_on_commit_callbacks, shutil.rmtree)
    assert found.index is None and len(found.delta_ids) == 4
    assert apply_async.call_args.kwargs["countdown"] == 0


def test_garbled_manifest_is_searched_exactly_and_rebuilt(user, gallery, django_capture_on_commit_callbacks):
    from search.ml import ann

    found, apply_async = _break_and_search(
        user, django_capture_on_commit_callbacks, lambda path: (path / ann.MANIFEST).write_text("[1, 2")
    )
    assert found.index is None and len(found.delta_ids) == 4
    assert apply_async.call_count == 1


def test_truncated_vectors_file_is_searched_exactly_and_rebuilt(user, gallery, django_capture_on_commit_callbacks):
    def truncate(path):
        for name in ("vectors.npy", "codes.npy"):
            if (path / name).exists():
                os.truncate(path / name, 200)

    found, apply_async = _break_and_search(user, django_capture_on_commit_callbacks, truncate)
    assert found.index is None and len(found.delta_ids) == 4
    assert apply_async.call_count == 1


def test_index_truncated_after_loading_keeps_answering(user, gallery):
    """Ensure a loaded index does not map its files: truncating them from outside would otherwise be a SIGBUS."""
    from search import query

    indexes.index_rebuild_try(owner_id=user.id)
    assert [h.photo.id for h in query.similar_to_photo(owner=user, photo_id=gallery["coffee"].id, k=1)]
    record = SearchIndex.objects.filter(owner=user, space="image").order_by("-id").first()
    for path in Path(record.path).glob("*.npy"):
        os.truncate(path, 0)
    hits = query.similar_to_photo(owner=user, photo_id=gallery["coffee"].id, k=4)
    assert len(hits) == 3 and gallery["coffee"].id not in {h.photo.id for h in hits}


@pytest.mark.parametrize("scan_max", [1, index_versions.DELTA_SCAN_MAX], ids=["by-owner", "newest-embeddings"])
def test_delta_is_the_owners_embeddings_of_that_model_after_the_index(user, other_user, monkeypatch, scan_max):
    import numpy as np

    from search.models import PhotoEmbedding
    from tests.factories import PhotoFactory
    from tests.images import jpeg

    monkeypatch.setattr(index_versions, "DELTA_SCAN_MAX", scan_max)
    mine = [PhotoFactory(owner=user, content=jpeg(name)) for name in ("chelsea", "coffee", "rocket")]
    theirs = PhotoFactory(owner=other_user, content=jpeg("astronaut"))

    def embed(photo, value, version="1"):
        vector = np.full(4, value, np.float32).tobytes()
        return PhotoEmbedding.objects.create(photo=photo, model_name="lite0", model_version=version, vector=vector)

    built_until = embed(mine[0], 1.0).id  # in the index
    embed(theirs, 2.0)
    embed(mine[1], 3.0, version="2")  # another model's vector
    newest = embed(mine[2], 4.0)

    ids, features, last = index_versions.load_features(owner_id=user.id, model_key="lite0-1", after_id=built_until)

    assert ids.tolist() == [mine[2].id]
    assert features.tolist() == [[4.0] * 4]
    assert last == newest.id


def test_the_scrub_marks_a_rotted_version_bad_and_schedules_its_rebuild(
    user, gallery, django_capture_on_commit_callbacks
):
    """Ensure damage that keeps a file's size and time (bit rot) is found without any process loading it afresh."""
    from search.ml import ann

    indexes.index_rebuild_try(owner_id=user.id)
    record = SearchIndex.objects.filter(owner=user, space="image").order_by("-id").first()
    ids = Path(record.path) / "ids.npy"
    stat = ids.stat()
    ids.write_bytes(ids.read_bytes()[:-8] + b"rotten!!")
    os.utime(ids, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with (
        mock.patch("search.tasks.rebuild_index_task.apply_async") as apply_async,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert index_versions.indexes_verify() == 1
    assert (Path(record.path) / ann.BAD).exists()
    assert apply_async.call_args.kwargs["countdown"] == 0
