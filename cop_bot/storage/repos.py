"""Small query functions. Each takes the command's session and never commits: the caller's
transaction decides whether everything it did is kept."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import overload

from sqlalchemy import bindparam, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, col, select

from cop_bot.core.model import Actor, Conversation, Role
from cop_bot.storage.limits import limit_of
from cop_bot.storage.models import (
    Community,
    Meeting,
    Member,
    MemberDomain,
    Practice,
    PracticeEndorsement,
    RoleGrant,
)


def get_or_create_community(
    session: Session,
    conversation: Conversation,
    *,
    now: datetime,
    name: str,
    timezone: str,
    language: str,
) -> Community:
    found = find_community(session, conversation)
    if found is not None:
        return found
    community = Community(
        platform=conversation.platform,
        external_id=conversation.community_id,
        name=fit(name, Community, "name"),
        timezone=timezone,
        language=language,
        created_at=now,
    )
    insert_unless_present(session, community, ("platform", "external_id"))
    made = find_community(session, conversation)
    assert made is not None, "the community was inserted or already there"
    return made


def insert_unless_present(session: Session, row: SQLModel, key: tuple[str, ...]) -> None:
    """`INSERT ... ON CONFLICT (key) DO NOTHING`, on PostgreSQL and SQLite alike.

    Two first commands at once (two threads, two replicas) both find no row and both insert;
    a plain INSERT makes the second fail on the unique key. With this one it waits for the
    first to commit, inserts nothing, and the caller's next SELECT finds the first one's row.
    """
    table = type(row).__table__  # type: ignore[attr-defined]
    values = {c.name: getattr(row, c.name) for c in table.columns if c.name != "id"}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(table).values(values).on_conflict_do_nothing(index_elements=key))


@overload
def fit(value: str, model: type[SQLModel], column: str) -> str: ...
@overload
def fit(value: None, model: type[SQLModel], column: str) -> None: ...
@overload
def fit(value: str | None, model: type[SQLModel], column: str) -> str | None: ...
def fit(value: str | None, model: type[SQLModel], column: str) -> str | None:
    """A platform-supplied text cut to its column's length: a long display name is the
    platform's choice, not a mistake of the member's, so it is shortened, never refused."""
    length = limit_of(model, column)
    if value is None or len(value) <= length:
        return value
    return value[: length - 1].rstrip() + "…"


def find_community(session: Session, conversation: Conversation) -> Community | None:
    return session.exec(
        select(Community).where(
            Community.platform == conversation.platform,
            Community.external_id == conversation.community_id,
        )
    ).first()


_COMMUNITY_AND_MEMBER = (
    select(Community, Member)
    .outerjoin(
        Member,
        (col(Member.community_id) == col(Community.id))
        & (col(Member.handle) == bindparam("handle")),
    )
    .where(
        col(Community.platform) == bindparam("platform"),
        col(Community.external_id) == bindparam("external_id"),
    )
)


def community_and_member(
    session: Session, conversation: Conversation, handle: str
) -> tuple[Community | None, Member | None]:
    """The conversation's community and the speaking member in one query, built once (every
    command starts here, so it is the hottest query there is)."""
    found = session.exec(
        _COMMUNITY_AND_MEMBER,
        params={
            "handle": handle.lower(),
            "platform": conversation.platform,
            "external_id": conversation.community_id,
        },
    ).first()
    if found is None:
        return None, None
    return found[0], found[1]


def members_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, Member]:
    """The members with these ids (None, a former member, is skipped), in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {
        m.id: m
        for m in session.exec(select(Member).where(col(Member.id).in_(wanted))).all()
        if m.id is not None
    }


def member_of(session: Session, member_id: int | None) -> Member | None:
    """The member a nullable reference points at; None once they were erased."""
    return session.get(Member, member_id) if member_id is not None else None


def find_member(session: Session, community_id: int, handle: str) -> Member | None:
    return session.exec(
        select(Member).where(Member.community_id == community_id, Member.handle == handle.lower())
    ).first()


def get_or_create_member(
    session: Session,
    community_id: int,
    actor: Actor,
    *,
    now: datetime,
    found: Member | None = None,
) -> Member:
    """The speaking member, created on first contact with nothing but what the platform says.

    Nothing about them is listed anywhere until they fill in a profile and opt in. `found` is
    the member when the caller already looked them up. The platform's name follows each
    command (people rename themselves) until the member sets one with `/profile set name:`.
    `locale` stays empty until the member chooses a language (`/profile set language:`): the
    platform's locale is read afresh with each command (`core.router.locale_for`).
    """
    member = found if found is not None else find_member(session, community_id, actor.handle)
    display_name = fit(actor.display_name, Member, "display_name")
    if member is None:
        new = Member(
            community_id=community_id,
            handle=actor.handle.lower(),
            display_name=display_name,
            platform_user_id=actor.platform_user_id,
            created_at=now,
            updated_at=now,
        )
        insert_unless_present(session, new, ("community_id", "handle"))
        made = find_member(session, community_id, actor.handle)
        assert made is not None, "the member was inserted or already there"
        return made
    if display_name and member.display_name != display_name and not member.name_chosen:
        member.display_name = display_name  # the platform's name, unless they chose their own
        session.add(member)
    if actor.platform_user_id and member.platform_user_id != actor.platform_user_id:
        member.platform_user_id = actor.platform_user_id
        session.add(member)
    return member


