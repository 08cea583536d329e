import io

import pytest
from django.core.management import CommandError, call_command

from gallery.models import Photo
from tests import images

pytestmark = pytest.mark.django_db


def test_import_photos_reports_each_outcome(tmp_path, user, django_capture_on_commit_callbacks):
    folder = tmp_path / "holiday"
    (folder / "day1").mkdir(parents=True)
    (folder / "day1" / "cat.jpg").write_bytes(images.jpeg("chelsea"))
    (folder / "coffee.jpg").write_bytes(images.jpeg("coffee"))
    (folder / "copy-of-cat.jpg").write_bytes(images.jpeg("chelsea"))
    (folder / "notes.txt").write_text("not a photo")
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_photos", str(folder), user=user.username, stdout=out, stderr=io.StringIO())
    summary = out.getvalue()
    assert "Imported 2, duplicates 1, rejected 1." in summary
    assert "rejected: notes.txt: The file is not an image" in summary
    assert Photo.objects.filter(owner=user).count() == 2
    assert set(Photo.objects.values_list("status", flat=True)) == {"ready"}


def test_import_photos_unknown_user(tmp_path, db):
    with pytest.raises(CommandError, match="No user named"):
        call_command("import_photos", str(tmp_path), user="nobody")


def test_retry_failed_command(user, django_capture_on_commit_callbacks):
    from tests.factories import PhotoFactory

    photo = PhotoFactory(owner=user)
    Photo.objects.filter(id=photo.id).update(status=Photo.Status.FAILED, error="x", attempts=3)
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("retry_failed", stdout=out)
    assert "Queued 1 failed photo" in out.getvalue()
    photo.refresh_from_db()
    assert photo.status == Photo.Status.READY
