"""The rules of `/ask`: which experts hear of a question, and who may mark it answered.

A question goes to the channel and to at most three matching experts who accept questions and
have capacity left this month, chosen round robin (whoever was asked longest ago first), never
the asker. Capacity is counted from `QuestionRecipient` rows, so it resets each calendar month.

A question needs a topic and the question itself. Asking the same again within a day gives the
first one back instead of telling experts twice, and each member may ask at most the
community's `asks-per-day` questions in any 24 hours, so one member cannot flood the experts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import func
from sqlmodel import Session, col, select

from cop_bot.core.errors import UsageError
from cop_bot.core.i18n import _
from cop_bot.core.taxonomy import Candidate, Taxonomy
from cop_bot.experts.directory import DirectoryIndex, Filters, rotation_key
from cop_bot.experts.profiles import monthly_capacity
from cop_bot.storage import repos
from cop_bot.storage.models import Community, Member, Question, QuestionRecipient

MAX_RECIPIENTS = 3
MAX_QUESTION = 2000
MATCHING_POOL = 50
"""How many of the best-matching experts are considered before capacity and rotation."""
DEFAULT_ASKS_PER_DAY = 5
"""Questions one member may ask in 24 hours when the community has not chosen a number."""
MAX_ASKS_PER_DAY = 100
DAY = timedelta(days=1)
_WORD = re.compile(r"\w")

Listing = Literal["open", "mine", "answered"]


def month_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def read_question(text: str) -> tuple[str, str]:
    """(topic, question) from `TOPIC: QUESTION`; both must hold a word (`/ask housing` and
    `/ask : what?` are refused rather than sent to experts who may not know the topic)."""
    topic, sep, question = text.partition(":")
    topic, question = topic.strip(), question.strip()
    if not sep:
        raise UsageError(_("A question needs a topic, a colon, then the question itself."))
    if not _WORD.search(topic):
        raise UsageError(_("Name the topic before the colon: a domain, or a few words about it."))
    if not _WORD.search(question):
        raise UsageError(_("Write your question after the topic and a colon."))
    if len(question) > MAX_QUESTION:
        raise UsageError(
            _("Your question is {length} characters; please keep it under {limit}.").format(
                length=len(question), limit=MAX_QUESTION
            )
        )
    return topic, question


def asks_per_day(community: Community) -> int:
    return community.asks_per_day or DEFAULT_ASKS_PER_DAY


def recent_questions(session: Session, asker_id: int, now: datetime) -> list[Question]:
    """The member's questions of the last 24 hours, oldest first.

    The member's row is locked first (on PostgreSQL), so two asks of one member at the same
    moment are checked one after the other and cannot both pass the limit or the repeat check.
    """
    session.exec(select(Member.id).where(Member.id == asker_id).with_for_update()).first()
    return list(
        session.exec(
            select(Question)
            .where(Question.asker_id == asker_id, Question.created_at > now - DAY)
            .order_by(col(Question.created_at), col(Question.id))
        ).all()
    )


def _gist(text: str) -> str:
    """What makes two questions the same: case, spacing and closing punctuation aside."""
    return " ".join(text.casefold().split()).rstrip(" ?!.…")


def repeat_of(recent: Sequence[Question], question: str) -> Question | None:
    """The earlier question among `recent` that says the same as `question`, if any."""
    gist = _gist(question)
    return next((q for q in recent if _gist(q.text) == gist), None)


def matching_experts(
    index: DirectoryIndex,
    topic: str,
    candidates: Sequence[Candidate],
    *,
    taxonomy: Taxonomy,
    now: datetime,
    language: str,
) -> list[int]:
    """Member ids of the experts `/find-expert TOPIC` would list, best first."""
    _total, hits = index.search(
        topic,
        candidates,
        Filters(),
        taxonomy=taxonomy,
        today=now.date(),
        language=language,
        limit=MATCHING_POOL,
    )
    return [h.expert.member_id for h in hits]


def ask_question(
    session: Session,
    question: Question,
    matching: list[int],
    now: datetime,
) -> list[Member]:
    """Store the question and who is told of it; returns those experts."""
    session.add(question)
    session.flush()
    assert question.id is not None
    recipients = choose_recipients(session, matching, question.asker_id, now)
    for member in recipients:
        assert member.id is not None
        session.add(
            QuestionRecipient(question_id=question.id, member_id=member.id, notified_at=now)
        )
    return recipients


def choose_recipients(
    session: Session,
    matching: list[int],
    asker_id: int | None,
    now: datetime,
    *,
    exclude: frozenset[int] = frozenset(),
    limit: int = MAX_RECIPIENTS,
) -> list[Member]:
    """Up to `limit` who accept questions and have room this month, least recently asked first
    (`exclude`: those already told, for escalation and `/ask decline`)."""
    matching = [m for m in matching if m not in exclude]
    if not matching:
        return []
    members = session.exec(
        select(Member).where(
            col(Member.id).in_(matching),
            col(Member.accepts_asks),
            col(Member.is_expert),
            Member.id != asker_id,
        )
    ).all()
    ids = [m.id for m in members if m.id is not None]
    counts = _asked_since(session, ids, month_start(now))
    last = dict(
        session.exec(
            select(QuestionRecipient.member_id, func.max(QuestionRecipient.notified_at))
            .where(col(QuestionRecipient.member_id).in_(ids))
            .group_by(col(QuestionRecipient.member_id))
        ).all()
    )
    never = datetime.min.replace(tzinfo=UTC)
    rank = {member_id: i for i, member_id in enumerate(matching)}
    today = now.date().toordinal()
    available = [m for m in members if counts.get(m.id or 0, 0) < monthly_capacity(m)]
    available.sort(
        key=lambda m: (
            last.get(m.id or 0) or never,
            rank[m.id or 0],
            rotation_key(today, m.id or 0),
        )
    )
    return available[:limit]


def _asked_since(session: Session, ids: list[int], since: datetime) -> dict[int, int]:
    return dict(
        session.exec(
            select(QuestionRecipient.member_id, func.count())
            .where(
                col(QuestionRecipient.member_id).in_(ids),
                QuestionRecipient.notified_at >= since,
                col(QuestionRecipient.declined_at).is_(None),  # a declined ask is not charged
            )
            .group_by(col(QuestionRecipient.member_id))
        ).all()
    )


def may_close(session: Session, question: Question, member: Member, *, curator: bool) -> bool:
    """The asker, a curator, an expert it went to, or an expert in one of its domains."""
    if question.asker_id == member.id or curator:
        return True
    if not member.is_expert:
        return False
    notified = session.get(QuestionRecipient, (question.id, member.id))
    assert member.id is not None
    mine = set(repos.member_domains(session, member.id))
    return notified is not None or bool(mine & set(question.domains))


def mark_answered(session: Session, question: Question, by: Member, now: datetime) -> None:
    question.status = "answered"
    question.answered_at = now
    question.answered_by_id = by.id
    session.add(question)


def community_question(session: Session, community_id: int, question_id: int) -> Question | None:
    question = session.get(Question, question_id)
    return question if question is not None and question.community_id == community_id else None


def list_questions(
    session: Session, community_id: int, which: Listing, member_id: int | None
) -> list[tuple[Question, Member | None]]:
    """(question, asker): open ones oldest first; the member's own or the answered ones newest
    first."""
    query = (
        select(Question, Member)
        .outerjoin(Member, col(Member.id) == col(Question.asker_id))
        .where(Question.community_id == community_id)
    )
    if which == "open":
        query = query.where(Question.status == "open").order_by(
            col(Question.created_at), col(Question.id)
        )
    elif which == "mine":
        query = query.where(Question.asker_id == member_id).order_by(
            col(Question.created_at).desc()
        )
    else:
        query = query.where(Question.status == "answered").order_by(
            col(Question.answered_at).desc()
        )
    return [(q, m) for q, m in session.exec(query).all()]
