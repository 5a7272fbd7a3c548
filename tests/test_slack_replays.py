"""Replays and retries act once, across replicas (issue 21, defect 3).

The same signed slash command, button click or form submission sent twice (within Slack's
five-minute signature window) is acted on once; an event Slack retries (signed anew, same
`event_id`) is handled once. The claims are rows in the database shared by every replica,
so two `SlackBot`s on one database (two replicas) are tested too, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import create_engine, text

from cop_bot.app import App, build_app
from cop_bot.core.clock import FixedClock
from cop_bot.core.model import Actor, Conversation, Invocation, Reply
from cop_bot.core.seen import KEEP, PRUNE_EVERY, Seen, is_replay
from cop_bot.platforms.slack.bot import SlackBot
from cop_bot.storage.db import make_engine
from tests.slack_stand_in import TEAM_ID, StandIn
from tests.test_slack import Slack, served, sign, slack, slack_settings, slash_command

__all__ = ["slack"]  # the fixture, used by name

pytestmark = pytest.mark.slack

FORM = "application/x-www-form-urlencoded"


def count(app: App, table: str) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


async def send_twice(slacks: list[Slack], body: str, content_type: str = FORM) -> list[int]:
    """The same request (same body, same timestamp, same signature) to each of `slacks`, at
    once: a replay, or one request a proxy delivered to two replicas."""
    headers = {"Content-Type": content_type, **sign(body)}

    async def one(slack: Slack) -> int:
        async with slack.http.post(
            f"{slack.url}/slack/events", data=body.encode(), headers=headers
        ) as response:
            await response.read()
            return response.status

    statuses = await asyncio.gather(*(one(s) for s in slacks))
    for each in slacks:
        await each.bot.tasks.wait(5.0)
    return list(statuses)


def ask(slack: Slack, key: str = "1") -> str:
    """A question of its own for each key: the same question twice in a day is answered with
    the first one (issue 17), which is not what these tests are about."""
    question = f"housing: who knows? (question {key})"
    return urlencode(slash_command("/ask", question, "U0ANN", slack.stand_in.response_url(key)))


def click(slack: Slack, value: str) -> str:
    payload = {
        "type": "block_actions",
        "user": {"id": "U0BOB", "username": "bob", "team_id": TEAM_ID},
        "team": {"id": TEAM_ID},
        "channel": {"id": "C0GENERAL"},
        "response_url": slack.stand_in.response_url("click"),
        "actions": [{"type": "button", "action_id": "cop_cmd_1", "block_id": "b", "value": value}],
    }
    return urlencode({"payload": json.dumps(payload)})


def home_opened(event_id: str) -> str:
    return json.dumps(
        {
            "type": "event_callback",
            "team_id": TEAM_ID,
            "event_id": event_id,
            "event": {
                "type": "app_home_opened",
                "user": "U0ANN",
                "channel": "D0ANN",
                "tab": "home",
            },
            "authorizations": [{"team_id": TEAM_ID, "user_id": "U0BOT", "is_bot": True}],
        }
    )


# ---- one replica ---------------------------------------------------------------------------------


async def test_a_replayed_slash_command_acts_once(slack: Slack) -> None:
    body = ask(slack)
    assert await send_twice([slack], body) == [200]
    assert await send_twice([slack], body) == [200]  # the replay: acked, and dropped
    assert count(slack.bot.app, "question") == 1
    assert await send_twice([slack], ask(slack, "2")) == [200]  # a new request is a new one
    assert count(slack.bot.app, "question") == 2


async def test_a_replayed_button_click_acts_once(slack: Slack) -> None:
    body = click(slack, "/ask housing: who can help?")
    assert await send_twice([slack], body) == [200]
    assert await send_twice([slack], body) == [200]
    assert count(slack.bot.app, "question") == 1


async def test_a_retried_event_is_handled_once_and_a_new_one_again(slack: Slack) -> None:
    for retry in range(4):  # Slack signs each retry anew; the event_id stays
        await asyncio.sleep(0 if retry == 0 else 1.01)  # a new timestamp, so a new signature
        assert await send_twice([slack], home_opened("Ev0RETRY")) == [200]
    assert len(slack.stand_in.of("views.publish")) == 1
    assert await send_twice([slack], home_opened("Ev0OTHER")) == [200]
    assert len(slack.stand_in.of("views.publish")) == 2


# ---- two replicas on one database ----------------------------------------------------------------


@contextlib.asynccontextmanager
async def replica(db_url: str, stand_in: StandIn, clock: FixedClock) -> AsyncIterator[Slack]:
    app = build_app(slack_settings(db_url, stand_in.api_url), clock=clock, migrate=False)
    try:
        async with served(SlackBot(app), stand_in) as slack:
            yield slack
    finally:
        app.engine.dispose()


@pytest.fixture
async def replicas(db_url: str, stand_in: StandIn, clock: FixedClock) -> AsyncIterator[list[Slack]]:
    async with replica(db_url, stand_in, clock) as one, replica(db_url, stand_in, clock) as two:
        yield [one, two]


async def test_two_replicas_act_once_on_one_replayed_command(replicas: list[Slack]) -> None:
    body = ask(replicas[0])
    assert await send_twice(replicas, body) == [200, 200]
    assert count(replicas[0].bot.app, "question") == 1


async def test_two_replicas_handle_a_retried_event_once(replicas: list[Slack]) -> None:
    first, second = replicas
    assert await send_twice([first], home_opened("Ev0TWO")) == [200]
    await asyncio.sleep(1.01)  # Slack's retry: a new timestamp and signature, the same event_id
    assert await send_twice([second], home_opened("Ev0TWO")) == [200]
    assert len(first.stand_in.of("views.publish")) == 1


# ---- the claims themselves -----------------------------------------------------------------------


def test_claims_expire_and_old_ones_are_pruned(db_url: str, clock: FixedClock) -> None:
    engine = make_engine(db_url)
    seen = Seen(engine, clock)
    try:
        assert seen.first_time("slack-request", "1700000000", "v0=abc")
        assert not seen.first_time("slack-request", "1700000000", "v0=abc")
        assert seen.first_time("slack-request", "1700000000", "v0=abd")
        clock.advance(KEEP - timedelta(seconds=1))
        assert not seen.first_time("slack-request", "1700000000", "v0=abc")  # still remembered
        clock.advance(PRUNE_EVERY + timedelta(seconds=1))
        assert seen.first_time("slack-event", TEAM_ID, "Ev0NEW")  # prunes the old ones
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM seen_request")).scalar_one() == 1
        assert seen.first_time("slack-request", "1700000000", "v0=abc")  # forgotten, so new
    finally:
        engine.dispose()


def test_of_many_concurrent_claims_of_one_key_exactly_one_wins(
    db_url: str, clock: FixedClock
) -> None:
    # each thread its own engine: as separate replicas, not one process's writer lock
    engines = [make_engine(db_url) for _ in range(6)]
    won: list[bool] = []
    start = threading.Barrier(len(engines))

    def claim(engine_index: int) -> None:
        seen = Seen(engines[engine_index], clock)
        start.wait()
        for n in range(20):
            won.append(seen.first_time("slack-event", TEAM_ID, f"Ev{n}"))

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(len(engines))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine in engines:
        engine.dispose()
    assert sum(won) == 20 and len(won) == 120
    check = create_engine(db_url)
    with check.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM seen_request")).scalar_one() == 20
    check.dispose()


def test_a_command_claims_its_delivery_in_its_own_transaction(app: App) -> None:
    actor = Actor(handle="ann")
    conversation = Conversation(platform="slack", community_id=TEAM_ID, channel_id="C0GENERAL")

    def run(text: str, once: tuple[str, ...]) -> Reply:
        invocation = Invocation("ask", text, actor, conversation, once=once)
        return app.router.dispatch(invocation)

    first = run("housing: who knows?", ("slack-request", "1", "v0=a"))
    assert first.ok and not is_replay(first)
    again = run("housing: who knows?", ("slack-request", "1", "v0=a"))
    assert is_replay(again) and again.blocks == ()
    assert count(app, "question") == 1
    # a command that fails commits nothing, its claim included: sent again, it runs again
    assert not run("", ("slack-request", "2", "v0=b")).ok
    assert not is_replay(run("", ("slack-request", "2", "v0=b")))
    assert count(app, "seen_request") == 1


def test_replayed_requests_are_told_apart_by_timestamp_and_signature() -> None:
    from cop_bot.platforms.slack.inbound import event_key, replay_key

    assert replay_key("1700000000", "v0=ab") != replay_key("1700000001", "v0=ab")
    assert event_key({"type": "event_callback", "team_id": "T1", "event_id": "Ev1"}) == (
        "slack-event",
        "T1",
        "Ev1",
    )
    assert event_key({"type": "event_callback", "team_id": "T2", "event_id": "Ev1"}) != (
        event_key({"type": "event_callback", "team_id": "T1", "event_id": "Ev1"})
    )
    assert event_key({"type": "url_verification", "challenge": "x"}) is None
