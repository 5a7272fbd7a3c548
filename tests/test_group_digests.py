"""A group's digest (issue 18, `/digest on … group:SLUG`), on SQLite and PostgreSQL: the
group's week in its channel (its sessions, practices its members shared, its members' open
questions, who joined), posted exactly once across processes; `/digest preview`; a closed
group's member names only in its own channel; who may switch it on; bad input writes nothing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import func, select

from cop_bot.core.clock import FixedClock
from cop_bot.core.outbox import RecordingOutbox
from cop_bot.digests.jobs import post_due_digests
from cop_bot.platforms.console import render_for_console
from cop_bot.render.text import render
from cop_bot.storage.db import make_engine, session_scope
from cop_bot.storage.models import DigestSubscription
from tests.conftest import Bot

ADMIN = "root-admin"
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)  # a Monday
DUE = NOW + timedelta(days=7)
ON = "/digest on monday 09:00 tz UTC group:housing-wg"


def ok(bot: Bot, line: str, as_: str = ADMIN, channel: str | None = None) -> Any:
    result = bot.reply(line, as_=as_, channel=channel)
    assert result.ok, render_for_console(result)
    return result.data


def error(bot: Bot, line: str, as_: str = ADMIN, channel: str | None = None) -> str:
    result = bot.reply(line, as_=as_, channel=channel)
    assert not result.ok, result
    return render_for_console(result)


def subscriptions(bot: Bot) -> int:
    with session_scope(bot.app.engine) as session:
        return int(session.exec(select(func.count()).select_from(DigestSubscription)).one())


def share(bot: Bot, title: str, domains: str) -> None:
    ok(
        bot,
        f"/share-practice {title}; summary: A practice worth sharing with peers; domains: {domains}",
    )


@pytest.fixture
def wg(bot: Bot, clock: FixedClock) -> Bot:
    """Group housing-wg (channel C-housing, focal point `fp`, member `bob`) and its digest,
    then a week in which things happen inside and outside the group."""
    clock.set(NOW - timedelta(days=2))  # the group is older than the digest's first week
    for handle in ("fp", "bob", "carol", "dan"):
        assert bot.reply("/help", as_=handle).ok
    ok(
        bot,
        "/group create Housing WG kind: working-group domains: housing channel",
        channel="C-housing",
    )
    ok(bot, "/group join housing-wg", "bob")
    ok(bot, "/group join housing-wg", "fp")
    ok(bot, "/group focal housing-wg @fp")
    clock.set(NOW)
    made = ok(bot, ON, "fp", channel="C-housing")["digest"]
    assert made["group"] == "housing-wg"
    clock.advance(timedelta(days=1))
    ok(bot, "/group join housing-wg", "carol")
    ok(bot, '/schedule-session "Housing call" 2027-01-12 14:00 tz UTC group: housing-wg', "fp")
    ok(bot, '/schedule-session "Everyone call" 2027-01-12 15:00 tz UTC')
    share(bot, "Outside practice", "health")  # root-admin is not a member, nor is it housing
    share(bot, "Tenant mediation desk", "housing")  # tagged with the group's domain
    ok(bot, "/ask housing: How do you find landlords?", "bob")
    ok(bot, "/ask health: Who runs a clinic?", "dan")
    return bot


def run(bot: Bot, engine: Engine | None = None, outbox: RecordingOutbox | None = None) -> Any:
    return post_due_digests(
        engine or bot.app.engine, outbox or RecordingOutbox(), bot.app.taxonomy, DUE
    )


def test_the_groups_week_goes_to_its_channel_once(wg: Bot, clock: FixedClock) -> None:
    clock.set(DUE + timedelta(minutes=5))
    outbox = RecordingOutbox()
    for _ in range(3):
        post_due_digests(wg.app.engine, outbox, wg.app.taxonomy, clock.now())
    assert len(outbox.posted) == 1
    message = outbox.posted[0]
    assert message.conversation.channel_id == "C-housing"
    data = message.reply.data
    assert data["group"] == {"slug": "housing-wg", "name": "Housing WG", "names_shown": True}
    sections = data["sections"]
    assert [s["title"] for s in sections["sessions"]] == ["Housing call"]
    assert [p["title"] for p in sections["practices"]] == ["Tenant mediation desk"]
    assert [q["text"] for q in sections["questions"]] == ["How do you find landlords?"]
    assert [m["handle"] for m in sections["members"]] == ["carol"]
    assert sections["pulse"]["members"]["change"] == 1
    text = render(message.reply)
    assert "Housing WG · Weekly digest" in text and "@carol" in text
    assert "Everyone call" not in text and "Outside practice" not in text
    status = ok(wg, "/digest status", "fp", channel="C-housing")["digest"]
    assert status["group"] == "housing-wg" and status["last_run"]["status"] == "sent"


def test_two_processes_post_the_group_digest_once(wg: Bot, clock: FixedClock) -> None:
    other = make_engine(wg.app.settings.database_url)
    outbox = RecordingOutbox()
    barrier = threading.Barrier(2)

    def tick(engine: Engine) -> None:
        barrier.wait()
        run(wg, engine, outbox)

    threads = [threading.Thread(target=tick, args=(e,)) for e in (wg.app.engine, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other.dispose()
    assert len(outbox.posted) == 1
    assert outbox.posted[0].reply.data["group"]["slug"] == "housing-wg"


def test_preview_shows_the_group_digest(wg: Bot, clock: FixedClock) -> None:
    clock.advance(timedelta(minutes=1))
    result = wg.reply("/digest preview", as_="bob", channel="C-housing")
    assert result.ok and result.visibility == "ephemeral"
    assert [s["title"] for s in result.data["sections"]["sessions"]] == ["Housing call"]
    assert "experts" not in result.data["sections"]


def test_a_closed_groups_names_stay_in_its_own_channel(wg: Bot, clock: FixedClock) -> None:
    clock.advance(timedelta(minutes=1))
    ok(wg, "/group create Secret circle closed channel", channel="C-secret")
    ok(wg, "/group add secret-circle @bob")
    ok(wg, f"/group add secret-circle @{ADMIN}")
    clock.advance(timedelta(minutes=1))
    said = wg.send(
        "/digest on monday 09:00 tz UTC group:secret-circle", as_=ADMIN, channel="C-other"
    )
    assert "counts, not its members' names" in said
    ok(wg, "/digest on monday 09:00 tz UTC group:secret-circle", channel="C-secret")
    outside = ok(wg, "/digest preview", channel="C-other")
    assert outside["group"]["names_shown"] is False
    assert outside["sections"]["members"] == []
    assert all("asked_by" not in q for q in outside["sections"]["questions"])
    assert [q["text"] for q in outside["sections"]["questions"]] == ["How do you find landlords?"]
    shown = wg.send("/digest preview", as_=ADMIN, channel="C-other")
    assert "@bob" not in shown and "joined" in shown
    inside = ok(wg, "/digest preview", channel="C-secret")
    # the circle has no domains: its practices are those its members (root-admin) shared
    assert {p["title"] for p in inside["sections"]["practices"]} == {
        "Outside practice",
        "Tenant mediation desk",
    }
    assert {p["shared_by"] for p in inside["sections"]["practices"]} == {ADMIN}
    assert all("shared_by" not in p for p in outside["sections"]["practices"])
    assert "bob" in {m["handle"] for m in inside["sections"]["members"]}


def test_who_may_switch_it_on_and_bad_input_writes_nothing(wg: Bot) -> None:
    before = subscriptions(wg)
    assert "focal points of housing-wg" in error(wg, ON, "bob", channel="C-x")
    assert "focal points of housing-wg" in error(wg, ON, "carol", channel="C-x")
    assert "There is no group 'nope'" in error(wg, "/digest on monday group:nope", channel="C-x")
    assert "Did you mean housing-wg" in error(wg, "/digest on group:housing-w", channel="C-x")
    assert "give the group's slug" in error(wg, "/digest on monday group:", channel="C-x")
    assert "twice" in error(wg, "/digest on group:a group:b", channel="C-x")
    assert subscriptions(wg) == before
    # the community's digest again when switched on without a group
    assert ok(wg, "/digest on monday 09:00", channel="C-housing")["digest"]["group"] is None
