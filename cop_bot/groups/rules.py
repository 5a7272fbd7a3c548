"""The groups' rules and queries: finding a group by slug, membership, focal points, who may
see a closed group's members, cohort alumni, and the member ids a group scope means for other
commands (`/find-expert … group:SLUG`, `/practices group:SLUG`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from cop_bot.core.args import did_you_mean
from cop_bot.core.errors import CommandError
from cop_bot.core.i18n import _
from cop_bot.groups.form import slugify
from cop_bot.storage.models import CopGroup, GroupMember, Member


@dataclass(frozen=True)
class Membership:
    member: Member
    focal: bool
    joined_at: datetime


def find_group(session: Session, community_id: int, slug: str) -> CopGroup | None:
    return session.exec(
        select(CopGroup).where(CopGroup.community_id == community_id, CopGroup.slug == slug)
    ).first()


def all_groups(session: Session, community_id: int) -> list[CopGroup]:
    return list(
        session.exec(
            select(CopGroup).where(CopGroup.community_id == community_id).order_by(CopGroup.slug)
        ).all()
    )


def group_or_error(session: Session, community_id: int, typed: str) -> CopGroup:
    """The group `typed` names (its slug, any case, `#` or not), or an error naming the
    closest slug."""
    slug = typed.strip().lstrip("#").lower()[:80]
    found = find_group(session, community_id, slug)
    if found is not None:
        return found
    slugs = [g.slug for g in all_groups(session, community_id)]
    close = did_you_mean(slug, slugs)
    raise CommandError(
        _("There is no group {slug} in this community.").format(slug=repr(slug[:40])),
        hint=_("Did you mean {slug}?").format(slug=close)
        if close
        else _("Type /groups to see them all."),
    )


def free_slug(session: Session, community_id: int, name: str) -> str:
    """The slug a new group called `name` gets: refused when a group already has it (the same
    name twice is a mistake), numbered (`group-2`) when the name gives none."""
    slug = slugify(name)
    if slug:
        if find_group(session, community_id, slug) is not None:
            raise CommandError(
                _("There is already a group {slug}.").format(slug=slug),
                hint=_("Give the new group another name, or see it with `/group {slug}`.").format(
                    slug=slug
                ),
            )
        return slug
    taken = {g.slug for g in all_groups(session, community_id)}
    number = 1
    while f"group-{number}" in taken:
        number += 1
    return f"group-{number}"


def memberships(session: Session, group: CopGroup) -> list[Membership]:
    """Focal points first, then by handle."""
    rows = session.exec(
        select(GroupMember, Member)
        .join(Member, col(Member.id) == GroupMember.member_id)
        .where(GroupMember.group_id == group.id)
        .order_by(col(GroupMember.focal).desc(), Member.handle)
    ).all()
    return [Membership(m, bool(gm.focal), gm.joined_at) for gm, m in rows]


def membership(session: Session, group: CopGroup, member: Member) -> GroupMember | None:
    return session.get(GroupMember, (group.id, member.id))


def member_ids(session: Session, group: CopGroup) -> frozenset[int]:
    return frozenset(
        session.exec(select(GroupMember.member_id).where(GroupMember.group_id == group.id)).all()
    )


def member_counts(session: Session, community_id: int) -> dict[int, int]:
    rows = session.exec(
        select(GroupMember.group_id, func.count())
        .join(CopGroup, col(CopGroup.id) == GroupMember.group_id)
        .where(CopGroup.community_id == community_id)
        .group_by(col(GroupMember.group_id))
    ).all()
    return {int(g): int(n) for g, n in rows}


def is_focal(session: Session, group: CopGroup, member: Member) -> bool:
    """Whether `member` is one of the group's focal points (for other capabilities too:
    scheduling the group's sessions, curating practices shared in it)."""
    row = membership(session, group, member)
    return row is not None and bool(row.focal)


def focal_groups(session: Session, member: Member) -> list[CopGroup]:
    """The groups `member` is a focal point of (shown in `/role`)."""
    return list(
        session.exec(
            select(CopGroup)
            .join(GroupMember, col(GroupMember.group_id) == CopGroup.id)
            .where(GroupMember.member_id == member.id, col(GroupMember.focal).is_(True))
            .order_by(CopGroup.slug)
        ).all()
    )


def focal_points(session: Session, community_id: int) -> list[tuple[CopGroup, Member]]:
    rows = session.exec(
        select(CopGroup, Member)
        .join(GroupMember, col(GroupMember.group_id) == CopGroup.id)
        .join(Member, col(Member.id) == GroupMember.member_id)
        .where(CopGroup.community_id == community_id, col(GroupMember.focal).is_(True))
        .order_by(CopGroup.slug, Member.handle)
    ).all()
    return [(g, m) for g, m in rows]


