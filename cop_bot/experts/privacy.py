"""What the experts capability holds about a member (profile, domains, roles, questions), for
`/profile export` and `/profile delete`.

Erasure anonymises a question someone else answered: it stays, with its answers, and no longer
says who asked it (`question.asker_id` is SET NULL), since the answer is the community's
knowledge and later readers find it by its question. A question nobody else answered is deleted
with its asker.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_
from sqlmodel import Session, col, select

from cop_bot.core.i18n import n_
from cop_bot.core.privacy import (
    Notes,
    PrivacySection,
    by_foreign_keys,
    count_of,
    record,
    records,
    rows_of,
)
from cop_bot.storage import repos
from cop_bot.storage.models import (
    Answer,
    Member,
    Question,
    QuestionNotice,
    QuestionRecipient,
    RoleGrant,
)


def export_profile(session: Session, member: Member) -> dict[str, Any]:
    """Every profile field, listed or not: also what `/profile` shows its owner as data."""
    assert member.id is not None
    return {
        **record(
            member,
            "handle name=display_name platform_user_id country city languages organisation "
            "organisation_type bio timezone language=locale",
        ),
        "domains": repos.member_domains(session, member.id),
        **record(
            member,
            "expert=is_expert asks=accepts_asks capacity=asks_capacity expert_since welcomed_at "
            "created_at updated_at",
        ),
    }


def _roles(session: Session, member: Member) -> list[dict[str, Any]]:
    return records(
        rows_of(session, RoleGrant, RoleGrant.member_id, member), "role granted_by granted_at"
    )


def _questions(session: Session, member: Member) -> dict[str, Any]:
    asked = rows_of(session, Question, Question.asker_id, member)
    received = rows_of(session, QuestionRecipient, QuestionRecipient.member_id, member)
    closed = rows_of(session, Question, Question.answered_by_id, member)
    notices = rows_of(session, QuestionNotice, QuestionNotice.member_id, member)
    return {
        "asked": records(asked, "id text domains status channel=channel_id created_at answered_at"),
        "notified_of": records(received, "question_id round notified_at declined_at"),
        "marked_answered": records(closed, "question_id=id answered_at"),
        "escalation_messages": records(notices, "question_id round role status at"),
    }


PROFILE = PrivacySection(
    name="profile",
    export=export_profile,
    erase=by_foreign_keys(),
    covers=("member.id", "member_domain.member_id"),
)
ROLES = PrivacySection(
    name="roles", export=_roles, erase=by_foreign_keys(), covers=("role_grant.member_id",)
)


def _answered_by_others(member: Member) -> Any:
    """The questions with someone else's answer still standing (not taken back)."""
    return select(Answer.question_id).where(
        col(Answer.deleted_at).is_(None),
        or_(col(Answer.author_id).is_(None), col(Answer.author_id) != member.id),
    )


def _erase_questions(session: Session, member: Member, answer: str | None) -> Notes:
    """Their questions nobody else answered are deleted now (with any answer of their own);
    those someone else answered stay, anonymous (SET NULL when the member row goes), answers
    and all; others' questions they closed stay closed (SET NULL)."""
    mine = col(Question.asker_id) == member.id
    answered = _answered_by_others(member)
    kept = count_of(session, Question.asker_id, member, col(Question.id).in_(answered))
    session.execute(delete(Question).where(mine, col(Question.id).not_in(answered)))
    closed = count_of(session, Question.answered_by_id, member, Question.asker_id != member.id)
    notes: list[str] = []
    if kept > 0:
        notes.append(
            n_(
                kept,
                "Your question stays with its answers, without saying who asked it, because "
                "others answered it and rely on it; your questions nobody else answered are "
                "deleted.",
                "Your {count} questions stay with their answers, without saying who asked them, "
                "because others answered them and rely on them; your questions nobody else "
                "answered are deleted.",
            )
        )
    if closed > 0:
        notes.append(
            n_(
                closed,
                "The question you marked answered stays answered, without saying who did, "
                "because someone else asked it.",
                "The {count} questions you marked answered stay answered, without saying who "
                "did, because others asked them.",
            )
        )
    return tuple(notes)


QUESTIONS = PrivacySection(
    name="questions",
    export=_questions,
    erase=_erase_questions,
    covers=(
        "question.asker_id",
        "question.answered_by_id",
        "question_recipient.member_id",
        "question_notice.member_id",
    ),
)
