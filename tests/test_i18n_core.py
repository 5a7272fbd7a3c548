"""The i18n core: which language a command is written in, and Babel's dates, numbers, lists and
weekdays in each language."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cop_bot.core import i18n
from cop_bot.core.members import locale_for
from cop_bot.core.times import parse_weekday, show_date, show_datetime, show_period
from cop_bot.storage.models import Community, Member

PARIS = ZoneInfo("Europe/Paris")
AT = datetime(2027, 1, 12, 14, 0, tzinfo=UTC)  # a Tuesday, 15:00 in Paris


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("en", "Tue 12 Jan 2027, 15:00 CET"),
        ("fr", "mardi 12 janvier 2027, 15:00 CET"),
        ("de", "Dienstag, 12. Januar 2027, 15:00 CET"),
        ("es", "martes, 12 de enero de 2027, 15:00 CET"),
        ("it", "martedì 12 gennaio 2027, 15:00 CET"),
        ("el", "Τρίτη 12 Ιανουαρίου 2027, 15:00 CET"),
        ("ar", "الثلاثاء، 12 يناير 2027, 15:00 CET"),
    ],
)
def test_dates_and_times_are_written_for_the_language(language: str, shown: str) -> None:
    with i18n.using(language):
        assert show_datetime(AT, PARIS) == shown


def test_the_zones_name_follows_the_time_and_a_period_reads_in_the_language() -> None:
    with i18n.using("fr"):
        assert show_datetime(AT, PARIS, named=True).endswith("15:00 CET (Europe/Paris)")
        assert show_period(AT, datetime(2027, 1, 18, tzinfo=UTC), PARIS) == (
            "12 janv. – 18 janv. 2027"
        )
    with i18n.using("de"):
        assert show_date(AT, PARIS) == "Dienstag, 12. Januar 2027"
    assert show_period(AT, datetime(2027, 1, 18, tzinfo=UTC), PARIS) == "12 Jan – 18 Jan 2027"


def test_summer_time_is_shown_as_such_in_every_language() -> None:
    july = datetime(2027, 7, 13, 13, 0, tzinfo=UTC)
    for language in i18n.LANGUAGES:
        with i18n.using(language):
            assert show_datetime(july, PARIS).endswith("15:00 CEST")


def test_numbers_and_lists_follow_the_language() -> None:
    with i18n.using("fr"):
        assert i18n.number(1234) == "1\u202f234"
        assert i18n.join(["Marie", "Ahmed", "Sofia"]) == "Marie, Ahmed et Sofia"
    with i18n.using("de"):
        assert i18n.number(1234) == "1.234"
        assert i18n.join(["Marie", "Ahmed"], style="or") == "Marie oder Ahmed"
    assert i18n.number(1234) == "1,234"
    assert i18n.join(["Marie", "Ahmed", "Sofia"]) == "Marie, Ahmed and Sofia"
    assert i18n.join([]) == ""


def test_the_active_language_is_restored_after_a_block() -> None:
    assert i18n.active() == "en"
    with i18n.using("ar"):
        assert i18n.active() == "ar" and i18n.is_rtl()
        with i18n.using("ja"):  # not one of the seven: English
            assert i18n.active() == "en"
        assert i18n.active() == "ar"
    assert i18n.active() == "en" and not i18n.is_rtl()


@pytest.mark.parametrize(
    ("code", "language"),
    [("fr", "fr"), ("es-ES", "es"), ("es_ES", "es"), ("AR-eg", "ar"), ("ja-JP", None), ("", None)],
)
def test_platform_locales_map_to_the_seven(code: str, language: str | None) -> None:
    assert i18n.supported(code) == language


def test_the_members_choice_then_the_platforms_then_the_communitys() -> None:
    community = Community(platform="console", external_id="x", name="x", language="it")
    chose = Member(community_id=1, handle="a", locale="de")
    unset = Member(community_id=1, handle="b")
    assert locale_for(chose, "es-ES", community) == "de"
    assert locale_for(unset, "es-ES", community) == "es"
    assert locale_for(unset, "ja-JP", community) == "it"
    community.language = "xx"
    assert locale_for(unset, None, community) == "en"


@pytest.mark.parametrize(
    ("word", "day"),
    [
        ("monday", 0),
        ("lundi", 0),
        ("Mittwoch", 2),
        ("miércoles", 2),
        ("miercoles", 2),
        ("giovedì", 3),
        ("Τρίτη", 1),
        ("τριτη", 1),
        ("الاثنين", 0),
        ("اثنين", 0),
        ("dimanche", 6),
        ("Sa.", 5),
    ],
)
def test_weekdays_are_understood_in_the_seven_languages(word: str, day: int) -> None:
    assert parse_weekday(word) == day


@given(st.text())
def test_any_weekday_word_gives_a_day_or_none(text: str) -> None:
    assert parse_weekday(text) in {None, *range(7)}


def test_a_catalogue_is_read_only_when_its_language_is_used() -> None:
    i18n._catalogues.pop("el", None)
    with i18n.using("fr"):
        i18n._("Usage:")
    assert "el" not in i18n._catalogues
    with i18n.using("el"):
        assert i18n._("Usage:") == "Σύνταξη:"
    assert "el" in i18n._catalogues


def test_what_a_member_typed_is_quoted_as_the_language_quotes() -> None:
    from cop_bot.core.wording import echo

    assert echo("housing") == "“housing”"
    with i18n.using("de"):
        assert echo("Wohnen") == "„Wohnen“"
    with i18n.using("fr"):
        assert echo("logement") == "«\u00a0logement\u00a0»"
