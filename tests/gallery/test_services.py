import pytest

from gallery import services
from gallery.models import Photo
from tests.factories import PhotoFactory

pytestmark = pytest.mark.django_db


def test_display_name_drops_directories_and_control_characters():
    assert services.display_name("..\\..\\evil\x00name.jpg") == "evilname.jpg"
    assert services.display_name("") == "unnamed"


def test_bulk_remove_forgets_own_tags_and_remembers_auto_tags_as_rejected(user):
    from gallery.models import PhotoTag
    from tests import images

    first = PhotoFactory(owner=user)
    second = PhotoFactory(owner=user, content=images.jpeg("coffee"))
    services.tag_add(photo=first, name="cup")
    services.tags_suggest(suggestions={second: [("cup", 0.4)]})
    assert services.tags_bulk_remove(owner=user, photo_ids=[first.id, second.id], name="cup") == 2
    assert not PhotoTag.objects.filter(photo=first).exists()
    assert PhotoTag.objects.get(photo=second).state == PhotoTag.State.REJECTED


def test_bulk_reject_leaves_photos_without_the_suggestion_alone(user):
    from gallery.models import PhotoTag
    from tests import images

    suggested = PhotoFactory(owner=user)
    own = PhotoFactory(owner=user, content=images.jpeg("coffee"))
    services.tags_suggest(suggestions={suggested: [("cup", 0.4)]})
    services.tag_add(photo=own, name="cup")
    assert services.tags_bulk_decide(owner=user, photo_ids=[suggested.id, own.id], name="cup", accept=False) == 1
    assert PhotoTag.objects.get(photo=suggested).state == PhotoTag.State.REJECTED
    assert PhotoTag.objects.get(photo=own).state == PhotoTag.State.ACCEPTED


def test_trash_purge_task_deletes_old_trash_for_good_files_vectors_and_index_entries(
    user, settings, django_capture_on_commit_callbacks
):
    import os
    from datetime import timedelta

    from django.utils import timezone

    from gallery.tasks import trash_purge_task
    from search import components, index_versions, indexes
    from search.models import PhotoEmbedding
    from search.pipeline import photos_process
    from tests import images

    old = PhotoFactory(owner=user)
    recent = PhotoFactory(owner=user, content=images.jpeg("coffee"))
    kept = PhotoFactory(owner=user, content=images.jpeg("rocket"))
    with django_capture_on_commit_callbacks(execute=True):
        photos_process(photo_ids=[old.id, recent.id, kept.id])
    old.refresh_from_db()
    files = [old.original.path, old.thumbnail.path]
    services.photos_trash(owner=user, photo_ids=[old.id, recent.id])
    Photo.objects.filter(id=old.id).update(trashed_at=timezone.now() - timedelta(days=settings.TRASH_KEEP_DAYS + 1))

    with django_capture_on_commit_callbacks(execute=True):
        assert trash_purge_task.delay().get() == 1
    assert set(Photo.objects.values_list("id", flat=True)) == {recent.id, kept.id}  # the recent one waits
    assert not any(os.path.exists(path) for path in files)
    assert not PhotoEmbedding.objects.filter(photo_id=old.id).exists()
    indexes.index_rebuild_try(owner_id=user.id)
    indexed, _, _ = index_versions.load_features(owner_id=user.id, model_key=components.configured_model_key())
    assert sorted(indexed.tolist()) == sorted([recent.id, kept.id])


def test_trashed_photos_leave_tag_counts_and_album_counts(user):
    from gallery import selectors
    from tests import images

    photo = PhotoFactory(owner=user)
    other = PhotoFactory(owner=user, content=images.jpeg("coffee"))
    services.tags_bulk_add(owner=user, photo_ids=[photo.id, other.id], name="cat")
    album = services.album_create(owner=user, name="A", photo_ids=[photo.id, other.id])
    services.photos_trash(owner=user, photo_ids=[photo.id])
    assert selectors.tag_counts(owner=user) == [("cat", 1)]
    assert selectors.album_get(owner=user, id=album.id).count == 1
    services.photos_restore(owner=user, photo_ids=[photo.id])
    assert selectors.tag_counts(owner=user) == [("cat", 2)]
