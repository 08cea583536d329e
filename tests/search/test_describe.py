"""Places in words and colours, read at ingest and in the background; the place filter, the Places API and page."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from skimage import data as samples

from gallery import services
from gallery.models import Photo
from search import describe, tasks
from tests import images
from tests.conftest import wait_for

pytestmark = pytest.mark.django_db

LEUVEN = (50.8798, 4.7005)
ROME = (41.8986, 12.4768)  # Piazza Navona: the nearest GeoNames point is Vatican City
SYDNEY = (-33.8568, 151.2153)


def upload(owner, capture, shots: dict) -> dict[str, Photo]:
    """Store and process photos as the worker would; shots: name → (GPS or None, image or None)."""
    files = [
        ContentFile(images.with_exif(name, gps=gps, image=image), name=f"{name}.jpg")
        for name, (gps, image) in shots.items()
    ]
    with capture(execute=True):
        result = services.photos_upload(owner=owner, files=files)
    return {p.original_name.removesuffix(".jpg"): Photo.objects.get(id=p.id) for p in result.created}


@pytest.fixture
def shot(user, django_capture_on_commit_callbacks):
    motorcycle = Image.fromarray(samples.stereo_motorcycle()[0])
    return upload(
        user,
        django_capture_on_commit_callbacks,
        {
            "chelsea": (LEUVEN, None),
            "coffee": (ROME, None),
            "astronaut": (SYDNEY, None),
            "camera": (None, None),
            "motorcycle": (LEUVEN, motorcycle),
        },
    )


def test_ingest_stores_the_city_a_person_would_name(shot):
    rome = shot["coffee"]
    assert (rome.place_city, rome.place_region, rome.place_country, rome.place_country_code) == (
        "Rome",
        "Lazio",
        "Italy",
        "IT",
    )
    assert shot["chelsea"].place_county == "Provincie Vlaams-Brabant"


def test_a_photo_without_gps_has_no_place_but_its_colours(shot):
    camera = shot["camera"]
    assert camera.place_country == "" and camera.monochrome is True and camera.colours
    assert camera.described_version == describe.DESCRIBE_VERSION and camera.status == Photo.Status.READY


def test_ingest_stores_colour_shares(shot):
    colours = shot["motorcycle"].colours
    assert colours["red"] >= 0.25 and 0.9 <= sum(colours.values()) <= 1.0
    assert shot["motorcycle"].monochrome is False


def test_a_describe_failure_leaves_the_photo_ready_for_the_backfill(
    user, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(image):
        raise RuntimeError("colour reading broke")

    monkeypatch.setattr(describe.colour_names, "colours", broken)
    photo = upload(user, django_capture_on_commit_callbacks, {"rocket": (LEUVEN, None)})["rocket"]
    assert photo.status == Photo.Status.READY and photo.described_version == 0 and photo.colours is None
    monkeypatch.undo()
    assert tasks.photos_describe_missing_task.delay().get() == 1
    photo.refresh_from_db()
    assert photo.place_city == "Leuven" and photo.colours and photo.described_version == describe.DESCRIBE_VERSION


def test_the_backfill_describes_photos_stored_before_from_their_thumbnails(shot):
    Photo.objects.update(
        place_city="",
        place_region="",
        place_county="",
        place_country="",
        place_country_code="",
        colours=None,
        monochrome=None,
        described_version=0,
    )
    assert describe.photos_describe_missing(limit=100) == len(shot)
    coffee = Photo.objects.get(id=shot["coffee"].id)
    assert coffee.place_city == "Rome" and coffee.colours and coffee.monochrome is False
    assert Photo.objects.get(id=shot["camera"].id).monochrome is True
    assert describe.photos_describe_missing(limit=100) == 0  # done: nothing left


def test_the_backfill_of_a_photo_whose_thumbnail_is_gone_keeps_its_place_and_moves_on(shot):
    chelsea = shot["chelsea"]
    chelsea.thumbnail.storage.delete(chelsea.thumbnail.name)
    Photo.objects.filter(id=chelsea.id).update(described_version=0, place_city="")
    assert describe.photos_describe_missing(limit=100) == 1
    chelsea.refresh_from_db()
    assert (
        chelsea.place_city == "Leuven"
        and chelsea.colours is None
        and chelsea.described_version == describe.DESCRIBE_VERSION
    )
    assert describe.photos_describe_missing(limit=100) == 0


def test_the_backfill_queues_itself_again_after_a_full_batch(shot, monkeypatch):
    monkeypatch.setattr(describe, "BACKFILL_BATCH", 2)
    Photo.objects.update(described_version=0)
    assert tasks.photos_describe_missing_task.delay().get() == 2  # then eagerly 2, then 1
    assert not Photo.objects.filter(described_version=0).exists()


def test_api_photo_shows_the_place_in_words(api, shot):
    assert api.get(f"/api/photos/{shot['chelsea'].id}/").json()["place"] == "Leuven, Belgium"
    assert api.get(f"/api/photos/{shot['camera'].id}/").json()["place"] is None


@pytest.mark.parametrize(
    ("place", "expected"),
    [
        ("leuven", {"chelsea", "motorcycle"}),
        ("Belgium", {"chelsea", "motorcycle"}),
        ("Leuven, Belgium", {"chelsea", "motorcycle"}),
        ("rome, belgium", set()),
        ("Lazio", {"coffee"}),
        ("New South Wales", {"astronaut"}),
        ("Atlantis", set()),
    ],
)
def test_api_photo_list_filters_by_place(api, shot, place, expected):
    response = api.get("/api/photos/", {"place": place})
    assert response.status_code == 200
    assert {p["original_name"].removesuffix(".jpg") for p in response.json()["results"]} == expected


def test_api_place_filter_longer_than_300_characters_is_a_400(api, shot):
    response = api.get("/api/photos/", {"place": "x" * 301})
    assert response.status_code == 400 and "place" in response.json()


def test_api_places_lists_the_owners_places_with_counts(api, shot):
    places = api.get("/api/places/").json()
    assert [(p["shown"], p["count"]) for p in places] == [
        ("Leuven, Belgium", 2),
        ("Sydney, Australia", 1),
        ("Rome, Italy", 1),
    ]
    assert places[0]["region"] == "Flanders" and places[0]["country_code"] == "BE"


def test_api_places_never_show_another_users_places(other_api, shot):
    assert other_api.get("/api/places/").json() == []
    assert other_api.get("/api/photos/", {"place": "Leuven"}).json()["results"] == []


def test_trashed_photos_leave_the_place_counts(api, user, shot):
    services.photos_trash(owner=user, photo_ids=[shot["coffee"].id])
    assert "Rome, Italy" not in {p["shown"] for p in api.get("/api/places/").json()}


def test_places_page_lists_places_and_links_to_their_photos(client, user, shot):
    client.force_login(user)
    page = client.get(reverse("gallery:places")).content.decode()
    assert "Leuven, Belgium" in page and "2 photos" in page and "?place=Leuven%2C%20Belgium" in page
    listed = client.get(reverse("gallery:home"), {"place": "Leuven, Belgium"}).content.decode()
    assert "chelsea.jpg" in listed and "coffee.jpg" not in listed
    assert 'data-place="Leuven, Belgium"' in listed  # the viewer shows it


def test_photo_page_shows_the_place_name(client, user, shot):
    client.force_login(user)
    page = client.get(reverse("gallery:photo", args=[shot["coffee"].id])).content.decode()
    assert "Rome, Italy" in page and "Vatican" not in page


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_reads_the_place_and_a_place_word_finds_it(celery_worker, api, user):
    """Ensure the describe step runs in a real worker process: the photo ends ready, its place shown in words,
    and the place's name (typed without accent or case) is a query term at once."""
    response = api.post("/api/photos/", {"files": [SimpleUploadedFile("eiffel.jpg", images.gps_jpeg("coffee"))]})
    assert response.status_code == 201
    photo_id = response.json()["created"][0]["id"]
    wait_for(lambda: Photo.objects.get(id=photo_id).status == Photo.Status.READY, timeout=120)
    assert api.get(f"/api/photos/{photo_id}/").json()["place"] == "Paris, France"
    body = api.get("/api/search/text/", {"q": "ile-de-france"}).json()
    assert [hit["photo"]["id"] for hit in body["results"]] == [photo_id]
    assert body["terms"][0]["as"] == "place"


def test_the_backfill_runs_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["photos-describe"]
    assert entry == {"task": "search.tasks.photos_describe_missing_task", "schedule": settings.PHOTO_DESCRIBE_SECONDS}
