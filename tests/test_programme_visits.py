"""Programme visits (issue 18): `/mentoring visit NAME @other|ORG WHEN … at PLACE` schedules a
visit for a pair, hosted by the side named; the programme view (and `--json`) shows who hosted
and who visited, so coordinators see the two-way visits; only the pair and the coordinators may
schedule one; bad input writes nothing; the `.ics` has the visit's LOCATION."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from icalendar import Calendar
from sqlalchemy import func
from sqlmodel import Session, select

from cop_bot.core.clock import FixedClock
from cop_bot.mentoring import visits
from cop_bot.platforms.console import render_for_console
from cop_bot.storage.models import Meeting
from tests.conftest import NOW, Bot

ADMIN = "root-admin"
DAY1 = (NOW + timedelta(days=10)).date().isoformat()
DAY2 = (NOW + timedelta(days=20)).date().isoformat()


def ok(bot: Bot, line: str, as_: str = ADMIN) -> Any:
    result = bot.reply(line, as_=as_)
    assert result.ok, render_for_console(result)
    return result.data


def error(bot: Bot, line: str, as_: str = ADMIN) -> str:
    result = bot.reply(line, as_=as_)
    assert not result.ok, result
    return render_for_console(result)


def meetings(bot: Bot) -> int:
    with Session(bot.app.engine) as session:
        return int(session.exec(select(func.count()).select_from(Meeting)).one())


@pytest.fixture
def pair(bot: Bot) -> Bot:
    """City mentors: lyon (mentor) paired with tunis (mentee); carol is not in a pair."""
    for handle, fields in (
        ("lyon", "languages: fr; organisation: City of Lyon; country: FR; domains: housing"),
        ("tunis", "languages: fr; organisation: City of Tunis; country: TN"),
        ("carol", "languages: de; organisation: Carol's org; country: DE"),
    ):
        bot.send(f"/profile set {fields}", as_=handle)
    ok(bot, "/mentoring create City mentors mode: mentor domains: housing")
    ok(bot, "/mentoring join city-mentors as: mentor", "lyon")
    ok(bot, "/mentoring join City mentors as: mentee domains: housing", "tunis")
    made = ok(bot, "/mentoring match City mentors --json")["round"]
    assert [(p["a"], p["b"]) for p in made["pairs"]] == [("lyon", "tunis")]
    return bot


def visits_of(bot: Bot, as_: str = ADMIN) -> dict[str, Any]:
    rounds = ok(bot, "/mentoring City mentors --json", as_)["programme"]["rounds"]
    return dict(rounds[0]["pairs"][0]["visits"])


def test_two_way_visits_show_in_the_programme_view(pair: Bot, clock: FixedClock) -> None:
    to_lyon = ok(
        pair, f'/mentoring visit City mentors @lyon {DAY1} 10:00 at "Hôtel de Ville, Lyon"', "tunis"
    )
    assert to_lyon["visit"] == {"programme": "city-mentors", "host": "lyon", "visitor": "tunis"}
    assert to_lyon["session"]["kind"] == "visit"
    assert to_lyon["session"]["location"] == "Hôtel de Ville, Lyon"
    assert to_lyon["session"]["host"] == "City of Lyon"
    assert visits_of(pair) == {"hosted": [], "visited": [], "planned": 1, "two_way": False}
    clock.set(NOW + timedelta(days=11))
    assert visits_of(pair, "tunis") == {
        "hosted": ["lyon"],
        "visited": ["tunis"],
        "planned": 0,
        "two_way": False,
    }
    assert "hosted by lyon" in pair.send("/mentoring City mentors", as_=ADMIN)
    # the other way round, for two days, named by the host's organisation
    ok(
        pair,
        f'/mentoring visit city-mentors "City of Tunis" {DAY2} for 2 days at Town hall, Tunis',
        "lyon",
    )
    clock.set(NOW + timedelta(days=25))
    assert visits_of(pair) == {
        "hosted": ["lyon", "tunis"],
        "visited": ["tunis", "lyon"],
        "planned": 0,
        "two_way": True,
    }
    view = ok(pair, "/mentoring City mentors --json")["programme"]
    assert view["two_way_visits"] == 1
    assert "two-way visit made" in pair.send("/mentoring City mentors", as_=ADMIN)


def test_only_the_pair_and_coordinators_and_bad_input_writes_nothing(pair: Bot) -> None:
    before = meetings(pair)
    line = f"/mentoring visit City mentors @lyon {DAY1} 10:00 at Town hall"
    assert "Only the pair's members" in error(pair, line, "carol")
    assert "not in a pair of City mentors" in error(
        pair, f"/mentoring visit City mentors @carol {DAY1} at Town hall", "lyon"
    )
    assert "I don't know @nobody" in error(
        pair, f"/mentoring visit City mentors @nobody {DAY1} at Town hall", "lyon"
    )
    assert "A visit needs a place" in error(
        pair, f"/mentoring visit City mentors @lyon {DAY1} 10:00", "tunis"
    )
    assert "Name the side" in error(pair, "/mentoring visit City mentors", "tunis")
    assert "past" in error(
        pair, "/mentoring visit City mentors @lyon 2020-01-01 10:00 at X", "tunis"
    )
    assert meetings(pair) == before
    # a coordinator (here the admin who created it) schedules for the pair
    assert ok(pair, line)["visit"]["host"] == "lyon"
    assert meetings(pair) == before + 1


def test_unknown_programme_is_a_clear_error(pair: Bot) -> None:
    said = error(pair, f"/mentoring visit City mentorz @lyon {DAY1} at Town hall", "lyon")
    assert "city-mentors" in said  # the closest programme is suggested


def test_the_visits_ics_has_its_location(pair: Bot) -> None:
    made = ok(
        pair, f'/mentoring visit City mentors @lyon {DAY1} 10:00 at "Hôtel de Ville, Lyon"', "tunis"
    )
    ics = ok(pair, f"/session {made['session']['id']} ics", "tunis")["ics"]
    events = [c for c in Calendar.from_ical(str(ics)).walk() if c.name == "VEVENT"]
    assert str(events[0]["LOCATION"]) == "Hôtel de Ville, Lyon"
    assert "LOCATION:Hôtel de Ville\\, Lyon" in str(ics)


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=300)


@given(_TEXT)
def test_a_typed_organisation_is_one_line_of_text(typed: str) -> None:
    """Anything not starting with `@` names an organisation: kept as text, on one line, capped."""
    if typed.startswith("@"):
        return
    side = visits.named_side(None, 0, typed)  # type: ignore[arg-type]  # no lookup for text
    assert side.member is None and side.organisation is not None
    assert "\n" not in side.organisation and len(side.organisation) <= 200
    assert side.organisation == " ".join(typed.split())[:200]


def test_a_pairs_visit_is_private_to_the_pair_and_the_coordinators(pair: Bot) -> None:
    """Pairs are private: a visit shows in `/sessions` and `/session ID` for the pair and the
    coordinators, never for another member, and never in the channel's digest."""
    made = ok(pair, f'/mentoring visit City mentors @lyon {DAY1} 10:00 at "Lyon"', "tunis")
    sid = made["session"]["id"]
    for who in ("lyon", "tunis", ADMIN):
        listed = ok(pair, "/sessions all --json", who)["sessions"]
        assert sid in [s["id"] for s in listed], who
    assert sid not in [s["id"] for s in ok(pair, "/sessions all --json", "carol")["sessions"]]
    assert "There is no session" in error(pair, f"/session {sid}", "carol")
    ok(pair, "/digest on")
    preview = ok(pair, "/digest preview --json")
    assert "Visit" not in str(preview)
