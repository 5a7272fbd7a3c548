"""The shared repertoire through the whole stack, on SQLite and on the local PostgreSQL:
sharing, curation, search, endorsements, privacy, import/export and hostile text."""

from __future__ import annotations

import csv
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from cop_bot.capabilities import privacy_sections
from cop_bot.cli import main
from cop_bot.config import ENV_NAMES
from cop_bot.core.clock import FixedClock
from cop_bot.core.model import Actions, Actor, Conversation, Invocation, Reply, Status
from cop_bot.core.privacy import erase_member, export_member
from cop_bot.practices.queries import PG_INT_MAX, practice_number
from cop_bot.render import matrix, slack
from cop_bot.render.text import render
from cop_bot.storage import repos
from cop_bot.storage.db import alembic_config, current_revision, head_revision, session_scope
from cop_bot.storage.models import Community, Practice, PracticeEndorsement, PracticeRevision
from tests.conftest import Bot
from tests.test_render import assert_matrix_safe, assert_slack_safe, slack_texts

ADMIN = "root-admin"


def share(
    bot: Bot,
    title: str,
    *,
    summary: str | None = None,
    domains: str = "housing",
    as_: str = ADMIN,
    **fields: str,
) -> int:
    parts = [
        title,
        f"summary: {summary or 'A practice about ' + title.lower() + ' for newcomers.'}",
        f"domains: {domains}",
        *(f"{key.replace('_', '-')}: {value}" for key, value in fields.items()),
    ]
    result = bot.reply("/share-practice " + "; ".join(parts), as_=as_)
    assert result.ok, render(result)
    pid = result.data["practice"]["id"]
    assert isinstance(pid, int)
    return pid


def practices_in_db(bot: Bot) -> list[Practice]:
    with session_scope(bot.app.engine) as session:
        return list(session.exec(select(Practice).order_by(Practice.id)).all())  # type: ignore[arg-type]


def community_id(bot: Bot) -> int:
    with session_scope(bot.app.engine) as session:
        community = session.exec(select(Community).where(Community.external_id == "local")).one()
        assert community.id is not None
        return community.id


def search_ids(bot: Bot, query: str, as_: str = "alice") -> list[int]:
    result = bot.reply(f"/practices {query}", as_=as_)
    assert result.ok, render(result)
    return [p["id"] for p in result.data["practices"]]


def buttons(result: Reply) -> list[str]:
    return [
        b.command for block in result.blocks if isinstance(block, Actions) for b in block.buttons
    ]


# ---- sharing -----------------------------------------------------------------------------------


def test_missing_fields_store_nothing_and_show_a_filled_in_template(bot: Bot) -> None:
    result = bot.reply("/share-practice Welcome desks; domains: housing; country: Italy")
    assert result.status is Status.USER_ERROR
    error = result.data["error"]
    assert error["code"] == "invalid"
    assert any("summary is missing" in p for p in error["problems"])
    template = error["template"]
    assert template.startswith("/share-practice Welcome desks\n")
    assert "domains: housing" in template and "country: Italy" in template
    assert "summary: Two or three sentences" in template
    text = bot.send("/share-practice Welcome desks; domains: housing; country: Italy")
    assert "Copy this, complete it and send it again:" in text and template in text
    assert practices_in_db(bot) == []
    # The template sent back unchanged is refused; completed, it is accepted.
    assert bot.reply(template).status is Status.USER_ERROR
    assert "Replace the example text" in bot.send(template)
    filled = template.replace(
        "Two or three sentences: what it is, for whom, and what it achieved",
        "One desk where newcomers register and book every other service.",
    )
    assert bot.reply(filled).ok
    stored = practices_in_db(bot)
    assert [(p.title, p.country, p.kind, p.link) for p in stored] == [
        ("Welcome desks", "IT", "practice", None)
    ]


def test_an_empty_share_explains_what_is_needed(bot: Bot) -> None:
    result = bot.reply("/share-practice")
    assert result.status is Status.USER_ERROR
    assert "title, a summary and its domains" in bot.send("/share-practice")
    assert result.data["error"]["template"].startswith("/share-practice ")


def test_every_problem_is_listed_at_once(bot: Bot) -> None:
    result = bot.reply(
        "/share-practice "
        + "; ".join(
            [
                "T" * 201,
                "summary: short",
                "domains: housng, qwertyuiop",
                "kind: recipe",
                "country: Atlantis",
                "link: javascript:alert(1)",
                "contcat: me",
                "tags: " + ", ".join(f"t{i}" for i in range(11)),
            ]
        )
    )
    assert result.status is Status.USER_ERROR
    problems = "\n".join(result.data["error"]["problems"])
    assert "Title can hold at most 200 characters; this has 201." in problems
    assert "summary needs at least 20 characters" in problems
    assert "'qwertyuiop' is not a domain" in problems and "housng" not in problems
    assert "'recipe' is not a kind" in problems
    assert "'Atlantis' is not a country" in problems
    assert "'javascript:alert(1)' is not a web link" in problems
    assert "There is no field `contcat:`. Did you mean `contact:`?" in problems
    assert "at most 10 tags" in problems
    assert len(result.data["error"]["problems"]) == 8
    assert practices_in_db(bot) == []


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://example.org/x",
        "https://",
        "example.org/guide",
        'https://example.org/a"onmouseover="x',
        "https://example.org/<!channel>",
    ],
)
def test_only_http_links_are_accepted(bot: Bot, link: str) -> None:
    result = bot.reply(
        f"/share-practice Guide; summary: A guide for newcomers' first week.; domains: housing; link: {link}",
        as_=ADMIN,
    )
    assert result.status is Status.USER_ERROR, link
    assert practices_in_db(bot) == []


