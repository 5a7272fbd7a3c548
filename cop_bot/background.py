"""The bot's background work, started by every platform when it starts serving.

Session reminders and weekly digests both recompute what is due from the database on every
tick, so a restart or a second process never loses or doubles anything (see `scheduler` and
`digests.jobs`).
"""

from __future__ import annotations

import logging
import threading

from cop_bot.app import App
from cop_bot.core.outbox import Outbox
from cop_bot.core.scheduler import Scheduler
from cop_bot.digests.jobs import run_due as run_due_digests

log = logging.getLogger(__name__)
DIGEST_TICK_SECONDS = 60


def warm_caches(app: App) -> None:
    """Build the search indexes before the first member asks (seconds at 100k members)."""
    from sqlmodel import select

    from cop_bot.experts.directory import Directory
    from cop_bot.practices.search import PracticeSearch
    from cop_bot.storage.db import session_scope
    from cop_bot.storage.models import Community

    services = app.router.services
    directory = services.setdefault(Directory, Directory())
    practices = services.setdefault(PracticeSearch, PracticeSearch())
    assert isinstance(directory, Directory) and isinstance(practices, PracticeSearch)
    try:
        with session_scope(app.engine) as session:
            for community in session.exec(select(Community)).all():
                directory.index(session, community, app.clock.now())
                practices.index(session, community)
    except Exception:
        log.exception("warming the search indexes failed; they will be built on first use")


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
    threading.Thread(target=warm_caches, args=(app,), name="warm-caches", daemon=True).start()
    return scheduler
