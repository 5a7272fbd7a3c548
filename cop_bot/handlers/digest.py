"""`/digest`: each channel's weekly summary, on its own schedule; and a personal one by DM.

Subscriptions and their rules are in `cop_bot/digests/subscriptions.py`, the schedule's words in
`digests/schedule.py`; this module words the replies."""

from __future__ import annotations

from datetime import datetime

from cop_bot.core.args import Args, parse_form, split_words
from cop_bot.core.errors import CommandError, PermissionDenied, UsageError
from cop_bot.core.i18n import N_, _
from cop_bot.core.model import Code, Context, Fields, Header, Reply, Role, Text, reply, spans
from cop_bot.core.outbox import what_to_do
from cop_bot.core.router import Ctx, command
from cop_bot.core.times import first_zone, show_datetime
from cop_bot.core.wording import phrase
from cop_bot.digests import subscriptions
from cop_bot.digests.preview import preview
from cop_bot.digests.schedule import WEEKDAYS, clock_time, describe, next_due, parse_schedule
from cop_bot.groups import rules as groups
from cop_bot.handlers.sessions.schedule import take_group
from cop_bot.sessions import delivery
from cop_bot.storage import repos
from cop_bot.storage.models import CopGroup, DigestRun, DigestSubscription


def _channel_sub(ctx: Ctx) -> DigestSubscription | None:
    return subscriptions.for_channel(
        ctx.session, ctx.community_id, ctx.invocation.conversation.channel_id
    )


def _describe(sub: DigestSubscription) -> str:
    return describe(sub.weekday, sub.minute_of_day, sub.timezone)


@command(
    "digest",
    summary=N_(
        "The channel's weekly digest: switch it on or off, choose its schedule and focus, "
        "preview it."
    ),
    syntax=(
        "on [DAY TIME] [tz ZONE] [group:SLUG]",
        "off",
        "settings domains: ...; skip-empty: yes|no; language: CODE",
        "status",
        "preview",
        "me on|off",
    ),
    examples=(
        N_("/digest on monday 09:00 tz Europe/Brussels"),
        N_("/digest on friday 16:00 group:housing-working-group"),
        N_("/digest settings domains: labour market, housing; skip-empty: no"),
        "/digest status",
        "/digest preview",
        "/digest me on",
    ),
    details=N_(
        "DAY is a weekday in any language the bot speaks, in full or short: monday or mon, "
        "lundi, lunes, lunedì, Montag or Mo, الاثنين, Δευτέρα. "
        "TIME is read as /schedule-session reads it: 09:00, 9am, 3:30pm, 15h30 or noon. "
        "Changing a channel's digest is for facilitators and admins; `/digest me` is for everyone. "
        "With group:SLUG the channel gets that group's week instead (its sessions, practices, "
        "questions and new members); its focal points may switch it on too. A closed group's "
        "member names appear only in the group's own channel."
    ),
    parse="raw",
)
def digest_command(ctx: Ctx, args: Args) -> Reply:
    first, _space, rest = args.text.strip().partition(" ")
    action = first.lower() or "status"
    if action == "on":
        words, slug = take_group(split_words(rest))
        group = None
        if slug is None:
            ctx.require(Role.FACILITATOR, _("schedule the channel's digest"))
        else:
            group = groups.group_or_error(ctx.session, ctx.community_id, slug)
            if not groups.may_schedule(
                ctx.session, group, ctx.member, facilitator=ctx.has(Role.FACILITATOR)
            ):
                raise PermissionDenied(
                    _(
                        "Only facilitators, admins and the focal points of {slug} can switch on "
                        "its digest."
                    ).format(slug=group.slug)
                )
        weekday, minute, tz = parse_schedule(words, ctx.community.timezone)
        channel = ctx.invocation.conversation.channel_id
        sub = subscriptions.schedule_channel(
            ctx.session,
            ctx.community_id,
            channel,
            weekday,
            minute,
            tz,
            ctx.now,
            group_id=group.id if group else None,
        )
        due = next_due(weekday, minute, tz, ctx.now)
        said = (
            _("This channel gets {group}'s digest every {schedule}.").format(
                group=group.name, schedule=_describe(sub)
            )
            if group is not None
            else _("This channel gets a digest every {schedule}.").format(schedule=_describe(sub))
        )
        notes = []
        if group is not None and group.closed and group.channel_id != channel:
            notes.append(
                Context(
                    spans(
                        _(
                            "{group} is closed and this is not its channel: the digest gives "
                            "counts, not its members' names."
                        ).format(group=group.name)
                    )
                )
            )
        return reply(
            Text.of(said),
            *notes,
            Context(
                phrase(
                    _("Next: {when}. See it now with {command}."),
                    when=_viewer_time(ctx, due),
                    command=Code("/digest preview"),
                )
            ),
            data={
                "digest": {
                    "enabled": True,
                    "weekday": WEEKDAYS[weekday],
                    "time": clock_time(minute),
                    "timezone": tz,
                    "next_run": due.isoformat(),
                    "group": group.slug if group else None,
                }
            },
        )
    if action == "off":
        ctx.require(Role.FACILITATOR, _("switch off the channel's digest"))
        current = _channel_sub(ctx)
        if current is None or not current.enabled:
            raise CommandError(_("This channel has no digest switched on."))
        subscriptions.switch_off(ctx.session, current)
        return reply(
            Text.of(_("The digest for this channel is switched off.")),
            data={"digest": {"enabled": False}},
        )
    if action == "settings":
        ctx.require(Role.FACILITATOR, _("change the channel's digest"))
        return _settings(ctx, rest)
    if action == "status":
        return _status(ctx)
    if action == "preview":
        return _preview(ctx)
    if action == "me":
        return _personal(ctx, rest.strip().lower())
    raise UsageError(
        _("I don't know `/digest {action}`: use on, off, settings, status, preview or me.").format(
            action=action
        )
    )


