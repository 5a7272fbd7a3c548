""".ics files and feeds against hostile text (issue 21, defect 9): a community name with a line
break, a session title with bidi and zero-width characters, iCalendar's own special characters.
Whatever the text, the file parses back to exactly the sessions there are, over HTTP too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar
from sqlmodel import select

from cop_bot.app import App
from cop_bot.core.model import Status
from cop_bot.platforms import http
from cop_bot.render.text import clean
from cop_bot.sessions import calendar
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import Community, Meeting
from tests.conftest import Bot

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
INJECTION = "Network\r\nBEGIN:VEVENT\r\nSUMMARY:Free visas\r\nEND:VEVENT"
INVISIBLE = "\u202e\u200b\u009b\u2066"


@pytest.fixture
async def server(app: App) -> AsyncIterator[http.Server]:
    started = await http.start(http.web_app(app, "console"), "127.0.0.1", 0)
    try:
        yield started
    finally:
        await started.stop()


def _feed(bot: Bot) -> str:
    assert bot.reply('/schedule-session "Clinic" tomorrow 15:00', as_="root-admin").ok
    path: str = bot.reply("/sessions feed", as_="root-admin").data["feed"]["path"]
    return path


def _rename(bot: Bot, name: str) -> None:
    """As a name can still arrive from outside `/settings` (a Slack workspace's name, a row
    written before names were checked)."""
    with session_scope(bot.app.engine) as session:
        community = session.exec(select(Community)).one()
        community.name = name
        session.add(community)


def _events(text: str) -> list[str]:
    return [str(e["summary"]) for e in Calendar.from_ical(text).walk("VEVENT")]


def test_settings_refuse_a_name_of_more_than_one_line(admin_bot: Bot) -> None:
    before = admin_bot.reply("/settings").data["settings"]["name"]
    for name in ("Network\nof cities", "Network\u2028of cities", "Network\rof cities"):
        answer = admin_bot.reply(f"/settings name: {name}")
        assert answer.status is Status.USER_ERROR, name
        assert "single line" in answer.data["error"]["message"]
    assert admin_bot.reply("/settings").data["settings"]["name"] == before
    assert admin_bot.reply("/settings name: Migrant Integration Network").ok


async def test_a_name_with_line_breaks_cannot_break_or_inject_into_the_feed(
    bot: Bot, server: http.Server
) -> None:
    path = _feed(bot)
    _rename(bot, INJECTION)
    async with aiohttp.ClientSession() as client, client.get(f"{server.url}{path}") as response:
        assert response.status == 200
        body = await response.text()
    assert _events(body) == ["Clinic"]  # no injected VEVENT
    for line in body.split("\r\n"):
        assert "\n" not in line and "\r" not in line
    name = next(line for line in body.split("\r\n") if line.startswith("X-WR-CALNAME:"))
    assert name.startswith("X-WR-CALNAME:Network\\nBEGIN:VEVENT\\nSUMMARY:Free visas")


def test_invisible_and_bidi_characters_are_cleaned_from_ics(bot: Bot) -> None:
    title = f"Clinic {INVISIBLE}reversed"
    assert bot.reply(f'/schedule-session "{title}" tomorrow 15:00', as_="root-admin").ok
    ics = bot.reply("/session 1 ics").data["ics"]
    assert _events(ics) == ["Clinic reversed"]
    assert not any(c in ics for c in INVISIBLE)


def test_ics_special_characters_are_escaped_and_read_back(bot: Bot) -> None:
    title = "Housing; rent, deposits \\ guarantees"
    assert bot.reply(f'/schedule-session "{title}" tomorrow 15:00', as_="root-admin").ok
    ics = bot.reply("/session 1 ics").data["ics"]
    assert "SUMMARY:Housing\\; rent\\, deposits \\\\ guarantees" in ics
    assert _events(ics) == [title]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.text(max_size=80), title=st.text(min_size=1, max_size=80))
def test_any_text_gives_a_calendar_that_parses_to_the_sessions_there_are(
    name: str, title: str
) -> None:
    community = Community(id=1, platform="slack", external_id="T0,;\n", name=name, created_at=NOW)
    meeting = Meeting(
        id=7,
        community_id=1,
        channel_id="C1",
        title=title,
        starts_at=NOW,
        timezone="Europe/Rome",
        link="https://meet.example.org/a,b;c",
        cancel_reason=title,
        created_at=NOW,
        updated_at=NOW,
    )
    text = calendar.build_calendar([(meeting, [])], community, NOW, name=name)
    for line in text.split("\r\n"):
        assert "\n" not in line and "\r" not in line
    cal = Calendar.from_ical(text)
    (event,) = cal.walk("VEVENT")
    assert str(event["summary"]) == clean(title).replace("\r", "")
    assert str(event["description"]) == clean(title).replace("\r", "")
    assert str(event["location"]) == "https://meet.example.org/a,b;c"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.text(max_size=40))
def test_any_name_is_stored_as_one_line_or_refused_with_a_reason(admin_bot: Bot, name: str) -> None:
    answer = admin_bot.reply(f"/settings name: {name}")
    assert answer.status is not Status.INTERNAL_ERROR
    stored = admin_bot.reply("/settings").data["settings"]["name"]
    assert len(stored.splitlines()) <= 1
    if answer.status is Status.USER_ERROR:
        assert answer.data["error"]["message"]
