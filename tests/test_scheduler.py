"""Reminders: computed from the database, sent once (restarts, two processes), a grace for
reminders missed while the bot was down. Tests call `send_due_reminders` with the fixed clock."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from cop_bot.cli import main
from cop_bot.config import ENV_NAMES
from cop_bot.core.clock import FixedClock
from cop_bot.core.outbox import RecordingOutbox
from cop_bot.core.scheduler import Scheduler
from cop_bot.sessions import reminders
from cop_bot.sessions.reminders import GRACE, next_due_at, send_due_reminders
from cop_bot.storage.db import make_engine, session_scope
from cop_bot.storage.models import ReminderSent
from tests.conftest import Bot

START = datetime(2027, 1, 12, 14, 0, tzinfo=UTC)  # 15:00 in Rome


@pytest.fixture
def planned(bot: Bot) -> Bot:
    """A Rome session on 12 January 2027; nyc and wanjiru come, carlos does not."""
    assert bot.reply("/settings timezone: Europe/Brussels", as_="root-admin").ok
    for handle, zone in (("nyc", "America/New_York"), ("wanjiru", "Africa/Nairobi")):
        assert bot.reply(f"/profile set timezone: {zone}", as_=handle).ok
    made = bot.reply(
        '/schedule-session "Labour market CoP" 2027-01-12 15:00 every week tz Europe/Rome '
        "link https://meet.example.org/abc",
        as_="root-admin",
    )
    assert made.ok
    bot.send("/rsvp 1 yes", as_="nyc")
    bot.send("/rsvp 1 maybe", as_="wanjiru")
    bot.send("/rsvp 1 no", as_="carlos")
    return bot


def _kinds(report) -> list[str]:  # type: ignore[no-untyped-def]
    return [d.kind for d in report.sent]


def test_reminders_go_to_yes_and_maybe_in_their_zone_and_start_to_the_channel(
    planned: Bot,
) -> None:
    engine, outbox = planned.app.engine, RecordingOutbox()
    assert _kinds(send_due_reminders(engine, outbox, START - timedelta(hours=25))) == []
    report = send_due_reminders(engine, outbox, START - timedelta(hours=24))
    assert _kinds(report) == ["24h"]
    assert sorted(d.to.handle for d in outbox.directs) == ["nyc", "wanjiru"]
    to_nyc = next(d for d in outbox.directs if d.to.handle == "nyc")
    text = str(to_nyc.reply.blocks)
    assert "09:00 EST" in text and "starts in 24 hours" in text and "meet.example.org" in text
    assert "17:00 EAT" in str(next(d for d in outbox.directs if d.to.handle == "wanjiru").reply)
    assert to_nyc.community.platform == "console" and to_nyc.reply.visibility == "dm"
    assert _kinds(send_due_reminders(engine, outbox, START - timedelta(minutes=15))) == ["15m"]
    assert len(outbox.directs) == 4 and not outbox.posted
    assert _kinds(send_due_reminders(engine, outbox, START)) == ["start"]
    (post,) = outbox.posted
    assert post.conversation.channel_id == "console" and post.reply.visibility == "channel"
    assert "Starting now" in str(post.reply.blocks) and post.key
    # the next week's occurrence has no answers yet: only its start post
    assert _kinds(send_due_reminders(engine, outbox, START + timedelta(days=7))) == ["start"]


def test_never_twice_even_after_a_restart(planned: Bot, db_url: str) -> None:
    outbox = RecordingOutbox()
    at = START - timedelta(hours=24)
    assert _kinds(send_due_reminders(planned.app.engine, outbox, at)) == ["24h"]
    assert _kinds(send_due_reminders(planned.app.engine, outbox, at + timedelta(minutes=1))) == []
    restarted = make_engine(db_url)  # a new process: nothing in memory, only the database
    try:
        assert _kinds(send_due_reminders(restarted, outbox, at + timedelta(minutes=2))) == []
    finally:
        restarted.dispose()
    assert len(outbox.directs) == 2


def test_missed_while_down_within_grace_is_sent_later_is_skipped_and_logged(
    planned: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    engine, outbox = planned.app.engine, RecordingOutbox()
    # down from before the 24h reminder until 9 minutes after it: still sent
    late = send_due_reminders(
        engine, outbox, START - timedelta(hours=24) + GRACE - timedelta(minutes=1)
    )
    assert _kinds(late) == ["24h"]
    # down across the 15m reminder for 11 minutes: skipped, logged once, never sent
    with caplog.at_level(logging.WARNING, logger="cop_bot.sessions.reminders"):
        report = send_due_reminders(engine, outbox, START - timedelta(minutes=4))
        again = send_due_reminders(engine, outbox, START - timedelta(minutes=3))
    assert [d.kind for d in report.skipped] == ["15m"] and not report.sent
    assert not again.skipped and not again.sent
    assert sum("skipped" in r.message for r in caplog.records) == 1
    assert len(outbox.directs) == 2  # only the 24h ones
    with session_scope(engine) as session:
        rows = session.exec(select(ReminderSent).order_by(ReminderSent.kind)).all()
        assert [(r.kind, r.status) for r in rows] == [("15m", "skipped"), ("24h", "sent")]


def test_reminders_follow_a_moved_occurrence_and_skip_cancelled_ones(planned: Bot) -> None:
    engine, outbox = planned.app.engine, RecordingOutbox()
    planned.send("/session move 1 occurrence 2027-01-13 15:00", as_="root-admin")
    planned.send("/session cancel 1 occurrence date:2027-01-19", as_="root-admin")
    assert (
        _kinds(send_due_reminders(engine, outbox, START - timedelta(minutes=1))) == []
    )  # moved away
    assert _kinds(send_due_reminders(engine, outbox, START)) == ["24h"]  # 24 hours before the 13th
    assert sorted(d.to.handle for d in outbox.directs) == ["nyc", "wanjiru"]  # answers moved
    assert _kinds(send_due_reminders(engine, outbox, START + timedelta(days=1))) == ["start"]
    assert _kinds(send_due_reminders(engine, outbox, START + timedelta(days=7))) == []
    assert next_due_at(engine, START + timedelta(days=7), timedelta(days=8)) == START + timedelta(
        days=13
    )


class FlakyOutbox(RecordingOutbox):
    """A platform that is down, or that refuses messages to some members."""

    def __init__(self, *, down: bool = False, refuses: str = "") -> None:
        super().__init__()
        self.down, self.refuses = down, refuses

    def direct(self, message) -> None:  # type: ignore[no-untyped-def]
        if self.down or message.to.handle == self.refuses:
            raise ConnectionError("platform unreachable")
        super().direct(message)


def test_a_send_that_reached_nobody_is_retried_with_backoff(planned: Bot) -> None:
    engine, outbox = planned.app.engine, FlakyOutbox(down=True)
    at = START - timedelta(hours=24)
    first = send_due_reminders(engine, outbox, at)
    assert [d.kind for d in first.failed] == ["24h"] and not outbox.directs
    outbox.down = False
    assert _kinds(send_due_reminders(engine, outbox, at + timedelta(minutes=1))) == []  # backoff
    assert _kinds(send_due_reminders(engine, outbox, at + timedelta(minutes=2))) == ["24h"]
    assert _kinds(send_due_reminders(engine, outbox, at + timedelta(minutes=3))) == []
    assert sorted(d.to.handle for d in outbox.directs) == ["nyc", "wanjiru"]


def test_a_reminder_that_keeps_failing_gives_up_after_the_digests_attempts(
    planned: Bot,
) -> None:
    engine, outbox = planned.app.engine, FlakyOutbox(down=True)
    at = START - timedelta(hours=24)
    tried = [
        m
        for m in range(0, 120)
        if send_due_reminders(engine, outbox, at + timedelta(minutes=m)).failed
    ]
    assert tried == [0, 2, 6, 14, 30]  # 2, 4, 8, 16 minutes apart, five attempts in all
    with session_scope(engine) as session:
        row = session.exec(select(ReminderSent).where(ReminderSent.kind == "24h")).one()
        assert (row.status, row.attempts) == ("failed", 5)
        assert row.last_error == "ConnectionError: platform unreachable"


def test_a_partly_delivered_reminder_is_not_repeated(planned: Bot) -> None:
    engine, outbox = planned.app.engine, FlakyOutbox(refuses="nyc")
    at = START - timedelta(hours=24)
    report = send_due_reminders(engine, outbox, at)
    assert _kinds(report) == ["24h"] and report.messages == 1
    outbox.refuses = ""
    assert _kinds(send_due_reminders(engine, outbox, at + timedelta(minutes=1))) == []
    assert [d.to.handle for d in outbox.directs] == ["wanjiru"]


def test_a_session_scheduled_late_owes_no_earlier_reminders(bot: Bot, clock: FixedClock) -> None:
    assert bot.reply('/schedule-session "Soon" in 2 hours', as_="root-admin").ok
    bot.send("/rsvp 1 yes", as_="nyc")
    report = send_due_reminders(
        bot.app.engine, RecordingOutbox(), clock.now() + timedelta(minutes=1)
    )
    assert not report.sent and not report.skipped  # the 24h reminder was never owed


def test_two_processes_on_one_database_send_each_reminder_once(planned: Bot, db_url: str) -> None:
    outbox = RecordingOutbox()
    engines = [make_engine(db_url) for _ in range(2)]
    barrier = threading.Barrier(2)
    at = START - timedelta(hours=24)

    def worker(i: int) -> None:
        barrier.wait()
        send_due_reminders(engines[i], outbox, at)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in engines:
        e.dispose()
    assert sorted(d.to.handle for d in outbox.directs) == ["nyc", "wanjiru"]


def test_the_background_scheduler_catches_up_at_start_up(planned: Bot) -> None:
    outbox = RecordingOutbox()
    clock = FixedClock(START - timedelta(minutes=12))  # 3 minutes after the 15m reminder
    scheduler = Scheduler(clock, reminders.jobs(planned.app.engine, outbox))
    scheduler.start()
    try:
        deadline = time.monotonic() + 1.0
        while len(outbox.directs) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        scheduler.shutdown()
    assert sorted(d.to.handle for d in outbox.directs) == ["nyc", "wanjiru"]
    assert not scheduler.running


def test_remind_due_cli(
    planned: Bot, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    for var in ENV_NAMES.values():
        monkeypatch.delenv(var, raising=False)
    as_of = (START - timedelta(hours=24)).isoformat()
    assert main(["sessions", "remind-due", "--db", db_url, "--as-of", as_of, "--dry-run"]) == 0
    dry = capsys.readouterr().out
    assert "24h" in dry and "@nyc" not in dry  # nothing sent
    assert main(["sessions", "remind-due", "--db", db_url, "--as-of", as_of]) == 0
    out = capsys.readouterr().out
    assert "@nyc" in out and "sent 1 reminder (2 messages)" in out
    assert main(["sessions", "remind-due", "--db", db_url, "--as-of", as_of]) == 0
    assert "sent 0 reminders (0 messages)" in capsys.readouterr().out


def test_remind_due_dry_run_counts_the_messages_it_would_send(
    planned: Bot, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    for var in ENV_NAMES.values():
        monkeypatch.delenv(var, raising=False)
    as_of = (START - timedelta(hours=24)).isoformat()
    assert main(["sessions", "remind-due", "--db", db_url, "--as-of", as_of, "--dry-run"]) == 0
    dry = capsys.readouterr().out
    assert "Dry run: 1 reminder due, 2 messages to send" in dry, dry
    assert "nothing was sent" in dry
    assert main(["sessions", "remind-due", "--db", db_url, "--as-of", as_of, "--dry-run"]) == 0
    assert "2 messages to send" in capsys.readouterr().out  # a dry run claims nothing
    with pytest.raises(SystemExit) as exc:
        main(["sessions", "remind-due", "--db", db_url, "--as-of", "yesterday"])
    assert exc.value.code == 2


def test_the_generic_scheduler_logs_a_failing_job_and_wakes_a_job_at_its_next_due_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from cop_bot.core.scheduler import Job

    clock = FixedClock(START)
    calls: list[datetime] = []

    def broken(now: datetime) -> None:
        raise RuntimeError("boom")

    failing = Job("broken", broken, timedelta(seconds=60))
    woken = Job(
        "woken",
        calls.append,
        timedelta(hours=1),
        next_due=lambda now, horizon: datetime.now(UTC) + timedelta(milliseconds=50),
    )
    quiet_calls: list[datetime] = []
    quiet = Job("quiet", quiet_calls.append, timedelta(hours=1), catch_up=False)
    scheduler = Scheduler(clock, [failing, woken, quiet])
    with caplog.at_level(logging.ERROR, logger="cop_bot.core.scheduler"):
        assert scheduler.tick(failing) is None  # logged, not raised: it runs again next tick
    assert any("broken failed; retrying" in r.message for r in caplog.records)
    scheduler.start()
    try:
        deadline = time.monotonic() + 2.0
        while len(calls) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        scheduler.shutdown()
    # the catch-up run, then the exact wake-up the hook asked for; `quiet` waits for its tick
    assert calls[:2] == [START, START] and not quiet_calls
