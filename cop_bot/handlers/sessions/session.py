"""`/session ID [ics]`: one session with who is coming, or its .ics; `/session cancel|move`
(facilitators) are in `changes`."""

from __future__ import annotations

import re

from cop_bot.core import i18n
from cop_bot.core.args import Args, option_word, unknown_key
from cop_bot.core.errors import UsageError
from cop_bot.core.i18n import N_, _
from cop_bot.core.model import (
    Attachment,
    Block,
    Context,
    Fields,
    Header,
    Mention,
    Reply,
    Spans,
    Text,
    reply,
    spans,
)
from cop_bot.core.router import Ctx, command
from cop_bot.core.wording import mention_of, phrase
from cop_bot.handlers.sessions.changes import change
from cop_bot.handlers.sessions.common import (
    answer_buttons,
    date_option,
    fields,
    meeting_named,
    occurrence_of,
)
from cop_bot.handlers.sessions.listing import times_in
from cop_bot.sessions import calendar, meetings
from cop_bot.storage import repos
from cop_bot.storage.models import Meeting, MeetingRsvp

_DATE_OPT = re.compile(r"(?:^|\s)date:(\d{4}-\d{2}-\d{2})(?=\s|$)")
_LISTED = (("yes", N_("Going")), ("maybe", N_("Maybe")), ("waiting", N_("Waiting list")))


@command(
    "session",
    summary=N_("Show a session with its attendees; get its .ics; facilitators cancel or move it."),
    syntax=(
        "ID",
        "ID ics",
        "cancel ID [occurrence|series] [date:YYYY-MM-DD] [REASON]",
        "move ID [occurrence|series] [date:YYYY-MM-DD] WHEN",
    ),
    examples=(
        N_("/session 1"),
        N_("/session 1 ics"),
        N_("/session move 2 in 3 days at 10:00"),
        N_("/session cancel 1 occurrence date:2027-01-26 Public holiday"),
        N_("/session cancel 2 The speaker is ill"),
    ),
    parse="raw",
)
def session_command(ctx: Ctx, args: Args) -> Reply:
    text = args.text
    day = None
    if m := _DATE_OPT.search(text):
        day = m.group(1)
        text = (text[: m.start()] + " " + text[m.end() :]).strip()
    words = text.split()
    for word in words:
        if (shaped := option_word(word)) is not None:
            if shaped[0] != "date":
                raise unknown_key(shaped[0], ("date",), kind="option")
            date_option(shaped[1])  # a date option that is no date: say how to write one
    action = (words[0] if words else "").lower()
    if action in {"cancel", "move"}:
        return change(ctx, action, words[1:], day)
    meeting = meeting_named(ctx, words[0] if words else None, "/session 3")
    extra = [w.lower() for w in words[1:]]
    if extra in (["ics"], ["ical"], ["calendar"]):
        return _ics(ctx, meeting)
    if extra:
        raise UsageError(
            _("I don't know `/session ID {words}`: use ics.").format(words=" ".join(extra)[:30])
        )
    return _show(ctx, meeting, day)


def _show(ctx: Ctx, meeting: Meeting, day: str | None) -> Reply:
    zone, source = meetings.viewer_zone(ctx.member, ctx.community)
    header = Header(_("Session #{id}: {title}").format(id=meeting.id, title=meeting.title))
    data = {"session": meetings.meeting_json(meeting), "status": meeting.status}
    if meeting.status == meetings.CANCELLED:
        if meeting.cancel_reason:
            said = _("Cancelled: {reason}").format(reason=meeting.cancel_reason)
        else:
            said = _("Cancelled.")
        return reply(header, Fields(fields(meeting, zone)), Text.of(said), data=data)
    occ = occurrence_of(ctx, meeting, day)
    rows = meetings.answers(ctx.session, occ.meeting_id, occ.key)
    handles, shown = _attendees(ctx, rows)
    blocks: list[Block] = [header, Fields(fields(meeting, zone, occ))]
    if meeting.rrule:  # a one-off session's only time is its "When" above
        at = meetings.fmt_local(occ.start, zone, with_utc=True)
        said = _("Next: {when}") if not day else _("On that day: {when}")
        blocks.append(Text.of(*phrase(said, when=at), _(" (moved)") if occ.moved else ""))
    blocks.append(Fields(tuple(_attending(shown[key], _(label)) for key, label in _LISTED)))
    blocks.append(Context(spans(times_in(zone, source))))
    blocks.append(answer_buttons(occ.meeting_id))
    data |= {
        "occurrence": {
            "key": meetings.iso_utc(occ.key),
            "starts_at": meetings.iso_utc(occ.start),
            "attendees": {k: [h for h in v if h] for k, v in handles.items()},
            "counts": meetings.counts(rows),
        }
    }
    return reply(*blocks, data=data)


def _attendees(
    ctx: Ctx, rows: list[MeetingRsvp]
) -> tuple[dict[str, list[str]], dict[str, list[Mention | str]]]:
    """Each answer's members: their handles (for data) and how the reply shows them."""
    members = repos.members_by_id(ctx.session, (r.member_id for r in rows))
    handles: dict[str, list[str]] = {"yes": [], "maybe": [], "waiting": [], "no": []}
    shown: dict[str, list[Mention | str]] = {k: [] for k in handles}
    for r in rows:
        key = "waiting" if r.waitlisted else r.answer
        m = members.get(r.member_id) if r.member_id else None
        handles[key].append(m.handle if m else "")
        shown[key].append(mention_of(m) if m else _("a former member"))
    return handles, shown


def _attending(people: list[Mention | str], label: str) -> tuple[str, Spans]:
    listed: list[Mention | str] = []
    for i, p in enumerate(people):
        listed.extend([", "] if i else [])
        listed.append(p)
    counted = _("{label} ({count})").format(label=label, count=i18n.number(len(people)))
    return counted, spans(*listed) or spans(_("nobody yet"))


def _ics(ctx: Ctx, meeting: Meeting) -> Reply:
    """The .ics as a file: a calendar reads a file, not a message (in a code span on Slack it
    arrived as one line)."""
    text = calendar.meeting_ics(ctx.session, meeting, ctx.community, ctx.now)
    filename = f"session-{meeting.id}.ics"
    return reply(
        Header(_("Calendar file for #{id} {title}").format(id=meeting.id, title=meeting.title)),
        Attachment.of_text(filename, "text/calendar", text, title=f"{meeting.title}.ics"),
        Context(spans(_("Open it with your calendar app to add the session."))),
        data={"ics": text, "filename": filename, "content_type": "text/calendar"},
    )