def test_titles_with_a_colon_and_multi_line_forms(bot: Bot) -> None:
    result = bot.reply(
        "/share-practice Welcome desks: a one-stop shop\n"
        "summary: One desk where newcomers register,\n"
        "ask about housing and book every other service.\n"
        "domains: housing, social protection\n"
        "Key factors: a shared booking calendar\n"
        "link: https://example.org/desk?a=1\\;b=2",
        as_=ADMIN,
    )
    assert result.ok, render(result)
    [practice] = practices_in_db(bot)
    assert practice.title == "Welcome desks: a one-stop shop"
    assert practice.summary == (
        "One desk where newcomers register,\nask about housing and book every other service."
    )
    assert practice.domains == ["housing", "social-protection"]
    assert practice.key_factors == "a shared booking calendar"
    assert practice.link == "https://example.org/desk?a=1;b=2"


def test_a_member_s_practice_waits_for_a_curator_who_approves_it(bot: Bot) -> None:
    result = bot.reply(
        "/share-practice Repair cafés; summary: Volunteers fix bikes and phones with newcomers.; "
        "domains: neighbourhood participation; country: NL; link: https://example.org/repair"
    )
    assert result.ok and result.visibility == "ephemeral"
    assert result.data == {
        "practice": {
            "id": 1,
            "status": "pending",
            "title": "Repair cafés",
            "kind": "practice",
            "domains": ["neighbourhood-participation"],
            "country": "NL",
            "link": "https://example.org/repair",
        }
    }
    assert "waiting for a curator's review" in render(result)
    assert search_ids(bot, "repair", as_="bob") == []
    assert bot.reply("/practice 1", as_="bob").status is Status.USER_ERROR
    assert "There is no practice #1" in bot.send("/practice 1", as_="bob")
    assert bot.reply("/practice 1").ok  # the author sees their own
    denied = bot.reply("/practices pending")
    assert denied.data["error"]["code"] == "permission"
    bot.send("/role grant carla curator confirm", as_=ADMIN)
    pending = bot.reply("/practices pending", as_="carla")
    assert [p["id"] for p in pending.data["practices"]] == [1]
    assert pending.data["total"] == 1 and pending.data["practices"][0]["status"] == "pending"
    assert {"/practice approve 1", "/practice reject 1"} <= set(buttons(pending))
    assert bot.reply("/practice approve 1", as_="bob").data["error"]["code"] == "permission"
    approved = bot.reply("/practice approve 1", as_="carla")
    assert approved.ok and approved.data["practice"]["status"] == "approved"
    [notice] = approved.notices
    assert notice.to.handle == "alice"
    assert "was approved by @carla" in render(Reply(blocks=notice.blocks))
    assert search_ids(bot, "repair", as_="bob") == [1]
    assert bot.reply("/practices pending", as_="carla").data["total"] == 0
    [stored] = practices_in_db(bot)
    assert stored.review_by is not None and stored.approved_at is not None
    assert stored.review_by - stored.approved_at == timedelta(days=365)


def test_a_rejection_needs_a_reason_reaches_the_author_and_an_edit_resubmits(bot: Bot) -> None:
    pid = share(bot, "Repair cafés", as_="alice")
    no_reason = bot.reply(f"/practice reject {pid}", as_=ADMIN)
    assert no_reason.status is Status.USER_ERROR
    assert "Say why" in bot.send(f"/practice reject {pid}", as_=ADMIN)
    rejected = bot.reply(f"/practice reject {pid} Please add results and a link", as_=ADMIN)
    assert rejected.ok and rejected.data["practice"]["status"] == "rejected"
    [notice] = rejected.notices
    assert notice.to.handle == "alice"
    assert "Please add results and a link" in render(Reply(blocks=notice.blocks))
    assert "already rejected" in bot.send(f"/practice reject {pid} again please", as_=ADMIN)
    assert "rejected (Please add results and a link)" in bot.send(f"/practice {pid}")
    edited = bot.reply(
        f"/practice edit {pid} results: 40 bikes a month; link: https://example.org/r"
    )
    assert edited.ok and edited.data["practice"]["status"] == "pending"
    assert "back in the queue" in render(edited)


def test_a_curator_s_practice_is_approved_and_announced_in_the_channel(bot: Bot) -> None:
    result = bot.reply(
        "/share-practice Repair cafés; summary: Volunteers fix bikes and phones with newcomers.; "
        "domains: neighbourhood participation",
        as_=ADMIN,
    )
    assert result.ok and result.visibility == "channel"
    assert result.data["practice"]["status"] == "approved"
    assert "New in the shared repertoire" in render(result)
    assert "/endorse 1" in buttons(result)


