"""Colour words as query terms: "red", "grey"/"gray", and "black and white" (or "monochrome", "grayscale", "b&w")
for black-and-white photos. The colours were read from the pixels at ingest (search/ml/colours.py)."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser

from gallery.models import Photo

from ..ml.colours import NAMES
from .base import Answer, Candidates, Reading, Term, calibrate

MONOCHROME = "black and white"
# Words (as token tuples) → a colour name of the vocabulary, or MONOCHROME; longest phrases are tried first.
PHRASES: dict[tuple[str, ...], str] = {
    **{(name,): name for name in NAMES},
    ("gray",): "grey",
    ("violet",): "purple",
    ("black", "and", "white"): MONOCHROME,
    ("black", "&", "white"): MONOCHROME,
    ("black-and-white",): MONOCHROME,
    ("b&w",): MONOCHROME,
    ("b/w",): MONOCHROME,
    ("monochrome",): MONOCHROME,
    ("monochromatic",): MONOCHROME,
    ("grayscale",): MONOCHROME,
    ("greyscale",): MONOCHROME,
}
LONGEST = max(len(phrase) for phrase in PHRASES)
# A colour covering this share of the (subject-weighted) photo makes it a possible match of the colour's word,
# this one a strong match (docs/places-dates-colours.md: how they were chosen and what they reach).
POSSIBLE_SHARE = 0.45
STRONG_SHARE = 0.75


class ColourSignal:
    name = "colours"
    kind = "colour"
    selective = True
    factual = True

    def read(self, *, owner: AbstractBaseUser, tokens: Sequence[str]) -> Reading | None:
        for length in range(min(len(tokens), LONGEST), 0, -1):
            if colour := PHRASES.get(tuple(tokens[:length])):
                return Reading(length=length, value=colour, shown=colour)
        return None

    def answer(self, *, owner: AbstractBaseUser, terms: Sequence[Term], within: Candidates, k: int) -> Answer:
        """Photos that show every colour of the terms (and are black-and-white, if asked, a fact: score 1), each
        colour scored by colour_score, several multiplied."""
        photos = Photo.objects.filter(owner=owner, trashed_at__isnull=True)
        wanted = {term.value for term in terms}
        if MONOCHROME in wanted:
            photos = photos.filter(monochrome=True)
        names = sorted(wanted - {MONOCHROME})
        for name in names:
            photos = photos.filter(colours__has_key=name)
        if within.ids is not None:
            photos = photos.filter(id__in=within.ids)
        scores = {}
        for photo_id, shares in photos.order_by().values_list("id", "colours"):  # unsorted: no sort of them all
            score = 1.0
            for name in names:
                score *= colour_score(shares, name)
            scores[photo_id] = score
        return Answer(scores=scores)


def colour_score(shares: dict[str, float], name: str) -> float:
    """How surely the photo answers the colour's word, on the shared scale: about half the photo in that colour
    is a possible match, most of it a strong one, a touch of it (a red flag behind an orange suit) weak; more
    of it ranks first."""
    return calibrate(shares.get(name, 0.0), possible=POSSIBLE_SHARE, strong=STRONG_SHARE)
