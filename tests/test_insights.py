"""`/insights`: counts only (never names), who may see them, the period parser, activity."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cop_bot.core.clock import FixedClock
from cop_bot.core.errors import UsageError
from cop_bot.insights.counts import MAX_DAYS, parse_period, people_gaps, spoken
from tests.conftest import NOW, Bot

ADMIN = "root-admin"


def _community(bot: Bot, clock: FixedClock) -> None:
    bot.send("/profile set domains: housing; expert: yes; asks: yes", as_="zebedee-expert")
    bot.send("/profile set domains: housing; expert: yes; asks: yes", as_="quentin-expert")
    first = bot.reply("/ask housing: Where can families stay?", as_="marguerite-asker")
    bot.reply("/ask health: Who runs trauma support?", as_="marguerite-asker")
    bot.reply("/ask housing: Any deposits schemes?", as_="bartholomew-asker")
    clock.set(NOW + timedelta(days=2))
    bot.send(f"/answered {first.data['question']['id']}", as_="zebedee-expert")
    clock.set(NOW + timedelta(days=10))


def test_counts_and_never_names(bot: Bot, clock: FixedClock) -> None:
    _community(bot, clock)
    result = bot.reply("/insights", as_=ADMIN)
    assert result.ok
    data = result.data["insights"]
    assert data["asked"] == 3 and data["answered"] == 1
    assert data["answered_within_7_days"] == pytest.approx(1 / 3, abs=0.001)
    assert data["median_hours_to_first_answer"] == 48.0
    assert data["open_by_age"] == {"under_7_days": 0, "7_to_30_days": 2, "over_30_days": 0}
    assert data["coverage_gaps"] == ["health"]
    assert data["experts"] == 2
    assert sum(n["members"] for n in data["weekly_active"]) >= 4
    shown = bot.send("/insights", as_=ADMIN) + json.dumps(data)
    for name in ("zebedee", "quentin", "marguerite", "bartholomew"):
        assert name not in shown


def test_the_coverage_table_counts_questions_and_experts_per_domain(
    bot: Bot, clock: FixedClock
) -> None:
    _community(bot, clock)
    bot.send("/profile set domains: education; expert: yes; asks: yes", as_="yolanda-expert")
    # an expert who does not accept asks is not counted
    bot.send("/profile set domains: education; expert: yes", as_="xavier-expert")
    data = bot.reply("/insights", as_=ADMIN).data["insights"]
    # domains asked about in the period only (education has an expert but no question)
    assert data["coverage"] == [
        {"domain": "health", "questions": 1, "experts": 0},
        {"domain": "housing", "questions": 2, "experts": 2},
    ]
    # a gap: fewer than 2 experts who accept asks
    assert data["coverage_gaps"] == [c["domain"] for c in data["coverage"] if c["experts"] < 2]
    assert data["coverage_gaps"] == ["health"]
    bot.send("/group create Schools kind: working-group domains: education", as_=ADMIN)
    schools = bot.reply("/insights group:schools", as_=ADMIN).data["insights"]
    # a group's own domains are listed even when nobody asked about them
    assert schools["coverage"] == [{"domain": "education", "questions": 0, "experts": 1}]
    assert schools["asked"] == 0 and schools["coverage_gaps"] == ["education"]
    shown = json.dumps(data["coverage"]) + json.dumps(schools["coverage"])
    assert not any(name in shown for name in ("zebedee", "quentin", "yolanda", "marguerite"))


def test_only_admins_curators_and_focal_points(bot: Bot, clock: FixedClock) -> None:
    _community(bot, clock)
    refused = bot.reply("/insights", as_="marguerite-asker")
    assert not refused.ok
    bot.send("/profile", as_="cura")
    bot.send("/role grant @cura curator confirm", as_=ADMIN)
    assert bot.reply("/insights", as_="cura").ok
    bot.send("/group create Housing working group kind: working-group domains: housing", as_=ADMIN)
    bot.send("/profile", as_="fp")
    focal = bot.reply("/group focal housing-working-group @fp", as_=ADMIN)
    assert focal.ok, focal.data
    assert not bot.reply("/insights", as_="fp").ok  # a focal point sees their group only
    mine = bot.reply("/insights group:housing-working-group period:90d", as_="fp")
    assert mine.ok and mine.data["insights"]["asked"] == 2
    assert mine.data["insights"]["period_days"] == 90
    bad = bot.reply("/insights period:forever", as_=ADMIN)
    assert not bad.ok and "period:90d" in bad.data["error"]["message"]


def test_activity_is_counted_once_a_week(bot: Bot, clock: FixedClock) -> None:
    for _ in range(3):
        bot.send("/help", as_="repeat")
    data = bot.reply("/insights", as_=ADMIN).data["insights"]
    assert data["weekly_active"][-1]["members"] == 2  # repeat and the admin


@given(st.integers(min_value=1, max_value=MAX_DAYS))
def test_period_in_days_round_trips(days: int) -> None:
    assert parse_period(f"{days}d") == days


@given(st.text(max_size=12))
def test_period_never_crashes(text: str) -> None:
    try:
        days = parse_period(text)
    except UsageError:
        return
    assert 0 < days <= MAX_DAYS


def test_named_periods() -> None:
    assert (parse_period(None), parse_period("90d"), parse_period("1y")) == (30, 90, 365)


def _people(bot: Bot, clock: FixedClock) -> None:
    """Two housing experts who take questions (en and fr in Italy, it in Italy), one who takes
    none (ar, in Eritrea: not counted); askers in the period speaking ar and ti in Eritrea, fr
    by the language they read the bot in (no languages listed) in France, ar in Italy; an
    asker of 40 days ago (el, Greece) outside the period; one approved practice, for housing."""
    clock.set(NOW - timedelta(days=40))
    bot.send("/profile set languages: el; country: GR", as_="old-asker")
    assert bot.reply("/ask education: Any school mediators?", as_="old-asker").ok
    clock.set(NOW)
    bot.send(
        "/profile set domains: housing; languages: en, fr; country: IT; expert: yes; asks: yes",
        as_="zebedee-expert",
    )
    bot.send(
        "/profile set domains: housing; languages: it; country: IT; expert: yes; asks: yes",
        as_="quentin-expert",
    )
    bot.send(
        "/profile set domains: health; languages: ar; country: ER; expert: yes; asks: no",
        as_="ottoline-expert",
    )
    bot.send("/profile set languages: ar, ti; country: ER", as_="marguerite-asker")
    bot.send("/profile set language: fr; country: FR", as_="bartholomew-asker")
    bot.send("/profile set languages: ar; country: IT", as_="fatima-asker")
    for text, who in (
        ("housing: Where can families stay?", "marguerite-asker"),
        ("health: Who runs trauma support?", "marguerite-asker"),
        ("housing: Any deposit schemes?", "bartholomew-asker"),
        ("labour market: Who helps with CVs?", "fatima-asker"),
    ):
        assert bot.reply(f"/ask {text}", as_=who).ok
    shared = bot.reply(
        "/share-practice Tenant desk; summary: A desk that mediates with landlords; "
        "domains: housing; country: IT",
        as_=ADMIN,
    )
    assert shared.ok, shared
    clock.set(NOW + timedelta(days=1))


def test_languages_and_countries_without_an_expert_and_domains_without_a_practice(
    bot: Bot, clock: FixedClock
) -> None:
    _people(bot, clock)
    data = bot.reply("/insights", as_=ADMIN).data["insights"]
    # marguerite asked twice and counts once; fr is covered by zebedee; el asked long ago
    assert data["language_gaps"] == [
        {"language": "ar", "askers": 2},
        {"language": "ti", "askers": 1},
    ]
    assert data["country_gaps"] == [
        {"country": "ER", "askers": 1},
        {"country": "FR", "askers": 1},
    ]
    assert "housing" not in data["no_practice"] and "health" in data["no_practice"]
    assert len(data["no_practice"]) == 21  # the taxonomy's 22 domains, less housing
    shown = bot.send("/insights", as_=ADMIN)
    assert "Arabic (2), Tigrinya (1)" in shown
    assert "Eritrea (1), France (1)" in shown
    assert "and 13 more" in shown  # 21 domains: 8 named, then how many more
    for name in ("zebedee", "quentin", "ottoline", "marguerite", "bartholomew", "fatima"):
        assert name not in shown and name not in json.dumps(data)
    # a group of housing and health: its askers only (marguerite, bartholomew), its domains
    bot.send("/group create Shelter kind: working-group domains: housing, health", as_=ADMIN)
    group = bot.reply("/insights group:shelter", as_=ADMIN).data["insights"]
    assert group["language_gaps"] == [
        {"language": "ar", "askers": 1},
        {"language": "ti", "askers": 1},
    ]
    assert group["country_gaps"] == [
        {"country": "ER", "askers": 1},
        {"country": "FR", "askers": 1},
    ]
    assert group["no_practice"] == ["health"]
    # an expert for Eritrea who speaks ar and ti closes both gaps
    bot.send(
        "/profile set domains: health; languages: ar, ti; country: ER; expert: yes; asks: yes",
        as_="yolanda-expert",
    )
    after = bot.reply("/insights", as_=ADMIN).data["insights"]
    assert after["language_gaps"] == [] and after["country_gaps"] == [
        {"country": "FR", "askers": 1}
    ]
    bot.send("/profile set language: fr", as_=ADMIN)
    in_french = bot.send("/insights", as_=ADMIN)
    assert "France (1)" in in_french and "Domaines sans pratique approuvée" in in_french


_PROFILE = st.tuples(
    st.sets(st.sampled_from(("ar", "fr", "ti", "en", "uk"))),
    st.none() | st.sampled_from(("IT", "ER", "FR")),
    st.integers(min_value=1, max_value=50),
)


@given(st.lists(_PROFILE, max_size=8), st.lists(_PROFILE, max_size=4))
def test_a_gap_is_every_askers_language_or_country_no_expert_has(
    askers: list[tuple[set[str], str | None, int]],
    experts: list[tuple[set[str], str | None, int]],
) -> None:
    languages, countries = people_gaps(askers, experts)
    spoken_by = {code for codes, _c, _n in experts for code in codes}
    lived_in = {country for _l, country, _n in experts if country}
    assert {g.language: g.askers for g in languages} == {
        code: sum(n for codes, _c, n in askers if code in codes)
        for code in {c for codes, _c, _n in askers for c in codes} - spoken_by
    }
    assert {g.country: g.askers for g in countries} == {
        country: sum(n for _l, c, n in askers if c == country)
        for country in {c for _l, c, _n in askers if c} - lived_in
    }
    assert languages == sorted(languages, key=lambda g: (-g.askers, g.language))
    assert countries == sorted(countries, key=lambda g: (-g.askers, g.country))


def test_an_askers_languages_are_their_profiles_else_the_bots() -> None:
    assert spoken(["AR", "ti"], "fr") == {"ar", "ti"}
    assert spoken([], "pt-BR") == {"pt"} and spoken([], "de_DE") == {"de"}
    assert spoken([], None) == set()