def can_see_members(session: Session, group: CopGroup, member: Member, *, admin: bool) -> bool:
    """An open group's members are visible to everyone; a closed group's to its members (and
    admins) only."""
    return not group.closed or admin or membership(session, group, member) is not None


def is_alumni(group: CopGroup, today: date) -> bool:
    """A cohort's members are alumni after its last day."""
    return group.kind == "cohort" and group.ends is not None and today > group.ends


def join(session: Session, group: CopGroup, member: Member, *, by: str, now: datetime) -> None:
    assert group.id is not None and member.id is not None
    session.add(GroupMember(group_id=group.id, member_id=member.id, added_by=by, joined_at=now))
    session.flush()


def group_json(group: CopGroup) -> dict[str, object]:
    """`data.group`: the stable keys of `--json`."""
    return {
        "id": group.id,
        "slug": group.slug,
        "name": group.name,
        "kind": group.kind,
        "domains": list(group.domains),
        "starts": group.starts.isoformat() if group.starts else None,
        "ends": group.ends.isoformat() if group.ends else None,
        "channel": group.channel_id,
        "closed": group.closed,
    }


def group_scope(session: Session, viewer: Member, typed: str, *, admin: bool) -> frozenset[int]:
    """The member ids `group:SLUG` means in another command's search. A closed group's
    membership is visible to its members (and admins) only, so only they may search within it:
    the results would show who belongs to it."""
    group = group_or_error(session, viewer.community_id, typed)
    if not can_see_members(session, group, viewer, admin=admin):
        raise CommandError(
            _("{slug} is a closed group: only its members can search within it.").format(
                slug=group.slug
            )
        )
    return member_ids(session, group)


# ---- sessions of a group (`/schedule-session … group:SLUG`, `/sessions group:SLUG`) ----------


def may_schedule(session: Session, group: CopGroup, member: Member, *, facilitator: bool) -> bool:
    """Facilitators and admins schedule any group's sessions; a focal point their group's."""
    return facilitator or is_focal(session, group, member)


def closed_groups(session: Session, community_id: int) -> set[int]:
    """The ids of the community's closed groups."""
    found = session.exec(
        select(CopGroup.id).where(
            CopGroup.community_id == community_id, col(CopGroup.closed).is_(True)
        )
    ).all()
    return {g for g in found if g is not None}


def hidden_groups(session: Session, community_id: int, viewer: Member, *, admin: bool) -> set[int]:
    """The closed groups whose sessions `viewer` may not see: those they do not belong to
    (admins see them all)."""
    if admin:
        return set()
    closed = closed_groups(session, community_id)
    mine = set(
        session.exec(select(GroupMember.group_id).where(GroupMember.member_id == viewer.id)).all()
    )
    return {g for g in closed if g is not None and g not in mine}


def sessions_group(session: Session, viewer: Member, typed: str, *, admin: bool) -> CopGroup:
    """The group `group:SLUG` names in `/sessions`; a closed group's sessions are listed to its
    members (and admins) only."""
    group = group_or_error(session, viewer.community_id, typed)
    if not can_see_members(session, group, viewer, admin=admin):
        raise CommandError(
            _("{slug} is a closed group: only its members see its sessions.").format(
                slug=group.slug
            )
        )
    return group


def is_focal_of_group_id(session: Session, group_id: int | None, member: Member) -> bool:
    """Whether `member` is a focal point of the group with this id (a session's `group_id`):
    they may then move and cancel that group's sessions, and no other."""
    if group_id is None or member.id is None:
        return False
    row = session.get(GroupMember, (group_id, member.id))
    return row is not None and bool(row.focal)


def is_focal_for_author(session: Session, author_id: int | None, member: Member) -> bool:
    """Whether `member` is a focal point of a group `author_id` belongs to: a practice that
    author shared is "shared in their group" (as `/practices group:SLUG` lists it), so they
    may curate it."""
    if author_id is None or member.id is None:
        return False
    focal_groups = (
        select(GroupMember.group_id)
        .where(GroupMember.member_id == member.id, col(GroupMember.focal).is_(True))
        .scalar_subquery()
    )
    row = session.exec(
        select(GroupMember.group_id)
        .where(GroupMember.member_id == author_id, col(GroupMember.group_id).in_(focal_groups))
        .limit(1)
    ).first()
    return row is not None
