"""Written words through GET /api/search/text/, on photos processed by the pipeline (eager) and its text pass."""

import pytest
from django.core.files.base import ContentFile

from gallery import services as gallery_services
from gallery.models import Photo
from ocr import services
from ocr.models import PhotoText
from tests import images
from tests.ocr.images import text_photo
from tests.search.conftest import result_names

pytestmark = pytest.mark.django_db


@pytest.fixture
def shot(user, django_capture_on_commit_callbacks) -> dict[str, Photo]:
    """A sign with two words (taken in 2018), and photos without text, through upload → ready → text pass."""
    sign = text_photo(["harbour", "segmentation"], background="rocket")
    files = [
        ContentFile(images.with_exif("rocket", taken="2018:03:02 02:49:00", image=sign), name="sign.jpg"),
        ContentFile(images.jpeg("coffee"), name="coffee.jpg"),
        ContentFile(images.jpeg("chelsea"), name="chelsea.jpg"),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        result = gallery_services.photos_upload(owner=user, files=files)
    photos = {p.original_name.removesuffix(".jpg"): Photo.objects.get(id=p.id) for p in result.created}
    assert all(p.status == Photo.Status.READY for p in photos.values())
    assert PhotoText.objects.get(photo=photos["sign"]).read is True  # the pipeline queued the text pass
    return photos


def search(api, q: str):
    response = api.get("/api/search/text/", {"q": q})
    assert response.status_code == 200, response.json()
    return response


def test_a_word_written_in_a_photo_finds_it(api, shot):
    response = search(api, "segmentation")
    matches = {name: hit["match"] for name, hit in zip(result_names(response), response.json()["results"])}
    assert result_names(response)[0] == "sign"
    assert matches["sign"] == "strong" and "strong" not in {matches.get("coffee"), matches.get("chelsea")}


def test_a_misspelt_word_still_finds_it(api, shot):
    assert result_names(search(api, "harbor"))[0] == "sign"


def test_a_quoted_phrase_finds_the_words_in_order_only(api, shot):
    assert result_names(search(api, '"harbour segmentation"')) == ["sign"]
    assert "sign" not in result_names(search(api, '"segmentation harbour"'))


def test_a_written_word_combines_with_a_date(api, shot):
    assert result_names(search(api, "segmentation 2018")) == ["sign"]
    assert "sign" not in result_names(search(api, "segmentation 2019"))


def test_an_object_word_still_finds_the_photos_showing_it(api, shot):
    """Ensure reading written words takes nothing away from the model: a cup of coffee is still found."""
    assert result_names(search(api, "coffee"))[0] == "coffee"


def test_other_users_do_not_find_the_words(other_api, shot):
    response = other_api.get("/api/search/text/", {"q": '"harbour segmentation"'})
    assert response.status_code == 200 and response.json()["results"] == []


def test_after_opting_out_the_words_find_nothing(api, user, shot):
    services.text_settings_update(owner=user, enabled=False, languages=["eng"])
    response = search(api, "segmentation")
    # The image model still ranks every photo for an open word; none is a strong match any more.
    assert "strong" not in {hit["match"] for hit in response.json()["results"]}
    assert result_names(search(api, '"harbour segmentation"')) == []
