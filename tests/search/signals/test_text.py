"""The written-text signal: read() decides which query words are written text, answer() finds the photos."""

import pytest
from django.utils import timezone

from gallery.models import Photo
from ocr.core.matching import fold
from ocr.models import PhotoText, PhotoWord
from search.signals import SIGNALS, Candidates, Term, by_name
from search.signals.text import WrittenText
from tests.factories import PhotoFactory
from tests.images import encode, sample

pytestmark = pytest.mark.django_db

signal = WrittenText()
_distinct = iter(range(1, 10_000))  # each photo's bytes differ: a gallery holds one copy of a file


def _photo(owner, words: list[str], *, sizes: list[float] | None = None, name: str = "chelsea"):
    """A ready photo with these words read in it (stored as the text pass stores them)."""
    image = sample(name)
    image.putpixel((0, 0), (next(_distinct) % 256, 0, 0))
    photo = PhotoFactory(owner=owner, content=encode(image, "PNG"))
    Photo.objects.filter(id=photo.id).update(status=Photo.Status.READY)
    PhotoText.objects.create(
        photo=photo, owner=owner, read=True, content=" ".join(words), engine="e", languages="eng",
        word_count=len(words),
    )  # fmt: skip
    PhotoWord.objects.bulk_create(
        PhotoWord(
            photo=photo,
            owner=owner,
            position=i,
            word=w,
            folded=fold(w),
            length=len(fold(w)),
            confidence=0.9,
            x=10 * i,
            y=10,
            width=40,
            height=12,
            size=(sizes or [0.02] * len(words))[i],
        )
        for i, w in enumerate(words)
    )
    return photo


def _answer(owner, token: str, within=None) -> dict[int, float]:
    reading = signal.read(owner=owner, tokens=[token])
    assert reading is not None, token
    term = Term(text=token, signal=signal.name, kind=signal.kind, value=reading.value)
    candidates = Candidates() if within is None else Candidates(ids=set(within))
    return signal.answer(owner=owner, terms=[term], within=candidates, k=10).scores


def test_registered_as_a_selective_alternative_signal():
    """Ensure a written word widens the model's reading of it rather than replacing it."""
    text = by_name("text")
    assert text in SIGNALS and text.selective is True and text.alternative is True


def test_a_word_written_in_a_photo_is_read_and_found_with_case_and_accents_folded(user):
    photo = _photo(user, ["Café", "Students"])
    assert _answer(user, "cafe") == {photo.id: pytest.approx(_answer(user, "students")[photo.id])}
    assert _answer(user, "cafe")[photo.id] >= 0.8  # an exact, clearly read word: strong


def test_a_known_ocr_error_still_matches(user):
    """Ensure "determine" finds the scikit-image page Tesseract read as "letermine", below an exact match."""
    misread = _photo(user, ["letermine", "markers"])
    exact = _photo(user, ["determine"])
    scores = _answer(user, "determine")
    assert set(scores) == {misread.id, exact.id}
    assert scores[exact.id] > scores[misread.id] > 0.5


def test_an_ordinary_word_no_photo_holds_is_left_to_the_image_model(user):
    _photo(user, ["harbour"])
    assert signal.read(owner=user, tokens=["cat"]) is None
    assert signal.read(owner=user, tokens=["x"]) is None


def test_a_quoted_phrase_matches_its_words_in_order(user):
    in_order = _photo(user, ["boarding", "gate", "12", "tokyo"])
    reversed_ = _photo(user, ["12", "gate"])
    reading = signal.read(owner=user, tokens=['"gate 12"'])
    assert reading.value == ("phrase", ("gate", "12"))
    assert set(_answer(user, '"gate 12"')) == {in_order.id}
    assert reversed_.id not in _answer(user, '"gate 12"')


def test_a_word_written_large_or_often_ranks_first(user):
    small = _photo(user, ["sale"], sizes=[0.01])
    large = _photo(user, ["sale"], sizes=[0.2])
    often = _photo(user, ["sale"] * 12, sizes=[0.01] * 12)
    scores = _answer(user, "sale")
    assert scores[large.id] > scores[small.id] and scores[often.id] > scores[small.id]


def test_text_words_find_photos_with_a_lot_of_text(user):
    page = _photo(user, [f"word{i}" for i in range(80)])
    _photo(user, ["exit"])
    for token in ("text", "document", "screenshot", "receipt", "note", "receipts"):
        assert set(_answer(user, token)) == {page.id}, token


def test_terms_of_this_signal_combine_as_all_of_them(user):
    both = _photo(user, ["harbour", "tokyo"])
    _photo(user, ["harbour"])
    terms = [
        Term(text=t, signal="text", kind="text", value=signal.read(owner=user, tokens=[t]).value)
        for t in ("harbour", "tokyo")
    ]
    assert set(signal.answer(owner=user, terms=terms, within=Candidates(), k=10).scores) == {both.id}


def test_within_restricts_the_candidates(user):
    first, second = _photo(user, ["harbour"]), _photo(user, ["harbour"])
    assert set(_answer(user, "harbour", within=[second.id])) == {second.id}
    assert first.id in _answer(user, "harbour")


def test_other_users_words_are_neither_read_nor_found(user, other_user):
    theirs = _photo(other_user, ["harbour"])
    assert signal.read(owner=user, tokens=["harbour"]) is None
    term = Term(text="harbour", signal="text", kind="text", value=("word", "harbour"))
    assert signal.answer(owner=user, terms=[term], within=Candidates(), k=10).scores == {}
    assert signal.answer(owner=user, terms=[term], within=Candidates(ids={theirs.id}), k=10).scores == {}


def test_trashed_photos_are_not_found(user):
    photo = _photo(user, ["harbour", "tokyo"])
    keep = _photo(user, ["harbour"])
    Photo.objects.filter(id=photo.id).update(trashed_at=timezone.now())
    assert set(_answer(user, "harbour")) == {keep.id}
