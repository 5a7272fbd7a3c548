"""Commands in worker processes (COP_BOT_ENGINE_PROCESSES), through the real Slack HTTP path, on
SQLite and PostgreSQL: answers are the same as in-process, a profile saved by one worker is
found by every other, and a dead worker costs no command."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import AsyncIterator, Iterator

import pytest

from cop_bot.app import build_app
from cop_bot.core.clock import FixedClock
from cop_bot.platforms.engine_pool import EnginePool
from cop_bot.platforms.slack.bot import SlackBot
from tests.slack_stand_in import Call, StandIn
from tests.test_slack import Slack, served, slack_settings, texts

WORKERS = 2


@pytest.fixture
def pool(db_url: str, clock: FixedClock, stand_in: StandIn) -> Iterator[EnginePool]:
    app = build_app(slack_settings(db_url, stand_in.api_url), clock=clock, migrate=False)
    engine = EnginePool(app, WORKERS)
    engine.start()
    yield engine
    engine.shutdown()
    app.engine.dispose()


@pytest.fixture
async def pooled(pool: EnginePool, stand_in: StandIn) -> AsyncIterator[Slack]:
    async with served(SlackBot(pool.app, engine=pool), stand_in) as slack:
        yield slack


async def answer(slack: Slack, command: str, text: str, user: str) -> str:
    status, body, _ = await slack.command(command, text, user=user)
    assert status == 200 and body, f"{command} {text}: no answer in the ack"
    return texts(json.loads(body)["blocks"])


async def answer_soon(slack: Slack, command: str, text: str, user: str, key: str) -> str:
    """The answer in the ack or, when the engine took longer than the ack budget (a fresh pool
    spawning its workers on a loaded machine), through the command's response_url."""
    status, body, _ = await slack.command(command, text, user=user, key=key)
    assert status == 200
    if body:
        return texts(json.loads(body)["blocks"])

    def late() -> list[Call]:
        return [c for c in slack.stand_in.of("response_url") if c.key == key]

    await slack.stand_in._until(lambda: bool(late()), f"an answer to {command}", 120.0)
    return texts(late()[0].args["blocks"])


def worker_pids(pool: EnginePool) -> list[int]:
    assert pool._pool is not None
    return list(pool._pool._processes)


async def test_every_worker_sees_a_profile_saved_by_another(
    pooled: Slack, pool: EnginePool
) -> None:
    assert len(worker_pids(pool)) == WORKERS  # all started and warm before the first command
    assert os.getpid() not in worker_pids(pool)
    for user in ("U0ANN", "U0BOB"):  # warm both workers' indexes on an empty directory
        assert "U0CAT" not in await answer(pooled, "/find-expert", "housing", user)
    saved = await answer(
        pooled, "/profile", "set domains: housing; country: IT; expert: yes", "U0CAT"
    )
    assert "housing" in saved.lower()
    # whichever worker answers, its index has caught up with the other's write
    for user in ("U0ANN", "U0BOB", "U0ANN", "U0BOB"):
        assert "<@U0CAT>" in await answer(pooled, "/find-expert", "housing country:IT", user)


async def test_a_dead_worker_costs_no_command(pooled: Slack, pool: EnginePool) -> None:
    """Nor does the fresh pool's warm-up: commands run in-process until it is ready (a fresh
    worker starting and building its indexes took longer than Slack's ack budget)."""
    await answer(pooled, "/cop", "", "U0ANN")
    for pid in worker_pids(pool):
        os.kill(pid, signal.SIGKILL)
    assert "/find-expert" in await answer_soon(pooled, "/cop", "", "U0ANN", "a")  # in-process
    assert "/find-expert" in await answer_soon(pooled, "/cop", "", "U0ANN", "b")  # a fresh pool
    assert len(worker_pids(pool)) >= 1
    for _ in range(1200):  # until the fresh pool is warm and takes commands again
        if pool._warming is None:
            break
        await asyncio.sleep(0.1)
    assert pool._warming is None and len(worker_pids(pool)) == WORKERS
    assert "/find-expert" in await answer(pooled, "/cop", "", "U0ANN")  # by the fresh pool
