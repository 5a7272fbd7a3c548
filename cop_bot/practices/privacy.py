"""What the shared repertoire holds about a member, for `/profile export` and `/profile delete`.

On erasure their practices stay in the repertoire without an author ("a former member"), their
endorsements still count but no longer say who gave them, and the history forgets them.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from cop_bot.core.privacy import PrivacySection, by_foreign_keys, records, rows_of, titles
from cop_bot.storage.models import Member, Practice, PracticeEndorsement, PracticeRevision


def _practices(session: Session, member: Member) -> dict[str, Any]:
    """Practices they shared or approved, endorsements they gave, edits and reviews they made."""
    authored = rows_of(session, Practice, Practice.author_id, member)
    endorsed = sorted(
        rows_of(session, PracticeEndorsement, PracticeEndorsement.member_id, member),
        key=lambda e: e.practice_id,
    )
    names = titles(session, Practice, (e.practice_id for e in endorsed))
    edits = rows_of(session, PracticeRevision, PracticeRevision.editor_id, member)
    approved = rows_of(session, Practice, Practice.approved_by_id, member)
    return {
        "authored": records(
            authored, "id status title summary kind domains contact created_at updated_at"
        ),
        "endorsed": [
            {
                "practice_id": e.practice_id,
                "title": names[e.practice_id],
                "endorsed_at": e.created_at,
            }
            for e in endorsed
        ],
        "edits": [
            {"practice_id": r.practice_id, "at": r.at, "fields": sorted(r.changes)} for r in edits
        ],
        "approved": records(approved, "practice_id=id title approved_at"),
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
