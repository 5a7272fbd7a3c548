"""One leader among replicas: the scheduler lock (`storage/leader.py`), standing by and taking
over (`platforms/leadership.py`), and the jobs that run only in the leader (`platforms.common.Jobs`),
on SQLite and PostgreSQL, with real processes where a process has to die."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import Engine, create_engine, text

from cop_bot.app import App, build_app
from cop_bot.config import Settings
from cop_bot.core.clock import FixedClock
from cop_bot.core.outbox import RecordingOutbox
from cop_bot.platforms import http
from cop_bot.platforms.common import Jobs
from cop_bot.platforms.leadership import Leadership
from cop_bot.storage.db import make_engine
from cop_bot.storage.leader import SCHEDULER, PostgresLock, leader_lock, lock_key
from tests.conftest import SKIP_PG, Bot

needs_postgres = pytest.mark.skipif(SKIP_PG, reason="COP_BOT_SKIP_POSTGRES is set")

HOLDER = """
import sys, time
from cop_bot.storage.db import make_engine
from cop_bot.storage.leader import leader_lock
lock = leader_lock(make_engine(sys.argv[1]), sys.argv[2])
print("held" if lock.acquire() else "refused", flush=True)
time.sleep(600)
"""


def engine_maker(url: str) -> Iterator[Callable[[], Engine]]:
    made: list[Engine] = []

    def new() -> Engine:
        made.append(make_engine(url))
        return made[-1]

    yield new
    for engine in made:
        engine.dispose()


@pytest.fixture
def engines(db_url: str) -> Iterator[Callable[[], Engine]]:
    """Engines of their own on the test database, as separate replicas would have."""
    yield from engine_maker(db_url)


@pytest.fixture
def pg_engines(postgres_url: str) -> Iterator[Callable[[], Engine]]:
    yield from engine_maker(postgres_url)


async def until(condition: Callable[[], bool], seconds: float = 15.0) -> None:
    """Wait for `condition` with a deadline (an outcome, not a timing)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the deadline"
        await asyncio.sleep(0.05)


# ---- the lock ------------------------------------------------------------------------------------


def test_one_process_at_a_time_holds_a_lock(engines: Callable[[], Engine]) -> None:
    first, second = leader_lock(engines(), SCHEDULER), leader_lock(engines(), SCHEDULER)
    other = leader_lock(engines(), "matrix @cop-bot:example.org")
    try:
        assert first.acquire()
        assert first.acquire() and first.held()  # asking again keeps it
        assert not second.acquire() and not second.held()
        assert other.acquire()  # another name is another lock
        first.release()
        assert not first.held()
        assert second.acquire()
        assert not first.acquire()
    finally:
        for lock in (first, second, other):
            lock.release()


def test_a_lock_is_freed_when_the_process_holding_it_is_killed(
    db_url: str, engines: Callable[[], Engine]
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, db_url, SCHEDULER], stdout=subprocess.PIPE, text=True
    )
    lock = leader_lock(engines(), SCHEDULER)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert not lock.acquire()
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)
        deadline = time.monotonic() + 15
        while not lock.acquire():
            assert time.monotonic() < deadline, "the dead holder's lock was never freed"
            time.sleep(0.05)
    finally:
        holder.kill()
        holder.wait(10)
        lock.release()


@pytest.mark.postgres
@needs_postgres
def test_the_postgres_lock_names_its_holder_and_survives_a_lost_connection(
    pg_engines: Callable[[], Engine],
) -> None:
    engine = pg_engines()
    lock = leader_lock(engine, SCHEDULER)
    assert isinstance(lock, PostgresLock)
    key = lock_key(SCHEDULER) & 0xFFFF_FFFF_FFFF_FFFF  # pg_locks shows it as two oids
    holders = text(
        "SELECT a.pid, a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
        # pg_locks is the whole server's: another database's bot may hold the same key
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND l.classid::bigint = :high AND l.objid::bigint = :low"
    )
    which = {"high": key >> 32, "low": key & 0xFFFF_FFFF}
    try:
        assert lock.acquire()
        with engine.connect() as conn:
            [(pid, name)] = conn.execute(holders, which).all()
            assert name == f"cop-bot leader {os.uname().nodename}:{os.getpid()}"
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(Exception):  # noqa: B017 - the driver's own error: the session is gone
            deadline = time.monotonic() + 10
            while lock.held():
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert lock.acquire()  # nobody took it meanwhile: ours again, on a new connection
        with engine.connect() as conn:
            assert len(conn.execute(holders, which).all()) == 1
    finally:
        lock.release()


