"""What the experts capability holds about a member (profile, domains, roles, questions), for
`/profile export` and `/profile delete`."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from cop_bot.core.privacy import PrivacySection, by_foreign_keys
from cop_bot.storage import repos
from cop_bot.storage.models import Member, Question, QuestionRecipient, RoleGrant


def export_profile(session: Session, member: Member) -> dict[str, Any]:
    """Every profile field, listed or not: also what `/profile` shows its owner as data."""
    assert member.id is not None
    return {
        "handle": member.handle,
        "name": member.display_name,
        "platform_user_id": member.platform_user_id,
        "country": member.country,
        "city": member.city,
        "languages": list(member.languages),
        "organisation": member.organisation,
        "organisation_type": member.organisation_type,
        "bio": member.bio,
        "timezone": member.timezone,
        "locale": member.locale,
        "domains": repos.member_domains(session, member.id),
        "expert": member.is_expert,
        "asks": member.accepts_asks,
        "capacity": member.asks_capacity,
        "expert_since": member.expert_since,
        "welcomed_at": member.welcomed_at,
        "created_at": member.created_at,
        "updated_at": member.updated_at,
    }


def _roles(session: Session, member: Member) -> list[dict[str, Any]]:
    grants = session.exec(select(RoleGrant).where(RoleGrant.member_id == member.id)).all()
    return [
        {"role": g.role, "granted_by": g.granted_by, "granted_at": g.granted_at} for g in grants
    ]


def _questions(session: Session, member: Member) -> dict[str, Any]:
    asked = session.exec(select(Question).where(Question.asker_id == member.id)).all()
    received = session.exec(
        select(QuestionRecipient).where(QuestionRecipient.member_id == member.id)
    ).all()
    closed = session.exec(
        select(Question).where(Question.answered_by_id == member.id).order_by(col(Question.id))
    ).all()
    return {
        "asked": [
            {
                "id": q.id,
                "text": q.text,
                "domains": q.domains,
                "status": q.status,
                "channel": q.channel_id,
                "created_at": q.created_at,
                "answered_at": q.answered_at,
            }
            for q in asked
        ],
        "notified_of": [
            {"question_id": r.question_id, "notified_at": r.notified_at} for r in received
        ],
        "marked_answered": [{"question_id": q.id, "answered_at": q.answered_at} for q in closed],
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
QUESTIONS = PrivacySection(
    name="questions",
    export=_questions,
    erase=by_foreign_keys(
        "Questions others asked stay; where you marked one answered, it no longer says who did."
    ),
    covers=("question.asker_id", "question.answered_by_id", "question_recipient.member_id"),
)
