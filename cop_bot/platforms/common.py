"""Plumbing that Slack and Matrix both need, as plain helpers (no base class): each adapter keeps
its own shape and calls these where it used to write the same thing by hand.

- `Tasks`: work started in the background and kept referenced until done, its failure logged
  (an unreferenced task can be garbage-collected mid-flight, and an exception nobody awaits
  would otherwise vanish).
- `Recent`: a bounded, optionally expiring memory of event ids already handled (platforms
  redeliver; a sync can replay).
- `LogLimit`: at most so many log lines a minute for something a stranger can cause at will
  (a refused request), so a flood of them cannot flood the log.
- `hand_over`: a scheduler thread gives a coroutine to the bot's event loop and waits for it.
- `stop_signals` and `Jobs`: SIGINT/SIGTERM stop the bot; reminders and digests start once it can
  send, in the one replica that holds the scheduler lock, and are shut down off the loop before
  it stops sending.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from cop_bot.app import App
    from cop_bot.core.outbox import Outbox
    from cop_bot.core.scheduler import Scheduler

T = TypeVar("T")
STOP_GRACE = 2.0
"""Seconds a stopping bot waits for its leadership loop before cancelling it."""


class Tasks:
    """Background work of one bot: referenced until done, failures logged as `failed`."""

    def __init__(self, log: logging.Logger, failed: str) -> None:
        self.log = log
        self.failed = failed
        self.pending: set[asyncio.Future[Any]] = set()

    def spawn(self, work: Awaitable[Any]) -> asyncio.Future[Any]:
        task = asyncio.ensure_future(work)
        self.pending.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Future[Any]) -> None:
        self.pending.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            self.log.error(self.failed, exc_info=exc)

    async def wait(self, timeout: float) -> None:
        """Let what is running finish (at most `timeout` s): e.g. replies already acked."""
        if self.pending:
            await asyncio.wait(set(self.pending), timeout=timeout)


class Recent:
    """A bounded set of keys (event ids already handled), forgetting the oldest past `size` and,
    with `seconds`, any older than that."""

    def __init__(self, size: int, seconds: float | None = None) -> None:
        self.size = size
        self.seconds = seconds
        self._seen: OrderedDict[str, float] = OrderedDict()

    def add(self, key: str) -> bool:
        """Remember `key`; False when it was already remembered (a duplicate)."""
        now = time.monotonic()
        if self.seconds is not None:
            while self._seen and next(iter(self._seen.values())) < now - self.seconds:
                self._seen.popitem(last=False)
        if key in self._seen:
            return False
        self._seen[key] = now
        while len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return True

    def forget(self, key: str) -> None:
        """Let `key` count as new again (e.g. an event decrypted late)."""
        self._seen.pop(key, None)


class LogLimit:
    """At most `burst` lines per `period` seconds. What is held back is counted, and the count
    is handed to the first line allowed in a later period, to be said in one line of its own."""

    def __init__(
        self, burst: int, period: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.burst = burst
        self.period = period
        self.clock = clock
        self._started: float | None = None
        self._logged = 0
        self._held = 0

    def allow(self) -> tuple[bool, int]:
        """(may this line be logged, how many were held back before it and not yet said)."""
        now = self.clock()
        held = 0
        if self._started is None or now - self._started >= self.period:
            held, self._held = self._held, 0
            self._started, self._logged = now, 0
        if self._logged < self.burst:
            self._logged += 1
            return True, held
        self._held += 1
        return False, 0


def hand_over(
    coro: Coroutine[Any, Any, T],
    loop: asyncio.AbstractEventLoop,
    *,
    timeout: float,
    on_loop: Callable[[Coroutine[Any, Any, T]], object],
) -> T | None:
    """Run `coro` on `loop` from another thread (a scheduler job) and wait at most `timeout` s
    for its result, so the job knows it was sent (`TimeoutError` otherwise). Called on `loop`
    itself, waiting would deadlock: `on_loop` schedules it instead, and None is returned."""
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        on_loop(coro)
        return None
    return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=timeout)


@contextlib.contextmanager
def stop_signals(stop: Callable[[], None]) -> Iterator[None]:
    """SIGINT and SIGTERM call `stop` while inside (where the loop can take signal handlers:
    not off the main thread, not on Windows)."""
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop)
            handled.append(sig)
    try:
        yield
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)


class Jobs:
    """Reminders and digests of a running bot: they run on the scheduler's threads and reach the
    platform through an outbox that hops onto the bot's loop, so they are shut down off the loop
    (a job may be waiting on it) and before the bot's client closes.

    Several replicas may share the database: the jobs run only in the one that holds the
    scheduler lock (`storage/leader.py`); the others stand by and the first to find the lock
    free takes over, catching up at once on what fell due meanwhile. Every replica warms its
    own search indexes, since every replica answers commands."""

    def __init__(self, app: App, *, warm: bool = True) -> None:
        from cop_bot.platforms.leadership import Leadership
        from cop_bot.storage.leader import SCHEDULER, leader_lock

        self.app = app
        self.warm = warm  # False: the caller warmed the caches already
        self.scheduler: Scheduler | None = None
        self.leadership = Leadership(
            leader_lock(app.engine, SCHEDULER), what="scheduler (reminders, digests)"
        )
        app.router.services[Leadership] = self.leadership  # /healthz tells which replica leads
        self._stop = asyncio.Event()
        self._task: asyncio.Future[None] | None = None

    def start(self, outbox: Outbox) -> None:
        """Warm the caches, then lead or stand by in the background (on the running loop)."""
        import threading

        from cop_bot.capabilities import warm_caches

        if self.warm:
            threading.Thread(
                target=warm_caches, args=(self.app,), name="warm-caches", daemon=True
            ).start()
        self._task = asyncio.ensure_future(self._lead(outbox))

    async def _lead(self, outbox: Outbox) -> None:
        from cop_bot.capabilities import start_jobs

        while await self.leadership.lead(self._stop):
            self.scheduler = start_jobs(self.app, outbox, warm=False)
            lost = await self.leadership.keep(self._stop)
            await self._stop_scheduler()
            if not lost:
                return

    async def _stop_scheduler(self) -> None:
        if self.scheduler is not None:
            scheduler, self.scheduler = self.scheduler, None
            await asyncio.to_thread(scheduler.shutdown, wait=True)

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            task, self._task = self._task, None
            # a lock call in flight may wait on a dead network: do not wait for it to stop
            await asyncio.wait({task}, timeout=STOP_GRACE)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._stop_scheduler()
        await self.leadership.release()


async def serve_with_jobs(
    app: App, outbox: Outbox, stop: asyncio.Event, *, warm: bool = True
) -> None:
    """Start the jobs and serve until `stop` is set (or SIGINT/SIGTERM), then stop the jobs."""
    jobs = Jobs(app, warm=warm)
    jobs.start(outbox)
    try:
        with stop_signals(stop.set):
            await stop.wait()
    finally:
        await jobs.stop()
