"""Issue 15 for help, admin, digests and the shared core messages: `/help`, `/settings`, the
argument errors and the digests speak the member's (or the channel's) language."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from cop_bot.core import i18n
from cop_bot.core.clock import FixedClock
from cop_bot.core.model import Reply
from cop_bot.core.outbox import RecordingOutbox
from cop_bot.digests.jobs import language_of, post_due_digests
from cop_bot.experts.questions import DEFAULT_ASKS_PER_DAY, MAX_ASKS_PER_DAY
from cop_bot.handlers import build_registry
from cop_bot.render.text import render
from cop_bot.storage.db import session_scope
from cop_bot.storage.failures import MEMBER_MESSAGES
from cop_bot.storage.models import Community, DigestSubscription, Member
from tests.conftest import NOW, Bot

LANGUAGES = i18n.LANGUAGES
ARABIC = re.compile(r"[\u0600-\u06ff]")
GREEK = re.compile(r"[\u0370-\u03ff]")

HELP = ("what I can do", "Getting started", "List the commands you can use", "full syntax of")
HELP_DIGEST = ("The channel's weekly digest", "TIME is read as", "DAY is a weekday", "Usage:")
UNKNOWN_KEY = ("There is no option", "The options are")
SETTINGS = ("Community settings", "Time zone", "Review of new practices", "Questions a member")
DIGEST = ("Weekly digest", "Community pulse", "members:", "sessions held")


def speak(bot: Bot, language: str) -> None:
    """The community's language, set by an admin as members would."""
    result = bot.reply(f"/settings language: {language}", as_="root-admin")
    assert result.ok, render(result)


def check(result: Reply, language: str, english: tuple[str, ...]) -> str:
    """The reply is written in `language`: none of the English sentences unless it is English,
    and Arabic or Greek letters where they should be."""
    text = render(result)
    assert result.locale == language, (result.locale, text)
    for sentence in english:
        if language == "en":
            assert sentence in text, (sentence, text)
        else:
            assert sentence not in text, (language, sentence, text)
    if language == "ar":
        assert ARABIC.search(text), text
    if language == "el":
        assert GREEK.search(text), text
    return text


@pytest.mark.parametrize("language", LANGUAGES)
def test_help_in_every_language(bot: Bot, language: str) -> None:
    speak(bot, language)
    check(bot.reply("/help"), language, HELP)
    check(bot.reply("/help digest"), language, HELP_DIGEST)


@pytest.mark.parametrize("language", LANGUAGES)
def test_unknown_key_in_every_language(bot: Bot, language: str) -> None:
    speak(bot, language)
    result = bot.reply("/find-expert housing colour:red")
    assert not result.ok
    check(result, language, UNKNOWN_KEY)


@pytest.mark.parametrize("language", LANGUAGES)
def test_settings_in_every_language(bot: Bot, language: str) -> None:
    """`/settings language:` answers in the new language (the admin chose none of their own)."""
    result = bot.reply(f"/settings language: {language}", as_="root-admin")
    check(result, language, ("Community settings updated", *SETTINGS[1:]))
    check(bot.reply("/settings"), language, SETTINGS)


@pytest.mark.parametrize("language", LANGUAGES)
def test_digest_preview_in_every_language(bot: Bot, language: str) -> None:
    speak(bot, language)
    assert bot.reply("/digest on monday 09:00", as_="root-admin").ok
    check(bot.reply("/digest preview"), language, DIGEST)
    check(bot.reply("/digest status"), language, ("Schedule", "Skip empty"))


def test_settings_language_keeps_the_members_own_language(bot: Bot) -> None:
    bot.reply("/help", as_="root-admin")
    with session_scope(bot.app.engine) as session:
        admin = session.exec(select(Member).where(Member.handle == "root-admin")).one()
        admin.locale = "de"
        session.add(admin)
    result = bot.reply("/settings language: fr", as_="root-admin")
    assert result.locale == "de"
    assert "Einstellungen der Community aktualisiert" in render(result)
    assert result.data["settings"]["language"] == "fr"
    assert result.ok


def test_help_follows_the_members_own_language(bot: Bot) -> None:
    bot.reply("/help")
    with session_scope(bot.app.engine) as session:
        alice = session.exec(select(Member).where(Member.handle == "alice")).one()
        alice.locale = "el"
        session.add(alice)
    text = check(bot.reply("/help"), "el", HELP)
    assert "Εβδομαδιαίες συνόψεις" in text  # a capability heading
    only = render(bot.reply("/help role"))
    assert "Επιμελητές" not in only  # /role is open to members: no role line
    denied = bot.reply("/settings review: off")
    assert "Μόνο οι διαχειριστές μπορούν να αλλάξουν τις ρυθμίσεις της κοινότητας." in render(
        denied
    )


