from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cop_bot.core.args import (
    clean_input,
    did_you_mean,
    parse_args,
    parse_command_line,
    parse_form,
    parse_handle,
    split_words,
)
from cop_bot.core.clean import clean_line
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


def test_key_value_words_stay_words_for_a_command_without_options() -> None:
    assert parse_args("note:hello", ()).words == ("note:hello",)


def test_times_links_and_bare_keys_stay_words_for_a_command_with_options() -> None:
    text = "15:00 https://x.org/a mailto:a@x.org Note: country:IT"
    args = parse_args(text, {"country"})
    assert args.words == ("15:00", "https://x.org/a", "mailto:a@x.org", "Note:")
    assert args.options == {"country": "IT"}


def test_unknown_option_is_an_error_listing_the_options() -> None:
    with pytest.raises(UsageError) as caught:
        parse_args("housing colour:red", ("country", "lang", "org", "page"))
    assert caught.value.message == "There is no option `colour:`."
    assert caught.value.hint == "The options are `country:`, `lang:`, `org:`, `page:`."


@pytest.mark.parametrize(
    ("typed", "meant"), [("contry", "country"), ("language", "lang"), ("pgae", "page")]
)
def test_unknown_option_near_a_known_one_says_did_you_mean(typed: str, meant: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_args(f"housing {typed}:IT", ("country", "lang", "org", "page"))
    assert caught.value.message == f"There is no option `{typed}:`. Did you mean `{meant}:`?"


def test_did_you_mean_is_none_when_nothing_is_close() -> None:
    assert did_you_mean("colour", ["country", "lang", "org", "page"]) is None
    assert did_you_mean("amina", ["amina.haddad", "bob"]) == "amina.haddad"


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


def test_form_semicolon_splits_only_before_a_known_key() -> None:
    keys = ("bio", "country", "city")
    text = "bio: I run a job centre; I also advise on housing; note: on Fridays; country: IT"
    assert parse_form(text, keys=keys) == [
        ("bio", "I run a job centre; I also advise on housing; note: on Fridays"),
        ("country", "IT"),
    ]


def test_form_semicolon_before_a_near_miss_splits_so_the_typo_is_reported() -> None:
    assert parse_form("city: Rome; contry: IT", keys=("country", "city")) == [
        ("city", "Rome"),
        ("contry", "IT"),
    ]


def test_form_without_keys_splits_on_every_semicolon() -> None:
    assert parse_form("bio: a; b") == [("bio", "a\nb")]


def test_form_without_key_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="key: value"):
        parse_form("just words")


def test_handles() -> None:
    assert parse_handle(" @Amina.Haddad ") == "amina.haddad"
    assert parse_handle("@bob:other.org") == "bob:other.org"
    assert parse_handle("u024be7lh") == "u024be7lh"
    for bad in ["", "@", "two words", "x" * 81, "<!channel>", "Bad Handle!", ".amina", "-x"]:
        with pytest.raises(UsageError):
            parse_handle(bad)


@pytest.mark.parametrize("word", ["@room", "room", "@channel", "@here", "@Everyone"])
def test_handles_that_notify_everyone_are_refused_with_the_reason(word: str) -> None:
    with pytest.raises(UsageError, match="stands for everyone in the room"):
        parse_handle(word)


@given(st.text())
def test_handle_rule_is_total_and_its_handles_are_safe(text: str) -> None:
    try:
        handle = parse_handle(text)
    except UsageError:
        return
    assert handle == parse_handle(handle) == parse_handle("@" + handle)
    assert 0 < len(handle) <= 80 and handle == handle.lower()
    assert handle not in {"room", "channel", "here", "everyone"}
    assert not any(c in handle for c in " <>!@&\n")


def test_clean_input_drops_control_characters() -> None:
    assert clean_input("a\x00b\x1b[31mc\r\nd\te") == "abc\nd\te"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("\x1b[31mred\x1b[0m", "red"),  # CSI: colours
        ("\x1b[2J\x1b[Hhome", "home"),  # CSI: clear screen, cursor home
        ("\x1b]0;evil title\x07ok", "ok"),  # OSC ended by BEL
        ("\x1b]8;;https://x.org\x1b\\link\x1b]8;;\x1b\\", "link"),  # OSC 8 hyperlink
        ("\x1bPqdata\x1b\\after", "after"),  # DCS
        ("\x9b31mred", "red"),  # 8-bit CSI
        ("bell\x07 and\x85 next", "bell and next"),  # BEL, C1 NEL
        ("\x1bcreset", "reset"),  # ESC c: full reset
        ("end\x1b", "end"),
        ("ali\u200bce \u202egnp.exe", "alice gnp.exe"),  # zero-width space, RTL override
        ("\ufeffbom \u2066iso\u2069", "bom iso"),
        ("keep\u200dzwj and\u200cnon-joiner", "keep\u200dzwj and\u200cnon-joiner"),
        ("two\nlines\tand tab", "two\nlines\tand tab"),
    ],
)
def test_clean_input_removes_whole_escape_sequences_and_invisible_characters(
    raw: str, clean: str
) -> None:
    assert clean_input(raw) == clean


def test_clean_line_makes_new_lines_and_tabs_spaces() -> None:
    assert clean_line("a\nb\tc\x1b[1m") == "a b c"


@given(st.text())
def test_clean_input_is_total_idempotent_and_leaves_no_controls(text: str) -> None:
    cleaned = clean_input(text)
    assert clean_input(cleaned) == cleaned
    assert not any(
        (unicodedata.category(c) == "Cc" and c not in "\n\t") or c in "\u202e\u200b\ufeff"
        for c in cleaned
    )


@given(st.text(alphabet=st.characters(categories=("L", "N", "P", "Zs", "S"))))
def test_clean_input_keeps_printable_text(text: str) -> None:
    assert clean_input(text) == text


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


@given(st.text(), st.sampled_from([None, ("bio", "country"), ("title", "summary", "tags")]))
def test_form_parser_is_total(text: str, keys: tuple[str, ...] | None) -> None:
    try:
        pairs = parse_form(text, title_key="title", keys=keys)
    except UsageError:
        return
    assert all(key for key, _ in pairs)


@given(
    st.lists(st.text(alphabet="abc ;:.,", min_size=1).filter(lambda t: ":" not in t), max_size=4)
)
def test_form_value_keeps_its_semicolons_unless_a_known_key_follows(parts: list[str]) -> None:
    value = ";".join(parts).strip()
    pairs = parse_form(f"bio: {value}; country: IT", keys=("bio", "country"))
    assert pairs[-1] == ("country", "IT")
    if value:
        assert pairs == [("bio", value), ("country", "IT")]
