"""`/groups` and `/group`: working groups, cohorts and local networks, their members and focal
points. Rules and queries are in `cop_bot/groups/`."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from cop_bot.core import i18n
from cop_bot.core.args import Args, did_you_mean, parse_handle, split_words
from cop_bot.core.errors import CommandError, PermissionDenied, UsageError
from cop_bot.core.i18n import N_, _, n_
from cop_bot.core.model import (
    Block,
    Code,
    Context,
    Fields,
    Header,
    Item,
    Mention,
    Reply,
    Role,
    Spans,
    Text,
    reply,
    spans,
)
from cop_bot.core.router import Ctx, command, role_phrase
from cop_bot.core.times import first_zone, show_date
from cop_bot.core.wording import phrase
from cop_bot.groups import rules
from cop_bot.groups.form import GroupForm, parse_date, parse_group_form, parse_kind
from cop_bot.storage import repos
from cop_bot.storage.models import CopGroup, Member

_KIND_LABELS = {
    "working-group": N_("working group"),
    "cohort": N_("cohort"),
    "network": N_("network"),
}
MAX_DOMAINS = 10


def kind_label(kind: str) -> str:
    return _(_KIND_LABELS.get(kind, kind))


@command(
    "groups",
    summary=N_("List the working groups, cohorts and networks."),
    examples=("/groups",),
)
def groups_command(ctx: Ctx, args: Args) -> Reply:
    groups = rules.all_groups(ctx.session, ctx.community_id)
    data = {"groups": [rules.group_json(g) for g in groups]}
    if not groups:
        return reply(
            Text.of(_("There are no groups yet.")),
            Context(
                phrase(
                    _("Facilitators and admins create one with {command}."),
                    command=Code("/group create NAME"),
                )
            ),
            data=data,
        )
    counts = rules.member_counts(ctx.session, ctx.community_id)
    blocks: list[Block] = [Header(_("Groups"))]
    for group in groups:
        assert group.id is not None
        blocks.append(
            Item(
                title=spans(group.name, " (", Code(group.slug), ")"),
                body=spans(_describe(ctx, group)),
                meta=spans(n_(counts.get(group.id, 0), "{count} member", "{count} members")),
            )
        )
    blocks.append(
        Context(phrase(_("See one with {command}."), command=Code(f"/group {groups[0].slug}")))
    )
    return reply(*blocks, data=data)


@command(
    "group",
    summary=N_("See a group, join or leave it; focal points and admins manage its members."),
    syntax=(
        "SLUG",
        "create NAME [kind: working-group|cohort|network] [domains: D, D] [starts: YYYY-MM-DD] "
        "[ends: YYYY-MM-DD] [channel] [closed]",
        "join SLUG",
        "leave SLUG",
        "add SLUG HANDLE",
        "remove SLUG HANDLE",
        "focal SLUG HANDLE",
    ),
    examples=(
        N_("/group create Housing working group kind: working-group domains: housing channel"),
        N_("/group create Diploma cohort 2027 kind: cohort starts: 2027-01-11 ends: 2027-06-30"),
        "/group housing-working-group",
        "/group join housing-working-group",
        "/group leave housing-working-group",
        "/group add diploma-cohort-2027 @amina.haddad",
        "/group remove diploma-cohort-2027 @amina.haddad",
        "/group focal housing-working-group @amina.haddad",
    ),
    details=N_(
        "Facilitators and admins create groups. `channel` ties the group to the channel or room "
        "you type it in; `closed` makes a group whose members are added by its focal points and "
        "admins (its member list is visible to its members only); anyone joins and leaves an "
        "open group. Admins name focal points. A cohort's members become alumni after its end "
        "date."
    ),
    parse="raw",
)
def group_command(ctx: Ctx, args: Args) -> Reply:
    action, _sep, rest = args.text.partition(" ")
    action = action.lower()
    if not action:
        raise UsageError(_("Name a group, e.g. `/group housing-working-group`, or see /groups."))
    if action == "create":
        return _create(ctx, rest)
    words = split_words(rest)
    if action in {"join", "leave"}:
        if len(words) != 1:
            raise UsageError(_("`/group {action}` needs the group's slug.").format(action=action))
        group = rules.group_or_error(ctx.session, ctx.community_id, words[0])
        return _join(ctx, group) if action == "join" else _leave(ctx, group)
    if action in {"add", "remove", "focal"}:
        if len(words) != 2:
            raise UsageError(
                _("`/group {action}` needs the group's slug and a member.").format(action=action)
            )
        handle = parse_handle(words[1])
        group = rules.group_or_error(ctx.session, ctx.community_id, words[0])
        if action == "focal":
            return _focal(ctx, group, handle)
        return _add(ctx, group, handle) if action == "add" else _remove(ctx, group, handle)
    if words:
        raise UsageError(
            _(
                "I don't know `/group {action}`: use create, join, leave, add, remove or focal."
            ).format(action=action[:40])
        )
    return _show(ctx, rules.group_or_error(ctx.session, ctx.community_id, action))


# ---- create ------------------------------------------------------------------------------------


def _create(ctx: Ctx, text: str) -> Reply:
    ctx.require(Role.FACILITATOR, _("create groups"))
    form = parse_group_form(text)
    kind = parse_kind(form.values["kind"]) if "kind" in form.values else "working-group"
    starts = parse_date(form.values["starts"], "starts") if "starts" in form.values else None
    ends = parse_date(form.values["ends"], "ends") if "ends" in form.values else None
    if starts and ends and ends < starts:
        raise UsageError(
            _("A group cannot end ({ends}) before it starts ({starts}).").format(
                ends=ends.isoformat(), starts=starts.isoformat()
            )
        )
    domains = _domains(ctx, form)
    group = CopGroup(
        community_id=ctx.community_id,
        slug=rules.free_slug(ctx.session, ctx.community_id, form.name),
        name=form.name,
        kind=kind,
        domains=domains,
        starts=starts,
        ends=ends,
        channel_id=ctx.invocation.conversation.channel_id if form.channel else None,
        closed=form.closed,
        created_by_id=ctx.member.id,
        created_at=ctx.now,
    )
    ctx.session.add(group)
    ctx.session.flush()
    return reply(
        Text(
            phrase(
                _("Created the {kind} {name} ({slug})."),
                kind=kind_label(kind),
                name=group.name,
                slug=Code(group.slug),
            )
        ),
        Context(spans(_describe(ctx, group))),
        Context(
            phrase(
                _("Name its focal points with {command}."),
                command=Code(f"/group focal {group.slug} HANDLE"),
            )
        ),
        data={"group": rules.group_json(group)},
    )


def _domains(ctx: Ctx, form: GroupForm) -> list[str]:
    text = form.values.get("domains")
    if text is None:
        return []
    slugs: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if part.lower() in ctx.taxonomy:
            slugs.append(part.lower())
            continue
        best = ctx.taxonomy.match(part).best
        if best is None:
            raise UsageError(
                _("{text} is not a domain I know.").format(text=repr(part[:40])),
                hint=_("Type /domains to see them all."),
            )
        slugs.append(best.slug)
    slugs = list(dict.fromkeys(slugs))
    if len(slugs) > MAX_DOMAINS:
        raise UsageError(_("A group has at most {most} domains.").format(most=MAX_DOMAINS))
    return slugs


# ---- show --------------------------------------------------------------------------------------


def _today(ctx: Ctx) -> date:
    return ctx.now.astimezone(first_zone(ctx.member.timezone, ctx.community.timezone)).date()


def _day(day: date) -> str:
    return show_date(datetime.combine(day, time(12), tzinfo=UTC), first_zone("UTC"))


def _describe(ctx: Ctx, group: CopGroup) -> str:
    """`Cohort · Housing, Health · Mon 11 Jan 2027 – Wed 30 Jun 2027 · closed`."""
    parts = [kind_label(group.kind).capitalize()]
    if group.domains:
        parts.append(i18n.join(ctx.taxonomy.label(d, ctx.language) for d in group.domains))
    if group.starts and group.ends:
        parts.append(f"{_day(group.starts)} – {_day(group.ends)}")
    elif group.starts:
        parts.append(_("from {day}").format(day=_day(group.starts)))
    elif group.ends:
        parts.append(_("until {day}").format(day=_day(group.ends)))
    if rules.is_alumni(group, _today(ctx)):
        parts.append(_("ended: its members are alumni"))
    if group.closed:
        parts.append(_("closed"))
    return " · ".join(parts)


def _mention(member: Member) -> Mention:
    return Mention(member.handle, member.display_name, member.platform_user_id)


def _show(ctx: Ctx, group: CopGroup) -> Reply:
    everyone = rules.memberships(ctx.session, group)
    focal = [m.member for m in everyone if m.focal]
    alumni = rules.is_alumni(group, _today(ctx))
    visible = rules.can_see_members(ctx.session, group, ctx.member, admin=ctx.has(Role.ADMIN))
    data: dict[str, object] = {
        **rules.group_json(group),
        "focal_points": [m.handle for m in focal],
        "alumni": alumni,
        "member_count": len(everyone),
    }
    blocks: list[Block] = [Header(group.name), Context(spans(_describe(ctx, group)))]
    pairs: list[tuple[str, Spans]] = [(_("Slug"), spans(Code(group.slug)))]
    if group.channel_id:
        pairs.append((_("Channel"), spans(group.channel_id)))
    pairs.append((_("Focal points"), _handles(focal) or spans(_("none yet"))))
    blocks.append(Fields(tuple(pairs)))
    if visible:
        data["members"] = [m.member.handle for m in everyone]
        title = (
            n_(len(everyone), "{count} alumnus", "{count} alumni")
            if alumni
            else n_(len(everyone), "{count} member", "{count} members")
        )
        blocks.append(Text.of(title))
        for m in everyone:
            blocks.append(
                Item(
                    title=spans(
                        m.member.display_name or m.member.handle, " (", _mention(m.member), ")"
                    ),
                    meta=spans(
                        " · ".join(
                            ([_("focal point")] if m.focal else [])
                            + ([_("alumnus")] if alumni else [])
                        )
                    ),
                )
            )
    else:
        data["members"] = None
        blocks.append(
            Context(
                spans(
                    n_(
                        len(everyone),
                        "A closed group of {count} member: its member list is visible to its "
                        "members only.",
                        "A closed group of {count} members: its member list is visible to its "
                        "members only.",
                    )
                )
            )
        )
    mine = rules.membership(ctx.session, group, ctx.member)
    if mine is None and not group.closed:
        blocks.append(
            Context(phrase(_("Join it with {command}."), command=Code(f"/group join {group.slug}")))
        )
    elif mine is not None:
        blocks.append(
            Context(
                phrase(
                    _("You are a member; leave with {command}."),
                    command=Code(f"/group leave {group.slug}"),
                )
            )
        )
    return reply(*blocks, data={"group": data})


def _handles(members: list[Member]) -> Spans:
    parts: list[Mention | str] = []
    for index, member in enumerate(members):
        if index:
            parts.append(", ")
        parts.append(_mention(member))
    return spans(*parts)


# ---- membership --------------------------------------------------------------------------------


def _join(ctx: Ctx, group: CopGroup) -> Reply:
    if rules.membership(ctx.session, group, ctx.member) is not None:
        raise CommandError(
            _("You are already a member of {slug}.").format(slug=group.slug),
            hint=_("Leave it with `/group leave {slug}`.").format(slug=group.slug),
        )
    if group.closed:
        raise CommandError(
            _("{slug} is a closed group: its focal points and admins add its members.").format(
                slug=group.slug
            ),
            hint=_("Ask one of its focal points, or see them with `/group {slug}`.").format(
                slug=group.slug
            ),
        )
    rules.join(ctx.session, group, ctx.member, by=ctx.member.handle, now=ctx.now)
    return reply(
        Text.of(_("You joined {name} ({slug}).").format(name=group.name, slug=group.slug)),
        data={"group": rules.group_json(group), "member": ctx.member.handle, "action": "join"},
    )


def _leave(ctx: Ctx, group: CopGroup) -> Reply:
    row = rules.membership(ctx.session, group, ctx.member)
    if row is None:
        raise CommandError(
            _("You are not a member of {slug}, so there is nothing to leave.").format(
                slug=group.slug
            )
        )
    ctx.session.delete(row)
    ctx.session.flush()
    return reply(
        Text.of(_("You left {name} ({slug}).").format(name=group.name, slug=group.slug)),
        data={"group": rules.group_json(group), "member": ctx.member.handle, "action": "leave"},
    )


def _require_manager(ctx: Ctx, group: CopGroup, doing: str) -> None:
    """Focal points of this group and admins manage its members."""
    if ctx.has(Role.ADMIN) or rules.is_focal(ctx.session, group, ctx.member):
        return
    raise PermissionDenied(
        _("Only the focal points of {slug} and admins can {doing}.").format(
            slug=group.slug, doing=doing
        ),
        hint=_("Its focal points are listed by `/group {slug}`.").format(slug=group.slug),
    )


def _known_member(ctx: Ctx, handle: str) -> Member:
    found = repos.find_member(ctx.session, ctx.community_id, handle)
    if found is None:
        close = repos.member_handles(ctx.session, ctx.community_id)
        guess = did_you_mean(handle, close)
        raise CommandError(
            _("There is no member @{handle} in this community.").format(handle=handle),
            hint=_("Did you mean @{handle}?").format(handle=guess) if guess else None,
        )
    return found


def _add(ctx: Ctx, group: CopGroup, handle: str) -> Reply:
    _require_manager(ctx, group, _("add members"))
    member = _known_member(ctx, handle)
    if rules.membership(ctx.session, group, member) is not None:
        raise CommandError(_about(_("@{handle} is already a member of {slug}."), member, group))
    rules.join(ctx.session, group, member, by=ctx.member.handle, now=ctx.now)
    return reply(
        Text(
            phrase(
                _("{member} is now a member of {slug}."), member=_mention(member), slug=group.slug
            )
        ),
        data={"group": rules.group_json(group), "member": member.handle, "action": "add"},
    )


def _about(template: str, member: Member, group: CopGroup) -> str:
    return template.format(handle=member.handle, slug=group.slug)


def _remove(ctx: Ctx, group: CopGroup, handle: str) -> Reply:
    _require_manager(ctx, group, _("remove members"))
    member = _known_member(ctx, handle)
    row = rules.membership(ctx.session, group, member)
    if row is None:
        raise CommandError(_about(_("@{handle} is not a member of {slug}."), member, group))
    ctx.session.delete(row)
    ctx.session.flush()
    return reply(
        Text(
            phrase(
                _("{member} is no longer a member of {slug}."),
                member=_mention(member),
                slug=group.slug,
            )
        ),
        data={"group": rules.group_json(group), "member": member.handle, "action": "remove"},
    )


def _focal(ctx: Ctx, group: CopGroup, handle: str) -> Reply:
    if not ctx.has(Role.ADMIN):
        raise PermissionDenied(
            role_phrase(Role.ADMIN).format(doing=_("name focal points")),
            hint=ctx.who_can_grant(Role.ADMIN),
        )
    member = _known_member(ctx, handle)
    row = rules.membership(ctx.session, group, member)
    if row is not None and row.focal:
        raise CommandError(
            _about(_("@{handle} is already a focal point of {slug}."), member, group)
        )
    if row is None:
        rules.join(ctx.session, group, member, by=ctx.member.handle, now=ctx.now)
        row = rules.membership(ctx.session, group, member)
        assert row is not None
    row.focal = True
    ctx.session.add(row)
    ctx.session.flush()
    return reply(
        Text(
            phrase(
                _("{member} is now a focal point of {slug}."),
                member=_mention(member),
                slug=group.slug,
            )
        ),
        data={"group": rules.group_json(group), "member": member.handle, "action": "focal"},
    )
