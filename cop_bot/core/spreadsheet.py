"""CSV cells that stay text in a spreadsheet.

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula by
Excel, LibreOffice and Google Sheets (CSV injection: `=HYPERLINK(...)` in a bio becomes a live
link, or worse). Exports therefore prefix such a cell, and one that already starts with an
apostrophe, with an apostrophe, which spreadsheets read as "this is text" and do not show;
imports take one leading apostrophe off again, so a round trip loses nothing. Every CSV the bot
writes uses this one rule (members, practices).
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TEXT_MARK = "'"


def to_cell(text: str) -> str:
    """`text` as a cell no spreadsheet runs as a formula."""
    return TEXT_MARK + text if text.startswith((*FORMULA_START, TEXT_MARK)) else text


def from_cell(text: str) -> str:
    """A cell's text, without the apostrophe `to_cell` (or a spreadsheet) put in front."""
    return text[1:] if text.startswith(TEXT_MARK) else text
