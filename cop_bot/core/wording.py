"""Phrasings that every capability's replies share, so each wording lives in one place (and
the languages issue has one place to translate it)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Protocol

from cop_bot.core.model import Mention


class MemberLike(Protocol):
    """What a reply needs of a member to mention them (a stored `Member` has it)."""

    handle: str
    display_name: str | None
    platform_user_id: str | None


def plural(count: int, noun: str) -> str:
    """`1 practice`, `3 practices`: English plurals of the regular nouns the bot counts."""
    return f"{count} {noun}" + ("" if count == 1 else "s")


def file_size(size: int) -> str:
    """`512 bytes`, `2.1 kB`, `1.4 MB`: how big an attached file is, for people."""
    if size < 1000:
        return plural(size, "byte")
    if size < 1_000_000:
        return f"{size / 1000:.1f} kB"
    return f"{size / 1_000_000:.1f} MB"


def quoted(text: str) -> str:
    return f"“{text}”"


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word's end with an ellipsis when it is longer."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def mention_of(member: MemberLike) -> Mention:
    return Mention(member.handle, member.display_name, member.platform_user_id)


def jsonable(value: Any) -> Any:
    """`value` with dates and times as ISO strings, in lists and dicts too (for `--json` data
    and JSON columns)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float):
        return value
    return str(value)
