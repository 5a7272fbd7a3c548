"""What the web library reads: approved practices only, their facets, and curated toolkits.

Nothing here reads a member: no author, no endorser, no contact unless its author published it.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import bindparam, func
from sqlmodel import Session, col, select

from cop_bot.storage.models import (
    Community,
    Practice,
    PracticeCollection,
    PracticeDomain,
    PracticeEndorsement,
)

APPROVED = "approved"
SLUG_LENGTH = 60
COLLECTION_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,59}")
MAX_COLLECTION = 200


def slugify(text: str) -> str:
    """`Job-readiness workshops, Bologna` -> `job-readiness-workshops-bologna` (ASCII only, so
    the address stays the same whatever the title's script: a title without Latin letters
    gives `practice`)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:SLUG_LENGTH].strip("-")
    return slug or "practice"


def approved(session: Session, community_id: int, practice_id: int) -> Practice | None:
    """The practice if it is approved and this community's; None otherwise (pending, rejected,
    withdrawn or another community's all look like an unknown id)."""
    practice = session.get(Practice, practice_id)
    if practice is None or practice.community_id != community_id or practice.status != APPROVED:
        return None
    return practice


def approved_in(session: Session, community_id: int, ids: Sequence[int]) -> list[Practice]:
    """These practices in the order given, leaving out any that is not approved."""
    if not ids:
        return []
    rows = session.exec(
        select(Practice).where(
            col(Practice.id).in_(list(ids)),
            Practice.community_id == community_id,
            Practice.status == APPROVED,
        )
    ).all()
    found = {p.id: p for p in rows}
    return [found[i] for i in ids if i in found]


@dataclass(frozen=True)
class Listed:
    """What a list of practices shows of one (a results page, the entry page, a toolkit): read
    without the benchmark fields, which only the practice's own page needs."""

    id: int
    title: str
    summary: str
    kind: str
    domains: list[str]
    country: str | None


_LISTED = select(
    *(
        col(getattr(Practice, name))
        for name in ("id", "title", "summary", "kind", "domains", "country")
    )
).where(
    col(Practice.id).in_(bindparam("ids", expanding=True)),
    col(Practice.community_id) == bindparam("community"),
    col(Practice.status) == APPROVED,
)
"""Built once: making a statement costs more than running it (a page's hot path)."""


def listed_in(session: Session, community_id: int, ids: Sequence[int]) -> list[Listed]:
    """These practices in the order given, leaving out any that is not approved: one query."""
    if not ids:
        return []
    rows = session.execute(_LISTED, {"ids": list(ids), "community": community_id}).all()
    found = {row[0]: Listed(*row) for row in rows}
    return [found[i] for i in ids if i in found]


_ENDORSEMENTS = (
    select(func.count())
    .where(col(PracticeEndorsement.practice_id) == col(Practice.id))
    .correlate(Practice)
    .scalar_subquery()
)
_WITH_ENDORSEMENTS = select(Practice, _ENDORSEMENTS).where(
    col(Practice.id) == bindparam("practice"),
    col(Practice.community_id) == bindparam("community"),
    col(Practice.status) == APPROVED,
)


def approved_with_endorsements(
    session: Session, community_id: int, practice_id: int
) -> tuple[Practice, int] | None:
    """`approved` and its number of endorsements, in one query (a practice page's data)."""
    row = session.execute(
        _WITH_ENDORSEMENTS, {"practice": practice_id, "community": community_id}
    ).first()
    return None if row is None else (row[0], int(row[1]))


def all_approved(session: Session, community_id: int) -> list[Practice]:
    return list(
        session.exec(
            select(Practice)
            .where(Practice.community_id == community_id, Practice.status == APPROVED)
            .order_by(col(Practice.id))
        ).all()
    )


def newest(session: Session, community_id: int, limit: int) -> list[Practice]:
    """The most recently approved practices, for the entry page."""
    return list(
        session.exec(
            select(Practice)
            .where(Practice.community_id == community_id, Practice.status == APPROVED)
            .order_by(col(Practice.approved_at).desc(), col(Practice.id).desc())
            .limit(limit)
        ).all()
    )


