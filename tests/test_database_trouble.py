"""A database that is hung, slow or read-only: commands answer at once that nothing was
changed, `/healthz` says 503, the command line prints one line. The hung database is a real
TCP server that accepts connections and never answers (tests/silent_server.py); no test
measures time, each one only has to finish."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlmodel import select

from cop_bot.app import App, build_app
from cop_bot.config import ENV_NAMES, Settings, load_settings, parse_seconds
from cop_bot.core.clock import FixedClock
from cop_bot.core.errors import ConfigError
from cop_bot.core.model import Reply, Status
from cop_bot.core.router import Router
from cop_bot.core.taxonomy import load_taxonomy
from cop_bot.handlers import build_registry
from cop_bot.platforms import http
from cop_bot.platforms.console import ConsoleChat
from cop_bot.storage.db import engine_for, session_scope
from cop_bot.storage.models import Member
from tests.conftest import NOW, SKIP_PG, _truncate_all
from tests.silent_server import SilentServer

postgres_only = [
    pytest.mark.postgres,
    pytest.mark.skipif(SKIP_PG, reason="COP_BOT_SKIP_POSTGRES is set"),
]
UNREACHABLE = "cannot reach its database right now, so nothing was changed"


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    with SilentServer() as server:
        yield server


def _app_on(settings: Settings) -> App:
    """An App wired by hand: `build_app` would itself wait for the database to migrate it."""
    engine = engine_for(settings)
    taxonomy = load_taxonomy(settings.taxonomy_path)
    clock = FixedClock(NOW)
    router = Router(engine, build_registry(), settings, taxonomy, clock)
    return App(settings=settings, engine=engine, taxonomy=taxonomy, router=router, clock=clock)


@pytest.fixture
def hung_app(silent: SilentServer) -> Iterator[App]:
    app = _app_on(Settings(database_url=silent.url, db_connect_timeout=2, db_pool_timeout=0.5))
    yield app
    app.engine.dispose()


def _say(app: App, line: str, handle: str = "amina") -> Reply:
    answer = ConsoleChat(app.router, handle=handle).invoke(line)
    assert answer is not None
    return answer


def test_help_on_a_hung_database_says_nothing_was_changed(hung_app: App) -> None:
    answer = _say(hung_app, "/help")
    assert answer.status is Status.INTERNAL_ERROR
    assert answer.data == {"error": {"code": "database_unreachable"}}
    assert UNREACHABLE in render(answer)


def test_a_burst_bigger_than_the_pool_on_a_hung_database_is_answered_in_full(
    hung_app: App,
) -> None:
    """Thirty commands at once, twice the pool: those that get no connection in time give up
    after the pool timeout, the others after the connect timeout; none waits for ever."""
    with ThreadPoolExecutor(30) as pool:
        answers = list(pool.map(lambda i: _say(hung_app, "/profile", f"m{i}"), range(30)))
    assert {a.data["error"]["code"] for a in answers} == {"database_unreachable"}


async def test_health_is_503_on_a_hung_database(hung_app: App) -> None:
    started = await http.start(http.web_app(hung_app, "slack"), "127.0.0.1", 0)
    try:
        async with (
            aiohttp.ClientSession() as client,
            client.get(f"{started.url}/healthz") as response,
        ):
            assert response.status == 503
            assert await response.json() == {
                "ok": False,
                "platform": "slack",
                "database": False,
                "schema": False,
            }
    finally:
        await started.stop()


async def test_health_is_503_on_an_empty_database_and_200_once_migrated(tmp_path: Path) -> None:
    app = _app_on(Settings(database_url=f"sqlite:///{tmp_path}/empty.db"))
    started = await http.start(http.web_app(app, "console"), "127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession() as client:
            async with client.get(f"{started.url}/healthz") as response:
                assert response.status == 503
                assert await response.json() == {
                    "ok": False,
                    "platform": "console",
                    "database": True,
                    "schema": False,
                }
            build_app(app.settings, engine=app.engine, migrate=True)
            async with client.get(f"{started.url}/healthz") as response:
                assert response.status == 200
                assert (await response.json())["schema"] is True
    finally:
        await started.stop()
        app.engine.dispose()


def _cli(*argv: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ENV_NAMES.values()}
    return subprocess.run(
        [sys.executable, "-m", "cop_bot", *argv],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_command_line_on_a_hung_database_prints_one_line(
    silent: SilentServer, tmp_path: Path
) -> None:
    result = _cli("query", "/help", cwd=tmp_path, env={"COP_BOT_DATABASE_URL": silent.url})
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"cop-bot: cannot reach the database at {silent.url}, so nothing was changed; check "
        "that it is running and reachable (COP_BOT_DB_CONNECT_TIMEOUT sets how long to wait)."
    ]


@pytest.mark.parametrize("_pg", [pytest.param(None, marks=postgres_only)])
def test_a_query_stuck_behind_a_lock_is_cancelled_by_the_statement_timeout(
    postgres_url: str, _pg: None
) -> None:
    _truncate_all(postgres_url)
    app = build_app(
        Settings(database_url=postgres_url, db_statement_timeout=0.2),
        clock=FixedClock(NOW),
        migrate=False,
    )
    assert _say(app, "/profile", "amina").ok
    holder = create_engine(postgres_url)
    try:
        with holder.begin() as conn:
            conn.execute(text("LOCK TABLE member IN ACCESS EXCLUSIVE MODE"))
            answer = _say(app, "/profile set city: Turin", "amina")
    finally:
        holder.dispose()
    assert answer.data == {"error": {"code": "database_timeout"}}
    assert "took too long to answer, so nothing was changed" in render(answer)
    with session_scope(app.engine) as session:
        assert session.exec(select(Member.city)).all() == [None]
    app.engine.dispose()


def render(answer: Reply) -> str:
    from cop_bot.render.text import render as as_text

    return as_text(answer)


# ---- a read-only SQLite file --------------------------------------------------------------------


@pytest.fixture
def read_only_db(sqlite_url: str) -> str:
    """The migrated test database, opened read-only (as on a read-only mount: SQLite refuses
    every write with SQLITE_READONLY; a chmod would not stop the root user the tests may run as)."""
    path = sqlite_url.removeprefix("sqlite:///")
    return f"sqlite:///file:{path}?mode=ro&uri=true"


def test_a_read_only_database_file_is_named_in_chat(read_only_db: str) -> None:
    app = _app_on(Settings(database_url=read_only_db))
    answer = _say(app, "/help")
    app.engine.dispose()
    assert answer.data == {"error": {"code": "database_read_only"}}
    assert "database file is read-only, so nothing was changed" in render(answer)


def test_the_command_line_on_a_read_only_database_file_prints_one_line(
    read_only_db: str, tmp_path: Path
) -> None:
    result = _cli("query", "/help", cwd=tmp_path, env={"COP_BOT_DATABASE_URL": read_only_db})
    assert result.returncode == 1
    path = read_only_db.removeprefix("sqlite:///file:").split("?")[0]
    assert result.stderr.splitlines() == [
        f"cop-bot: the database file {path} is read-only, so nothing was changed; give the "
        "bot's user write permission to the file and to its folder."
    ]


# ---- the timeout settings -----------------------------------------------------------------------


def test_the_timeouts_are_read_from_the_environment() -> None:
    settings = load_settings(
        {
            "COP_BOT_DB_CONNECT_TIMEOUT": "3",
            "COP_BOT_DB_STATEMENT_TIMEOUT": "0.5",
            "COP_BOT_DB_POOL_TIMEOUT": "1.25",
        }
    )
    assert (settings.db_connect_timeout, settings.db_statement_timeout) == (3.0, 0.5)
    assert settings.db_pool_timeout == 1.25
    assert settings.masked()["COP_BOT_DB_STATEMENT_TIMEOUT"] == "0.5"


def test_a_bad_timeout_names_the_variable_and_gives_an_example() -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({"COP_BOT_DB_CONNECT_TIMEOUT": "1", "COP_BOT_DB_POOL_TIMEOUT": "soon"})
    assert str(raised.value).splitlines() == [
        "COP_BOT_DB_CONNECT_TIMEOUT must be from 2 to 3600 seconds (e.g. 5), got '1'.",
        "COP_BOT_DB_POOL_TIMEOUT must be a number of seconds such as 2 or 0.5, got 'soon'.",
    ]


@given(st.text(max_size=12))
def test_parse_seconds_gives_a_number_in_range_or_one_clear_reason(raw: str) -> None:
    try:
        value = parse_seconds(raw, 0.1)
    except ValueError as exc:
        assert str(exc).startswith("must be ") and str(exc).endswith(f"got {raw!r}.")
    else:
        assert 0.1 <= value <= 3600
        assert value == float(raw.strip())


@given(st.decimals(min_value="0.1", max_value="3600", places=3))
def test_parse_seconds_reads_every_duration_it_should(amount: Decimal) -> None:
    assert parse_seconds(str(amount), 0.1) == float(amount)
