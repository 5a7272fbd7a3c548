"""What community sessions hold about a member, for `/profile export` and `/profile delete`.

On erasure their answers stay without a name (counts and the waiting list stay right), their
agenda items read "a former member", and sessions they hosted stay without a host.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from cop_bot.core.privacy import PrivacySection, by_foreign_keys, records, rows_of, titles
from cop_bot.storage.models import Meeting, MeetingAgendaItem, MeetingRsvp, Member


def _sessions(session: Session, member: Member) -> dict[str, Any]:
    """Sessions they scheduled, their answers and their agenda items."""
    hosted = rows_of(session, Meeting, Meeting.host_id, member)
    answered = rows_of(session, MeetingRsvp, MeetingRsvp.member_id, member)
    names = titles(session, Meeting, (r.session_id for r in answered))
    items = rows_of(session, MeetingAgendaItem, MeetingAgendaItem.author_id, member)
    return {
        "hosted": records(
            hosted, "id title starts_at timezone recurrence=rrule status channel=channel_id"
        ),
        "rsvps": [
            {
                "session_id": r.session_id,
                "title": names[r.session_id],
                "occurrence": r.occurrence_start,
                "answer": r.answer,
                "waitlisted": r.waitlisted,
                "answered_at": r.answered_at,
            }
            for r in answered
        ],
        "agenda_items": records(items, "session_id occurrence=occurrence_start text"),
    }


SESSIONS = PrivacySection(
    name="sessions",
    export=_sessions,
    erase=by_foreign_keys(
        "Sessions you hosted stay without a host; your answers still count, without your name; "
        "your agenda items read “a former member”."
    ),
    covers=("cop_session.host_id", "session_rsvp.member_id", "session_agenda_item.author_id"),
)
