"""Access and erasure of a member's personal data (GDPR articles 15, 17 and 20).

Each feature that stores something about a member adds a section to `export_member` and makes
sure `erase_member` leaves nothing behind: rows are deleted, or anonymised where the community's
shared knowledge must survive (an endorsement still counts, but no longer says who gave it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session, col, select

from cop_bot.storage import repos
from cop_bot.storage.models import (
    Meeting,
    MeetingAgendaItem,
    MeetingRsvp,
    Member,
    Practice,
    PracticeEndorsement,
    PracticeRevision,
    Question,
    QuestionRecipient,
    RoleGrant,
)

ExportSection = Callable[[Session, Member], tuple[str, Any]]


def _profile(session: Session, member: Member) -> tuple[str, Any]:
    assert member.id is not None
    return "profile", {
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


def _roles(session: Session, member: Member) -> tuple[str, Any]:
    grants = session.exec(select(RoleGrant).where(RoleGrant.member_id == member.id)).all()
    return "roles", [
        {"role": g.role, "granted_by": g.granted_by, "granted_at": g.granted_at} for g in grants
    ]


def _questions(session: Session, member: Member) -> tuple[str, Any]:
    asked = session.exec(select(Question).where(Question.asker_id == member.id)).all()
    received = session.exec(
        select(QuestionRecipient).where(QuestionRecipient.member_id == member.id)
    ).all()
    return "questions", {
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
    }


def _practices(session: Session, member: Member) -> tuple[str, Any]:
    """Practices they shared, endorsements they gave, edits and reviews they made. On erasure
    their practices stay in the repertoire without an author ("a former member"), their
    endorsements still count but no longer say who gave them, and the history forgets them."""
    authored = session.exec(
        select(Practice).where(Practice.author_id == member.id).order_by(col(Practice.id))
    ).all()
    endorsed = session.exec(
        select(PracticeEndorsement, Practice.title)
        .join(Practice, col(Practice.id) == col(PracticeEndorsement.practice_id))
        .where(PracticeEndorsement.member_id == member.id)
        .order_by(col(PracticeEndorsement.practice_id))
    ).all()
    edits = session.exec(
        select(PracticeRevision)
        .where(PracticeRevision.editor_id == member.id)
        .order_by(col(PracticeRevision.id))
    ).all()
    return "practices", {
        "authored": [
            {
                "id": p.id,
                "status": p.status,
                "title": p.title,
                "summary": p.summary,
                "kind": p.kind,
                "domains": list(p.domains),
                "contact": p.contact,
                "created_at": p.created_at,
                "updated_at": p.updated_at,
            }
            for p in authored
        ],
        "endorsed": [
            {"practice_id": e.practice_id, "title": title, "endorsed_at": e.created_at}
            for e, title in endorsed
        ],
        "edits": [
            {"practice_id": r.practice_id, "at": r.at, "fields": sorted(r.changes)} for r in edits
        ],
    }


def _sessions(session: Session, member: Member) -> tuple[str, Any]:
    """Sessions they scheduled, their answers and agenda items. On erasure their answers stay
    without a name (counts and the waiting list stay right), their agenda items read "a former
    member", and sessions they hosted stay without a host."""
    hosted = session.exec(
        select(Meeting).where(Meeting.host_id == member.id).order_by(col(Meeting.id))
    ).all()
    answered = session.exec(
        select(MeetingRsvp, Meeting.title)
        .join(Meeting, col(Meeting.id) == col(MeetingRsvp.session_id))
        .where(MeetingRsvp.member_id == member.id)
        .order_by(col(MeetingRsvp.id))
    ).all()
    items = session.exec(
        select(MeetingAgendaItem)
        .where(MeetingAgendaItem.author_id == member.id)
        .order_by(col(MeetingAgendaItem.id))
    ).all()
    return "sessions", {
        "hosted": [
            {
                "id": s.id,
                "title": s.title,
                "starts_at": s.starts_at,
                "timezone": s.timezone,
                "recurrence": s.rrule,
                "status": s.status,
                "channel": s.channel_id,
            }
            for s in hosted
        ],
        "rsvps": [
            {
                "session_id": r.session_id,
                "title": title,
                "occurrence": r.occurrence_start,
                "answer": r.answer,
                "waitlisted": r.waitlisted,
                "answered_at": r.answered_at,
            }
            for r, title in answered
        ],
        "agenda_items": [
            {"session_id": a.session_id, "occurrence": a.occurrence_start, "text": a.text}
            for a in items
        ],
    }


EXPORT_SECTIONS: list[ExportSection] = [_profile, _roles, _questions, _practices, _sessions]


def export_member(session: Session, member: Member) -> dict[str, Any]:
    return dict(section(session, member) for section in EXPORT_SECTIONS)


def erase_member(session: Session, member: Member) -> None:
    """Delete the member; foreign keys cascade (domains, roles, questions, notifications) or set
    NULL (answers they marked, endorsements they gave, practices they shared or reviewed, their
    edits in a practice's history), and the search cache is told."""
    assert member.id is not None
    community_id = member.community_id
    session.delete(member)
    session.flush()
    repos.bump_directory(session, community_id)
