"""The colour signal: colour words and "black and white", answered from the colours read at ingest."""

import pytest

from search.signals import by_name
from search.signals.base import POSSIBLE, STRONG, WEAK, Candidates, Term, label

pytestmark = pytest.mark.django_db

signal = by_name("colours")


@pytest.fixture
def painted(user, photo_with):
    return {
        "red_bike": photo_with(user, colours={"grey": 0.4, "red": 0.33, "brown": 0.2}, monochrome=False),
        "red_wall": photo_with(user, colours={"red": 0.9}, monochrome=False),
        "hint_of_red": photo_with(user, colours={"blue": 0.8, "red": 0.1}, monochrome=False),
        "old_photo": photo_with(user, colours={"grey": 0.6, "black": 0.3, "white": 0.1}, monochrome=True),
        "not_read": photo_with(user),
    }


def read(owner, text):
    return signal.read(owner=owner, tokens=text.split())


def answer(owner, *texts, within=None):
    terms = [Term(text=t, signal=signal.name, kind=signal.kind, value=read(owner, t).value) for t in texts]
    return signal.answer(owner=owner, terms=terms, within=within or Candidates(), k=10).scores


@pytest.mark.parametrize(
    ("text", "length", "value"),
    [
        ("red motorcycle", 1, "red"),
        ("gray", 1, "grey"),
        ("black and white photo", 3, "black and white"),
        ("black & white", 3, "black and white"),
        ("monochrome", 1, "black and white"),
        ("grayscale", 1, "black and white"),
        ("b&w", 1, "black and white"),
        ("b/w", 1, "black and white"),
        ("greyscale", 1, "black and white"),
        ("black-and-white", 1, "black and white"),
        ("black cat", 1, "black"),
    ],
)
def test_colour_words_read(user, text, length, value):
    reading = read(user, text)
    assert (reading.length, reading.value) == (length, value)


def test_other_words_are_not_colours(user):
    assert read(user, "motorcycle") is None and read(user, "and white") is None


def test_every_photo_showing_the_colour_is_found_more_of_it_first(user, painted):
    scores = answer(user, "red")
    assert sorted(scores, key=scores.get, reverse=True) == [
        painted["red_wall"].id,
        painted["red_bike"].id,
        painted["hint_of_red"].id,
    ]


def test_only_a_colour_filling_much_of_the_photo_is_a_possible_or_strong_match(user, painted, photo_with):
    half_red = photo_with(user, colours={"red": 0.5, "grey": 0.5}, monochrome=False)
    labels = {photo_id: label(score) for photo_id, score in answer(user, "red").items()}
    assert labels == {
        painted["red_wall"].id: STRONG,
        half_red.id: POSSIBLE,
        painted["red_bike"].id: WEAK,  # a third of it: present, not the photo's colour
        painted["hint_of_red"].id: WEAK,
    }


def test_black_and_white_finds_monochrome_photos_only(user, painted):
    assert answer(user, "black and white") == {painted["old_photo"].id: 1.0}
    assert answer(user, "grayscale") == {painted["old_photo"].id: 1.0}


def test_two_colours_mean_both(user, painted):
    assert set(answer(user, "red", "blue")) == {painted["hint_of_red"].id}


def test_other_users_photos_are_not_answered(user, other_user, painted, photo_with):
    photo_with(other_user, colours={"red": 1.0}, monochrome=False)
    assert len(answer(user, "red")) == 3


def test_within_restricts_the_answer(user, painted):
    assert set(answer(user, "red", within=Candidates(ids={painted["red_wall"].id}))) == {painted["red_wall"].id}
