"""`/agenda ID [add TEXT]`: the agenda of a session's next occurrence."""

from __future__ import annotations

from cop_bot.core.args import Args
from cop_bot.core.errors import UsageError
from cop_bot.core.i18n import N_, _
from cop_bot.core.model import Block, Code, Context, Header, Item, Reply, Text, reply, spans
from cop_bot.core.router import Ctx, command
from cop_bot.core.wording import mention_of, phrase
from cop_bot.handlers.sessions.common import meeting_named, occurrence_of, viewer_zone
from cop_bot.sessions import meetings

MAX_AGENDA = 500


@command(
    "agenda",
    summary=N_("See or add agenda items for a session's next occurrence."),
    syntax=("ID", "ID add TEXT"),
    examples=(N_("/agenda 1 add Results of the mentoring pilot"), N_("/agenda 1")),
    parse="raw",
)
def agenda(ctx: Ctx, args: Args) -> Reply:
    first, _sep, rest = args.text.partition(" ")
    meeting = meeting_named(ctx, first, _("/agenda 3 add Budget questions"))
    action, _sep, item = rest.strip().partition(" ")
    occ = occurrence_of(ctx, meeting, None)
    if action.lower() == "add":
        item = " ".join(item.split())
        if not 0 < len(item) <= MAX_AGENDA:
            raise UsageError(
                _("Write the agenda item (1 to {limit} characters) after `add`.").format(
                    limit=MAX_AGENDA
                )
            )
        meetings.add_agenda_item(ctx.session, occ, ctx.member, item, ctx.now)
    elif action:
        raise UsageError(_("I don't know `/agenda ID {words}`: use add.").format(words=action[:20]))
    rows = meetings.agenda_items(ctx.session, occ)
    when = meetings.fmt_local(occ.start, viewer_zone(ctx))
    blocks: list[Block] = [
        Header(
            _("Agenda of #{id} {title}, {when}").format(
                id=meeting.id, title=meeting.title, when=when
            )
        )
    ]
    for i, (row, author) in enumerate(rows, 1):
        who = mention_of(author) if author is not None else _("a former member")
        blocks.append(
            Item(title=spans(f"{i}. ", row.text), meta=phrase(_("added by {who}"), who=who))
        )
    if not rows:
        blocks.append(Text.of(_("Nothing on the agenda yet.")))
    add = Code(f"/agenda {meeting.id} add TEXT")
    blocks.append(Context(phrase(_("Add an item with {command}."), command=add)))
    return reply(
        *blocks,
        data={
            "agenda": {
                "session": meeting.id,
                "occurrence": meetings.iso_utc(occ.key),
                "items": [
                    {
                        "text": r.text,
                        "by": a.handle if a else None,
                        "at": meetings.iso_utc(r.created_at),
                    }
                    for r, a in rows
                ],
            }
        },
    )
