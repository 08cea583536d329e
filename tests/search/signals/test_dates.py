"""The date signal: date words read into periods and answered from when photos were taken."""

from datetime import date, timedelta

import pytest

from gallery import services
from gallery.models import Photo
from search.signals import by_name
from search.signals import dates as dates_signal
from search.signals.base import Candidates, Term
from search.signals.dates import when_q

pytestmark = pytest.mark.django_db

signal = by_name("dates")
TODAY = date(2026, 1, 15)


@pytest.fixture
def taken(user, photo_with):
    return {
        "july_2019_leuven": photo_with(user, taken="2019-07-14T10:00:00", latitude=50.88, longitude=4.70),
        "july_2019_sydney": photo_with(user, taken="2019-07-14T10:00:00", latitude=-33.86, longitude=151.21),
        "christmas_2021": photo_with(user, taken="2021-12-25T18:00:00"),
        "jan_2020_sydney": photo_with(user, taken="2020-01-10T12:00:00", latitude=-33.86, longitude=151.21),
        "last_year": photo_with(user, taken="2025-03-03T09:00:00"),
    }


def answer(owner, *texts, within=None):
    terms = []
    for text in texts:
        reading = signal.read(owner=owner, tokens=text.split(), today=TODAY)
        terms.append(Term(text=text, signal=signal.name, kind=signal.kind, value=reading.value, shown=reading.shown))
    scores = signal.answer(owner=owner, terms=terms, within=within or Candidates(), k=10).listed()
    return scores


def ids(taken, *names):
    return {taken[name].id for name in names}


def test_read_consumes_the_whole_phrase(user):
    reading = signal.read(owner=user, tokens=["july", "2019", "beach"], today=TODAY)
    assert reading.length == 2 and reading.shown == "July 2019"


def test_a_quoted_token_ends_the_date(user):
    assert signal.read(owner=user, tokens=['"2019"'], today=TODAY) is None
    assert signal.read(owner=user, tokens=["july", '"2019"'], today=TODAY).length == 1


def test_a_bare_year_lists_that_years_photos(user, taken):
    assert answer(user, "2019") == dict.fromkeys(ids(taken, "july_2019_leuven", "july_2019_sydney"), 1.0)


def test_a_month_without_a_year(user, taken):
    assert set(answer(user, "december")) == ids(taken, "christmas_2021")
    assert set(answer(user, "july")) == ids(taken, "july_2019_leuven", "july_2019_sydney")


def test_summer_follows_each_photos_hemisphere(user, taken):
    assert set(answer(user, "summer 2019")) == ids(taken, "july_2019_leuven", "jan_2020_sydney")
    assert set(answer(user, "winter")) == ids(taken, "july_2019_sydney", "christmas_2021")


def test_christmas_and_relative_periods(user, taken):
    assert set(answer(user, "christmas")) == ids(taken, "christmas_2021")
    assert set(answer(user, "last year")) == ids(taken, "last_year")
    assert answer(user, "this month") == {}


def test_two_date_terms_mean_both(user, taken):
    assert set(answer(user, "2019", "summer")) == ids(taken, "july_2019_leuven")


def test_trashed_and_other_users_photos_are_not_answered(user, other_user, taken, photo_with):
    photo_with(other_user, taken="2019-07-01T00:00:00")
    services.photos_trash(owner=user, photo_ids=[taken["july_2019_sydney"].id])
    assert set(answer(user, "2019")) == ids(taken, "july_2019_leuven")


def test_within_restricts_the_answer(user, taken):
    within = Candidates(ids=ids(taken, "christmas_2021"))
    assert answer(user, "2019", within=within) == {}


def test_a_period_of_more_than_list_max_photos_is_a_condition_found_without_counting(user, taken, monkeypatch):
    from django.db.models import QuerySet

    from search.signals import dates

    monkeypatch.setattr(dates, "LIST_MAX", 1)

    def counted(self):
        raise AssertionError("the period's photos were counted")

    monkeypatch.setattr(QuerySet, "count", counted)
    terms = [
        Term(text="july", signal=signal.name, kind=signal.kind, value=signal.read(owner=user, tokens=["july"]).value)
    ]
    found = signal.answer(owner=user, terms=terms, within=Candidates(), k=10)
    assert found.scores == {} and set(found.photos.values_list("id", flat=True)) == ids(
        taken, "july_2019_leuven", "july_2019_sydney"
    )
    assert found.more_than == 1


