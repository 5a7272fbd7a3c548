"""Clock times, weekdays and dates as people write and read them (`cop_bot/core/times.py`),
shared by `/schedule-session` and `/digest on`."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cop_bot.core.errors import UsageError
from cop_bot.core.times import (
    join_am_pm,
    parse_clock_time,
    parse_weekday,
    show_date,
    show_datetime,
)
from cop_bot.digests.schedule import parse_schedule


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("15:00", time(15, 0)),
        ("9:05", time(9, 5)),
        ("15.30", time(15, 30)),
        ("15h30", time(15, 30)),
        ("15h", time(15, 0)),
        ("3pm", time(15, 0)),
        ("9am", time(9, 0)),
        ("9AM", time(9, 0)),
        ("3:30pm", time(15, 30)),
        ("9a.m.", time(9, 0)),
        ("12am", time(0, 0)),
        ("12pm", time(12, 0)),
        ("noon", time(12, 0)),
        ("midnight", time(0, 0)),
    ],
)
def test_clock_times_people_write(word: str, expected: time) -> None:
    assert parse_clock_time(word) == expected


@pytest.mark.parametrize("word", ["25:00", "13pm", "0am", "9", "9:60", "nine", "", "9 am", "3pmx"])
def test_what_is_not_a_clock_time(word: str) -> None:
    assert parse_clock_time(word) is None


@given(st.text(max_size=30))
def test_parse_clock_time_is_total(word: str) -> None:
    found = parse_clock_time(word)
    assert found is None or isinstance(found, time)


@given(st.integers(0, 23), st.integers(0, 59))
def test_every_24_hour_time_round_trips(hour: int, minute: int) -> None:
    assert parse_clock_time(f"{hour:02d}:{minute:02d}") == time(hour, minute)
    assert parse_clock_time(f"{hour}h{minute:02d}") == time(hour, minute)


@given(st.integers(1, 12), st.integers(0, 59), st.sampled_from(["am", "pm"]))
def test_every_12_hour_time_reads_as_its_24_hour_twin(hour: int, minute: int, half: str) -> None:
    expected = time(hour % 12 + (12 if half == "pm" else 0), minute)
    assert parse_clock_time(f"{hour}:{minute:02d}{half}") == expected
    assert parse_clock_time(join_am_pm(f"{hour}:{minute:02d} {half.upper()}")) == expected


def test_weekdays() -> None:
    assert [parse_weekday(w) for w in ("monday", "Mon", "tues", "Thurs,", "SUNDAY")] == [
        0,
        0,
        1,
        3,
        6,
    ]
    assert parse_weekday("someday") is None


@given(st.text(max_size=30))
def test_parse_weekday_is_total(word: str) -> None:
    found = parse_weekday(word)
    assert found is None or 0 <= found <= 6


def test_dates_for_people_are_readable_and_in_the_zone() -> None:
    at = datetime(2027, 12, 1, 21, 29, 22, 912114, tzinfo=UTC)
    assert show_datetime(at, ZoneInfo("UTC")) == "Wed 1 Dec 2027, 21:29 UTC"
    assert show_datetime(at, ZoneInfo("Europe/Rome")) == "Wed 1 Dec 2027, 22:29 CET"
    assert show_date(at, ZoneInfo("Asia/Tokyo")) == "Thu 2 Dec 2027"  # already the next day


# ---- `/digest on` reads times as `/schedule-session` does -----------------------------------


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("monday 9am", (0, 9 * 60, "UTC")),
        ("monday 9 am", (0, 9 * 60, "UTC")),
        ("Fri 3:30pm tz Europe/Rome", (4, 15 * 60 + 30, "Europe/Rome")),
        ("thurs 15h", (3, 15 * 60, "UTC")),
        ("noon", (0, 12 * 60, "UTC")),
        ("", (0, 9 * 60, "UTC")),
    ],
)
def test_digest_schedule_reads_the_session_time_words(
    words: str, expected: tuple[int, int, str]
) -> None:
    assert parse_schedule(words.split(), "UTC") == expected


@given(st.lists(st.text(max_size=12), max_size=6))
def test_parse_schedule_is_total(words: list[str]) -> None:
    try:
        weekday, minute, tz = parse_schedule(words, "UTC")
    except UsageError as exc:
        assert len(exc.message) < 200
    else:
        assert 0 <= weekday <= 6 and 0 <= minute < 24 * 60 and tz


def test_digest_on_accepts_9am_like_schedule_session(bot) -> None:  # type: ignore[no-untyped-def]
    result = bot.reply("/digest on monday 9am", as_="root-admin")
    assert result.ok, result
    assert result.data["digest"]["time"] == "09:00"
    assert result.data["digest"]["weekday"] == "monday"
