"""A generic runner for the bot's periodic jobs, on an APScheduler background thread.

The scheduler only decides *when* a job runs: once at start-up (catch-up, unless the job opts
out), every `interval`, and, for a job with a `next_due` hook, again at the exact time the hook
names (session reminders use it to fire on the minute). It knows nothing about what a job does:
each capability builds its `Job`s (`cop_bot.sessions.reminders.jobs`, `cop_bot.digests.jobs.jobs`)
and the app lists them in one place (`cop_bot.capabilities.capability_jobs`).

Nothing is kept in APScheduler's job store: every job recomputes what is due from the database
and claims it there, so there is nothing to rebuild or to get out of step with the database,
and a restart or a second process never loses or doubles anything. A job that raises is logged
and simply runs again at its next tick.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import (  # type: ignore[import-untyped]
    BackgroundScheduler,
)
from apscheduler.triggers.date import DateTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

from cop_bot.core.clock import Clock

log = logging.getLogger(__name__)

MISFIRE_GRACE = timedelta(minutes=10)
"""How late a delayed tick may still run (deliberate: a tick held up by a busy process still
runs; each job applies its own lateness rules from the database)."""


@dataclass(frozen=True)
class Job:
    """One periodic job. `run(now)` does the work; `next_due(now, horizon)` may name an exact
    time within `horizon` at which it wants to run again, sooner than its next tick."""

    name: str
    run: Callable[[datetime], object]
    interval: timedelta
    next_due: Callable[[datetime, timedelta], datetime | None] | None = None
    catch_up: bool = True
    """Run once as soon as the scheduler starts, for work that fell due while the bot was down."""
    what: str = ""
    """How the log names the job when it fails (default: its name)."""


class Scheduler:
    """Runs `jobs` on a background thread. `cop_bot.capabilities.start_jobs` makes and starts
    one (the adapters call it through `platforms.common.Jobs`); `shutdown()` it on stopping."""

    def __init__(
        self, clock: Clock, jobs: Sequence[Job], *, misfire_grace: timedelta = MISFIRE_GRACE
    ) -> None:
        self.clock = clock
        self.jobs = tuple(jobs)
        self._scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": int(misfire_grace.total_seconds()),
            },
        )

    def start(self) -> None:
        for job in self.jobs:
            self._scheduler.add_job(
                self.tick,
                IntervalTrigger(seconds=int(job.interval.total_seconds()), timezone=UTC),
                args=(job,),
                id=job.name,
                replace_existing=True,
                # catch up on start-up; without it the first run is one interval away
                **({"next_run_time": datetime.now(UTC)} if job.catch_up else {}),
            )
        self._scheduler.start()

    def tick(self, job: Job) -> object:
        """Run `job` once at the clock's now; returns what it returned (None if it failed)."""
        now = self.clock.now()
        try:
            result = job.run(now)
            nxt = job.next_due(now, job.interval) if job.next_due is not None else None
        except Exception:
            log.exception("%s failed; retrying at the next tick", job.what or job.name)
            return None
        if nxt is not None and self._scheduler.running:
            self._scheduler.add_job(
                self.tick,
                DateTrigger(run_date=nxt),
                args=(job,),
                id=f"{job.name}-next",
                replace_existing=True,
            )
        return result

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def shutdown(self, *, wait: bool = True) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=wait)