@pytest.mark.parametrize(
    ("typed", "weekday", "time"),
    [
        ("/digest on lundi 09:00", "monday", "09:00"),
        ("/digest on Mittwoch 9am", "wednesday", "09:00"),
        ("/digest on miércoles 15h30", "wednesday", "15:30"),
        ("/digest on Παρασκευή 10:00", "friday", "10:00"),
    ],
)
def test_digest_weekdays_in_other_languages(bot: Bot, typed: str, weekday: str, time: str) -> None:
    result = bot.reply(typed, as_="root-admin")
    assert result.ok, render(result)
    assert (result.data["digest"]["weekday"], result.data["digest"]["time"]) == (weekday, time)


def test_digest_schedule_is_written_in_the_language(bot: Bot) -> None:
    speak(bot, "fr")
    text = render(bot.reply("/digest on Mittwoch 9am", as_="root-admin"))
    assert "Ce canal reçoit un résumé chaque mercredi 09:00" in text


def test_a_channel_in_german_gets_a_german_digest(bot: Bot, clock: FixedClock) -> None:
    """The subscription's `language: de` wins over the community's English, for the preview
    and for the digest the job posts."""
    assert bot.reply("/digest on monday 09:00 tz Europe/Rome", as_="root-admin").ok
    assert bot.reply("/digest settings language: de", as_="root-admin").ok
    shared = bot.reply(
        "/share-practice Skills passport; summary: A practice worth sharing with peers; "
        "domains: housing; country: IT",
        as_="root-admin",
    )
    assert shared.ok, render(shared)
    preview = bot.reply("/digest preview")
    text = render(preview)
    assert preview.locale == "de"
    assert "Wochenüberblick" in text and "Puls der Community" in text
    assert "Weekly digest" not in text
    assert "what I can do" in render(bot.reply("/help"))  # the member still reads English

    clock.advance(timedelta(days=7))
    outbox = RecordingOutbox()
    report = post_due_digests(bot.app.engine, outbox, bot.app.taxonomy, clock.now())
    assert len(report.sent) == 1, report
    posted = outbox.posted[0].reply
    assert posted.locale == "de"
    assert "Puls der Community" in render(posted) and "Community pulse" not in render(posted)


def test_settings_details_state_the_current_limits() -> None:
    """`/settings` details are one translated sentence, so they repeat the limits: keep them."""
    spec = build_registry().get("settings")
    assert spec is not None
    assert f"1 to {MAX_ASKS_PER_DAY} (default {DEFAULT_ASKS_PER_DAY})" in spec.details


@pytest.mark.parametrize("language", LANGUAGES)
def test_translated_examples_still_work(bot: Bot, language: str) -> None:
    """`/help digest` shows examples with their values in the member's language (`lundi`,
    `Arbeitsmarkt, Wohnen`): each one, typed as shown, does what it says."""
    with i18n.using(language):
        spec = build_registry().get("digest")
        assert spec is not None
        examples = [i18n._(example) for example in spec.examples]
        hint = i18n._("Add some with `/profile set domains: housing, health`.")
    profile = hint.split("`")[1]  # the hint `/digest me on` gives a member without domains
    assert bot.reply(profile, as_="root-admin").ok, profile
    made = bot.reply('/group create "Housing working group"', as_="root-admin")  # for group:
    assert made.ok, render(made)
    for example in examples:
        result = bot.reply(example, as_="root-admin")
        assert result.ok, (example, render(result))
        if "domains:" in example:
            assert result.data["digest"]["domains"] == ["labour-market", "housing"]
        if example.startswith("/digest on"):
            expected = "friday" if "group:" in example else "monday"
            assert result.data["digest"]["weekday"] == expected


def test_handle_and_database_messages_are_translated(bot: Bot) -> None:
    speak(bot, "fr")
    text = render(bot.reply("/role grant @room admin", as_="root-admin"))
    assert "@room désigne tout le salon, pas un seul membre." in text
    assert "Désignez le membre ainsi : @amina.haddad." in text
    with i18n.using("es"):
        for trouble, message in MEMBER_MESSAGES.items():
            assert i18n._(message) != message, trouble
            assert "Lo sentimos" in i18n._(message)


def test_a_personal_digest_is_in_the_members_language(bot: Bot) -> None:
    """A member's own language wins for their personal digest; a channel's subscription
    language, then the community's, for a channel."""
    member = Member(community_id=1, handle="x", locale="it", created_at=NOW)
    channel = DigestSubscription(community_id=1, channel_id="C1", language="de")
    plain = DigestSubscription(community_id=1, channel_id="C2")
    community = Community(platform="console", external_id="x", name="N", language="el")
    assert language_of(plain, community, member) == "it"
    assert language_of(channel, community, None) == "de"
    assert language_of(plain, community, None) == "el"
    member.locale = None
    assert language_of(channel, community, member) == "de"
