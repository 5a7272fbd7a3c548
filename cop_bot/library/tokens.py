"""Who may read a community's web library: anyone when it is public, else whoever holds the key.

The key works like a calendar feed's token: it is the only secret, in the address itself, and
`/library link reset` replaces it so an address that leaked stops working at once.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection
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


_READER = "SELECT id, practice_version, library_public, name, language FROM community WHERE "


def reader(connection: Connection, token: str | None) -> Reader | None:
    """The community a reader reaches (by its key, else the public one).

    One statement on the connection's DB-API cursor, as `/healthz` does: a page served from the
    cache costs little more than a static file (through the ORM this lookup cost ten times the
    page), and on SQLite it reads outside any transaction, so it never waits for a writer."""
    args: tuple[str, ...] = ()
    if token is None:
        sql = _READER + "library_public ORDER BY id LIMIT 1"
    elif not token or len(token) > MAX_TOKEN or not token.isascii():
        return None
    else:
        mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        sql, args = _READER + f"library_token = {mark}", (token,)
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, args)
        row = cursor.fetchone()
    finally:
        cursor.close()
    if row is None:
        return None
    return Reader(
        id=int(row[0]),
        version=int(row[1]),
        public=bool(row[2]),
        name=str(row[3]),
        language=str(row[4]),
    )


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
