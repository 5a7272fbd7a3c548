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

    setup_logging(settings, stderr_level=logging.WARNING)  # the same log file as the parent
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
    a worker dies, and warms a fresh pool in the background, the commands meanwhile running in
    the caller's process (no command waits for a worker to start and build its indexes)."""

    def __init__(self, app: App, processes: int) -> None:
        self.app = app
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._replacing = False  # a fresh pool is warming up
        self._closed = False

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
        one transaction, so a worker that died before committing leaves nothing behind; only a
        worker killed in the instant between its commit and its answer would see the command
        run twice."""
        loop = asyncio.get_running_loop()
        if self._replacing:
            return await asyncio.to_thread(self.app.router.dispatch, invocation)
        pool = self._executor()
        try:
            return await loop.run_in_executor(pool, _dispatch, invocation)
        except BrokenProcessPool:
            if self._pool is pool:  # not a fresh pool another command has started meanwhile
                log.error("engine: a worker process died; starting a new pool")
                self._pool = None
                self._replacing = True
                pool.shutdown(wait=False, cancel_futures=True)
                threading.Thread(target=self._replace, name="engine-restart", daemon=True).start()
            return await asyncio.to_thread(self.app.router.dispatch, invocation)

    def _replace(self) -> None:
        """Start and warm a fresh pool off the loop, then let commands use it again."""
        try:
            self.start()
        except (BrokenProcessPool, TimeoutError):
            log.exception("engine: the new worker processes did not start; trying again later")
            self._pool = None
        finally:
            self._replacing = False
        if self._closed:  # shut down while this pool was starting
            self.shutdown()

    def shutdown(self) -> None:
        self._closed = True
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
