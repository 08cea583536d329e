"""Backup → wipe → restore gives back the same site, without re-embedding a photo."""

import hashlib
import io
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from gallery import services
from gallery.models import Photo, PhotoTag
from search import components, query
from search.models import PhotoEmbedding, SearchIndex
from tests import images
from tests.search.conftest import upload_samples

pytestmark = pytest.mark.django_db(transaction=True)


def site_snapshot(owner_id: int) -> dict:
    """Everything a user would notice: photos, their files' bytes, tags, vectors and search results."""
    photos = Photo.objects.filter(owner_id=owner_id).order_by("id")
    owner = photos[0].owner
    return {
        "photos": list(photos.values_list("id", "original_name", "sha256", "status", "width", "height")),
        "files": {
            p.id: (hashlib.sha256(p.original.read()).hexdigest(), hashlib.sha256(p.thumbnail.read()).hexdigest())
            for p in photos
        },
        "tags": sorted(
            PhotoTag.objects.filter(photo__owner_id=owner_id).values_list(
                "photo_id", "tag__name", "source", "state", "confidence"
            )
        ),
        "vectors": sorted((e.photo_id, bytes(e.vector)) for e in PhotoEmbedding.objects.all()),
        "text": [(hit.photo.id, round(hit.score, 5)) for hit in query.by_text(owner=owner, q="cat", k=4)],
        "similar": [
            (hit.photo.id, round(hit.score, 5))
            for hit in query.similar_to_photo(owner=owner, photo_id=photos[0].id, k=4)
        ],
    }


@pytest.fixture
def backed_up_site(user, django_capture_on_commit_callbacks, tmp_path):
    photos = upload_samples(user, capture=django_capture_on_commit_callbacks)
    services.tag_add(photo=photos["chelsea"], name="family")
    before = site_snapshot(user.id)
    archive = tmp_path / "backup" / "site.tar.gz"
    call_command("backup", str(archive))
    return user, before, archive


def wipe_site() -> None:
    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
    shutil.rmtree(settings.SEARCH_INDEX_DIR, ignore_errors=True)


def test_restore_after_wipe_gives_back_the_same_photos_tags_and_results(backed_up_site, monkeypatch):
    user, before, archive = backed_up_site
    wipe_site()
    assert not Photo.objects.exists() and not Path(settings.MEDIA_ROOT).exists()

    def no_embedding(*args, **kwargs):
        raise AssertionError("restore must not re-embed photos")

    # The classifier weights may be read (text vectors derive from features), but no image is encoded.
    monkeypatch.setattr(type(components.encoder()), "encode", no_embedding)
    call_command("restore", str(archive))
    assert site_snapshot(user.id) == before


def test_restore_publishes_indexes_built_from_the_stored_vectors(backed_up_site):
    user, _, archive = backed_up_site
    wipe_site()
    call_command("restore", str(archive))
    records = SearchIndex.objects.filter(owner_id=user.id)
    assert {r.space for r in records} == {"image", "text"}
    assert all(Path(r.path).exists() and r.size == 4 for r in records)


def test_restore_into_a_site_with_users_is_refused_and_changes_nothing(backed_up_site):
    user, before, archive = backed_up_site
    with pytest.raises(CommandError, match="already has users"):
        call_command("restore", str(archive))
    assert site_snapshot(user.id) == before


def test_restore_of_a_file_that_is_not_a_backup_is_refused(user, tmp_path):
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar file at all")
    user.delete()
    with pytest.raises(CommandError, match="not a readable backup"):
        call_command("restore", str(junk))
    assert not Photo.objects.exists()


