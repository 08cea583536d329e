"""Time and place filters on every search type, "beach 2023" queries, and "more like these" (Rocchio)."""

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from gallery import services
from gallery.models import Photo
from gallery.selectors import photos_filtered
from search import query
from search.signals import vectors
from tests import images
from tests.search.conftest import names, result_names

pytestmark = pytest.mark.django_db

PARIS = (48.8566, 2.3522)
SYDNEY = (-33.8688, 151.2093)
NEAR_PARIS = f"{PARIS[0]},{PARIS[1]},50"

SHOTS = {  # name: (EXIF date, GPS)
    "chelsea": ("2021:06:01 12:00:00", PARIS),
    "coffee": ("2023:03:01 08:00:00", PARIS),
    "astronaut": ("2023:09:09 09:09:09", SYDNEY),
    "rocket": ("2019:05:05 05:05:05", None),
}


@pytest.fixture
def shot(user, django_capture_on_commit_callbacks) -> dict[str, Photo]:
    """Four real photos with EXIF dates and places, processed (embedded, tagged) as the worker would."""
    files = [
        ContentFile(images.with_exif(name, taken=taken, gps=gps), name=f"{name}.jpg")
        for name, (taken, gps) in SHOTS.items()
    ]
    with django_capture_on_commit_callbacks(execute=True):
        result = services.photos_upload(owner=user, files=files)
    photos = {p.original_name.removesuffix(".jpg"): Photo.objects.get(id=p.id) for p in result.created}
    assert all(p.status == Photo.Status.READY for p in photos.values())
    return photos


def test_text_search_with_year_filter(user, shot):
    assert set(names(query.by_text(owner=user, q="cat", k=10, filters={"year": 2023}))) == {"coffee", "astronaut"}


def test_text_query_with_a_year_means_that_year(user, shot):
    assert set(names(query.by_text(owner=user, q="cat 2021", k=10))) == {"chelsea"}
    assert set(names(query.by_text(owner=user, q="cup 2023", k=10))) == {"coffee", "astronaut"}


def test_text_query_with_two_years_means_both_so_nothing(user, shot):
    assert query.by_text(owner=user, q="cat 2021 2023", k=10) == []


def test_similar_photo_with_place_filter(user, shot):
    hits = query.similar_to_photo(owner=user, photo_id=shot["rocket"].id, k=10, filters={"near": (*PARIS, 50)})
    assert set(names(hits)) == {"chelsea", "coffee"}


def test_class_search_with_date_range(user, shot):
    from datetime import date

    hits = query.by_class(
        owner=user,
        class_value="tabby cat",
        k=10,
        filters={"taken_after": date(2020, 1, 1), "taken_before": date(2022, 12, 31)},
    )
    assert names(hits) == ["chelsea"]


def test_filter_that_matches_nothing_returns_nothing(user, shot):
    assert query.by_class(owner=user, class_value="tabby cat", k=10, filters={"year": 1999}) == []


def test_over_fetch_path_gives_the_same_answer_as_the_exact_path(user, shot, monkeypatch):
    filters = {"near": (*PARIS, 50)}
    exact = query.similar_to_photo(owner=user, photo_id=shot["rocket"].id, k=10, filters=filters)
    monkeypatch.setattr(vectors, "FILTER_EXACT_MAX", 0)
    fetched = query.similar_to_photo(owner=user, photo_id=shot["rocket"].id, k=10, filters=filters)
    assert [(h.photo.id, round(h.score, 5)) for h in fetched] == [(h.photo.id, round(h.score, 5)) for h in exact]


@pytest.mark.parametrize(
    ("read", "knobs"),
    [("ids", {}), ("__len__", {"SHARE_SAMPLE": 2})],
    ids=["without-listing-every-allowed-photo", "sized-from-a-sample-without-counting-them"],
)
def test_over_fetch_path_checks_candidates_without_reading_every_allowed_photo(user, shot, monkeypatch, read, knobs):
    """Ensure the over-fetch path neither lists the allowed photos' ids nor counts them (it sizes its over-fetch
    from a sample), and finds what the exact path finds."""
    filters = {"near": (*PARIS, 50)}
    exact = query.similar_to_photo(owner=user, photo_id=shot["rocket"].id, k=10, filters=filters)
    monkeypatch.setattr(vectors, "FILTER_EXACT_MAX", 0)
    for name, value in knobs.items():
        monkeypatch.setattr(vectors, name, value)

    def forbidden(self):
        raise AssertionError(f"Allowed.{read} was read")

    monkeypatch.setattr(vectors.Allowed, read, forbidden)
    fetched = query.similar_to_photo(owner=user, photo_id=shot["rocket"].id, k=10, filters=filters)
    assert [h.photo.id for h in fetched] == [h.photo.id for h in exact]


def test_candidates_are_checked_against_the_filter_in_chunks(user, shot, monkeypatch):
    monkeypatch.setattr(vectors, "IN_QUERY_MAX", 1)
    allowed = vectors.filtered(owner=user, filters={"near": (*PARIS, 50)})
    candidates = [photo.id for photo in shot.values()]
    expected = set(photos_filtered(owner=user, filters={"near": (*PARIS, 50)}).values_list("id", flat=True))
    assert allowed.among(candidates) == expected & set(candidates)


def test_a_filter_known_to_keep_more_photos_than_the_exact_path_takes_is_not_listed_to_learn_it(
    user, shot, django_assert_num_queries
):
    allowed = vectors.Allowed(photos_filtered(owner=user, filters={}), few=2, more_than=2)
    with django_assert_num_queries(0):
        assert not allowed.few()