def test_curators_may_share_on_a_member_s_behalf(bot: Bot) -> None:
    result = bot.reply(
        "/share-practice Repair cafés; summary: Volunteers fix bikes and phones with newcomers.; "
        "domains: housing; author: @Dana",
        as_=ADMIN,
    )
    assert result.ok and result.data["practice"]["status"] == "approved"
    [notice] = result.notices
    assert notice.to.handle == "dana"
    assert "on your behalf" in render(Reply(blocks=notice.blocks))
    assert bot.reply("/practices mine", as_="dana").data["total"] == 1
    member = bot.reply(
        "/share-practice Repair cafés 2; summary: Volunteers fix bikes and phones with newcomers.; "
        "domains: housing; author: @dana"
    )
    assert member.status is Status.USER_ERROR
    assert "Only curators and admins can share on someone's behalf" in render(member)
    failed = bot.reply("/share-practice Half done; domains: housing; author: @newbie", as_=ADMIN)
    assert (
        failed.status is Status.USER_ERROR and "author: @newbie" in failed.data["error"]["template"]
    )
    with session_scope(bot.app.engine) as session:
        assert repos.find_member(session, community_id(bot), "newbie") is None


def test_with_review_off_practices_are_approved_at_once(bot: Bot) -> None:
    assert bot.reply("/settings review: off", as_=ADMIN).data["settings"]["review"] is False
    assert "Review of new practices: off" in bot.send("/settings")
    result = bot.reply(
        "/share-practice Repair cafés; summary: Volunteers fix bikes and phones with newcomers.; "
        "domains: housing"
    )
    assert result.data["practice"]["status"] == "approved" and result.visibility == "channel"
    assert bot.reply("/settings review: maybe", as_=ADMIN).status is Status.USER_ERROR
    assert bot.reply("/settings review: on").data["error"]["code"] == "permission"
    assert bot.reply("/settings review: on", as_=ADMIN).data["settings"]["review"] is True
    assert share(bot, "Second one", as_="alice") == 2
    assert practices_in_db(bot)[1].status == "pending"


# ---- personal data -----------------------------------------------------------------------------


def test_personal_data_is_flagged_and_the_author_confirms(bot: Bot) -> None:
    result = bot.reply(
        "/share-practice Case follow-up; summary: We call families back, e.g. Maria on "
        "+39 06 1234 5678 or maria.rossi@example.org, passport X1234567.; domains: housing; "
        "contact: desk@example.org"
    )
    assert result.ok and result.data["practice"]["status"] == "needs-confirmation"
    text = render(result)
    assert "an e-mail address in the summary" in text
    assert "a phone number in the summary" in text
    assert "a case, file or passport number in the summary" in text
    assert "contact" not in text  # an organisation's address in `contact:` is expected
    assert "/share-practice confirm 1" in buttons(result)
    assert bot.reply("/practices pending", as_=ADMIN).data["total"] == 0
    assert bot.reply("/share-practice confirm 1", as_="bob").status is Status.USER_ERROR
    confirmed = bot.reply("/share-practice confirm 1")
    assert confirmed.ok and confirmed.data["practice"]["status"] == "pending"
    again = bot.reply("/share-practice confirm 1")
    assert again.status is Status.USER_ERROR and "does not wait" in render(again)


def test_editing_out_the_personal_data_releases_the_practice(bot: Bot) -> None:
    bot.reply(
        "/share-practice Case follow-up; summary: Call Maria on 0612345678 for details.; "
        "domains: housing"
    )
    still = bot.reply("/practice edit 1 city: Lyon")
    assert still.ok and still.data["practice"]["status"] == "needs-confirmation"
    assert "may hold personal data" in render(still)
    fixed = bot.reply("/practice edit 1 summary: Call the desk to follow up each family.")
    assert fixed.ok and fixed.data["practice"]["status"] == "pending"
    # An edit that adds personal data to an approved practice takes it out of search.
    pid = share(bot, "Winter shelters", as_=ADMIN)
    assert search_ids(bot, "winter") == [pid]
    flagged = bot.reply(f"/practice edit {pid} examples: ask case no. 2023/145", as_=ADMIN)
    assert flagged.data["practice"]["status"] == "needs-confirmation"
    assert search_ids(bot, "winter") == []


# ---- editing and history -----------------------------------------------------------------------


def test_edits_by_the_author_or_a_curator_are_kept_in_the_history(bot: Bot) -> None:
    pid = share(bot, "Repair cafés", as_=ADMIN, city="Rotterdam")
    bot.send("/role grant carla curator confirm", as_=ADMIN)
    denied = bot.reply(f"/practice edit {pid} city: Utrecht")
    assert denied.data["error"]["code"] == "permission"
    assert bot.reply(f"/practice edit {pid} city: Utrecht; tags: bikes, repair", as_="carla").ok
    cleared = bot.reply(f"/practice edit {pid} city: -", as_=ADMIN)
    assert cleared.data["changes"] == {"city": ["Utrecht", None]}
    kind = bot.reply(f"/practice edit {pid} kind: toolkit", as_=ADMIN)
    assert kind.data["changes"] == {"kind": ["practice", "toolkit"]}
    reset = bot.reply(f"/practice edit {pid} kind: -", as_=ADMIN)  # back to the default
    assert reset.data["changes"] == {"kind": ["toolkit", "practice"]}
    required = bot.reply(f"/practice edit {pid} title:", as_=ADMIN)
    assert required.status is Status.USER_ERROR and "title cannot be empty" in render(required)
    same = bot.reply(f"/practice edit {pid} tags: bikes, repair", as_=ADMIN)
    assert same.status is Status.USER_ERROR and "Nothing changed" in render(same)
    assert bot.reply(f"/practice edit {pid}", as_=ADMIN).status is Status.USER_ERROR
    assert bot.reply(f"/practice edit {pid} colour: red", as_=ADMIN).status is Status.USER_ERROR
    history = bot.reply(f"/practice history {pid}")
    rows = history.data["history"]
    assert [r["editor"] for r in rows] == [ADMIN, ADMIN, ADMIN, "carla", ADMIN]
    assert rows[2]["changes"] == {"city": ["Utrecht", None]}
    assert rows[3]["changes"] == {
        "city": ["Rotterdam", "Utrecht"],
        "tags": [[], ["bikes", "repair"]],
    }
    assert rows[4]["changes"] == {"status": [None, "approved"]}
    text = render(history)
    assert "city: Rotterdam → Utrecht" in text and "@carla" in text
    with session_scope(bot.app.engine) as session:
        carla = repos.find_member(session, community_id(bot), "carla")
        assert carla is not None
        erase_member(session, carla, privacy_sections())
    rows = bot.reply(f"/practice history {pid}").data["history"]
    assert [r["editor"] for r in rows] == [ADMIN, ADMIN, ADMIN, None, ADMIN]
    assert "a former member" in bot.send(f"/practice history {pid}")


