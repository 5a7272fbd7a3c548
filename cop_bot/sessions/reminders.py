"""Session reminders, sent exactly once, and the job that sends them.

The database is the source of truth. `send_due_reminders(engine, outbox, now)` works out from
the stored sessions which reminders are due at `now` (`REMINDER_OFFSETS`: 24 hours and 15
minutes before each occurrence, a direct message to everyone who answered yes or maybe (and,
for a group's session, to the group's members who did not say no), with
the time in their own zone and the link; and at the start, a "starting now" post in the
session's channel) and sends each at most once: a `reminder_sent` row, unique per session,
occurrence start and kind, is committed *before* sending (`_claim_reminder`). A second process
on the same database, or a restart, finds the row and sends nothing. A reminder that fell due
while no bot was running is sent if it is at most `GRACE` late, else recorded as skipped and
logged once. If the platform took none of its messages, the row is marked failed and retried
with the digests' backoff (`core.outbox.retry_wait`, at most `MAX_SEND_ATTEMPTS` tries) while
the reminder still makes sense: before the session starts, or within the grace for the
"starting now" post. A refusal for good (the bot is not in the channel) is recorded as refused
with its reason and not retried; `/digest status` in that channel shows it with what to do. A
partly delivered reminder is never repeated, so nobody gets it twice.

`jobs` hands the generic scheduler (`cop_bot.core.scheduler`) one job that runs
`send_due_reminders` every minute and, through `next_due_at`, at the exact time of the next
reminder.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from cop_bot.core import i18n
from cop_bot.core.i18n import _
from cop_bot.core.model import (
    Block,
    Code,
    Context,
    Conversation,
    Link,
    Outgoing,
    Reply,
    Text,
    spans,
)
from cop_bot.core.outbox import MAX_SEND_ATTEMPTS, DeliveryError, Direct, Outbox, retry_wait
from cop_bot.core.scheduler import Job
from cop_bot.core.wording import mention_of, phrase
from cop_bot.groups import rules as group_rules
from cop_bot.sessions import invitees, meetings, places
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import (
    Community,
    CopGroup,
    DigestSubscription,
    Meeting,
    MeetingRsvp,
    Member,
    ReminderSent,
)

log = logging.getLogger(__name__)

REMINDER_OFFSETS: dict[str, timedelta] = {
    "24h": timedelta(hours=24),
    "15m": timedelta(minutes=15),
    "start": timedelta(0),
}
"""Each reminder kind, and how long before an occurrence's start it is due."""
GRACE = timedelta(minutes=10)
"""How late a reminder may still be sent (e.g. it fell due while the bot was restarting)."""
LOOKBACK = timedelta(days=1)
"""How far back missed reminders are looked for, to be recorded as skipped and logged."""
TICK = timedelta(seconds=60)
SENT, SKIPPED, FAILED, REFUSED = "sent", "skipped", "failed", "refused"


@dataclass(frozen=True)
class Due:
    meeting_id: int
    key: datetime
    starts_at: datetime
    kind: str
    due_at: datetime


@dataclass
class ReminderReport:
    sent: list[Due] = field(default_factory=list)
    skipped: list[Due] = field(default_factory=list)
    failed: list[Due] = field(default_factory=list)
    refused: list[Due] = field(default_factory=list)
    messages: int = 0


def jobs(engine: Engine, outbox: Outbox, *, grace: timedelta = GRACE) -> list[Job]:
    """The reminders' job for the scheduler: every `TICK`, and on the minute a reminder is due."""
    return [
        Job(
            name="session-reminders",
            run=lambda now: send_due_reminders(engine, outbox, now, grace=grace),
            interval=TICK,
            next_due=lambda now, horizon: next_due_at(engine, now, horizon),
            what="session reminders",
        )
    ]


