"""What every renderer says or checks the same way, so the platforms never drift apart: the
links they will render, and the hint that replaces what did not fit."""

from __future__ import annotations

import re
from collections.abc import Iterable

from cop_bot.core.clean import HIDDEN
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
    """`…and N more — narrow your search`, N counted in items when items were cut, else in
    blocks."""
    blocks = list(dropped)
    more = sum(isinstance(b, Item) for b in blocks) or len(blocks)
    return f"{ELLIPSIS}and {more} more — narrow your search"
