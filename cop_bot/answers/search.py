"""`/questions QUERY`: find a question again by its words or its answers' words.

Words are folded exactly as the practices' search folds them (`practices.search.tokens`: case,
accents, spelling variants, plurals, stop words) and compared by their stems
(`core.words.search_form`), so "housings" finds "housing" and "logement" its own forms, as
`/practices` does. Every query word must be found in the question or one of its answers.
Questions are few next to practices (one community asks thousands, not a hundred thousand), so
this reads them from the database each time instead of keeping an index.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlmodel import Session, col, select

from cop_bot.answers.rules import WITHDRAWN
from cop_bot.core.words import search_form
from cop_bot.practices.search import tokens
from cop_bot.storage.models import Answer, Member, Question


def _forms(text: str) -> set[str]:
    return {search_form(t) for t in tokens(text)}


@dataclass(frozen=True)
class Found:
    question: Question
    asker: Member | None
    score: int


def search_questions(
    session: Session,
    community_id: int,
    query: str,
    *,
    domain: str | None = None,
    answered_only: bool = False,
) -> list[Found]:
    """Matching questions, most query words in the question itself first, then newest."""
    wanted = _forms(query)
    stmt = (
        select(Question, Member)
        .outerjoin(Member, col(Member.id) == col(Question.asker_id))
        .where(Question.community_id == community_id, Question.status != WITHDRAWN)
    )
    if answered_only:
        stmt = stmt.where(Question.status == "answered")
    rows = [(q, m) for q, m in session.exec(stmt).all()]
    if domain is not None:
        rows = [(q, m) for q, m in rows if domain in q.domains]
    ids = [q.id for q, _m in rows]
    answer_words: dict[int, set[str]] = defaultdict(set)
    if ids and wanted:
        for qid, text in session.exec(
            select(Answer.question_id, Answer.text).where(
                col(Answer.question_id).in_(ids), col(Answer.deleted_at).is_(None)
            )
        ).all():
            answer_words[qid] |= _forms(text)
    found: list[Found] = []
    for q, asker in rows:
        own = _forms(q.text)
        if not wanted <= own | answer_words.get(q.id or 0, set()):
            continue
        found.append(Found(q, asker, len(wanted & own)))
    found.sort(key=lambda f: (-f.score, -f.question.created_at.timestamp(), -(f.question.id or 0)))
    return found
