"""Storage that holds when several threads, processes or replicas share one database: a new
member's first commands at once, and replicas migrating an empty database together."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, text
from sqlmodel import select

from cop_bot.app import App, build_app
from cop_bot.config import Settings
from cop_bot.core.clock import FixedClock
from cop_bot.core.model import Actor, Status
from cop_bot.platforms.console import ConsoleChat, conversation
from cop_bot.storage import repos
from cop_bot.storage.db import current_revision, head_revision, make_engine, session_scope, upgrade
from cop_bot.storage.models import Community, Member
from tests.conftest import NOW, PG_URL, SKIP_PG, Bot, _truncate_all
from tests.replicas import fresh_postgres

postgres_only = [
    pytest.mark.postgres,
    pytest.mark.skipif(SKIP_PG, reason="COP_BOT_SKIP_POSTGRES is set"),
]


@pytest.fixture
def pg_app(postgres_url: str, clock: FixedClock) -> Iterator[App]:
    _truncate_all(postgres_url)
    application = build_app(
        Settings(database_url=postgres_url, community_name="Test network"),
        clock=clock,
        migrate=False,
    )
    yield application
    application.engine.dispose()


def _wait_until_a_query_waits_for_a_lock(engine: Engine) -> None:
    """Poll PostgreSQL until some query of this database waits on a lock (a row another
    transaction inserted and has not committed yet)."""
    watcher = create_engine(engine.url, isolation_level="AUTOCOMMIT")
    try:
        with watcher.connect() as conn:
            for _ in range(1200):
                waiting = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                ).scalar()
                if waiting:
                    return
                time.sleep(0.05)
    finally:
        watcher.dispose()
    raise AssertionError("the second command never waited for the first one's member row")


@pytest.mark.parametrize("_pg", [pytest.param(None, marks=postgres_only)])
def test_a_new_members_second_command_waits_for_the_first_instead_of_failing(
    pg_app: App, _pg: None
) -> None:
    """The newcomer's first command has inserted their member row and not committed yet when
    their second one arrives: the second waits for it and uses that row."""
    bot = Bot(app=pg_app, chat=ConsoleChat(pg_app.router, handle="alice"))
    assert bot.reply("/help").ok  # the community exists; only the member is new
    with session_scope(pg_app.engine) as first_command:
        community = repos.find_community(first_command, conversation("general"))
        assert community is not None and community.id is not None
        repos.get_or_create_member(first_command, community.id, Actor("newcomer"), now=NOW)
        with ThreadPoolExecutor(1) as pool:
            second = pool.submit(bot.reply, "/profile", as_="newcomer")
            _wait_until_a_query_waits_for_a_lock(pg_app.engine)
            first_command.commit()
            answer = second.result()
    assert answer.status is Status.OK, answer
    with session_scope(pg_app.engine) as session:
        rows = session.exec(select(Member).where(Member.handle == "newcomer")).all()
    assert len(rows) == 1


def test_the_first_commands_of_many_new_members_at_once_make_one_member_each(app: App) -> None:
    """Forty new members each send three commands at once, from eight threads, in a community
    that does not exist yet: every command is answered and each member is stored once."""
    bot = Bot(app=app, chat=ConsoleChat(app.router, handle="alice"))
    handles = [f"newcomer{i}" for i in range(40)]
    lines = ("/profile", "/domains", "/profile")
    jobs = [(line, handle) for handle in handles for line in lines]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda job: bot.reply(job[0], as_=job[1]), jobs))
    failed = [a for a in answers if a.status is Status.INTERNAL_ERROR]
    assert failed == []
    with session_scope(app.engine) as session:
        assert session.exec(select(func.count()).select_from(Community)).one() == 1
        stored = session.exec(select(Member.handle)).all()
    assert sorted(stored) == sorted(handles)


# ---- replicas migrating one empty database ------------------------------------------------------


def _upgrade_together(url: str, barrier: Any, results: Any) -> None:
    """One replica's start-up: wait for the others, then migrate at the same instant."""
    engine = make_engine(url)
    try:
        barrier.wait(timeout=120)
        upgrade(engine)
        results.put("ok")
    except BaseException as exc:
        results.put(f"{type(exc).__name__}: {exc}")
    finally:
        engine.dispose()


@pytest.fixture
def empty_pg_url() -> Iterator[str]:
    """A PostgreSQL database with nothing in it, dropped afterwards."""
    with fresh_postgres(PG_URL) as url:
        yield url


@pytest.mark.parametrize("_pg", [pytest.param(None, marks=postgres_only)])
def test_three_replicas_migrating_an_empty_database_at_once_all_succeed(
    empty_pg_url: str, _pg: None
) -> None:
    spawn = multiprocessing.get_context("spawn")
    barrier, results = spawn.Barrier(3), spawn.Queue()
    replicas = [
        spawn.Process(target=_upgrade_together, args=(empty_pg_url, barrier, results))
        for _ in range(3)
    ]
    for replica in replicas:
        replica.start()
    outcomes = [results.get(timeout=300) for _ in replicas]
    for replica in replicas:
        replica.join(timeout=60)
    assert outcomes == ["ok", "ok", "ok"]
    assert [r.exitcode for r in replicas] == [0, 0, 0]
    engine = make_engine(empty_pg_url)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
