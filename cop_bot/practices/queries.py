"""Reading the repertoire: one practice, pages of them, their endorsements and history.

The commands, the search index and the export ask the same questions; answering them here
keeps each query (and its ordering) in one place.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from cop_bot.practices.review import APPROVED, PENDING
from cop_bot.storage.models import (
    Member,
    Practice,
    PracticeDomain,
    PracticeEndorsement,
    PracticeRevision,
)

PG_INT_MAX = 2_147_483_647


def practice_number(text: str | None) -> int | None:
    """The number in `12` or `#12`; None when the text is no practice number."""
    if text is None:
        return None
    word = text.strip().lstrip("#")
    if not word.isascii() or not word.isdigit() or not 0 < int(word) <= PG_INT_MAX:
        return None
    return int(word)


def get(session: Session, community_id: int, practice_id: int) -> Practice | None:
    practice = session.get(Practice, practice_id)
    if practice is None or practice.community_id != community_id:
        return None
    return practice


def author_of(session: Session, practice: Practice) -> Member | None:
    return session.get(Member, practice.author_id) if practice.author_id else None


def load(session: Session, ids: Sequence[int]) -> list[Practice]:
    """The practices with these ids, in the order given (a search's ranking)."""
    if not ids:
        return []
    found = {
        p.id: p for p in session.exec(select(Practice).where(col(Practice.id).in_(list(ids)))).all()
    }
    return [found[i] for i in ids if i in found]


def pending(
    session: Session, community_id: int, *, offset: int, limit: int
) -> tuple[list[Practice], int]:
    """What waits for a curator, the oldest first, and how many there are."""
    return _page(
        session,
        (Practice.community_id == community_id, Practice.status == PENDING),
        (col(Practice.created_at), col(Practice.id)),
        offset,
        limit,
    )


def shared_by(
    session: Session, community_id: int, member_id: int | None, *, offset: int, limit: int
) -> tuple[list[Practice], int]:
    """What a member shared, in any status, the newest first, and how many there are."""
    return _page(
        session,
        (Practice.community_id == community_id, Practice.author_id == member_id),
        (col(Practice.created_at).desc(), col(Practice.id).desc()),
        offset,
        limit,
    )


def _page(
    session: Session, where: Sequence[Any], order: Sequence[Any], offset: int, limit: int
) -> tuple[list[Practice], int]:
    total = int(session.exec(select(func.count()).select_from(Practice).where(*where)).one())
    rows = session.exec(select(Practice).where(*where).order_by(*order).offset(offset).limit(limit))
    return list(rows.all()), total


def stale(
    session: Session,
    community_id: int,
    now: datetime,
    *,
    offset: int = 0,
    limit: int | None = None,
) -> list[Practice]:
    """Approved practices past their review-by date, the longest overdue first."""
    query = (
        select(Practice)
        .where(*_overdue(community_id, now))
        .order_by(col(Practice.review_by), col(Practice.id))
    )
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query).all())


def count_stale(session: Session, community_id: int, now: datetime) -> int:
    return int(
        session.exec(
            select(func.count()).select_from(Practice).where(*_overdue(community_id, now))
        ).one()
    )


def _overdue(community_id: int, now: datetime) -> tuple[Any, ...]:
    return (
        Practice.community_id == community_id,
        Practice.status == APPROVED,
        col(Practice.review_by) < now,
    )


def revisions(session: Session, practice_id: int | None) -> list[PracticeRevision]:
    """A practice's history, the latest change first."""
    return list(
        session.exec(
            select(PracticeRevision)
            .where(PracticeRevision.practice_id == practice_id)
            .order_by(col(PracticeRevision.at).desc(), col(PracticeRevision.id).desc())
        ).all()
    )


def endorsement_counts(session: Session, practice_ids: Iterable[int]) -> dict[int, int]:
    ids = list(practice_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(PracticeEndorsement.practice_id, func.count())
        .where(col(PracticeEndorsement.practice_id).in_(ids))
        .group_by(col(PracticeEndorsement.practice_id))
    ).all()
    counts = dict.fromkeys(ids, 0)
    counts.update({pid: int(n) for pid, n in rows})
    return counts


def endorsed_by(session: Session, member_id: int, practice_ids: Iterable[int]) -> set[int]:
    ids = list(practice_ids)
    if not ids:
        return set()
    return set(
        session.exec(
            select(PracticeEndorsement.practice_id).where(
                PracticeEndorsement.member_id == member_id,
                col(PracticeEndorsement.practice_id).in_(ids),
            )
        ).all()
    )


def counts_by_domain(session: Session, community_id: int) -> Counter[str]:
    """Approved practices per domain."""
    rows = session.exec(
        select(PracticeDomain.domain, func.count())
        .join(Practice, col(Practice.id) == col(PracticeDomain.practice_id))
        .where(Practice.community_id == community_id, Practice.status == APPROVED)
        .group_by(PracticeDomain.domain)
    ).all()
    return Counter(dict(rows))


def shared_by_members(
    session: Session, community_id: int, member_ids: Iterable[int]
) -> frozenset[int]:
    """The ids of the practices these members shared (`/practices group:SLUG`)."""
    wanted = set(member_ids)
    if not wanted:
        return frozenset()
    ids = session.exec(
        select(Practice.id).where(
            Practice.community_id == community_id, col(Practice.author_id).in_(wanted)
        )
    ).all()
    return frozenset(i for i in ids if i is not None)
