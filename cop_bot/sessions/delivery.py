"""Which session posts in a channel the platform refused for good, so `/digest status` there can
say so and what to do (the reminders' job records it: see `sessions.reminders`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from cop_bot.storage.models import Meeting, ReminderSent


@dataclass(frozen=True)
class Refused:
    session_id: int
    reason: str | None


def refused_start_post(session: Session, community_id: int, channel_id: str) -> Refused | None:
    """The channel's latest "starting now" post, when it was refused (a later one that went out
    means the problem is solved)."""
    found = session.exec(
        select(ReminderSent)
        .join(Meeting, col(Meeting.id) == col(ReminderSent.session_id))
        .where(
            Meeting.community_id == community_id,
            Meeting.channel_id == channel_id,
            ReminderSent.kind == "start",
            col(ReminderSent.status).in_(("sent", "refused")),
        )
        .order_by(col(ReminderSent.starts_at).desc())
        .limit(1)
    ).first()
    if found is None or found.status != "refused":
        return None
    return Refused(found.session_id, found.last_error)
