"""The one clean-up every piece of typed or imported text goes through (chat commands, `cop-bot`
arguments, CSV imports), so what is stored is what a member could see.

Terminal escape sequences are removed whole: dropping only the ESC byte would leave `[31m` in a
bio. Other control characters go too (NUL breaks PostgreSQL text, the rest break terminals), and
so do invisible and bidirectional-override characters, which can disguise a handle or reverse
the text around them. New lines and tabs stay where free text allows them.
"""

from __future__ import annotations

import re

# ECMA-48 escape sequences, in their 7-bit (ESC ...) and 8-bit (C1) forms: control strings
# (OSC, DCS, SOS, PM, APC) up to their terminator (BEL or ST) or the end of the line, control
# sequences (CSI) up to their final byte, then any other ESC with its intermediate and final bytes.
_ESCAPES = re.compile(
    r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|\x1b[ -/]*[0-~]?"
)
# Hidden characters: Unicode's control (Cc) and format (Cf) categories, as of Unicode 14, but
# tab and new line (free text keeps them), the zero-width (non-)joiners (Arabic, Persian, Indic
# scripts and emoji sequences need them inside words) and the emoji tag characters (subdivision
# flags). This covers the soft hyphen, the Arabic letter mark, the Mongolian vowel separator,
# zero-width space, direction marks, embeddings, overrides and isolates, the word joiner and
# invisible operators, the byte-order mark and interlinear annotations. One list, shared by
# input cleaning and every renderer (`render/text.clean`), .ics files and URLs;
# tests/test_clean.py checks it against `unicodedata`.
HIDDEN = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2"
    "\u180e\u200b\u200e-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001"
)
_DROP = re.compile(f"[{HIDDEN}]")


def clean_input(text: str) -> str:
    """Free text as it may be stored: escape sequences, control and invisible characters
    removed; Windows and old Mac line ends become new lines; new lines and tabs kept."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _DROP.search(text) is None:  # the usual case: nothing to remove (ESC is a control too)
        return text
    return _DROP.sub("", _ESCAPES.sub("", text))


def clean_line(text: str) -> str:
    """A one-line value (a handle, a name): as `clean_input`, with each new line or tab made a
    space."""
    return re.sub(r"[\t\n]", " ", clean_input(text))
