"""Roles and community settings: the few things admins control."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session

from cop_bot.core import i18n
from cop_bot.core.args import Args, did_you_mean, parse_form, parse_handle, parse_int, unknown_key
from cop_bot.core.errors import CommandError, UsageError
from cop_bot.core.i18n import N_, _
from cop_bot.core.members import locale_for
from cop_bot.core.model import (
    Actions,
    Block,
    Button,
    Code,
    Context,
    Fields,
    Header,
    Mention,
    Reply,
    Role,
    Text,
    reply,
    spans,
)
from cop_bot.core.router import Ctx, command
from cop_bot.core.wording import phrase
from cop_bot.escalation.rules import MAX_ESCALATE_AFTER, escalate_after
from cop_bot.experts.admins import is_last_admin
from cop_bot.experts.questions import MAX_ASKS_PER_DAY, asks_per_day
from cop_bot.groups.rules import focal_points
from cop_bot.storage import repos
from cop_bot.storage.models import Member

ROLE_HELP = N_("facilitator (schedules sessions), curator (reviews practices) or admin")
CONFIRM = "confirm"

# Whole sentences per role (the article and, in many languages, the noun's form change).
_NOW = {
    Role.ADMIN: N_("{member} is now an admin."),
    Role.CURATOR: N_("{member} is now a curator."),
    Role.FACILITATOR: N_("{member} is now a facilitator."),
}
_ALREADY = {
    Role.ADMIN: N_("{member} was already an admin."),
    Role.CURATOR: N_("{member} was already a curator."),
    Role.FACILITATOR: N_("{member} was already a facilitator."),
}
_NO_LONGER = {
    Role.ADMIN: N_("{member} is no longer an admin."),
    Role.CURATOR: N_("{member} is no longer a curator."),
    Role.FACILITATOR: N_("{member} is no longer a facilitator."),
}
_NOT_ROLE = {
    Role.ADMIN: N_("@{handle} is not an admin, so there is nothing to revoke."),
    Role.CURATOR: N_("@{handle} is not a curator, so there is nothing to revoke."),
    Role.FACILITATOR: N_("@{handle} is not a facilitator, so there is nothing to revoke."),
}
_ROLE_TITLES = {
    Role.ADMIN: N_("Admins"),
    Role.CURATOR: N_("Curators"),
    Role.FACILITATOR: N_("Facilitators"),
}


def article(role: Role) -> str:
    """`an admin`, `a curator`: English, for the operator's command line (`cop-bot roles`)."""
    return ("an " if role.value[0] in "aeiou" else "a ") + role.value


def parse_role(text: str) -> Role:
    word = text.strip().lower().rstrip("s")
    for role in Role:
        if role is not Role.MEMBER and role.value == word:
            return role
    raise UsageError(
        _("{text} is not a role. Roles are {roles}.").format(text=repr(text), roles=_(ROLE_HELP))
    )


def closest_handle(session: Session, community_id: int, handle: str) -> str | None:
    """The known member a mistyped handle most likely means (`amina` -> `amina.haddad`)."""
    return did_you_mean(handle, repos.member_handles(session, community_id))


@command(
    "role",
    aliases=("roles",),
    summary=N_("See who facilitates, curates and administers; admins grant and revoke roles."),
    syntax=("[list]", "grant HANDLE ROLE [confirm]", "revoke HANDLE ROLE"),
    examples=(
        "/role",
        "/role grant @amina.haddad facilitator",
        "/role revoke @amina.haddad facilitator",
    ),
    details=N_(
        "Roles: facilitator (schedules sessions), curator (reviews practices) or admin. Everyone "
        "is a member. To grant a role to someone the bot has never seen (they have not used it "
        "yet), add `confirm` once it asks."
    ),
)
def role_command(ctx: Ctx, args: Args) -> Reply:
    action = (args.word(0) or "list").lower()
    if action in {"list", "show"}:
        return _list_roles(ctx)
    if action not in {"grant", "revoke"}:
        raise UsageError(
            _("I don't know `/role {action}`: use list, grant or revoke.").format(action=action)
        )
    confirmed = action == "grant" and [w.lower() for w in args.words[3:]] == [CONFIRM]
    if len(args.words) != 3 and not confirmed:
        raise UsageError(_("`/role {action}` needs a member and a role.").format(action=action))
    ctx.require(Role.ADMIN, _("grant roles") if action == "grant" else _("revoke roles"))
    handle, role = parse_handle(args.words[1]), parse_role(args.words[2])
    if action == "grant":
        known = repos.find_member(ctx.session, ctx.community_id, handle)
        if known is None and not confirmed:
            return _confirm_new_member(ctx, handle, role)
        member = known or repos.ensure_member(ctx.session, ctx.community_id, handle, now=ctx.now)
        added = repos.grant_role(
            ctx.session, member, role, granted_by=ctx.member.handle, now=ctx.now
        )
        said = _NOW[role] if added else _ALREADY[role]
        text = phrase(_(said), member=Mention(member.handle, member.display_name))
    else:
        found = repos.find_member(ctx.session, ctx.community_id, handle)
        if found is None:
            close = closest_handle(ctx.session, ctx.community_id, handle)
            raise CommandError(
                _("There is no member @{handle} in this community.").format(handle=handle),
                hint=_("Did you mean @{handle}?").format(handle=close) if close else None,
            )
        member = found
        if role is Role.ADMIN and member.id == ctx.member.id:
            _refuse_last_admin(ctx)
        removed = repos.revoke_role(ctx.session, member, role)
        if not removed:
            raise CommandError(_(_NOT_ROLE[role]).format(handle=member.handle))
        text = phrase(_(_NO_LONGER[role]), member=Mention(member.handle, member.display_name))
    return reply(
        Text(text),
        data={"member": member.handle, "role": role.value, "action": action},
    )


