"""Commands run in worker processes, so a busy bot uses more than one core.

The engine is pure Python: in threads, every command of a busy workspace waits for the one
interpreter lock, and the bot tops out at one core however many the machine has. With
COP_BOT_ENGINE_PROCESSES=N each command runs `Router.dispatch` in one of N worker processes,
each with its own `App` (engine, router, warm search indexes); the platform's process keeps
the wire protocol, rendering, delivery and the scheduler.

This is safe because the engine keeps nothing between commands that the database does not
hold: search indexes check `Community.directory_version` (and the practices' counterpart) in
each command's own transaction, so a profile saved in one worker is seen by the next search
in any other. Invocations and replies cross the process boundary pickled.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from cop_bot.app import App, build_app
from cop_bot.config import Settings
from cop_bot.core.clock import Clock
from cop_bot.core.model import Invocation, Reply

log = logging.getLogger(__name__)

PARENT_CHECK_SECONDS = 1.0
START_TIMEOUT_SECONDS = 600.0
_app: App | None = None  # the worker process's own App, made by `_start`


def _start(settings: Settings, clock: Clock) -> None:
    """Worker start: build the App and its search indexes before the first command."""
    global _app
    from cop_bot.capabilities import warm_caches
    from cop_bot.logs import setup_logging

    # The same log file as the parent, which alone rotates it, and which already said so if it
    # cannot be opened.
    setup_logging(settings, stderr_level=logging.WARNING, report_unwritable=False, rotate=False)
    parent = os.getppid()
    threading.Thread(target=_exit_with, args=(parent,), name="parent-watch", daemon=True).start()
    _app = build_app(settings, clock=clock, migrate=False)
    warm_caches(_app)


def _exit_with(parent: int) -> None:
    """A killed parent cannot shut its pool down: its workers leave on their own."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)


def _dispatch(invocation: Invocation) -> Reply:
    assert _app is not None, "engine worker not started"
    return _app.router.dispatch(invocation)


def _ready() -> int:
    time.sleep(0.05)  # long enough that the next probe goes to another worker
    return os.getpid()


class EnginePool:
    """`dispatch` in worker processes; falls back to the caller's own router (in a thread) if
    a worker dies, and starts a fresh pool for the next command."""

    def __init__(self, app: App, processes: int) -> None:
        self.app = app
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._warming: ProcessPoolExecutor | None = None
        """A fresh pool still building its indexes, after a worker died: commands run here
        meanwhile rather than wait seconds for it (longer than Slack's ack budget)."""

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.processes,
                # spawn, not fork: the parent runs threads (scheduler, HTTP, SQLite pool)
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start,
                initargs=(self.app.settings, self.app.clock),
            )
        return self._pool

    def start(self, timeout: float = START_TIMEOUT_SECONDS) -> None:
        """Start every worker now and wait until each has built its indexes, so that the first
        commands do not queue behind a warming worker."""
        pool = self._executor()
        seen: set[int] = set()
        deadline = time.monotonic() + timeout
        while len(seen) < self.processes:
            probes: list[Future[int]] = [pool.submit(_ready) for _ in range(self.processes)]
            seen.update(probe.result(max(0.0, deadline - time.monotonic())) for probe in probes)

    async def dispatch(self, invocation: Invocation) -> Reply:
        """The command's reply. If its worker died, the command runs here instead. A command is
        one transaction, so a worker that died before committing leaves nothing behind; a
        worker killed in the instant between its commit and its answer would see the command
        run twice, unless it carries `once` (Slack's requests do): then the second run finds
        the first one's claim and does nothing."""
        loop = asyncio.get_running_loop()
        pool = self._executor()
        if self._warming is pool:
            return await asyncio.to_thread(self.app.router.dispatch, invocation)
        try:
            return await loop.run_in_executor(pool, _dispatch, invocation)
        except BrokenProcessPool:
            if self._pool is pool:  # not a fresh pool another command has started meanwhile
                log.error("engine: a worker process died; starting a new pool")
                self._pool = None
                pool.shutdown(wait=False, cancel_futures=True)
                self._warm_fresh_pool()
            return await asyncio.to_thread(self.app.router.dispatch, invocation)

    def _warm_fresh_pool(self) -> None:
        """Start a new pool's workers now (the first probes spawn them) and let it take
        commands once every one has warmed up, in the background."""
        fresh = self._executor()
        self._warming = fresh
        for _ in range(self.processes):
            fresh.submit(_ready)

        def warm() -> None:
            try:
                self.start()
            except Exception:
                log.exception("engine: the new pool did not start; the next command tries again")
                if self._pool is fresh:
                    self._pool = None
                    fresh.shutdown(wait=False, cancel_futures=True)
            if self._warming is fresh:
                self._warming = None

        threading.Thread(target=warm, name="engine-warm", daemon=True).start()

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
