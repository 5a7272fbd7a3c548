"""One list of hidden characters (issue 21, defect 10): what input cleaning removes, no renderer
shows and no .ics file holds. The characters the hostile test found getting through: U+2060,
U+FEFF, U+2061–2064, U+061C, U+00AD and U+180E."""

from __future__ import annotations

import json
import re
import sys
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cop_bot.core.clean import HIDDEN, clean_input
from cop_bot.core.model import Bold, Code, Link, Text, reply
from cop_bot.render import matrix, slack
from cop_bot.render import text as plain

FOUND_GETTING_THROUGH = "\u2060\ufeff\u2061\u2062\u2063\u2064\u061c\u00ad\u180e"
KEPT = {"\t", "\n", "\u200c", "\u200d"}  # tab, new line, ZWNJ and ZWJ, which words need
_HIDDEN = re.compile(f"[{HIDDEN}]")


def _hidden_by_unicode() -> set[str]:
    return {
        chr(c)
        for c in range(sys.maxunicode + 1)
        if unicodedata.category(chr(c)) in {"Cc", "Cf"}
        and chr(c) not in KEPT
        and not 0xE0020 <= c <= 0xE007F  # emoji tags: subdivision flags
    }


def test_the_list_is_unicodes_control_and_format_characters() -> None:
    listed = {chr(c) for c in range(sys.maxunicode + 1) if _HIDDEN.match(chr(c))}
    assert all(unicodedata.category(ch) in {"Cc", "Cf"} for ch in listed)
    if unicodedata.unidata_version == "14.0.0":  # the version the list was written from
        assert listed == _hidden_by_unicode()
    assert not listed & KEPT


@pytest.mark.parametrize("ch", list(FOUND_GETTING_THROUGH))
def test_no_renderer_shows_the_characters_that_got_through(ch: str) -> None:
    word = f"ad{ch}min"
    shown = reply(Text.of(word, Bold(word), Code(word), Link("https://example.org", word)))
    slack_message = json.dumps(slack.render_message(shown), ensure_ascii=False)
    matrix_content = json.dumps(matrix.render(shown), ensure_ascii=False)
    for out in (plain.render(shown), slack_message, matrix_content):
        assert ch not in out
        assert "admin" in out
    assert clean_input(word) == "admin"


def test_arabic_and_persian_keep_their_joiners() -> None:
    word = "می\u200cخواهم"  # Persian: the ZWNJ is part of the spelling
    assert clean_input(word) == word
    assert word in plain.render(reply(Text.of(word)))


@given(st.text())
def test_cleaned_text_holds_no_hidden_character(text: str) -> None:
    assert _HIDDEN.search(clean_input(text)) is None
    assert _HIDDEN.search(plain.clean(text)) is None