def _confirm_new_member(ctx: Ctx, handle: str, role: Role) -> Reply:
    """Nobody called `handle` has used the bot here: ask before creating them (a typo would
    give the role to nobody and leave a member who does not exist)."""
    grant = f"/role grant {handle} {role.value} {CONFIRM}"
    close = closest_handle(ctx.session, ctx.community_id, handle)
    blocks: list[Block] = [
        Text.of(
            _(
                "I have never seen @{handle} in this community, so I have not granted anything."
            ).format(handle=handle)
        )
    ]
    if close is not None:
        blocks.append(Text.of(_("Did you mean @{handle}?").format(handle=close)))
    blocks.append(
        Context(
            phrase(
                _("If they have not used the bot yet, grant it anyway with {command}."),
                command=Code(grant),
            )
        )
    )
    blocks.append(Actions((Button(_("Grant anyway"), grant),)))
    return reply(
        *blocks,
        data={
            "member": handle,
            "role": role.value,
            "known": False,
            "confirm": grant,
            "did_you_mean": close,
        },
    )


def _refuse_last_admin(ctx: Ctx) -> None:
    if is_last_admin(ctx.session, ctx.member, ctx.settings.admins):
        raise CommandError(
            _("You are the last admin of this community."),
            hint=_("Grant the admin role to someone else first."),
        )


def _list_roles(ctx: Ctx) -> Reply:
    pairs = []
    data: dict[str, list[str]] = {}
    for role in (Role.ADMIN, Role.CURATOR, Role.FACILITATOR):
        members: list[Member] = repos.members_with_role(ctx.session, ctx.community_id, role)
        handles = [m.handle for m in members]
        if role is Role.ADMIN:
            handles = sorted(set(handles) | set(ctx.settings.admins))
        data[role.value + "s"] = handles
        shown = spans(
            *(f"@{h}" + (", " if i < len(handles) - 1 else "") for i, h in enumerate(handles))
        ) or spans(_("nobody yet"))
        pairs.append((_(_ROLE_TITLES[role]), shown))
    focal = focal_points(ctx.session, ctx.community_id)
    if focal:
        pairs.append(
            (
                _("Focal points"),
                spans(", ".join(f"@{m.handle} ({g.slug})" for g, m in focal)),
            )
        )
    mine = sorted(r.value for r in ctx.roles) or ["member"]
    my_groups = [g.slug for g, m in focal if m.id == ctx.member.id]
    blocks: list[Block] = [
        Header(_("Roles")),
        Fields(tuple(pairs)),
        Context(
            phrase(
                _("Your roles: {roles}. Admins change roles with {command}."),
                roles=", ".join(mine),
                command=Code("/role grant HANDLE ROLE"),
            )
        ),
    ]
    if my_groups:
        blocks.append(
            Context(
                spans(_("You are a focal point of {groups}.").format(groups=", ".join(my_groups)))
            )
        )
    return reply(
        *blocks,
        data={
            **data,
            "focal_points": [{"handle": m.handle, "group": g.slug} for g, m in focal],
            "you": mine,
            "your_focal_groups": my_groups,
        },
    )


SETTING_KEYS = {
    "timezone": N_("IANA time zone, e.g. Europe/Brussels"),
    "language": N_("two-letter language code, e.g. fr"),
    "name": N_("the community's name"),
    "review": N_("on or off: whether new practices wait for a curator's approval"),
    "asks-per-day": N_(
        "how many questions one member may /ask in 24 hours, 1 to {most} (default {default})"
    ),
    "escalate-after": N_(
        "days an unanswered question waits before the next experts hear of it, 1 to {most} "
        "(default {default})"
    ),
}
"""Each setting's key (typed as is) and what it takes (marked for translation; `{most}` and
`{default}` are MAX_ASKS_PER_DAY and DEFAULT_ASKS_PER_DAY). `/settings`' details repeat them
as one sentence, with the numbers written out (tests/test_i18n_admin.py checks they match)."""
_SETTING_SPELLINGS = (*SETTING_KEYS, "library", "tz", "time-zone")
"""`library: public|private` is explained by `/help library`, not in `/settings`' details."""
_ON = {"on", "yes", "true", "1", "enabled"}
_OFF = {"off", "no", "false", "0", "disabled"}


