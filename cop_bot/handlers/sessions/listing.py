"""`/sessions [all]`: the coming sessions in the viewer's zone; `/sessions feed [reset]`: the
channel's private calendar address."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cop_bot.core.args import Args
from cop_bot.core.errors import UsageError
from cop_bot.core.model import Block, Code, Context, Header, Item, Reply, Role, Text, reply, spans
from cop_bot.core.router import Ctx, command
from cop_bot.sessions import calendar, meetings
from cop_bot.sessions.meetings import Occurrence

LIST_DAYS = 30
LIST_LIMIT = 20


@command(
    "sessions",
    summary="Upcoming sessions of this channel (or all), in your time zone; the calendar feed.",
    syntax=("[all]", "feed", "feed reset"),
    examples=("/sessions", "/sessions all", "/sessions feed"),
)
def sessions_command(ctx: Ctx, args: Args) -> Reply:
    first = (args.word(0) or "").lower()
    if first == "feed":
        return _feed(ctx, reset=(args.word(1) or "").lower() == "reset")
    if first not in {"", "all"}:
        raise UsageError(f"I don't know `/sessions {first[:30]}`: use all or feed.")
    channel = None if first == "all" else ctx.invocation.conversation.channel_id
    occs = meetings.scheduled_occurrences(
        ctx.session, ctx.community_id, channel, ctx.now, ctx.now + timedelta(days=LIST_DAYS)
    )
    zone, source = meetings.viewer_zone(ctx.member, ctx.community)
    tally = meetings.counts_for(ctx.session, [(o.meeting_id, o.key) for o in occs])
    where = "in this community" if first == "all" else "in this channel"
    blocks: list[Block] = [Header(f"Sessions in the next {LIST_DAYS} days {where}")]
    items = []
    for o in occs:
        blocks.append(_item(o, tally[(o.meeting_id, o.key)], zone))
        items.append(_item_json(o, tally[(o.meeting_id, o.key)], zone))
    if not occs:
        blocks.append(Text.of("No sessions are planned yet."))
    del blocks[LIST_LIMIT + 1 :]
    more = len(occs) - LIST_LIMIT
    blocks.append(
        Context(
            spans(
                f"Times in {zone.key} ({source}). "
                + (f"{more} more not shown. " if more > 0 else "")
                + "Answer with ",
                Code("/rsvp ID yes"),
                "; details with ",
                Code("/session ID"),
                ".",
            )
        )
    )
    return reply(*blocks, data={"timezone": zone.key, "sessions": items})


def _item(o: Occurrence, c: dict[str, int], zone: ZoneInfo) -> Item:
    places = f" of {o.meeting.capacity}" if o.meeting.capacity else ""
    waiting = f", {c['waiting']} waiting" if c["waiting"] else ""
    return Item(
        title=spans(f"#{o.meeting_id} ", o.meeting.title),
        body=spans(meetings.fmt_local(o.start, zone) + (" (moved)" if o.moved else "")),
        meta=spans(f"{c['yes']}{places} yes, {c['maybe']} maybe{waiting}"),
    )


def _item_json(o: Occurrence, c: dict[str, int], zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": o.meeting_id,
        "title": o.meeting.title,
        "starts_at": meetings.iso_utc(o.start),
        "local_start": o.start.astimezone(zone).isoformat(),
        "channel": o.meeting.channel_id,
        "capacity": o.meeting.capacity,
        "rsvp": c,
    }


def _feed(ctx: Ctx, *, reset: bool) -> Reply:
    if reset:
        ctx.require(Role.FACILITATOR, "reset a channel's calendar feed")
    channel = ctx.invocation.conversation.channel_id
    feed = calendar.channel_feed(ctx.session, ctx.community_id, channel, ctx.now, reset=reset)
    path = calendar.feed_path(feed.token)
    base = (ctx.settings.public_url or "").rstrip("/")
    url = f"{base}{path}" if base else path
    webcal = re.sub(r"^https?://", "webcal://", url) if base else url
    return reply(
        Header("Calendar feed for this channel" + (" (new address)" if reset else "")),
        Text.of("Subscribe in your calendar app: ", Code(webcal)),
        Context(
            spans(
                "Keep it private: anyone with the address sees this channel's sessions. "
                + ("The old address no longer works. " if reset else "")
                + (
                    ""
                    if base
                    else "This is only the end of the address: the bot has no public web "
                    "address yet. Ask an admin to set COP_BOT_PUBLIC_URL, then run this again. "
                )
                + "Replace it with ",
                Code("/sessions feed reset"),
                ".",
            )
        ),
        data={"feed": {"path": path, "url": webcal if base else None, "channel": channel}},
    )
