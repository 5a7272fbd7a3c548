"""Profiles, /find-expert, /ask and privacy, through the whole stack on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from cop_bot.core.clock import FixedClock
from cop_bot.core.model import Status
from cop_bot.core.router import Router
from cop_bot.handlers import build_registry
from cop_bot.platforms.console import ConsoleChat
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import Member, MemberDomain, Question, QuestionRecipient, RoleGrant
from tests.conftest import Bot

AMINA = "domains: labour market, legal aid; country: MA; city: Casablanca; languages: ar, fr, en; organisation: Fictional Casablanca Support; bio: Job-readiness programmes and work permits; expert: yes; asks: yes"
LUCA = "domains: employment; country: Italy; languages: it, en; organisation: Example City of Turin; bio: Skills recognition for refugees; expert: yes; asks: yes"
SOFIA = "domains: housing, mental health; country: ES; languages: es, fr; organisation: Sample Housing NGO; bio: Shelter and psychosocial support; expert: yes; asks: no"
QUIET = "domains: labour market; country: IT; languages: it; bio: Not ready to be listed"


@pytest.fixture
def community(bot: Bot) -> Bot:
    for handle, profile in (("amina", AMINA), ("luca", LUCA), ("sofia", SOFIA), ("quiet", QUIET)):
        result = bot.reply(f"/profile set {profile}", as_=handle)
        assert result.ok, result
    return bot


def handles(bot: Bot, query: str, as_: str = "alice") -> list[str]:
    result = bot.reply(f"/find-expert {query}", as_=as_)
    assert result.ok, result
    return [e["handle"] for e in result.data["experts"]]


def test_listing_is_opt_in_and_off_by_default(community: Bot) -> None:
    assert "quiet" not in handles(community, "labour market")
    assert not community.reply("/profile", as_="quiet").data["profile"]["expert"]
    community.send("/profile set expert: yes", as_="quiet")
    assert "quiet" in handles(community, "labour market")
    community.send("/profile set expert: no", as_="quiet")
    assert "quiet" not in handles(community, "labour market")


def test_you_are_left_out_of_your_own_results_and_told_so(community: Bot) -> None:
    assert "amina" in handles(community, "labour market", as_="alice")
    mine = community.reply("/find-expert labour market", as_="amina")
    assert [e["handle"] for e in mine.data["experts"]] == ["luca"]
    assert mine.data["total"] == 1 and mine.data["you_left_out"] is True
    assert "Your own profile matches too; it is left out of your results." in community.send(
        "/find-expert labour market", as_="amina"
    )
    alone = community.reply("/find-expert psychosocial", as_="sofia")  # only sofia matches
    assert alone.data["experts"] == [] and alone.data["you_left_out"] is True
    assert "No experts found" in community.send("/find-expert psychosocial", as_="sofia")
    other = community.reply("/find-expert psychosocial", as_="amina")
    assert other.data["you_left_out"] is False
    assert "Your own profile" not in community.send("/find-expert psychosocial", as_="amina")


@pytest.mark.parametrize(
    "query",
    ["labour-market", "labor markt", "employment", "marché du travail", "Arbeitsmarkt", "jobs"],
)
def test_typos_synonyms_and_languages_find_the_same_people(community: Bot, query: str) -> None:
    assert set(handles(community, query)) >= {"amina", "luca"}
    result = community.reply(f"/find-expert {query}")
    assert result.data["matched_domains"][0] == "labour-market"


def test_free_text_matches_bios_and_organisations(community: Bot) -> None:
    assert handles(community, "work permits")[0] == "amina"
    assert "luca" in handles(community, "skills recogniton")  # typo in the bio word
    assert handles(community, "psychosocial") == ["sofia"]


def test_filters_are_strict(community: Bot) -> None:
    assert handles(community, "labour market country:IT") == ["luca"]
    assert handles(community, "labour market country:Italy") == ["luca"]
    assert handles(community, "labour market lang:fr") == ["amina"]
    assert handles(community, "labour market lang:French") == ["amina"]
    assert handles(community, "labour market org:casablanca") == ["amina"]
    assert handles(community, "country:ES") == ["sofia"]
    bad = community.reply("/find-expert housing country:Atlantis")
    assert bad.status is Status.USER_ERROR
    assert "country" in community.send("/find-expert housing country:Atlantis")


def test_every_result_says_why_and_json_has_the_contract_shape(community: Bot) -> None:
    result = community.reply("/find-expert employment")
    assert set(result.data) == {"matched_domains", "experts", "total", "page", "you_left_out"}
    for expert in result.data["experts"]:
        assert set(expert) == {
            "handle",
            "name",
            "organisation",
            "country",
            "languages",
            "domains",
            "score",
            "why",
        }
        assert expert["why"]
    assert "Why: works on Labour market" in community.send("/find-expert employment")


def test_no_result_shows_closest_domains_and_suggests_ask(community: Bot) -> None:
    text = community.send("/find-expert trafficking")
    assert "No experts found" in text and "/ask trafficking" in text
    text = community.send("/find-expert qwertyuiop")
    assert "/ask qwertyuiop" in text
    assert community.reply("/find-expert").status is Status.USER_ERROR


def test_pagination(bot: Bot) -> None:
    for i in range(7):
        bot.send("/profile set domains: housing; expert: yes", as_=f"h{i}")
    page1 = bot.reply("/find-expert housing")
    assert page1.data["total"] == 7 and len(page1.data["experts"]) == 5
    assert "/find-expert housing page:2" in bot.send("/find-expert housing")
    page2 = bot.reply("/find-expert housing page:2")
    assert len(page2.data["experts"]) == 2 and page2.data["page"] == 2
    assert not {e["handle"] for e in page1.data["experts"]} & {
        e["handle"] for e in page2.data["experts"]
    }
    assert bot.reply("/find-expert housing page:3").status is Status.USER_ERROR
    assert bot.reply("/find-expert housing page:zero").status is Status.USER_ERROR


def test_equals_rotate_by_day_but_not_within_a_day(bot: Bot, clock: FixedClock) -> None:
    for i in range(8):
        bot.send("/profile set domains: housing; expert: yes", as_=f"h{i}")
    orders = []
    for _day in range(6):
        first = handles(bot, "housing")
        assert handles(bot, "housing") == first  # stable within the day
        orders.append(tuple(first))
        clock.advance(timedelta(days=1))
    assert len(set(orders)) > 1
    firsts = Counter(o[0] for o in orders)
    assert len(firsts) > 1  # the same person is not always on top


def test_contribution_breaks_ties(bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(4):
        bot.send("/profile set domains: housing; expert: yes", as_=f"h{i}")
    with session_scope(bot.app.engine) as session:
        top = session.exec(select(Member).where(Member.handle == "h2")).one().id
    monkeypatch.setattr(
        "cop_bot.experts.directory.repos.contribution_counts", lambda s, c: Counter({top: 5})
    )
    router = Router(
        bot.app.engine, build_registry(), bot.app.settings, bot.app.taxonomy, bot.app.clock
    )
    fresh = Bot(app=bot.app, chat=ConsoleChat(router, handle="alice"))
    assert handles(fresh, "housing")[0] == "h2"


def test_a_second_process_sees_profile_changes(community: Bot) -> None:
    other = Router(
        community.app.engine,
        build_registry(),
        community.app.settings,
        community.app.taxonomy,
        community.app.clock,
    )
    other_bot = Bot(app=community.app, chat=ConsoleChat(other, handle="x"))
    assert "luca" in handles(other_bot, "employment")
    community.send("/profile set country: FR", as_="luca")  # through the first router
    assert handles(other_bot, "employment country:FR") == ["luca"]
    community.send("/profile delete confirm", as_="luca")
    assert "luca" not in handles(other_bot, "employment")


def test_profile_set_reports_every_problem_and_saves_nothing(bot: Bot) -> None:
    bot.send("/profile set city: Turin", as_="zoe")
    result = bot.reply(
        "/profile set domains: housing, flibbertigibbet; country: Atlantis; timezone: Mars/Olympus; colour: blue; capacity: lots",
        as_="zoe",
    )
    assert result.status is Status.USER_ERROR
    text = bot.send(
        "/profile set domains: housing, flibbertigibbet; country: Atlantis; timezone: Mars/Olympus; colour: blue; capacity: lots",
        as_="zoe",
    )
    for expected in (
        "Nothing was saved",
        "flibbertigibbet",
        "Atlantis",
        "Mars/Olympus",
        "colour",
        "lots",
        "/profile set domains:",
    ):
        assert expected in text
    profile = bot.reply("/profile", as_="zoe").data["profile"]
    assert profile["city"] == "Turin" and profile["domains"] == [] and profile["country"] is None


def test_unmatched_domain_terms_come_with_suggestions(bot: Bot) -> None:
    text = bot.send("/profile set domains: housng, helth care, zzzz", as_="zoe")
    assert "zzzz" in text and "Nothing was saved" in text
    ok = bot.reply("/profile set domains: housng, helth", as_="zoe")
    assert ok.ok and ok.data["profile"]["domains"] == ["health", "housing"]


def test_expert_needs_a_domain_and_values_can_be_cleared(bot: Bot) -> None:
    assert "at least one domain" in bot.send("/profile set expert: yes", as_="zoe")
    assert bot.reply(
        "/profile set domains: housing; city: Lyon; languages: fr; expert: oui", as_="zoe"
    ).ok
    assert bot.reply("/profile set city: -; languages: -", as_="zoe").ok
    profile = bot.reply("/profile", as_="zoe").data["profile"]
    assert profile["city"] is None and profile["languages"] == [] and profile["expert"] is True


def test_other_members_see_only_published_profiles(community: Bot) -> None:
    public = community.reply("/profile @amina").data["profile"]
    assert public["organisation"] == "Fictional Casablanca Support"
    assert "capacity" not in public and "timezone" not in public
    hidden = community.reply("/profile quiet").data["profile"]
    assert hidden == {"handle": "quiet", "name": None, "expert": False}
    assert "Not ready" not in community.send("/profile quiet")
    assert community.reply("/profile nobody-here").status is Status.USER_ERROR


def test_export_is_complete_and_private(community: Bot) -> None:
    community.send("/role grant amina curator", as_="root-admin")
    community.send("/ask housing: Where can families stay?", as_="amina")
    result = community.reply("/profile export", as_="amina")
    assert result.visibility == "dm"
    export = result.data["export"]
    assert export["profile"]["bio"] == "Job-readiness programmes and work permits"
    assert export["profile"]["domains"] == ["labour-market", "legal-aid"]
    assert export["profile"]["languages"] == ["ar", "fr", "en"]
    assert [r["role"] for r in export["roles"]] == ["curator"]
    assert export["questions"]["asked"][0]["text"] == "Where can families stay?"
    assert json.loads(json.dumps(export)) == export
    (file,) = result.attachments  # the export travels as a file, whole
    assert json.loads(file.content) == export


def test_erasure_removes_the_member_everywhere(community: Bot) -> None:
    community.send("/role grant amina facilitator", as_="root-admin")
    community.send("/ask labour market: How do you recognise foreign diplomas?", as_="luca")
    community.send("/ask housing: Any shelters in Casablanca?", as_="amina")
    prompt = community.reply("/profile delete", as_="amina")
    assert prompt.ok and "cannot be undone" in community.send("/profile delete", as_="amina")
    assert "amina" in handles(community, "labour market")  # nothing happened yet
    assert community.reply("/profile delete confirm", as_="amina").ok
    with session_scope(community.app.engine) as session:
        assert session.exec(select(Member).where(Member.handle == "amina")).first() is None
        assert session.exec(select(RoleGrant)).all() == []
        assert [q.text for q in session.exec(select(Question)).all()] == [
            "How do you recognise foreign diplomas?"
        ]
        notified = {r.member_id for r in session.exec(select(QuestionRecipient)).all()}
        ids = {m.id for m in session.exec(select(Member)).all()}
        assert notified <= ids
        assert all(d.member_id in ids for d in session.exec(select(MemberDomain)).all())
    assert "amina" not in handles(community, "labour market")
    asked = community.reply("/ask labour market: Who knows work permits?", as_="luca")
    assert "amina" not in [n.to.handle for n in asked.notices]


def test_ask_notifies_up_to_three_matching_experts_never_the_asker(bot: Bot) -> None:
    for i in range(5):
        bot.send("/profile set domains: housing; expert: yes; asks: yes", as_=f"h{i}")
    bot.send("/profile set domains: housing; expert: yes; asks: no", as_="busy")
    result = bot.reply("/ask housing: How do you find landlords?", as_="h0")
    assert result.ok and result.visibility == "channel"
    told = [n.to.handle for n in result.notices]
    assert len(told) == 3 and "h0" not in told and "busy" not in told
    assert result.data["question"]["notified"] == 3
    second = [n.to.handle for n in bot.reply("/ask housing: And deposits?", as_="h0").notices]
    assert set(second) & {"h1", "h2", "h3", "h4"} and not set(second) & set(told) - {
        "h1",
        "h2",
        "h3",
        "h4",
    }
    assert set(told) | set(second) == {"h1", "h2", "h3", "h4"}  # round robin reaches everyone
    text = bot.send("/ask housing: Third one?", as_="alice")
    assert "✉ to @" in text and "How do you find" not in text


def test_monthly_capacity_is_respected_and_resets(bot: Bot, clock: FixedClock) -> None:
    bot.send("/profile set domains: housing; expert: yes; asks: yes; capacity: 1", as_="solo")
    assert [n.to.handle for n in bot.reply("/ask housing: one?", as_="alice").notices] == ["solo"]
    assert bot.reply("/ask housing: two?", as_="alice").notices == ()
    clock.advance(timedelta(days=31))
    assert [n.to.handle for n in bot.reply("/ask housing: three?", as_="alice").notices] == ["solo"]


def test_questions_stay_open_until_answered(community: Bot) -> None:
    qid = community.reply("/ask housing: Where can families stay?", as_="alice").data["question"][
        "id"
    ]
    assert [q["id"] for q in community.reply("/questions").data["questions"]] == [qid]
    assert community.reply(f"/answered {qid}", as_="nobody").status is Status.USER_ERROR
    done = community.reply(f"/answered {qid}", as_="sofia")
    assert done.ok and [n.to.handle for n in done.notices] == ["alice"]
    assert community.reply("/questions").data["questions"] == []
    assert community.reply(f"/answered {qid}", as_="alice").status is Status.USER_ERROR
    assert [
        q["status"] for q in community.reply("/questions mine", as_="alice").data["questions"]
    ] == ["answered"]
    assert community.reply("/answered 999").status is Status.USER_ERROR
    assert community.reply("/answered").status is Status.USER_ERROR
    assert community.reply("/ask housing:").status is Status.USER_ERROR


def test_questions_do_not_leak_between_communities(community: Bot) -> None:
    qid = community.reply("/ask housing: Where?", as_="alice").data["question"]["id"]
    other = ConsoleChat(community.app.router, handle="alice")
    from cop_bot.core.model import Actor, Conversation, Invocation

    result = community.app.router.dispatch(
        Invocation("answered", str(qid), Actor("alice"), Conversation("console", "elsewhere", "c"))
    )
    assert result.status is Status.USER_ERROR
    assert other.invoke("/questions") is not None


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=200))
def test_profile_set_never_crashes(bot: Bot, text: str) -> None:
    result = bot.reply(f"/profile set {text}", as_="fuzz")
    assert result.status is not Status.INTERNAL_ERROR, (text, result)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=120))
def test_find_expert_and_ask_never_crash(bot: Bot, text: str) -> None:
    for command in ("find-expert", "ask", "profile", "questions", "answered"):
        result = bot.reply(f"/{command} {text}", as_="fuzz")
        assert result.status is not Status.INTERNAL_ERROR, (command, text, result)


MEMBER = st.fixed_dictionaries(
    {
        "country": st.sampled_from([None, "IT", "FR", "DE"]),
        "languages": st.lists(st.sampled_from(["en", "fr", "it", "ar"]), max_size=3),
        "organisation": st.sampled_from([None, "UNHCR", "City of Turin", "Caritas Roma"]),
        "bio": st.sampled_from([None, "housing lawyer", "teacher of languages", "city housing"]),
        "domains": st.sets(st.sampled_from(["housing", "education", "health"]), max_size=2),
    }
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    members=st.lists(MEMBER, min_size=1, max_size=25),
    removed=st.sets(st.integers(1, 25), max_size=5),
    query=st.sampled_from(["", "housing", "education lawyer", "teacher", "health city"]),
    country=st.sampled_from([None, "IT", "FR", "ES"]),
    language=st.sampled_from([None, "en", "fr", "ar", "zh"]),
    organisation=st.sampled_from([None, "unhcr", "turin", "nobody"]),
)
def test_filters_narrow_the_unfiltered_ranking_exactly(
    members: list[dict[str, object]],
    removed: set[int],
    query: str,
    country: str | None,
    language: str | None,
    organisation: str | None,
) -> None:
    """Filtering early (by set intersection, before scoring) gives what filtering the full
    ranking by `Filters.admit` would: the same members, scores and order, also after members
    left or changed their profile."""
    from datetime import date
    from types import SimpleNamespace

    from cop_bot.core.taxonomy import load_taxonomy
    from cop_bot.experts.directory import DirectoryIndex, Filters

    taxonomy = load_taxonomy()
    index = DirectoryIndex()

    def add(member_id: int, profile: dict[str, object]) -> None:
        values = {k: v for k, v in profile.items() if k != "domains"}
        member = SimpleNamespace(
            id=member_id,
            handle=f"m{member_id}",
            display_name=None,
            platform_user_id=None,
            accepts_asks=True,
            **values,
        )
        index._add(member, set(profile["domains"]))  # type: ignore[call-overload]

    for i, member in enumerate(members, start=1):
        add(i, member)
    for i in removed:
        index._remove(i)
    if 1 in index.experts:  # a changed profile: removed, then added with new values
        index._remove(1)
        add(1, members[-1])
    index.vocabulary = sorted(index.by_token)
    filters = Filters(country=country, language=language, organisation=organisation)
    candidates = taxonomy.match(query).matches if query else ()

    def ranking(f: Filters) -> tuple[int, list[tuple[int, float]]]:
        total, hits = index.search(
            query, candidates, f, taxonomy=taxonomy, today=date(2026, 11, 23), limit=100
        )
        return total, [(h.expert.member_id, h.score) for h in hits]

    _, everyone = ranking(Filters())
    expected = [(m, v) for m, v in everyone if filters.admit(index.experts[m])]
    assert ranking(filters) == (len(expected), expected)


def test_a_generic_word_finds_by_text_and_names_the_closest_domain(community: Bot) -> None:
    """`/find-expert refugees`: no domain is guessed, the bios that say it are found, and the
    reply says which domain would narrow the search."""
    result = community.reply("/find-expert refugees")
    assert result.data["matched_domains"] == []
    assert "luca" in handles(community, "refugees")
    assert "Closest domains: International protection (international-protection)." in (
        community.send("/find-expert refugees")
    )