def due_reminders(session: Session, start: datetime, end: datetime) -> list[Due]:
    """Every reminder whose due time lies within [start, end], in time order."""
    earliest = REMINDER_OFFSETS["24h"]
    found = session.exec(
        select(Meeting).where(
            Meeting.status == meetings.SCHEDULED,
            Meeting.starts_at <= end + earliest,
            # a one-off session long over owes nothing; a series may still have occurrences
            or_(col(Meeting.rrule).is_not(None), col(Meeting.starts_at) >= start),
        )
    ).all()
    changes = meetings.changes_for(session, [m.id for m in found if m.id is not None])
    out: list[Due] = []
    for m in found:
        assert m.id is not None
        for occ in meetings.occurrences(m, changes[m.id], start, end + earliest):
            for kind, before in REMINDER_OFFSETS.items():
                due_at = occ.start - before
                if start <= due_at <= end:
                    out.append(Due(m.id, occ.key, occ.start, kind, due_at))
    return sorted(out, key=lambda d: (d.due_at, d.meeting_id, d.kind))


def next_due_at(engine: Engine, now: datetime, horizon: timedelta) -> datetime | None:
    with session_scope(engine) as session:
        upcoming = [d for d in due_reminders(session, now, now + horizon) if d.due_at > now]
    return upcoming[0].due_at if upcoming else None


