"""What the groups capability holds about a member: the groups they belong to (membership is
personal data), whether they are a focal point, and the groups they created."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from cop_bot.core.privacy import PrivacySection, by_foreign_keys, count_of, sentence
from cop_bot.storage.models import CopGroup, GroupMember, Member


def _export(session: Session, member: Member) -> dict[str, Any]:
    rows = session.exec(
        select(GroupMember, CopGroup)
        .join(CopGroup, col(CopGroup.id) == GroupMember.group_id)
        .where(GroupMember.member_id == member.id)
        .order_by(CopGroup.slug)
    ).all()
    created = session.exec(
        select(CopGroup.slug).where(CopGroup.created_by_id == member.id).order_by(CopGroup.slug)
    ).all()
    return {
        "memberships": [
            {
                "group": g.slug,
                "name": g.name,
                "focal_point": bool(gm.focal),
                "added_by": gm.added_by,
                "joined_at": gm.joined_at,
            }
            for gm, g in rows
        ],
        "created": list(created),
    }


def _erase(session: Session, member: Member, answer: str | None) -> tuple[str, ...]:
    """Memberships go with the member (CASCADE); groups they created stay, without a creator."""
    created = count_of(session, CopGroup.created_by_id, member)
    return by_foreign_keys(
        *sentence(
            created,
            "The group you created stays, for its members, without saying who created it.",
            "The {count} groups you created stay, for their members, without saying who "
            "created them.",
        )
    )(session, member, answer)


GROUPS = PrivacySection(
    name="groups",
    export=_export,
    erase=_erase,
    covers=("group_member.member_id", "cop_group.created_by_id"),
)