def test_editing_an_unknown_field_lists_the_valid_fields(bot: Bot) -> None:
    pid = share(bot, "Repair cafés", as_=ADMIN)
    result = bot.reply(f"/practice edit {pid} colour: red", as_=ADMIN)
    assert result.status is Status.USER_ERROR
    text = render(result)
    assert "There is no field `colour:`." in text
    assert "The fields are `title:`, `summary:`, `domains:`, `kind:`" in text
    assert "`licence:`." in text


def test_history_shows_dates_not_iso_stamps_in_the_readers_zone(bot: Bot) -> None:
    pid = share(bot, "Tenant mediation desk", as_="alice")  # pending: alice is no curator
    assert bot.reply(f"/practice approve {pid}", as_=ADMIN).ok
    bot.send("/profile set timezone: Europe/Rome", as_="alice")
    text = render(bot.reply(f"/practice history {pid}", as_="alice"))
    assert "review by: (empty) → Tue 23 Nov 2027" in text
    assert "Mon 23 Nov 2026, 10:00 CET" in text  # 09:00 UTC, read in alice's zone
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text), text


def test_show_has_the_benchmark_fields_author_and_endorsements(bot: Bot) -> None:
    pid = share(
        bot,
        "Guardianship volunteers",
        domains="child protection",
        standard="Every child has a guardian within 30 days.",
        key_factors="Training, supervision",
        rationale="Children with a trusted adult stay in school.",
        guide_questions="How long does it take today?",
        examples="Palermo 2024",
        results="90% within 30 days",
        language="Italian",
        country="IT",
        city="Palermo",
        contact="desk@example.org",
        licence="CC BY 4.0",
    )
    bot.reply(f"/endorse {pid}")
    result = bot.reply(f"/practice {pid}", as_="bob")
    text = render(result)
    for expected in (
        "Standard\nEvery child has a guardian within 30 days.",
        "Key factors\nTraining, supervision",
        "Rationale\n",
        "Guide questions\n",
        "Examples\nPalermo 2024",
        "Results\n90% within 30 days",
        "Where: Palermo, Italy",
        "Language: Italian",
        "Shared by @root-admin",
        "1 endorsement",
        "review by Tue 23 Nov 2027",
    ):
        assert expected in text, expected
    data = result.data["practice"]
    assert data["author"] == ADMIN and data["endorsements"] == 1
    assert data["key_factors"] == "Training, supervision" and data["language"] == "it"
    assert data["endorsed_by_you"] is False
    assert f"/endorse {pid}" in buttons(result)
    assert f"/endorse {pid} undo" in buttons(bot.reply(f"/practice {pid}"))


def test_practice_ids_are_checked(bot: Bot) -> None:
    for text in (
        "/practice abc",
        "/practice 99999999999",
        "/practice -1",
        "/endorse 0",
        "/practice ١٢",
    ):
        result = bot.reply(text)
        assert result.status is Status.USER_ERROR, text
    assert "There is no practice #7" in bot.send("/practice 7")
    assert bot.reply("/practice 7 extra").status is Status.USER_ERROR
    assert bot.reply("/practice approve", as_=ADMIN).status is Status.USER_ERROR


# ---- search ------------------------------------------------------------------------------------


def test_search_forgives_typos_and_reads_domains_in_any_language(bot: Bot) -> None:
    housing = share(bot, "Housing first for families", summary="Families move straight into flats.")
    jobs = share(
        bot,
        "Job-readiness workshops",
        domains="labour market",
        summary="Six workshops on CVs and interviews.",
    )
    share(bot, "School buddies", domains="education", summary="Pupils help newcomers settle in.")
    assert search_ids(bot, "housing") == [housing]
    assert search_ids(bot, "hosuing") == [housing]
    assert search_ids(bot, "worskhops") == [jobs]
    assert search_ids(bot, "employment") == [jobs]  # a synonym of the labour-market domain
    assert search_ids(bot, "marché du travail") == [jobs]
    assert search_ids(bot, "labor markt") == [jobs]
    assert search_ids(bot, "interview") == [jobs]  # a word of the summary
    assert search_ids(bot, "nterviews") == [jobs]  # even with the first letter missing
    assert search_ids(bot, "intrevuew") == [jobs]  # two slips in a long word
    assert "read as the domain Labour market" in bot.send("/practices employment")
    assert search_ids(bot, "housing rome") == [housing]  # falls back to some words
    assert "No practice holds every word" in bot.send("/practices housing rome")
    nothing = bot.reply("/practices qwertyuiop")
    assert nothing.ok and nothing.data == {"practices": [], "total": 0, "page": 1}
    assert "No approved practice matches “qwertyuiop”" in render(nothing)


