"""In-person sessions, visits and multi-day sessions (issue 18), on SQLite and PostgreSQL: the
place in replies, reminders, digests and the `.ics` LOCATION (hostile text stays text), the
OpenStreetMap link, two-day sessions across a DST change, `--json`, and bad input that writes
nothing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from icalendar import Calendar
from sqlmodel import func, select

from cop_bot.core import i18n
from cop_bot.core.errors import UsageError
from cop_bot.core.model import Status
from cop_bot.core.outbox import RecordingOutbox
from cop_bot.core.times import join_am_pm, parse_clock_time, show_days
from cop_bot.handlers.sessions.schedule import KEYWORDS, _segments
from cop_bot.render.slack import render_blocks
from cop_bot.render.text import clean
from cop_bot.sessions import places
from cop_bot.sessions.reminders import due_reminders, send_due_reminders
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import Meeting
from tests.conftest import Bot

VISIT = (
    '/schedule-session "Study visit: reception centres" 2027-03-27 09:00 for 2 days '
    'tz Europe/Rome at "Palazzo Marino, Piazza della Scala 2, Milan" host: City of Milan '
    "kind: visit"
)
PLACE = "Palazzo Marino, Piazza della Scala 2, Milan"
HOSTILE = 'Hall A, "Room 1"; @channel\nBEGIN:VEVENT\\nSUMMARY:Free visas <!here>'


@pytest.fixture
def cop(bot: Bot) -> Bot:
    """A facilitator in Rome, a member in New York; the clock a week before the visit."""
    assert bot.reply("/role grant @fabia facilitator confirm", as_="root-admin").ok
    assert bot.reply("/profile set timezone: Europe/Rome", as_="fabia").ok
    assert bot.reply("/profile set timezone: America/New_York", as_="nyc").ok
    return bot


def _meetings(bot: Bot) -> int:
    with session_scope(bot.app.engine) as session:
        return int(session.exec(select(func.count()).select_from(Meeting)).one())


def _ics(bot: Bot, sid: int, as_: str = "fabia") -> tuple[str, Calendar]:
    result = bot.reply(f"/session {sid} ics", as_=as_)
    assert result.ok, result
    text = str(result.data["ics"])
    return text, Calendar.from_ical(text)


def _event(cal: Calendar):  # type: ignore[no-untyped-def]
    events = [c for c in cal.walk() if c.name == "VEVENT"]
    assert len(events) == 1
    return events[0]


def test_the_place_host_and_kind_in_the_reply_and_json(cop: Bot, clock) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2027, 3, 20, 9, 0, tzinfo=UTC))
    result = cop.reply(VISIT, as_="fabia")
    assert result.ok, cop.send(VISIT, as_="fabia")
    session = result.data["session"]
    assert session["location"] == PLACE
    assert session["host"] == "City of Milan"
    assert session["kind"] == "visit"
    assert session["days"] == 2 and session["all_day"] is False
    url = session["map_url"]
    assert url.startswith("https://www.openstreetmap.org/search?query=")
    assert parse_qs(urlparse(url).query) == {"query": [PLACE]}
    assert "%2C" in url and " " not in url
    text = cop.send(f"/session {session['id']}", as_="fabia")
    assert f"Place: {PLACE} (map (" in text and url in text
    assert "Host: City of Milan" in text and "Kind: Visit" in text
    assert "When: Sat 27 – Sun 28 Mar 2027, from 09:00 CET (Europe/Rome)" in text
    assert "Duration: 2 days" in text
    listed = cop.send("/sessions", as_="fabia")
    assert "Sat 27 – Sun 28 Mar 2027" in listed and PLACE in listed
    # the --json of the listing and of the session itself
    row = cop.reply("/sessions", as_="fabia").data["sessions"][0]
    assert row["location"] == PLACE and row["ends_at"] == "2027-03-28T22:00:00Z"
    shown = cop.reply(f"/session {session['id']}", as_="fabia").data["session"]
    assert json.loads(json.dumps(shown)) == session


def test_an_online_session_keeps_its_json_shape(cop: Bot) -> None:
    made = cop.reply('/schedule-session "Clinic" 2027-01-13 10:00', as_="fabia")
    assert made.ok
    assert set(made.data["session"]) == {
        "id", "title", "starts_at", "duration_minutes", "timezone", "recurrence", "link",
        "channel",
    }  # fmt: skip
    in_person = cop.reply('/schedule-session "Clinic" 2027-01-13 10:00 at Town hall', as_="fabia")
    assert in_person.data["session"]["kind"] == "session"
    assert in_person.data["session"]["days"] is None


def test_at_before_a_time_is_still_the_time(cop: Bot) -> None:
    made = cop.reply(
        '/schedule-session "Clinic" next Tuesday at 3 pm at Centro Astalli, Rome for 90m',
        as_="fabia",
    )
    assert made.ok, made
    assert made.data["session"]["location"] == "Centro Astalli, Rome"
    assert made.data["session"]["duration_minutes"] == 90
    assert made.data["session"]["starts_at"].endswith("T14:00:00Z")  # 15:00 CET


def test_hostile_place_stays_text_in_replies_and_the_ics(cop: Bot) -> None:
    line = f"/schedule-session \"Visit\" 2027-01-13 10:00 at '{HOSTILE}' host: A, B; C\\n"
    made = cop.reply(line, as_="fabia")
    assert made.ok, cop.send(line, as_="fabia")
    stored = made.data["session"]["location"]
    assert "\n" not in stored and stored == " ".join(HOSTILE.split())
    # Slack: the @channel and <!here> of a place never notify anyone
    rendered = json.dumps(render_blocks(made))
    assert "<!channel>" not in rendered and "<!here>" not in rendered
    raw, cal = _ics(cop, made.data["session"]["id"])
    event = _event(cal)
    assert str(event["LOCATION"]) == clean(stored)
    assert "\\," in raw and "\\;" in raw
    lines = raw.split("\r\n")
    assert lines.count("BEGIN:VEVENT") == 1 and not any(x.startswith("SUMMARY:Free") for x in lines)
    # an online session's link stays its LOCATION, as before
    online = cop.reply(
        '/schedule-session "Call" 2027-01-14 10:00 link https://meet.example.org/abc', as_="fabia"
    )
    assert str(_event(_ics(cop, online.data["session"]["id"])[1])["LOCATION"]).startswith(
        "https://meet.example.org/abc"
    )


def test_a_timed_two_day_session_across_the_dst_change(cop: Bot, clock) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2027, 3, 20, 9, 0, tzinfo=UTC))
    made = cop.reply(VISIT, as_="fabia")
    sid = made.data["session"]["id"]
    # Rome moves to summer time in the night of 27 to 28 March 2027: the visit ends at midnight
    # Rome time after Sunday, 22:00 UTC, 38 hours after it starts at 08:00 UTC
    assert made.data["session"]["starts_at"] == "2027-03-27T08:00:00Z"
    assert made.data["session"]["ends_at"] == "2027-03-28T22:00:00Z"
    raw, cal = _ics(cop, sid)
    event = _event(cal)
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start.tzinfo is not None and str(start.tzinfo) == "Europe/Rome"
    assert (start.hour, start.day) == (9, 27) and (end.hour, end.day) == (0, 29)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=38)
    assert "DTSTART;TZID=Europe/Rome:20270327T090000" in raw
    assert "DTEND;TZID=Europe/Rome:20270329T000000" in raw
    assert "LOCATION:Palazzo Marino\\, Piazza della Scala 2\\, Milan" in raw
    # in New York (summer time since 14 March) the same visit is 04:00 Saturday to 18:00 Sunday
    text = cop.send(f"/session {sid}", as_="nyc")
    assert "Sat 27 – Sun 28 Mar 2027, from 04:00 EDT (America/New_York)" in text


def test_an_all_day_two_day_session_across_the_dst_change(cop: Bot, clock) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2027, 3, 20, 9, 0, tzinfo=UTC))
    made = cop.reply(
        '/schedule-session "Study visit" 2027-03-27 for 2d tz Europe/Rome at Turin', as_="fabia"
    )
    assert made.ok, made
    session = made.data["session"]
    assert session["all_day"] is True and session["days"] == 2
    assert session["starts_at"] == "2027-03-26T23:00:00Z"  # midnight CET
    assert session["ends_at"] == "2027-03-28T22:00:00Z"  # midnight CEST: a 23-hour Sunday
    raw, cal = _ics(cop, session["id"])
    assert "DTSTART;VALUE=DATE:20270327" in raw and "DTEND;VALUE=DATE:20270329" in raw
    event = _event(cal)
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (
        date(2027, 3, 27),
        date(2027, 3, 29),
    )
    # an all-day event covers the same dates for everyone
    for who in ("fabia", "nyc"):
        assert "When: Sat 27 – Sun 28 Mar 2027 (all day)" in cop.send(
            f"/session {session['id']}", as_=who
        )
    # other languages: Babel's interval
    assert cop.reply("/profile set language: fr", as_="nyc").ok
    french = cop.send(f"/session {session['id']}", as_="nyc").replace("\u2009", " ")
    assert "sam. 27 – dim. 28 mars 2027" in french
    assert "(toute la journée)" in french and "Lieu : Turin (carte" in french


def test_reminders_follow_the_start_and_name_the_place(cop: Bot, clock) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2027, 3, 20, 9, 0, tzinfo=UTC))
    sid = cop.reply(VISIT, as_="fabia").data["session"]["id"]
    assert cop.reply(f"/rsvp {sid} yes", as_="nyc").ok
    start = datetime(2027, 3, 27, 8, 0, tzinfo=UTC)
    with session_scope(cop.app.engine) as session:
        due = due_reminders(session, start - timedelta(days=2), start + timedelta(days=3))
    assert [(d.kind, d.due_at) for d in due] == [
        ("24h", start - timedelta(hours=24)),
        ("15m", start - timedelta(minutes=15)),
        ("start", start),
    ]
    outbox = RecordingOutbox()
    report = send_due_reminders(cop.app.engine, outbox, start - timedelta(hours=24))
    assert report.messages == 1
    text = "\n".join(str(b) for b in outbox.directs[0].reply.blocks)
    assert PLACE in text and "openstreetmap.org/search?query=" in text
    send_due_reminders(cop.app.engine, outbox, start)
    post = "\n".join(str(b) for b in outbox.posted[0].reply.blocks)
    assert "Starting now" in post and PLACE in post


def test_the_digest_shows_the_place(cop: Bot, clock) -> None:  # type: ignore[no-untyped-def]
    from cop_bot.digests.build import upcoming_sessions
    from cop_bot.storage.models import Community

    clock.set(datetime(2027, 3, 20, 9, 0, tzinfo=UTC))
    assert cop.reply(VISIT, as_="fabia").ok
    with session_scope(cop.app.engine) as session:
        community = session.exec(select(Community)).one()
        rows = upcoming_sessions(
            session, community, "console", datetime(2027, 3, 22, tzinfo=UTC), "UTC", []
        )
    assert rows[0]["location"] == PLACE


@pytest.mark.parametrize(
    ("tail", "said"),
    [
        ("2027-03-27 10:00 at", "After `at` give the place"),
        ('2027-03-27 10:00 at "  "', "After `at` give the place"),
        ("2027-03-27 10:00 at " + "x" * 301, "at most 300 characters"),
        ("2027-03-27 for 0 days at Milan", "lasts 1 to 14 days"),
        ("2027-03-27 for 15 days at Milan", "lasts 1 to 14 days"),
        ("2027-03-27 for 400d at Milan", "lasts 1 to 14 days"),
        ("2027-03-27 10:00 kind: visit", "A visit needs a place"),
        ("2027-03-27 10:00 at Milan kind: party", "The kind is `session`, `visit`"),
        ("2027-03-27 10:00 at Milan host:", "After `host:` give the organisation"),
        ("2027-03-27 10:00 for 2 days every week at Milan", "cannot repeat"),
        ("2027-03-27 at Milan", "At what time"),
        ("2027-03-27 10:00 at Milan host: A host: B", "given twice"),
    ],
)
def test_bad_input_says_why_and_writes_nothing(cop: Bot, tail: str, said: str) -> None:
    result = cop.reply(f'/schedule-session "Visit" {tail}', as_="fabia")
    assert result.status is Status.USER_ERROR, result
    text = cop.send(f'/schedule-session "Visit" {tail}', as_="fabia")
    assert said in text and "Example:" in text, text
    assert _meetings(cop) == 0


def test_show_days_in_english_and_other_languages() -> None:
    assert show_days(date(2027, 1, 12), date(2027, 1, 13)) == "Tue 12 – Wed 13 Jan 2027"
    assert show_days(date(2027, 1, 31), date(2027, 2, 1)) == "Sun 31 Jan – Mon 1 Feb 2027"
    assert show_days(date(2026, 12, 31), date(2027, 1, 1)) == "Thu 31 Dec 2026 – Fri 1 Jan 2027"
    with i18n.using("de"):
        shown = show_days(date(2027, 1, 12), date(2027, 1, 13)).replace("\u2009", " ")
        assert shown == "Di., 12. – Mi., 13. Jan. 2027"


# ---- parsing, property-tested ------------------------------------------------------------------

_WORD = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=" \t\n\r"),
    min_size=1,
    max_size=12,
)


@given(st.lists(st.one_of(_WORD, st.sampled_from([*KEYWORDS, "host:", "kind:", "15:00"]))))
def test_segments_are_total(words: list[str]) -> None:
    try:
        when, parts = _segments(words)
    except UsageError:
        return
    flat = when + [w for ws in parts.values() for w in ws]
    assert len(flat) <= len(words)


_PLAIN = _WORD.filter(
    lambda w: w.lower() not in KEYWORDS and not w.lower().startswith(("host:", "kind:"))
)


@given(
    st.lists(_PLAIN, min_size=1, max_size=6),
    st.lists(_PLAIN, min_size=1, max_size=6),
    st.sampled_from(["", "15:00", "3pm"]),
)
def test_at_host_and_kind_take_their_words(
    place: list[str], host: list[str], time_word: str
) -> None:
    first = join_am_pm(" ".join(place[:2])).split()
    assume(not first or parse_clock_time(first[0]) is None)  # `at noon` is a time
    when = ["tomorrow", "at", time_word] if time_word else ["2027-01-12"]
    words = [*when, "at", *place, "host:", *host, "kind:visit", "for", "2", "days"]
    got_when, parts = _segments(words)
    assert got_when == when
    assert parts["at"] == place and parts["host:"] == host
    assert parts["kind:"] == ["visit"] and parts["for"] == ["2", "days"]


@given(st.text(max_size=40))
def test_parse_days_is_total(text: str) -> None:
    try:
        days = places.parse_days(text)
    except UsageError:
        return
    assert days is None or 1 <= days <= places.MAX_DAYS


@given(st.text(max_size=400))
def test_places_and_map_links(text: str) -> None:
    try:
        place = places.parse_place(text.split(" "))
    except UsageError:
        assert not text.split() or len(" ".join(text.split())) > places.MAX_PLACE
        return
    assert "\n" not in place and 0 < len(place) <= places.MAX_PLACE
    url = places.map_url(place)
    assert parse_qs(urlparse(url).query, keep_blank_values=True)["query"] == [place]
    assert not any(c in url for c in ' \n"<>')


def test_moving_a_multi_day_session_keeps_its_days(cop: Bot, clock) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2027, 3, 20, 9, 0, tzinfo=UTC))
    made = cop.reply(
        '/schedule-session "Study visit" 2027-03-27 for 2 days tz Europe/Rome at Turin', as_="fabia"
    )
    sid = made.data["session"]["id"]
    refused = cop.send(f"/session move {sid} 2027-04-03 10:00", as_="fabia")
    assert "lasts whole days" in refused
    moved = cop.reply(f"/session move {sid} 2027-04-03", as_="fabia")
    assert moved.ok, cop.send(f"/session move {sid} 2027-04-03", as_="fabia")
    raw, _cal = _ics(cop, sid)
    assert "DTSTART;VALUE=DATE:20270403" in raw and "DTEND;VALUE=DATE:20270405" in raw
    assert "Sat 3 – Sun 4 Apr 2027 (all day)" in cop.send(f"/session {sid}", as_="fabia")
    timed = cop.reply(VISIT, as_="fabia").data["session"]["id"]
    assert cop.reply(f"/session move {timed} 2027-04-10 10:00", as_="fabia").ok
    assert "Sat 10 – Sun 11 Apr 2027, from 10:00 CEST" in cop.send(f"/session {timed}", as_="fabia")
