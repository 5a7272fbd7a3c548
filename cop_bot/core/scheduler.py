"""Session reminders, and the APScheduler wiring that runs them (and other periodic jobs).

The database is the source of truth. `run_due(engine, outbox, now)` works out from the stored
sessions which reminders are due at `now` — 24 hours and 15 minutes before each occurrence
(a direct message to everyone who answered yes or maybe, with the time in their own zone and
the link) and at the start (a "starting now" post in the session's channel) — and sends each
at most once: a `reminder_sent` row, unique per session, occurrence start and kind, is
committed *before* sending. A second process on the same database, or a restart, finds the row
and sends nothing. A reminder that fell due while no bot was running is sent if it is at most
`GRACE` late, else recorded as skipped and logged once. If the platform reached nobody (it was
down), the row is marked failed and a later run within the grace retries; a partly delivered
reminder is never repeated, so nobody gets it twice.

`Scheduler` only decides *when* to call `run_due`: at start-up (catch-up), every
`interval_seconds`, and at the exact time of the next reminder. Nothing is kept in APScheduler's
job store, so there is nothing to rebuild or to get out of step with the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import (  # type: ignore[import-untyped]
    BackgroundScheduler,
)
from apscheduler.triggers.date import DateTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]
from sqlalchemy import Engine, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from cop_bot.core.clock import Clock
from cop_bot.core.model import (
    Code,
    Context,
    Conversation,
    Link,
    Outgoing,
    Reply,
    Text,
    spans,
)
from cop_bot.core.outbox import Direct, Outbox
from cop_bot.core.wording import mention_of
from cop_bot.sessions import meetings as S
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import Community, Meeting, MeetingRsvp, Member, ReminderSent

log = logging.getLogger(__name__)

KINDS: dict[str, timedelta] = {
    "24h": timedelta(hours=24),
    "15m": timedelta(minutes=15),
    "start": timedelta(0),
}
GRACE = timedelta(minutes=10)
"""How late a reminder may still be sent (e.g. it fell due while the bot was restarting)."""
LOOKBACK = timedelta(days=1)
"""How far back missed reminders are looked for, to be recorded as skipped and logged."""


@dataclass(frozen=True)
class Due:
    session_id: int
    key: datetime
    starts_at: datetime
    kind: str
    due_at: datetime


@dataclass
class RunReport:
    sent: list[Due] = field(default_factory=list)
    skipped: list[Due] = field(default_factory=list)
    failed: list[Due] = field(default_factory=list)
    messages: int = 0


def due_reminders(session: Session, start: datetime, end: datetime) -> list[Due]:
    """Every reminder whose due time lies within [start, end], in time order."""
    found = session.exec(
        select(Meeting).where(
            Meeting.status == S.SCHEDULED,
            Meeting.starts_at <= end + KINDS["24h"],
            # a one-off session long over owes nothing; a series may still have occurrences
            or_(col(Meeting.rrule).is_not(None), col(Meeting.starts_at) >= start),
        )
    ).all()
    changes = S.changes_for(session, [s.id for s in found if s.id is not None])
    out: list[Due] = []
    for s in found:
        assert s.id is not None
        for occ in S.occurrences(s, changes[s.id], start, end + KINDS["24h"]):
            for kind, before in KINDS.items():
                due_at = occ.start - before
                if start <= due_at <= end:
                    out.append(Due(s.id, occ.key, occ.start, kind, due_at))
    return sorted(out, key=lambda d: (d.due_at, d.session_id, d.kind))


def next_due_at(engine: Engine, now: datetime, horizon: timedelta) -> datetime | None:
    with session_scope(engine) as session:
        upcoming = [d for d in due_reminders(session, now, now + horizon) if d.due_at > now]
    return upcoming[0].due_at if upcoming else None


def run_due(
    engine: Engine,
    outbox: Outbox,
    now: datetime,
    *,
    grace: timedelta = GRACE,
    dry_run: bool = False,
) -> RunReport:
    """Send every reminder due at `now` that no process has sent yet. Safe to call any time,
    from any number of processes. `dry_run` reports what is due and claims nothing."""
    report = RunReport()
    with session_scope(engine) as session:
        candidates = due_reminders(session, now - LOOKBACK, now)
        created = {
            s.id: s.created_at
            for s in session.exec(
                select(Meeting).where(col(Meeting.id).in_({d.session_id for d in candidates}))
            ).all()
        }
        claimed = {
            (r.session_id, r.starts_at, r.kind)
            for r in session.exec(
                select(ReminderSent).where(
                    ReminderSent.starts_at >= now - LOOKBACK, ReminderSent.status != "failed"
                )
            ).all()
        }
    for due in candidates:
        late = now - due.due_at
        if due.due_at < created.get(due.session_id, due.due_at):
            continue  # scheduled after this reminder would have been due: not owed
        too_late = late > grace or (due.kind != "start" and now >= due.starts_at)
        status = "skipped" if too_late else "sent"
        if dry_run:
            if (due.session_id, due.starts_at, due.kind) not in claimed:
                (report.skipped if too_late else report.sent).append(due)
            continue
        if not _claim(engine, due, status, now):
            continue
        if too_late:
            log.warning(
                "reminder %s for session %s at %s skipped: due %s, %s late (grace %s)",
                due.kind,
                due.session_id,
                due.starts_at.isoformat(),
                due.due_at.isoformat(),
                late,
                grace,
            )
            report.skipped.append(due)
            continue
        try:
            report.messages += _send(engine, outbox, due)
            report.sent.append(due)
        except Exception:
            log.exception("reminder %s for session %s failed", due.kind, due.session_id)
            _mark(engine, due, "failed")
            report.failed.append(due)
    return report


def _claim(engine: Engine, due: Due, status: str, now: datetime) -> bool:
    """Insert the reminder's row in a transaction of its own; False if it is already there,
    unless an earlier attempt failed (the platform was unreachable) and this one may retry:
    then exactly one process turns `failed` back into `sent` and tries again."""
    try:
        with session_scope(engine) as session:
            session.add(
                ReminderSent(
                    session_id=due.session_id,
                    starts_at=due.starts_at,
                    kind=due.kind,
                    status=status,
                    at=now,
                )
            )
        return True
    except IntegrityError:
        if status != "sent":
            return False
    with session_scope(engine) as session:
        taken = session.execute(
            update(ReminderSent)
            .where(
                col(ReminderSent.session_id) == due.session_id,
                col(ReminderSent.starts_at) == due.starts_at,
                col(ReminderSent.kind) == due.kind,
                col(ReminderSent.status) == "failed",
            )
            .values(status="sent", at=now)
        )
        return bool(getattr(taken, "rowcount", 0) == 1)


def _mark(engine: Engine, due: Due, status: str) -> None:
    with session_scope(engine) as session:
        row = session.exec(
            select(ReminderSent).where(
                ReminderSent.session_id == due.session_id,
                ReminderSent.starts_at == due.starts_at,
                ReminderSent.kind == due.kind,
            )
        ).first()
        if row is not None:
            row.status = status
            session.add(row)


def _send(engine: Engine, outbox: Outbox, due: Due) -> int:
    """Build the messages in a read-only session, then send them; returns how many."""
    with session_scope(engine) as session:
        s = session.get(Meeting, due.session_id)
        community = session.get(Community, s.community_id) if s is not None else None
        if s is None or community is None:
            return 0
        where = Conversation(community.platform, community.external_id, s.channel_id)
        key = f"reminder-{s.id}-{due.starts_at:%Y%m%dT%H%M}-{due.kind}"
        if due.kind == "start":
            zone = S.session_zone(s)
            message = Outgoing(
                where,
                Reply(
                    blocks=(
                        Text.of(f"Starting now: #{s.id} ", s.title, "."),
                        *((Text.of("Join: ", Link(s.link)),) if s.link else ()),
                        Context(spans(f"{S.fmt_local(due.starts_at, zone)}.")),
                    ),
                    visibility="channel",
                    data={"reminder": {"session": s.id, "kind": due.kind}},
                ),
                created_at=due.due_at,
                key=key,
            )
            outgoing: list[Outgoing] = [message]
            directs: list[Direct] = []
        else:
            outgoing, directs = [], []
            members = session.exec(
                select(Member)
                .join(MeetingRsvp, col(MeetingRsvp.member_id) == col(Member.id))
                .where(
                    MeetingRsvp.session_id == s.id,
                    MeetingRsvp.occurrence_start == due.key,
                    col(MeetingRsvp.answer).in_(["yes", "maybe"]),
                    col(MeetingRsvp.waitlisted).is_(False),
                )
                .order_by(col(Member.id))
            ).all()
            soon = "in 24 hours" if due.kind == "24h" else "in 15 minutes"
            for m in members:
                zone = S.viewer_zone(m, community)[0]
                directs.append(
                    Direct(
                        where,
                        mention_of(m),
                        Reply(
                            blocks=(
                                Text.of(f"Reminder: #{s.id} ", s.title, f" starts {soon}."),
                                Text.of(S.fmt_local(due.starts_at, zone)),
                                *((Text.of("Join: ", Link(s.link)),) if s.link else ()),
                                Context(
                                    spans(
                                        "Can't make it? ",
                                        Code(f"/rsvp {s.id} no"),
                                        " frees your place.",
                                    )
                                ),
                            ),
                            visibility="dm",
                            data={"reminder": {"session": s.id, "kind": due.kind}},
                        ),
                    )
                )
    sends: list[Callable[[], None]] = [
        *(lambda m=m: outbox.post(m) for m in outgoing),
        *(lambda d=d: outbox.direct(d) for d in directs),
    ]
    failures: list[Exception] = []
    for send in sends:
        try:
            send()
        except Exception as exc:
            failures.append(exc)
            log.warning("a %s reminder for session %s was not delivered: %s", due.kind, s.id, exc)
    if failures and len(failures) == len(sends):
        # nobody was reached: the caller marks it failed so a later run may retry it; after a
        # partial failure we never retry, so nobody gets the same reminder twice
        raise failures[-1]
    return len(sends) - len(failures)


Job = Callable[[], object]


class Scheduler:
    """Runs `run_due` on a background thread: at start-up, every `interval_seconds`, and at
    the exact due time of the next reminder. Platform adapters create one with their outbox,
    `start()` it when they start serving and `shutdown()` it when they stop. Other periodic
    jobs (digests) can be added with `every`.
    """

    REMINDERS = "session-reminders"
    NEXT = "session-reminders-next"

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        outbox: Outbox,
        *,
        interval_seconds: int = 60,
        grace: timedelta = GRACE,
    ) -> None:
        self.engine, self.clock, self.outbox = engine, clock, outbox
        self.interval = timedelta(seconds=interval_seconds)
        self.grace = grace
        self._scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                # deliberate: a tick delayed by a busy process still runs (the reminder grace
                # itself is applied by run_due, from the database)
                "misfire_grace_time": int(grace.total_seconds()),
            },
        )

    def start(self) -> None:
        self._scheduler.add_job(
            self.tick,
            IntervalTrigger(seconds=int(self.interval.total_seconds()), timezone=UTC),
            id=self.REMINDERS,
            replace_existing=True,
            next_run_time=datetime.now(UTC),  # catch up on start-up
        )
        self._scheduler.start()

    def every(self, seconds: int, job: Job, *, name: str) -> None:
        self._scheduler.add_job(
            job, IntervalTrigger(seconds=seconds, timezone=UTC), id=name, replace_existing=True
        )

    def tick(self) -> RunReport:
        now = self.clock.now()
        try:
            report = run_due(self.engine, self.outbox, now, grace=self.grace)
            nxt = next_due_at(self.engine, now, self.interval)
        except Exception:
            log.exception("session reminders failed; retrying at the next tick")
            return RunReport()
        if nxt is not None and self._scheduler.running:
            self._scheduler.add_job(
                self.tick, DateTrigger(run_date=nxt), id=self.NEXT, replace_existing=True
            )
        return report

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def shutdown(self, *, wait: bool = True) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=wait)
