"""Experts and profiles in the member's language (issue 15): `/find-expert`, `/profile`,
`/domains`, `/ask` and their errors, and `/profile set language:`, the member's own choice."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cop_bot.core import i18n
from cop_bot.core.model import Reply, Status
from cop_bot.render.text import render
from tests.conftest import Bot

AMINA = (
    "domains: labour market, legal aid; country: MA; languages: ar, fr, en; "
    "organisation: Fictional Casablanca Support; bio: Job-readiness programmes; expert: yes; "
    "asks: yes"
)
LUCA = (
    "domains: employment; country: Italy; languages: it, en; organisation: Example City of Turin; "
    "bio: Skills recognition for refugees; expert: yes; asks: yes"
)
ENGLISH = {
    "find": ("Experts for", "Why: ", "works on", "page 1 of"),
    "profile": ("Time zone", "Listed as expert", "Receives questions", "Edit profile"),
    "domains": ("Find people with", "practices"),
    "usage": ("Tell me what kind of expertise you need.",),
}
"""Template sentences of this area that no other language's reply may contain."""
SCRIPTS = {"ar": re.compile(r"[\u0600-\u06ff]"), "el": re.compile(r"[\u0370-\u03ff]")}
CHOICES = ("en (", "fr (", "es (", "it (", "de (", "ar (", "el (")
"""How the error for an unknown `language:` lists the seven languages."""


@pytest.fixture
def experts(bot: Bot) -> Bot:
    for handle, profile in (("amina", AMINA), ("luca", LUCA)):
        assert bot.reply(f"/profile set {profile}", as_=handle).ok
    return bot


def speaking(bot: Bot, handle: str, language: str) -> Reply:
    result = bot.reply(f"/profile set language: {language}", as_=handle)
    assert result.ok, render(result)
    return result


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_replies_are_in_the_members_language(experts: Bot, language: str) -> None:
    speaking(experts, "alice", language)
    replies = {
        "find": experts.reply("/find-expert labour market", as_="alice"),
        "profile": experts.reply("/profile", as_="alice"),
        "domains": experts.reply("/domains", as_="alice"),
        "usage": experts.reply("/find-expert", as_="alice"),
    }
    assert replies["find"].ok and {e["handle"] for e in replies["find"].data["experts"]} == {
        "amina",
        "luca",
    }
    assert replies["usage"].data["error"]["code"] == "usage"
    for kind, result in replies.items():
        text = render(result)
        assert result.locale == language, kind
        for sentence in ENGLISH[kind]:
            if language == "en":
                assert sentence in text, (kind, sentence)
            else:
                assert sentence not in text, (language, kind, sentence, text)
        if language in SCRIPTS:
            assert SCRIPTS[language].search(text), (language, kind, text)


def test_language_names_and_domains_follow_the_language(experts: Bot) -> None:
    speaking(experts, "alice", "fr")
    text = render(experts.reply("/find-expert emploi country:IT lang:it", as_="alice"))
    assert "Italie" in text and "parlant italien" in text and "Marché du travail" in text
    profile = render(experts.reply("/profile", as_="amina"))
    assert "Morocco" in profile and "Arabic, French, English" in profile  # amina: English
    speaking(experts, "amina", "de")
    profile = render(experts.reply("/profile", as_="amina"))
    assert "Marokko" in profile and "Arabisch, Französisch, Englisch" in profile


def test_setting_the_language_says_what_changed_in_the_new_language(experts: Bot) -> None:
    changed = speaking(experts, "amina", "fr")
    text = render(changed)
    assert changed.locale == "fr"
    assert "Je vous écrirai en français." in text
    assert "Les langues que vous parlez sont inchangées : arabe, français, anglais." in text
    assert "Je vous écris en" in text  # /profile shows the choice
    assert "Marché du travail" in text  # the profile below, in the new language too
    assert changed.data["profile"]["language"] == "fr"
    assert changed.data["profile"]["languages"] == ["ar", "fr", "en"]  # spoken: unchanged
    back = speaking(experts, "amina", "English")
    assert back.locale == "en"
    assert (
        "I will write to you in English. The languages you speak are unchanged: Arabic, French, "
        "English." in render(back)
    )


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("fr", "fr"),
        ("FR", "fr"),
        ("fr-CA", "fr"),
        ("français", "fr"),
        ("Francais", "fr"),
        ("French", "fr"),
        ("Französisch", "fr"),
        ("español", "es"),
        ("Spanish", "es"),
        ("italiano", "it"),
        ("Deutsch", "de"),
        ("German", "de"),
        ("العربية", "ar"),
        ("Arabic", "ar"),
        ("Ελληνικά", "el"),
        ("Greek", "el"),
        ("inglés", "en"),
    ],
)
def test_language_takes_a_code_or_a_name_in_any_of_the_seven(
    bot: Bot, typed: str, code: str
) -> None:
    result = speaking(bot, "alice", typed)
    assert result.data["profile"]["language"] == code and result.locale == code


