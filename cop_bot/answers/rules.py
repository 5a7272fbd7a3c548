"""The rules of answers: reading `/answer`, who may answer, edit, delete and accept, and the
history every change leaves (as practices keep theirs).

A question takes answers while it is open or answered; a withdrawn question takes none. An
answer's author edits or deletes it; a deleted answer keeps its row and history (marked
deleted) so the record of who said what and when survives. Only the asker accepts an answer,
and accepting one marks the question answered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, case, func, or_, type_coerce
from sqlmodel import Session, col, select

from cop_bot.core.errors import CommandError, UsageError
from cop_bot.core.i18n import _
from cop_bot.practices import changes as practice_changes
from cop_bot.practices.review import PENDING
from cop_bot.storage import repos
from cop_bot.storage.models import Answer, AnswerRevision, Member, Practice, Question
from cop_bot.storage.types import UTCDateTime

MAX_ANSWER = 4000
WITHDRAWN = "withdrawn"
_ID = re.compile(r"#?([0-9]{1,9})")
_WORD = re.compile(r"\w")

Action = Literal["add", "edit", "delete"]


@dataclass(frozen=True)
class AnswerCommand:
    """What `/answer …` asks for: `add` (question id, text), `edit` (answer id, text) or
    `delete` (answer id)."""

    action: Action
    target: int
    text: str = ""


def _number(word: str, example: str) -> int:
    m = _ID.fullmatch(word)
    if m is None:
        raise UsageError(
            _("{word} is not a number; for example {example}.").format(
                word=repr(word[:40]), example=example
            )
        )
    return int(m.group(1))


def check_text(text: str, example: str) -> str:
    """The answer or question text, stripped; it must hold a word and fit."""
    text = text.strip()
    if not _WORD.search(text):
        raise UsageError(
            _("Write the answer after the number; for example {example}.").format(example=example)
        )
    if len(text) > MAX_ANSWER:
        raise UsageError(
            _("Your answer is {length} characters; please keep it under {limit}.").format(
                length=len(text), limit=MAX_ANSWER
            )
        )
    return text


def read_answer(text: str) -> AnswerCommand:
    """`ID TEXT`, `edit ANSWER-ID TEXT` or `delete ANSWER-ID`, as typed after `/answer`."""
    head, _sep, rest = text.strip().partition(" ")
    if not head:
        raise UsageError(_("Which question are you answering? For example /answer 12 TEXT."))
    verb = head.lower()
    if verb in ("edit", "delete"):
        number, _sep, body = rest.strip().partition(" ")
        if not number:
            raise UsageError(
                _("Which answer? For example {example}.").format(example=f"/answer {verb} 3")
            )
        answer_id = _number(number, f"/answer {verb} 3")
        if verb == "delete":
            if body.strip():
                raise UsageError(_("/answer delete takes only the answer's number."))
            return AnswerCommand("delete", answer_id)
        return AnswerCommand("edit", answer_id, check_text(body, "/answer edit 3 TEXT"))
    question_id = _number(head, "/answer 12 TEXT")
    return AnswerCommand("add", question_id, check_text(rest, "/answer 12 TEXT"))


def _revision(
    session: Session,
    question: Question,
    answer: Answer | None,
    editor: Member,
    now: datetime,
    changes: dict[str, Any],
) -> None:
    assert question.id is not None
    session.add(
        AnswerRevision(
            question_id=question.id,
            answer_id=answer.id if answer is not None else None,
            editor_id=editor.id,
            at=now,
            changes=changes,
        )
    )


def add_answer(
    session: Session, question: Question, author: Member, text: str, now: datetime
) -> Answer:
    """Record an answer. A withdrawn question takes none, nor does a closed one (its asker
    accepted an answer); one marked answered without an answer recorded still takes one, so
    the answer given in the thread can be kept."""
    if question.status == WITHDRAWN:
        raise CommandError(
            _("Question #{id} was withdrawn by its asker and takes no answers.").format(
                id=question.id
            )
        )
    assert question.id is not None
    accepted = session.exec(
        select(Answer.id).where(
            Answer.question_id == question.id,
            col(Answer.accepted),
            col(Answer.deleted_at).is_(None),
        )
    ).first()
    if accepted is not None:
        raise CommandError(
            _(
                "Question #{id} is closed: its asker accepted answer #{answer}. Ask a follow-up "
                "question with /ask."
            ).format(id=question.id, answer=accepted)
        )
    answer = Answer(question_id=question.id, author_id=author.id, text=text, created_at=now)
    session.add(answer)
    session.flush()
    _revision(session, question, answer, author, now, {"text": [None, text]})
    return answer


def community_answer(session: Session, community_id: int, answer_id: int) -> Answer | None:
    """The answer with this id in this community, unless deleted."""
    answer = session.get(Answer, answer_id)
    if answer is None or answer.deleted_at is not None:
        return None
    question = session.get(Question, answer.question_id)
    return answer if question is not None and question.community_id == community_id else None


def _own(answer: Answer, member: Member) -> None:
    if answer.author_id != member.id:
        raise CommandError(_("Only the author of answer #{id} can change it.").format(id=answer.id))


def edit_answer(
    session: Session, question: Question, answer: Answer, by: Member, text: str, now: datetime
) -> bool:
    """Change the text; False when it is the same (no history line for nothing)."""
    _own(answer, by)
    if answer.text == text:
        return False
    _revision(session, question, answer, by, now, {"text": [answer.text, text]})
    answer.text = text
    answer.edited_at = now
    session.add(answer)
    return True


def delete_answer(
    session: Session, question: Question, answer: Answer, by: Member, now: datetime
) -> None:
    """Mark it deleted; an accepted answer stops being accepted."""
    _own(answer, by)
    _revision(session, question, answer, by, now, {"deleted": [None, now.isoformat()]})
    answer.deleted_at = now
    answer.accepted = False
    session.add(answer)


def accept_answer(
    session: Session, question: Question, answer: Answer, by: Member, now: datetime
) -> None:
    """The asker accepts one answer (any earlier accepted one is no longer); the question is
    then answered."""
    if question.asker_id != by.id:
        raise CommandError(
            _("Only the asker of question #{id} can accept an answer.").format(id=question.id)
        )
    if answer.question_id != question.id:
        raise CommandError(
            _("Answer #{answer} is not an answer to question #{question}.").format(
                answer=answer.id, question=question.id
            )
        )
    for other in answers_of(session, question):
        if other.accepted and other.id != answer.id:
            other.accepted = False
            session.add(other)
    answer.accepted = True
    session.add(answer)
    _revision(session, question, answer, by, now, {"accepted": [False, True]})
    if question.status != "answered":
        question.status = "answered"
        question.answered_at = now
        question.answered_by_id = by.id
        session.add(question)


def edit_question(
    session: Session, question: Question, by: Member, text: str, now: datetime
) -> bool:
    """The asker changes the question's text; history kept."""
    if question.asker_id != by.id:
        raise CommandError(
            _("Only the asker of question #{id} can change it.").format(id=question.id)
        )
    if question.status == WITHDRAWN:
        raise CommandError(_("Question #{id} was withdrawn.").format(id=question.id))
    if question.text == text:
        return False
    _revision(session, question, None, by, now, {"text": [question.text, text]})
    question.text = text
    session.add(question)
    return True


