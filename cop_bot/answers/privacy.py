"""What answers hold about a member, for `/profile export` and `/profile delete`.

Erasure anonymises: an answer the member gave stays with its question, saying "a former
member" instead of who gave it, since the asker and later readers rely on it; the history of
edits forgets who made them. (A question the member asked that has an answer stays too, without
its asker; one without goes: see `experts.privacy`.)
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col

from cop_bot.core.i18n import n_
from cop_bot.core.privacy import Notes, PrivacySection, count_of, records, rows_of
from cop_bot.storage.models import Answer, AnswerRevision, Member


def _answers(session: Session, member: Member) -> dict[str, Any]:
    given = rows_of(session, Answer, Answer.author_id, member)
    edits = rows_of(session, AnswerRevision, AnswerRevision.editor_id, member)
    return {
        "given": records(given, "id question_id text accepted created_at edited_at deleted_at"),
        "history": records(edits, "question_id answer_id at changes"),
    }


def _erase_answers(session: Session, member: Member, answer: str | None) -> Notes:
    """Their answers stay, without their author (SET NULL): to others' questions, and to their
    own, which stay since they have an answer."""
    kept = count_of(session, Answer.author_id, member, col(Answer.deleted_at).is_(None))
    if kept <= 0:
        return ()
    return (
        n_(
            kept,
            "Your answer stays with its question, saying a former member gave it, because the "
            "asker and others rely on it.",
            "Your {count} answers stay with their questions, saying a former member gave them, "
            "because the askers and others rely on them.",
        ),
    )


ANSWERS = PrivacySection(
    name="answers",
    export=_answers,
    erase=_erase_answers,
    covers=("answer.author_id", "answer_revision.editor_id"),
)