def _settings(ctx: Ctx, text: str) -> Reply:
    sub = _channel_sub(ctx)
    if sub is None:
        raise CommandError(_("Switch the digest on first: `/digest on`."))
    if not text.strip():
        raise UsageError(_("Tell me what to change, e.g. `domains: housing; skip-empty: no`."))
    problems = subscriptions.apply_settings(
        ctx.session, sub, parse_form(text, keys=subscriptions.SETTING_KEYS), ctx.taxonomy, ctx.now
    )
    if problems:
        raise UsageError(" ".join((_("Nothing was changed."), *problems)))
    return _status(ctx, header=_("Digest settings updated"))


def _viewer_time(ctx: Ctx, instant: datetime) -> str:
    zone = first_zone(ctx.member.timezone, ctx.community.timezone)
    return show_datetime(instant, zone, named=True)


RESULTS = {
    "sent": N_("sent"),
    "skipped": N_("skipped, nothing new"),
    "failed": N_("failed, to be retried"),
    "sending": N_("being sent"),
    "missed": N_("missed"),
    "refused": N_("refused by the platform"),
}
"""How `/digest status` words the last run's status (the key is stored, the words shown)."""


def _refused_posts(ctx: Ctx, last: DigestRun | None) -> list[Text]:
    """What the platform refused in this channel for good, and what to do about it."""
    found: list[Text] = []
    if last is not None and last.status == "refused":
        advice = what_to_do(last.last_error) or ""
        found.append(Text.of(_("The last digest could not be posted.") + " " + advice))
    channel = ctx.invocation.conversation.channel_id
    refused = delivery.refused_start_post(ctx.session, ctx.community_id, channel)
    if refused is not None:
        advice = what_to_do(refused.reason) or ""
        found.append(
            Text.of(
                _("The last “starting now” post of session #{id} could not be posted here.").format(
                    id=refused.session_id
                )
                + " "
                + advice
            )
        )
    return found


