"""Date words as query terms: "2019", "july 2019", "december", "summer", "christmas", "last year".

The words are read by search/ml/dates.py; a photo's date is when it was taken (EXIF), else when it was uploaded
(``shot_at``, a UTC day as the camera's wall clock had it), and seasons follow the photo's hemisphere. `when_q`
puts a period into the database's terms, so that answering reads only the ids of the photos that match.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, date, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q
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
        """Every photo whose day falls in all of the terms' periods, score 1 (the database does all the work:
        ranges and months of ``shot_at``, by hemisphere for seasons)."""
        photos = Photo.objects.filter(owner=owner, trashed_at__isnull=True)
        for term in terms:
            photos = photos.filter(when_q(term.value))
        if within.ids is not None:
            photos = photos.filter(id__in=within.ids)
        return Answer(scores=dict.fromkeys(photos.values_list("id", flat=True), 1.0))


def when_q(when: dates.When) -> Q:
    """The photos whose ``shot_at`` day is in ``when`` (the same days as `When.matches`)."""
    if when.season:
        north = Q(latitude__isnull=True) | Q(latitude__gte=0)  # no GPS: northern, as When.matches counts it
        return _season_q(when.season, when.season_year) & north | _season_q(
            dates.OPPOSITE[when.season], when.season_year
        ) & Q(latitude__lt=0)
    condition = Q()
    if when.start is not None:
        condition &= Q(shot_at__gte=_day_start(when.start), shot_at__lt=_day_start(when.end))
    if when.months is not None:
        condition &= Q(shot_at__month__in=sorted(when.months))
    if when.days is not None:
        condition &= Q(*[Q(shot_at__month=m, shot_at__day=d) for m, d in sorted(when.days)], _connector=Q.OR)
    return condition


def _season_q(season: str, year: int | None) -> Q:
    if year is None:
        return Q(shot_at__month__in=dates.season_months(season))
    start, end = dates.season_span(season, year)
    return Q(shot_at__gte=_day_start(start), shot_at__lt=_day_start(end))


def _today() -> date:
    return timezone.localdate()


def _day_start(day: date) -> datetime:
    # Days are UTC days, as gallery's date filters count them (taken_at is the camera's wall clock in UTC).
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