def withdraw_question(session: Session, question: Question, by: Member, now: datetime) -> None:
    """The asker takes the question back: it takes no more answers; its answers stay."""
    if question.asker_id != by.id:
        raise CommandError(
            _("Only the asker of question #{id} can withdraw it.").format(id=question.id)
        )
    if question.status == WITHDRAWN:
        raise CommandError(_("Question #{id} was withdrawn.").format(id=question.id))
    _revision(session, question, None, by, now, {"status": [question.status, WITHDRAWN]})
    question.status = WITHDRAWN
    session.add(question)


def answers_of(session: Session, question: Question) -> list[Answer]:
    """The question's answers that are not deleted, oldest first."""
    return list(
        session.exec(
            select(Answer)
            .where(Answer.question_id == question.id, col(Answer.deleted_at).is_(None))
            .order_by(col(Answer.created_at), col(Answer.id))
        ).all()
    )


def history_of(session: Session, question: Question) -> list[AnswerRevision]:
    return list(
        session.exec(
            select(AnswerRevision)
            .where(AnswerRevision.question_id == question.id)
            .order_by(col(AnswerRevision.at), col(AnswerRevision.id))
        ).all()
    )


def first_answer_at(session: Session, question_id: int) -> datetime | None:
    """When the question got its first answer (deleted ones count: it was answered then), for
    time-to-first-answer figures; None when it has none."""
    at: datetime | None = session.exec(
        select(func.min(Answer.created_at)).where(Answer.question_id == question_id)
    ).one()
    return at