def test_the_over_fetch_share_is_at_most_one_when_the_index_holds_fewer_photos_than_pass(user, shot):
    allowed = vectors.Allowed(photos_filtered(owner=user, filters={}), few=2, more_than=3)
    assert not allowed.few()
    assert allowed.share(np.array([shot["rocket"].id])) == 1.0


def test_a_filter_with_its_own_check_of_ids_asks_it_in_chunks_instead_of_the_database(user, shot, monkeypatch):
    monkeypatch.setattr(vectors, "IN_QUERY_MAX", 1)
    asked = []
    allowed = vectors.Allowed(Photo.objects.none(), few=0, among=lambda ids: asked.append(ids) or ids)
    assert allowed.among([shot["rocket"].id, shot["coffee"].id]) == {shot["rocket"].id, shot["coffee"].id}
    assert sorted(map(sorted, asked)) == sorted([[shot["rocket"].id], [shot["coffee"].id]])


def test_over_fetched_candidates_are_checked_best_first_until_k_pass():
    asked = []

    class EvenIds:
        def among(self, ids):
            asked.append(list(ids))
            return {i for i in asked[-1] if i % 2 == 0}

    ranked = [(i, 1 - i / 100) for i in range(40)]
    assert vectors._passing(ranked, EvenIds(), k=3, step=4) == [(0, 1.0), (2, 0.98), (4, 0.96)]
    assert asked == [[0, 1, 2, 3], [4, 5, 6, 7]]


@pytest.mark.parametrize(
    "path, params",
    [
        ("/api/search/similar/", {"photo": "rocket"}),
        ("/api/search/class/", {"class": "tabby cat"}),
        ("/api/search/text/", {"q": "cat"}),
    ],
)
def test_every_get_search_takes_place_and_year_filters(api, shot, path, params):
    params = {key: shot[value].id if key == "photo" else value for key, value in params.items()}
    response = api.get(path, {**params, "near": NEAR_PARIS, "year": 2023, "k": 10})
    assert response.status_code == 200, response.content
    assert result_names(response) == ["coffee"]


def test_uploaded_image_search_takes_filters(api, shot):
    response = api.post(
        "/api/search/similar/",
        {"image": SimpleUploadedFile("q.jpg", images.jpeg("chelsea")), "taken_before": "2022-01-01", "k": 10},
    )
    assert response.status_code == 200, response.content
    assert set(result_names(response)) == {"chelsea", "rocket"}


def test_search_with_bad_near_is_400(api, shot):
    response = api.get("/api/search/text/", {"q": "cat", "near": "paris"})
    assert response.status_code == 400
    assert "near" in response.json()


# More like these --------------------------------------------------------------------------------------------


def test_more_like_these_excludes_the_examples(user, shot):
    hits = query.similar_to_photos(owner=user, photo_ids=[shot["chelsea"].id, shot["coffee"].id], k=10)
    assert set(names(hits)) == {"astronaut", "rocket"}


def test_more_like_these_minus_others_is_rocchio(user, shot):
    import numpy as np

    from search.models import PhotoEmbedding

    def unit(name):
        vector = PhotoEmbedding.objects.get(photo=shot[name]).as_array()
        return vector / np.linalg.norm(vector)

    hits = query.similar_to_photos(
        owner=user, photo_ids=[shot["astronaut"].id, shot["coffee"].id], not_photo_ids=[shot["rocket"].id], k=10
    )
    expected = (unit("astronaut") + unit("coffee")) / 2 - query.ROCCHIO_NEGATIVE_SHARE * unit("rocket")
    assert names(hits) == ["chelsea"]  # the examples and the counter-example are all left out
    assert hits[0].score == pytest.approx(float(unit("chelsea") @ expected / np.linalg.norm(expected)), abs=1e-4)


def test_more_like_these_api(api, shot):
    response = api.post(
        "/api/search/similar/",
        {"photos": [shot["chelsea"].id], "not_photos": [shot["rocket"].id], "k": 5},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert set(result_names(response)) == {"coffee", "astronaut"}


def test_more_like_these_api_with_filter(api, shot):
    response = api.post(
        "/api/search/similar/", {"photos": [shot["chelsea"].id], "year": 2023, "near": NEAR_PARIS}, format="json"
    )
    assert response.status_code == 200, response.content
    assert result_names(response) == ["coffee"]


def test_more_like_these_with_another_users_photo_is_404(api, other_user, shot):
    theirs = services.photo_create(owner=other_user, file=ContentFile(images.jpeg("camera"), name="c.jpg"))
    for body in ({"photos": [theirs.id]}, {"photos": [shot["chelsea"].id], "not_photos": [theirs.id]}):
        assert api.post("/api/search/similar/", body, format="json").status_code == 404


@pytest.mark.parametrize(
    "body, fragment",
    [
        ({"photos": []}, "photos"),
        ({"photos": "1,2"}, "photos"),
    ],
)
def test_more_like_these_bad_body_is_400(api, shot, body, fragment):
    response = api.post("/api/search/similar/", body, format="json")
    assert response.status_code == 400
    assert fragment in response.json()


def test_photo_both_example_and_counter_example_is_400(api, shot):
    chelsea = shot["chelsea"].id
    response = api.post("/api/search/similar/", {"photos": [chelsea], "not_photos": [chelsea]}, format="json")
    assert response.status_code == 400
    assert "both" in response.json()["detail"]
