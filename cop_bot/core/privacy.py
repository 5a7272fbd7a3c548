"""Access and erasure of a member's personal data (GDPR articles 15, 17 and 20).

Each capability declares a `PrivacySection` next to its tables: what it exports, what erasure
does to its rows, and which member-linked columns it answers for (a test checks that every
column with a foreign key to `member.id` is claimed by a section). The wiring passes the list
in; core never imports a capability. Erasure deletes the member: the foreign keys cascade or
set NULL where the community's shared knowledge must survive (an endorsement still counts, but
no longer says who gave it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import inspect
from sqlmodel import Session, select

from cop_bot.storage import repos
from cop_bot.storage.models import Member

T = TypeVar("T")
Exporter = Callable[[Session, Member], Any]
Eraser = Callable[[Session, Member], str | None]
"""Runs before the member row is deleted; returns a note of what stays and why, if anything."""


@dataclass(frozen=True)
class PrivacySection:
    """One capability's share of a member's data: its key in the export, and its tables."""

    name: str
    export: Exporter
    """What `/profile export` shows under `name` (JSON-able once dates are strings)."""
    erase: Eraser
    covers: tuple[str, ...]
    """The `table.column`s holding a member id that this section exports and erases."""


def by_foreign_keys(note: str | None = None) -> Eraser:
    """An eraser for rows the member's foreign keys already delete (CASCADE) or anonymise
    (SET NULL) when the member row goes."""

    def erase(session: Session, member: Member) -> str | None:
        return note

    return erase


def rows_of(session: Session, model: type[T], column: Any, member: Member) -> list[T]:
    """The `model` rows whose `column` (e.g. `Practice.author_id`) holds the member's id, in
    primary-key order."""
    keys = inspect(model).primary_key
    return list(session.exec(select(model).where(column == member.id).order_by(*keys)).all())


def titles(session: Session, model: Any, ids: Iterable[int]) -> dict[int, str]:
    """id -> title of the `model` rows (practices, sessions) that a member's rows point at."""
    return dict(session.exec(select(model.id, model.title).where(model.id.in_(set(ids)))).all())


def record(row: object, fields: str) -> dict[str, Any]:
    """The row's attributes named in `fields`, in that order; `key=attribute` where the export's
    word differs from the column's (`"name=display_name"`)."""
    values: dict[str, Any] = {}
    for field in fields.split():
        key, _, attribute = field.partition("=")
        value = getattr(row, attribute or key)
        values[key] = list(value) if isinstance(value, list) else value
    return values


def records(rows: Iterable[object], fields: str) -> list[dict[str, Any]]:
    return [record(row, fields) for row in rows]


def export_member(
    session: Session, member: Member, sections: Sequence[PrivacySection]
) -> dict[str, Any]:
    return {section.name: section.export(session, member) for section in sections}


def erase_member(
    session: Session, member: Member, sections: Sequence[PrivacySection]
) -> dict[str, str]:
    """Run every section's eraser, delete the member (foreign keys do the rest) and tell the
    search cache. Returns each section's note of what stays without their name."""
    assert member.id is not None
    notes = {section.name: section.erase(session, member) for section in sections}
    community_id = member.community_id
    session.delete(member)
    session.flush()
    repos.bump_directory(session, community_id)
    return {name: note for name, note in notes.items() if note}
