"""Date words → periods, with today passed in."""

from datetime import date

import pytest

from search.ml import dates

TODAY = date(2026, 1, 15)  # a Thursday in the northern winter


def read(text: str, today: date = TODAY):
    return dates.read(text.split(), today=today)


def days_of(when: dates.When, *, latitude=None, years=range(2017, 2027)) -> set[date]:
    """Every day of ``years`` that the period matches (brute force, to check ranges end-exclusive)."""
    out = set()
    for year in years:
        day = date(year, 1, 1)
        while day.year == year:
            if when.matches(day, latitude=latitude):
                out.add(day)
            day = date.fromordinal(day.toordinal() + 1)
    return out


def test_a_bare_year_is_that_whole_year():
    length, when = read("2019")
    assert length == 1 and when.shown == "2019"
    assert when.matches(date(2019, 1, 1)) and when.matches(date(2019, 12, 31))
    assert not when.matches(date(2018, 12, 31)) and not when.matches(date(2020, 1, 1))


def test_numbers_that_are_not_years_are_not_read():
    assert read("12") is None and read("3000") is None and read("1700") is None and read("20190") is None


def test_a_month_with_a_year_is_that_month():
    length, when = read("july 2019")
    assert length == 2 and when.shown == "July 2019"
    assert (when.start, when.end) == (date(2019, 7, 1), date(2019, 8, 1))


def test_a_month_of_a_year_reads_three_words():
    assert read("december of 2019 cats")[0] == 3


def test_a_month_without_a_year_is_that_month_of_any_year():
    length, when = read("december")
    assert length == 1 and when.span() is None
    assert when.matches(date(2003, 12, 31)) and when.matches(date(2025, 12, 1))
    assert not when.matches(date(2025, 11, 30))


def test_month_abbreviations_read():
    assert read("sept")[1].months == {9} and read("feb 2020")[1].start == date(2020, 2, 1)


def test_a_month_followed_by_something_else_reads_one_word():
    assert read("may flowers")[0] == 1


def test_a_day_and_month_read_in_both_orders():
    assert read("14 july")[1].days == {(7, 14)}
    length, when = read("july 14th 2019")
    assert length == 3 and (when.start, when.end) == (date(2019, 7, 14), date(2019, 7, 15))


def test_an_impossible_day_is_not_a_date():
    assert read("31 february") is None
    assert read("february 30")[1].months == {2}  # the month alone: 30 february does not exist


def test_29_february_reads_without_a_year():
    assert read("29 february")[1].days == {(2, 29)}


def test_iso_dates_read():
    assert read("2019-07")[1].shown == "July 2019"
    assert read("2019-07-14")[1].start == date(2019, 7, 14)
    assert read("2019-13") is None


def test_summer_with_a_year_depends_on_the_hemisphere():
    _, when = read("summer 2019")
    assert when.matches(date(2019, 7, 10), latitude=50.9)  # Leuven
    assert not when.matches(date(2019, 7, 10), latitude=-33.9)  # Sydney: July is winter
    assert when.matches(date(2020, 1, 10), latitude=-33.9)  # the southern summer that starts in December 2019
    assert not when.matches(date(2019, 1, 10), latitude=-33.9)


def test_a_photo_without_gps_counts_as_northern():
    _, when = read("summer 2019")
    assert when.matches(date(2019, 8, 31)) and not when.matches(date(2019, 9, 1))


def test_winter_of_a_year_runs_into_the_next():
    _, when = read("winter 2019")
    assert days_of(when, years=[2019, 2020]) == {
        d for d in days_of(dates.When(shown="", start=date(2019, 12, 1), end=date(2020, 3, 1)), years=[2019, 2020])
    }
    assert when.span() == (date(2019, 6, 1), date(2020, 3, 1))  # covers the southern winter too


def test_a_season_without_a_year_recurs_by_hemisphere():
    _, when = read("fall")
    assert when.season == "autumn" and when.span() is None
    assert when.matches(date(2010, 10, 1)) and when.matches(date(2010, 4, 1), latitude=-37.8)
    assert not when.matches(date(2010, 4, 1))
    assert when.possible_months() == {3, 4, 5, 9, 10, 11}


def test_christmas_is_the_24th_to_26th_of_any_year():
    length, when = read("christmas")
    assert length == 1 and when.days == {(12, 24), (12, 25), (12, 26)}
    assert when.matches(date(2011, 12, 25)) and not when.matches(date(2011, 12, 27))


def test_christmas_eve_is_longer_than_christmas():
    length, when = read("christmas eve 2019")
    assert length == 3 and (when.start, when.end) == (date(2019, 12, 24), date(2019, 12, 25))


def test_new_year_spans_the_night():
    length, when = read("new year")
    assert length == 2 and when.matches(date(2019, 12, 31)) and when.matches(date(2020, 1, 1))
    assert not when.matches(date(2020, 1, 2))


def test_new_year_of_a_year_is_the_night_that_begins_it():
    _, when = read("new year's 2020")
    assert (when.start, when.end) == (date(2019, 12, 31), date(2020, 1, 2))


def test_new_alone_is_not_a_date():
    assert read("new york") is None


def test_last_year_and_this_month_follow_today():
    assert read("last year")[1].start == date(2025, 1, 1)
    assert read("this year")[1].end == date(2027, 1, 1)
    _, month = read("this month")
    assert (month.start, month.end) == (date(2026, 1, 1), date(2026, 2, 1))
    _, last = read("last month")  # across the year boundary
    assert (last.start, last.end) == (date(2025, 12, 1), date(2026, 1, 1))


def test_last_week_starts_on_a_monday():
    _, when = read("last week")
    assert (when.start, when.end) == (date(2026, 1, 5), date(2026, 1, 12))


def test_today_and_yesterday():
    assert read("today")[1].start == TODAY and read("yesterday")[1].start == date(2026, 1, 14)


def test_this_winter_in_january_is_the_one_that_began_in_december():
    assert read("this winter")[1].season_year == 2025
    assert read("last winter")[1].season_year == 2024


def test_last_summer_is_the_latest_that_has_ended():
    assert read("last summer", today=date(2026, 7, 1))[1].season_year == 2025
    assert read("last summer", today=date(2026, 9, 1))[1].season_year == 2026


def test_years_ago_is_that_calendar_year():
    length, when = read("2 years ago")
    assert length == 3 and when.start == date(2024, 1, 1)
    assert read("a year ago")[1].start == date(2025, 1, 1)


def test_last_n_days_ends_today():
    _, when = read("last 7 days")
    assert (when.start, when.end) == (date(2026, 1, 9), date(2026, 1, 16))


def test_decades():
    assert read("1990s")[1].start == date(1990, 1, 1)
    assert read("90s")[1].end == date(2000, 1, 1)
    assert read("'20s")[1].start == date(2020, 1, 1)


def test_trailing_punctuation_is_ignored():
    assert read("july, 2019")[0] == 2


@pytest.mark.parametrize("text", ["cat", "red", "rome", "", "last", "this cat", "new"])
def test_other_words_are_not_dates(text):
    assert read(text) is None


def test_month_end_arithmetic_clamps():
    assert dates._add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert dates._add_months(date(2025, 3, 31), -1) == date(2025, 2, 28)
