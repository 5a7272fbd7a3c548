"""A group's sessions (issue 18, group scope), on SQLite and PostgreSQL: `/schedule-session …
group:SLUG` by a focal point (and refused for other members), reminders reaching the group's
members, the post in the group's channel, `/sessions group:SLUG`, `/group SLUG` listing them, a
closed group's sessions hidden from outsiders, and bad input that writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import func, select

from cop_bot.core.clock import FixedClock
from cop_bot.core.errors import UsageError
from cop_bot.core.outbox import RecordingOutbox
from cop_bot.handlers.sessions.schedule import take_group
from cop_bot.platforms.console import render_for_console
from cop_bot.sessions.reminders import send_due_reminders
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import Meeting
from tests.conftest import Bot

ADMIN = "root-admin"
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
START = datetime(2027, 1, 12, 14, 0, tzinfo=UTC)
CALL = '/schedule-session "Housing call" 2027-01-12 14:00 tz UTC group: housing-wg'


def ok(bot: Bot, line: str, as_: str, channel: str | None = None) -> Any:
    result = bot.reply(line, as_=as_, channel=channel)
    assert result.ok, render_for_console(result)
    return result.data


def error(bot: Bot, line: str, as_: str) -> str:
    result = bot.reply(line, as_=as_)
    assert not result.ok, result
    return render_for_console(result)


def meetings(bot: Bot) -> int:
    with session_scope(bot.app.engine) as session:
        return int(session.exec(select(func.count()).select_from(Meeting)).one())


@pytest.fixture
def wg(bot: Bot, clock: FixedClock) -> Bot:
    """An open group tied to channel C-housing with focal point `fp` and member `bob`; `carol`
    and `dan` are outside it."""
    clock.set(NOW)
    for handle in ("fp", "bob", "carol", "dan"):
        assert bot.reply("/help", as_=handle).ok
    ok(bot, "/group create Housing WG kind: working-group channel", ADMIN, channel="C-housing")
    ok(bot, "/group join housing-wg", "bob")
    ok(bot, "/group join housing-wg", "fp")
    ok(bot, "/group focal housing-wg @fp", ADMIN)
    return bot


def test_a_focal_point_schedules_for_the_group_and_it_is_posted_in_its_channel(wg: Bot) -> None:
    made = ok(wg, CALL, "fp")["session"]
    assert made["group"] == "housing-wg" and made["channel"] == "C-housing"
    assert "posted in the group's channel, C-housing" in wg.send(
        CALL.replace("Housing", "Two"), as_="fp"
    )
    with session_scope(wg.app.engine) as session:
        row = session.get(Meeting, made["id"])
        assert row is not None and row.group_id is not None
    listed = ok(wg, "/sessions", "bob", channel="C-housing")["sessions"]
    assert made["id"] in [s["id"] for s in listed]


def test_others_may_not_schedule_for_the_group_and_nothing_is_written(wg: Bot) -> None:
    assert "focal points of housing-wg" in error(wg, CALL, "bob")  # a member, not a focal point
    assert "focal points of housing-wg" in error(wg, CALL, "carol")
    assert "Only facilitators and admins can use /schedule-session" in error(
        wg, '/schedule-session "Mine" 2027-01-12 14:00', "fp"
    )  # a focal point schedules only for their group
    ok(wg, "/group create Other group", ADMIN)
    ok(wg, "/group join other-group", "fp")
    assert "focal points of other-group" in error(
        wg, CALL.replace("housing-wg", "other-group"), "fp"
    )
    assert meetings(wg) == 0
    ok(wg, "/role grant @fran facilitator confirm", ADMIN)
    assert ok(wg, CALL, "fran")["session"]["group"] == "housing-wg"  # facilitators may


def test_an_unknown_group_or_a_missing_slug_writes_nothing(wg: Bot) -> None:
    assert "There is no group 'housing-w'" in error(
        wg, CALL.replace("housing-wg", "housing-w"), "fp"
    )
    assert "Did you mean housing-wg" in error(wg, CALL.replace("housing-wg", "housing-w"), ADMIN)
    assert "group's slug" in error(wg, '/schedule-session "X" 2027-01-12 14:00 group:', ADMIN)
    assert "given twice" in error(wg, CALL + " group: housing-wg", ADMIN)
    assert "There is no group" in error(wg, "/sessions group:nope", "bob")
    assert "Name the group" in error(wg, "/sessions group:", "bob")
    assert meetings(wg) == 0


def test_group_stays_out_of_when_and_the_place(wg: Bot) -> None:
    line = (
        '/schedule-session "Visit" group:housing-wg 2027-01-12 14:00 tz UTC '
        'at "Town hall, Lyon" kind: visit'
    )
    made = ok(wg, line, "fp")["session"]
    assert made["location"] == "Town hall, Lyon" and made["starts_at"] == "2027-01-12T14:00:00Z"
    assert made["group"] == "housing-wg"


def test_reminders_reach_the_groups_members_but_not_those_who_said_no(wg: Bot) -> None:
    sid = ok(wg, CALL, "fp")["session"]["id"]
    ok(wg, f"/rsvp {sid} no", "bob")
    ok(wg, f"/rsvp {sid} yes", "dan")  # an outsider who answered yes is reminded too
    outbox = RecordingOutbox()
    report = send_due_reminders(wg.app.engine, outbox, START - timedelta(hours=24))
    assert sorted(d.to.handle for d in outbox.directs) == ["dan", "fp"]
    assert report.messages == 2
    ok(wg, f"/rsvp {sid} yes", "bob")
    send_due_reminders(wg.app.engine, outbox, START - timedelta(minutes=15))
    assert sorted(d.to.handle for d in outbox.directs[2:]) == ["bob", "dan", "fp"]
    send_due_reminders(wg.app.engine, outbox, START)
    (post,) = outbox.posted
    assert post.conversation.channel_id == "C-housing"
    assert "Starting now" in "\n".join(str(b) for b in post.reply.blocks)


def test_sessions_group_and_group_show_list_the_groups_sessions(wg: Bot) -> None:
    sid = ok(wg, CALL, "fp")["session"]["id"]
    ok(wg, '/schedule-session "Unrelated" 2027-01-13 14:00 tz UTC', ADMIN)
    listed = ok(wg, "/sessions group:Housing-WG", "carol")
    assert listed["group"] == "housing-wg" and [s["id"] for s in listed["sessions"]] == [sid]
    assert "Sessions of Housing WG" in wg.send("/sessions group: housing-wg", as_="carol")
    shown = ok(wg, "/group housing-wg", "carol")["group"]
    assert [s["id"] for s in shown["sessions"]] == [sid]
    assert shown["sessions"][0]["starts_at"] == "2027-01-12T14:00:00Z"
    assert "Housing call" in wg.send("/group housing-wg", as_="carol")


def test_a_closed_groups_sessions_are_hidden_from_outsiders(wg: Bot) -> None:
    ok(wg, "/group create Secret circle closed", ADMIN)
    ok(wg, "/group add secret-circle @bob", ADMIN)
    ok(wg, "/group focal secret-circle @bob", ADMIN)
    secret = '/schedule-session "Circle meeting" 2027-01-12 16:00 tz UTC group: secret-circle'
    sid = ok(wg, secret, "bob")["session"]["id"]
    assert "closed group" in error(wg, "/sessions group:secret-circle", "carol")
    assert sid not in [s["id"] for s in ok(wg, "/sessions all", "carol")["sessions"]]
    assert sid not in [s["id"] for s in ok(wg, "/sessions", "carol")["sessions"]]
    assert f"There is no session #{sid}" in error(wg, f"/session {sid}", "carol")
    assert f"There is no session #{sid}" in error(wg, f"/rsvp {sid} yes", "carol")
    assert ok(wg, "/group secret-circle", "carol")["group"]["sessions"] is None
    assert "Circle meeting" not in wg.send("/group secret-circle", as_="carol")
    # its members and admins see them
    assert [s["id"] for s in ok(wg, "/sessions group:secret-circle", "bob")["sessions"]] == [sid]
    assert sid in [s["id"] for s in ok(wg, "/sessions all", ADMIN)["sessions"]]
    assert ok(wg, f"/session {sid}", ADMIN)["session"]["id"] == sid
    assert [s["id"] for s in ok(wg, "/group secret-circle", "bob")["group"]["sessions"]] == [sid]


def test_a_closed_groups_sessions_stay_out_of_other_channels_digests(wg: Bot) -> None:
    from cop_bot.digests.build import upcoming_sessions
    from cop_bot.storage.models import Community

    ok(wg, "/group create Secret circle closed channel", ADMIN, channel="C-secret")
    ok(wg, '/schedule-session "Circle" 2027-01-12 16:00 tz UTC group: secret-circle', ADMIN)
    ok(wg, CALL, "fp")
    with session_scope(wg.app.engine) as session:
        community = session.exec(select(Community)).one()

        def titles(channel: str) -> list[str]:
            found = upcoming_sessions(session, community, channel, NOW, "UTC", [])
            return sorted(r["title"] for r in found)

        assert titles("C-elsewhere") == ["Housing call"]
        assert titles("C-secret") == ["Circle", "Housing call"]


_WORD = st.text(st.characters(blacklist_categories=("Cs", "Zs", "Cc")), min_size=1, max_size=12)


@given(st.lists(_WORD, max_size=8), st.text("abcdefghij-", min_size=1, max_size=20), st.booleans())
def test_take_group_finds_the_slug_wherever_it_is(words: list[str], slug: str, glued: bool) -> None:
    plain = [w for w in words if not w.lower().startswith("group:")]
    typed = [f"group:{slug}"] if glued else ["group:", slug]
    for at in (0, len(plain) // 2, len(plain)):
        rest, found = take_group(plain[:at] + typed + plain[at:])
        assert found == slug and rest == plain


@given(st.lists(_WORD, max_size=8))
def test_take_group_gives_a_usage_error_or_the_words(words: list[str]) -> None:
    try:
        rest, found = take_group(words)
    except UsageError:
        return
    if found is None:
        assert rest == words
    else:
        assert len(rest) < len(words)
