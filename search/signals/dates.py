"""Date words as query terms: "2019", "july 2019", "december", "summer", "christmas", "last year".

The words are read by search/ml/dates.py; a photo's date is when it was taken (EXIF), else when it was uploaded
(``shot_at``, a UTC day as the camera's wall clock had it), and seasons follow the photo's hemisphere. `when_q`
puts a period into the database's terms, so that answering reads only the ids of the photos that match.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import BooleanField, Expression, F, Q
from django.utils import timezone

from gallery.models import Photo

from ..ml import dates
from .base import Answer, Candidates, Reading, Term
from .vectors import FILTER_EXACT_MAX, IN_QUERY_MAX

# Up to this many photos in a period are listed with their scores; a larger answer is a condition of the search,
# which then holds more photos than a search scores exactly (Answer.more_than): it is not listed again.
LIST_MAX = FILTER_EXACT_MAX
# A photo with no camera date is in a period only by when it was uploaded: a weak match of a date word.
UPLOAD_DATED_SCORE = 0.4


class DateSignal:
    name = "dates"
    kind = "date"
    selective = True
    factual = True

    def read(self, *, owner: AbstractBaseUser, tokens: Sequence[str], today: date | None = None) -> Reading | None:
        words = list(itertools.takewhile(lambda token: not token.startswith('"'), tokens))  # quoted: verbatim text
        if not words or (found := dates.read(words, today=today or _today())) is None:
            return None
        length, when = found
        return Reading(length=length, value=when, shown=when.shown)

    def answer(self, *, owner: AbstractBaseUser, terms: Sequence[Term], within: Candidates, k: int) -> Answer:
        """Every photo whose day falls in all of the terms' periods: score 1 when its camera dated it, and
        UPLOAD_DATED_SCORE (weak) when only its upload did. The database does all the work, on ranges of
        ``shot_at`` only (a recurring period becomes one range per year of the owner's photos), so that the
        (owner, trashed_at, shot_at) index serves it and no date function runs per row."""
        photos = Photo.objects.filter(owner=owner, trashed_at__isnull=True)
        years = range(0)  # of the owner's photos, for periods that recur every year; one span of days needs none
        if any(_recurs(term.value) for term in terms):
            # The first and the last day, each one step down the (owner, trashed_at, shot_at) index: SQLite reads
            # MIN and MAX together by scanning every row.
            days = photos.order_by().values_list("shot_at", flat=True)
            first, last = days.order_by("shot_at").first(), days.order_by("-shot_at").first()
            if first is None:
                return Answer()
            years = range(first.year - 1, last.year + 1)  # a winter may start the year before
        for term in terms:
            photos = photos.filter(when_q(term.value, years=years, owner_id=owner.id))
        if within.ids is not None:  # a few candidates already: check just those
            photos = photos.filter(id__in=within.ids)
        # At most LIST_MAX + 1 ids are read, never counted (counting a period that holds most of a large gallery
        # costs as much as the search, bench.filters), unsorted so that LIMIT stops early; ids alone, which the
        # (owner, trashed_at, shot_at) index holds.
        listed = photos.order_by().values_list("id", flat=True)
        found = set(listed if within.ids is not None else listed[: LIST_MAX + 1])
        if len(found) > LIST_MAX and within.ids is None:
            # A period may hold most of a large gallery: a condition, not a list of ids. Listed alone, photos the
            # camera dated come before those dated by their upload, newest first.
            return Answer(
                photos=photos.order_by(F("taken_at").desc(nulls_last=True), "-shot_at", "-id"),
                among=functools.partial(_in_periods, owner=owner, whens=[term.value for term in terms]),
                more_than=LIST_MAX,
            )
        # Those without a camera date, looked up by id (in chunks: SQLite caps the parameters of one statement).
        ids = sorted(found)
        undated = {
            photo_id
            for start in range(0, len(ids), IN_QUERY_MAX)
            for photo_id in Photo.objects.filter(id__in=ids[start : start + IN_QUERY_MAX], taken_at__isnull=True)
            .order_by()
            .values_list("id", flat=True)
        }
        return Answer(scores={i: UPLOAD_DATED_SCORE if i in undated else 1.0 for i in found})


def _in_periods(ids: set[int], *, owner: AbstractBaseUser, whens: list[dates.When]) -> set[int]:
    """Which of a few ``ids`` are the owner's photos outside the trash with a day in every one of ``whens``, by
    `When.matches` on their stored day and latitude: the same days as `when_q`. Only the ids are in the query,
    so that the database looks each one up (given the owner too, SQLite may walk the owner's index instead)."""
    rows = (
        Photo.objects.filter(id__in=ids).order_by().values_list("id", "owner_id", "trashed_at", "shot_at", "latitude")
    )
    return {
        photo_id
        for photo_id, owner_id, trashed_at, shot_at, latitude in rows
        if owner_id == owner.id
        and trashed_at is None
        and all(when.matches(shot_at.astimezone(UTC).date(), latitude=latitude) for when in whens)
    }


def when_q(when: dates.When, *, years: range, owner_id: int) -> Q:
    """The owner's photos outside the trash whose ``shot_at`` day is in ``when`` (the same days as
    `When.matches`), for photos taken in ``years``."""
    if when.season:
        north = Q(latitude__isnull=True) | Q(latitude__gte=0)  # no GPS: northern, as When.matches counts it
        south = Q(latitude__lt=0)
        return (
            _season_q(when.season, when.season_year, years, owner_id) & north
            | _season_q(dates.OPPOSITE[when.season], when.season_year, years, owner_id) & south
        )
    ranges = [(when.start, when.end)] if when.start is not None else None
    if when.months is not None:
        ranges = _within(ranges, [(start, _next_month(start)) for start in _firsts(when.months, years)])
    if when.days is not None:
        ranges = _within(ranges, [(day, day + timedelta(days=1)) for day in _days(when.days, years)])
    return _ranges_q(ranges, owner_id) if ranges is not None else Q()


def _recurs(when: dates.When) -> bool:
    """Whether `when_q` needs the years of the owner's photos: months, days or a season of any year."""
    return when.months is not None or when.days is not None or (when.season is not None and when.season_year is None)


def _season_q(season: str, year: int | None, years: range, owner_id: int) -> Q:
    if year is not None:
        return _ranges_q([dates.season_span(season, year)], owner_id)
    return _ranges_q([(start, _next_month(start)) for start in _firsts(dates.season_months(season), years)], owner_id)


def _firsts(months, years: range) -> list[date]:
    return [date(year, month, 1) for year in years for month in sorted(months)]


def _days(days, years: range) -> list[date]:
    out = []
    for year in years:
        for month, day in sorted(days):
            try:
                out.append(date(year, month, day))
            except ValueError:  # 29 February of a common year
                continue
    return out


def _within(ranges: list[tuple[date, date]] | None, more: list[tuple[date, date]]) -> list[tuple[date, date]]:
    """The parts of ``more`` inside ``ranges`` (None: no restriction yet)."""
    if ranges is None:
        return more
    return [(max(a, c), min(b, d)) for a, b in ranges for c, d in more if max(a, c) < min(b, d)]


def _ranges_q(ranges: list[tuple[date, date]], owner_id: int) -> Q:
    merged: list[list[date]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    if not merged:
        return Q(pk__in=[])
    spans = tuple((_day_start(start), _day_start(end)) for start, end in merged)
    if len(spans) == 1:  # one range of the (owner, trashed_at, shot_at) index
        return Q(shot_at__gte=spans[0][0], shot_at__lt=spans[0][1])
    covered = sum((end - start for start, end in spans), timedelta())
    narrow = covered <= NARROW_SHARE * (spans[-1][1] - spans[0][0])
    return Q(_Spans(spans, owner_id=owner_id, narrow=narrow))


# A recurring period covering at most this share of the days between its first and last range is narrow ("july",
# "christmas"): few photos are in it, so looking each range up beats walking the owner's photos until enough are
# found. SQLite allows 500 SELECTs in one compound by default; a narrow period's ranges are asked UNION_MAX at once.
NARROW_SHARE = 0.15
UNION_MAX = 250


class _Spans(Expression):
    """``shot_at`` in any of ``spans``, each [start, end), for the owner's photos outside the trash, built and
    compiled in one step: as a Q of range lookups, the dozens of ranges of a recurring period cost more to build
    and compile than the query takes to run (bench.filters, "summer").

    A wide period is an OR of ranges, read as the query walks the owner's photos (a LIMIT stops it early, since
    most photos pass). A narrow one is the ids of one index range per span (UNION ALL): under the query's own
    owner condition SQLite answers an OR of ranges by walking every photo of the owner, 200 ms at 100k photos for
    "christmas", where the ranges take 3 ms; but it reads all the ids of a union before a LIMIT applies."""

    conditional = True

    def __init__(self, spans: tuple[tuple[datetime, datetime], ...], *, owner_id: int, narrow: bool):
        super().__init__(output_field=BooleanField())
        self.pk, self.shot_at = F("pk"), F("shot_at")
        self.spans = spans
        self.owner_id = owner_id
        self.narrow = narrow

    def get_source_expressions(self):
        return [self.pk, self.shot_at]

    def set_source_expressions(self, expressions):
        self.pk, self.shot_at = expressions

    def as_sql(self, compiler, connection):
        # The generated column's output field: the column's own prep would hand sqlite3 raw datetimes.
        as_datetime = Photo._meta.get_field("shot_at").output_field
        bounds = [[as_datetime.get_db_prep_value(moment, connection) for moment in span] for span in self.spans]
        if not self.narrow:
            column, column_params = compiler.compile(self.shot_at)
            params = [p for start, end in bounds for p in (*column_params, start, *column_params, end)]
            return "(" + " OR ".join([f"({column} >= %s AND {column} < %s)"] * len(bounds)) + ")", params
        pk, pk_params = compiler.compile(self.pk)
        quote, fields = connection.ops.quote_name, Photo._meta
        shot_at = quote(fields.get_field("shot_at").column)
        one = (
            f"SELECT {quote(fields.pk.column)} FROM {quote(fields.db_table)}"
            f" WHERE {quote(fields.get_field('owner').column)} = %s"
            f" AND {quote(fields.get_field('trashed_at').column)} IS NULL AND {shot_at} >= %s AND {shot_at} < %s"
        )
        sql, params = [], []
        for first in range(0, len(bounds), UNION_MAX):
            chunk = bounds[first : first + UNION_MAX]
            sql.append(f"{pk} IN ({' UNION ALL '.join([one] * len(chunk))})")
            params += [*pk_params, *(p for start, end in chunk for p in (self.owner_id, start, end))]
        return "(" + " OR ".join(sql) + ")", params


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _today() -> date:
    return timezone.localdate()


def _day_start(day: date) -> datetime:
    # Days are UTC days, as gallery's date filters count them (taken_at is the camera's wall clock in UTC).
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