def test_filters_are_strict(bot: Bot) -> None:
    it = share(bot, "Language cafés", domains="language learning", country="IT")
    fr = share(bot, "Language tandems", domains="language learning", country="France")
    kit = share(
        bot,
        "Language toolkit",
        domains="language learning, education",
        kind="toolkit",
        country="IT",
    )
    assert sorted(search_ids(bot, "language")) == [it, fr, kit]
    assert sorted(search_ids(bot, "language country:IT")) == [it, kit]
    assert search_ids(bot, "language country:italy kind:toolkit") == [kit]
    assert search_ids(bot, "domain:education") == [kit]
    assert search_ids(bot, "country:fr") == [fr]
    assert search_ids(bot, "language domain:housing") == []
    for bad in ("country:XX", "kind:recipe", "domain:qwertyuiop", "page:0", "page:x"):
        result = bot.reply(f"/practices language {bad}")
        assert result.status is Status.USER_ERROR, bad
        assert "Example:" in render(result)


def test_results_rank_by_relevance_then_endorsements_then_recency(
    bot: Bot, clock: FixedClock
) -> None:
    title = share(bot, "Bicycle repair workshops", domains="neighbourhood participation")
    clock.advance(timedelta(days=1))
    older = share(bot, "Repair cafés", summary="Volunteers fix bicycles and phones with newcomers.")
    clock.advance(timedelta(days=1))
    newer = share(
        bot, "Community garden", summary="Gardeners lend bicycles to newcomers on weekends."
    )
    clock.advance(timedelta(days=1))
    unendorsed = share(bot, "Tool library", summary="Tools and bicycles to borrow for a week.")
    for pid in (older, newer):
        for who in ("alice", "bob"):
            assert bot.reply(f"/endorse {pid}", as_=who).ok
    assert search_ids(bot, "bicycle") == [title, newer, older, unendorsed]
    assert search_ids(bot, "bicyle") == [title, newer, older, unendorsed]
    # With no words, the most endorsed first, then the newest.
    assert search_ids(bot, "") == [newer, older, unendorsed, title]


def test_five_per_page_with_the_total_and_the_next_page(bot: Bot) -> None:
    ids = [share(bot, f"Mentoring circle {n}", domains="labour market") for n in range(12)]
    first = bot.reply("/practices mentoring country:IT", as_="alice")
    assert first.data["total"] == 0
    page1 = bot.reply("/practices mentoring")
    assert page1.data["total"] == 12 and page1.data["page"] == 1
    assert len(page1.data["practices"]) == 5
    assert "/practices mentoring page:2" in render(page1)
    page3 = bot.reply("/practices mentoring page:3")
    assert len(page3.data["practices"]) == 2 and "next page" not in render(page3)
    seen = [
        p["id"]
        for n in (1, 2, 3)
        for p in bot.reply(f"/practices mentoring page:{n}").data["practices"]
    ]
    assert sorted(seen) == ids
    past = bot.reply("/practices mentoring page:4")
    assert past.ok and past.data == {"practices": [], "total": 12, "page": 4}
    assert "past the end" in render(past)
    item = page1.data["practices"][0]
    assert set(item) == {"id", "title", "kind", "domains", "country", "endorsements", "link"}
    assert set(page1.data) == {"practices", "total", "page"}


def test_the_index_follows_every_change(bot: Bot) -> None:
    pid = share(bot, "Repair cafés")
    other = share(bot, "Bike kitchen")
    assert search_ids(bot, "tandem") == []
    bot.reply(f"/practice edit {pid} title: Tandem repair cafés", as_=ADMIN)
    assert search_ids(bot, "tandem") == [pid]
    assert search_ids(bot, "kitchen") == [other]
    bot.reply(f"/practice reject {other} Duplicate of #{pid}", as_=ADMIN)
    assert search_ids(bot, "kitchen") == []
    bot.reply(f"/practice approve {other}", as_=ADMIN)
    assert search_ids(bot, "kitchen") == [other]
    bot.reply(f"/practice edit {pid} domains: education", as_=ADMIN)
    assert search_ids(bot, "domain:housing") == [other]
    assert search_ids(bot, "domain:education") == [pid]
    # A second router (another process) sees the same changes through the version counter.
    from cop_bot.core.router import Router

    fresh = Router(
        bot.app.engine, bot.app.router.registry, bot.app.settings, bot.app.taxonomy, bot.app.clock
    )
    inv = Invocation("practices", "tandem", Actor("zoe"), Conversation("console", "local", "c"))
    assert [p["id"] for p in fresh.dispatch(inv).data["practices"]] == [pid]
    bot.reply(f"/practice edit {pid} title: Repair cafés", as_=ADMIN)
    assert fresh.dispatch(inv).data["total"] == 0


def test_communities_never_see_each_other_s_practices(bot: Bot) -> None:
    pid = share(bot, "Repair cafés")
    router = bot.app.router
    other = Conversation("console", "elsewhere", "c")
    found = router.dispatch(Invocation("practices", "repair", Actor("zoe"), other))
    assert found.data["total"] == 0
    shown = router.dispatch(Invocation("practice", str(pid), Actor("zoe"), other))
    assert shown.status is Status.USER_ERROR
    endorse = router.dispatch(Invocation("endorse", str(pid), Actor("zoe"), other))
    assert endorse.status is Status.USER_ERROR


