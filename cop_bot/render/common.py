"""What every renderer says or checks the same way, so the platforms never drift apart: the
links they will render, and the hint that replaces what did not fit."""

from __future__ import annotations

import re
from collections.abc import Iterable

from babel.numbers import get_decimal_symbol

from cop_bot.core import i18n
from cop_bot.core.clean import HIDDEN
from cop_bot.core.i18n import _, n_
from cop_bot.core.model import Block, Item

ELLIPSIS = "…"
# Only http(s) with a host, and mailto: never javascript:, data: or a relative path.
URL_START = re.compile(r"(?:https?://[^\s/?#]|mailto:\S)", re.IGNORECASE)
# Whitespace, control, zero-width and direction characters, which could hide or split a link.
URL_INVISIBLE = r"\s" + HIDDEN  # no link may hide a character (core/clean's one list)


def url_forbidding(characters: str) -> re.Pattern[str]:
    """What makes a URL unsafe in one markup: the invisible characters and `characters`."""
    return re.compile(f"[{URL_INVISIBLE}{re.escape(characters)}]")


def safe_url(url: str, forbidden: re.Pattern[str]) -> bool:
    return bool(URL_START.match(url)) and not forbidden.search(url)


def more_hint(dropped: Iterable[Block]) -> str:
    """`…and N more — narrow your search` in the active language, N counted in items when items
    were cut, else in blocks."""
    blocks = list(dropped)
    more = sum(isinstance(b, Item) for b in blocks) or len(blocks)
    return ELLIPSIS + n_(
        more, "and {count} more — narrow your search", "and {count} more — narrow your search"
    )


def file_size(size: int) -> str:
    """`512 bytes`, `2.1 kB`, `1.4 MB` in the active language (`2,1 ko` in French): the
    renderers' twin of `wording.file_size`, which stays English for the command line."""
    if size < 1000:
        return n_(size, "{count} byte", "{count} bytes")
    if size < 1_000_000:
        return _("{size} kB").format(size=_one_decimal(size / 1000))
    return _("{size} MB").format(size=_one_decimal(size / 1_000_000))


def _one_decimal(value: float) -> str:
    """`2.1` / `2,1`: one decimal, always shown (as `f"{value:.1f}"` writes it in English)."""
    return f"{value:.1f}".replace(".", get_decimal_symbol(i18n.locale()))