def endorsements(session: Session, practice_id: int) -> int:
    return int(
        session.exec(
            select(func.count()).where(PracticeEndorsement.practice_id == practice_id)
        ).one()
    )


@dataclass
class Facets:
    """How many approved practices each entry point leads to."""

    domains: Counter[str] = field(default_factory=Counter)
    countries: Counter[str] = field(default_factory=Counter)
    scales: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    total: int = 0


def facets(session: Session, community_id: int) -> Facets:
    found = Facets()
    live = (Practice.community_id == community_id, Practice.status == APPROVED)
    for domain, count in session.exec(
        select(PracticeDomain.domain, func.count())
        .join(Practice, col(Practice.id) == col(PracticeDomain.practice_id))
        .where(*live)
        .group_by(col(PracticeDomain.domain))
    ).all():
        found.domains[domain] = count
    for name, counter in (
        ("country", found.countries),
        ("scale", found.scales),
        ("kind", found.kinds),
    ):
        column = col(getattr(Practice, name))
        for value, count in session.exec(
            select(column, func.count()).where(*live, column.is_not(None)).group_by(column)
        ).all():
            counter[str(value)] = count
    found.total = sum(found.kinds.values())
    return found


def ids_where(
    session: Session,
    community_id: int,
    *,
    domains: Sequence[str] | None = None,
    scale: str | None = None,
) -> frozenset[int]:
    """The approved practices in any of these domains and/or at this scale (for a search's
    `within`)."""
    query = select(col(Practice.id)).where(
        Practice.community_id == community_id, Practice.status == APPROVED
    )
    if domains is not None:
        query = query.join(PracticeDomain, col(PracticeDomain.practice_id) == col(Practice.id))
        query = query.where(col(PracticeDomain.domain).in_(list(domains)))
    if scale is not None:
        query = query.where(Practice.scale == scale)
    return frozenset(int(i) for i in session.exec(query).all() if i is not None)


def last_modified(session: Session, community: Community) -> datetime:
    """When the library last changed: its newest practice change or toolkit, else its start."""
    assert community.id is not None
    newest = [
        session.exec(
            select(func.max(Practice.updated_at)).where(Practice.community_id == community.id)
        ).one(),
        session.exec(
            select(func.max(PracticeCollection.updated_at)).where(
                PracticeCollection.community_id == community.id
            )
        ).one(),
        community.created_at,
    ]
    moments = [m if m.tzinfo else m.replace(tzinfo=UTC) for m in newest if m is not None]
    return max(moments)


# ---- toolkits --------------------------------------------------------------------------------


def collections(session: Session, community_id: int) -> list[PracticeCollection]:
    return list(
        session.exec(
            select(PracticeCollection)
            .where(PracticeCollection.community_id == community_id)
            .order_by(col(PracticeCollection.slug))
        ).all()
    )


def collection(session: Session, community_id: int, slug: str) -> PracticeCollection | None:
    if not COLLECTION_SLUG.fullmatch(slug):
        return None
    return session.exec(
        select(PracticeCollection).where(
            PracticeCollection.community_id == community_id, PracticeCollection.slug == slug
        )
    ).first()


def save_collection(
    session: Session, community: Community, slug: str, ids: Sequence[int], now: datetime
) -> PracticeCollection | None:
    """Make or replace the toolkit `slug` with these practices in order; no ids deletes it.

    Bumps the community's practice version, so the library's pages (and their ETags) change."""
    assert community.id is not None
    found = collection(session, community.id, slug)
    if not ids:
        if found is not None:
            session.delete(found)
    else:
        if found is None:
            found = PracticeCollection(community_id=community.id, slug=slug, updated_at=now)
        found.practice_ids = list(dict.fromkeys(ids))
        found.updated_at = now
        session.add(found)
    community.practice_version += 1
    session.add(community)
    session.flush()
    return found if ids else None
