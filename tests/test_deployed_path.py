"""What `cop-bot run` pays per request that a hand-built bot does not: the costs found while
measuring the deployed path (benchmarks/bench_slack.py), each pinned by a test."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from cop_bot.app import build_app
from cop_bot.capabilities import warm_caches
from cop_bot.config import Settings
from cop_bot.experts.directory import Directory
from cop_bot.logs import setup_logging
from cop_bot.platforms.console import ConsoleChat
from cop_bot.platforms.slack.runner import serve
from tests.conftest import Bot
from tests.replicas import free_port
from tests.slack_stand_in import StandIn
from tests.test_slack import slack_settings


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    """The root logger, put back as it was (setup_logging replaces its handlers)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_library_debug_records_are_not_built_when_no_handler_keeps_them(
    root_logger: logging.Logger, tmp_path: Path
) -> None:
    """slack_bolt and slack_sdk call `log.debug` several times per request; with the root logger
    at DEBUG each call built a record that both handlers then dropped (a third of the
    throughput of `cop-bot run`)."""
    setup_logging(Settings(state_dir=str(tmp_path), log_level="INFO"), stderr_level=logging.INFO)
    assert not logging.getLogger("slack_bolt.App").isEnabledFor(logging.DEBUG)
    assert logging.getLogger("slack_bolt.App").isEnabledFor(logging.INFO)


def test_debug_logging_still_reaches_the_log_file_when_asked_for(
    root_logger: logging.Logger, tmp_path: Path
) -> None:
    path = setup_logging(
        Settings(state_dir=str(tmp_path), log_level="DEBUG"), stderr_level=logging.WARNING
    )
    logging.getLogger("cop_bot.test").debug("a detail for the operator")
    for handler in root_logger.handlers:
        handler.flush()
    assert "a detail for the operator" in path.read_text(encoding="utf-8")


def test_without_a_log_file_records_stop_at_the_stderr_level(
    root_logger: logging.Logger, tmp_path: Path
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    setup_logging(Settings(log_file=str(blocked / "cop-bot.log")), stderr_level=logging.WARNING)
    assert not logging.getLogger("slack_sdk").isEnabledFor(logging.INFO)


async def test_cop_bot_run_on_slack_builds_its_search_indexes_before_it_listens(
    stand_in: StandIn, sqlite_url: str
) -> None:
    """Behind a load balancer a replica gets traffic the moment it listens: its first commands
    used to build the indexes while Slack's 3 s ran (the engine's workers already warmed first).
    Here the indexes cannot be built while another connection holds SQLite's write lock: the
    bot must not listen until that is released."""
    port = free_port()
    settings = replace(slack_settings(sqlite_url, stand_in.api_url), http_port=port)
    app = build_app(settings, migrate=False)
    ConsoleChat(app.router, handle="u0ann").invoke("/profile set domains: housing; expert: yes")
    blocker = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    stop = asyncio.Event()
    task = asyncio.ensure_future(serve(app, stop))
    try:
        await stand_in.wait_for("auth.test", timeout=20)  # the step before warming
        async with aiohttp.ClientSession() as http:
            for _ in range(5):
                await asyncio.sleep(0.1)
                with pytest.raises(aiohttp.ClientConnectionError):
                    await http.get(f"http://127.0.0.1:{port}/healthz")
            blocker.execute("COMMIT")
            deadline = time.monotonic() + 20
            while True:
                assert not task.done() and time.monotonic() < deadline
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                        assert response.status == 200
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
        directory = app.router.services[Directory]
        assert isinstance(directory, Directory) and directory._indexes
    finally:
        blocker.close()
        stop.set()
        assert await asyncio.wait_for(task, 20) == 0
        app.engine.dispose()


def test_warming_also_builds_the_country_and_language_tables(bot: Bot) -> None:
    """The first `lang:` or `country:` after start-up loaded babel's data for every language
    (about a second), in each of the threads that asked at once."""
    from cop_bot.experts import profiles

    profiles._languages.cache_clear()
    profiles._countries.cache_clear()
    warm_caches(bot.app)
    assert profiles._languages.cache_info().currsize == 1
    assert profiles._countries.cache_info().currsize == 1
