"""Real plurals and whole sentences (`cop_bot/core/wording.plural`, shaped like gettext's
`ngettext`), and the replies that used to say "member(s)", "page(s)" or "The domains is"."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cop_bot.core.model import Status
from cop_bot.core.wording import plural
from cop_bot.practices.fields import MISSING, REQUIRED
from cop_bot.render.text import render
from tests.conftest import Bot


def test_plural_of_nouns_and_of_whole_sentences() -> None:
    assert plural(1, "practice") == "1 practice"
    assert plural(0, "practice") == "0 practices"
    assert plural(2, "reply", "replies") == "2 replies"
    one, other = "{count} member was told.", "{count} members were told."
    assert plural(1, one, other) == "1 member was told."
    assert plural(3, one, other) == "3 members were told."
    assert plural(2, "{count} page of {what}.", "{count} pages of {what}.", what="x") == (
        "2 pages of x."
    )


@given(st.integers(min_value=0, max_value=10**9))
def test_plural_never_writes_an_s_in_brackets(count: int) -> None:
    text = plural(count, "{count} member was told.", "{count} members were told.")
    assert "(s)" not in text and text.startswith(str(count))
    assert ("were" in text) == (count != 1)


def test_every_required_practice_field_has_its_own_missing_sentence() -> None:
    assert set(MISSING) == set(REQUIRED)


def test_a_practice_without_domains_says_the_domains_are_missing(bot: Bot) -> None:
    result = bot.reply("/share-practice Welcome desks; summary: A desk that welcomes newcomers.")
    problems = result.data["error"]["problems"]
    assert "The domains are missing: add `domains: e.g. housing, labour market`." in problems
    assert not any("domains is" in p for p in problems)


def test_a_page_past_the_end_says_how_many_pages_there_are(bot: Bot) -> None:
    bot.send("/profile set domains: housing; expert: yes", as_="hana")
    result = bot.reply("/find-expert housing page:4")
    assert result.status is Status.USER_ERROR
    assert "There is only 1 page of results for “housing”." in render(result)


def test_changing_a_session_says_how_many_were_told_in_words(admin_bot: Bot) -> None:
    made = admin_bot.reply('/schedule-session "Clinic" tomorrow 15:00')
    sid = made.data["session"]["id"]
    nobody = admin_bot.reply(f"/session move {sid} in 2 days at 15:00")
    assert "Nobody else had answered yes or maybe, so nobody needed telling." in render(nobody)
    admin_bot.send(f"/rsvp {sid} yes", as_="alice")
    one = admin_bot.reply(f"/session move {sid} in 3 days at 15:00")
    assert "1 member who answered yes or maybe was told." in render(one)
    admin_bot.send(f"/rsvp {sid} maybe", as_="bob")
    two = render(admin_bot.reply(f"/session cancel {sid} The speaker is ill"))
    assert "2 members who answered yes or maybe were told." in two
    assert "(s)" not in two


def test_asking_says_how_many_experts_were_told_in_words(bot: Bot) -> None:
    bot.send("/profile set domains: housing; expert: yes; asks: yes", as_="hana")
    text = bot.send("/ask housing: How do you find landlords willing to rent?")
    assert "1 matching expert was told." in text
