"""The place signal: reading place names of the owner's photos (aliases, accents, several words) and answering."""

import pytest
import redis
from django.core.files.base import ContentFile

from gallery import services
from search.signals import by_name
from search.signals.base import Candidates, Term
from tests import images

pytestmark = pytest.mark.django_db

signal = by_name("places")

LEUVEN = dict(
    place_city="Leuven",
    place_region="Flanders",
    place_county="Provincie Vlaams-Brabant",
    place_country="Belgium",
    place_country_code="BE",
)
NEW_YORK = dict(
    place_city="New York City", place_region="New York", place_country="United States", place_country_code="US"
)
SAO_PAULO = dict(place_city="São Paulo", place_region="São Paulo", place_country="Brazil", place_country_code="BR")


@pytest.fixture
def taken(user, photo_with):
    return {
        "leuven": photo_with(user, **LEUVEN),
        "new_york": photo_with(user, **NEW_YORK),
        "sao_paulo": photo_with(user, **SAO_PAULO),
        "nowhere": photo_with(user),
    }


def read(owner, text):
    return signal.read(owner=owner, tokens=text.split())


def answer(owner, *texts, within=None):
    terms = []
    for text in texts:
        reading = read(owner, text)
        terms.append(Term(text=text, signal=signal.name, kind=signal.kind, value=reading.value, shown=reading.shown))
    return signal.answer(owner=owner, terms=terms, within=within or Candidates(), k=10).scores


def test_a_city_of_the_owners_photos_reads_as_a_place(user, taken):
    reading = read(user, "leuven cats")
    assert reading.length == 1 and reading.shown == "Leuven, Belgium"


def test_the_longest_name_is_read(user, taken):
    assert read(user, "new york city at night").length == 3
    assert read(user, "new york").length == 2


def test_aliases_and_accent_free_spellings_read(user, taken):
    assert read(user, "usa").shown == "United States"
    assert read(user, "united states of america").length == 4
    assert read(user, "sao paulo").shown == "São Paulo, Brazil"
    assert read(user, "vlaams-brabant").shown == "Provincie Vlaams-Brabant, Belgium"
    assert read(user, "flanders").shown == "Flanders, Belgium"


def test_a_place_where_the_owner_never_was_is_not_read(user, other_user, taken, photo_with):
    photo_with(other_user, place_city="Rome", place_country="Italy", place_country_code="IT")
    assert read(user, "rome") is None and read(user, "cat") is None


def test_a_quoted_word_is_not_a_place(user, taken):
    assert read(user, '"leuven"') is None


def test_answer_keeps_only_the_photos_taken_there(user, taken):
    assert answer(user, "belgium") == {taken["leuven"].id: 1.0}
    assert answer(user, "usa") == {taken["new_york"].id: 1.0}


def test_new_york_means_the_city_or_the_state(user, taken, photo_with):
    albany = photo_with(
        user, place_city="Albany", place_region="New York", place_country="United States", place_country_code="US"
    )
    assert set(answer(user, "new york")) == {taken["new_york"].id, albany.id}
    assert set(answer(user, "new york city")) == {taken["new_york"].id}


def test_several_place_terms_mean_all_of_them(user, taken):
    assert set(answer(user, "leuven", "belgium")) == {taken["leuven"].id}
    assert answer(user, "leuven", "brazil") == {}


def test_trashed_photos_are_not_answered(user, taken):
    services.photos_trash(owner=user, photo_ids=[taken["leuven"].id])
    assert answer(user, "brazil") == {taken["sao_paulo"].id: 1.0}
    assert read(user, "leuven") is None  # its only photo there is in the trash


def test_within_restricts_the_answer(user, taken):
    assert answer(user, "brazil", within=Candidates(ids={taken["leuven"].id})) == {}


def test_a_new_place_reads_as_soon_as_a_photo_there_is_described(user, taken, django_capture_on_commit_callbacks):
    """Ensure the process's kept place names are renewed when ingest stores a new place."""
    assert read(user, "sydney") is None  # the owner's names are now kept
    with django_capture_on_commit_callbacks(execute=True):
        services.photos_upload(
            owner=user, files=[ContentFile(images.with_exif("rocket", gps=(-33.8568, 151.2153)), name="r.jpg")]
        )
    assert read(user, "sydney").shown == "Sydney, Australia"


def test_place_names_are_read_from_the_database_once_per_change(user, taken, django_assert_num_queries):
    read(user, "leuven")
    with django_assert_num_queries(0):
        assert read(user, "leuven").shown == "Leuven, Belgium" and read(user, "cat") is None


def test_without_redis_place_names_are_read_from_the_database_each_time(user, taken, monkeypatch):
    """Ensure text search keeps working while Redis is down: nothing is kept, nothing goes stale."""

    def down():
        raise redis.ConnectionError("down")

    monkeypatch.setattr("search.describe.redis_client", down)
    assert read(user, "leuven").shown == "Leuven, Belgium"
    services.photos_trash(owner=user, photo_ids=[taken["leuven"].id])
    assert read(user, "leuven") is None