@pytest.mark.postgres
@needs_postgres
async def test_a_leader_that_lost_its_lock_to_another_process_steps_down(
    postgres_url: str, pg_engines: Callable[[], Engine]
) -> None:
    ours = Leadership(leader_lock(pg_engines(), SCHEDULER), what="test", retry=0.05, heartbeat=0.05)
    theirs = leader_lock(pg_engines(), SCHEDULER)
    stop = asyncio.Event()
    try:
        assert await ours.lead(stop)
        admin = create_engine(postgres_url)
        with admin.begin() as conn:  # our lock's connection dies ...
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name LIKE 'cop-bot leader%' AND pid <> pg_backend_pid()"
                )
            )
        admin.dispose()
        deadline = time.monotonic() + 10
        while not theirs.acquire():  # ... and another process takes the lock
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        assert await asyncio.wait_for(ours.keep(stop), 15) is True
        assert ours.role == "standby"
    finally:
        theirs.release()
        await ours.release()


# ---- the jobs run in one replica -----------------------------------------------------------------


def replica(db_url: str, clock: FixedClock | None = None) -> App:
    return build_app(Settings(database_url=db_url), clock=clock, migrate=False)


async def test_jobs_run_in_one_replica_and_a_standby_takes_over_when_it_stops(
    db_url: str,
) -> None:
    apps = [replica(db_url), replica(db_url)]
    jobs = [Jobs(app) for app in apps]
    for job in jobs:
        job.leadership.retry = 0.05
        job.start(RecordingOutbox())
    try:
        await until(lambda: sorted(j.leadership.role for j in jobs) == ["leader", "standby"])
        [leader] = [j for j in jobs if j.leadership.role == "leader"]
        [standby] = [j for j in jobs if j is not leader]
        assert leader.scheduler is not None and leader.scheduler.running
        assert standby.scheduler is None
        await leader.stop()
        await until(lambda: standby.scheduler is not None and standby.scheduler.running)
        assert standby.leadership.role == "leader"
    finally:
        for job in jobs:
            await job.stop()
        for app in apps:
            app.engine.dispose()


async def test_a_new_leader_posts_a_digest_that_fell_due_at_once(
    bot: Bot, clock: FixedClock
) -> None:
    """It used to wait for its first tick, a minute after taking over."""
    assert bot.reply("/digest on monday 09:00 tz UTC", as_="root-admin").ok
    assert bot.reply("/digest settings skip-empty: no", as_="root-admin").ok
    clock.advance(timedelta(days=7, minutes=5))  # a Monday 09:00 has passed since
    outbox = RecordingOutbox()
    jobs = Jobs(bot.app)
    jobs.start(outbox)
    try:
        await until(lambda: len(outbox.posted) == 1, seconds=20)
    finally:
        await jobs.stop()


async def test_health_says_whether_this_replica_leads(db_url: str) -> None:
    app = replica(db_url)
    jobs = Jobs(app)
    server = await http.start(http.web_app(app, "slack"), "127.0.0.1", 0)
    try:
        jobs.start(RecordingOutbox())
        await until(lambda: jobs.leadership.role == "leader")
        async with aiohttp.ClientSession() as client, client.get(f"{server.url}/healthz") as got:
            body = await got.json()
        assert body == {
            "ok": True,
            "platform": "slack",
            "database": True,
            "schema": True,
            "scheduler": "leader",
        }
    finally:
        await jobs.stop()
        await server.stop()
        app.engine.dispose()