def _status(ctx: Ctx, header: str | None = None) -> Reply:
    sub = _channel_sub(ctx)
    if sub is None:
        return reply(
            Text.of(_("This channel has no digest yet.")),
            Context(
                phrase(
                    _("A facilitator can start one with {command}."),
                    command=Code(_("/digest on monday 09:00")),
                )
            ),
            *_refused_posts(ctx, None),
            data={"digest": {"enabled": False}},
        )
    last = subscriptions.last_run(ctx.session, sub)
    due = next_due(sub.weekday, sub.minute_of_day, sub.timezone, ctx.now)
    labels = ", ".join(ctx.taxonomy.label(d, ctx.language) for d in sub.domains) or _("all domains")
    last_text = _("none yet")
    if last is not None:
        result = _(RESULTS[last.status]) if last.status in RESULTS else last.status
        last_text = _("{label}: {value}").format(
            label=_viewer_time(ctx, last.period_end), value=result
        )
        if last.last_error and last.status != "refused":
            last_text += f" ({last.last_error})"
    schedule = _describe(sub)
    group = ctx.session.get(CopGroup, sub.group_id) if sub.group_id else None
    if not sub.enabled:
        schedule = _("{schedule} — switched off").format(schedule=schedule)
    return reply(
        Header(header or _("Digest")),
        Fields(
            (
                (_("Schedule"), spans(schedule)),
                (_("Next"), spans(_viewer_time(ctx, due) if sub.enabled else "—")),
                (_("Last"), spans(last_text)),
                (_("Domains"), spans(labels)),
                (_("Skip empty"), spans(_("yes") if sub.skip_empty else _("no"))),
                (_("Language"), spans(sub.language or ctx.community.language)),
                *(((_("Group"), spans(group.name)),) if group is not None else ()),
            )
        ),
        *_refused_posts(ctx, last),
        data={
            "digest": {
                "enabled": sub.enabled,
                "weekday": WEEKDAYS[sub.weekday],
                "timezone": sub.timezone,
                "time": clock_time(sub.minute_of_day),
                "domains": sub.domains,
                "skip_empty": sub.skip_empty,
                "language": sub.language,
                "group": group.slug if group is not None else None,
                "next_run": due.isoformat() if sub.enabled else None,
                "last_run": None
                if last is None
                else {
                    "period_end": last.period_end.isoformat(),
                    "status": last.status,
                    "error": last.last_error,
                    "what_to_do": what_to_do(last.last_error) if last.status == "refused" else None,
                },
            }
        },
    )


def _preview(ctx: Ctx) -> Reply:
    channel = ctx.invocation.conversation.channel_id
    return preview(
        ctx.session, ctx.community, channel, ctx.now, ctx.taxonomy, ctx.settings.public_url
    )


def _personal(ctx: Ctx, word: str) -> Reply:
    if word not in {"on", "off"}:
        raise UsageError(_("Use `/digest me on` or `/digest me off`."))
    sub = subscriptions.for_member(ctx.session, ctx.member)
    if word == "off":
        if sub is None or not sub.enabled:
            raise CommandError(_("You have no personal digest switched on."))
        subscriptions.switch_off(ctx.session, sub)
        return reply(
            Text.of(_("Your personal digest is switched off.")),
            data={"digest": {"personal": False}},
        )
    assert ctx.member.id is not None
    if not repos.member_domains(ctx.session, ctx.member.id):
        raise CommandError(
            _("Your personal digest follows your domains, and your profile has none yet."),
            hint=_("Add some with `/profile set domains: housing, health`."),
        )
    tz = ctx.member.timezone or ctx.community.timezone
    sub = subscriptions.subscribe_member(ctx.session, ctx.member, sub, tz, ctx.now)
    return reply(
        Text.of(
            _(
                "You will get a personal digest by direct message every {schedule}, about your "
                "domains."
            ).format(schedule=_describe(sub))
        ),
        Context(phrase(_("Stop any time with {command}."), command=Code("/digest me off"))),
        data={"digest": {"personal": True, "timezone": sub.timezone}},
    )
