"""The text pass as a service: read, store, skip, re-read, purge, opt out, backfill."""

import pytest
from django.core.exceptions import ValidationError

from gallery import services as gallery_services
from ocr import selectors, services
from ocr.core import reader
from ocr.core.matching import close_words
from ocr.models import OwnerWord, PhotoText, PhotoWord, TextSettings
from tests.factories import PhotoFactory
from tests.images import jpeg
from tests.ocr.conftest import ready
from tests.ocr.images import text_jpeg

pytestmark = pytest.mark.django_db


def test_words_are_stored_with_confidence_box_and_content(text_photo):
    text = services.photo_text_read(photo_id=text_photo.id)
    assert text.read is True and text.engine == reader.engine_key() and text.languages == "eng"
    words = {w.folded: w for w in PhotoWord.objects.filter(photo=text_photo)}
    assert {"harbour", "segmentation"} <= set(words)
    word = words["segmentation"]
    assert word.owner_id == text_photo.owner_id
    assert 0.5 < word.confidence <= 1 and word.width > 4 * word.height
    assert 0.03 < word.size < 0.15  # 56-px letters on a photo 800 px high
    assert "segmentation" in text.content.lower()
    assert text.word_count == PhotoWord.objects.filter(photo=text_photo).count()


def test_gate_skips_a_photo_without_text(plain_photo):
    text = services.photo_text_read(photo_id=plain_photo.id)
    assert text.read is False and text.word_count == 0
    assert not PhotoWord.objects.filter(photo=plain_photo).exists()
    assert selectors.photo_text_part(plain_photo) is None  # not read: `text` is null in the API


def test_a_near_miss_whose_best_lines_hold_a_sure_word_is_read_in_full(user):
    """Faint, blurred words on gravel: the gate's chains fall short of TEXT_SCORE and the detector misses them,
    but a reading of the best lines finds a sure word, so the photo is read."""
    content = text_jpeg(
        ["kitchen", "meadow", "station"], background="gravel", size=32, contrast=0.7, blur=1.5, angle=-4
    )
    photo = ready(PhotoFactory(owner=user, content=content))
    verdict = services._gate(photo)
    assert verdict.read is False and verdict.near is True
    text = services.photo_text_read(photo_id=photo.id)
    assert text.read is True
    assert close_words("kitchen", PhotoWord.objects.filter(photo=photo).values_list("folded", flat=True))


def test_a_near_miss_of_a_texture_is_recorded_unread(user):
    photo = ready(PhotoFactory(owner=user, content=jpeg("grass")))
    assert services._gate(photo).near is True
    text = services.photo_text_read(photo_id=photo.id)
    assert text.read is False and text.word_count == 0
    assert not PhotoWord.objects.filter(photo=photo).exists()


def test_reading_twice_keeps_one_pass(text_photo):
    first = services.photo_text_read(photo_id=text_photo.id)
    count = PhotoWord.objects.filter(photo=text_photo).count()
    second = services.photo_text_read(photo_id=text_photo.id)
    assert second.pk == first.pk and PhotoText.objects.count() == 1
    assert PhotoWord.objects.filter(photo=text_photo).count() == count


def test_a_new_engine_key_makes_photos_due_again(text_photo, monkeypatch):
    services.photo_text_read(photo_id=text_photo.id)
    assert selectors.photos_text_missing() == []
    monkeypatch.setattr(reader, "SETTINGS_VERSION", reader.SETTINGS_VERSION + 1)
    assert selectors.photos_text_missing() == [text_photo.id]
    services.photo_text_read(photo_id=text_photo.id)
    assert PhotoText.objects.get(photo=text_photo).engine == reader.engine_key()
    assert selectors.photos_text_missing() == []


def test_other_languages_make_the_owners_photos_due_again(text_photo, user):
    services.photo_text_read(photo_id=text_photo.id)
    TextSettings.objects.create(owner=user, languages="eng+osd")  # as if another language were installed
    assert selectors.photos_text_missing() == [text_photo.id]


def test_photos_not_ready_are_not_read(user):
    photo = PhotoFactory(owner=user, content=text_jpeg(["harbour"], background="rocket"))  # pending
    assert services.photo_text_read(photo_id=photo.id) is None
    assert selectors.photos_text_missing() == []