def claim_welcome(session: Session, member_id: int, now: datetime) -> bool:
    """Mark the member welcomed; False when someone already did (one conditional UPDATE, so
    two processes or two joins at once cannot both win)."""
    result = session.execute(
        update(Member)
        .where(col(Member.id) == member_id, col(Member.welcomed_at).is_(None))
        .values(welcomed_at=now)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def give_back_welcome(session: Session, member_id: int) -> None:
    """The welcome could not be delivered: let the next join try again."""
    session.execute(update(Member).where(col(Member.id) == member_id).values(welcomed_at=None))


def member_handles(session: Session, community_id: int) -> list[str]:
    return list(session.exec(select(Member.handle).where(Member.community_id == community_id)))


def ensure_member(session: Session, community_id: int, handle: str, *, now: datetime) -> Member:
    return get_or_create_member(session, community_id, Actor(handle=handle), now=now)


def granted_roles(session: Session, member_id: int) -> set[Role]:
    rows = session.exec(select(RoleGrant.role).where(RoleGrant.member_id == member_id)).all()
    return {Role(r) for r in rows if r in Role._value2member_map_}


def grant_role(
    session: Session, member: Member, role: Role, *, granted_by: str | None, now: datetime
) -> bool:
    """Returns False when the member already had the role."""
    assert member.id is not None
    if role in granted_roles(session, member.id):
        return False
    session.add(
        RoleGrant(
            community_id=member.community_id,
            member_id=member.id,
            role=role.value,
            granted_by=granted_by,
            granted_at=now,
        )
    )
    session.flush()
    return True


def revoke_role(session: Session, member: Member, role: Role) -> bool:
    """Returns False when the member did not have the role."""
    grant = session.exec(
        select(RoleGrant).where(RoleGrant.member_id == member.id, RoleGrant.role == role.value)
    ).first()
    if grant is None:
        return False
    session.delete(grant)
    session.flush()
    return True


def members_with_role(session: Session, community_id: int, role: Role) -> list[Member]:
    return list(
        session.exec(
            select(Member)
            .join(RoleGrant, col(RoleGrant.member_id) == col(Member.id))
            .where(RoleGrant.community_id == community_id, RoleGrant.role == role.value)
            .order_by(Member.handle)
        ).all()
    )


def set_member_domains(session: Session, member: Member, slugs: Iterable[str]) -> None:
    assert member.id is not None
    for row in session.exec(select(MemberDomain).where(MemberDomain.member_id == member.id)).all():
        session.delete(row)
    session.flush()
    for slug in dict.fromkeys(slugs):
        session.add(MemberDomain(member_id=member.id, domain=slug))
    session.flush()


def member_domains(session: Session, member_id: int) -> list[str]:
    return list(
        session.exec(
            select(MemberDomain.domain)
            .where(MemberDomain.member_id == member_id)
            .order_by(MemberDomain.domain)
        ).all()
    )


def member_counts_by_domain(session: Session, community_id: int) -> Counter[str]:
    rows = session.exec(
        select(MemberDomain.domain, func.count())
        .join(Member, col(Member.id) == col(MemberDomain.member_id))
        .where(Member.community_id == community_id)
        .group_by(MemberDomain.domain)
    ).all()
    return Counter(dict(rows))


def contribution_counts(session: Session, community_id: int) -> Counter[int]:
    """member id -> practices shared + endorsements received + sessions hosted.

    Each feature adds its own count here as it arrives; used to rank equally good experts.
    Practices count once approved; endorsements count on approved practices only.
    """
    counts: Counter[int] = Counter()
    approved = (
        Practice.community_id == community_id,
        Practice.status == "approved",
        col(Practice.author_id).is_not(None),
    )
    shared = session.exec(
        select(col(Practice.author_id), func.count())
        .where(*approved)
        .group_by(col(Practice.author_id))
    ).all()
    received = session.exec(
        select(col(Practice.author_id), func.count())
        .join(PracticeEndorsement, col(PracticeEndorsement.practice_id) == col(Practice.id))
        .where(*approved)
        .group_by(col(Practice.author_id))
    ).all()
    hosted = session.exec(  # sessions scheduled, not cancelled (a series counts once)
        select(col(Meeting.host_id), func.count())
        .where(
            Meeting.community_id == community_id,
            Meeting.status != "cancelled",
            col(Meeting.host_id).is_not(None),
        )
        .group_by(col(Meeting.host_id))
    ).all()
    for rows in (shared, received, hosted):
        for member_id, n in rows:
            if member_id is not None:
                counts[member_id] += int(n)
    return counts


def bump_directory(session: Session, community_id: int) -> None:
    """Tell every process's expert-search cache that the directory changed."""
    community = session.get(Community, community_id)
    if community is not None:
        community.directory_version += 1
        session.add(community)
