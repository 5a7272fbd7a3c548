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


def plural(count: int, one: str, other: str | None = None, /, **values: object) -> str:
    """The form of a phrase for `count`, shaped like gettext's `ngettext(one, other, count)`
    so that the languages issue can swap it in.

    Whole sentences with placeholders: `plural(n, "{count} member was told.", "{count} members
    were told.")`; `{count}` and the named `values` fill them. A noun: `plural(n, "reply",
    "replies")` -> `2 replies`; a regular noun alone: `plural(n, "practice")` -> `3 practices`.
    """
    if other is None:
        other = one + "s"
    chosen = one if count == 1 else other
    if "{count}" not in chosen:
        return f"{count} {chosen}"
    return chosen.format(count=count, **values)


ECHO_LIMIT = 80
"""How much of what a member typed a reply quotes back: a 20,000-character query is not
repeated in full on any platform (Slack and Matrix would cut it; the console would not)."""


def file_size(size: int) -> str:
    """`512 bytes`, `2.1 kB`, `1.4 MB`: how big an attached file is, for people."""
    if size < 1000:
        return plural(size, "byte")
    if size < 1_000_000:
        return f"{size / 1000:.1f} kB"
    return f"{size / 1_000_000:.1f} MB"


def quoted(text: str) -> str:
    return f"“{text}”"


def echo(text: str, limit: int = ECHO_LIMIT) -> str:
    """What a member typed, quoted back to them on one line and at most `limit` characters."""
    return quoted(shorten(" ".join(text.split()), limit))


def fits_echo(text: str, limit: int = ECHO_LIMIT) -> bool:
    """Whether `echo` would quote `text` whole (so a command built from it can be offered)."""
    return len(" ".join(text.split())) <= limit


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
