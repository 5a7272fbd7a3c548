"""The bot's background work, started by every platform when it starts serving.

Session reminders and weekly digests both recompute what is due from the database on every
tick, so a restart or a second process never loses or doubles anything (see `scheduler` and
`digests.jobs`).
"""

from __future__ import annotations

import logging

from cop_bot.app import App
from cop_bot.digests.jobs import run_due as run_due_digests
from cop_bot.outbox import Outbox
from cop_bot.scheduler import Scheduler

log = logging.getLogger(__name__)
DIGEST_TICK_SECONDS = 60


def start_jobs(app: App, outbox: Outbox) -> Scheduler:
    """Start reminders and digests on a background thread; call `.shutdown()` when stopping."""
    scheduler = Scheduler(app.engine, app.clock, outbox)

    def digests() -> None:
        try:
            report = run_due_digests(app.engine, outbox, app.taxonomy, app.clock.now())
        except Exception:
            log.exception("digest tick failed; retrying at the next tick")
            return
        if report.sent or report.failed or report.missed:
            log.info(
                "digests: %d sent, %d failed, %d missed",
                len(report.sent),
                len(report.failed),
                len(report.missed),
            )

    scheduler.every(DIGEST_TICK_SECONDS, digests, name="digests")
    scheduler.start()
    return scheduler