# ---- endorsements ------------------------------------------------------------------------------


def test_one_endorsement_per_member_and_undo(bot: Bot) -> None:
    pid = share(bot, "Repair cafés")
    first = bot.reply(f"/endorse {pid}")
    assert first.ok and first.data == {"practice": {"id": pid, "endorsements": 1, "endorsed": True}}
    twice = bot.reply(f"/endorse {pid}")
    assert twice.status is Status.USER_ERROR and f"/endorse {pid} undo" in render(twice)
    assert bot.reply(f"/endorse {pid}", as_="bob").data["practice"]["endorsements"] == 2
    assert bot.reply("/practices repair").data["practices"][0]["endorsements"] == 2
    assert "2 endorsements" in bot.send(f"/practice {pid}")
    undone = bot.reply(f"/endorse {pid} undo")
    assert undone.data == {"practice": {"id": pid, "endorsements": 1, "endorsed": False}}
    assert bot.reply(f"/endorse {pid} undo").status is Status.USER_ERROR
    own = bot.reply(f"/endorse {pid}", as_=ADMIN)
    assert own.status is Status.USER_ERROR and "You shared this practice" in render(own)
    pending = share(bot, "Still pending", as_="carol")
    assert bot.reply(f"/endorse {pending}", as_=ADMIN).status is Status.USER_ERROR
    assert bot.reply(f"/endorse {pid} please").status is Status.USER_ERROR
    with session_scope(bot.app.engine) as session:
        rows = session.exec(select(PracticeEndorsement)).all()
        assert len(rows) == 1


def test_counts_for_domains_and_contributions(bot: Bot) -> None:
    one = share(bot, "Repair cafés", as_="alice")
    share(bot, "Language cafés", domains="language learning, housing")
    bot.reply(f"/practice approve {one}", as_=ADMIN)
    share(bot, "Waiting", as_="alice")  # pending: counts nowhere
    bot.reply(f"/endorse {one}", as_="bob")
    bot.reply(f"/endorse {one}", as_="carol")
    rows = {r["slug"]: r["practices"] for r in bot.reply("/domains").data["domains"]}
    assert rows["housing"] == 2 and rows["language-learning"] == 1 and rows["health"] == 0
    with session_scope(bot.app.engine) as session:
        cid = community_id(bot)
        alice = repos.find_member(session, cid, "alice")
        admin = repos.find_member(session, cid, ADMIN)
        assert alice is not None and admin is not None
        counts = repos.contribution_counts(session, cid)
        assert counts[alice.id] == 3  # one practice + two endorsements received
        assert counts[admin.id] == 1


# ---- curation over time ------------------------------------------------------------------------


def test_stale_practices_are_listed_and_approving_renews_them(bot: Bot, clock: FixedClock) -> None:
    old = share(bot, "Old practice")
    clock.advance(timedelta(days=200))
    recent = share(bot, "Recent practice")
    assert bot.reply("/practices stale").data["total"] == 0
    clock.advance(timedelta(days=200))
    stale = bot.reply("/practices stale")
    assert [p["id"] for p in stale.data["practices"]] == [old]
    assert "review was due" in render(stale)
    assert f"/practice approve {old}" in buttons(bot.reply("/practices stale", as_=ADMIN))
    assert f"/practice approve {old}" not in buttons(stale)  # alice is no curator
    renewed = bot.reply(f"/practice approve {old}", as_=ADMIN)
    assert renewed.ok and "still current" in render(renewed) and not renewed.notices
    assert bot.reply("/practices stale").data["total"] == 0
    clock.advance(timedelta(days=200))
    assert [p["id"] for p in bot.reply("/practices stale").data["practices"]] == [recent]
    assert recent != old


def test_mine_lists_every_status(bot: Bot) -> None:
    assert "not shared a practice yet" in bot.send("/practices mine")
    share(bot, "One", as_="alice")
    bot.reply(
        "/share-practice Two; summary: Write to ann@example.org for the details.; domains: housing"
    )
    mine = bot.reply("/practices mine")
    assert [p["status"] for p in mine.data["practices"]] == ["needs-confirmation", "pending"]
    assert bot.reply("/practices mine housing").ok  # a search for the words "mine housing"
    assert bot.reply("/practices pending country:IT", as_=ADMIN).status is Status.USER_ERROR


# ---- privacy -----------------------------------------------------------------------------------


def test_erasure_keeps_practices_and_counts_but_forgets_the_person(bot: Bot) -> None:
    bot.reply("/settings review: off", as_=ADMIN)
    mine = share(bot, "Repair cafés", as_="alice")
    theirs = share(bot, "Language cafés", as_="bob")
    bot.reply(f"/endorse {theirs}", as_="alice")
    bot.reply(f"/endorse {mine}", as_="bob")
    cid = community_id(bot)
    with session_scope(bot.app.engine) as session:
        alice = repos.find_member(session, cid, "alice")
        assert alice is not None
        exported = export_member(session, alice, privacy_sections())["practices"]
        assert [p["title"] for p in exported["authored"]] == ["Repair cafés"]
        assert [e["practice_id"] for e in exported["endorsed"]] == [theirs]
        assert [e["practice_id"] for e in exported["edits"]] == [mine]  # sharing it
        json.dumps(exported, default=str)
        erase_member(session, alice, privacy_sections())
    shown = bot.reply(f"/practice {mine}", as_="bob")
    assert shown.data["practice"]["author"] is None
    assert "Shared by a former member" in render(shown)
    assert bot.reply(f"/practice {theirs}", as_="bob").data["practice"]["endorsements"] == 1
    assert search_ids(bot, "repair", as_="bob") == [mine]
    with session_scope(bot.app.engine) as session:
        rows = session.exec(
            select(PracticeEndorsement).where(PracticeEndorsement.practice_id == theirs)
        ).all()
        assert [r.member_id for r in rows] == [None]
        revisions = session.exec(
            select(PracticeRevision).where(PracticeRevision.practice_id == mine)
        ).all()
        assert all(r.editor_id is None for r in revisions)


