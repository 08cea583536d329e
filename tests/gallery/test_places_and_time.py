"""EXIF time and GPS: read on upload, filter the gallery, and never copied into a derived file."""

from datetime import UTC, date, datetime

import pytest
from django.core.files.base import ContentFile

from gallery import selectors, services
from gallery.models import Photo
from tests import images

pytestmark = pytest.mark.django_db

PARIS = (48.8566, 2.3522)
VERSAILLES = (48.8049, 2.1204)  # 18 km from Paris
SYDNEY = (-33.8688, 151.2093)


def stored(owner, content: bytes, name: str = "photo.jpg") -> Photo:
    return services.photo_create(owner=owner, file=ContentFile(content, name=name))


def test_exif_gps_is_read_into_coordinates(user):
    photo = stored(user, images.with_exif(gps=SYDNEY))
    assert photo.latitude == pytest.approx(SYDNEY[0], abs=1e-4)
    assert photo.longitude == pytest.approx(SYDNEY[1], abs=1e-4)


def test_photo_without_gps_has_no_coordinates(user):
    photo = stored(user, images.jpeg("coffee"))
    assert photo.latitude is None and photo.longitude is None


def test_zero_zero_gps_means_no_fix(user):
    photo = stored(user, images.with_exif(gps=(0.0, 0.0)))
    assert photo.latitude is None and photo.longitude is None


@pytest.mark.parametrize("taken", ["2999:01:01 00:00:00", "1801:06:01 12:00:00"])
def test_implausible_exif_date_falls_back_to_upload_time(user, taken):
    """Ensure a camera's garbage date (the far future, or before photography) neither dates the photo nor tops
    the timeline: it sorts by its upload time."""
    earlier = stored(user, images.with_exif("coffee", taken="2023:07:14 10:00:00"))
    photo = stored(user, images.with_exif("chelsea", taken=taken))
    photo.refresh_from_db()
    assert photo.taken_at is None
    assert photo.shot_at == photo.uploaded_at
    assert list(selectors.photo_list(owner=user, filters={"sort": "taken"}).values_list("id", flat=True)) == [
        photo.id,
        earlier.id,
    ]
    assert listed(user, year=int(taken[:4])) == set()


def test_old_but_plausible_exif_date_is_kept(user):
    photo = stored(user, images.with_exif("chelsea", taken="1890:05:01 09:30:00"))
    assert photo.taken_at == datetime(1890, 5, 1, 9, 30, tzinfo=UTC)


def test_every_derived_file_carries_no_exif(user, django_capture_on_commit_callbacks, settings):
    """Everything written besides the original itself: thumbnails and index files alike."""
    with django_capture_on_commit_callbacks(execute=True):
        result = services.photos_upload(
            owner=user,
            files=[
                ContentFile(images.with_exif(name, gps=PARIS, taken="2022:01:02 03:04:05"), name=f"{name}.jpg")
                for name in ("chelsea", "coffee")
            ],
        )
    originals = {Photo.objects.get(id=p.id).original.path for p in result.created}
    derived = [
        p
        for root in (settings.MEDIA_ROOT, settings.SEARCH_INDEX_DIR)
        if root.exists()
        for p in root.rglob("*")
        if p.is_file() and str(p) not in originals
    ]
    assert derived
    for path in derived:
        assert b"Exif\x00\x00" not in path.read_bytes(), path


def test_sharpness_is_stored_and_a_blurred_copy_is_less_sharp(user, django_capture_on_commit_callbacks):
    from PIL import ImageFilter

    blurred = images.encode(images.sample("astronaut").filter(ImageFilter.GaussianBlur(3)), "JPEG", quality=90)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.photos_upload(
            owner=user,
            files=[ContentFile(images.jpeg("astronaut"), name="sharp.jpg"), ContentFile(blurred, name="blurred.jpg")],
        )
    sharp, soft = (Photo.objects.get(id=p.id) for p in result.created)
    assert sharp.sharpness > soft.sharpness > 0


