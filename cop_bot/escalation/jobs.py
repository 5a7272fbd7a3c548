"""The escalation job: each round of each question happens once, whatever the processes.

The claim is a compare-and-set on `Question.escalation_round` (from the round seen to the next),
in the same transaction as the new `QuestionRecipient` rows: a second process (or tick) that
read the same round updates no row and rolls back, so nobody is told twice. The messages leave
after the commit (as a command's notices do). A send the platform refuses is logged and counted
in the report; the round stays done (the experts are recorded as told).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import col, select

from cop_bot.core import i18n
from cop_bot.core.members import locale_for
from cop_bot.core.model import Block, Conversation, Reply
from cop_bot.core.outbox import Direct, Outbox
from cop_bot.core.scheduler import Job
from cop_bot.core.wording import mention_of
from cop_bot.escalation import rules, wording
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import Community, Member, Question

log = logging.getLogger(__name__)
TICK = timedelta(minutes=10)


@dataclass
class Escalation:
    question_id: int
    round: int
    experts: int


@dataclass
class EscalationReport:
    escalated: list[Escalation] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)


def jobs(engine: Engine, outbox: Outbox) -> list[Job]:
    def run(now: datetime) -> EscalationReport:
        report = run_due(engine, outbox, now)
        if report.escalated or report.failed:
            log.info(
                "escalation: %d questions, %d failed sends",
                len(report.escalated),
                len(report.failed),
            )
        return report

    return [Job(name="escalation", run=run, interval=TICK, what="question escalation")]


def due_questions(engine: Engine, now: datetime) -> list[tuple[int, int]]:
    """(question id, its current round) of every question due at `now`."""
    with session_scope(engine) as session:
        rows = session.exec(
            select(Question, Community)
            .join(Community, col(Community.id) == col(Question.community_id))
            .where(
                Question.status == "open",
                Question.escalation_round < rules.MAX_ROUNDS,
                Question.created_at <= now,
            )
            .order_by(col(Question.id))
        ).all()
        return [(q.id, q.escalation_round) for q, c in rows if q.id and rules.due(q, c, now)]


def run_due(
    engine: Engine, outbox: Outbox, now: datetime, *, dry_run: bool = False
) -> EscalationReport:
    """Escalate every question due at `now`. Safe from any number of processes."""
    report = EscalationReport()
    for question_id, round_ in due_questions(engine, now):
        if dry_run:
            report.escalated.append(Escalation(question_id, round_ + 1, 0))
            continue
        try:
            _escalate(engine, outbox, question_id, round_, now, report)
        except Exception:  # one question's bug must not hold up the others
            log.exception("escalating question %s failed", question_id)
    return report


def _escalate(
    engine: Engine,
    outbox: Outbox,
    question_id: int,
    seen_round: int,
    now: datetime,
    report: EscalationReport,
) -> None:
    new_round = seen_round + 1
    directs: list[Direct] = []
    with session_scope(engine) as session:
        claimed = session.execute(
            update(Question)
            .where(
                col(Question.id) == question_id,
                col(Question.status) == "open",
                col(Question.escalation_round) == seen_round,
            )
            .values(escalation_round=new_round, escalated_at=now)
        )
        if not claimed.rowcount:  # type: ignore[attr-defined]
            return  # another process took this round
        question = session.get(Question, question_id)
        assert question is not None
        session.refresh(question)
        community = session.get(Community, question.community_id)
        assert community is not None
        experts = rules.next_experts(session, question, now)
        rules.record(session, question, experts, now, new_round)
        conversation = Conversation(community.platform, community.external_id, question.channel_id)
        days = rules.escalate_after(community)
        for expert in experts:
            language = locale_for(expert, None, community)
            with i18n.using(language):
                blocks = wording.to_expert(question, days=days)
            directs.append(_dm(conversation, expert, blocks, language))
        asker = session.get(Member, question.asker_id)
        if asker is not None:
            language = locale_for(asker, None, community)
            last = new_round >= rules.MAX_ROUNDS
            with i18n.using(language):
                blocks = wording.to_asker(question, len(experts), last=last)
            directs.append(_dm(conversation, asker, blocks, language))
    report.escalated.append(Escalation(question_id, new_round, len(experts)))
    for direct in directs:
        try:
            outbox.direct(direct)
        except Exception as exc:
            log.warning("escalation message for question %s failed: %s", question_id, exc)
            report.failed.append((question_id, str(exc)))


def _dm(
    conversation: Conversation, member: Member, blocks: tuple[Block, ...], language: str
) -> Direct:
    return Direct(
        conversation, mention_of(member), Reply(blocks=blocks, visibility="dm", locale=language)
    )
