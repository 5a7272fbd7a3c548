"""Shared fixtures: a migrated database on SQLite *and* the local PostgreSQL, a fixed clock, and a
`bot` that drives the whole stack through the console platform."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from cop_bot.app import App, build_app
from cop_bot.config import Settings
from cop_bot.core.clock import FixedClock
from cop_bot.core.model import Reply
from cop_bot.platforms.console import ConsoleChat, render_for_console
from cop_bot.storage.db import make_engine, upgrade
from tests.slack_stand_in import StandIn

PG_URL = os.environ.get(
    "COP_BOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SKIP_PG = os.environ.get("COP_BOT_SKIP_POSTGRES", "").lower() in {"1", "true", "yes"}
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(SKIP_PG, reason="COP_BOT_SKIP_POSTGRES is set"),
        ],
    ),
]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; each test gets a copy of the file (much faster than migrating per test)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # closing the last connection checkpoints the WAL into the file
    assert not Path(f"{path}-wal").exists()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of our own for this test run, created and dropped around it."""
    admin_url = make_url(PG_URL)
    name = f"cop_bot_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "cop_bot.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    _truncate_all(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "cop_bot.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
async def stand_in() -> AsyncIterator[StandIn]:
    """Slack's Web API and response_urls, recorded (tests/slack_stand_in.py)."""
    server = await StandIn().start()
    yield server
    await server.stop()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, admins=("root-admin",), community_name="Test network")


@pytest.fixture
def app(settings: Settings, clock: FixedClock) -> Iterator[App]:
    application = build_app(settings, clock=clock, migrate=False)
    yield application
    application.engine.dispose()


@pytest.fixture
def engine(app: App) -> Engine:
    return app.engine


@dataclass
class Bot:
    """The whole stack through the console platform: `bot.send("/help")` -> rendered text."""

    app: App
    chat: ConsoleChat

    def send(self, line: str, *, as_: str | None = None, channel: str | None = None) -> str:
        result = self.reply(line, as_=as_, channel=channel)
        return render_for_console(result)

    def reply(self, line: str, *, as_: str | None = None, channel: str | None = None) -> Reply:
        chat = self.chat
        if as_ is not None or channel is not None:
            chat = ConsoleChat(
                self.app.router, handle=as_ or chat.handle, channel=channel or chat.channel
            )
        result = chat.invoke(line)
        assert result is not None, f"{line!r} was not taken as a command"
        return result


@pytest.fixture
def bot(app: App) -> Bot:
    return Bot(app=app, chat=ConsoleChat(app.router, handle="alice"))


@pytest.fixture
def admin_bot(bot: Bot) -> Bot:
    return replace(bot, chat=ConsoleChat(bot.app.router, handle="root-admin"))
