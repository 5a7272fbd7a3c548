"""Text columns and their lengths: one source of truth for every check of a length.

PostgreSQL refuses a value longer than its `VARCHAR(n)` with an error that fails the whole
command ("value too long for type character varying(200)"); SQLite stores it silently. So
before every flush each changed text is checked against its column, on both databases, and a
text that does not fit becomes a clear `UsageError` naming what is too long and by how much.
Parsers check the same limits earlier (`limit_of`), with their own wording; this is the net
under them. System texts such as a failed post's error are cut to fit instead.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import SQLModel

from cop_bot.core.errors import UsageError

LABELS: dict[tuple[str, str], str] = {
    ("community", "name"): "community name",
    ("member", "display_name"): "name",
    ("member", "organisation_type"): "organisation type",
    ("question", "text"): "question",
    ("practice", "target_group"): "target group",
    ("practice", "key_factors"): "key factors",
    ("practice", "guide_questions"): "guide questions",
    ("practice", "rejected_reason"): "reason",
    ("cop_session", "title"): "session title",
    ("cop_session", "rrule"): "repeat rule",
    ("cop_session", "cancel_reason"): "reason",
    ("session_change", "reason"): "reason",
    ("session_agenda_item", "text"): "agenda item",
}
"""What a member calls a column, when its name is not already that (default: the column's
name with spaces)."""

CUT_TO_FIT = frozenset({("digest_run", "last_error"), ("practice_revision", "editor_label")})
"""Columns the bot itself writes: too long is shortened, never an error."""


def limit_of(model: type[SQLModel], column: str) -> int:
    """The length of a text column, for parsers to check against (`limit_of(Member, "city")`)."""
    length = getattr(model.__table__.columns[column].type, "length", None)  # type: ignore[attr-defined]
    if not isinstance(length, int):
        raise ValueError(f"{model.__name__}.{column} is not a text column with a length")
    return length


class TextTooLong(UsageError):
    """A text does not fit its column; nothing of the command is kept."""

    def __init__(self, label: str, length: int, limit: int) -> None:
        super().__init__(f"The {label} is {length} characters long; the limit is {limit}.")
        self.label, self.length, self.limit = label, length, limit


def check_row(row: object, *, only_changed: bool) -> None:
    """Raise `TextTooLong` for the first text of `row` longer than its column (cut those in
    `CUT_TO_FIT` instead). `only_changed`: rows read from the database are judged on what
    changed, so an old over-long value (SQLite kept it) does not block every later update."""
    state = inspect(row)
    table = state.mapper.local_table
    for attr in state.mapper.column_attrs:
        column = attr.columns[0]
        length = getattr(column.type, "length", None)
        if not isinstance(length, int):  # not a text column (SQLModel's AutoString has one)
            continue
        if only_changed and not state.attrs[attr.key].history.has_changes():
            continue
        value = getattr(row, attr.key)
        if not isinstance(value, str) or len(value) <= length:
            continue
        key = (str(table.name), str(column.name))
        if key in CUT_TO_FIT:
            setattr(row, attr.key, value[: length - 1] + "…")
            continue
        label = LABELS.get(key, str(column.name).replace("_", " "))
        raise TextTooLong(label, len(value), length)


@event.listens_for(OrmSession, "before_flush")
def _check_lengths(session: OrmSession, _context: Any, _instances: Any) -> None:
    for row in session.new:
        check_row(row, only_changed=False)
    for row in session.dirty:
        check_row(row, only_changed=True)
