"""How a practice changes: shared, edited, confirmed, reviewed, endorsed.

Every change goes through `changed`, which bumps the community's `practice_version` (see
`touch`) so the search index in every process knows to reload that practice, and every change
to its text or status is kept as a revision for `/practice history`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from cop_bot.core.wording import jsonable
from cop_bot.practices.fields import FIELDS
from cop_bot.practices.personal_data import Finding, scan_personal_data
from cop_bot.practices.queries import author_of, endorsed_by
from cop_bot.practices.review import (
    APPROVED,
    NEEDS_CONFIRMATION,
    PENDING,
    REJECTED,
    Viewer,
    initial_status,
    is_author,
    mark_approved,
)
from cop_bot.storage import repos
from cop_bot.storage.models import (
    Community,
    Member,
    Practice,
    PracticeDomain,
    PracticeEndorsement,
    PracticeRevision,
)


def touch(session: Session, community_id: int) -> int:
    """Bump the community's practice version in one atomic UPDATE and return it.

    The UPDATE also locks the community's row until the transaction ends, so concurrent changes
    to practices of one community (and their version numbers) are serialised on PostgreSQL; on
    SQLite every write transaction is serialised anyway (BEGIN IMMEDIATE).
    """
    version = session.exec(
        update(Community)
        .where(col(Community.id) == community_id)
        .values(practice_version=col(Community.practice_version) + 1)
        .returning(col(Community.practice_version))
    ).scalar_one()
    community = session.get(Community, community_id)
    if community is not None:
        set_committed_value(community, "practice_version", version)
    return int(version)


def changed(session: Session, practice: Practice, version: int | None = None) -> None:
    """Mark a practice as changed for every search index (call after any change to it).

    A bulk change (an import) calls `touch` once and passes its version for every practice.
    """
    practice.search_version = (
        version if version is not None else touch(session, practice.community_id)
    )
    session.add(practice)


def create(
    session: Session,
    community_id: int,
    values: Mapping[str, Any],
    *,
    author: Member | None,
    status: str,
    now: datetime,
    approver: Member | None = None,
    channel_id: str | None = None,
    editor: Member | None = None,
    editor_label: str | None = None,
    version: int | None = None,
) -> Practice:
    practice = Practice(
        community_id=community_id,
        title=values["title"],
        summary=values["summary"],
        author_id=author.id if author else None,
        status=status,
        created_at=now,
        updated_at=now,
        channel_id=channel_id,
    )
    for attr, value in values.items():
        setattr(practice, attr, value)
    if status == APPROVED:
        mark_approved(practice, approver, now)
    session.add(practice)
    session.flush()
    set_domains(session, practice, new=True)
    record(
        session,
        practice,
        {"status": [None, status]},
        editor=editor or author,
        label=editor_label,
        now=now,
    )
    changed(session, practice, version)
    return practice


def set_domains(session: Session, practice: Practice, *, new: bool = False) -> None:
    assert practice.id is not None
    if not new:
        for row in session.exec(
            select(PracticeDomain).where(PracticeDomain.practice_id == practice.id)
        ).all():
            session.delete(row)
        session.flush()
    for slug in dict.fromkeys(practice.domains):
        session.add(PracticeDomain(practice_id=practice.id, domain=slug))
    session.flush()


def record(
    session: Session,
    practice: Practice,
    changes: Mapping[str, Sequence[Any]],
    *,
    editor: Member | None,
    label: str | None = None,
    now: datetime,
) -> None:
    assert practice.id is not None
    session.add(
        PracticeRevision(
            practice_id=practice.id,
            editor_id=editor.id if editor else None,
            editor_label=label,
            at=now,
            changes={k: [jsonable(v) for v in pair] for k, pair in changes.items()},
        )
    )


def apply_changes(
    session: Session,
    practice: Practice,
    values: Mapping[str, Any],
    *,
    editor: Member | None,
    label: str | None = None,
    now: datetime,
    version: int | None = None,
) -> dict[str, list[Any]]:
    """Set the given attributes, keep the history, and return {attr: [old, new]} of real changes."""
    diff: dict[str, list[Any]] = {}
    for attr, new in values.items():
        old = getattr(practice, attr)
        if old != new:
            diff[attr] = [old, new]
            setattr(practice, attr, list(new) if isinstance(new, list) else new)
    if not diff:
        return diff
    practice.updated_at = now
    if "domains" in diff:
        set_domains(session, practice)
    record(session, practice, diff, editor=editor, label=label, now=now)
    changed(session, practice, version)
    return diff


def set_status(
    session: Session,
    practice: Practice,
    status: str,
    *,
    editor: Member | None,
    now: datetime,
    reason: str | None = None,
    label: str | None = None,
) -> None:
    old = practice.status
    changes: dict[str, list[Any]] = {"status": [old, status]}
    if status == APPROVED:
        previous_review = practice.review_by
        mark_approved(practice, editor, now)
        changes["review_by"] = [previous_review, practice.review_by]
    else:
        practice.status = status
    if status == REJECTED:
        practice.rejected_reason = reason
        changes["rejected_reason"] = [None, reason]
    elif status != APPROVED:
        practice.rejected_reason = None
    record(session, practice, changes, editor=editor, label=label, now=now)
    changed(session, practice)


def endorse(session: Session, practice: Practice, member: Member, now: datetime) -> bool:
    """False when the member had already endorsed it. Serialised per community by `touch`."""
    assert practice.id is not None and member.id is not None
    changed(session, practice)  # lock first, then look: a double click cannot insert twice
    if practice.id in endorsed_by(session, member.id, [practice.id]):
        return False
    session.add(PracticeEndorsement(practice_id=practice.id, member_id=member.id, created_at=now))
    session.flush()
    return True


def unendorse(session: Session, practice: Practice, member: Member) -> bool:
    """False when the member had not endorsed it."""
    assert practice.id is not None and member.id is not None
    changed(session, practice)
    row = session.exec(
        select(PracticeEndorsement).where(
            PracticeEndorsement.practice_id == practice.id,
            PracticeEndorsement.member_id == member.id,
        )
    ).first()
    if row is not None:
        session.delete(row)
        session.flush()
    return row is not None


# ---- what the commands do ----------------------------------------------------------------------


def share(
    session: Session,
    viewer: Viewer,
    values: Mapping[str, Any],
    *,
    on_behalf_of: str | None,
    channel_id: str | None,
    now: datetime,
) -> tuple[Practice, list[Finding]]:
    """A new practice by the viewer (or, for a curator, by the member named `on_behalf_of`).

    It waits for its author's confirmation when it seems to hold personal data, else it starts
    as `initial_status` says. Returns the practice and what the personal-data check found.
    """
    author = viewer.member
    if on_behalf_of is not None:
        author = repos.ensure_member(session, viewer.community_id, on_behalf_of, now=now)
    findings = scan_personal_data(values)
    status = NEEDS_CONFIRMATION if findings else initial_status(session, viewer, author)
    practice = create(
        session,
        viewer.community_id,
        values,
        author=author,
        status=status,
        now=now,
        approver=viewer.member,
        channel_id=channel_id,
        editor=viewer.member,
    )
    return practice, findings


def confirm(session: Session, viewer: Viewer, practice: Practice, now: datetime) -> Member | None:
    """The author (or a curator) says it holds no personal data: it goes on as if just shared.
    Returns the practice's author."""
    author = author_of(session, practice)
    status = initial_status(session, viewer, author or viewer.member)
    set_status(session, practice, status, editor=viewer.member, now=now)
    return author


