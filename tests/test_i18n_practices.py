"""The practice commands speak the member's language (issue 15): `/practices`, `/practice ID`,
their usage errors, the notice an author receives in *their* language, and the plural forms of
"{count} endorsement(s)" in French and Arabic."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from cop_bot.core import i18n
from cop_bot.core.model import Reply
from cop_bot.handlers.practices.common import endorsement_count
from cop_bot.practices.search import PAGE_SIZE
from cop_bot.render.text import render
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import Member
from tests.conftest import Bot

ADMIN = "root-admin"
ARABIC = re.compile(r"[\u0600-\u06ff]")
GREEK = re.compile(r"[\u0370-\u03ff]")
LISTING_ENGLISH = ("The shared repertoire", " endorsements", "Undo endorsement")
SHOWN_ENGLISH = ("Shared by ", " on ", "Domains", "approved ", "review by", "Confirm")
ERROR_ENGLISH = (
    "I could not share this practice yet",
    "Copy this, complete it and send it again",
    "Optional fields",
    "Which practice? Give its number",
)


def set_locale(bot: Bot, handle: str, language: str) -> None:
    """The member's chosen language, as `/profile set language:` would store it."""
    bot.reply("/practices", as_=handle)  # the member exists once they have used the bot
    with session_scope(bot.app.engine) as session:
        member = session.exec(select(Member).where(Member.handle == handle)).one()
        member.locale = language
        session.add(member)


def share_some(bot: Bot) -> list[int]:
    ids = []
    for title, domains in (
        ("Welcome desks", "housing"),
        ("Repair cafés", "neighbourhood participation"),
        ("Job coaching", "labour market"),
    ):
        result = bot.reply(
            f"/share-practice {title}; summary: Volunteers help newcomers settle in, weekly.; "
            f"domains: {domains}; country: IT",
            as_=ADMIN,
        )
        assert result.ok, render(result)
        ids.append(result.data["practice"]["id"])
    return ids


def assert_in_language(text: str, language: str, english: tuple[str, ...]) -> None:
    if language == "en":
        assert any(sentence in text for sentence in english), text
        return
    found = [sentence for sentence in english if sentence in text]
    assert not found, f"{language}: English left in {found}:\n{text}"
    if language == "ar":
        assert ARABIC.search(text), text
    if language == "el":
        assert GREEK.search(text), text


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_the_listing_and_a_practice_are_in_the_member_s_language(bot: Bot, language: str) -> None:
    ids = share_some(bot)
    set_locale(bot, "alice", language)
    listing = bot.reply("/practices", as_="alice")
    assert listing.ok and listing.locale == language
    assert_in_language(render(listing), language, LISTING_ENGLISH)
    shown = bot.reply(f"/practice {ids[0]}", as_="alice")
    assert shown.ok
    assert_in_language(render(shown), language, SHOWN_ENGLISH)
    assert shown.data["practice"]["title"] == "Welcome desks"  # content is data: as written


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_usage_errors_are_in_the_member_s_language(bot: Bot, language: str) -> None:
    set_locale(bot, "alice", language)
    empty_form = bot.reply("/share-practice", as_="alice")
    assert not empty_form.ok
    assert_in_language(render(empty_form), language, ERROR_ENGLISH)
    assert "summary:" in empty_form.data["error"]["template"]  # form keys stay the API
    no_number = bot.reply("/practice", as_="alice")
    assert not no_number.ok
    assert_in_language(render(no_number), language, ERROR_ENGLISH)


def test_a_french_form_s_errors_and_placeholders_are_french(bot: Bot) -> None:
    set_locale(bot, "alice", "fr")
    result = bot.reply("/share-practice Ab; domains: nowhere-land", as_="alice")
    text = render(result)
    assert "Le résumé manque" in text and "n'est pas un domaine que je connais" in text
    assert "Titre" in text or "titre" in text
    # The template's translated example text, sent back unchanged, is not taken as a value.
    template = result.data["error"]["template"]
    again = bot.reply(template, as_="alice")
    assert "Remplacez le texte d'exemple de `summary:` par le résumé." in render(again)


def test_the_author_is_told_in_their_language_and_the_curator_in_theirs(bot: Bot) -> None:
    set_locale(bot, "alice", "ar")
    shared = bot.reply(
        "/share-practice Repair cafés; summary: Volunteers fix bikes and phones with newcomers.; "
        "domains: neighbourhood participation",
        as_="alice",
    )
    assert shared.ok and ARABIC.search(render(shared))
    approved = bot.reply("/practice approve 1", as_=ADMIN)
    assert approved.ok and "Approved #1" in render(approved)
    [notice] = approved.notices
    assert notice.to.handle == "alice" and notice.locale == "ar"
    told = render(Reply(blocks=notice.blocks))
    assert "was approved by" not in told and ARABIC.search(told) and "Repair cafés" in told


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "fr",
            [
                "0 recommandation",
                "1 recommandation",
                "2 recommandations",
                "5 recommandations",
                "11 recommandations",
            ],
        ),
        ("ar", ["0 تأييد", "تأييد واحد", "تأييدان", "5 تأييدات", "11 تأييدًا"]),
        (
            "en",
            [
                "0 endorsements",
                "1 endorsement",
                "2 endorsements",
                "5 endorsements",
                "11 endorsements",
            ],
        ),
    ],
)
def test_endorsement_counts_take_each_language_s_plural_forms(
    language: str, expected: list[str]
) -> None:
    with i18n.using(language):
        assert [endorsement_count(n) for n in (0, 1, 2, 5, 11)] == expected


def test_the_help_text_says_the_real_page_size() -> None:
    """`/practices`' details are a constant msgid, so the page size is written out in it."""
    from cop_bot.handlers.practices.listing import practices_command

    spec = practices_command.__command_spec__  # type: ignore[attr-defined]
    assert f"{PAGE_SIZE} per page" in spec.details
