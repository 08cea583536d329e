"""The text pass in a real worker, chained by the pipeline after `ready`."""

import pytest

from gallery.models import Photo
from ocr.models import PhotoText
from search.signals import Candidates, Term
from search.signals.text import WrittenText
from tests.conftest import wait_for
from tests.images import jpeg
from tests.ocr.images import text_jpeg
from tests.search.test_pipeline import upload, wait_ready


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_reads_a_rendered_word_and_a_search_by_it_finds_the_photo(celery_worker, api, user):
    ids = upload(
        api, {"sign.jpg": text_jpeg(["harbour", "segmentation"], background="rocket"), "cup.jpg": jpeg("coffee")}
    )
    wait_ready(ids)
    sign = Photo.objects.get(id__in=ids, original_name="sign.jpg")
    cup = Photo.objects.get(id__in=ids, original_name="cup.jpg")
    # Queued by the pipeline once the photos were ready: read (the sign) or skipped by the gate (the cup).
    texts = wait_for(lambda: PhotoText.objects.filter(photo_id__in=ids).count() == 2, timeout=120)
    assert texts
    assert PhotoText.objects.get(photo=sign).read is True
    assert PhotoText.objects.get(photo=cup).read is False

    signal = WrittenText()
    reading = signal.read(owner=user, tokens=["segmentation"])
    assert reading is not None
    term = Term(text="segmentation", signal=signal.name, kind=signal.kind, value=reading.value)
    assert list(signal.answer(owner=user, terms=[term], within=Candidates(), k=5).scores) == [sign.id]
    assert api.get(f"/api/photos/{cup.id}/").json()["text"] is None
