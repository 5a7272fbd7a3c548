"""Leading or standing by, on the bot's event loop, with a `LeaderLock` (`storage/leader.py`).

Several replicas of `cop-bot run` share one database; scheduled jobs run in exactly one of them
and a Matrix account is synced by exactly one. `Leadership` tries the lock every `retry` seconds
while another process has it (standby), and while this process has it checks every `heartbeat`
seconds that the lock's connection is still alive. When it is not, the lock is tried again on a
new connection: taken again, nothing changes; refused (another process took over meanwhile),
this process steps down; unknowable (the database is unreachable), it goes on and asks again
at the next heartbeat, since nobody else can take the lock while the database is down.

Every lock call runs on one thread of its own, in order: a call that hangs on a dead network
(bounded by the lock connection's timeouts) delays the next one instead of piling up threads,
and a release can never overtake the acquire before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Literal, TypeVar

from cop_bot.storage.leader import LeaderLock

log = logging.getLogger(__name__)

STANDBY_RETRY = 5.0
"""Seconds between a standby's attempts: how soon a replica takes over from one that died."""
HEARTBEAT = 10.0
"""Seconds between a leader's checks that its lock's connection is alive."""
CALL_TIMEOUT = 30.0
"""How long one lock call may take before it counts as unanswered (the lock connection's own
timeouts end it sooner)."""

Role = Literal["starting", "leader", "standby", "stopped"]
T = TypeVar("T")


class Leadership:
    """One `LeaderLock` on the running loop: `lead` waits until this process holds it,
    `keep` returns when another process has taken it over, `release` gives it back."""

    def __init__(
        self,
        lock: LeaderLock,
        *,
        what: str,
        retry: float = STANDBY_RETRY,
        heartbeat: float = HEARTBEAT,
    ) -> None:
        self.lock = lock
        self.what = what
        self.retry = retry
        self.heartbeat = heartbeat
        self.role: Role = "starting"
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"cop-{lock.name}")
        self._unreachable = False

    async def _call(self, fn: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        return await asyncio.wait_for(loop.run_in_executor(self._thread, fn), CALL_TIMEOUT)

    async def try_lead(self) -> bool | None:
        """One attempt: True when this process leads, False when another does, None when the
        database cannot say (logged once until it answers again)."""
        try:
            got = await self._call(self.lock.acquire)
        except Exception as exc:
            if not self._unreachable:
                log.warning("%s: cannot reach the database to take the lock: %s", self.what, exc)
            self._unreachable = True
            return None
        if self._unreachable:
            log.info("%s: the database answers again", self.what)
        self._unreachable = False
        return got

    async def lead(self, stop: asyncio.Event, on_standby: Callable[[], None] | None = None) -> bool:
        """Wait until this process holds the lock (True) or `stop` is set (False). `on_standby`
        is called once, when another process turns out to have it."""
        while not stop.is_set():
            got = await self.try_lead()
            if got:
                self.role = "leader"
                log.info("%s: this process now leads", self.what)
                return True
            if got is False and self.role != "standby":
                self.role = "standby"
                log.info("%s: another process leads; standing by", self.what)
                if on_standby is not None:
                    on_standby()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.retry)
        return False

    async def keep(self, stop: asyncio.Event) -> bool:
        """While leading: return False when `stop` is set, True when the lock was lost to
        another process (this process must then stop doing what it led)."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.heartbeat)
            if stop.is_set():
                return False
            try:
                if await self._call(self.lock.held):
                    continue
            except Exception as exc:
                log.warning(
                    "%s: the lock's connection was lost (%s); taking it again", self.what, exc
                )
            if await self.try_lead() is False:
                self.role = "standby"
                log.warning("%s: another process took over; this one stops leading", self.what)
                return True
        return False

    async def release(self) -> None:
        """Give the lock back (at once, so a standby takes over without waiting for us to exit)."""
        self.role = "stopped"
        try:
            await self._call(self.lock.release)
        except Exception as exc:  # the connection is gone, and the lock with it
            log.warning("%s: releasing the lock failed: %s", self.what, exc)
        self._thread.shutdown(wait=False)
