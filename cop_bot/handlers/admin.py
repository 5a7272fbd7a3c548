"""Roles and community settings: the few things admins control."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session

from cop_bot.core.args import Args, did_you_mean, parse_form, parse_handle, parse_int, unknown_key
from cop_bot.core.errors import CommandError, UsageError
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
from cop_bot.experts.admins import is_last_admin
from cop_bot.experts.questions import DEFAULT_ASKS_PER_DAY, MAX_ASKS_PER_DAY, asks_per_day
from cop_bot.storage import repos
from cop_bot.storage.models import Member

ROLE_HELP = "facilitator (schedules sessions), curator (reviews practices) or admin"
CONFIRM = "confirm"


def article(role: Role) -> str:
    return ("an " if role.value[0] in "aeiou" else "a ") + role.value


def parse_role(text: str) -> Role:
    word = text.strip().lower().rstrip("s")
    for role in Role:
        if role is not Role.MEMBER and role.value == word:
            return role
    raise UsageError(f"{text!r} is not a role. Roles are {ROLE_HELP}.")


def closest_handle(session: Session, community_id: int, handle: str) -> str | None:
    """The known member a mistyped handle most likely means (`amina` -> `amina.haddad`)."""
    return did_you_mean(handle, repos.member_handles(session, community_id))


@command(
    "role",
    aliases=("roles",),
    summary="See who facilitates, curates and administers; admins grant and revoke roles.",
    syntax=("[list]", "grant HANDLE ROLE [confirm]", "revoke HANDLE ROLE"),
    examples=(
        "/role",
        "/role grant @amina.haddad facilitator",
        "/role revoke @amina.haddad facilitator",
    ),
    details=(
        f"Roles: {ROLE_HELP}. Everyone is a member. To grant a role to someone the bot has "
        "never seen (they have not used it yet), add `confirm` once it asks."
    ),
)
def role_command(ctx: Ctx, args: Args) -> Reply:
    action = (args.word(0) or "list").lower()
    if action in {"list", "show"}:
        return _list_roles(ctx)
    if action not in {"grant", "revoke"}:
        raise UsageError(f"I don't know `/role {action}`: use list, grant or revoke.")
    confirmed = action == "grant" and [w.lower() for w in args.words[3:]] == [CONFIRM]
    if len(args.words) != 3 and not confirmed:
        raise UsageError(f"`/role {action}` needs a member and a role.")
    ctx.require(Role.ADMIN, f"{action} roles")
    handle, role = parse_handle(args.words[1]), parse_role(args.words[2])
    if action == "grant":
        known = repos.find_member(ctx.session, ctx.community_id, handle)
        if known is None and not confirmed:
            return _confirm_new_member(ctx, handle, role)
        member = known or repos.ensure_member(ctx.session, ctx.community_id, handle, now=ctx.now)
        added = repos.grant_role(
            ctx.session, member, role, granted_by=ctx.member.handle, now=ctx.now
        )
        text = (
            spans(Mention(member.handle, member.display_name), f" is now {article(role)}.")
            if added
            else spans(
                Mention(member.handle, member.display_name), f" was already {article(role)}."
            )
        )
    else:
        found = repos.find_member(ctx.session, ctx.community_id, handle)
        if found is None:
            close = closest_handle(ctx.session, ctx.community_id, handle)
            raise CommandError(
                f"There is no member @{handle} in this community.",
                hint=f"Did you mean @{close}?" if close else None,
            )
        member = found
        if role is Role.ADMIN and member.id == ctx.member.id:
            _refuse_last_admin(ctx)
        removed = repos.revoke_role(ctx.session, member, role)
        if not removed:
            raise CommandError(
                f"@{member.handle} is not {article(role)}, so there is nothing to revoke."
            )
        text = spans(Mention(member.handle, member.display_name), f" is no longer {article(role)}.")
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
        Text.of(f"I have never seen @{handle} in this community, so I have not granted anything.")
    ]
    if close is not None:
        blocks.append(Text.of(f"Did you mean @{close}?"))
    blocks.append(
        Context(spans("If they have not used the bot yet, grant it anyway with ", Code(grant), "."))
    )
    blocks.append(Actions((Button("Grant anyway", grant),)))
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
            "You are the last admin of this community.",
            hint="Grant the admin role to someone else first.",
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
        ) or spans("nobody yet")
        pairs.append((role.value.capitalize() + "s", shown))
    mine = sorted(r.value for r in ctx.roles) or ["member"]
    return reply(
        Header("Roles"),
        Fields(tuple(pairs)),
        Context(
            spans(
                "Your roles: " + ", ".join(mine) + ". Admins change roles with ",
                Code("/role grant HANDLE ROLE"),
                ".",
            )
        ),
        data={**data, "you": mine},
    )


SETTING_KEYS = {
    "timezone": "IANA time zone, e.g. Europe/Brussels",
    "language": "two-letter language code, e.g. fr",
    "name": "the community's name",
    "review": "on or off: whether new practices wait for a curator's approval",
    "asks-per-day": (
        f"how many questions one member may /ask in 24 hours, 1 to {MAX_ASKS_PER_DAY} "
        f"(default {DEFAULT_ASKS_PER_DAY})"
    ),
}
_SETTING_SPELLINGS = (*SETTING_KEYS, "tz", "time-zone")
_ON = {"on", "yes", "true", "1", "enabled"}
_OFF = {"off", "no", "false", "0", "disabled"}


@command(
    "settings",
    summary="See the community's settings; admins change them.",
    syntax=("", "KEY: VALUE; KEY: VALUE"),
    examples=("/settings", "/settings timezone: Europe/Brussels; language: fr"),
    details="Keys: " + "; ".join(f"{k} ({v})" for k, v in SETTING_KEYS.items()) + ".",
    parse="raw",
)
def settings_command(ctx: Ctx, args: Args) -> Reply:
    community = ctx.community
    if args.text:
        ctx.require(Role.ADMIN, "change the community's settings")
        changes = parse_form(args.text, keys=_SETTING_SPELLINGS)
        problems: list[str] = []
        for key, value in changes:
            if key in {"timezone", "tz", "time-zone"}:
                try:
                    ZoneInfo(value)
                    community.timezone = value
                except (ZoneInfoNotFoundError, ValueError):
                    problems.append(
                        f"{value!r} is not a time zone; use an IANA name such as Europe/Brussels."
                    )
            elif key == "language":
                if value.lower() in ctx.taxonomy.languages:
                    community.language = value.lower()
                else:
                    problems.append(
                        f"{value!r} is not a language I speak; use one of {', '.join(ctx.taxonomy.languages)}."
                    )
            elif key == "name":
                if len(value.splitlines()) > 1:  # it heads calendars and digests: one line
                    problems.append(
                        "The name must be a single line, e.g. `name: Migrant Integration Network`."
                    )
                elif not 0 < len(value) <= 200:
                    problems.append("The name must be 1 to 200 characters.")
                community.name = value
            elif key == "review":
                if value.lower() in _ON | _OFF:
                    community.review_enabled = value.lower() in _ON
                else:
                    problems.append(f"review is on or off, not {value[:40]!r}.")
            elif key == "asks-per-day":
                number = parse_int(value, 1, MAX_ASKS_PER_DAY)
                if number is None:
                    problems.append(
                        f"asks-per-day is a number from 1 to {MAX_ASKS_PER_DAY}, not {value[:40]!r}."
                    )
                community.asks_per_day = number
            else:
                error = unknown_key(key, _SETTING_SPELLINGS, kind="setting", shown=SETTING_KEYS)
                problems.append(f"{error.message} {error.hint}")
        if problems:
            raise UsageError(" ".join(problems))
        ctx.session.add(community)
    return reply(
        Header("Community settings" + (" updated" if args.text else "")),
        Fields(
            (
                ("Name", spans(community.name)),
                ("Time zone", spans(community.timezone)),
                ("Language", spans(community.language)),
                ("Review of new practices", spans("on" if community.review_enabled else "off")),
                ("Questions a member may ask a day", spans(str(asks_per_day(community)))),
            )
        ),
        data={
            "settings": {
                "name": community.name,
                "timezone": community.timezone,
                "language": community.language,
                "review": community.review_enabled,
                "asks_per_day": asks_per_day(community),
            }
        },
    )
