"""The ranker: selective terms restrict (all of them), negated ones remove, open ones score what is left."""

from datetime import date

import pytest

from gallery import services
from search import query
from search.signals import SIGNALS, STRONG, Answer, Reading
from search.signals.parse import parse
from tests.search.conftest import names

pytestmark = pytest.mark.django_db


def test_a_selective_term_keeps_only_the_photos_that_satisfy_it(user, gallery):
    services.tag_add(photo=gallery["coffee"], name="xmas2024")
    services.tag_add(photo=gallery["rocket"], name="xmas2024")
    assert names(query.by_text(owner=user, q="cup xmas2024", k=4)) == ["coffee", "rocket"]


def test_an_open_term_after_selective_terms_that_score_alike_keeps_its_own_top_k(user, gallery):
    """Ensure asking the open signal for only its top k (the selective scores being all the same) gives the first
    k of the ranking of every photo the selective terms left."""
    for name in ("coffee", "rocket", "chelsea"):
        services.tag_add(photo=gallery[name], name="xmas2024")
    everything = names(query.by_text(owner=user, q="cup xmas2024", k=4))
    assert len(everything) == 3
    assert [names(query.by_text(owner=user, q="cup xmas2024", k=k)) for k in (1, 2)] == [everything[:1], everything[:2]]


def test_a_negated_selective_term_removes_its_photos(user, gallery):
    services.tag_add(photo=gallery["chelsea"], name="xmas2024")
    assert "chelsea" not in names(query.by_text(owner=user, q="cat -xmas2024", k=4))


def test_selective_terms_together_mean_all_of_them(user, gallery):
    services.tag_add(photo=gallery["coffee"], name="xmas2024")
    services.tag_add(photo=gallery["rocket"], name="xmas2024")
    services.tag_add(photo=gallery["rocket"], name="florida2024")
    assert names(query.by_text(owner=user, q="xmas2024 florida2024", k=4)) == ["rocket"]


def test_a_query_of_selective_terms_only_lists_their_photos_as_strong(user, gallery):
    services.tag_add(photo=gallery["coffee"], name="xmas2024")
    hits = query.by_text(owner=user, q="xmas2024", k=4)
    assert [(name, hit.match) for name, hit in zip(names(hits), hits)] == [("coffee", STRONG)]


def test_a_trashed_photo_never_answers_a_selective_term(user, gallery):
    services.tag_add(photo=gallery["coffee"], name="xmas2024")
    services.photos_trash(owner=user, photo_ids=[gallery["coffee"].id])
    assert query.by_text(owner=user, q="xmas2024", k=4) == []


def test_one_open_term_alone_keeps_its_own_order_and_scale(user, gallery):
    hits = query.by_text(owner=user, q="cat", k=4)
    assert names(hits)[0] == "chelsea"
    assert hits == sorted(hits, key=lambda h: -h.score)


class Written:
    """A stand-in alternative signal: the word "cup" is written on one photo."""

    name, kind, selective, alternative = "written", "text", True, True

    def __init__(self, photo_id: int):
        self.photo_id = photo_id

    def read(self, *, owner, tokens):
        return Reading(length=1, value=tokens[0]) if tokens[0] == "cup" else None

    def answer(self, *, owner, terms, within, k):
        return Answer(scores={self.photo_id: 1.0})


@pytest.fixture
def written_on_rocket(gallery):
    signal = Written(gallery["rocket"].id)
    SIGNALS.append(signal)
    yield signal
    SIGNALS.remove(signal)


def test_an_alternative_reading_widens_the_term_instead_of_replacing_it(user, gallery, written_on_rocket):
    parsed = parse(owner=user, q="cup")
    assert [(t.kind, [a.kind for a in t.also]) for t in parsed.terms] == [("thing", ["text"])]
    found = names(query.by_text(owner=user, q="cup", k=2))
    assert sorted(found) == ["coffee", "rocket"]


def test_a_word_only_an_alternative_signal_reads_is_its_term(user, gallery, written_on_rocket):
    written_on_rocket.read = lambda *, owner, tokens: Reading(1, tokens[0]) if tokens[0] == "zzwritten" else None
    assert names(query.by_text(owner=user, q="zzwritten", k=4)) == ["rocket"]


