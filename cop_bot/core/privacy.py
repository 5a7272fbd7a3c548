"""Access and erasure of a member's personal data (GDPR articles 15, 17 and 20).

Each capability declares a `PrivacySection` next to its tables: what it exports, what erasure
does to its rows, and which member-linked columns it answers for (a test checks that every
column with a foreign key to `member.id` is claimed by a section). The wiring passes the list
in; core never imports a capability. Erasure deletes the member: the foreign keys cascade or
set NULL where the community's shared knowledge must survive (an endorsement still counts, but
no longer says who gave it).

Some things erasure cannot decide alone: what becomes of work the member shared with everyone
(their practices). A section with such a `Choice` asks it before `/profile delete confirm` goes
ahead, and its eraser gets the member's answer. Every eraser returns notes, whole sentences
saying what stays and why, so the member is told exactly that rather than "everything is gone".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import func, inspect
from sqlmodel import Session, select

from cop_bot.core import i18n
from cop_bot.storage import repos
from cop_bot.storage.models import Member

T = TypeVar("T")
Exporter = Callable[[Session, Member], Any]
Notes = tuple[str, ...]
Eraser = Callable[[Session, Member, str | None], Notes]
"""Runs before the member row is deleted, with the member's answer to the section's `Choice`
(None without one); returns notes of what stays and why, if anything does."""


@dataclass(frozen=True)
class Option:
    """One answer to a `Choice`: the word typed after `/profile delete confirm`, a button's
    label and what the answer does, as a whole sentence."""

    word: str
    label: str
    means: str


@dataclass(frozen=True)
class Choice:
    """A decision erasure needs from the member. `question` words it for this member, or is
    None when there is nothing to decide (they shared nothing)."""

    options: tuple[Option, ...]
    question: Callable[[Session, Member], str | None]
    default: str
    """What happens when erasure runs without an answer (from code, never from chat)."""

    def words(self) -> tuple[str, ...]:
        return tuple(o.word for o in self.options)


@dataclass(frozen=True)
class PrivacySection:
    """One capability's share of a member's data: its key in the export, and its tables."""

    name: str
    export: Exporter
    """What `/profile export` shows under `name` (JSON-able once dates are strings)."""
    erase: Eraser
    covers: tuple[str, ...]
    """The `table.column`s holding a member id that this section exports and erases."""
    choice: Choice | None = None


def by_foreign_keys(*notes: str) -> Eraser:
    """An eraser for rows the member's foreign keys already delete (CASCADE) or anonymise
    (SET NULL) when the member row goes."""

    def erase(session: Session, member: Member, answer: str | None) -> Notes:
        return notes

    return erase


def count_of(session: Session, column: Any, member: Member, *where: Any) -> int:
    """How many rows hold the member's id in `column` (and match `where`)."""
    return int(session.exec(select(func.count()).where(column == member.id, *where)).one())


def sentence(count: int, one: str, many: str) -> tuple[str, ...]:
    """The note for `count` rows: `one` or `many` (with `{count}`), none for zero. Two whole
    sentences rather than a glued plural, because the verb changes too. Translated with the
    active language's plural rules (Arabic has six forms), like `n_`: the pair is extracted
    from calls written `n_`-style (`sentence` takes the same arguments)."""
    if count <= 0:
        return ()
    return (i18n.ngettext(one, many, count).format(count=i18n.number(count)),)


def open_choices(
    session: Session, member: Member, sections: Sequence[PrivacySection]
) -> list[tuple[PrivacySection, Choice, str]]:
    """The choices this member must make before erasure, each with its question."""
    found: list[tuple[PrivacySection, Choice, str]] = []
    for section in sections:
        if section.choice is not None:
            question = section.choice.question(session, member)
            if question:
                found.append((section, section.choice, question))
    return found


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
    session: Session,
    member: Member,
    sections: Sequence[PrivacySection],
    answers: Mapping[str, str] | None = None,
) -> dict[str, Notes]:
    """Run every section's eraser (with the member's answer to its choice, by section name),
    delete the member (foreign keys do the rest) and tell the search cache. Returns each
    section's notes of what stays and why."""
    assert member.id is not None
    notes: dict[str, Notes] = {}
    for section in sections:
        answer = (answers or {}).get(section.name)
        if section.choice is not None and answer not in section.choice.words():
            answer = section.choice.default
        notes[section.name] = section.erase(session, member, answer)
    community_id = member.community_id
    session.delete(member)
    session.flush()
    repos.bump_directory(session, community_id)
    return {name: found for name, found in notes.items() if found}
