"""Who may read a community's web library: anyone when it is public, else whoever holds the key.

The key works like a calendar feed's token: it is the only secret, in the address itself, and
`/library link reset` replaces it so an address that leaked stops working at once.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from cop_bot.storage.models import Community

MAX_TOKEN = 64


def new_token() -> str:
    return secrets.token_urlsafe(24)


def library_token(session: Session, community: Community, *, reset: bool = False) -> str:
    """The community's key, made on first use; `reset` gives it a new one."""
    if community.library_token is None or reset:
        community.library_token = new_token()
        session.add(community)
        session.flush()
    assert community.library_token is not None
    return community.library_token


def by_token(session: Session, token: str) -> Community | None:
    """The community this key opens; None for an unknown, reset or malformed one."""
    if not token or len(token) > MAX_TOKEN or not token.isascii():
        return None
    return session.exec(select(Community).where(Community.library_token == token)).first()


@dataclass(frozen=True)
class Reader:
    """What decides whether a cached page is still the right one: the community's id, the
    version every change to a practice or toolkit bumps, and the settings a page shows."""

    id: int
    version: int
    public: bool
    name: str
    language: str


def reader(connection: Connection, token: str | None) -> Reader | None:
    """The community a reader reaches (by its key, else the public one): one small query, no
    ORM, so a page served from the cache costs little more than a static file."""
    columns = (
        col(Community.id),
        col(Community.practice_version),
        col(Community.library_public),
        col(Community.name),
        col(Community.language),
    )
    if token is not None:
        if not token or len(token) > MAX_TOKEN or not token.isascii():
            return None
        query = select_columns(*columns).where(col(Community.library_token) == token)
    else:
        query = (
            select_columns(*columns)
            .where(col(Community.library_public).is_(True))
            .order_by(col(Community.id))
            .limit(1)
        )
    row = connection.execute(query).first()
    if row is None or row[0] is None:
        return None
    return Reader(id=row[0], version=row[1], public=row[2], name=row[3], language=row[4])


def public_community(session: Session) -> Community | None:
    """The community `/library` shows without a key: the first whose library is public."""
    return session.exec(
        select(Community).where(col(Community.library_public).is_(True)).order_by(col(Community.id))
    ).first()


def base_path(community: Community, token: str | None) -> str:
    """Where this reader's pages live: `/library` when public and reached without a key."""
    return f"/library/k/{token}" if token else "/library"


def link_path(session: Session, community: Community) -> str:
    """The address a member is given: the bare `/library` when public, else the keyed one."""
    if community.library_public:
        return "/library"
    return base_path(community, library_token(session, community))


def practice_path(base: str, practice_id: int, title: str) -> str:
    """`/library/practices/12-job-readiness-workshops` (the page's stable address)."""
    from cop_bot.library.queries import slugify

    return f"{base}/practices/{practice_id}-{slugify(title)}"


def practice_urls(
    session: Session, community: Community, public_url: str | None
) -> Callable[[int, str], str] | None:
    """Gives an approved practice's web address, or None when the bot has no public address
    (COP_BOT_PUBLIC_URL): chat replies and digests link to the library with it."""
    root = (public_url or "").rstrip("/")
    if not root:
        return None
    base = root + link_path(session, community)
    return lambda practice_id, title: practice_path(base, practice_id, title)