@command(
    "settings",
    summary=N_("See the community's settings; admins change them."),
    syntax=("", "KEY: VALUE; KEY: VALUE"),
    examples=("/settings", "/settings timezone: Europe/Brussels; language: fr"),
    details=N_(
        "Keys: timezone (IANA time zone, e.g. Europe/Brussels); language (two-letter language "
        "code, e.g. fr); name (the community's name); review (on or off: whether new practices "
        "wait for a curator's approval); asks-per-day (how many questions one member may /ask "
        "in 24 hours, 1 to 100 (default 5)); escalate-after (days an unanswered question waits "
        "before the next experts hear of it, 1 to 60 (default 3))."
    ),
    parse="raw",
)
def settings_command(ctx: Ctx, args: Args) -> Reply:
    community = ctx.community
    if args.text:
        ctx.require(Role.ADMIN, _("change the community's settings"))
        changes = parse_form(args.text, keys=_SETTING_SPELLINGS)
        problems: list[str] = []
        for key, value in changes:
            if key in {"timezone", "tz", "time-zone"}:
                try:
                    ZoneInfo(value)
                    community.timezone = value
                except (ZoneInfoNotFoundError, ValueError):
                    problems.append(
                        _(
                            "{value} is not a time zone; use an IANA name such as Europe/Brussels."
                        ).format(value=repr(value))
                    )
            elif key == "language":
                if value.lower() in ctx.taxonomy.languages:
                    community.language = value.lower()
                else:
                    problems.append(
                        _("{value} is not a language I speak; use one of {languages}.").format(
                            value=repr(value), languages=", ".join(ctx.taxonomy.languages)
                        )
                    )
            elif key == "name":
                if len(value.splitlines()) > 1:  # it heads calendars and digests: one line
                    problems.append(
                        _(
                            "The name must be a single line, e.g. "
                            "`name: Migrant Integration Network`."
                        )
                    )
                elif not 0 < len(value) <= 200:
                    problems.append(_("The name must be 1 to 200 characters."))
                community.name = value
            elif key == "review":
                if value.lower() in _ON | _OFF:
                    community.review_enabled = value.lower() in _ON
                else:
                    problems.append(
                        _("review is on or off, not {value}.").format(value=repr(value[:40]))
                    )
            elif key == "library":
                if value.lower() in {"public", "private"}:
                    community.library_public = value.lower() == "public"
                else:
                    problems.append(
                        _("library is public or private, not {value}.").format(
                            value=repr(value[:40])
                        )
                    )
            elif key == "asks-per-day":
                number = parse_int(value, 1, MAX_ASKS_PER_DAY)
                if number is None:
                    problems.append(
                        _("asks-per-day is a number from 1 to {most}, not {value}.").format(
                            most=MAX_ASKS_PER_DAY, value=repr(value[:40])
                        )
                    )
                community.asks_per_day = number
            elif key == "escalate-after":
                days = parse_int(value, 1, MAX_ESCALATE_AFTER)
                if days is None:
                    problems.append(
                        _(
                            "escalate-after is a number of days from 1 to {most}, not {value}."
                        ).format(most=MAX_ESCALATE_AFTER, value=repr(value[:40]))
                    )
                community.escalate_after = days
            else:
                error = unknown_key(key, _SETTING_SPELLINGS, kind="setting", shown=SETTING_KEYS)
                problems.append(f"{error.message} {error.hint}")
        if problems:
            raise UsageError(" ".join(problems))
        ctx.session.add(community)
        _speak_community_language(ctx)
    return reply(
        Header(_("Community settings updated") if args.text else _("Community settings")),
        Fields(
            (
                (_("Name"), spans(community.name)),
                (_("Time zone"), spans(community.timezone)),
                (_("Language"), spans(community.language)),
                (
                    _("Review of new practices"),
                    spans(_("on") if community.review_enabled else _("off")),
                ),
                (
                    _("Questions a member may ask a day"),
                    spans(i18n.number(asks_per_day(community))),
                ),
                (
                    _("Web library"),
                    spans(_("public") if community.library_public else _("private")),
                ),
                (
                    _("Days before an unanswered question goes further"),
                    spans(i18n.number(escalate_after(community))),
                ),
            )
        ),
        data={
            "settings": {
                "name": community.name,
                "timezone": community.timezone,
                "language": community.language,
                "review": community.review_enabled,
                "asks_per_day": asks_per_day(community),
                "library": "public" if community.library_public else "private",
                "escalate_after": escalate_after(community),
            }
        },
    )


def _speak_community_language(ctx: Ctx) -> None:
    """After `/settings language:`, a member without a language of their own reads the reply
    (and every later one) in the community's new language."""
    ctx.locale = locale_for(ctx.member, ctx.invocation.actor.locale, ctx.community)
    i18n.switch(ctx.locale)