@dataclass(frozen=True)
class Edit:
    """What an edit changed, and what became of the practice's status."""

    diff: dict[str, list[Any]]
    """attr -> [old, new] of the fields that really changed (empty: nothing was written)."""
    held: Sequence[Finding] = ()
    """It still seems to hold personal data, so it keeps waiting for a confirmation."""
    cleared: bool = False
    """It no longer seems to hold personal data: it moved on as if just confirmed."""
    requeued: bool = False
    """Its author improved a rejected practice: it waits for review again."""


def edit(
    session: Session, viewer: Viewer, practice: Practice, values: Mapping[str, Any], now: datetime
) -> Edit:
    """Apply an edit. Adding personal data holds the practice back until it is confirmed or
    removed; an author's edit of a rejected practice sends it back to the curators."""
    by_author = is_author(practice, viewer.member)
    findings = scan_personal_data(values)
    diff = apply_changes(session, practice, values, editor=viewer.member, now=now)
    if not diff:
        return Edit(diff)
    if findings and practice.status != NEEDS_CONFIRMATION:
        set_status(session, practice, NEEDS_CONFIRMATION, editor=viewer.member, now=now)
    if practice.status == NEEDS_CONFIRMATION:
        remaining = scan_personal_data({spec.attr: getattr(practice, spec.attr) for spec in FIELDS})
        if remaining:
            return Edit(diff, held=remaining)
        confirm(session, viewer, practice, now)
        return Edit(diff, cleared=True)
    if practice.status == REJECTED and by_author:
        set_status(session, practice, PENDING, editor=viewer.member, now=now)
        return Edit(diff, requeued=True)
    return Edit(diff)