# ---- hostile text ------------------------------------------------------------------------------

HOSTILE_TITLES = [
    "<!channel> hello",
    "@room everyone look",
    "<script>alert(1)</script>",
    "**bold** and _it_",
    "[link](javascript:alert(1))",
]


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_user_text_stays_text_on_every_platform(bot: Bot, title: str) -> None:
    pid = share(
        bot,
        title,
        summary=f"{title} — a summary that repeats the title.",
        tags="<!here>, @channel",
        link="https://example.org/guide?a=1&b=2",
    )
    word = "hello" if "hello" in title else ("room" if "room" in title else "")
    replies = [
        bot.reply(f"/practice {pid}", as_="bob"),
        bot.reply(f"/practices {word}", as_="bob"),
        bot.reply(f"/practice history {pid}", as_="bob"),
        bot.reply(f"/endorse {pid}", as_="bob"),
    ]
    for result in replies:
        assert result.ok
        assert title in render(result)  # plain text shows it as typed
        message = slack.render_message(result)
        assert_slack_safe(message)
        mrkdwn = "\n".join(t for kind, t in slack_texts(message["blocks"]) if kind == "mrkdwn")
        assert "<!channel>" not in mrkdwn and "<!here>" not in mrkdwn
        assert "<script>" not in mrkdwn and "**bold**" not in mrkdwn
        assert "<javascript" not in mrkdwn
        content = matrix.render(result)
        parsed = assert_matrix_safe(content)
        assert content["m.mentions"] == {}
        hrefs = [a[0][1] or "" for tag, a in parsed.tags if tag == "a"]
        assert all(h.startswith("https://") for h in hrefs), hrefs
        if "<script>" in title:
            assert "&lt;script&gt;" in content["formatted_body"]


# ---- arbitrary input ---------------------------------------------------------------------------

FORM_KEYS = [
    "title",
    "summary",
    "domains",
    "kind",
    "link",
    "country",
    "tags",
    "key factors",
    "colour",
    "",
]


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    parts=st.lists(
        st.tuples(st.sampled_from(FORM_KEYS), st.text(max_size=60)), min_size=0, max_size=6
    ),
    sep=st.sampled_from(["; ", "\n", ";", " "]),
    who=st.sampled_from(["alice", ADMIN]),
)
def test_arbitrary_forms_never_crash_share_or_edit(
    bot: Bot, parts: list[tuple[str, str]], sep: str, who: str
) -> None:
    body = sep.join(f"{k}: {v}" if k else v for k, v in parts)
    for line in (f"/share-practice {body}", f"/practice edit 1 {body}"):
        result = bot.reply(line, as_=who)
        assert result.status is not Status.INTERNAL_ERROR, (line, result)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(["practices", "practice", "endorse", "share-practice"]),
    text=st.text(max_size=80),
)
def test_arbitrary_text_never_crashes_the_practice_commands(bot: Bot, name: str, text: str) -> None:
    result = bot.reply(f"/{name} {text}", as_=ADMIN)
    assert result.status is not Status.INTERNAL_ERROR, (name, text, result)


def test_a_practice_number_is_a_positive_ascii_number_that_fits_the_database() -> None:
    assert practice_number("12") == 12
    assert practice_number(" #7 ") == 7
    assert practice_number(str(PG_INT_MAX)) == PG_INT_MAX
    for text in (None, "", "#", "0", "-3", "12a", "1.5", "١٢", str(PG_INT_MAX + 1)):
        assert practice_number(text) is None, text


