"""`/schedule-session … with @handle [@handle…]` (issue 18, introductions), on SQLite and
PostgreSQL: the parser (hypothesis), invitees stored and reminded unless they said no, a member
scheduling a session with their mentoring pair, and an unknown handle writing nothing."""

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
from cop_bot.platforms.console import render_for_console
from cop_bot.sessions.invitees import MAX_INVITEES, take_with
from cop_bot.sessions.reminders import send_due_reminders
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import Meeting, MeetingInvitee
from tests.conftest import Bot

ADMIN = "root-admin"
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
START = datetime(2027, 1, 12, 14, 0, tzinfo=UTC)
CALL = '/schedule-session "First talk" 2027-01-12 14:00 tz UTC'


def ok(bot: Bot, line: str, as_: str) -> Any:
    result = bot.reply(line, as_=as_)
    assert result.ok, render_for_console(result)
    return result.data


def error(bot: Bot, line: str, as_: str) -> str:
    result = bot.reply(line, as_=as_)
    assert not result.ok, result
    return render_for_console(result)


def count(bot: Bot, table: type) -> int:
    with session_scope(bot.app.engine) as session:
        return int(session.exec(select(func.count()).select_from(table)).one())


@pytest.fixture
def members(bot: Bot, clock: FixedClock) -> Bot:
    clock.set(NOW)
    for handle in ("amina", "luca", "sofia"):
        assert bot.reply("/help", as_=handle).ok
    return bot


def test_a_member_schedules_with_their_pair_and_the_pair_is_reminded(members: Bot) -> None:
    result = members.reply(CALL + " with @luca", as_="amina")  # not a facilitator
    assert result.ok, render_for_console(result)
    made = result.data["session"]
    (invitation,) = result.notices  # told at once, with the answer buttons
    assert invitation.to.handle == "luca" and "invited you to session" in str(invitation.blocks)
    assert f"/rsvp {made['id']} yes" in str(invitation.blocks)
    assert made["invitees"] == ["luca"] and made["starts_at"] == "2027-01-12T14:00:00Z"
    assert "Invited, and reminded of it: @luca" in members.send(
        CALL.replace("First", "Second") + " with @amina @luca", as_="amina"
    )  # the introduction's `with @a @b`: the host is left out, coming anyway
    outbox = RecordingOutbox()
    send_due_reminders(members.app.engine, outbox, START - timedelta(hours=24))
    assert sorted(d.to.handle for d in outbox.directs) == ["luca", "luca"]
    ok(members, f"/rsvp {made['id']} no", "luca")  # who says no is not reminded
    outbox = RecordingOutbox()
    send_due_reminders(members.app.engine, outbox, START - timedelta(minutes=15))
    assert [d.to.handle for d in outbox.directs] == ["luca"]  # of the second only


def test_with_stays_out_of_when_title_and_place(members: Bot) -> None:
    line = (
        '/schedule-session "Coffee with Luca" with @luca, @sofia 2027-01-12 14:00 tz UTC '
        'at "Café with a view, Lyon"'
    )
    made = ok(members, line, ADMIN)["session"]
    assert made["title"] == "Coffee with Luca" and made["location"] == "Café with a view, Lyon"
    assert made["invitees"] == ["luca", "sofia"]


def test_an_unknown_handle_or_a_bad_with_writes_nothing(members: Bot) -> None:
    said = error(members, CALL + " with @luka", "amina")
    assert "There is no member @luka" in said and "Did you mean @luca?" in said
    assert "given twice" in error(members, CALL + " with @luca with @sofia", ADMIN)
    assert "everyone in the room" in error(members, CALL + " with @room", ADMIN)
    # without anyone else, `with` gives a member no right to schedule
    assert "Only facilitators and admins" in error(members, CALL + " with @amina", "amina")
    assert "Only facilitators and admins" in error(members, CALL, "amina")
    assert count(members, Meeting) == 0 and count(members, MeetingInvitee) == 0


def test_an_unknown_handle_in_french_says_so_in_french(members: Bot) -> None:
    ok(members, "/profile set language: fr", "amina")
    assert "Il n'y a pas de membre @luka" in error(members, CALL + " with @luka", "amina")


HANDLE = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,15}", fullmatch=True).filter(
    lambda h: h not in {"room", "channel", "here", "everyone"}
)
WORD = st.from_regex(r"[A-Za-z0-9:\"-]{1,10}", fullmatch=True)


@given(
    before=st.lists(WORD, max_size=5),
    handles=st.lists(HANDLE, min_size=1, max_size=8),
    after=st.lists(WORD, max_size=5),
    commas=st.booleans(),
)
def test_take_with_finds_every_handle_and_keeps_the_other_words(
    before: list[str], handles: list[str], after: list[str], commas: bool
) -> None:
    typed = [f"@{h}," if commas else f"@{h}" for h in handles]
    rest, found = take_with([*before, "with", *typed, *after])
    assert rest == [*before, *after]
    assert found == list(dict.fromkeys(h.lower() for h in handles))


@given(words=st.lists(st.text(max_size=12), max_size=12))
def test_take_with_never_fails_unexpectedly(words: list[str]) -> None:
    try:
        rest, found = take_with(words)
    except UsageError:
        return
    assert len(rest) <= len(words)
    assert all(any(h in w.lower() for w in words) for h in found)  # only what was typed
    if not found:
        assert rest == words  # nothing taken without a handle


def test_take_with_leaves_a_plain_with_alone_and_caps_the_list() -> None:
    assert take_with(["with", "garden"]) == (["with", "garden"], [])
    assert take_with(["tea", "with"]) == (["tea", "with"], [])
    with pytest.raises(UsageError):
        take_with(["with", *(f"@m{i}" for i in range(MAX_INVITEES + 1))])
