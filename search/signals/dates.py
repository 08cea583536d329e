"""Date words as query terms: "2019", "july 2019", "december", "summer", "christmas", "last year".

The words are read by search/ml/dates.py; a photo's date is when it was taken (EXIF), else when it was uploaded
(``shot_at``, a UTC day as the camera's wall clock had it), and seasons follow the photo's hemisphere.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, date, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from gallery.models import Photo

from ..ml import dates
from .base import Answer, Candidates, Reading, Term


class DateSignal:
    name = "dates"
    kind = "date"
    selective = True

    def read(self, *, owner: AbstractBaseUser, tokens: Sequence[str], today: date | None = None) -> Reading | None:
        words = list(itertools.takewhile(lambda token: not token.startswith('"'), tokens))  # quoted: verbatim text
        if not words or (found := dates.read(words, today=today or _today())) is None:
            return None
        length, when = found
        return Reading(length=length, value=when, shown=when.shown)

    def answer(self, *, owner: AbstractBaseUser, terms: Sequence[Term], within: Candidates, k: int) -> Answer:
        """Every photo whose day falls in all of the terms' periods, score 1."""
        photos = Photo.objects.filter(owner=owner, trashed_at__isnull=True)
        for term in terms:
            when: dates.When = term.value
            if span := when.span():
                photos = photos.filter(shot_at__gte=_day_start(span[0]), shot_at__lt=_day_start(span[1]))
            if len(months := when.possible_months()) < 12:
                photos = photos.filter(shot_at__month__in=sorted(months))
        if within.ids is not None:
            photos = photos.filter(id__in=within.ids)
        matching = [
            photo_id
            for photo_id, shot_at, latitude in photos.values_list("id", "shot_at", "latitude")
            if all(term.value.matches(shot_at.astimezone(UTC).date(), latitude=latitude) for term in terms)
        ]
        return Answer(scores=dict.fromkeys(matching, 1.0))


def _today() -> date:
    return timezone.localdate()


def _day_start(day: date) -> datetime:
    # Days are UTC days, as gallery's date filters count them (taken_at is the camera's wall clock in UTC).
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