def test_text_is_purged_with_the_photo(text_photo, user):
    services.photo_text_read(photo_id=text_photo.id)
    assert OwnerWord.objects.filter(owner=user, folded="segmentation").exists()
    gallery_services.photo_delete(photo=text_photo)
    assert not PhotoText.objects.exists() and not PhotoWord.objects.exists()
    services.text_backfill(budget_seconds=5)  # the vocabulary forgets the photo's words at the next run
    assert not OwnerWord.objects.exists()


def test_turning_reading_off_deletes_the_text_and_stops_reading(text_photo, user, other_user):
    other = ready(PhotoFactory(owner=other_user, content=text_jpeg(["harbour"], background="rocket")))
    services.photos_text_read(photo_ids=[text_photo.id, other.id])
    services.text_settings_update(owner=user, enabled=False, languages=["eng"])
    assert not PhotoText.objects.filter(owner=user).exists() and not PhotoWord.objects.filter(owner=user).exists()
    assert not OwnerWord.objects.filter(owner=user).exists()
    assert PhotoWord.objects.filter(owner=other_user).exists()  # the other user's text stays
    assert services.photo_text_read(photo_id=text_photo.id) is None
    assert selectors.photos_text_missing() == []  # the backfill leaves them alone too


def test_turning_reading_back_on_reads_again_in_the_background(text_photo, user, on_commit):
    services.text_settings_update(owner=user, enabled=False, languages=["eng"])
    with on_commit():  # queues the owner's backfill (eager here)
        services.text_settings_update(owner=user, enabled=True, languages=["eng"])
    assert PhotoText.objects.get(photo=text_photo).read is True


def test_languages_must_be_installed(user):
    with pytest.raises(ValidationError):
        services.text_settings_update(owner=user, enabled=True, languages=["klingon"])
    with pytest.raises(ValidationError):
        services.text_settings_update(owner=user, enabled=True, languages=[])
    assert not TextSettings.objects.exists()


def test_backfill_reads_every_due_photo(text_photo, plain_photo):
    assert services.text_backfill(budget_seconds=60) == 2
    assert set(PhotoText.objects.values_list("photo_id", "read")) == {(text_photo.id, True), (plain_photo.id, False)}
    assert services.text_backfill(budget_seconds=60) == 0


def test_a_photo_whose_file_is_gone_is_recorded_unread_not_retried_forever(text_photo):
    text_photo.original.storage.delete(text_photo.original.name)
    assert services.text_backfill(budget_seconds=60) == 1
    assert PhotoText.objects.get(photo=text_photo).read is False
    assert selectors.photos_text_missing() == []


def test_a_photo_deleted_while_it_is_read_leaves_nothing_behind(text_photo, monkeypatch):
    real_read = services._read

    def read_then_delete(photo, languages, verdict):
        words = real_read(photo, languages, verdict)
        gallery_services.photo_delete(photo=photo)
        return words

    monkeypatch.setattr(services, "_read", read_then_delete)
    assert services.photo_text_read(photo_id=text_photo.id) is None
    assert not PhotoText.objects.exists() and not PhotoWord.objects.exists()


def test_reading_turned_off_while_a_photo_is_read_stores_nothing(text_photo, user, monkeypatch):
    real_read = services._read

    def read_then_opt_out(photo, languages, verdict):
        words = real_read(photo, languages, verdict)
        services.text_settings_update(owner=user, enabled=False, languages=["eng"])
        return words

    monkeypatch.setattr(services, "_read", read_then_opt_out)
    assert services.photo_text_read(photo_id=text_photo.id) is None
    assert not PhotoText.objects.exists() and not PhotoWord.objects.exists()


def test_a_photo_the_reader_chokes_on_is_recorded_unread_and_the_batch_goes_on(text_photo, user, monkeypatch):
    other = ready(PhotoFactory(owner=user, content=text_jpeg(["harbour"], background="astronaut")))

    def choke(photo, languages, verdict):
        if photo.id == text_photo.id:
            raise RuntimeError("Tesseract failed")
        return real_read(photo, languages, verdict)

    real_read = services._read
    monkeypatch.setattr(services, "_read", choke)
    assert services.photos_text_read(photo_ids=[text_photo.id, other.id]) == 2
    assert PhotoText.objects.get(photo=text_photo).read is False
    assert PhotoText.objects.get(photo=other).read is True
    assert selectors.photos_text_missing() == []
