"""The WHEN/FOR/EVERY parser and placing wall-clock times in zones, DST in both hemispheres."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cop_bot.core.errors import UsageError
from cop_bot.core.times import parse_clock_time as parse_time
from cop_bot.sessions.when import (
    first_on_or_after,
    localize,
    parse_duration,
    parse_recurrence,
    parse_when,
    rule_walls,
    wall_to_utc,
    zone_named,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday
ROME = ZoneInfo("Europe/Rome")
SANTIAGO = ZoneInfo("America/Santiago")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-01-12 15:00", datetime(2027, 1, 12, 15, 0)),
        ("2027-01-12T15:00", datetime(2027, 1, 12, 15, 0)),
        ("2027-01-12T14:00Z", datetime(2027, 1, 12, 15, 0)),  # an instant, shown in Rome
        ("tomorrow 15:00", datetime(2026, 11, 24, 15, 0)),
        ("tomorrow at 3pm", datetime(2026, 11, 24, 15, 0)),
        ("today 18h30", datetime(2026, 11, 23, 18, 30)),
        ("17:00", datetime(2026, 11, 23, 17, 0)),
        ("next Tuesday 3pm", datetime(2026, 11, 24, 15, 0)),
        ("next Monday 3 pm", datetime(2026, 11, 30, 15, 0)),  # "next" skips today
        ("monday 3pm", datetime(2026, 11, 23, 15, 0)),
        ("Friday at 9:30am", datetime(2026, 11, 27, 9, 30)),
        ("in 3 days at 10:00", datetime(2026, 11, 26, 10, 0)),
        ("in two weeks at noon", datetime(2026, 12, 7, 12, 0)),
        ("in 2 hours", datetime(2026, 11, 23, 12, 0)),  # 09:00 UTC is 10:00 in Rome
        ("12 January 2027 15:00", datetime(2027, 1, 12, 15, 0)),
        ("January 12 3pm", datetime(2027, 1, 12, 15, 0)),
        ("12/01/2027 15:00", datetime(2027, 1, 12, 15, 0)),  # day first
    ],
)
def test_phrases(text: str, expected: datetime) -> None:
    assert parse_when(text, NOW, ROME) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "soon",
        "tomorrow",
        "2027-01-12",
        "next blursday 3pm",
        "in 3 parsecs",
        "x" * 200,
        "0001-01-01 00:00",
        "9999-12-31 23:59",
        "in 9999 weeks at 10:00",
    ],
)
def test_unreadable_or_incomplete_phrases_explain(text: str) -> None:
    with pytest.raises(UsageError):
        parse_when(text, NOW, ROME)


def test_times_of_day() -> None:
    assert (
        parse_time("15:00")
        == parse_time("3pm")
        == parse_time("15h")
        == parse_time("3 p.m.".replace(" ", ""))
    )
    assert parse_time("12am").hour == 0 and parse_time("12pm").hour == 12  # type: ignore[union-attr]
    assert parse_time("25:00") is None and parse_time("13pm") is None


def test_spring_forward_gap_is_refused() -> None:
    with pytest.raises(UsageError, match="does not exist in Europe/Rome"):
        localize(datetime(2027, 3, 28, 2, 30), ROME)


def test_fall_back_overlap_takes_the_first_and_says_so() -> None:
    placed = localize(datetime(2026, 10, 25, 2, 30), ROME)
    assert placed.at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # still CEST (+02:00)
    assert placed.note is not None and "happens twice" in placed.note and "first" in placed.note


def test_southern_hemisphere_transitions() -> None:
    # Chile: clocks go forward at 00:00 on 2026-09-06 (00:30 does not exist), back at 00:00 on
    # 2027-04-04 (23:30 on the 3rd happens twice).
    with pytest.raises(UsageError):
        localize(datetime(2026, 9, 6, 0, 30), SANTIAGO)
    placed = localize(datetime(2027, 4, 3, 23, 30), SANTIAGO)
    assert placed.note and placed.at == datetime(2027, 4, 4, 2, 30, tzinfo=UTC)


def test_weekly_series_stays_at_local_time_across_dst() -> None:
    first = datetime(2027, 3, 16, 15, 0)
    walls = rule_walls("FREQ=WEEKLY", first, first, first + timedelta(days=21))
    utc = [wall_to_utc(w, ROME) for w in walls]
    assert [w.hour for w in walls] == [15, 15, 15, 15]
    assert [u.hour for u in utc] == [14, 14, 13, 13]  # DST begins on 2027-03-28


def test_generated_occurrence_in_a_gap_moves_forward_like_rfc5545() -> None:
    wall = datetime(2027, 3, 28, 2, 30)
    assert wall_to_utc(wall, ROME).astimezone(ROME).hour == 3


def test_recurrence_phrases() -> None:
    assert parse_recurrence(["week"]) == "FREQ=WEEKLY"
    assert parse_recurrence(["2", "weeks"]) == "FREQ=WEEKLY;INTERVAL=2"
    assert parse_recurrence(["month", "on", "the", "first", "tuesday"]) == "FREQ=MONTHLY;BYDAY=1TU"
    assert parse_recurrence(["month", "on", "the", "last", "friday"]) == "FREQ=MONTHLY;BYDAY=-1FR"
    for bad in (["fortnight"], ["0", "weeks"], ["week", "on", "mars"]):
        with pytest.raises(UsageError):
            parse_recurrence(bad)


def test_monthly_series_starts_on_its_first_matching_day() -> None:
    found = first_on_or_after("FREQ=MONTHLY;BYDAY=1TU", datetime(2027, 1, 12, 15, 0))
    assert found == datetime(2027, 2, 2, 15, 0)


def test_durations_and_zones() -> None:
    assert [parse_duration(t) for t in ("90m", "1h", "1h30", "1h30m", "2 hours", "45")] == [
        90,
        60,
        90,
        90,
        120,
        45,
    ]
    for bad in ("", "forever", "0m", "13h"):
        with pytest.raises(UsageError):
            parse_duration(bad)
    assert zone_named("Europe/Rome") == ROME
    for bad in ("Mars/Olympus", "../etc/passwd", ""):
        with pytest.raises(UsageError):
            zone_named(bad)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_text_never_crashes_the_parser(text: str) -> None:
    try:
        wall = parse_when(text, NOW, ROME)
    except UsageError:
        return
    assert isinstance(wall, datetime) and wall.tzinfo is None


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "in",
                "next",
                "tomorrow",
                "3",
                "days",
                "at",
                "15:00",
                "3pm",
                "tuesday",
                "2027-01-12",
                "january",
                "12",
                "weeks",
                "hours",
                "noon",
                "on",
                "the",
                "2099",
                "0",
                "99999",
            ]
        ),
        max_size=6,
    )
)
def test_plausible_word_salad_never_crashes(words: list[str]) -> None:
    with contextlib.suppress(UsageError):
        parse_when(" ".join(words), NOW, ROME)
    with contextlib.suppress(UsageError):
        parse_recurrence(words)
    with contextlib.suppress(UsageError):
        parse_duration(" ".join(words))


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(),
    st.sampled_from(["", "Z", "+14:00", "-12:00", ":00", " pm"]),
    st.sampled_from(["Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Rome", "UTC"]),
)
def test_any_iso_like_date_is_placed_or_refused_cleanly(
    when: datetime, suffix: str, zone_name: str
) -> None:
    zone = ZoneInfo(zone_name)
    try:
        wall = parse_when(f"{when:%Y-%m-%d %H:%M}{suffix}", NOW, zone)
        placed = localize(wall, zone)
    except UsageError:
        return
    assert placed.at.tzinfo is UTC
