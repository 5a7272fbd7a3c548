"""The pairing's stable words, without numpy: why someone is unpaired (nearest rule first; the
codes are what `--json` shows) and the repeat window. `mentoring.matching` does the pairing."""

from __future__ import annotations

REPEAT_WINDOW = 3
"""A pair may not meet again within this many rounds."""

NO_ONE = "no-one"
NO_LANGUAGE = "no-language"
SAME_ORGANISATION = "same-organisation"
RECENT = "recent"
TAKEN = "taken"
FEW_MEMBERS = "too-few-members"
"""Organisations mode: the member's organisation has fewer than `MIN_MEMBERS` who joined."""
REASONS = (FEW_MEMBERS, NO_ONE, NO_LANGUAGE, SAME_ORGANISATION, RECENT, TAKEN)
MIN_MEMBERS = 2


def recent_key(a: int, b: int) -> tuple[int, int]:
    """A pair as a key, whichever side is named first."""
    return (a, b) if a < b else (b, a)