def first_answers(session: Session, community_id: int) -> dict[int, datetime]:
    """{question id: first answer time} for a whole community in one query."""
    rows = session.exec(
        select(Answer.question_id, func.min(Answer.created_at))
        .join(Question, col(Question.id) == col(Answer.question_id))
        .where(Question.community_id == community_id)
        .group_by(col(Answer.question_id))
    ).all()
    return dict(rows)


def first_answer_sql(recorded: Any, marked: Any) -> ColumnElement[datetime]:
    """When a question was first answered, as SQL, so `/insights` can count and group by it
    without loading an answer: `recorded` is the question's first `/answer` (`min` of
    `Answer.created_at` over a LEFT JOIN of its answers; deleted ones count), `marked` when it
    was marked answered (an answer given in the thread). The earlier of the two, else NULL."""
    earliest = case((or_(recorded.is_(None), marked < recorded), marked), else_=recorded)
    return type_coerce(earliest, UTCDateTime())


MAX_TITLE = 200
MAX_SUMMARY = 2000


def accepted_answer(session: Session, question: Question) -> Answer | None:
    return next((a for a in answers_of(session, question) if a.accepted), None)


def promote(
    session: Session,
    community_id: int,
    question: Question,
    curator: Member,
    now: datetime,
) -> tuple[Practice, Answer]:
    """A practice draft of kind `answer` from an answered question and its accepted answer.

    The answer's author is the practice's author; the asker is credited in `contact` with
    them. It starts pending, so it goes through the usual review. Once per answer.
    """
    given = accepted_answer(session, question)
    if question.status != "answered" or given is None:
        raise CommandError(
            _("Question #{id} has no accepted answer to promote yet.").format(id=question.id),
            hint=_("Its asker accepts one with /answered ID answer:N."),
        )
    if given.practice_id is not None:
        raise CommandError(
            _("Question #{id} was already promoted to practice #{practice}.").format(
                id=question.id, practice=given.practice_id
            )
        )
    asker = repos.member_of(session, question.asker_id)
    author = session.get(Member, given.author_id) if given.author_id is not None else None
    credit = [f"@{m.handle}" for m in (asker, author) if m is not None]
    title = " ".join(question.text.split())
    summary = given.text.strip()
    values: dict[str, Any] = {
        "title": title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1] + "…",
        "summary": summary if len(summary) <= MAX_SUMMARY else summary[: MAX_SUMMARY - 1] + "…",
        "kind": "answer",
        "domains": list(question.domains),
        "contact": ", ".join(dict.fromkeys(credit)) or None,
    }
    practice = practice_changes.create(
        session,
        community_id,
        values,
        author=author,
        status=PENDING,
        now=now,
        channel_id=question.channel_id,
        editor=curator,
    )
    given.practice_id = practice.id
    session.add(given)
    _revision(session, question, given, curator, now, {"promoted": [None, practice.id]})
    return practice, given
