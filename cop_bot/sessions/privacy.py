"""What community sessions hold about a member, for `/profile export` and `/profile delete`.

On erasure their answers stay without a name (counts and the waiting list stay right), their
agenda items lose their author and read "a former member", and sessions they hosted stay
without a host; the erase reply counts each of these and says why it stays.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from cop_bot.core.i18n import n_
from cop_bot.core.privacy import Notes, PrivacySection, count_of, records, rows_of, titles
from cop_bot.storage.models import (
    Meeting,
    MeetingAgendaItem,
    MeetingInvitee,
    MeetingRsvp,
    Member,
)


def _sessions(session: Session, member: Member) -> dict[str, Any]:
    """Sessions they scheduled, their answers, their agenda items and their invitations."""
    hosted = rows_of(session, Meeting, Meeting.host_id, member)
    answered = rows_of(session, MeetingRsvp, MeetingRsvp.member_id, member)
    names = titles(session, Meeting, (r.session_id for r in answered))
    items = rows_of(session, MeetingAgendaItem, MeetingAgendaItem.author_id, member)
    invited = rows_of(session, MeetingInvitee, MeetingInvitee.member_id, member)
    invited_to = titles(session, Meeting, (r.session_id for r in invited))
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
        "invitations": [
            {"session_id": r.session_id, "title": invited_to[r.session_id], "at": r.invited_at}
            for r in invited
        ],
    }


def _erase(session: Session, member: Member, answer: str | None) -> Notes:
    """Everything here stays without the member (SET NULL): say what, and why."""
    hosted = count_of(session, Meeting.host_id, member)
    answers = count_of(session, MeetingRsvp.member_id, member)
    items = count_of(session, MeetingAgendaItem.author_id, member)
    return (
        *_note(
            hosted,
            n_(
                hosted,
                "The session you scheduled stays on the calendar without a host, because "
                "others may be coming to it.",
                "The {count} sessions you scheduled stay on the calendar without a host, "
                "because others may be coming to them.",
            ),
        ),
        *_note(
            answers,
            n_(
                answers,
                "Your answer to a session still counts, without your name, so its seat count "
                "and waiting list stay right.",
                "Your {count} answers to sessions still count, without your name, so seat "
                "counts and waiting lists stay right.",
            ),
        ),
        *_note(
            items,
            n_(
                items,
                "Your agenda item stays on its session's agenda as by a former member, so the "
                "agenda others prepared for stays whole.",
                "Your {count} agenda items stay on their sessions' agendas as by a former "
                "member, so the agendas others prepared for stay whole.",
            ),
        ),
    )


def _note(count: int, text: str) -> tuple[str, ...]:
    """A note for `count` rows (`text`, already in the member's language), none for 0: as
    `core.privacy.sentence`, with each language's plural forms."""
    return (text,) if count > 0 else ()


SESSIONS = PrivacySection(
    name="sessions",
    export=_sessions,
    erase=_erase,
    covers=(
        "cop_session.host_id",
        "session_rsvp.member_id",
        "session_agenda_item.author_id",
        "session_invitee.member_id",  # deleted with the member (CASCADE): nothing to say
    ),
)