@pytest.mark.parametrize("text", ["2019", "july", "summer", "winter 2019", "christmas", "14 july", "new year"])
def test_a_period_answered_as_a_condition_checks_ids_as_its_condition_does(
    user, other_user, photo_with, monkeypatch, text
):
    """Ensure the ids a lazy answer keeps by their stored day and latitude (Answer.among) are those its SQL
    condition keeps, in both hemispheres and late in a UTC day, without trashed or other users' photos."""
    from search.signals import dates

    monkeypatch.setattr(dates, "LIST_MAX", 0)
    day, photos = date(2018, 12, 20), []
    while day < date(2020, 3, 1):
        for latitude in (None, 51.0, -34.0):
            photos.append(photo_with(user, taken=f"{day.isoformat()}T23:30:00", latitude=latitude))
        day += timedelta(days=4 if day.month in (12, 1, 7) else 11)
    photos.append(photo_with(other_user, taken="2019-07-14T12:00:00"))
    photos.append(photo_with(other_user, taken="2019-12-25T12:00:00"))
    services.photos_trash(owner=user, photo_ids=[p.id for p in photos[:60:3]])
    reading = signal.read(owner=user, tokens=text.split(), today=TODAY)
    term = Term(text=text, signal=signal.name, kind=signal.kind, value=reading.value)
    found = signal.answer(owner=user, terms=[term], within=Candidates(), k=10)
    assert found.photos is not None and found.scores == {}
    kept = set(found.photos.values_list("id", flat=True))
    assert kept and found.among({p.id for p in photos}) == kept


@pytest.mark.parametrize(
    "text",
    [
        "2019",
        "july",
        "summer 2019",
        "winter",
        "summer",
        "christmas",
        "new year",
        "new year 2020",
        "14 july",
        "1 february",
        "last year",
        "2010s",
        "december",
    ],
)
def test_the_database_query_keeps_the_same_days_as_when_matches(user, photo_with, text):
    """Ensure when_q (the database's reading of a period) and When.matches agree, day by day, in both hemispheres."""
    day, photos = date(2018, 12, 20), []
    while day < date(2020, 3, 1):
        for latitude in (None, 51.0, -34.0):
            photos.append(photo_with(user, taken=f"{day.isoformat()}T12:00:00", latitude=latitude))
        day += timedelta(days=4 if day.month in (12, 1, 7) else 11)
    when = signal.read(owner=user, tokens=text.split(), today=TODAY).value
    expected = {p.id for p in photos if when.matches(p.taken_at.date(), latitude=p.latitude)}
    years = range(2018, 2021)
    found = Photo.objects.filter(owner=user).filter(when_q(when, years=years, owner_id=user.id))
    assert set(found.values_list("id", flat=True)) == expected


def test_a_recurring_period_in_several_unions_keeps_the_owners_photos_outside_the_trash(
    user, other_user, photo_with, monkeypatch
):
    """Ensure the ranges of a recurring period, split into several UNION ALLs, keep every Christmas photo of the
    owner outside the trash, from the first moment of 24 December, and nobody else's."""
    monkeypatch.setattr(dates_signal, "UNION_MAX", 2)
    kept = [photo_with(user, taken=f"{year}-12-25T12:00:00") for year in range(2015, 2021)]
    kept.append(photo_with(user, taken="2016-12-24T00:00:00"))
    photo_with(user, taken="2016-12-23T23:59:59")
    trashed = photo_with(user, taken="2019-12-24T12:00:00")
    services.photos_trash(owner=user, photo_ids=[trashed.id])
    photo_with(user, taken="2019-12-28T12:00:00")
    photo_with(other_user, taken="2019-12-25T12:00:00")
    when = signal.read(owner=user, tokens=["christmas"], today=TODAY).value
    found = Photo.objects.filter(when_q(when, years=range(2014, 2022), owner_id=user.id))
    assert set(found.values_list("id", flat=True)) == {photo.id for photo in kept}
