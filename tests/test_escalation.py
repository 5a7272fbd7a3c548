"""Escalation of unanswered questions and `/ask decline`, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from cop_bot.core.clock import FixedClock
from cop_bot.core.outbox import RecordingOutbox
from cop_bot.escalation.jobs import run_due
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import Question, QuestionRecipient
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
