"""A group's focal points (issue 18): they move and cancel their group's sessions and curate
(approve, reject) the practices its members share, and are refused outside their group."""

from __future__ import annotations

from sqlmodel import select

from cop_bot.core.clock import FixedClock
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import Meeting, Practice
from tests.conftest import Bot
from tests.test_group_sessions import ADMIN, CALL, NOW, error, ok

SUMMARY = "summary: How our team welcomes new arrivals every week, step by step; domains: housing"


def setup_groups(bot: Bot, clock: FixedClock) -> None:
    """Group housing-wg (focal point `fp`, member `bob`) and group other-wg (member `dan`)."""
    clock.set(NOW)
    for handle in ("fp", "bob", "carol", "dan"):
        assert bot.reply("/help", as_=handle).ok
    ok(bot, "/group create Housing WG kind: working-group", ADMIN)
    ok(bot, "/group create Other WG kind: working-group", ADMIN)
    for handle in ("fp", "bob"):
        ok(bot, "/group join housing-wg", handle)
    ok(bot, "/group join other-wg", "dan")
    ok(bot, "/group focal housing-wg @fp", ADMIN)


def status(bot: Bot, meeting_id: int) -> str:
    with session_scope(bot.app.engine) as session:
        meeting = session.get(Meeting, meeting_id)
        assert meeting is not None
        return meeting.status


def test_a_focal_point_moves_and_cancels_their_groups_sessions(bot: Bot, clock: FixedClock) -> None:
    setup_groups(bot, clock)
    mine = ok(bot, CALL, "fp")["session"]["id"]
    theirs = ok(bot, '/schedule-session "Other call" 2027-01-13 14:00 tz UTC', ADMIN)["session"]
    ok(bot, f"/session move {mine} 2027-01-14 15:00", "fp")
    ok(bot, f"/session cancel {mine} room not free", "fp")
    assert status(bot, mine) == "cancelled"
    # outside their group: refused, nothing written
    assert "facilitator" in error(bot, f"/session cancel {theirs['id']}", "fp").lower()
    assert status(bot, theirs["id"]) != "cancelled"
    # a plain member of the group has no such right
    again = ok(bot, CALL, "fp")["session"]["id"]
    assert "facilitator" in error(bot, f"/session cancel {again}", "bob").lower()
    assert status(bot, again) != "cancelled"


def practice_id(bot: Bot, title: str) -> int:
    with session_scope(bot.app.engine) as session:
        practice = session.exec(select(Practice).where(Practice.title == title)).one()
        assert practice.id is not None
        return practice.id


def practice_status(bot: Bot, pid: int) -> str:
    with session_scope(bot.app.engine) as session:
        practice = session.get(Practice, pid)
        assert practice is not None
        return practice.status


def test_a_focal_point_curates_practices_shared_in_their_group(bot: Bot, clock: FixedClock) -> None:
    setup_groups(bot, clock)
    ok(bot, f"/share-practice Welcome desks; {SUMMARY}", "bob")
    ok(bot, f"/share-practice Tenancy mediation; {SUMMARY}", "dan")
    ok(bot, f"/share-practice Shared flats; {SUMMARY}", "bob")
    ok(bot, f"/share-practice Own idea; {SUMMARY}", "fp")
    desks, mediation = practice_id(bot, "Welcome desks"), practice_id(bot, "Tenancy mediation")
    flats, own = practice_id(bot, "Shared flats"), practice_id(bot, "Own idea")
    assert practice_status(bot, desks) == "pending"
    # the focal point sees the pending practice with the review buttons, and approves it
    shown = bot.send(f"/practice {desks}", as_="fp")
    assert "Approve" in shown
    ok(bot, f"/practice approve {desks}", "fp")
    assert practice_status(bot, desks) == "approved"
    ok(bot, f"/practice reject {flats} Please add the results and a link", "fp")
    assert practice_status(bot, flats) == "rejected"
    # outside their group the practice stays hidden and unchanged
    assert "no practice" in error(bot, f"/practice approve {mediation}", "fp").lower()
    assert practice_status(bot, mediation) == "pending"
    # never their own practice
    assert "curator" in error(bot, f"/practice approve {own}", "fp").lower()
    assert practice_status(bot, own) == "pending"
    # a plain member of the group is refused, as before
    assert "curator" in error(bot, f"/practice approve {mediation}", "bob").lower()
    # a curator still reviews everything
    ok(bot, f"/practice approve {mediation}", ADMIN)
    assert practice_status(bot, mediation) == "approved"
