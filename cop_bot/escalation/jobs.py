"""The escalation job: each round of each question happens once, whatever the processes, and
each of its messages leaves once.

The claim is a compare-and-set on `Question.escalation_round` (from the round seen to the next),
in the same transaction as the new `QuestionRecipient` rows and one `QuestionNotice` per message
the round owes (the experts it now goes to, and the asker). A second process (or tick) that read
the same round updates no row and rolls back, so nobody is told twice. The notices then go out
through `core.claims`, as mentoring introductions do: each is taken with a compare-and-set, and
one the platform did not take is `failed` and retried on a later run (`core.outbox.retry_wait`,
at most `MAX_SEND_ATTEMPTS` times), not counted as sent; a permanent refusal is `refused`. A
notice whose question was answered or withdrawn meanwhile is `skipped`: it has nothing to ask.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import Engine, func, update
from sqlmodel import col, select

from cop_bot.core import claims, i18n
from cop_bot.core.members import locale_for
from cop_bot.core.model import Block, Conversation, Reply
from cop_bot.core.outbox import Direct, Outbox
from cop_bot.core.scheduler import Job
from cop_bot.core.wording import mention_of
from cop_bot.escalation import rules, wording
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import Community, Member, Question, QuestionNotice, QuestionRecipient

log = logging.getLogger(__name__)
TICK = timedelta(minutes=10)
EXPERT, ASKER = "expert", "asker"
NOTICE = claims.SendState(QuestionNotice)


@dataclass
class Escalation:
    question_id: int
    round: int
    experts: int


@dataclass
class EscalationReport:
    escalated: list[Escalation] = field(default_factory=list)
    sent: int = 0
    """Messages the platform took (this run's, and retries of earlier ones)."""
    failed: list[tuple[int, str]] = field(default_factory=list)
    """(question id, error) of each message to retry on a later run."""
    refused: list[tuple[int, str]] = field(default_factory=list)
    """(question id, reason) of each message refused for good (not retried)."""


def jobs(engine: Engine, outbox: Outbox) -> list[Job]:
    def run(now: datetime) -> EscalationReport:
        report = run_due(engine, outbox, now)
        if report.escalated or report.failed or report.refused:
            log.info(
                "escalation: %d questions, %d sent, %d failed, %d refused",
                len(report.escalated),
                report.sent,
                len(report.failed),
                len(report.refused),
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
    """Escalate every question due at `now`, then send every notice owed (this run's, and
    earlier ones that failed or were abandoned). Safe from any number of processes."""
    report = EscalationReport()
    for question_id, round_ in due_questions(engine, now):
        if dry_run:
            report.escalated.append(Escalation(question_id, round_ + 1, 0))
            continue
        try:
            _escalate(engine, question_id, round_, now, report)
        except Exception:  # one question's bug must not hold up the others
            log.exception("escalating question %s failed", question_id)
    if not dry_run:
        send_notices(engine, outbox, now, report)
    return report


def _escalate(
    engine: Engine, question_id: int, seen_round: int, now: datetime, report: EscalationReport
) -> None:
    """Claim the next round and write what it owes; the sending is `send_notices`'."""
    new_round = seen_round + 1
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
        experts = rules.next_experts(session, question, now)
        rules.record(session, question, experts, now, new_round)
        owed = [(e.id, EXPERT) for e in experts]
        if question.asker_id is not None:
            owed.append((question.asker_id, ASKER))
        for member_id, role in owed:
            assert member_id is not None
            session.add(
                QuestionNotice(
                    question_id=question_id, member_id=member_id, round=new_round, role=role
                )
            )
    report.escalated.append(Escalation(question_id, new_round, len(experts)))


def send_notices(engine: Engine, outbox: Outbox, now: datetime, report: EscalationReport) -> None:
    """Send every notice that is due, each by the one process that takes it."""
    with session_scope(engine) as session:
        rows = session.exec(
            select(QuestionNotice).where(NOTICE.open_rows()).order_by(col(QuestionNotice.id))
        ).all()
        due = [(r.id, r.question_id) for r in rows if r.id and claims.due(NOTICE, r, now)]
    for notice_id, question_id in due:
        if not claims.take(engine, NOTICE, notice_id, now):
            continue
        try:
            direct = _notice(engine, notice_id)
        except Exception as exc:  # a bug building one message must not hold up the others
            log.exception("building escalation notice %s failed", notice_id)
            _record(engine, notice_id, now, *claims.outcome(exc))
            report.failed.append((question_id, str(exc)))
            continue
        if direct is None:
            _record(engine, notice_id, now, claims.SKIPPED, None, counted=False)
            continue
        status, error = claims.attempt(
            engine, NOTICE, notice_id, now, partial(outbox.direct, direct)
        )
        if status == claims.SENT:
            report.sent += 1
        elif status == claims.REFUSED:
            report.refused.append((question_id, error or ""))
        else:
            log.warning("escalation message for question %s failed: %s", question_id, error)
            report.failed.append((question_id, error or ""))


def _record(
    engine: Engine,
    notice_id: int,
    now: datetime,
    status: str,
    error: str | None,
    *,
    counted: bool = True,
) -> None:
    with session_scope(engine) as session:
        claims.finish(session, NOTICE, notice_id, status, now, error, counted=counted)


def _notice(engine: Engine, notice_id: int) -> Direct | None:
    """The message a notice stands for, in its reader's language; None when it is moot (the
    question was answered or withdrawn, or its reader left)."""
    with session_scope(engine) as session:
        notice = session.get(QuestionNotice, notice_id)
        if notice is None:
            return None
        question = session.get(Question, notice.question_id)
        member = session.get(Member, notice.member_id)
        if question is None or member is None or question.status != "open":
            return None
        community = session.get(Community, question.community_id)
        assert community is not None
        conversation = Conversation(community.platform, community.external_id, question.channel_id)
        language = locale_for(member, None, community)
        with i18n.using(language):
            if notice.role == EXPERT:
                blocks = wording.to_expert(question, days=rules.escalate_after(community))
            else:
                told = session.exec(
                    select(func.count())
                    .select_from(QuestionRecipient)
                    .where(
                        QuestionRecipient.question_id == question.id,
                        QuestionRecipient.round == notice.round,
                    )
                ).one()
                last = notice.round >= rules.MAX_ROUNDS
                blocks = wording.to_asker(question, int(told), last=last)
        return _dm(conversation, member, blocks, language)


def _dm(
    conversation: Conversation, member: Member, blocks: tuple[Block, ...], language: str
) -> Direct:
    return Direct(
        conversation, mention_of(member), Reply(blocks=blocks, visibility="dm", locale=language)
    )