def send_due_reminders(
    engine: Engine,
    outbox: Outbox,
    now: datetime,
    *,
    grace: timedelta = GRACE,
    dry_run: bool = False,
) -> ReminderReport:
    """Send every reminder due at `now` that no process has sent yet. Safe to call any time,
    from any number of processes. `dry_run` reports what is due, and how many messages it
    would send, and claims and sends nothing."""
    report = ReminderReport()
    candidates, created, claimed = _candidates(engine, now)
    for due in candidates:
        late = now - due.due_at
        if due.due_at < created.get(due.meeting_id, due.due_at):
            continue  # scheduled after this reminder would have been due: not owed
        over = due.kind != "start" and now >= due.starts_at
        too_late = late > grace or over
        status = SKIPPED if too_late else SENT
        if dry_run:
            if (due.meeting_id, due.starts_at, due.kind) in claimed:
                continue
            if too_late:
                report.skipped.append(due)
            else:
                report.sent.append(due)
                posts, directs = _messages(engine, due)
                report.messages += len(posts) + len(directs)
            continue
        retry = not over and (due.kind != "start" or late <= grace)  # still worth sending
        claimed_as = _claim_reminder(engine, due, status, now, retry=retry)
        if claimed_as is None:
            continue
        if claimed_as == SKIPPED:
            log.warning(
                "reminder %s for session %s at %s skipped: due %s, %s late (grace %s)",
                due.kind,
                due.meeting_id,
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
        except DeliveryError as exc:
            log.warning(
                "reminder %s for session %s was not delivered: %s", due.kind, due.meeting_id, exc
            )
            if exc.permanent:
                _mark(engine, due, REFUSED, now, exc.reason)
                report.refused.append(due)
            else:
                _mark(engine, due, FAILED, now, str(exc))
                report.failed.append(due)
        except Exception as exc:
            log.exception("reminder %s for session %s failed", due.kind, due.meeting_id)
            _mark(engine, due, FAILED, now, f"{type(exc).__name__}: {exc}")
            report.failed.append(due)
    return report


def _candidates(
    engine: Engine, now: datetime
) -> tuple[list[Due], dict[int | None, datetime], set[tuple[int, datetime, str]]]:
    """The reminders due within the lookback, when each meeting was created, and which
    reminders are already claimed (sent or skipped)."""
    with session_scope(engine) as session:
        candidates = due_reminders(session, now - LOOKBACK, now)
        created = {
            m.id: m.created_at
            for m in session.exec(
                select(Meeting).where(col(Meeting.id).in_({d.meeting_id for d in candidates}))
            ).all()
        }
        claimed = {
            (r.session_id, r.starts_at, r.kind)
            for r in session.exec(
                select(ReminderSent).where(
                    ReminderSent.starts_at >= now - LOOKBACK, ReminderSent.status != FAILED
                )
            ).all()
        }
    return candidates, created, claimed


def _claim_reminder(
    engine: Engine, due: Due, status: str, now: datetime, *, retry: bool
) -> str | None:
    """Insert the reminder's row in a transaction of its own and return its status (send it
    when `sent`, only log it when `skipped`). When the row is already there: None, unless an
    earlier attempt failed, its backoff has passed and `retry` says it is still worth sending;
    then exactly one process turns `failed` back into `sent` (a compare-and-set) and gets
    `sent`."""
    try:
        with session_scope(engine) as session:
            session.add(
                ReminderSent(
                    session_id=due.meeting_id,
                    starts_at=due.starts_at,
                    kind=due.kind,
                    status=status,
                    at=now,
                )
            )
        return status
    except IntegrityError:
        if not retry:
            return None
    with session_scope(engine) as session:
        row = _row(session, due)
        if (
            row is None
            or row.status != FAILED
            or row.attempts >= MAX_SEND_ATTEMPTS
            or now - row.at < retry_wait(row.attempts)
        ):
            return None
        taken = session.execute(
            update(ReminderSent)
            .where(
                col(ReminderSent.id) == row.id,
                col(ReminderSent.status) == FAILED,
                col(ReminderSent.attempts) == row.attempts,
            )
            .values(status=SENT, at=now)
        )
        return SENT if getattr(taken, "rowcount", 0) == 1 else None


def _row(session: Session, due: Due) -> ReminderSent | None:
    return session.exec(
        select(ReminderSent).where(
            ReminderSent.session_id == due.meeting_id,
            ReminderSent.starts_at == due.starts_at,
            ReminderSent.kind == due.kind,
        )
    ).first()


def _mark(engine: Engine, due: Due, status: str, now: datetime, error: str) -> None:
    """A failed or refused attempt: counted, timed (the backoff starts now) and explained."""
    with session_scope(engine) as session:
        row = _row(session, due)
        if row is not None:
            row.status = status
            row.attempts += 1
            row.at = now
            row.last_error = error[:500]
            session.add(row)


def _messages(engine: Engine, due: Due) -> tuple[list[Outgoing], list[Direct]]:
    """The channel posts and direct messages a reminder consists of, built in a read-only
    session (a dry run counts them; a real run sends them)."""
    with session_scope(engine) as session:
        meeting = session.get(Meeting, due.meeting_id)
        community = session.get(Community, meeting.community_id) if meeting is not None else None
        if meeting is None or community is None:
            return [], []
        where = Conversation(community.platform, community.external_id, meeting.channel_id)
        if due.kind == "start":
            with i18n.using(channel_language(session, community, meeting.channel_id)):
                return [_start_post(meeting, where, due)], []
        return [], _direct_reminders(session, meeting, community, where, due)


def _send(engine: Engine, outbox: Outbox, due: Due) -> int:
    """Build the messages, then send them; returns how many went out."""
    posts, directs = _messages(engine, due)
    return _deliver(
        due,
        [
            *(lambda m=m: outbox.post(m) for m in posts),
            *(lambda d=d: outbox.direct(d) for d in directs),
        ],
    )


def channel_language(session: Session, community: Community, channel_id: str) -> str:
    """The language of a post in a channel: its digest subscription's, else the community's."""
    chosen = session.exec(
        select(DigestSubscription.language).where(
            DigestSubscription.community_id == community.id,
            DigestSubscription.channel_id == channel_id,
            col(DigestSubscription.member_id).is_(None),
        )
    ).first()
    return i18n.supported(chosen) or member_language(None, community)


def member_language(member: Member | None, community: Community) -> str:
    """The language of a direct message: the member's, else the community's, else English."""
    own = member.locale if member is not None else None
    return i18n.supported(own) or i18n.supported(community.language) or i18n.DEFAULT


def _join(meeting: Meeting) -> tuple[Block, ...]:
    """Where to go: the place (with its map link) and the link to join, when there are."""
    found: list[Block] = []
    if meeting.location:
        url = places.map_url(meeting.location)
        found.append(
            Text.of(
                *phrase(
                    _("Where: {place} ({map})"), place=meeting.location, map=Link(url, _("map"))
                )
            )
        )
    if meeting.link:
        found.append(Text.of(*phrase(_("Join: {link}"), link=Link(meeting.link))))
    return tuple(found)


def _start_post(meeting: Meeting, where: Conversation, due: Due) -> Outgoing:
    """The "starting now" post in the session's channel, in the session's own zone."""
    zone = meetings.meeting_zone(meeting)
    return Outgoing(
        where,
        Reply(
            blocks=(
                Text.of(
                    *phrase(
                        _("Starting now: #{id} {title}."), id=str(meeting.id), title=meeting.title
                    )
                ),
                *_join(meeting),
                Context(spans(f"{meetings.fmt_local(due.starts_at, zone)}.")),
            ),
            visibility="channel",
            data={"reminder": {"session": meeting.id, "kind": due.kind}},
        ),
        created_at=due.due_at,
        key=f"reminder-{meeting.id}-{due.starts_at:%Y%m%dT%H%M}-{due.kind}",
    )


def _direct_reminders(
    session: Session, meeting: Meeting, community: Community, where: Conversation, due: Due
) -> list[Direct]:
    """A direct message to each member coming (yes or maybe, not waitlisted), in their zone; a
    group's session also reaches the group's members who have not said no (nor are waiting), and
    any session the members invited by name (`with @handle`) who have not said no."""
    members = session.exec(
        select(Member)
        .where(col(Member.id).in_(_invited(session, meeting, due)))
        .order_by(col(Member.id))
    ).all()
    directs: list[Direct] = []
    for m in members:
        with i18n.using(member_language(m, community)):
            directs.append(
                Direct(where, mention_of(m), _direct_reminder(meeting, m, community, due))
            )
    return directs


def _invited(session: Session, meeting: Meeting, due: Due) -> set[int]:
    """The ids of the members a reminder goes to."""
    answers = session.exec(
        select(MeetingRsvp).where(
            MeetingRsvp.session_id == meeting.id, MeetingRsvp.occurrence_start == due.key
        )
    ).all()
    coming = {
        a.member_id
        for a in answers
        if a.member_id is not None and a.answer in {"yes", "maybe"} and not a.waitlisted
    }
    not_coming = {a.member_id for a in answers if a.member_id is not None} - coming
    assert meeting.id is not None
    named = invitees.invitee_ids(session, meeting.id) - not_coming  # `with @handle`
    if meeting.group_id is None:
        return coming | named
    group = session.get(CopGroup, meeting.group_id)
    if group is None:
        return coming | named
    return coming | named | (set(group_rules.member_ids(session, group)) - not_coming)


def _direct_reminder(meeting: Meeting, member: Member, community: Community, due: Due) -> Reply:
    """One member's reminder, in the active language (theirs) and their zone."""
    zone = meetings.viewer_zone(member, community)[0]
    if due.kind == "24h":
        soon = _("Reminder: #{id} {title} starts in 24 hours.")
    else:
        soon = _("Reminder: #{id} {title} starts in 15 minutes.")
    free = _("Can't make it? {command} frees your place.")
    return Reply(
        blocks=(
            Text.of(*phrase(soon, id=str(meeting.id), title=meeting.title)),
            Text.of(meetings.fmt_local(due.starts_at, zone)),
            *_join(meeting),
            Context(phrase(free, command=Code(f"/rsvp {meeting.id} no"))),
        ),
        visibility="dm",
        data={"reminder": {"session": meeting.id, "kind": due.kind}},
    )


def _deliver(due: Due, sends: list[Callable[[], None]]) -> int:
    """Send each message; returns how many went out. Raises only if none did: a permanent
    `DeliveryError` when every refusal was permanent, else the last failure."""
    failures: list[Exception] = []
    for send in sends:
        try:
            send()
        except Exception as exc:
            failures.append(exc)
            log.warning(
                "a %s reminder for session %s was not delivered: %s", due.kind, due.meeting_id, exc
            )
    if failures and len(failures) == len(sends):
        # nobody was reached: the caller marks it failed so a later run may retry it (or
        # refused); after a partial failure we never retry, so nobody gets it twice
        permanent = [f for f in failures if isinstance(f, DeliveryError) and f.permanent]
        raise permanent[0] if len(permanent) == len(failures) else failures[-1]
    return len(sends) - len(failures)
