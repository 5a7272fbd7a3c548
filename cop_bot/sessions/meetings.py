"""Sessions as data: occurrences of a series, RSVPs with capacity and a waiting list, zones.

An occurrence is keyed by its *original* start (the instance the RRULE gives, in UTC), like an
iCalendar RECURRENCE-ID: answers and agenda items stay attached to it when that one occurrence
is moved. Everything here takes the caller's storage session and never commits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_
from sqlmodel import Session, col, select

from cop_bot.core.errors import UsageError
from cop_bot.core.i18n import _
from cop_bot.core.times import show_datetime, show_days
from cop_bot.sessions.places import end_of, map_url, span_days
from cop_bot.sessions.when import rule_walls, wall_to_utc, zone_named
from cop_bot.storage.models import (
    Community,
    Meeting,
    MeetingAgendaItem,
    MeetingChange,
    MeetingRsvp,
    Member,
)

SCHEDULED = "scheduled"
CANCELLED = "cancelled"
ANSWERS = ("yes", "maybe", "no")


@dataclass(frozen=True)
class Occurrence:
    meeting: Meeting
    key: datetime
    """The original start (UTC): what answers and agenda items are attached to."""
    start: datetime
    cancelled: bool = False
    moved: bool = False
    reason: str | None = None

    @property
    def end(self) -> datetime:
        return end_of(self.meeting, self.start)

    @property
    def meeting_id(self) -> int:
        assert self.meeting.id is not None
        return self.meeting.id


def meeting_zone(s: Meeting) -> ZoneInfo:
    return ZoneInfo(s.timezone)


def rule_starts(s: Meeting, start: datetime, end: datetime) -> list[datetime]:
    """Original starts (UTC) of the session within [start, end]."""
    if s.rrule is None:
        return [s.starts_at] if start <= s.starts_at <= end else []
    zone = meeting_zone(s)
    first = s.starts_at.astimezone(zone).replace(tzinfo=None)
    lo = max(start, s.starts_at).astimezone(zone).replace(tzinfo=None) - timedelta(days=1)
    hi = end.astimezone(zone).replace(tzinfo=None) + timedelta(days=1)
    out = [wall_to_utc(w, zone) for w in rule_walls(s.rrule, first, lo, hi)]
    return [t for t in out if start <= t <= end]


def changes_for(session: Session, ids: Iterable[int]) -> dict[int, list[MeetingChange]]:
    wanted = list(set(ids))
    found: dict[int, list[MeetingChange]] = {i: [] for i in wanted}
    if wanted:
        for row in session.exec(
            select(MeetingChange).where(col(MeetingChange.session_id).in_(wanted))
        ).all():
            found[row.session_id].append(row)
    return found


def occurrences(
    s: Meeting,
    changes: Sequence[MeetingChange],
    start: datetime,
    end: datetime,
    *,
    include_cancelled: bool = False,
) -> list[Occurrence]:
    """Occurrences whose (effective) start lies within [start, end], in time order."""
    if s.status == CANCELLED and not include_cancelled:
        return []
    by_key = {c.original_start: c for c in changes}
    out: list[Occurrence] = []
    for key in rule_starts(s, start, end):
        change = by_key.get(key)
        if change is None:
            out.append(Occurrence(s, key, key, cancelled=s.status == CANCELLED))
        elif change.new_start is None and change.cancelled and include_cancelled:
            out.append(Occurrence(s, key, key, cancelled=True, reason=change.reason))
    for change in changes:  # moved occurrences land wherever they were moved to
        if change.new_start is not None and start <= change.new_start <= end:
            if change.cancelled and not include_cancelled:
                continue
            out.append(
                Occurrence(
                    s,
                    change.original_start,
                    change.new_start,
                    cancelled=change.cancelled or s.status == CANCELLED,
                    moved=True,
                    reason=change.reason,
                )
            )
    return sorted(out, key=lambda o: o.start)


def next_occurrence(
    s: Meeting, changes: Sequence[MeetingChange], after: datetime
) -> Occurrence | None:
    """The next occurrence that has not ended yet, looking up to two years ahead."""
    horizon = after + timedelta(days=740)
    found = occurrences(s, changes, after - longest(s), horizon)
    for occ in found:
        if occ.end > after:
            return occ
    return None


def longest(s: Meeting) -> timedelta:
    """At least as long as any occurrence of `s` lasts (a day may have 25 hours)."""
    if s.days:
        return timedelta(days=s.days, hours=1)
    return timedelta(minutes=s.duration_minutes)


def occurrence_on(
    s: Meeting, changes: Sequence[MeetingChange], day: str, zone: ZoneInfo, now: datetime
) -> Occurrence | None:
    """The occurrence falling on a local date (YYYY-MM-DD) in `zone`."""
    for occ in occurrences(s, changes, now - timedelta(days=1), now + timedelta(days=740)):
        if occ.start.astimezone(zone).date().isoformat() == day:
            return occ
    return None


# ---- zones and formatting ----------------------------------------------------------------------


def viewer_zone(member: Member, community: Community) -> tuple[ZoneInfo, str]:
    """The member's profile zone, else the community's, else UTC, and which one it was."""
    for name, source in ((member.timezone, "your profile"), (community.timezone, "the community")):
        if name:
            try:
                return zone_named(name), source
            except UsageError:  # a stored zone that tzdata no longer knows
                continue
    return ZoneInfo("UTC"), "default"


def fmt_local(at: datetime, zone: ZoneInfo, *, with_utc: bool = False) -> str:
    """`Sat 5 Dec 2026, 15:00 CET (Europe/Brussels) = 14:00 UTC` (`core/times.py`)."""
    text = show_datetime(at, zone, named=True)
    if with_utc and zone.key != "UTC":
        text += at.astimezone(UTC).strftime(" = %H:%M UTC")
    return text


def fmt_when(s: Meeting, start: datetime, zone: ZoneInfo, *, with_utc: bool = False) -> str:
    """When an occurrence starting at `start` happens: `fmt_local`, or for a multi-day session
    its days, `Tue 12 – Wed 13 Jan 2027 (all day)` or `Tue 12 – Wed 13 Jan 2027, from 09:00 CET
    (Europe/Rome)`."""
    if not s.days:
        return fmt_local(start, zone, with_utc=with_utc)
    first, last = span_days(s, start, zone)
    days = show_days(first, last)
    if s.all_day:
        return _("{days} (all day)").format(days=days)
    local = start.astimezone(zone)
    at = f"{local:%H:%M} {local.tzname() or zone.key}"
    if zone.key != "UTC":
        at += f" ({zone.key})"
    return _("{days}, from {time}").format(days=days, time=at)


def iso_utc(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def meeting_json(s: Meeting) -> dict[str, Any]:
    """The session as `--json` data. An in-person, hosted, visit or multi-day session also has
    `location`, `map_url`, `host`, `kind`, `days`, `all_day` and `ends_at` (all of them, so
    its shape is one); an online session of minutes keeps the shape it always had."""
    found = {
        "id": s.id,
        "title": s.title,
        "starts_at": iso_utc(s.starts_at),
        "duration_minutes": s.duration_minutes,
        "timezone": s.timezone,
        "recurrence": s.rrule,
        "link": s.link,
        "channel": s.channel_id,
    }
    if not (s.location or s.host_organisation or s.kind != "session" or s.days):
        return found
    return found | {
        "location": s.location,
        "map_url": map_url(s.location) if s.location else None,
        "host": s.host_organisation,
        "kind": s.kind,
        "days": s.days,
        "all_day": s.all_day,
        "ends_at": iso_utc(end_of(s, s.starts_at)),
    }


# ---- answers -----------------------------------------------------------------------------------


def answers(session: Session, meeting_id: int, key: datetime) -> list[MeetingRsvp]:
    return list(
        session.exec(
            select(MeetingRsvp)
            .where(MeetingRsvp.session_id == meeting_id, MeetingRsvp.occurrence_start == key)
            .order_by(col(MeetingRsvp.answered_at), col(MeetingRsvp.id))
        ).all()
    )


def counts(rows: Iterable[MeetingRsvp]) -> dict[str, int]:
    c: Counter[str] = Counter()
    for r in rows:
        c["waiting" if r.waitlisted else r.answer] += 1
    return {k: c.get(k, 0) for k in ("yes", "maybe", "no", "waiting")}


def counts_for(
    session: Session, pairs: Iterable[tuple[int, datetime]]
) -> dict[tuple[int, datetime], dict[str, int]]:
    wanted = set(pairs)
    ids = {i for i, _ in wanted}
    grouped: dict[tuple[int, datetime], list[MeetingRsvp]] = {p: [] for p in wanted}
    if ids:
        for r in session.exec(
            select(MeetingRsvp).where(col(MeetingRsvp.session_id).in_(ids))
        ).all():
            if (r.session_id, r.occurrence_start) in grouped:
                grouped[(r.session_id, r.occurrence_start)].append(r)
    return {p: counts(rows) for p, rows in grouped.items()}


@dataclass(frozen=True)
class Answered:
    row: MeetingRsvp
    previous: str | None
    promoted: list[MeetingRsvp]


def answer(
    session: Session, occ: Occurrence, member: Member, value: str, *, now: datetime
) -> Answered:
    """Record (or replace) a member's answer; past capacity a yes joins the waiting list, and a
    freed place goes to whoever waited longest."""
    assert member.id is not None
    rows = answers(session, occ.meeting_id, occ.key)
    mine = next((r for r in rows if r.member_id == member.id), None)
    previous = None if mine is None else ("waiting" if mine.waitlisted else mine.answer)
    if mine is not None and mine.answer == value:
        return Answered(mine, previous, [])
    if mine is None:
        mine = MeetingRsvp(
            session_id=occ.meeting_id,
            occurrence_start=occ.key,
            member_id=member.id,
            answer=value,
            answered_at=now,
        )
    mine.answer, mine.answered_at, mine.waitlisted = value, now, False
    if value == "yes" and occ.meeting.capacity is not None:
        taken = sum(1 for r in rows if r.answer == "yes" and not r.waitlisted and r is not mine)
        mine.waitlisted = taken >= occ.meeting.capacity
    session.add(mine)
    session.flush()
    return Answered(mine, previous, promote(session, occ.meeting, occ.key))


@dataclass(frozen=True)
class Withdrawn:
    previous: str | None
    """The answer the member had ("yes", "maybe", "no", or "waiting"), None if none."""
    removed: bool
    promoted: list[MeetingRsvp]


def withdraw(
    session: Session,
    occ: Occurrence,
    member: Member,
    *,
    only: str | None = None,
) -> Withdrawn:
    """Remove a member's answer. With `only`, only if their answer is still that one (removing
    a ✅ reaction must not undo the ❌ given since). A freed place goes to the waiting list."""
    assert member.id is not None
    rows = answers(session, occ.meeting_id, occ.key)
    mine = next((r for r in rows if r.member_id == member.id), None)
    if mine is None:
        return Withdrawn(None, False, [])
    previous = "waiting" if mine.waitlisted else mine.answer
    if only is not None and mine.answer != only:
        return Withdrawn(previous, False, [])
    session.delete(mine)
    session.flush()
    return Withdrawn(previous, True, promote(session, occ.meeting, occ.key))


def promote(session: Session, s: Meeting, key: datetime) -> list[MeetingRsvp]:
    """Move people up from the waiting list while there is room, longest waiting first."""
    assert s.id is not None
    rows = answers(session, s.id, key)
    going = sum(1 for r in rows if r.answer == "yes" and not r.waitlisted)
    room = len(rows) if s.capacity is None else s.capacity - going
    moved: list[MeetingRsvp] = []
    for r in rows:
        if room <= 0:
            break
        if r.answer == "yes" and r.waitlisted:
            r.waitlisted = False
            session.add(r)
            moved.append(r)
            room -= 1
    session.flush()
    return moved


def remap_keys(
    session: Session, s: Meeting, mapping: dict[datetime, datetime], tables: Sequence[Any]
) -> None:
    """After a series moved: carry answers (and the like) to the matching new occurrences."""
    if not mapping:
        return
    for table in tables:
        for row in session.exec(
            select(table).where(
                table.session_id == s.id, col(table.occurrence_start).in_(list(mapping))
            )
        ).all():
            row.occurrence_start = mapping[row.occurrence_start]
            session.add(row)
    session.flush()


def scheduled_occurrences(
    session: Session,
    community_id: int,
    channel: str | None,
    start: datetime,
    end: datetime,
    *,
    group_id: int | None = None,
    hidden_groups: Collection[int] = (),
    hidden_pairs: Collection[int] = (),
) -> list[Occurrence]:
    """The community's (or one channel's, or one group's) scheduled occurrences in [start, end],
    soonest first; none of the `hidden_groups`' sessions (closed groups the viewer is not in)."""
    query = select(Meeting).where(Meeting.community_id == community_id, Meeting.status == SCHEDULED)
    if channel is not None:
        query = query.where(Meeting.channel_id == channel)
    if group_id is not None:
        query = query.where(Meeting.group_id == group_id)
    if hidden_groups:
        query = query.where(
            or_(col(Meeting.group_id).is_(None), col(Meeting.group_id).not_in(list(hidden_groups)))
        )
    if hidden_pairs:  # a mentoring pair's visits: the pair's and its coordinators' only
        query = query.where(
            or_(col(Meeting.pair_id).is_(None), col(Meeting.pair_id).not_in(list(hidden_pairs)))
        )
    found = session.exec(query.order_by(col(Meeting.id))).all()
    changes = changes_for(session, [m.id for m in found if m.id is not None])
    return sorted(
        (o for m in found for o in occurrences(m, changes[m.id or 0], start, end)),
        key=lambda o: (o.start, o.meeting_id),
    )


# ---- agenda ------------------------------------------------------------------------------------


def add_agenda_item(
    session: Session, occ: Occurrence, author: Member, text: str, now: datetime
) -> None:
    session.add(
        MeetingAgendaItem(
            session_id=occ.meeting_id,
            occurrence_start=occ.key,
            author_id=author.id,
            text=text,
            created_at=now,
        )
    )
    session.flush()


def agenda_items(
    session: Session, occ: Occurrence
) -> list[tuple[MeetingAgendaItem, Member | None]]:
    """The occurrence's agenda in the order it was written, each item with its author."""
    return list(
        session.exec(
            select(MeetingAgendaItem, Member)
            .join(Member, col(Member.id) == col(MeetingAgendaItem.author_id), isouter=True)
            .where(
                MeetingAgendaItem.session_id == occ.meeting_id,
                MeetingAgendaItem.occurrence_start == occ.key,
            )
            .order_by(col(MeetingAgendaItem.id))
        ).all()
    )