def test_restore_rebuilds_each_owners_index_once_and_finishes_unfinished_photos(
    backed_up_site, other_user, tmp_path, monkeypatch
):
    """Ensure one rebuild per owner and model, not one per photo (Photo.Meta.ordering once joined the DISTINCT), and
    that photos the old site left pending or processing end ready on the restored one."""
    from search import backups
    from tests.factories import PhotoFactory

    user, _, _ = backed_up_site
    pending = PhotoFactory(owner=other_user)  # stored, never processed
    processing = PhotoFactory(owner=other_user, content=images.jpeg("coffee"))
    Photo.objects.filter(id=processing.id).update(status="processing", attempts=1)
    archive = tmp_path / "again.tar"
    call_command("backup", str(archive))
    wipe_site()
    rebuilds = []
    real_rebuild = backups.index_rebuild
    monkeypatch.setattr(backups, "index_rebuild", lambda **kwargs: rebuilds.append(kwargs) or real_rebuild(**kwargs))
    call_command("restore", str(archive))
    assert rebuilds == [{"owner_id": user.id, "model_key": components.configured_model_key()}]
    assert set(Photo.objects.filter(owner=other_user).values_list("id", "status")) == {
        (pending.id, "ready"),
        (processing.id, "ready"),
    }


def test_a_backup_taken_during_uploads_holds_one_snapshot_and_restores_it_exactly(
    user, django_capture_on_commit_callbacks, tmp_path, monkeypatch
):
    """Ensure an upload committed while the backup runs is neither in the dump nor among its files, the summary counts
    what the archive holds, and the restored site is the dump: every row's files present, no orphan."""
    import json
    import tarfile
    import threading

    from django.db import connection

    from search import backups
    from tests.factories import PhotoFactory

    upload_samples(user, names=("chelsea", "coffee"), capture=django_capture_on_commit_callbacks)
    during = []

    def upload_in_another_connection():
        try:
            during.append(PhotoFactory(owner=user, content=images.jpeg("rocket")).id)
        finally:
            connection.close()

    real_files_named = backups._files_named

    def files_named_after_an_upload(alias):  # the dump is read; an upload commits before the files are listed
        uploader = threading.Thread(target=upload_in_another_connection)
        uploader.start()
        uploader.join(timeout=30)
        return real_files_named(alias)

    monkeypatch.setattr(backups, "_files_named", files_named_after_an_upload)
    archive = tmp_path / "during.tar"
    summary = backups.site_backup(target=archive)
    assert len(during) == 1 and Photo.objects.filter(id=during[0]).exists()  # committed meanwhile
    with tarfile.open(archive) as tar:
        dump = json.load(tar.extractfile("db.json"))
        media = {name.removeprefix("media/") for name in tar.getnames() if name.startswith("media/")}
    dumped = {row["pk"]: row["fields"] for row in dump if row["model"] == "gallery.photo"}
    assert during[0] not in dumped and summary.photos == len(dumped) == 2
    assert media == {f[name] for f in dumped.values() for name in ("original", "thumbnail") if f[name]}
    assert summary.files == len(media) and summary.missing == []
    wipe_site()
    restored = backups.site_restore(source=archive)
    assert (restored.missing, restored.orphans) == ([], [])
    photos = Photo.objects.all()
    assert {p.id: (p.sha256, p.original.name) for p in photos} == {
        pk: (f["sha256"], f["original"]) for pk, f in dumped.items()
    }
    assert all(hashlib.sha256(p.original.read()).hexdigest() == p.sha256 for p in photos)


def test_restore_reports_orphan_and_missing_files(backed_up_site, tmp_path):
    import tarfile

    from search import backups

    _, _, archive = backed_up_site
    tampered = tmp_path / "tampered.tar"
    with tarfile.open(archive) as source, tarfile.open(tampered, "w") as target:
        thumbnails = [m for m in source.getmembers() if m.name.startswith("media/thumbnails/")]
        for member in source.getmembers():
            if member is not thumbnails[0]:
                target.addfile(member, source.extractfile(member))
        stray = tarfile.TarInfo("media/originals/stray.jpg")
        stray.size = 3
        target.addfile(stray, io.BytesIO(b"abc"))
    wipe_site()
    summary = backups.site_restore(source=tampered)
    assert summary.missing == [thumbnails[0].name.removeprefix("media/")]
    assert summary.orphans == ["originals/stray.jpg"]
    assert not (Path(settings.MEDIA_ROOT) / "originals/stray.jpg").exists()
