from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cop_bot.core.args import (
    clean_input,
    parse_args,
    parse_command_line,
    parse_form,
    parse_handle,
    split_words,
)
from cop_bot.core.errors import UsageError


@pytest.mark.parametrize(
    ("text", "name", "rest"),
    [
        ("/find-expert labour market", "find-expert", "labour market"),
        ("!find-expert  labour market ", "find-expert", "labour market"),
        ("find-expert", "find-expert", ""),
        ("/HELP role", "help", "role"),
        ("/share-practice\ntitle: X", "share-practice", "title: X"),
    ],
)
def test_command_line(text: str, name: str, rest: str) -> None:
    parsed = parse_command_line(text)
    assert parsed is not None
    assert (parsed.name, parsed.rest) == (name, rest)


@pytest.mark.parametrize("text", ["", "   ", "/", "hello, world", "/123", "@bob hi"])
def test_not_a_command(text: str) -> None:
    assert parse_command_line(text) is None


def test_options_are_separated_from_words() -> None:
    args = parse_args("labour market country:IT LANG:fr 15:00", {"country", "lang"})
    assert args.words == ("labour", "market", "15:00")
    assert args.options == {"country": "IT", "lang": "fr"}


def test_undeclared_option_stays_a_word() -> None:
    assert parse_args("note:hello", {"country"}).words == ("note:hello",)


def test_quotes_group_words_and_typographic_quotes_work() -> None:
    assert split_words('"Labour market CoP" tomorrow') == ["Labour market CoP", "tomorrow"]
    assert split_words("“Labour market CoP” tomorrow") == ["Labour market CoP", "tomorrow"]
    assert split_words('unbalanced "quote here') == ["unbalanced", '"quote', "here"]


def test_empty_or_conflicting_option_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="needs a value"):
        parse_args("x country:", {"country"})
    with pytest.raises(UsageError, match="twice"):
        parse_args("country:IT country:FR", {"country"})


def test_form_pairs_separators_and_continuations() -> None:
    pairs = parse_form(
        "Better jobs for newcomers\nsummary: first line\nsecond line; Key Factors: a\\; b\nlink: https://x.org",
        title_key="title",
    )
    assert pairs == [
        ("title", "Better jobs for newcomers"),
        ("summary", "first line\nsecond line"),
        ("key-factors", "a; b"),
        ("link", "https://x.org"),
    ]


def test_form_without_key_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="key: value"):
        parse_form("just words")


def test_handles() -> None:
    assert parse_handle(" @Amina.Haddad ") == "amina.haddad"
    for bad in ["", "@", "two words", "x" * 81, "<!channel>"]:
        with pytest.raises(UsageError):
            parse_handle(bad)


def test_clean_input_drops_control_characters() -> None:
    assert clean_input("a\x00b\x1b[31mc\r\nd\te") == "ab[31mc\nd\te"


@given(st.text())
def test_command_line_never_crashes(text: str) -> None:
    parse_command_line(text)


@given(st.text(), st.sets(st.sampled_from(["country", "lang", "page", "org"])))
def test_args_parser_is_total(text: str, options: set[str]) -> None:
    try:
        args = parse_args(text, options)
    except UsageError:
        return
    assert set(args.options) <= options


@given(st.text())
def test_form_parser_is_total(text: str) -> None:
    try:
        pairs = parse_form(text, title_key="title")
    except UsageError:
        return
    assert all(key for key, _ in pairs)
