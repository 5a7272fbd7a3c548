"""What the shared repertoire holds about a member, for `/profile export` and `/profile delete`.

On erasure their practices stay in the repertoire without an author ("a former member"), their
endorsements still count but no longer say who gave them, and the history forgets them.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from cop_bot.core.privacy import PrivacySection, by_foreign_keys
from cop_bot.storage.models import Member, Practice, PracticeEndorsement, PracticeRevision


def _practices(session: Session, member: Member) -> dict[str, Any]:
    """Practices they shared or approved, endorsements they gave, edits and reviews they made."""
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
    approved = session.exec(
        select(Practice).where(Practice.approved_by_id == member.id).order_by(col(Practice.id))
    ).all()
    return {
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
        "approved": [
            {"practice_id": p.id, "title": p.title, "approved_at": p.approved_at} for p in approved
        ],
    }


PRACTICES = PrivacySection(
    name="practices",
    export=_practices,
    erase=by_foreign_keys(
        "Practices you shared or approved stay in the repertoire as by a former member; your "
        "endorsements still count, without your name; the history forgets who edited."
    ),
    covers=(
        "practice.author_id",
        "practice.approved_by_id",
        "practice_endorsement.member_id",
        "practice_revision.editor_id",
    ),
)
