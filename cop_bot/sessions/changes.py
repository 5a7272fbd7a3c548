"""Cancelling and moving sessions: one occurrence (a `MeetingChange` row keyed by its original
start) or the whole series from now on (the `Meeting` row itself).

Every change bumps the meeting's SEQUENCE so calendar clients take the new version. Moving a
series drops the per-occurrence changes that belonged to its old timing and carries answers and
agenda items to the matching new occurrences. Everything here takes the caller's storage
session and flushes, never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from cop_bot.core.errors import CommandError, UsageError
from cop_bot.core.i18n import _
from cop_bot.sessions import meetings
from cop_bot.sessions.meetings import Occurrence
from cop_bot.sessions.when import Placed, first_on_or_after, localize
from cop_bot.storage.models import Meeting, MeetingAgendaItem, MeetingChange, MeetingRsvp, Member

FUTURE_DAYS = 740
"""How far ahead a series' occurrences are followed when it is cancelled or moved."""


@dataclass(frozen=True)
class Moved:
    old_start: datetime
    keys: list[datetime]
    """The occurrences affected (their keys after the move), to tell who answered them."""
    placed: Placed


def future_occurrences(session: Session, meeting: Meeting, now: datetime) -> list[Occurrence]:
    changes = meetings.changes_for(session, [meeting.id or 0])[meeting.id or 0]
    return meetings.occurrences(meeting, changes, now, now + timedelta(days=FUTURE_DAYS))


def change_row(session: Session, meeting: Meeting, key: datetime, now: datetime) -> MeetingChange:
    """The change recorded for the occurrence `key`, or a new one."""
    found = session.exec(
        select(MeetingChange).where(
            MeetingChange.session_id == meeting.id, MeetingChange.original_start == key
        )
    ).first()
    return found or MeetingChange(session_id=meeting.id or 0, original_start=key, changed_at=now)


def recipients(
    session: Session, meeting: Meeting, keys: list[datetime], *, besides: int | None
) -> list[Member]:
    """Everyone who answered yes or maybe for any of `keys`, except the member `besides`."""
    if not keys:
        return []
    ids = session.exec(
        select(MeetingRsvp.member_id).where(
            MeetingRsvp.session_id == meeting.id,
            col(MeetingRsvp.occurrence_start).in_(keys),
            col(MeetingRsvp.answer).in_(["yes", "maybe"]),
        )
    ).all()
    wanted = sorted({i for i in ids if i is not None and i != besides})
    if not wanted:
        return []
    return list(session.exec(select(Member).where(col(Member.id).in_(wanted))).all())


def _bump(session: Session, meeting: Meeting, now: datetime) -> None:
    meeting.sequence += 1
    meeting.updated_at = now
    session.add(meeting)
    session.flush()


def cancel_series(
    session: Session, meeting: Meeting, reason: str | None, now: datetime
) -> tuple[list[datetime], datetime | None]:
    """Cancel every occurrence from now on; returns their keys and, for a one-off session,
    when it would have been."""
    future = future_occurrences(session, meeting, now)
    meeting.status, meeting.cancel_reason = meetings.CANCELLED, reason
    when = future[0].start if future and meeting.rrule is None else None
    _bump(session, meeting, now)
    return [o.key for o in future], when


def cancel_occurrence(
    session: Session, meeting: Meeting, occ: Occurrence, reason: str | None, now: datetime
) -> None:
    change = change_row(session, meeting, occ.key, now)
    change.cancelled, change.reason, change.changed_at = True, reason, now
    session.add(change)
    _bump(session, meeting, now)


def move_occurrence(
    session: Session, meeting: Meeting, occ: Occurrence, placed: Placed, now: datetime
) -> Moved:
    change = change_row(session, meeting, occ.key, now)
    change.new_start, change.changed_at = placed.at, now
    session.add(change)
    _bump(session, meeting, now)
    return Moved(occ.start, [occ.key], placed)


def move_series(session: Session, meeting: Meeting, placed: Placed, now: datetime) -> Moved:
    """Start the series' upcoming occurrences at `placed` (its first matching day on or after
    it, for a series on set weekdays or month days)."""
    before = future_occurrences(session, meeting, now)
    if not before:
        raise CommandError(
            _("Session #{id} has no upcoming occurrence to move.").format(id=meeting.id)
        )
    zone = meetings.meeting_zone(meeting)
    if meeting.rrule:
        wall = placed.at.astimezone(zone).replace(tzinfo=None)
        first = (
            first_on_or_after(meeting.rrule, wall)
            if "BYDAY" in meeting.rrule or "BYMONTHDAY" in meeting.rrule
            else wall
        )
        if first is None:
            raise UsageError(_("The series' repetition never happens after that time."))
        placed = localize(first, zone)
    meeting.starts_at = placed.at
    # per-occurrence changes belonged to the old timing; answers move to the new dates
    for change in meetings.changes_for(session, [meeting.id or 0])[meeting.id or 0]:
        if change.original_start >= now:
            session.delete(change)
    session.flush()
    after = future_occurrences(session, meeting, now)
    mapping = {o.key: n.key for o, n in zip(before, after, strict=False) if o.key != n.key}
    meetings.remap_keys(session, meeting, mapping, [MeetingRsvp, MeetingAgendaItem])
    _bump(session, meeting, now)
    return Moved(before[0].start, [mapping.get(o.key, o.key) for o in before], placed)