def test_a_lazy_answer_is_a_condition_of_the_search(user, gallery, monkeypatch):
    from gallery.models import Photo
    from search.signals import dates

    monkeypatch.setattr(dates, "LIST_MAX", 0)  # every period is answered as a condition
    Photo.objects.filter(id=gallery["coffee"].id).update(taken_at="2019-07-01T12:00:00Z")
    assert names(query.by_text(owner=user, q="cup 2019", k=4)) == ["coffee"]
    assert names(query.by_text(owner=user, q="2019", k=4)) == ["coffee"]
    assert "coffee" not in names(query.by_text(owner=user, q="cup -2019", k=4))


def test_a_lazy_answer_over_fetched_keeps_the_photos_the_exact_path_keeps_under_the_requests_filters(
    user, gallery, monkeypatch
):
    from gallery.models import Photo
    from search.signals import dates, rank

    monkeypatch.setattr(dates, "LIST_MAX", 0)
    Photo.objects.filter(id=gallery["coffee"].id).update(taken_at="2019-07-01T12:00:00Z")
    Photo.objects.filter(id=gallery["rocket"].id).update(taken_at="2019-03-01T12:00:00Z")
    filters = {"taken_after": date(2019, 6, 1)}
    exact = query.by_text(owner=user, q="cup 2019", k=4, filters=filters)
    monkeypatch.setattr(rank, "FILTER_EXACT_MAX", 0)  # over-fetched: the answer's own check of the candidates
    fetched = query.by_text(owner=user, q="cup 2019", k=4, filters=filters)
    assert names(fetched) == names(exact) == ["coffee"]
    assert sorted(names(query.by_text(owner=user, q="cup 2019", k=4))) == ["coffee", "rocket"]


def test_a_photo_dated_only_by_its_upload_is_a_weak_match_of_a_date_word(user, gallery):
    from gallery.models import Photo

    Photo.objects.filter(id=gallery["coffee"].id).update(taken_at="2019-07-01T12:00:00Z")
    this_year = str(Photo.objects.get(id=gallery["rocket"].id).uploaded_at.year)
    hits = query.by_text(owner=user, q=this_year, k=4)
    assert {hit.match for hit in hits} == {"weak"} and "coffee" not in names(hits)
    assert [hit.match for hit in query.by_text(owner=user, q="2019", k=4)] == ["strong"]


def test_a_lazy_answer_and_a_listed_one_keep_the_photos_in_both(user, gallery, monkeypatch):
    from gallery.models import Photo
    from search.signals import dates

    monkeypatch.setattr(dates, "LIST_MAX", 0)
    Photo.objects.filter(id__in=[gallery["coffee"].id, gallery["rocket"].id]).update(taken_at="2019-07-01T12:00:00Z")
    services.tag_add(photo=gallery["coffee"], name="xmas2024")
    services.tag_add(photo=gallery["chelsea"], name="xmas2024")
    assert names(query.by_text(owner=user, q="xmas2024 2019", k=4)) == ["coffee"]


FACTUAL = {  # a word each factual signal reads, and the fields that make the coffee photo satisfy it
    "2019": {"taken_at": "2019-07-01T12:00:00Z"},
    "red": {"colours": {"red": 0.9}, "monochrome": False},
    "rome": {"place_city": "Rome", "place_region": "Lazio", "place_country": "Italy", "place_country_code": "IT"},
}


@pytest.mark.parametrize("word", FACTUAL)
def test_a_photo_lacking_a_factual_terms_fact_is_never_above_weak(user, gallery, written_on_rocket, word):
    """The rocket has the word written on it (an alternative reading, scored 1.0) but lacks the date, the colour
    or the place: it is found, weak; the coffee photo, which has the fact, is strong."""
    from gallery.models import Photo

    Photo.objects.filter(id=gallery["coffee"].id).update(**FACTUAL[word])
    written_on_rocket.read = lambda *, owner, tokens: Reading(1, tokens[0]) if tokens[0] == word else None
    assert [t.kind for t in parse(owner=user, q=word).terms] != ["text"]  # the factual signal read it
    hits = query.by_text(owner=user, q=word, k=4)
    matches = {name: hit.match for name, hit in zip(names(hits), hits)}
    assert (matches["coffee"], matches["rocket"]) == (STRONG, "weak")


def test_the_signals_of_places_dates_colours_and_people_are_factual():
    from search.signals import by_name

    factual = {s.name for s in SIGNALS if getattr(s, "factual", False)}
    assert factual == {"dates", "colours", "places", "people"}
    assert not getattr(by_name("thing"), "factual", False)
