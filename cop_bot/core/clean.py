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
# C0 controls but tab and new line, DEL, C1 controls.
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f"
# Invisible formatting characters: soft hyphen, Arabic letter mark, Mongolian vowel separator,
# zero-width space, left-to-right and right-to-left marks, bidi embeddings and overrides, word
# joiner and invisible operators, bidi isolates, the byte-order mark, interlinear annotations.
# The zero-width (non-)joiners stay: Persian, Indic scripts and emoji sequences need them.
_INVISIBLE = (
    "\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb"
)
_DROP = re.compile(f"[{_CONTROLS}{_INVISIBLE}]")


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
