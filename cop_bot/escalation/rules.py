"""When an open question goes to the next experts, and who they are.

A question still open `escalate_after` days (a community setting, default 3) after it was asked,
or after its last escalation, goes to up to three more matching experts who were not told yet
(same rules as `/ask`: accept asks, capacity left, round robin). After `MAX_ROUNDS` it stops and
the question "needs a hand": the digest and `/insights` show it.

"Matching" here is the question's domains: experts with one of them. (The directory's free-text
search needs the index a job does not hold.)
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from cop_bot.experts import questions as asking
from cop_bot.storage.models import Community, Member, MemberDomain, Question, QuestionRecipient

DEFAULT_ESCALATE_AFTER = 3
MAX_ESCALATE_AFTER = 60
MAX_ROUNDS = 2


def escalate_after(community: Community) -> int:
    return community.escalate_after or DEFAULT_ESCALATE_AFTER


def due(question: Question, community: Community, now: datetime) -> bool:
    """Whether `question` should go to further experts at `now`."""
    if question.status != "open" or question.escalation_round >= MAX_ROUNDS:
        return False
    since = question.escalated_at or question.created_at
    return now - since >= timedelta(days=escalate_after(community))


def needs_a_hand(question: Question) -> bool:
    return question.status == "open" and question.escalation_round >= MAX_ROUNDS


def told(session: Session, question_id: int) -> frozenset[int]:
    """Everyone the question went to already, declined or not."""
    return frozenset(
        session.exec(
            select(QuestionRecipient.member_id).where(QuestionRecipient.question_id == question_id)
        ).all()
    )


def domain_experts(session: Session, question: Question) -> list[int]:
    """Experts of the community with one of the question's domains, most shared domains first."""
    if not question.domains:
        return []
    rows = session.exec(
        select(MemberDomain.member_id)
        .join(Member, col(Member.id) == col(MemberDomain.member_id))
        .where(
            Member.community_id == question.community_id,
            col(MemberDomain.domain).in_(question.domains),
        )
    ).all()
    shared: dict[int, int] = {}
    for member_id in rows:
        shared[member_id] = shared.get(member_id, 0) + 1
    return sorted(shared, key=lambda m: (-shared[m], m))


def next_experts(
    session: Session, question: Question, now: datetime, *, limit: int = asking.MAX_RECIPIENTS
) -> list[Member]:
    """The next experts in the rotation for `question`, none of them told before."""
    assert question.id is not None
    return asking.choose_recipients(
        session,
        domain_experts(session, question),
        question.asker_id,
        now,
        exclude=told(session, question.id),
        limit=limit,
    )


def record(
    session: Session, question: Question, experts: list[Member], now: datetime, round_: int
) -> None:
    for member in experts:
        assert member.id is not None and question.id is not None
        session.add(
            QuestionRecipient(
                question_id=question.id, member_id=member.id, notified_at=now, round=round_
            )
        )
