"""`core.claims`: a scheduled send is taken by one caller, retried after its backoff, taken
over after its lease, and never after `MAX_SEND_ATTEMPTS` (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from cop_bot.core import claims
from cop_bot.core.outbox import MAX_SEND_ATTEMPTS, DeliveryError
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import Member, QuestionNotice
from tests.conftest import NOW, Bot

STATE = claims.SendState(QuestionNotice)


def _times_out() -> None:
    raise DeliveryError("timeout")


@pytest.fixture
def notice(bot: Bot) -> tuple[Bot, int]:
    asked = bot.reply("/ask housing: Where?", as_="asker")
    with session_scope(bot.app.engine) as session:
        member = session.exec(select(Member).where(Member.handle == "asker")).first()
        assert member is not None
        row = QuestionNotice(
            question_id=asked.data["question"]["id"], member_id=member.id, round=1, role="asker"
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        return bot, row.id


def _row(bot: Bot, row_id: int) -> QuestionNotice:
    with session_scope(bot.app.engine) as session:
        row = session.get(QuestionNotice, row_id)
        assert row is not None
        return row


def test_taken_once_then_retried_after_the_backoff(notice: tuple[Bot, int]) -> None:
    bot, row_id = notice
    engine = bot.app.engine
    assert claims.take(engine, STATE, row_id, NOW)
    assert not claims.take(engine, STATE, row_id, NOW)  # taken: nobody else sends it
    assert claims.attempt(engine, STATE, row_id, NOW, _times_out) == ("failed", "timeout")
    assert not claims.take(engine, STATE, row_id, NOW + timedelta(minutes=1))  # backoff: 2 min
    assert claims.take(engine, STATE, row_id, NOW + timedelta(minutes=2))
    assert claims.attempt(engine, STATE, row_id, NOW, lambda: None) == ("sent", None)
    row = _row(bot, row_id)
    assert (row.status, row.attempts) == ("sent", 2)
    assert not claims.take(engine, STATE, row_id, NOW + timedelta(days=1))  # sent is final


def test_an_abandoned_send_is_taken_over_after_the_lease(notice: tuple[Bot, int]) -> None:
    bot, row_id = notice
    engine = bot.app.engine
    assert claims.take(engine, STATE, row_id, NOW)  # ... and the process died
    assert not claims.take(engine, STATE, row_id, NOW + claims.LEASE - timedelta(seconds=1))
    assert claims.take(engine, STATE, row_id, NOW + claims.LEASE)
    assert not claims.take(engine, STATE, row_id, NOW + 2 * claims.LEASE, still=lambda r: False)


def test_a_permanent_refusal_and_the_last_attempt_end_it(notice: tuple[Bot, int]) -> None:
    bot, row_id = notice
    engine = bot.app.engine
    assert claims.outcome(DeliveryError("not_in_channel", permanent=True)) == (
        "refused",
        "not_in_channel",
    )
    assert claims.outcome(ValueError("bug")) == ("failed", "ValueError: bug")
    with session_scope(engine) as session:
        row = session.get(QuestionNotice, row_id)
        assert row is not None
        row.status, row.attempts, row.at = "failed", MAX_SEND_ATTEMPTS, NOW
        session.add(row)
    assert not claims.take(engine, STATE, row_id, NOW + timedelta(days=1))
