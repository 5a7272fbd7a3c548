"""Phrasings that every capability's replies share, so each wording lives in one place (and
the languages issue has one place to translate it)."""

from __future__ import annotations

from datetime import date, datetime
from string import Formatter
from typing import Any, Protocol

from cop_bot.core import i18n
from cop_bot.core.model import Inline, Mention, Spans


class MemberLike(Protocol):
    """What a reply needs of a member to mention them (a stored `Member` has it)."""

    handle: str
    display_name: str | None
    platform_user_id: str | None


def plural(count: int, one: str, other: str | None = None, /, **values: object) -> str:
    """The English form of a phrase for `count`, for the operator's command line (which is
    English). What members read uses `cop_bot.core.i18n.n_`, with each language's plural rules.

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


def phrase(template: str, /, **values: Inline) -> Spans:
    """A translated sentence with formatted parts in it, kept whole for the translator:
    `phrase(_("Type {command} to see every command."), command=Code("/help"))` ->
    `("Type ", Code("/help"), " to see every command.")`, in whatever order the language puts
    them. Plain `str` values are inserted as text (and so escaped by every renderer)."""
    out: list[Inline] = []
    for literal, name, _spec, _conversion in Formatter().parse(template):
        if literal:
            out.append(literal)
        if name is not None:
            value = values.get(name, "{" + name + "}")
            if value != "":
                out.append(value)
    merged: list[Inline] = []
    for part in out:  # neighbouring plain text in one piece, as spans() would be written
        if merged and isinstance(part, str) and isinstance(merged[-1], str):
            merged[-1] = merged[-1] + part
        else:
            merged.append(part)
    return tuple(merged)


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


QUOTES = {
    "en": ("“", "”"),
    "fr": ("«\u00a0", "\u00a0»"),
    "es": ("«", "»"),
    "it": ("«", "»"),
    "de": ("„", "“"),
    "ar": ("«", "»"),
    "el": ("«", "»"),
}
"""Each language's quotation marks (CLDR's, with the guillemets Arabic writing prefers)."""


def quoted(text: str) -> str:
    """`text` in the active language's quotation marks: “housing”, « logement », „Wohnen“."""
    opening, closing = QUOTES.get(i18n.active(), QUOTES["en"])
    return f"{opening}{text}{closing}"


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
