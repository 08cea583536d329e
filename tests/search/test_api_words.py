"""Place, date and colour words through GET /api/search/text/, on real photos processed by the pipeline."""

import pytest
from django.core.files.base import ContentFile
from PIL import Image
from skimage import data as samples

from gallery import services
from gallery.models import Photo
from tests import images
from tests.search.conftest import result_names

pytestmark = pytest.mark.django_db

SHOTS = {  # name: (EXIF date, GPS, image or None for the sample of that name)
    "motorcycle": ("2022:06:10 18:00:00", (41.3809, 2.1734), "motorcycle"),  # Barcelona
    "chelsea": ("2019:12:25 16:00:00", (50.8798, 4.7005), None),  # Leuven
    "coffee": ("2019:05:03 09:30:00", (41.8986, 12.4768), None),  # Rome
    "astronaut": ("2021:07:20 11:00:00", (29.7604, -95.3698), None),  # Houston
    "rocket": ("2018:03:02 02:49:00", None, None),
    "camera": (None, None, None),
}


@pytest.fixture
def shot(user, django_capture_on_commit_callbacks) -> dict[str, Photo]:
    files = []
    for name, (taken, gps, image) in SHOTS.items():
        picture = Image.fromarray(samples.stereo_motorcycle()[0]) if image == "motorcycle" else None
        files.append(ContentFile(images.with_exif(name, taken=taken, gps=gps, image=picture), name=f"{name}.jpg"))
    with django_capture_on_commit_callbacks(execute=True):
        result = services.photos_upload(owner=user, files=files)
    photos = {p.original_name.removesuffix(".jpg"): Photo.objects.get(id=p.id) for p in result.created}
    assert all(p.status == Photo.Status.READY for p in photos.values())
    return photos


def search(api, q: str):
    response = api.get("/api/search/text/", {"q": q})
    assert response.status_code == 200, response.json()
    return response


def test_red_motorcycle_puts_the_motorcycle_first(api, shot):
    response = search(api, "red motorcycle")
    assert result_names(response)[0] == "motorcycle"
    assert [(t["word"], t["as"]) for t in response.json()["terms"]] == [("red", "colour"), ("motorcycle", "thing")]


def test_a_place_only_query_lists_the_photos_taken_there(api, shot):
    response = search(api, "rome")
    assert result_names(response) == ["coffee"]
    assert response.json()["terms"] == [{"word": "rome", "as": "place", "shown": "Rome, Italy", "negated": False}]


def test_a_country_alias_typed_without_accents_finds_the_place(api, shot):
    assert result_names(search(api, "usa")) == ["astronaut"]
    assert result_names(search(api, "texas")) == ["astronaut"]


def test_a_date_only_query_lists_that_years_photos(api, shot):
    response = search(api, "2019")
    assert set(result_names(response)) == {"chelsea", "coffee"}
    assert response.json()["terms"][0]["as"] == "date"


def test_a_month_and_year_query_lists_that_months_photos(api, shot):
    response = search(api, "december 2019")
    assert result_names(response) == ["chelsea"]
    assert response.json()["terms"][0]["as"] == "date"


def test_christmas_finds_the_photo_of_the_25th(api, shot):
    assert result_names(search(api, "christmas")) == ["chelsea"]


def test_black_and_white_finds_the_black_and_white_photo_first(api, shot):
    response = search(api, "black and white photo")
    assert result_names(response) == ["camera"]
    assert [t["as"] for t in response.json()["terms"]] == ["colour"]


def test_every_spelling_of_black_and_white_finds_the_black_and_white_photo_as_a_strong_match(api, shot):
    for q in ("b&w", "b/w", "black & white", "monochrome", "grayscale", "greyscale", "black-and-white photo"):
        results = search(api, q).json()["results"]
        assert [(r["photo"]["original_name"], r["match"]) for r in results] == [("camera.jpg", "strong")], q


def test_a_thing_in_a_place_keeps_only_photos_taken_there(api, shot):
    assert result_names(search(api, "coffee in rome")) == ["coffee"]
    assert set(result_names(search(api, "cat in rome"))) <= {"coffee"}  # the cat was in Leuven


def test_a_place_of_another_users_photos_is_not_read_as_a_place(other_api, shot):
    response = other_api.get("/api/search/text/", {"q": "houston"})
    assert all(term["as"] != "place" for term in response.json().get("terms", []))
    assert response.json().get("results", []) == []