@pytest.fixture
def dated(user):
    return {
        "2021": stored(user, images.with_exif("chelsea", taken="2021:12:31 23:59:00", gps=PARIS)),
        "2023": stored(user, images.with_exif("coffee", taken="2023:07:14 10:00:00", gps=VERSAILLES)),
        "sydney": stored(user, images.with_exif("rocket", taken="2023:01:01 00:00:00", gps=SYDNEY)),
        "undated": stored(user, images.jpeg("astronaut")),  # falls back to the upload time (now)
    }


def listed(owner, **filters) -> set[int]:
    return set(selectors.photo_list(owner=owner, filters=filters).values_list("id", flat=True))


def test_year_filter_uses_taken_at(user, dated):
    assert listed(user, year=2023) == {dated["2023"].id, dated["sydney"].id}
    assert listed(user, year=2021) == {dated["2021"].id}


def test_undated_photo_falls_back_to_upload_time(user, dated):
    assert dated["undated"].id in listed(user, year=datetime.now(UTC).year)


def test_date_range_includes_both_days(user, dated):
    assert listed(user, taken_after=date(2021, 12, 31), taken_before=date(2023, 1, 1)) == {
        dated["2021"].id,
        dated["sydney"].id,
    }


def test_near_filter_is_great_circle_distance(user, dated):
    assert listed(user, near=(*PARIS, 5)) == {dated["2021"].id}
    assert listed(user, near=(*PARIS, 25)) == {dated["2021"].id, dated["2023"].id}
    assert listed(user, near=(*SYDNEY, 1)) == {dated["sydney"].id}


def test_filters_combine(user, dated):
    assert listed(user, near=(*PARIS, 25), year=2023) == {dated["2023"].id}


def test_other_users_photos_never_match_a_filter(other_user, dated):
    assert listed(other_user, year=2023) == set()
    assert listed(other_user, near=(*PARIS, 100)) == set()


def test_api_filters_and_coordinates(api, dated):
    response = api.get("/api/photos/", {"near": f"{PARIS[0]},{PARIS[1]},25", "year": 2023})
    assert response.status_code == 200
    [photo] = response.json()["results"]
    assert photo["id"] == dated["2023"].id
    assert photo["latitude"] == pytest.approx(VERSAILLES[0], abs=1e-4)


@pytest.mark.parametrize(
    "params, field",
    [
        ({"near": "48.8,2.3"}, "near"),
        ({"near": "91,2.3,10"}, "near"),
        ({"near": "48.8,2.3,0"}, "near"),
        ({"year": "twenty"}, "year"),
        ({"taken_after": "2023-13-01"}, "taken_after"),
        ({"taken_after": "2023-02-01", "taken_before": "2023-01-01"}, "taken_before"),
    ],
)
def test_api_bad_filter_is_a_precise_400(api, params, field):
    response = api.get("/api/photos/", params)
    assert response.status_code == 400
    assert field in response.json()


def test_sharpness_ignores_a_brightness_and_contrast_edit():
    from PIL import ImageEnhance

    from gallery.images import sharpness

    photo = images.sample("rocket")
    brighter = ImageEnhance.Contrast(ImageEnhance.Brightness(photo).enhance(1.25)).enhance(1.2)
    assert sharpness(brighter) <= sharpness(photo) * 1.05


def test_encoding_reads_exif_and_jpeg_quality_from_the_header():
    import io

    from gallery.images import encoding

    assert encoding(io.BytesIO(images.with_exif("rocket", taken="2020:01:01 00:00:00", quality=95))).has_exif
    assert encoding(io.BytesIO(images.jpeg("rocket"))).has_exif is False
    assert [encoding(io.BytesIO(images.jpeg("rocket", quality=q))).quality for q in (95, 70, 30)] == [95, 70, 30]
    assert encoding(io.BytesIO(images.encode(images.sample("rocket"), "PNG"))).quality == 100
