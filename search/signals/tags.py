"""The owner's own words: a query word, or several in a row, that is one of the owner's accepted tags and that
the word space doesn't know ("xmas2024", "grandma's garden"). Selective: the photos carrying the tag.

A tag the word space knows ("cat") is read by the things signal, which ranks the tagged photos first and still
finds the untagged cats.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser

from gallery.selectors import tags_accepted

from .base import Answer, Candidates, Reading, Term

LONGEST_TAG_WORDS = 4


class TagSignal:
    name = "tag"
    kind = "tag"
    selective = True

    def read(self, *, owner: AbstractBaseUser, tokens: Sequence[str]) -> Reading | None:
        phrases = [" ".join(tokens[:n]).strip('"') for n in range(1, min(LONGEST_TAG_WORDS, len(tokens)) + 1)]
        found = set(tags_accepted(owner_id=owner.id, names=phrases).values_list("tag__name", flat=True).distinct())
        for n in range(len(phrases), 0, -1):
            if phrases[n - 1] in found:
                return Reading(length=n, value=phrases[n - 1])
        return None

    def answer(self, *, owner: AbstractBaseUser, terms: Sequence[Term], within: Candidates, k: int) -> Answer:
        tagged: set[int] | None = None
        for term in terms:
            ids = set(
                tags_accepted(owner_id=owner.id, names=[term.value])
                .filter(photo__trashed_at__isnull=True)
                .values_list("photo_id", flat=True)
            )
            tagged = ids if tagged is None else tagged & ids
        return Answer(scores={i: 1.0 for i in tagged or ()})