# ---- import and export -------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for var in ENV_NAMES.values():
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def _stable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k != "id"} for row in rows]


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_then_import_elsewhere_loses_nothing(
    bot: Bot, cli_env: Path, db_url: str, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bot.reply("/settings review: off", as_=ADMIN)
    first = share(
        bot,
        '=HYPERLINK("https://evil.example") cafés',
        summary='Line one,\nline two with "quotes" and a , comma.',
        domains="housing, education",
        tags="bikes, -minus",
        country="IT",
        city="Bologna",
        link="https://example.org/x?a=1&b=2",
        standard="+ plus at the start",
        as_="alice",
    )
    share(bot, "Language cafés", domains="language learning", kind="toolkit")
    bot.reply(f"/endorse {first}", as_="bob")
    bot.reply(f"/endorse {first}", as_="carol")
    share(bot, "Dora's practice", as_="dora")  # review is off: approved at once
    bot.reply("/settings review: on", as_=ADMIN)
    share(bot, "Waiting for review", as_="dora")
    bot.reply("/practice reject 4 Needs a summary with results", as_=ADMIN)
    exported = cli_env / f"practices.{fmt}"
    assert main(["practices", "export", str(exported), "--db", db_url]) == 0
    assert "Wrote 4 practices of console:local" in capsys.readouterr().out
    if fmt == "csv":
        with exported.open(encoding="utf-8") as f:
            cells = [row["title"] for row in csv.DictReader(f)]
        assert cells[0].startswith("'=HYPERLINK")  # a spreadsheet will not run it
    code = main(
        ["practices", "import", str(exported), "--db", db_url, "--community", "console:other"]
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "4 new, 0 updated" in out.out
    again = cli_env / f"again.{fmt}"
    assert (
        main(["practices", "export", str(again), "--db", db_url, "--community", "console:other"])
        == 0
    )
    rows_a = (
        json.loads(exported.read_text())["practices"]
        if fmt == "json"
        else list(csv.DictReader(exported.open(encoding="utf-8")))
    )
    rows_b = (
        json.loads(again.read_text())["practices"]
        if fmt == "json"
        else list(csv.DictReader(again.open(encoding="utf-8")))
    )
    assert _stable(rows_b) == _stable(rows_a)
    by_title = {r["title"].removeprefix("'"): r for r in _stable(rows_b)}
    original = by_title['=HYPERLINK("https://evil.example") cafés']
    assert str(original["endorsements"]) == "2" and original["author"] == "alice"
    assert by_title["Waiting for review"]["status"] == "rejected"
    # Imported practices are searchable in their new community, endorsements included.
    router = bot.app.router
    other = Conversation("console", "other", "c")
    found = router.dispatch(Invocation("practices", "cafés", Actor("zoe"), other))
    assert [p["endorsements"] for p in found.data["practices"]] == [2, 0]
    # Re-importing the same file changes nothing.
    assert (
        main(["practices", "import", str(exported), "--db", db_url, "--community", "console:other"])
        == 0
    )
    assert "0 new, 0 updated, 4 unchanged" in capsys.readouterr().out


def test_import_is_all_or_nothing_and_reports_every_bad_row(
    bot: Bot, cli_env: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = cli_env / "in.csv"
    path.write_text(
        "title,summary,domains,country,status,endorsements,created_at,notes\n"
        "Repair cafés,Volunteers fix bikes with newcomers.,housing,NL,approved,3,2025-01-31,x\n"
        "Bad domain,Volunteers fix bikes with newcomers.,qwertyuiop,NL,,,,\n"
        ",No title here but a long enough summary.,housing,,,,,\n"
        "Bad date,Volunteers fix bikes with newcomers.,housing,,approved,many,yesterday,\n"
        "Repair cafés,Duplicate title in the same file.,housing,,,,,\n",
        encoding="utf-8",
    )
    assert main(["practices", "import", str(path), "--db", db_url]) == 2
    err = capsys.readouterr().err
    assert "column 'notes' is not a practice field and is ignored" in err
    assert "row 3: Domains: 'qwertyuiop' is not a domain" in err
    assert "row 4: The title is missing" in err
    assert "row 5: endorsements 'many'" in err and "row 5: created_at 'yesterday'" in err
    assert "row 6: same title as row 2" in err
    assert "Nothing imported" in err
    assert practices_in_db(bot) == []
    assert main(["practices", "import", str(path), "--db", db_url, "--skip-invalid"]) == 0
    assert "1 new" in capsys.readouterr().out
    [stored] = practices_in_db(bot)
    assert stored.title == "Repair cafés" and stored.status == "approved"
    assert stored.created_at.date().isoformat() == "2025-01-31"
    assert bot.reply("/practice 1").data["practice"]["endorsements"] == 3
    # A corrected file updates the practice with the same title.
    path.write_text(
        "title,summary,domains,country\nRepair cafés,Volunteers fix bikes and phones.,housing,BE\n",
        encoding="utf-8",
    )
    assert main(["practices", "import", str(path), "--db", db_url]) == 0
    assert "0 new, 1 updated" in capsys.readouterr().out
    assert bot.reply("/practice 1").data["practice"]["country"] == "BE"
    assert bot.reply("/practice history 1").data["history"][0]["editor"] == "import"


def test_import_refuses_unreadable_files(
    cli_env: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = cli_env / "missing.json"
    assert main(["practices", "import", str(missing), "--db", db_url]) == 2
    assert "no such file" in capsys.readouterr().err
    broken = cli_env / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    assert main(["practices", "import", str(broken), "--db", db_url]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    odd = cli_env / "list.txt"
    odd.write_text("x", encoding="utf-8")
    assert main(["practices", "import", str(odd), "--db", db_url]) == 2
    latin = cli_env / "latin.csv"
    latin.write_bytes("title\ncaf\xe9\n".encode("latin-1"))
    assert main(["practices", "import", str(latin), "--db", db_url]) == 2
    assert "not UTF-8" in capsys.readouterr().err
    items = cli_env / "items.json"
    items.write_text(json.dumps({"practices": ["x", {"title": {"a": 1}}]}), encoding="utf-8")
    assert main(["practices", "import", str(items), "--db", db_url]) == 2
    err = capsys.readouterr().err
    assert "item 1: expected an object" in err and "item 2: title must be text" in err


# ---- schema ------------------------------------------------------------------------------------


def test_the_practices_migration_goes_down_and_up(engine: Any) -> None:
    from alembic import command as alembic_command

    cfg = alembic_config(engine)
    try:
        alembic_command.downgrade(cfg, "0002")
        assert current_revision(engine) == "0002"
    finally:
        alembic_command.upgrade(cfg, "head")
    assert current_revision(engine) == head_revision()
