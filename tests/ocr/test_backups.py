"""The text read from photos is part of a backup, and comes back with a restore."""

import pytest
from django.core.management import call_command

from ocr import services
from ocr.models import PhotoText, PhotoWord
from tests.search.test_backups import wipe_site

pytestmark = pytest.mark.django_db(transaction=True)


def test_restore_gives_back_the_text_and_its_words(text_photo, tmp_path):
    services.photo_text_read(photo_id=text_photo.id)
    before = (
        list(PhotoText.objects.values_list("photo_id", "owner_id", "read", "content", "engine", "word_count")),
        list(PhotoWord.objects.order_by("photo", "position").values_list("photo_id", "word", "x", "y", "confidence")),
    )
    archive = tmp_path / "site.tar"
    call_command("backup", str(archive))
    wipe_site()
    assert not PhotoText.objects.exists()
    call_command("restore", str(archive))
    after = (
        list(PhotoText.objects.values_list("photo_id", "owner_id", "read", "content", "engine", "word_count")),
        list(PhotoWord.objects.order_by("photo", "position").values_list("photo_id", "word", "x", "y", "confidence")),
    )
    assert after == before and before[1]
