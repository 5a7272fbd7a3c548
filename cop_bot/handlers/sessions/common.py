"""What the session commands share: finding a session and its occurrence, the viewer's zone,
the fields and answer buttons of a session, and notices to the members who answered."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal
from zoneinfo import ZoneInfo

from cop_bot.core import i18n
from cop_bot.core.args import parse_id
from cop_bot.core.errors import CommandError, UsageError
from cop_bot.core.i18n import N_, _, n_
from cop_bot.core.model import Actions, Block, Button, Link, Notice, Role, Spans, spans
from cop_bot.core.router import Ctx
from cop_bot.core.wording import mention_of
from cop_bot.groups import rules as group_rules
from cop_bot.mentoring import visits
from cop_bot.sessions import meetings, places
from cop_bot.sessions.meetings import Occurrence
from cop_bot.storage.models import Meeting, Member


def viewer_zone(ctx: Ctx) -> ZoneInfo:
    return meetings.viewer_zone(ctx.member, ctx.community)[0]


def meeting_named(ctx: Ctx, text: str | None, example: str) -> Meeting:
    """The community's session numbered `text`, else a helpful error. A closed group's session
    is there for its members and admins only: to anyone else it does not exist."""
    number = parse_id(text, "session", example)
    found = ctx.session.get(Meeting, number)
    hidden = (
        found is not None
        and found.group_id is not None
        and found.group_id
        in group_rules.hidden_groups(
            ctx.session, ctx.community_id, ctx.member, admin=ctx.has(Role.ADMIN)
        )
    )
    if found is not None and found.pair_id is not None and not hidden:
        hidden = found.pair_id in visits.hidden_pairs(
            ctx.session, ctx.community_id, ctx.member, sees_all=ctx.has(Role.FACILITATOR)
        )
    if found is None or found.community_id != ctx.community_id or hidden:
        raise CommandError(
            _("There is no session #{id}.").format(id=number), hint=_("See `/sessions all`.")
        )
    return found


def occurrence_of(ctx: Ctx, meeting: Meeting, day: str | None) -> Occurrence:
    """The occurrence on `day` (in the viewer's zone), else the next one."""
    changes = meetings.changes_for(ctx.session, [meeting.id or 0])[meeting.id or 0]
    if meeting.status == meetings.CANCELLED:
        raise CommandError(_("Session #{id} is cancelled.").format(id=meeting.id))
    if day is not None:
        occ = meetings.occurrence_on(meeting, changes, day, viewer_zone(ctx), ctx.now)
        if occ is None:
            raise CommandError(
                _("Session #{id} has no occurrence on {day}.").format(id=meeting.id, day=day)
            )
        return occ
    occ = meetings.next_occurrence(meeting, changes, ctx.now)
    if occ is None:
        raise CommandError(_("Session #{id} is over.").format(id=meeting.id))
    return occ


def date_option(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise UsageError(_("Give the occurrence's date as `date:YYYY-MM-DD`."))
    return value


def fields(
    meeting: Meeting, zone: ZoneInfo, occurrence: Occurrence | None = None
) -> tuple[tuple[str, Spans], ...]:
    """A session's facts. A one-off session has one time, "When" (its occurrence's, when
    given); a series shows its "First" occurrence here and the one asked about elsewhere."""
    if meeting.rrule:
        when = (_("First"), spans(meetings.fmt_local(meeting.starts_at, zone, with_utc=True)))
    else:
        start = occurrence.start if occurrence is not None else meeting.starts_at
        moved = _(" (moved)") if occurrence is not None and occurrence.moved else ""
        shown = meetings.fmt_when(meeting, start, zone, with_utc=True)
        when = (_("When"), spans(shown, moved))
    minutes = meeting.duration_minutes
    if meeting.days:
        length = n_(meeting.days, "{count} day", "{count} days")
    else:
        length = n_(minutes, "{count} minute", "{count} minutes")
    pairs: list[tuple[str, Spans]] = [when, (_("Duration"), spans(length))]
    pairs.extend(place_fields(meeting))
    if meeting.rrule:
        repeats = _("{rule} ({zone} time)").format(
            rule=rule_text(meeting.rrule), zone=meeting.timezone
        )
        pairs.append((_("Repeats"), spans(repeats)))
    if meeting.link:
        pairs.append((_("Link"), spans(Link(meeting.link))))
    if meeting.capacity:
        pairs.append((_("Places"), spans(i18n.number(meeting.capacity))))
    return tuple(pairs)


def place_spans(meeting: Meeting) -> Spans:
    """`Palazzo Marino, Milan (map)`: the place as typed, with its OpenStreetMap search link."""
    if not meeting.location:
        return spans()
    url = places.map_url(meeting.location)
    return spans(meeting.location, " (", Link(url, _("map")), ")")


def place_fields(meeting: Meeting) -> tuple[tuple[str, Spans], ...]:
    """Where an in-person session is, who hosts it, and that it is a visit."""
    pairs: list[tuple[str, Spans]] = []
    if meeting.kind == "visit":
        pairs.append((_("Kind"), spans(_("Visit"))))
    if meeting.location:
        pairs.append((_("Place"), place_spans(meeting)))
    if meeting.host_organisation:
        pairs.append((_("Host"), spans(meeting.host_organisation)))
    return tuple(pairs)


def rule_text(rule: str) -> str:
    """An RRULE the way a member would say it, in their language: `every 2 weeks`, `every
    month on the first Tuesday`."""
    parts = dict(p.split("=", 1) for p in rule.split(";") if "=" in p)
    n = int(parts.get("INTERVAL", "1")) if parts.get("INTERVAL", "1").isdigit() else 1
    freq = parts.get("FREQ", "")
    text = _every(freq, n)
    if "BYDAY" in parts and freq == "MONTHLY":
        m = re.fullmatch(r"([+-]?\d)([A-Z]{2})", parts["BYDAY"])
        if m and m.group(2) in RRULE_DAYS:
            days = i18n.locale().days["format"]["wide"]
            weekday = str(days[RRULE_DAYS.index(m.group(2))])
            which = _ON_THE.get(int(m.group(1)))
            if which is None:
                return text + f" on the {m.group(1)} {weekday}"
            return _(which).format(every=text, weekday=weekday)
    return text


RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_ON_THE = {
    1: N_("{every} on the first {weekday}"),
    2: N_("{every} on the second {weekday}"),
    3: N_("{every} on the third {weekday}"),
    4: N_("{every} on the fourth {weekday}"),
    -1: N_("{every} on the last {weekday}"),
}
"""The monthly day of a series: `{every}` is `every month` or `every 2 months`."""


def _every(freq: str, n: int) -> str:
    """`every week`, `every 2 weeks`, `every day`, `every 3 months`."""
    if freq == "DAILY":
        return n_(n, "every {count} day", "every {count} days") if n > 1 else _("every day")
    if freq == "WEEKLY":
        return n_(n, "every {count} week", "every {count} weeks") if n > 1 else _("every week")
    if freq == "MONTHLY":
        return n_(n, "every {count} month", "every {count} months") if n > 1 else _("every month")
    return f"every {n} s" if n > 1 else "every "


_BUTTONS: tuple[tuple[str, str, Literal["default", "primary"]], ...] = (
    (N_("Yes"), "yes", "primary"),
    (N_("Maybe"), "maybe", "default"),
    (N_("No"), "no", "default"),
    (N_("Withdraw"), "withdraw", "default"),
)
"""Each answer button: its label (translated where shown), the answer it types, its style."""


def answer_buttons(meeting_id: int) -> Actions:
    """The buttons type the English answers (`/rsvp 3 yes`): commands are the API."""
    return Actions(
        tuple(
            Button(_(label), f"/rsvp {meeting_id} {answer}", style)
            for label, answer, style in _BUTTONS
        )
    )


def notices(
    ctx: Ctx, members: list[Member], build: Callable[[ZoneInfo], tuple[Block, ...]]
) -> list[Notice]:
    """One notice per member, built in their own zone and their own language."""
    out = []
    for m in members:
        with ctx.writing_to(m):
            blocks = build(meetings.viewer_zone(m, ctx.community)[0])
            out.append(Notice(to=mention_of(m), blocks=blocks))
    return out
