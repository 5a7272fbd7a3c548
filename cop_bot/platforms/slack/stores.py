"""Slack installations and OAuth states on the bot's own database, for multi-workspace mode.

slack-sdk ships `SQLAlchemyInstallationStore` and `SQLAlchemyOAuthStateStore`, which are
synchronous; the bot is async, so `InstallationStore` and `StateStore` run them in worker
threads (`asyncio.to_thread`) on the app's own engine (SQLite or PostgreSQL).

The three tables (`slack_installations`, `slack_bots`, `slack_oauth_states`) are exactly
slack-sdk's: they are built here with slack-sdk's own table builders on `SQLModel.metadata`, so
the test that compares the migrations with the metadata also checks migration 0006 against the
columns slack-sdk expects. As everywhere else, only the migrations create them.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, Table, and_
from sqlmodel import SQLModel

log = logging.getLogger(__name__)

INSTALLATIONS_TABLE = SQLAlchemyInstallationStore.default_installations_table_name
BOTS_TABLE = SQLAlchemyInstallationStore.default_bots_table_name
STATES_TABLE = SQLAlchemyOAuthStateStore.default_table_name
# How long `find_bot` answers are kept in memory: each Slack request needs its workspace's token,
# and a reinstall or uninstall handled by *another* bot process reaches this one at most this late
# (this process forgets at once what it saves or deletes itself).
FIND_CACHE_SECONDS = 30.0


def _register_tables() -> tuple[Table, Table, Table]:
    """slack-sdk's tables on the application's metadata (once, however often this is imported)."""
    metadata = SQLModel.metadata
    if INSTALLATIONS_TABLE not in metadata.tables:
        SQLAlchemyInstallationStore.build_installations_table(metadata, INSTALLATIONS_TABLE)
        SQLAlchemyInstallationStore.build_bots_table(metadata, BOTS_TABLE)
        SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, STATES_TABLE)
    tables = metadata.tables
    return tables[INSTALLATIONS_TABLE], tables[BOTS_TABLE], tables[STATES_TABLE]


TABLES = _register_tables()


class InstallationStore(AsyncInstallationStore):
    """slack-sdk's `SQLAlchemyInstallationStore` on the app's engine, awaited in worker threads,
    with a short-lived cache of `find_bot` (which every request from Slack asks)."""

    def __init__(self, client_id: str, engine: Engine) -> None:
        self.sync = SQLAlchemyInstallationStore(client_id=client_id, engine=engine, logger=log)
        self._cache: dict[tuple[str | None, str | None, bool], tuple[float, Bot | None]] = {}
        self._lock = threading.Lock()

    @property
    def logger(self) -> logging.Logger:
        return log

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()

    async def async_save(self, installation: Installation) -> None:
        try:
            await asyncio.to_thread(self.sync.save, installation)
        finally:
            self.forget()

    async def async_save_bot(self, bot: Bot) -> None:
        try:
            await asyncio.to_thread(self.sync.save_bot, bot)
        finally:
            self.forget()

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        key = (enterprise_id, team_id, bool(is_enterprise_install))
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        bot = await asyncio.to_thread(
            self.sync.find_bot,
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        with self._lock:
            self._cache[key] = (now + FIND_CACHE_SECONDS, bot)
        return bot

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        return await asyncio.to_thread(
            self.sync.find_installation,
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        try:
            await asyncio.to_thread(
                self.sync.delete_bot, enterprise_id=enterprise_id, team_id=team_id
            )
        finally:
            self.forget()

    async def async_delete_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
    ) -> None:
        try:
            await asyncio.to_thread(
                self.sync.delete_installation,
                enterprise_id=enterprise_id,
                team_id=team_id,
                user_id=user_id,
            )
        finally:
            self.forget()

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """The workspace's bot and installation rows, in one trip to a worker thread."""
        try:
            await asyncio.to_thread(
                self.sync.delete_all, enterprise_id=enterprise_id, team_id=team_id
            )
        finally:
            self.forget()


class SyncStateStore(SQLAlchemyOAuthStateStore):
    """slack-sdk's state store, made safe for several bot processes and for a public install page:
    a state is consumed by one atomic `DELETE` (two redirects racing with the same state cannot
    both win), and issuing a state first clears the expired ones, so reloading the install page
    cannot grow the table without bound."""

    def issue(self, *args: Any, **kwargs: Any) -> str:
        self._purge_expired()
        return str(super().issue(*args, **kwargs))

    def consume(self, state: str) -> bool:
        c = self.oauth_states.c
        with self.engine.begin() as conn:
            deleted = conn.execute(
                self.oauth_states.delete().where(and_(c.state == state, c.expire_at > _naive_now()))
            )
            return bool(deleted.rowcount == 1)

    def _purge_expired(self) -> None:
        c = self.oauth_states.c
        with self.engine.begin() as conn:
            conn.execute(self.oauth_states.delete().where(c.expire_at <= _naive_now()))


def _naive_now() -> datetime:
    # slack-sdk's columns are naive UTC (`normalize_datetime_for_db`)
    return datetime.now(UTC).replace(tzinfo=None)


class StateStore(AsyncOAuthStateStore):
    """The OAuth `state` values of installs in progress, in the app's database."""

    def __init__(self, engine: Engine, expiration_seconds: int) -> None:
        self.sync = SyncStateStore(expiration_seconds=expiration_seconds, engine=engine, logger=log)

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        return await asyncio.to_thread(self.sync.issue)

    async def async_consume(self, state: str) -> bool:
        return await asyncio.to_thread(self.sync.consume, state)
