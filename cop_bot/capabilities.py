"""The one place that lists what each capability gives the running bot besides its commands
(those are listed in `cop_bot/handlers/__init__.py`): its privacy sections, its background jobs
and its search indexes to warm. No plugin loader: a new capability adds its lines here.

Privacy: a capability that stores anything about a member declares a `PrivacySection` next to
its tables; `tests/test_privacy.py` fails while a column with a foreign key to `member.id` is
claimed by no section. Jobs: the generic scheduler (`cop_bot.core.scheduler`) runs them; session
reminders and weekly digests both recompute what is due from the database on every tick and
claim it there, so a restart or a second process never loses or doubles anything (see
`sessions.reminders` and `digests.jobs`).
"""

from __future__ import annotations

import gc
import logging
import threading
from typing import TYPE_CHECKING

from cop_bot.answers.privacy import ANSWERS
from cop_bot.core.outbox import Outbox
from cop_bot.core.privacy import PrivacySection
from cop_bot.digests.privacy import DIGESTS
from cop_bot.experts.privacy import PROFILE, QUESTIONS, ROLES
from cop_bot.groups.privacy import GROUPS
from cop_bot.insights.privacy import ACTIVITY
from cop_bot.mentoring.privacy import MENTORING
from cop_bot.practices.privacy import PRACTICES
from cop_bot.sessions.privacy import SESSIONS

if TYPE_CHECKING:
    from cop_bot.app import App
    from cop_bot.core.scheduler import Job, Scheduler

log = logging.getLogger(__name__)


def privacy_sections() -> tuple[PrivacySection, ...]:
    """Every capability's part of `/profile export` and `/profile delete`, in export order."""
    return (
        PROFILE, ROLES, QUESTIONS, ANSWERS, PRACTICES, SESSIONS, DIGESTS, GROUPS, MENTORING,
        ACTIVITY,
    )  # fmt: skip


def warm_caches(app: App) -> None:
    """Build the search indexes before the first member asks (seconds at 100k members), and
    the country and language name tables (`lang:fr`, `country: Italy`): babel's data for
    every language, about a second, which the first commands would otherwise build at once in
    several threads."""
    from sqlmodel import select

    from cop_bot.experts.directory import Directory
    from cop_bot.experts.profiles import country_name, language_name
    from cop_bot.practices.search import PracticeSearch
    from cop_bot.storage.db import session_scope
    from cop_bot.storage.models import Community

    services = app.router.services
    directory = services.setdefault(Directory, Directory())
    practices = services.setdefault(PracticeSearch, PracticeSearch())
    assert isinstance(directory, Directory) and isinstance(practices, PracticeSearch)
    language_name("en")
    country_name("IT")
    try:
        with session_scope(app.engine) as session:
            for community in session.exec(select(Community)).all():
                directory.index(session, community, app.clock.now())
                practices.index(session, community)
    except Exception:
        log.exception("warming the search indexes failed; they will be built on first use")
    # The indexes and tables just built live until exit: frozen, a full collection no longer
    # walks them (with them in the heap, one paused every thread for 74-85 ms, once in about
    # 6,000 library pages), as the directory's index already is.
    gc.freeze()


def capability_jobs(app: App, outbox: Outbox) -> list[Job]:
    """Every capability's background jobs. A new capability with jobs adds its line here.
    (Imported here, not at the top: `/profile` needs the privacy sections above, and a command
    should not load the scheduler.)"""
    from cop_bot.core.slash import SlashOutbox
    from cop_bot.digests import jobs as digests
    from cop_bot.escalation import jobs as escalation
    from cop_bot.mentoring import jobs as mentoring
    from cop_bot.sessions import reminders

    outbox = SlashOutbox(outbox, app.router.registry.slash)  # `/rsvp` as members type it
    return [
        *reminders.jobs(app.engine, outbox),
        *digests.jobs(app.engine, outbox, app.taxonomy, app.settings.public_url),
        *mentoring.jobs(app.engine, outbox, app.taxonomy),
        *escalation.jobs(app.engine, outbox),
    ]


def start_jobs(app: App, outbox: Outbox, *, warm: bool = True) -> Scheduler:
    """Start every job on a background thread; call `.shutdown()` when stopping. `warm` also
    builds the search indexes in the background (a replica that takes over the jobs later has
    warmed its own at start-up already)."""
    from cop_bot.core.scheduler import Scheduler

    scheduler = Scheduler(app.clock, capability_jobs(app, outbox))
    scheduler.start()
    if warm:
        threading.Thread(target=warm_caches, args=(app,), name="warm-caches", daemon=True).start()
    return scheduler
