"""Community sessions through the whole stack, on SQLite and PostgreSQL: scheduling in zones,
DST, recurrence, RSVP and the waiting list, cancel/move notices, agenda, .ics, privacy."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from icalendar import Calendar
from sqlmodel import select

from cop_bot.capabilities import privacy_sections
from cop_bot.core.model import Status
from cop_bot.core.privacy import export_member
from cop_bot.sessions import calendar
from cop_bot.storage import repos
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import MeetingRsvp, Member
from tests.conftest import Bot

SERIES = (
    '/schedule-session "Labour market CoP" 2027-01-12 15:00 for 90m every 2 weeks '
    "tz Europe/Rome link https://meet.example.org/abc"
)


@pytest.fixture
def cop(bot: Bot) -> Bot:
    """A facilitator in Rome, members in New York and Nairobi, the community in Brussels."""
    assert bot.reply("/settings timezone: Europe/Brussels", as_="root-admin").ok
    assert bot.reply("/role grant @fabia facilitator confirm", as_="root-admin").ok
    for handle, zone in (("fabia", "Europe/Rome"), ("nyc", "America/New_York")):
        assert bot.reply(f"/profile set timezone: {zone}", as_=handle).ok
    assert bot.reply("/profile set timezone: Africa/Nairobi", as_="wanjiru").ok
    return bot


def schedule(bot: Bot, text: str, as_: str = "fabia") -> dict:  # type: ignore[type-arg]
    result = bot.reply(text, as_=as_)
    assert result.ok, bot.send(text, as_=as_)
    return dict(result.data["session"])


def test_schedule_json_shape_and_zone_statement(cop: Bot) -> None:
    result = cop.reply(SERIES, as_="fabia")
    assert result.ok and result.visibility == "channel"
    assert result.data["session"] == {
        "id": 1,
        "title": "Labour market CoP",
        "starts_at": "2027-01-12T14:00:00Z",
        "duration_minutes": 90,
        "timezone": "Europe/Rome",
        "recurrence": "FREQ=WEEKLY;INTERVAL=2",
        "link": "https://meet.example.org/abc",
        "channel": "console",
    }
    text = cop.send('/schedule-session "Clinic" 2027-01-13 10:00', as_="fabia")
    assert "Europe/Rome (your profile's)" in text and "09:00 UTC" in text
    text = cop.send('/schedule-session "Clinic" 2027-01-13 10:00', as_="root-admin")
    assert "Europe/Brussels (the community's)" in text
    shown = cop.send(SERIES, as_="fabia")
    assert "15:00 CET" in shown and "14:00 UTC" in shown and "Tue 26 Jan 2027" in shown


def test_a_one_off_session_shows_one_time_and_a_series_its_first_and_next(cop: Bot) -> None:
    one_off = schedule(cop, '/schedule-session "Clinic" 2027-01-13 10:00')
    text = cop.send(f"/session {one_off['id']}", as_="fabia")
    assert text.count("Wed 13 Jan 2027, 10:00 CET") == 1, text
    assert "When: Wed 13 Jan 2027" in text and "Next:" not in text and "First:" not in text
    series = schedule(cop, SERIES)
    text = cop.send(f"/session {series['id']}", as_="fabia")
    assert "First: Tue 12 Jan 2027, 15:00 CET" in text and "When:" not in text
    assert "Next: Tue 12 Jan 2027, 15:00 CET" in text


def test_only_facilitators_and_admins_schedule(cop: Bot) -> None:
    result = cop.reply('/schedule-session "Mine" tomorrow 15:00', as_="nyc")
    assert result.status is Status.USER_ERROR and result.data["error"]["code"] == "permission"
    text = cop.send('/schedule-session "Mine" tomorrow 15:00', as_="nyc")
    assert "facilitators and admins" in text and "@root-admin" in text
    assert "/role grant nyc facilitator" in text
    schedule(cop, '/schedule-session "Ok" tomorrow 15:00', as_="fabia")
    assert cop.reply("/session cancel 1 no", as_="nyc").data["error"]["code"] == "permission"


@pytest.mark.parametrize(
    ("when", "says"),
    [
        ("2026-11-01 10:00", "in the past"),
        ("2027-03-28 02:30 tz Europe/Rome", "does not exist in Europe/Rome"),
        ("2027-01-12 15:00 tz Mars/Olympus", "not a time zone"),
        ("whenever", "could not read"),
        ("2027-01-12 15:00 every fortnight", "repetition"),
        ("2027-01-12 15:00 link javascript:alert(1)", "not a web link"),
    ],
)
def test_bad_times_are_refused_with_a_reason(cop: Bot, when: str, says: str) -> None:
    result = cop.reply(f'/schedule-session "X" {when}', as_="fabia")
    assert result.status is Status.USER_ERROR
    assert says in cop.send(f'/schedule-session "X" {when}', as_="fabia")


def test_overlap_resolves_to_first_occurrence_and_says_so(cop: Bot, clock) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2026, 10, 1, 9, 0, tzinfo=UTC))
    result = cop.reply('/schedule-session "Late" 2026-10-25 02:30 tz Europe/Rome', as_="fabia")
    assert result.ok
    assert result.data["session"]["starts_at"] == "2026-10-25T00:30:00Z"
    assert "happens twice" in cop.send("/session 1", as_="fabia") or result.data["notes"]
    assert "first one" in result.data["notes"][0]


def test_weekly_rome_series_stays_at_15_rome_for_everyone(cop: Bot, clock) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2027, 3, 10, 9, 0, tzinfo=UTC))
    schedule(cop, '/schedule-session "Weekly" 2027-03-16 15:00 every week', as_="fabia")
    rome = cop.reply("/sessions", as_="fabia").data["sessions"]
    assert [s["local_start"][11:16] for s in rome] == ["15:00"] * 4
    assert [s["starts_at"][11:16] for s in rome] == ["14:00", "14:00", "13:00", "13:00"]
    # New York changes on 14 March, Rome on 28 March: 10:00, 10:00, 09:00 would be wrong
    nyc = cop.reply("/sessions", as_="nyc").data["sessions"]
    assert [s["local_start"][11:16] for s in nyc] == ["10:00", "10:00", "09:00", "09:00"]
    nairobi = cop.send("/sessions", as_="wanjiru")
    assert "17:00 EAT" in nairobi and "16:00 EAT" in nairobi and "Africa/Nairobi" in nairobi


def test_southern_hemisphere_series(cop: Bot, clock) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2027, 3, 25, 9, 0, tzinfo=UTC))
    schedule(cop, '/schedule-session "Santiago" 2027-03-30 18:00 every week tz America/Santiago')
    rows = cop.reply("/sessions", as_="fabia").data["sessions"]
    # Chile leaves summer time on 4 April 2027: 21:00 UTC, then 22:00 UTC
    assert [r["starts_at"][11:16] for r in rows[:2]] == ["21:00", "22:00"]


def test_rsvp_capacity_and_waiting_list_moves_up(cop: Bot) -> None:
    schedule(cop, '/schedule-session "Small" tomorrow 15:00 capacity 2')
    assert not cop.reply("/rsvp 1 yes", as_="a1").data["rsvp"]["waitlisted"]
    assert not cop.reply("/rsvp 1 yes", as_="a2").data["rsvp"]["waitlisted"]
    third = cop.reply("/rsvp 1 yes", as_="a3")
    assert third.data["rsvp"]["waitlisted"] and "waiting list" in cop.send("/rsvp 1 yes", as_="a3")
    cop.reply("/rsvp 1 yes", as_="a4")
    assert cop.reply("/rsvp 1 yes", as_="a1").data["counts"] == {
        "yes": 2,
        "maybe": 0,
        "no": 0,
        "waiting": 2,
    }
    freed = cop.reply("/rsvp 1 no", as_="a2")  # one answer per member: replaced, not added
    assert freed.data["rsvp"]["previous"] == "yes"
    assert [n.to.handle for n in freed.notices] == ["a3"]  # longest waiting first
    assert "place opened up" in str(freed.notices[0].blocks)
    shown = cop.reply("/session 1", as_="a1").data["occurrence"]
    assert shown["attendees"]["yes"] == ["a1", "a3"] and shown["attendees"]["waiting"] == ["a4"]
    assert shown["counts"]["no"] == 1
    assert cop.reply("/rsvp 1 perhaps", as_="a1").status is Status.USER_ERROR


def test_withdraw_frees_a_seat_for_the_first_waiting_member(cop: Bot) -> None:
    schedule(cop, '/schedule-session "Small" tomorrow 15:00 capacity 1')
    cop.send("/rsvp 1 yes", as_="a1")
    cop.send("/rsvp 1 yes", as_="a2")  # waiting
    cop.send("/rsvp 1 yes", as_="a3")  # waiting
    done = cop.reply("/rsvp 1 withdraw", as_="a1")
    assert done.ok
    assert done.data["rsvp"]["withdrawn"] == "yes" and done.data["rsvp"]["answer"] is None
    assert done.data["counts"] == {"yes": 1, "maybe": 0, "no": 0, "waiting": 1}
    assert [n.to.handle for n in done.notices] == ["a2"]
    assert "place opened up" in str(done.notices[0].blocks)
    text = cop.send("/rsvp 1 withdraw", as_="a3")  # leaving the waiting list frees nothing
    assert (
        "yes (waiting list)" in text and "withdrawn" in text and "1 yes, 0 maybe, 0 waiting" in text
    )
    assert cop.reply("/rsvp 1 cancel", as_="a3").data["rsvp"]["withdrawn"] is None
    shown = cop.reply("/session 1", as_="a1").data["occurrence"]
    assert shown["attendees"] == {"yes": ["a2"], "maybe": [], "waiting": [], "no": []}
    assert cop.reply("/rsvp 1 yes", as_="a1").data["rsvp"]["waitlisted"]  # a new answer queues


def test_withdraw_without_an_answer_says_so(cop: Bot) -> None:
    schedule(cop, '/schedule-session "Clinic" tomorrow 15:00')
    result = cop.reply("/rsvp 1 withdraw", as_="nyc")
    assert result.ok and result.data["rsvp"]["previous"] is None and not result.notices
    assert "nothing to withdraw" in cop.send("/rsvp 1 none", as_="nyc")


def test_withdraw_only_if_still_that_answer(cop: Bot) -> None:
    """What removing a Matrix reaction runs: ✅, then ❌, then removing ✅ keeps no."""
    schedule(cop, '/schedule-session "Clinic" tomorrow 15:00')
    cop.send("/rsvp 1 yes", as_="nyc")
    cop.send("/rsvp 1 no", as_="nyc")
    kept = cop.reply("/rsvp 1 withdraw yes", as_="nyc")
    assert kept.ok and kept.data["rsvp"]["withdrawn"] is None
    assert kept.data["rsvp"]["answer"] == "no" and "stays" in cop.send(
        "/rsvp 1 withdraw yes", as_="nyc"
    )
    assert cop.reply("/rsvp 1 withdraw no", as_="nyc").data["rsvp"]["withdrawn"] == "no"
    assert cop.reply("/session 1", as_="nyc").data["occurrence"]["counts"]["no"] == 0


def test_withdraw_one_occurrence_of_a_series(cop: Bot) -> None:
    schedule(cop, SERIES)
    cop.send("/rsvp 1 yes", as_="nyc")
    cop.send("/rsvp 1 maybe date:2027-01-26", as_="nyc")
    done = cop.reply("/rsvp 1 withdraw date:2027-01-26", as_="nyc")
    assert done.data["rsvp"]["occurrence"] == "2027-01-26T14:00:00Z"
    assert done.data["rsvp"]["withdrawn"] == "maybe"
    assert cop.reply("/session 1", as_="nyc").data["occurrence"]["attendees"]["yes"] == ["nyc"]
    again = cop.reply("/rsvp 1 withdraw date:2027-01-26", as_="nyc")
    assert again.data["rsvp"]["previous"] is None
    assert cop.reply("/rsvp 1 withdraw date:2027-01-27", as_="nyc").status is Status.USER_ERROR


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("/rsvp 1 withdraw perhaps", "After withdraw give yes, no or maybe"),
        ("/rsvp 1 withdraw yes please", "at most yes, no or maybe"),
        ("/rsvp 1 withdraw date:soon", "date:YYYY-MM-DD"),
        ("/rsvp x withdraw", "session"),
        ("/rsvp withdraw", "yes, no, maybe or withdraw"),
        ("/rsvp 99 withdraw", "no session #99"),
        ("/rsvp 1 <!channel> withdraw", "yes, no, maybe or withdraw"),
    ],
)
def test_withdraw_hostile_input_gives_usage(cop: Bot, line: str, says: str) -> None:
    schedule(cop, '/schedule-session "Clinic" tomorrow 15:00')
    result = cop.reply(line, as_="nyc")
    assert result.status is Status.USER_ERROR, line
    assert says.lower() in cop.send(line, as_="nyc").lower()


def test_rsvp_is_per_occurrence_of_a_series(cop: Bot) -> None:
    schedule(cop, SERIES)
    assert cop.reply("/rsvp 1 yes", as_="nyc").data["rsvp"]["occurrence"] == "2027-01-12T14:00:00Z"
    later = cop.reply("/rsvp 1 no date:2027-01-26", as_="wanjiru")
    assert later.data["rsvp"]["occurrence"] == "2027-01-26T14:00:00Z"
    assert cop.reply("/rsvp 1 yes date:2027-01-27", as_="nyc").status is Status.USER_ERROR
    listed = cop.reply("/sessions all", as_="nyc")
    assert listed.ok  # the series starts after the 30-day window
    assert listed.data["sessions"] == []


def test_cancel_and_move_notify_yes_and_maybe_only(cop: Bot) -> None:
    schedule(cop, '/schedule-session "Clinic" 2027-01-13 10:00')
    cop.send("/rsvp 1 yes", as_="nyc")
    cop.send("/rsvp 1 maybe", as_="wanjiru")
    cop.send("/rsvp 1 no", as_="carlos")
    moved = cop.reply("/session move 1 2027-01-14 11:00", as_="fabia")
    assert moved.ok and moved.visibility == "channel"
    assert sorted(n.to.handle for n in moved.notices) == ["nyc", "wanjiru"]
    to_nyc = next(n for n in moved.notices if n.to.handle == "nyc")
    assert "Thu 14 Jan 2027, 05:00 EST" in str(to_nyc.blocks)  # 11:00 Rome in New York
    # answers moved with the session
    assert cop.reply("/session 1", as_="nyc").data["occurrence"]["attendees"]["yes"] == ["nyc"]
    cancelled = cop.reply("/session cancel 1 The speaker is ill", as_="fabia")
    assert sorted(n.to.handle for n in cancelled.notices) == ["nyc", "wanjiru"]
    assert "The speaker is ill" in str(cancelled.notices[0].blocks)
    assert cop.reply("/sessions", as_="nyc").data["sessions"] == []
    assert cop.reply("/rsvp 1 yes", as_="nyc").status is Status.USER_ERROR


def test_series_needs_occurrence_or_series_and_occurrence_changes_stay_local(
    cop: Bot, clock
) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2027, 1, 1, 9, 0, tzinfo=UTC))
    schedule(cop, SERIES)
    assert cop.reply("/session cancel 1", as_="fabia").status is Status.USER_ERROR
    cop.send("/rsvp 1 yes", as_="nyc")
    cop.send("/rsvp 1 yes date:2027-01-26", as_="wanjiru")
    done = cop.reply("/session cancel 1 occurrence date:2027-01-26 Holiday", as_="fabia")
    assert [n.to.handle for n in done.notices] == ["wanjiru"]
    moved = cop.reply("/session move 1 occurrence 2027-01-13 16:00", as_="fabia")
    assert [n.to.handle for n in moved.notices] == ["nyc"]
    starts = [s["starts_at"] for s in cop.reply("/sessions", as_="nyc").data["sessions"]]
    assert starts == ["2027-01-13T15:00:00Z"]  # the 12th moved to the 13th, the 26th cancelled
    # the whole series moves by a day: answers follow their occurrence
    cop.send("/session move 1 series 2027-02-10 15:00", as_="fabia")
    shown = cop.reply("/session 1", as_="fabia").data
    assert shown["session"]["starts_at"] == "2027-02-10T14:00:00Z"


def test_ics_is_valid_stable_and_tracks_changes(cop: Bot, clock) -> None:  # type: ignore[no-untyped-def]
    schedule(cop, SERIES)
    first = cop.reply("/session 1 ics", as_="nyc").data["ics"]
    cal = Calendar.from_ical(first)
    (event,) = cal.walk("VEVENT")
    assert event["SUMMARY"] == "Labour market CoP"
    assert event.decoded("DTSTART") == datetime(2027, 1, 12, 14, 0, tzinfo=UTC)
    assert str(event.decoded("DTSTART").tzinfo) == "Europe/Rome"
    assert event["RRULE"].to_ical() == b"FREQ=WEEKLY;INTERVAL=2"
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Rome"]
    assert int(event["SEQUENCE"]) == 0
    uid = str(event["UID"])
    cop.send("/session cancel 1 occurrence date:2027-01-26 Holiday", as_="fabia")
    cop.send("/session move 1 occurrence date:2027-02-09 2027-02-10 15:00", as_="fabia")
    cal = Calendar.from_ical(cop.reply("/session 1 ics", as_="nyc").data["ics"])
    master, moved = cal.walk("VEVENT")
    assert str(master["UID"]) == str(moved["UID"]) == uid
    assert int(master["SEQUENCE"]) == 2
    exdates = [d.dt for d in master["EXDATE"].dts]
    assert exdates == [datetime(2027, 1, 26, 14, 0, tzinfo=UTC)]
    assert moved.decoded("RECURRENCE-ID") == datetime(2027, 2, 9, 14, 0, tzinfo=UTC)
    assert moved.decoded("DTSTART") == datetime(2027, 2, 10, 14, 0, tzinfo=UTC)
    cop.send("/session cancel 1 series End of the project", as_="fabia")
    cal = Calendar.from_ical(cop.reply("/session 1 ics", as_="nyc").data["ics"])
    assert cal.walk("VEVENT")[0]["STATUS"] == "CANCELLED"


def test_channel_feed_and_reset(cop: Bot) -> None:
    schedule(cop, SERIES)
    schedule(cop, '/schedule-session "Elsewhere" tomorrow 15:00', as_="fabia")
    cop.reply('/schedule-session "Other channel" tomorrow 16:00', as_="fabia", channel="other")
    feed = cop.reply("/sessions feed", as_="nyc").data["feed"]
    assert feed["path"].startswith("/calendar/") and feed["path"].endswith(".ics")
    token = feed["path"].removeprefix("/calendar/").removesuffix(".ics")
    assert len(token) >= 32
    assert cop.reply("/sessions feed", as_="wanjiru").data["feed"] == feed  # one per channel
    with session_scope(cop.app.engine) as session:
        text = calendar.feed_ics(session, token, cop.app.clock.now())
    assert text is not None
    titles = sorted(str(e["SUMMARY"]) for e in Calendar.from_ical(text).walk("VEVENT"))
    assert titles == ["Elsewhere", "Labour market CoP"]
    assert cop.reply("/sessions feed reset", as_="nyc").status is Status.USER_ERROR
    new = cop.reply("/sessions feed reset", as_="fabia").data["feed"]
    assert new["path"] != feed["path"]
    with session_scope(cop.app.engine) as session:
        assert calendar.feed_ics(session, token, cop.app.clock.now()) is None
        assert calendar.feed_ics(session, "nope", cop.app.clock.now()) is None


def test_agenda(cop: Bot) -> None:
    schedule(cop, '/schedule-session "Clinic" tomorrow 15:00')
    cop.send("/agenda 1 add Budget <!channel> questions", as_="nyc")
    result = cop.reply("/agenda 1 add Next steps", as_="wanjiru")
    assert [i["text"] for i in result.data["agenda"]["items"]] == [
        "Budget <!channel> questions",
        "Next steps",
    ]
    assert cop.reply("/agenda 1 add", as_="nyc").status is Status.USER_ERROR
    assert cop.reply("/agenda 9", as_="nyc").status is Status.USER_ERROR


def test_export_and_erasure_keep_counts_anonymous(cop: Bot) -> None:
    schedule(cop, '/schedule-session "Clinic" tomorrow 15:00 capacity 1')
    cop.send("/rsvp 1 yes", as_="nyc")
    cop.send("/rsvp 1 yes", as_="wanjiru")  # waiting
    cop.send("/agenda 1 add Visa questions", as_="nyc")
    exported = cop.reply("/profile export", as_="nyc").data
    sessions = exported["export"]["sessions"] if "export" in exported else exported["sessions"]
    assert sessions["rsvps"][0]["answer"] == "yes" and sessions["rsvps"][0]["title"] == "Clinic"
    assert sessions["agenda_items"][0]["text"] == "Visa questions"
    with session_scope(cop.app.engine) as session:
        fabia = repos.find_member(session, 1, "fabia")
        assert fabia is not None
        assert (
            export_member(session, fabia, privacy_sections())["sessions"]["hosted"][0]["title"]
            == "Clinic"
        )
        counts = repos.contribution_counts(session, 1)
        assert counts[fabia.id or 0] >= 1
    assert cop.reply("/profile delete confirm", as_="nyc").ok
    shown = cop.reply("/session 1", as_="fabia").data["occurrence"]
    assert shown["counts"]["yes"] == 1 and shown["attendees"]["yes"] == []
    assert shown["attendees"]["waiting"] == ["wanjiru"]  # the place is still taken
    with session_scope(cop.app.engine) as session:
        rows = session.exec(select(MeetingRsvp)).all()
        assert len(rows) == 2 and any(r.member_id is None for r in rows)
        assert session.exec(select(Member).where(Member.handle == "nyc")).first() is None
    agenda = cop.reply("/agenda 1", as_="fabia")
    assert agenda.data["agenda"]["items"][0]["by"] is None
    assert "a former member" in cop.send("/agenda 1", as_="fabia")


def test_arbitrary_arguments_never_crash(cop: Bot) -> None:
    schedule(cop, SERIES)
    for line in (
        '/schedule-session "',
        '/schedule-session ""',
        '/schedule-session "x" in 99999 days at 10:00',
        '/schedule-session "x" tomorrow 10:00 for 0m',
        '/schedule-session "x" tomorrow 10:00 capacity -1',
        '/schedule-session "x" tomorrow 10:00 tz tz',
        "/session move 1 series",
        "/session move 1 series yesterday 10:00",
        "/session 1 date:2030-01-01",
        "/session 99999999999",
        "/rsvp 1 yes date:banana",
        "/agenda x",
        "/sessions nonsense",
    ):
        result = cop.reply(line, as_="fabia")
        assert result.status is not Status.INTERNAL_ERROR, line


def test_feed_address_uses_the_public_url(app, clock) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from cop_bot.core.router import Router
    from cop_bot.platforms.console import ConsoleChat

    settings = replace(app.settings, public_url="https://bot.example.org/")
    router = Router(app.engine, app.router.registry, settings, app.taxonomy, clock)
    result = ConsoleChat(router, handle="root-admin").invoke("/sessions feed")
    assert result is not None and result.ok
    assert "webcal://bot.example.org/calendar/" in str(result.blocks)