def test_language_dash_clears_the_choice(experts: Bot) -> None:
    speaking(experts, "luca", "it")
    cleared = speaking(experts, "luca", "-")
    assert cleared.data["profile"]["language"] is None and cleared.locale == "en"
    assert (
        "Your language choice is cleared: I will write to you in English, the language of your "
        "platform or of the community." in render(cleared)
    )
    assert "The languages you speak are unchanged: Italian, English." in render(cleared)


def test_languages_is_still_the_spoken_languages(experts: Bot) -> None:
    for key in ("languages", "langs"):
        result = experts.reply(f"/profile set {key}: es, de", as_="luca")
        assert result.ok and result.data["profile"]["languages"] == ["es", "de"]
        assert result.data["profile"]["language"] is None and result.locale == "en"
    both = experts.reply("/profile set language: es; languages: es, it", as_="luca")
    assert "Los idiomas que habla son ahora: español, italiano." in render(both)


def test_an_unknown_language_lists_the_seven_choices(experts: Bot) -> None:
    result = experts.reply("/profile set language: Klingon", as_="luca")
    assert result.status is not Status.OK and result.data["error"]["code"] == "usage"
    text = render(result)
    assert "Nothing was saved." in text and "'Klingon' is not a language I write in" in text
    assert all(choice in text for choice in CHOICES), text
    assert "fr (French · français)" in text and "`language: fr`" in text
    profile = experts.reply("/profile", as_="luca").data["profile"]
    assert profile["language"] is None and profile["languages"] == ["it", "en"]
    speaking(experts, "luca", "fr")
    french = render(experts.reply("/profile set language: klingon", as_="luca"))
    assert "n'est pas une langue dans laquelle j'écris" in french
    assert "fr (français)" in french and "de (allemand · Deutsch)" in french


TYPED = st.text(
    alphabet=st.characters(blacklist_characters=";\n\r\\", blacklist_categories=("Cs",)),
    max_size=40,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=TYPED)
def test_any_language_text_sets_one_of_seven_or_lists_them(bot: Bot, text: str) -> None:
    result = bot.reply(f"/profile set language: {text}", as_="fuzz")
    assert result.status is not Status.INTERNAL_ERROR, (text, result)
    if result.ok:
        chosen = result.data["profile"]["language"]
        assert chosen is None or chosen in i18n.LANGUAGES, (text, chosen)
    else:
        shown = render(result)
        assert all(choice in shown for choice in CHOICES), (text, shown)


def test_an_english_askers_question_reaches_a_french_expert_in_french(experts: Bot) -> None:
    speaking(experts, "amina", "fr")
    asked = experts.reply("/ask labour market: Who knows about work permits?", as_="alice")
    assert asked.ok and asked.locale == "en"
    assert "matching expert" in render(asked)
    notices = {n.to.handle: n for n in asked.notices}
    assert set(notices) == {"amina", "luca"}
    french, english = notices["amina"], notices["luca"]
    assert french.locale == "fr" and english.locale == "en"
    french_text = render(Reply(blocks=french.blocks))
    assert "pose une question à la communauté" in french_text
    assert "Who knows about work permits?" in french_text  # the question as asked
    assert "asks the community" in render(Reply(blocks=english.blocks))
    question = asked.data["question"]["id"]
    speaking(experts, "alice", "es")
    done = experts.reply(f"/answered {question}", as_="amina")
    assert done.ok and done.locale == "fr" and "marquée comme répondue" in render(done)
    (told,) = done.notices
    assert told.to.handle == "alice" and told.locale == "es"
    assert "ha marcado como respondida su pregunta" in render(Reply(blocks=told.blocks))
