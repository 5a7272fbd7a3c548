"""`/sessions [all]`: the coming sessions in the viewer's zone; `/sessions group:SLUG`: a group's
(a closed group's to its members and admins only, and left out of the other lists for everyone
else); `/sessions feed [reset]`: the channel's private calendar address."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cop_bot.core import i18n
from cop_bot.core.args import Args
from cop_bot.core.errors import UsageError
from cop_bot.core.i18n import N_, _, n_
from cop_bot.core.model import Block, Code, Context, Header, Item, Reply, Role, Text, reply, spans
from cop_bot.core.router import Ctx, command
from cop_bot.core.wording import phrase
from cop_bot.groups import rules as group_rules
from cop_bot.handlers.sessions.common import place_spans
from cop_bot.handlers.sessions.schedule import GROUP
from cop_bot.mentoring import visits
from cop_bot.sessions import calendar, meetings
from cop_bot.sessions.meetings import Occurrence

LIST_DAYS = 30
LIST_LIMIT = 20


@command(
    "sessions",
    summary=N_("Upcoming sessions of this channel (or all), in your time zone; the calendar feed."),
    syntax=("[all]", "group:SLUG", "feed", "feed reset"),
    examples=(
        N_("/sessions"),
        N_("/sessions all"),
        N_("/sessions feed"),
    ),
)
def sessions_command(ctx: Ctx, args: Args) -> Reply:
    first = (args.word(0) or "").lower()
    if first == "feed":
        return _feed(ctx, reset=(args.word(1) or "").lower() == "reset")
    admin = ctx.has(Role.ADMIN)
    group = None
    if first.startswith(GROUP):
        typed = first[len(GROUP) :] or (args.word(1) or "")
        if not typed:
            raise UsageError(_("Name the group, e.g. `/sessions group:housing-working-group`."))
        group = group_rules.sessions_group(ctx.session, ctx.member, typed, admin=admin)
    elif first not in {"", "all"}:
        raise UsageError(
            _("I don't know `/sessions {words}`: use all, group:SLUG or feed.").format(
                words=first[:30]
            )
        )
    channel = (
        None if first == "all" or group is not None else ctx.invocation.conversation.channel_id
    )
    occs = meetings.scheduled_occurrences(
        ctx.session,
        ctx.community_id,
        channel,
        ctx.now,
        ctx.now + timedelta(days=LIST_DAYS),
        group_id=group.id if group is not None else None,
        hidden_groups=group_rules.hidden_groups(
            ctx.session, ctx.community_id, ctx.member, admin=admin
        ),
        hidden_pairs=visits.hidden_pairs(
            ctx.session, ctx.community_id, ctx.member, sees_all=ctx.has(Role.FACILITATOR)
        ),
    )
    zone, source = meetings.viewer_zone(ctx.member, ctx.community)
    tally = meetings.counts_for(ctx.session, [(o.meeting_id, o.key) for o in occs])
    if group is not None:
        title = n_(
            LIST_DAYS,
            "Sessions of {group} in the next day",
            "Sessions of {group} in the next {count} days",
            group=group.name,
        )
    elif first == "all":
        title = n_(
            LIST_DAYS,
            "Sessions in the next day in this community",
            "Sessions in the next {count} days in this community",
        )
    else:
        title = n_(
            LIST_DAYS,
            "Sessions in the next day in this channel",
            "Sessions in the next {count} days in this channel",
        )
    blocks: list[Block] = [Header(title)]
    items = []
    for o in occs:
        blocks.append(_item(o, tally[(o.meeting_id, o.key)], zone))
        items.append(_item_json(o, tally[(o.meeting_id, o.key)], zone))
    if not occs:
        blocks.append(Text.of(_("No sessions are planned yet.")))
    del blocks[LIST_LIMIT + 1 :]
    more = len(occs) - LIST_LIMIT
    told = times_in(zone, source) + " "
    if more > 0:
        told += n_(more, "{count} more not shown.", "{count} more not shown.") + " "
    answer = phrase(
        _("Answer with {answer}; details with {details}."),
        answer=Code("/rsvp ID yes"),
        details=Code("/session ID"),
    )
    blocks.append(Context(spans(told, *answer)))
    data: dict[str, Any] = {"timezone": zone.key, "sessions": items}
    if group is not None:
        data["group"] = group.slug
    return reply(*blocks, data=data)


def times_in(zone: ZoneInfo, source: str) -> str:
    """`Times in Europe/Rome (your profile).`: whose zone the times are shown in."""
    shown = {
        "your profile": _("your profile"),
        "the community": _("the community"),
        "default": _("default"),
    }
    return _("Times in {zone} ({source}).").format(zone=zone.key, source=shown.get(source, source))


def _item(o: Occurrence, c: dict[str, int], zone: ZoneInfo) -> Item:
    yes, maybe, waiting = (i18n.number(c[k]) for k in ("yes", "maybe", "waiting"))
    if o.meeting.capacity:
        places = i18n.number(o.meeting.capacity)
        meta = _("{yes} of {places} yes, {maybe} maybe").format(yes=yes, places=places, maybe=maybe)
    else:
        meta = _("{yes} yes, {maybe} maybe").format(yes=yes, maybe=maybe)
    if c["waiting"]:
        meta = _("{answers}, {waiting} waiting").format(answers=meta, waiting=waiting)
    when = meetings.fmt_when(o.meeting, o.start, zone) + (_(" (moved)") if o.moved else "")
    place = (" · ", *place_spans(o.meeting)) if o.meeting.location else ()
    return Item(
        title=spans(f"#{o.meeting_id} ", o.meeting.title),
        body=spans(when, *place),
        meta=spans(meta),
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
    } | (
        {"ends_at": meetings.iso_utc(o.end), "location": o.meeting.location}
        if o.meeting.days or o.meeting.location
        else {}
    )


def _feed(ctx: Ctx, *, reset: bool) -> Reply:
    if reset:
        ctx.require(Role.FACILITATOR, _("reset a channel's calendar feed"))
    channel = ctx.invocation.conversation.channel_id
    feed = calendar.channel_feed(ctx.session, ctx.community_id, channel, ctx.now, reset=reset)
    path = calendar.feed_path(feed.token)
    base = (ctx.settings.public_url or "").rstrip("/")
    url = f"{base}{path}" if base else path
    webcal = re.sub(r"^https?://", "webcal://", url) if base else url
    notes = [_("Keep it private: anyone with the address sees this channel's sessions.")]
    if reset:
        notes.append(_("The old address no longer works."))
    if not base:
        notes.append(
            _(
                "This is only the end of the address: the bot has no public web "
                "address yet. Ask an admin to set COP_BOT_PUBLIC_URL, then run this again."
            )
        )
    replace = phrase(_("Replace it with {command}."), command=Code("/sessions feed reset"))
    header = (
        _("Calendar feed for this channel (new address)")
        if reset
        else _("Calendar feed for this channel")
    )
    return reply(
        Header(header),
        Text.of(*phrase(_("Subscribe in your calendar app: {address}"), address=Code(webcal))),
        Context(spans(" ".join(notes) + " ", *replace)),
        data={"feed": {"path": path, "url": webcal if base else None, "channel": channel}},
    )
