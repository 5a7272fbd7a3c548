"""The weeks a member was active (for `/insights`' counts), in `/profile export` and erased with
the member (ON DELETE CASCADE)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from cop_bot.core.privacy import PrivacySection, by_foreign_keys
from cop_bot.storage.models import Member, MemberWeek


def _weeks(session: Session, member: Member) -> list[str]:
    rows = session.exec(
        select(col(MemberWeek.week))
        .where(MemberWeek.member_id == member.id)
        .order_by(col(MemberWeek.week))
    ).all()
    return [week.isoformat() for week in rows]


def _export(session: Session, member: Member) -> dict[str, Any]:
    return {"active_weeks": _weeks(session, member)}


ACTIVITY = PrivacySection(
    name="activity",
    export=_export,
    erase=by_foreign_keys(),
    covers=("member_week.member_id",),
)
