"""Escalation of unanswered questions and `/ask decline`, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from cop_bot.core.clock import FixedClock
from cop_bot.core.outbox import DeliveryError, Direct, RecordingOutbox
from cop_bot.escalation.jobs import EscalationReport, _escalate, run_due
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import Member, Question, QuestionNotice, QuestionRecipient
from tests.conftest import NOW, Bot


def _experts(bot: Bot, count: int) -> None:
    for i in range(count):
        bot.send("/profile set domains: housing; expert: yes; asks: yes", as_=f"h{i}")


def _ask(bot: Bot) -> tuple[int, set[str]]:
    result = bot.reply("/ask housing: How do you find landlords?", as_="asker")
    return result.data["question"]["id"], {n.to.handle for n in result.notices}


def _recipients(bot: Bot, qid: int) -> list[tuple[int, int, bool]]:
    with session_scope(bot.app.engine) as session:
        rows = session.exec(
            select(QuestionRecipient).where(QuestionRecipient.question_id == qid)
        ).all()
        return [(r.member_id, r.round, r.declined_at is not None) for r in rows]


def test_two_rounds_then_it_needs_a_hand(bot: Bot, clock: FixedClock) -> None:
    _experts(bot, 8)
    qid, first = _ask(bot)
    assert len(first) == 3
    engine = bot.app.engine
    outbox = RecordingOutbox()
    assert not run_due(engine, outbox, NOW + timedelta(days=2)).escalated  # not yet
    report = run_due(engine, outbox, NOW + timedelta(days=3, minutes=1))
    assert [(e.question_id, e.round, e.experts) for e in report.escalated] == [(qid, 1, 3)]
    told = [d.to.handle for d in outbox.directs]
    assert "asker" in told and not set(told) & first
    assert len(set(told) - {"asker"}) == 3
    again = RecordingOutbox()
    assert not run_due(engine, again, NOW + timedelta(days=3, minutes=2)).escalated  # once
    assert not again.directs
    second = run_due(engine, again, NOW + timedelta(days=6, minutes=2))
    assert [(e.round, e.experts) for e in second.escalated] == [(2, 2)]  # 8 - 3 - 3 left
    assert not run_due(engine, again, NOW + timedelta(days=30)).escalated  # two rounds at most
    with session_scope(engine) as session:
        question = session.get(Question, qid)
        assert question is not None and question.escalation_round == 2
    rounds = sorted(r for _m, r, _d in _recipients(bot, qid))
    assert rounds == [0, 0, 0, 1, 1, 1, 2, 2]
    clock.set(NOW + timedelta(days=30))
    data = bot.reply("/insights", as_="root-admin").data["insights"]
    assert data["needs_a_hand"] == 1 and data["escalated"] == 1


def test_answered_questions_and_the_setting(bot: Bot) -> None:
    _experts(bot, 5)
    qid, _first = _ask(bot)
    assert "5" in bot.send("/settings escalate-after: 5", as_="root-admin")
    outbox = RecordingOutbox()
    assert not run_due(bot.app.engine, outbox, NOW + timedelta(days=4)).escalated
    bad = bot.reply("/settings escalate-after: soon", as_="root-admin")
    assert not bad.ok and "escalate-after" in bad.data["error"]["message"]
    bot.send(f"/answered {qid}", as_="asker")
    assert not run_due(bot.app.engine, outbox, NOW + timedelta(days=6)).escalated


def test_dry_run_sends_nothing(bot: Bot) -> None:
    _experts(bot, 5)
    _ask(bot)
    outbox = RecordingOutbox()
    report = run_due(bot.app.engine, outbox, NOW + timedelta(days=4), dry_run=True)
    assert len(report.escalated) == 1 and not outbox.directs
    assert len(run_due(bot.app.engine, outbox, NOW + timedelta(days=4)).escalated) == 1


def test_decline_passes_it_on_and_is_not_charged(bot: Bot) -> None:
    bot.send("/profile set domains: housing; expert: yes; asks: yes; capacity: 1", as_="solo")
    qid, first = _ask(bot)
    assert first == {"solo"}
    for i in range(2):
        bot.send("/profile set domains: housing; expert: yes; asks: yes", as_=f"h{i}")
    declined = bot.reply(f"/ask decline {qid}", as_="solo")
    assert declined.ok and declined.data["question"]["passed_to"] == 1
    assert next(n.to.handle for n in declined.notices) in {"h0", "h1"}
    twice = bot.reply(f"/ask decline {qid}", as_="solo")
    assert not twice.ok
    stranger = bot.reply(f"/ask decline {qid}", as_="nobody")
    assert not stranger.ok and "not sent to you" in stranger.data["error"]["message"]
    # The declined one did not use solo's capacity of 1: the next question still reaches solo.
    later = bot.reply("/ask housing: And deposits for families?", as_="other")
    assert "solo" in {n.to.handle for n in later.notices}


def test_the_notification_has_a_decline_button(bot: Bot) -> None:
    _experts(bot, 2)
    result = bot.reply("/ask housing: How do you find landlords?", as_="asker")
    text = str(result.notices[0].blocks)
    assert f"/ask decline {result.data['question']['id']}" in text


def _escalate_in_a_process(url: str, at: str, barrier: Any, results: Any) -> None:
    from datetime import datetime

    from cop_bot.storage.db import make_engine

    engine = make_engine(url)
    outbox = RecordingOutbox()
    barrier.wait()
    report = run_due(engine, outbox, datetime.fromisoformat(at))
    engine.dispose()
    results.put(([e.round for e in report.escalated], sorted(d.to.handle for d in outbox.directs)))


def test_two_processes_escalate_each_round_once(bot: Bot, db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("two processes writing at once: PostgreSQL")
    import multiprocessing

    _experts(bot, 6)
    qid, _first = _ask(bot)
    spawn = multiprocessing.get_context("spawn")
    barrier, results = spawn.Barrier(2), spawn.Queue()
    at = (NOW + timedelta(days=3, minutes=1)).isoformat()
    workers = [
        spawn.Process(target=_escalate_in_a_process, args=(db_url, at, barrier, results))
        for _ in range(2)
    ]
    for w in workers:
        w.start()
    got = [results.get(timeout=120) for _ in workers]
    for w in workers:
        w.join(timeout=60)
    assert sorted(rounds for rounds, _h in got) == [[], [1]]
    sent = sorted(h for _r, handles in got for h in handles)
    assert len(sent) == 4 and "asker" in sent and len(set(sent)) == 4
    assert sorted(r for _m, r, _d in _recipients(bot, qid)) == [0, 0, 0, 1, 1, 1]


class _Refusing(RecordingOutbox):
    """An outbox whose platform refuses the messages to some members (an outage, for good)."""

    def __init__(self, refuse: set[str], *, permanent: bool = False) -> None:
        super().__init__()
        self.refuse = refuse
        self.permanent = permanent

    def direct(self, message: Direct) -> None:
        if message.to.handle in self.refuse:
            raise DeliveryError("ratelimited", permanent=self.permanent)
        super().direct(message)


def _notices(bot: Bot, qid: int) -> dict[str, tuple[str, int]]:
    with session_scope(bot.app.engine) as session:
        rows = session.exec(
            select(QuestionNotice, Member)
            .join(Member, col(Member.id) == col(QuestionNotice.member_id))
            .where(QuestionNotice.question_id == qid)
        ).all()
        return {m.handle: (n.status, n.attempts) for n, m in rows}


def test_a_refused_send_is_retried_and_the_others_are_not_repeated(bot: Bot) -> None:
    _experts(bot, 6)
    qid, _first = _ask(bot)
    engine = bot.app.engine
    at = NOW + timedelta(days=3, minutes=1)
    refusing = _Refusing({"asker"})
    report = run_due(engine, refusing, at)
    assert [e.round for e in report.escalated] == [1]
    assert report.sent == 3 and [q for q, _e in report.failed] == [qid]
    assert "asker" not in {d.to.handle for d in refusing.directs}
    assert _notices(bot, qid)["asker"] == ("failed", 1)
    # The next run (before the backoff is over) leaves it; the one after sends it, and only it.
    later = RecordingOutbox()
    assert run_due(engine, later, at + timedelta(minutes=1)).sent == 0
    retry = run_due(engine, later, at + timedelta(minutes=10))
    assert not retry.escalated and retry.sent == 1
    assert [d.to.handle for d in later.directs] == ["asker"]
    assert {s for s, _a in _notices(bot, qid).values()} == {"sent"}
    assert run_due(engine, later, at + timedelta(minutes=30)).sent == 0  # once


def test_a_permanent_refusal_is_not_retried(bot: Bot) -> None:
    _experts(bot, 4)
    qid, _first = _ask(bot)
    engine = bot.app.engine
    at = NOW + timedelta(days=3, minutes=1)
    report = run_due(engine, _Refusing({"asker"}, permanent=True), at)
    assert [q for q, _r in report.refused] == [qid] and not report.failed
    later = RecordingOutbox()
    assert run_due(engine, later, at + timedelta(hours=2)).sent == 0
    assert _notices(bot, qid)["asker"] == ("refused", 1)


def test_an_answered_question_owes_no_retry(bot: Bot) -> None:
    _experts(bot, 6)
    qid, _first = _ask(bot)
    engine = bot.app.engine
    at = NOW + timedelta(days=3, minutes=1)
    refusing = _Refusing({f"h{i}" for i in range(6)})
    assert run_due(engine, refusing, at).sent == 1  # only the asker was reached
    bot.send(f"/answered {qid}", as_="asker")
    later = RecordingOutbox()
    assert run_due(engine, later, at + timedelta(minutes=10)).sent == 0 and not later.directs
    assert {s for h, (s, _a) in _notices(bot, qid).items() if h != "asker"} == {"skipped"}


def test_notices_left_by_a_dead_process_are_sent_once(bot: Bot) -> None:
    """A process that claimed the round and died before sending: its notices are pending (or
    `sending` past the lease) and the next run sends them."""
    _experts(bot, 6)
    qid, _first = _ask(bot)
    engine = bot.app.engine
    at = NOW + timedelta(days=3, minutes=1)
    _escalate(engine, qid, 0, at, EscalationReport())  # claimed; nothing sent
    first = _notices(bot, qid)
    assert len(first) == 4 and {s for s, _a in first.values()} == {"pending"}
    with session_scope(engine) as session:  # one was being sent when the process died
        row = session.exec(select(QuestionNotice).where(QuestionNotice.round == 1)).first()
        assert row is not None
        row.status, row.at = "sending", at
        session.add(row)
    outbox = RecordingOutbox()
    assert run_due(engine, outbox, at + timedelta(minutes=1)).sent == 3  # its lease holds
    assert run_due(engine, outbox, at + timedelta(minutes=20)).sent == 1
    assert sorted(d.to.handle for d in outbox.directs) == sorted(first)


def _escalate_in_a_thread(url: str, at: Any, barrier: threading.Barrier, out: list[Any]) -> None:
    from cop_bot.storage.db import make_engine

    engine = make_engine(url)  # an engine (and connections) of its own, as a process has
    outbox = _Refusing({"asker"})
    barrier.wait()
    first = run_due(engine, outbox, at)
    barrier.wait()
    again = run_due(engine, outbox, at + timedelta(minutes=10))
    outbox.refuse = set()
    barrier.wait()
    retry = run_due(engine, outbox, at + timedelta(minutes=20))
    engine.dispose()
    out.append((first, again, retry, [d.to.handle for d in outbox.directs]))


def test_two_engines_at_once_send_each_message_once_and_retry_the_refused(
    bot: Bot, db_url: str
) -> None:
    for i in range(12):
        bot.send("/profile set domains: housing; expert: yes; asks: yes", as_=f"h{i}")
    asked = [
        bot.reply(f"/ask housing: Question number {i}?", as_=f"asker{i}").data["question"]["id"]
        for i in range(3)
    ]
    at = NOW + timedelta(days=3, minutes=1)
    barrier, out = threading.Barrier(2), []
    workers = [
        threading.Thread(target=_escalate_in_a_thread, args=(db_url, at, barrier, out))
        for _ in range(2)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert len(out) == 2
    rounds = sorted((e.question_id, e.round) for first, *_ in out for e in first.escalated)
    assert rounds == [(q, 1) for q in sorted(asked)]  # each question once, by one of them
    sent = [h for *_r, handles in out for h in handles]
    for qid in asked:
        notices = _notices(bot, qid)
        assert {s for s, _a in notices.values()} == {"sent"}, notices
    # Each notice left once: as many messages as notices, the refused asker's after the retry.
    total = sum(len(_notices(bot, q)) for q in asked)
    assert len(sent) == total
    assert sum(first.sent + again.sent + retry.sent for first, again, retry, _h in out) == total
