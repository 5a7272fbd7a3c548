"""Weekly digests: contents for a scripted week, schedules in local time, exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from cop_bot.core.clock import FixedClock
from cop_bot.core.model import Status
from cop_bot.core.outbox import RecordingOutbox
from cop_bot.digests.jobs import post_due_digests
from cop_bot.digests.schedule import next_due, previous_due
from cop_bot.render.slack import render_message
from cop_bot.render.text import render
from cop_bot.storage.db import make_engine, session_scope
from cop_bot.storage.models import DigestRun
from tests.conftest import Bot

MONDAY_9_ROME = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 in Rome (UTC+1)


def share(bot: Bot, title: str, domains: str, as_: str = "root-admin") -> int:
    result = bot.reply(
        f"/share-practice {title}; summary: A practice worth sharing with peers; domains: {domains}; country: IT",
        as_=as_,
    )
    assert result.ok, result
    return int(result.data["practice"]["id"])


@pytest.fixture
def week(bot: Bot, clock: FixedClock) -> Bot:
    """A scripted week: the digest is switched on, then things happen until Monday."""
    assert bot.reply("/digest on monday 09:00 tz Europe/Rome", as_="root-admin").ok
    clock.advance(timedelta(days=1))
    share(bot, "Job-readiness workshops", "labour market")
    share(bot, "Tenant mediation desk", "housing")
    bot.send("/profile set domains: housing; expert: yes", as_="hana")
    bot.send("/ask housing: How do you find landlords?", as_="alice")
    practice = share(bot, "Skills passport", "labour market")
    bot.send(f"/endorse {practice}", as_="alice")
    return bot


def test_schedule_is_local_and_follows_daylight_saving() -> None:
    winter = next_due(0, 9 * 60, "Europe/Rome", datetime(2027, 1, 5, tzinfo=UTC))
    summer = next_due(0, 9 * 60, "Europe/Rome", datetime(2027, 4, 1, tzinfo=UTC))
    assert (winter.hour, summer.hour) == (8, 7)  # 09:00 local both times
    gap = next_due(6, 2 * 60 + 30, "Europe/Rome", datetime(2027, 3, 27, tzinfo=UTC))
    assert gap == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)  # 02:30 does not exist: 03:30 CEST
    assert previous_due(0, 540, "Europe/Rome", MONDAY_9_ROME) == MONDAY_9_ROME
    assert previous_due(
        0, 540, "Europe/Rome", MONDAY_9_ROME - timedelta(seconds=1)
    ) == MONDAY_9_ROME - timedelta(days=7)


def test_the_scripted_week(week: Bot, clock: FixedClock) -> None:
    clock.set(MONDAY_9_ROME + timedelta(minutes=5))
    outbox = RecordingOutbox()
    report = post_due_digests(week.app.engine, outbox, week.app.taxonomy, clock.now())
    assert len(report.sent) == 1 and len(outbox.posted) == 1
    message = outbox.posted[0]
    data = message.reply.data
    assert message.conversation.channel_id == "console"
    assert (
        next(p["title"] for p in data["sections"]["practices"]) == "Skills passport"
    )  # most endorsed first
    assert {p["title"] for p in data["sections"]["practices"]} == {
        "Job-readiness workshops",
        "Tenant mediation desk",
        "Skills passport",
    }
    assert [e["handle"] for e in data["sections"]["experts"]] == ["hana"]
    assert [q["text"] for q in data["sections"]["questions"]] == ["How do you find landlords?"]
    assert data["sections"]["pulse"]["practices"] == {"total": 3, "change": 3}
    assert data["period"]["end"] == MONDAY_9_ROME.isoformat()
    status = week.reply("/digest status").data["digest"]
    assert status["last_run"]["status"] == "sent"
    assert status["next_run"] == (MONDAY_9_ROME + timedelta(days=7)).isoformat()


def test_running_twice_posts_once(week: Bot, clock: FixedClock) -> None:
    clock.set(MONDAY_9_ROME + timedelta(minutes=5))
    outbox = RecordingOutbox()
    for _ in range(3):
        post_due_digests(week.app.engine, outbox, week.app.taxonomy, clock.now())
    clock.advance(timedelta(hours=3))
    post_due_digests(week.app.engine, outbox, week.app.taxonomy, clock.now())
    assert len(outbox.posted) == 1


def test_two_processes_on_one_database_post_once(week: Bot, clock: FixedClock) -> None:
    clock.set(MONDAY_9_ROME + timedelta(minutes=1))
    other_engine = make_engine(week.app.settings.database_url)
    outbox = RecordingOutbox()
    import threading

    barrier = threading.Barrier(2)

    def tick(engine) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        post_due_digests(engine, outbox, week.app.taxonomy, clock.now())

    threads = [threading.Thread(target=tick, args=(e,)) for e in (week.app.engine, other_engine)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other_engine.dispose()
    assert len(outbox.posted) == 1


def test_catch_up_after_downtime_and_missed_when_too_late(week: Bot, clock: FixedClock) -> None:
    clock.set(MONDAY_9_ROME + timedelta(hours=20))
    outbox = RecordingOutbox()
    assert len(post_due_digests(week.app.engine, outbox, week.app.taxonomy, clock.now()).sent) == 1
    clock.set(MONDAY_9_ROME + timedelta(days=7, hours=30))
    report = post_due_digests(week.app.engine, outbox, week.app.taxonomy, clock.now())
    assert report.missed and len(outbox.posted) == 1
    assert week.reply("/digest status").data["digest"]["last_run"]["status"] == "missed"


class Flaky(RecordingOutbox):
    """An outbox whose first `fail` posts are refused (`rate_limited`)."""

    def __init__(self, fail: int) -> None:
        super().__init__()
        self.fail = fail

    def post(self, message):  # type: ignore[no-untyped-def]
        if self.fail:
            self.fail -= 1
            raise RuntimeError("rate_limited")
        super().post(message)


def test_failed_post_is_retried_with_backoff(week: Bot, clock: FixedClock) -> None:
    outbox = Flaky(fail=2)
    clock.set(MONDAY_9_ROME)
    assert post_due_digests(week.app.engine, outbox, week.app.taxonomy, clock.now()).failed
    assert "rate_limited" in week.send("/digest status")
    assert not post_due_digests(
        week.app.engine, outbox, week.app.taxonomy, clock.now()
    ).sent  # backing off
    clock.advance(timedelta(minutes=2))
    assert post_due_digests(
        week.app.engine, outbox, week.app.taxonomy, clock.now()
    ).failed  # 2nd failure
    clock.advance(timedelta(minutes=3))
    assert not post_due_digests(
        week.app.engine, outbox, week.app.taxonomy, clock.now()
    ).sent  # waits 4 min now
    clock.advance(timedelta(minutes=2))
    assert post_due_digests(week.app.engine, outbox, week.app.taxonomy, clock.now()).sent
    assert len(outbox.posted) == 1
    with session_scope(week.app.engine) as session:
        run = session.exec(select(DigestRun)).one()
        assert (run.status, run.attempts) == ("sent", 3)


def test_domain_filter_and_settings_validation(week: Bot, clock: FixedClock) -> None:
    assert week.reply("/digest settings domains: housing; skip-empty: no", as_="root-admin").ok
    bad = week.reply("/digest settings domains: flibbertigibbet; colour: red", as_="root-admin")
    assert bad.status is Status.USER_ERROR
    assert (
        week.reply("/digest settings domains: housing", as_="alice").data["error"]["code"]
        == "permission"
    )
    clock.set(MONDAY_9_ROME)
    outbox = RecordingOutbox()
    post_due_digests(week.app.engine, outbox, week.app.taxonomy, clock.now())
    sections = outbox.posted[0].reply.data["sections"]
    assert [p["title"] for p in sections["practices"]] == ["Tenant mediation desk"]


def test_empty_digests_are_skipped_unless_asked(bot: Bot, clock: FixedClock) -> None:
    bot.send("/digest on monday 09:00 tz Europe/Rome", as_="root-admin")
    clock.set(MONDAY_9_ROME)
    outbox = RecordingOutbox()
    report = post_due_digests(bot.app.engine, outbox, bot.app.taxonomy, clock.now())
    assert report.skipped_empty and not outbox.posted
    bot.send("/digest settings skip-empty: no", as_="root-admin")
    clock.set(MONDAY_9_ROME + timedelta(days=7))
    post_due_digests(bot.app.engine, outbox, bot.app.taxonomy, clock.now())
    assert len(outbox.posted) == 1


def test_long_sections_are_cut_with_a_pointer_and_fit_slack(bot: Bot, clock: FixedClock) -> None:
    bot.send("/digest on monday 09:00 tz Europe/Rome", as_="root-admin")
    clock.advance(timedelta(hours=1))
    for i in range(30):
        share(bot, f"Practice number {i} " + "x" * 150, "housing")
        bot.send(f"/profile set domains: housing; expert: yes; bio: {'y' * 900}", as_=f"e{i}")
        bot.send(f"/ask housing: Question {i} {'z' * 1500}", as_=f"e{i}")
    clock.set(MONDAY_9_ROME)
    outbox = RecordingOutbox()
    post_due_digests(bot.app.engine, outbox, bot.app.taxonomy, clock.now())
    reply = outbox.posted[0].reply
    text = "\n".join(str(b) for b in reply.blocks)
    assert "and 25 more" in text and "/practices" in text and "/questions" in text
    slack = render_message(reply)
    assert len(slack["blocks"]) <= 50
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in slack["blocks"])


def test_personal_digest_goes_by_dm_and_follows_my_domains(bot: Bot, clock: FixedClock) -> None:
    assert bot.reply("/digest me on", as_="nadia").status is Status.USER_ERROR  # no domains yet
    bot.send("/profile set domains: housing; timezone: Europe/Rome", as_="nadia")
    assert bot.reply("/digest me on", as_="nadia").ok
    clock.advance(timedelta(hours=1))
    share(bot, "Tenant mediation desk", "housing")
    share(bot, "Job-readiness workshops", "labour market")
    clock.set(MONDAY_9_ROME)
    outbox = RecordingOutbox()
    post_due_digests(bot.app.engine, outbox, bot.app.taxonomy, clock.now())
    assert not outbox.posted and len(outbox.directs) == 1
    assert outbox.directs[0].to.handle == "nadia"
    assert [p["title"] for p in outbox.directs[0].reply.data["sections"]["practices"]] == [
        "Tenant mediation desk"
    ]
    bot.send("/profile delete confirm", as_="nadia")  # erased members get no digest
    clock.set(MONDAY_9_ROME + timedelta(days=7))
    post_due_digests(bot.app.engine, outbox, bot.app.taxonomy, clock.now())
    assert len(outbox.directs) == 1


def test_preview_is_private_and_cli_formats(
    week: Bot, clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    preview = week.reply("/digest preview")
    assert preview.visibility == "ephemeral"
    assert set(preview.data) == {"channel", "period", "sections"}
    assert set(preview.data["sections"]) == {
        "practices",
        "experts",
        "sessions",
        "needs_hand",
        "questions",
        "review",
        "pulse",
    }
    assert week.reply("/digest on", as_="alice").data["error"]["code"] == "permission"
    assert week.reply("/digest on someday", as_="root-admin").status is Status.USER_ERROR


def test_upcoming_sessions_and_sessions_held_appear(bot: Bot, clock: FixedClock) -> None:
    bot.send("/digest on monday 09:00 tz Europe/Rome", as_="root-admin")
    made = bot.reply(
        '/schedule-session "Housing clinic" 2026-12-03 15:00 for 1h tz Europe/Rome',
        as_="root-admin",
    )
    assert made.ok, made
    sid = made.data["session"]["id"]
    bot.send(f"/rsvp {sid} yes", as_="alice")
    bot.reply(
        '/schedule-session "Past-week call" 2026-11-25 10:00 for 1h tz Europe/Rome',
        as_="root-admin",
    )
    clock.set(MONDAY_9_ROME)
    outbox = RecordingOutbox()
    post_due_digests(bot.app.engine, outbox, bot.app.taxonomy, clock.now())
    data = outbox.posted[0].reply.data
    sessions = data["sections"]["sessions"]
    assert [s["title"] for s in sessions] == ["Housing clinic"]
    assert sessions[0]["rsvp_yes"] == 1
    assert data["sections"]["pulse"]["sessions_held"] == {"total": 1, "change": 1}
    assert "Housing clinic" in "\n".join(str(b) for b in outbox.posted[0].reply.blocks)


def test_digest_shows_dates_for_people(bot: Bot, clock: FixedClock) -> None:
    bot.send("/digest on monday 09:00 tz Europe/Rome", as_="root-admin")
    bot.reply(
        '/schedule-session "Housing clinic" 2026-12-03 15:00 tz Europe/Rome', as_="root-admin"
    )
    clock.set(MONDAY_9_ROME)
    outbox = RecordingOutbox()
    post_due_digests(bot.app.engine, outbox, bot.app.taxonomy, clock.now())
    text = render(outbox.posted[0].reply)
    assert "23 Nov – 30 Nov 2026" in text
    assert "Thu 3 Dec 2026, 15:00 CET (Europe/Rome)" in text


def test_background_jobs_start_warm_and_stop(bot: Bot) -> None:
    from cop_bot.capabilities import start_jobs, warm_caches
    from cop_bot.experts.directory import Directory

    bot.send("/profile set domains: housing; expert: yes", as_="hana")
    warm_caches(bot.app)
    assert bot.app.router.services[Directory]._indexes  # built before anyone searched
    scheduler = start_jobs(bot.app, RecordingOutbox())
    try:
        assert scheduler.running
    finally:
        scheduler.shutdown(wait=True)
    assert not scheduler.running


def test_a_retry_never_takes_a_run_another_process_has_sent(week: Bot, clock: FixedClock) -> None:
    """Between `_retryable` listing a failed run and `_take_over` claiming it, another process
    may retry and send it: the claim must read the run again and leave a `sent` one alone."""
    from cop_bot.digests.jobs import _retryable, _take_over

    outbox = Flaky(fail=1)
    clock.set(MONDAY_9_ROME)
    assert post_due_digests(week.app.engine, outbox, week.app.taxonomy, clock.now()).failed
    clock.advance(timedelta(minutes=2))
    (listed,) = _retryable(week.app.engine, clock.now())  # this process sees it failed...
    assert post_due_digests(week.app.engine, outbox, week.app.taxonomy, clock.now()).sent
    assert not _take_over(week.app.engine, listed[0], clock.now())  # ...and then sent
    assert len(outbox.posted) == 1


def test_a_question_nobody_answered_after_two_rounds_needs_a_hand_in_its_channel(
    bot: Bot, clock: FixedClock
) -> None:
    from cop_bot.escalation.jobs import run_due
    from cop_bot.render.matrix import render as render_matrix

    for channel in ("console", "other"):
        assert bot.reply(
            "/digest on monday 09:00 tz Europe/Rome", as_="root-admin", channel=channel
        ).ok
    for i in range(8):
        bot.send("/profile set domains: housing; expert: yes; asks: yes", as_=f"h{i}")
    hostile = "<b>Landlords</b> & *agents* <!channel> [x](javascript:alert(1))?"
    helpless = bot.reply(f"/ask housing: {hostile}", as_="alice").data["question"]["id"]
    there = bot.reply("/ask housing: Deposit schemes?", as_="bob", channel="other")
    start = clock.now()
    clock.advance(timedelta(days=2))
    young = bot.reply("/ask housing: A question asked later?", as_="carla").data["question"]["id"]
    engine = bot.app.engine
    outbox = RecordingOutbox()
    run_due(engine, outbox, start + timedelta(days=3, minutes=1))
    run_due(engine, outbox, start + timedelta(days=6, minutes=2))  # the second round: only some
    with session_scope(engine) as session:
        from cop_bot.storage.models import Question

        rounds = {q.id: q.escalation_round for q in session.exec(select(Question)).all()}
    assert (rounds[helpless], rounds[young]) == (2, 1)
    clock.set(MONDAY_9_ROME)
    posted = RecordingOutbox()
    post_due_digests(engine, posted, bot.app.taxonomy, clock.now())
    by_channel = {m.conversation.channel_id: m.reply for m in posted.posted}
    here = by_channel["console"].data["sections"]
    elsewhere = by_channel["other"].data["sections"]
    assert [q["id"] for q in here["needs_hand"]] == [helpless]
    assert here["needs_hand"][0]["text"] == hostile
    listed = [q["id"] for q in here["questions"]]  # the community's open ones, each once
    assert young in listed and helpless not in listed
    # another channel's question needs a hand there, not here
    assert [q["id"] for q in elsewhere["needs_hand"]] == [there.data["question"]["id"]]
    text = render(by_channel["console"])
    assert "Needs a hand" in text and "1 question asked here has had no answer" in text
    slack = str(render_message(by_channel["console"]))
    assert "<b>" not in slack and "<!channel>" not in slack and "&lt;b&gt;" in slack
    html = render_matrix(by_channel["console"])["formatted_body"]
    assert "<b>Landlords" not in html and "&lt;b&gt;Landlords" in html
    assert 'href="javascript' not in html


def test_needs_a_hand_is_written_in_the_digest_language(bot: Bot, clock: FixedClock) -> None:
    from cop_bot.digests.build import Digest, to_reply

    digest = Digest("c", MONDAY_9_ROME - timedelta(days=7), MONDAY_9_ROME, "UTC", "fr", [])
    digest.sections["needs_hand"] = [{"id": 7, "text": "Où <trouver>?", "domains": []}]
    digest.totals["needs_hand"] = 1
    text = render(to_reply(digest, "Réseau"))
    assert "Needs a hand" not in text and "Besoin d'un coup de main" in text
    assert "1 question posée ici" in text and "#7 Où <trouver>?" in text
