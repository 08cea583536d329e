"""Dates in words ("2019", "july 2019", "december", "summer 2019", "christmas", "last year") → the days they mean.

Django-free: ``today`` is always passed in. Seasons are meteorological (whole months) and depend on the
hemisphere: `When.matches` takes the photo's latitude when known, northern otherwise. A season with a year is the
one that starts in that year ("winter 2019" = December 2019 to February 2020; in the south, "summer 2019" is the
same months).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
MONTH_NAMES = [
    "",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
SEASONS = {"spring": "spring", "summer": "summer", "autumn": "autumn", "fall": "autumn", "winter": "winter"}
SEASON_FIRST_MONTH = {"spring": 3, "summer": 6, "autumn": 9, "winter": 12}
OPPOSITE = {"spring": "autumn", "summer": "winter", "autumn": "spring", "winter": "summer"}

# Holidays on the same day every year: words → (shown, days as (month, day)). "new year" spans the night.
HOLIDAYS: dict[tuple[str, ...], tuple[str, tuple[tuple[int, int], ...]]] = {
    ("christmas",): ("Christmas", ((12, 24), (12, 25), (12, 26))),
    ("xmas",): ("Christmas", ((12, 24), (12, 25), (12, 26))),
    ("christmas", "eve"): ("Christmas Eve", ((12, 24),)),
    ("christmas", "day"): ("Christmas Day", ((12, 25),)),
    ("boxing", "day"): ("Boxing Day", ((12, 26),)),
    ("new", "year"): ("New Year", ((12, 31), (1, 1))),
    ("new", "years"): ("New Year", ((12, 31), (1, 1))),
    ("new", "year's"): ("New Year", ((12, 31), (1, 1))),
    ("new", "year's", "eve"): ("New Year's Eve", ((12, 31),)),
    ("new", "years", "eve"): ("New Year's Eve", ((12, 31),)),
    ("new", "year's", "day"): ("New Year's Day", ((1, 1),)),
    ("new", "years", "day"): ("New Year's Day", ((1, 1),)),
    ("halloween",): ("Halloween", ((10, 31),)),
    ("valentine's", "day"): ("Valentine's Day", ((2, 14),)),
    ("valentines", "day"): ("Valentine's Day", ((2, 14),)),
    ("valentine's",): ("Valentine's Day", ((2, 14),)),
    ("valentines",): ("Valentine's Day", ((2, 14),)),
}
UNITS = {"day": "day", "days": "day", "week": "week", "weeks": "week", "month": "month", "months": "month"}
UNITS |= {"year": "year", "years": "year"}
NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "ten": 10}

YEAR = re.compile(r"^(1[89]\d\d|20\d\d|2100)$")
DECADE = re.compile(r"^(?:(1[89]\d|20\d)0|'?(\d)0)s$")
ISO = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?$")
DAY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?$")


@dataclass(frozen=True)
class When:
    """The days a date phrase means: an absolute range [start, end), recurring months or days of any year, or a
    season (whose months depend on the hemisphere), optionally of one year."""

    shown: str
    start: date | None = None
    end: date | None = None
    months: frozenset[int] | None = None
    days: frozenset[tuple[int, int]] | None = None
    season: str | None = None
    season_year: int | None = None

    def matches(self, day: date, *, latitude: float | None = None) -> bool:
        """Whether ``day`` falls in the period, for a photo taken at ``latitude`` (None: northern hemisphere)."""
        if self.season:
            season = OPPOSITE[self.season] if latitude is not None and latitude < 0 else self.season
            if self.season_year is None:
                return day.month in _season_months(season)
            start = date(self.season_year, SEASON_FIRST_MONTH[season], 1)
            return start <= day < _add_months(start, 3)
        if self.start is not None and not (self.start <= day < self.end):
            return False
        if self.months is not None and day.month not in self.months:
            return False
        return self.days is None or (day.month, day.day) in self.days

    def span(self) -> tuple[date, date] | None:
        """Days outside [start, end) never match, whatever the hemisphere; None when the period recurs."""
        if self.season:
            if self.season_year is None:
                return None
            starts = [date(self.season_year, SEASON_FIRST_MONTH[s], 1) for s in (self.season, OPPOSITE[self.season])]
            return min(starts), _add_months(max(starts), 3)
        return (self.start, self.end) if self.start is not None else None

    def possible_months(self) -> frozenset[int]:
        """Months a matching day can fall in, in either hemisphere."""
        if self.season:
            return frozenset(_season_months(self.season) + _season_months(OPPOSITE[self.season]))
        if self.months is not None:
            return self.months
        if self.days is not None:
            return frozenset(month for month, _ in self.days)
        return frozenset(range(1, 13))


def read(tokens: Sequence[str], *, today: date) -> tuple[int, When] | None:
    """The longest date phrase at the start of ``tokens`` (lower-cased words): (tokens consumed, When)."""
    words = [token.strip(",.;:!?") for token in tokens[:5]]
    readings = [
        reading
        for reader in (_year, _decade, _iso, _month, _day_month, _season, _holiday, _relative)
        if (reading := reader(words, today)) is not None
    ]
    return max(readings, key=lambda reading: reading[0]) if readings else None


def _year_at(words: list[str], i: int) -> int | None:
    """A year at words[i], also after "of" ("summer of 2019"); returns it, or None."""
    if i < len(words) and YEAR.match(words[i]):
        return int(words[i])
    return None


def _year(words, today):
    if year := _year_at(words, 0):
        return 1, When(shown=str(year), start=date(year, 1, 1), end=date(year + 1, 1, 1))
    return None


def _decade(words, today):
    match = DECADE.match(words[0]) if words else None
    if not match:
        return None
    if match.group(1):
        first = int(match.group(1)) * 10
    else:  # "90s", "'90s": the last such decade up to this one
        first = 1900 + int(match.group(2)) * 10
        first += 100 * ((today.year - first) // 100)
    return 1, When(shown=f"{first}s", start=date(first, 1, 1), end=date(first + 10, 1, 1))


def _iso(words, today):
    match = ISO.match(words[0]) if words else None
    if not match:
        return None
    year, month, day = int(match.group(1)), int(match.group(2)), match.group(3)
    try:
        if day is None:
            start = date(year, month, 1)
            return 1, When(shown=f"{MONTH_NAMES[month]} {year}", start=start, end=_add_months(start, 1))
        start = date(year, month, int(day))
    except ValueError:
        return None
    return 1, When(shown=start.isoformat(), start=start, end=start + timedelta(days=1))


def _of_year(words: list[str], i: int) -> tuple[int, int | None]:
    """(extra tokens, year) for an optional "[of] YEAR" at words[i]."""
    if year := _year_at(words, i):
        return 1, year
    if i < len(words) and words[i] == "of" and (year := _year_at(words, i + 1)):
        return 2, year
    return 0, None


def _month(words, today):
    month = MONTHS.get(words[0]) if words else None
    if month is None:
        return None
    extra, year = _of_year(words, 1)
    if year is None:
        return 1, When(shown=MONTH_NAMES[month], months=frozenset({month}))
    start = date(year, month, 1)
    return 1 + extra, When(shown=f"{MONTH_NAMES[month]} {year}", start=start, end=_add_months(start, 1))


def _day_month(words, today):
    """ "14 july [2019]", "july 14[th] [2019]"."""
    if len(words) < 2:
        return None
    day, month = DAY.match(words[0]), MONTHS.get(words[1])
    if not (day and month):
        day, month = DAY.match(words[1]), MONTHS.get(words[0])
    if not (day and month):
        return None
    number = int(day.group(1))
    extra, year = _of_year(words, 2)
    try:
        date(year or 2000, month, number)  # 2000: a leap year, so 29 february reads
    except ValueError:
        return None
    shown = f"{number} {MONTH_NAMES[month]}"
    if year is None:
        return 2, When(shown=shown, days=frozenset({(month, number)}))
    start = date(year, month, number)
    return 2 + extra, When(shown=f"{shown} {year}", start=start, end=start + timedelta(days=1))


def _season(words, today):
    season = SEASONS.get(words[0]) if words else None
    if season is None:
        return None
    extra, year = _of_year(words, 1)
    if year is None:
        return 1, When(shown=season.capitalize(), season=season)
    return 1 + extra, When(shown=f"{season.capitalize()} {year}", season=season, season_year=year)


def _holiday(words, today):
    best = None
    for phrase, (shown, days) in HOLIDAYS.items():
        if tuple(words[: len(phrase)]) == phrase and (best is None or len(phrase) > len(best[0])):
            best = phrase, shown, days
    if best is None:
        return None
    phrase, shown, days = best
    extra, year = _of_year(words, len(phrase))
    if year is None:
        return len(phrase), When(shown=shown, days=frozenset(days))
    # The holiday of that year; "new year 2020" is the night that begins 2020.
    first = min(date(year - 1 if (m, d) == (12, 31) and (1, 1) in days else year, m, d) for m, d in days)
    return len(phrase) + extra, When(shown=f"{shown} {year}", start=first, end=first + timedelta(days=len(days)))


def _relative(words, today):
    if not words:
        return None
    if words[0] == "today":
        return 1, When(shown="Today", start=today, end=today + timedelta(days=1))
    if words[0] == "yesterday":
        return 1, When(shown="Yesterday", start=today - timedelta(days=1), end=today)
    if len(words) >= 2 and words[0] in ("this", "last") and (reading := _this_or_last(words[0], words[1], today)):
        return 2, reading
    if len(words) >= 3 and words[2] == "ago" and (count := _count(words[0])) and (unit := UNITS.get(words[1])):
        return 3, _units_ago(count, unit, today)
    if len(words) >= 3 and words[0] in ("last", "past") and (count := _count(words[1])) and words[2] in UNITS:
        start = _add_units(today, -count, UNITS[words[2]]) + timedelta(days=1)
        return 3, When(shown=f"Last {count} {words[2]}", start=start, end=today + timedelta(days=1))
    return None


def _this_or_last(which: str, word: str, today: date) -> When | None:
    back = 1 if which == "last" else 0
    shown = f"{which.capitalize()} {word}"
    if word == "year":
        year = today.year - back
        return When(shown=f"{shown} ({year})", start=date(year, 1, 1), end=date(year + 1, 1, 1))
    if word == "month":
        start = _add_months(today.replace(day=1), -back)
        return When(shown=f"{shown} ({MONTH_NAMES[start.month]} {start.year})", start=start, end=_add_months(start, 1))
    if word == "week":  # weeks start on Monday
        start = today - timedelta(days=today.weekday() + 7 * back)
        return When(shown=shown, start=start, end=start + timedelta(days=7))
    if season := SEASONS.get(word):
        # The latest one that has begun (northern reckoning); "last" is the latest that has ended.
        year = today.year if date(today.year, SEASON_FIRST_MONTH[season], 1) <= today else today.year - 1
        if back and today < _add_months(date(year, SEASON_FIRST_MONTH[season], 1), 3):
            year -= 1
        return When(shown=f"{shown} ({season.capitalize()} {year})", season=season, season_year=year)
    return None


def _units_ago(count: int, unit: str, today: date) -> When:
    """ "2 years ago": that calendar year; "3 months ago": that month; "2 weeks ago": that week; days: that day."""
    if unit == "year":
        year = today.year - count
        return When(shown=f"{count} {unit}s ago ({year})", start=date(year, 1, 1), end=date(year + 1, 1, 1))
    if unit == "month":
        start = _add_months(today.replace(day=1), -count)
        return When(shown=f"{count} {unit}s ago", start=start, end=_add_months(start, 1))
    if unit == "week":
        start = today - timedelta(days=today.weekday() + 7 * count)
        return When(shown=f"{count} {unit}s ago", start=start, end=start + timedelta(days=7))
    day = today - timedelta(days=count)
    return When(shown=f"{count} {unit}s ago", start=day, end=day + timedelta(days=1))


def _count(word: str) -> int | None:
    if word.isdigit() and 0 < int(word) <= 1000:
        return int(word)
    return NUMBERS.get(word)


def _add_units(day: date, count: int, unit: str) -> date:
    if unit == "day":
        return day + timedelta(days=count)
    if unit == "week":
        return day + timedelta(weeks=count)
    if unit == "month":
        return _add_months(day, count)
    return _add_months(day, 12 * count)


def _add_months(day: date, count: int) -> date:
    """The same day ``count`` months later, clamped to the month's last day (31 jan + 1 month = 28/29 feb)."""
    index = day.year * 12 + day.month - 1 + count
    year, month = divmod(index, 12)
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def season_span(season: str, year: int) -> tuple[date, date]:
    """[start, end) of ``season`` (as the northern hemisphere names it) starting in ``year``."""
    start = date(year, SEASON_FIRST_MONTH[season], 1)
    return start, _add_months(start, 3)


def season_months(season: str) -> tuple[int, ...]:
    return _season_months(season)


def _season_months(season: str) -> tuple[int, ...]:
    first = SEASON_FIRST_MONTH[season]
    return tuple((first - 1 + i) % 12 + 1 for i in range(3))
