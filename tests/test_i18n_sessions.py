"""Sessions in the member's language: replies, WHEN errors, reminders in each recipient's
language, RSVP and WHEN typed in any of the seven languages (issue 15)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from cop_bot.core.outbox import RecordingOutbox
from cop_bot.core.times import day_offset, parse_clock_time
from cop_bot.handlers.sessions.rsvp import answer_word
from cop_bot.render.text import render
from cop_bot.sessions.reminders import send_due_reminders
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import Member
from tests.conftest import NOW, Bot

LANGUAGES = ("en", "fr", "es", "it", "de", "ar", "el")
ENGLISH = (
    "Sessions in the next",
    "Times in",
    "Answer with",
    "Going",
    "Waiting list",
    "nobody yet",
    "I could not read",
    "Try ",
    "Duration",
)
SCRIPT = {"ar": re.compile(r"[\u0600-\u06ff]"), "el": re.compile(r"[\u0370-\u03ff]")}


def set_locale(bot: Bot, handle: str, language: str | None) -> None:
    """The member's own language, as a profile would store it (`Member.locale`)."""
    bot.reply("/help", as_=handle)  # the member exists once they have said something
    with session_scope(bot.app.engine) as session:
        member = session.exec(select(Member).where(Member.handle == handle)).one()
        member.locale = language
        session.add(member)


@pytest.fixture
def planned(bot: Bot) -> Bot:
    assert bot.reply("/role grant @fabia facilitator confirm", as_="root-admin").ok
    result = bot.reply('/schedule-session "Clinic" tomorrow 15:00 for 1h capacity 5', as_="fabia")
    assert result.ok
    return bot


def check(text: str, language: str) -> None:
    if language == "en":
        return
    found = [s for s in ENGLISH if s in text]
    assert not found, (found, text)
    if language in SCRIPT:
        assert SCRIPT[language].search(text), text


@pytest.mark.parametrize("language", LANGUAGES)
def test_sessions_session_and_when_errors_in_the_members_language(
    planned: Bot, language: str
) -> None:
    set_locale(planned, "fabia", language)
    listed = render(planned.reply("/sessions", as_="fabia"))
    shown = render(planned.reply("/session 1", as_="fabia"))
    wrong = render(planned.reply('/schedule-session "X" someday 15:00', as_="fabia"))
    if language == "en":
        assert "Sessions in the next 30 days" in listed and "Going (0)" in shown
        assert "I could not read 'someday 15:00'" in wrong
    for text in (listed, shown, wrong):
        check(text, language)


def test_a_reminder_job_writes_to_each_member_in_their_language(planned: Bot) -> None:
    set_locale(planned, "marie", "fr")
    set_locale(planned, "ahmed", "ar")
    assert planned.reply("/rsvp 1 oui", as_="marie").ok
    assert planned.reply("/rsvp 1 نعم", as_="ahmed").ok
    start = (NOW + timedelta(days=1)).replace(hour=15, minute=0)
    outbox = RecordingOutbox()
    send_due_reminders(planned.app.engine, outbox, start - timedelta(hours=24))
    by = {d.to.handle: render(d.reply) for d in outbox.directs}
    assert "Rappel" in by["marie"] and "Reminder" not in by["marie"]
    assert "تذكير" in by["ahmed"] and "Reminder" not in by["ahmed"]


@pytest.mark.parametrize("word", ["oui", "sí", "si", "sì", "ja", "JA", "نعم", "ναι", "yes"])
def test_rsvp_yes_in_every_language(planned: Bot, word: str) -> None:
    result = planned.reply(f"/rsvp 1 {word}", as_="nyc")
    assert result.ok and result.data["rsvp"]["answer"] == "yes"


@pytest.mark.parametrize(
    ("word", "answer"),
    [
        ("peut-être", "maybe"),
        ("peut-etre", "maybe"),
        ("quizás", "maybe"),
        ("ίσως", "maybe"),
        ("vielleicht", "maybe"),
        ("non", "no"),
        ("nein", "no"),
        ("όχι", "no"),
        ("لا", "no"),
    ],
)
def test_rsvp_maybe_and_no_words(word: str, answer: str) -> None:
    assert answer_word(word) == answer


def test_schedule_demain_is_tomorrow(bot: Bot) -> None:
    assert bot.reply("/role grant @fabia facilitator confirm", as_="root-admin").ok
    for phrase in ("demain 15:00", "mañana 15:00", "morgen um 15:00", "غدًا 15:00", "αύριο 15:00"):
        result = bot.reply(f'/schedule-session "Clinic" {phrase}', as_="fabia")
        assert result.ok, render(result)
        assert result.data["session"]["starts_at"] == "2026-11-24T15:00:00Z"


def test_weekdays_and_noon_in_other_languages(bot: Bot) -> None:
    """NOW is Monday 23 Nov 2026: `mardi prochain` is the 24th; `lundi prochain` the 30th."""
    assert bot.reply("/role grant @fabia facilitator confirm", as_="root-admin").ok
    for phrase, when in (
        ("mardi prochain 15:00", "2026-11-24T15:00:00Z"),
        ("lundi prochain midi", "2026-11-30T12:00:00Z"),
        ("el próximo martes a las 15:00", "2026-11-24T15:00:00Z"),
        ("nächsten Dienstag 15:00", "2026-11-24T15:00:00Z"),
        ("την επόμενη Τρίτη στις 15:00", "2026-11-24T15:00:00Z"),
        ("après-demain 10:00", "2026-11-25T10:00:00Z"),
    ):
        result = bot.reply(f'/schedule-session "Clinic" {phrase}', as_="fabia")
        assert result.ok, (phrase, render(result))
        assert result.data["session"]["starts_at"] == when, phrase


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_the_word_parsers_are_total(text: str) -> None:
    assert day_offset(text) in (None, 0, 1, 2)
    parse_clock_time(text)
    assert isinstance(answer_word(text), str)
