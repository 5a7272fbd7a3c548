"""The command engine: a declarative registry and the one dispatch path every platform uses.

`dispatch` opens ONE storage session per command, resolves the community and the member, checks
the command's role, parses the arguments, calls the handler and commits. A failed command writes
nothing: user errors become helpful replies, bugs become a short apology with a reference.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import ModuleType
from typing import Literal, TypeVar, cast

from rapidfuzz import fuzz, process
from sqlalchemy import Engine
from sqlmodel import Session

from cop_bot.config import Settings
from cop_bot.core import i18n
from cop_bot.core.args import Args, clean_input, parse_args, parse_command_line
from cop_bot.core.clock import Clock
from cop_bot.core.errors import CommandError, PermissionDenied, UsageError
from cop_bot.core.i18n import N_, _
from cop_bot.core.members import community_for, locale_for
from cop_bot.core.model import (
    Code,
    Context,
    Invocation,
    Reply,
    Role,
    Status,
    Text,
    Visibility,
    spans,
)
from cop_bot.core.seen import Seen, replayed
from cop_bot.core.slash import Slash
from cop_bot.core.taxonomy import Taxonomy
from cop_bot.core.wording import phrase
from cop_bot.insights import activity
from cop_bot.logs import FILE_ONLY
from cop_bot.storage import repos
from cop_bot.storage.db import session_scope
from cop_bot.storage.failures import MEMBER_MESSAGES, Trouble, operator_message, trouble_of
from cop_bot.storage.models import Community, Member

log = logging.getLogger(__name__)

Handler = Callable[["Ctx", Args], Reply]
T = TypeVar("T")
ROLE_ORDER = (Role.MEMBER, Role.FACILITATOR, Role.CURATOR, Role.ADMIN)


@dataclass(frozen=True)
class CommandSpec:
    name: str
    handler: Handler
    summary: str
    syntax: tuple[str, ...]
    examples: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    role: Role = Role.MEMBER
    options: tuple[str, ...] = ()
    details: str = ""
    parse: Literal["args", "raw"] = "args"
    group: str = ""
    """The capability `/help` lists it under (set by `Registry.scan`)."""
    checks_role: bool = False
    """The handler checks `role` itself, because someone else may use it too (a group's focal
    points schedule its sessions); `/help` still lists the command by `role`."""

    def usage(self) -> str:
        return f"/{self.name} {self.syntax[0]}".rstrip() if self.syntax else f"/{self.name}"


def command(
    name: str,
    *,
    summary: str,
    syntax: str | Iterable[str] = "",
    examples: str | Iterable[str] = (),
    aliases: Iterable[str] = (),
    role: Role = Role.MEMBER,
    options: Iterable[str] = (),
    details: str = "",
    parse: Literal["args", "raw"] = "args",
    checks_role: bool = False,
) -> Callable[[Handler], Handler]:
    """Declare a chat command. The spec lives on the function; `Registry.scan` collects it."""

    def wrap(fn: Handler) -> Handler:
        spec = CommandSpec(
            name=name,
            handler=fn,
            summary=summary,
            syntax=(syntax,) if isinstance(syntax, str) else tuple(syntax),
            examples=(examples,) if isinstance(examples, str) else tuple(examples),
            aliases=tuple(aliases),
            role=role,
            options=tuple(options),
            details=details,
            parse=parse,
            checks_role=checks_role,
        )
        fn.__command_spec__ = spec  # type: ignore[attr-defined]
        return fn

    return wrap


@dataclass
class Registry:
    commands: dict[str, CommandSpec] = field(default_factory=dict)
    _aliases: dict[str, str] = field(default_factory=dict)
    prefix: str = ""
    """COP_BOT_SLASH_PREFIX: members type `/PREFIXname` (see `cop_bot.core.slash`)."""
    groups: tuple[str, ...] = ()
    """The capabilities' headings, in the order `/help` lists them."""
    _slash: Slash | None = field(default=None, init=False, repr=False)

    def add(self, spec: CommandSpec) -> None:
        for key in (spec.name, *spec.aliases):
            if key in self.commands or key in self._aliases:
                raise ValueError(f"command name {key!r} is declared twice")
        self.commands[spec.name] = spec
        for alias in spec.aliases:
            self._aliases[alias] = spec.name
        self._slash = None

    def scan(
        self, *modules: ModuleType, groups: Mapping[ModuleType, str] | None = None
    ) -> Registry:
        """Add the commands declared in `modules`; `groups` names each module's capability."""
        self.groups = tuple(dict.fromkeys([*self.groups, *(groups or {}).values()]))
        for module in modules:
            for value in vars(module).values():
                spec = getattr(value, "__command_spec__", None)
                if isinstance(spec, CommandSpec):
                    group = (groups or {}).get(module)
                    self.add(replace(spec, group=group) if group else spec)
        return self

    @property
    def slash(self) -> Slash:
        """The names as members type them, with the deployment's prefix."""
        if self._slash is None:
            self._slash = Slash(self.prefix, frozenset([*self.commands, *self._aliases]))
        return self._slash

    def get(self, name: str) -> CommandSpec | None:
        """The command a typed name means, with or without the prefix (`cop-help`, `help`)."""
        name = self.slash.canonical(name)
        return self.commands.get(name) or self.commands.get(self._aliases.get(name, ""))

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        """Known command names close to a mistyped one ("find-exprt" -> "find-expert"); the
        prefix, if typed, is not part of the comparison."""
        keys = [*self.commands, *self._aliases]
        typed = name.lower()
        if self.prefix and typed.startswith(self.prefix):
            typed = typed[len(self.prefix) :]
        found = process.extract(typed, keys, scorer=fuzz.WRatio, limit=limit * 2, score_cutoff=70)
        names: list[str] = []
        for key, _score, _i in found:
            canonical = self._aliases.get(key, key)
            if canonical not in names:
                names.append(canonical)
        return names[:limit]

    def visible_to(self, roles: frozenset[Role]) -> list[CommandSpec]:
        return [s for s in self.commands.values() if has_role(roles, s.role)]


def has_role(roles: frozenset[Role], needed: Role) -> bool:
    return needed is Role.MEMBER or needed in roles or Role.ADMIN in roles


_ONLY = {
    Role.ADMIN: N_("Only admins can {doing}."),
    Role.CURATOR: N_("Only curators and admins can {doing}."),
    Role.FACILITATOR: N_("Only facilitators and admins can {doing}."),
    Role.MEMBER: N_("Only members can {doing}."),
}


def role_phrase(role: Role) -> str:
    """`Only curators and admins can {doing}.` in the active language; `doing` is filled in."""
    return _(_ONLY[role])


@dataclass
class Ctx:
    """Everything a handler may use: the command's session, who and where, the clock."""

    session: Session
    invocation: Invocation
    community: Community
    member: Member
    settings: Settings
    taxonomy: Taxonomy
    clock: Clock
    registry: Registry
    locale: str = i18n.DEFAULT
    """The language every word of this command's reply is written in, resolved once by the
    router (`core.members.locale_for`) and active while the handler runs: handlers call `_()`."""
    services: dict[type, object] = field(default_factory=dict)
    # Roles the platform or the settings give, whatever the database says (e.g. Matrix power).
    given_roles: frozenset[Role] = frozenset()
    _roles: frozenset[Role] | None = field(default=None, init=False, repr=False)

    @property
    def roles(self) -> frozenset[Role]:
        """Read on first use: most commands are open to every member and never need it."""
        if self._roles is None:
            assert self.member.id is not None
            granted = repos.granted_roles(self.session, self.member.id)
            self._roles = frozenset(granted) | self.given_roles
        return self._roles

    def service(self, kind: type[T]) -> T:
        """A long-lived helper owned by the router (e.g. a search index), made on first use.

        Services must treat the database as the source of truth: they may cache, but must
        check a version counter in the command's session before trusting what they hold.
        """
        found = self.services.get(kind)
        if found is None:
            found = self.services.setdefault(kind, kind())
        return cast(T, found)

    @property
    def now(self) -> datetime:
        return self.clock.now()

    @property
    def community_id(self) -> int:
        assert self.community.id is not None
        return self.community.id

    @property
    def language(self) -> str:
        """The language of the reply (the taxonomy's labels are shown in it too)."""
        return self.locale

    def locale_of(self, member: Member) -> str:
        """The language to write to another member in (a notice, a direct message): theirs if
        they chose one, else the community's."""
        return locale_for(member, None, self.community)

    def writing_to(self, member: Member) -> AbstractContextManager[str]:
        """`with ctx.writing_to(expert): Notice(...)`: the notice's words in their language."""
        return i18n.using(self.locale_of(member))

    def has(self, role: Role) -> bool:
        return role is Role.MEMBER or has_role(self.roles, role)

    def require(self, role: Role, doing: str) -> None:
        """`doing` is an infinitive phrase already in the active language (`_("review practices")`)."""
        if not self.has(role):
            raise PermissionDenied(
                role_phrase(role).format(doing=doing), hint=self.who_can_grant(role)
            )

    def who_can_grant(self, role: Role) -> str:
        admins = sorted(
            {m.handle for m in repos.members_with_role(self.session, self.community_id, Role.ADMIN)}
            | set(self.settings.admins)
        )
        grant = f"/role grant {self.member.handle} {role.value}"
        if admins:
            names = ", ".join(f"@{a}" for a in admins[:5])
            return _("Ask an admin ({names}) to run `{grant}`.").format(names=names, grant=grant)
        return _("Ask whoever runs the bot to run `{command}`.").format(
            command=f"cop-bot roles grant {self.member.handle} {role.value}"
        )


class Router:
    def __init__(
        self,
        engine: Engine,
        registry: Registry,
        settings: Settings,
        taxonomy: Taxonomy,
        clock: Clock,
    ) -> None:
        self.engine = engine
        self.registry = registry
        self.settings = settings
        self.taxonomy = taxonomy
        self.clock = clock
        self.services: dict[type, object] = {}
        self.seen = Seen(engine, clock)  # commands that may arrive twice (`Invocation.once`)

    def dispatch_text(self, text: str, invocation_base: Invocation) -> Reply | None:
        """Parse a typed line and dispatch it; None when the line is not a command."""
        parsed = parse_command_line(text)
        if parsed is None:
            return None
        return self.dispatch(
            Invocation(
                name=parsed.name,
                text=parsed.rest,
                actor=invocation_base.actor,
                conversation=invocation_base.conversation,
                raw=text,
            )
        )

    def dispatch(self, invocation: Invocation) -> Reply:
        """The reply to one command, with command names as this deployment types them."""
        return self.registry.slash.reply(self._dispatch(invocation))

    def _dispatch(self, invocation: Invocation) -> Reply:
        """Written in the platform's or the deployment's language until the member is known,
        then in the member's (`ctx.locale`)."""
        first = i18n.supported(invocation.actor.locale) or i18n.supported(self.settings.language)
        with i18n.using(first):
            return self._dispatch_in(invocation)

    def _dispatch_in(self, invocation: Invocation) -> Reply:
        spec = self.registry.get(invocation.name)
        invocation = replace(invocation, text=clean_input(invocation.text))
        if spec is None:
            known = self._known_language(invocation)
            if known is not None:
                i18n.switch(known)
            return self._unknown(invocation.name)
        try:
            with session_scope(self.engine) as session:
                once = invocation.once
                if once is not None and not self.seen.claim_in(session.connection(), once):
                    return replayed()
                ctx = self._context(session, invocation)
                i18n.switch(ctx.locale)
                if ctx.member.id is not None:
                    activity.record(session, ctx.community_id, ctx.member.id, ctx.now)
                if not spec.checks_role:
                    ctx.require(spec.role, _("use {command}").format(command=f"/{spec.name}"))
                args = (
                    parse_args(invocation.text, spec.options)
                    if spec.parse == "args"
                    else Args(text=invocation.text.strip())
                )
                return spec.handler(ctx, args)
        except UsageError as exc:
            return error_reply(
                exc, spec=spec, code="usage", text=invocation.text, slash=self.registry.slash
            )
        except PermissionDenied as exc:
            return error_reply(exc, code="permission", slash=self.registry.slash)
        except CommandError as exc:
            return error_reply(exc, code="command", slash=self.registry.slash)
        except Exception as exc:
            trouble = trouble_of(exc)
            if trouble is not None:
                return self._database_trouble(invocation.name, trouble, exc)
            ref = secrets.token_hex(4)
            log.exception("command /%s failed (ref %s)", invocation.name, ref)
            message = _(
                "Sorry, something went wrong on our side and nothing was changed. Please try "
                "again; if it keeps failing, tell an admin (reference {ref})."
            ).format(ref=ref)
            return Reply(
                blocks=(Text.of(message),),
                data={"error": {"code": "internal", "message": message, "reference": ref}},
                status=Status.INTERNAL_ERROR,
            )

    def _database_trouble(self, name: str, trouble: Trouble, exc: Exception) -> Reply:
        """Not a bug: the member learns nothing was changed, the operator what to fix."""
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0:1]
        log.warning(  # the log file only: a command line prints its own line, /healthz warns
            "command /%s: %s (%s)",
            name,
            operator_message(trouble, self.settings.database_url),
            reason[0] if reason else type(exc).__name__,
            extra=FILE_ONLY,
        )
        return Reply(
            blocks=(Text.of(_(MEMBER_MESSAGES[trouble])),),
            data={"error": {"code": trouble.value}},
            status=Status.INTERNAL_ERROR,
        )

    def _context(self, session: Session, invocation: Invocation) -> Ctx:
        now = self.clock.now()
        community, member = repos.community_and_member(
            session, invocation.conversation, invocation.actor.handle
        )
        if community is None:
            community = community_for(session, self.settings, invocation.conversation, now)
        assert community.id is not None
        member = repos.get_or_create_member(
            session, community.id, invocation.actor, now=now, found=member
        )
        assert member.id is not None
        given = set(invocation.actor.roles)
        if member.handle in self.settings.admins:
            given.add(Role.ADMIN)
        return Ctx(
            session=session,
            invocation=invocation,
            community=community,
            member=member,
            settings=self.settings,
            taxonomy=self.taxonomy,
            clock=self.clock,
            registry=self.registry,
            locale=locale_for(member, invocation.actor.locale, community),
            services=self.services,
            given_roles=frozenset(given),
        )

    def _known_language(self, invocation: Invocation) -> str | None:
        """The language of a member the bot already knows, without creating anything (a
        mistyped command writes nothing): None when the database cannot say."""
        try:
            with session_scope(self.engine) as session:
                community, member = repos.community_and_member(
                    session, invocation.conversation, invocation.actor.handle
                )
                if community is None:
                    return i18n.active()
                if member is None:
                    member = Member(community_id=community.id or 0, handle="")
                return locale_for(member, invocation.actor.locale, community)
        except Exception:  # the reply to a typo must not depend on the database
            log.debug("no language for an unknown command", exc_info=True)
            return None

    def _unknown(self, name: str) -> Reply:
        close = self.registry.suggest(name)
        if close:
            guess = i18n.join((f"/{c}" for c in close), style="or")
            message = _("I don't know the command /{name}. Did you mean {guess}?").format(
                name=name, guess=guess
            )
        else:
            message = _("I don't know the command /{name}.").format(name=name)
        return Reply(
            blocks=(
                Text.of(message),
                Context(phrase(_("Type {command} to see every command."), command=Code("/help"))),
            ),
            data={"error": {"code": "unknown_command", "message": message, "suggestions": close}},
            status=Status.USER_ERROR,
        )


def usage_for(spec: CommandSpec, text: str) -> tuple[str, str | None]:
    """The one syntax line and example of the sub-command the member was trying to use (the
    command's first form when the text names none): `/help COMMAND` has every form."""
    first = text.split()[0].lower() if text.split() else ""
    lines = [s for s in spec.syntax if first and s.split()[:1] == [first]] or list(spec.syntax)
    examples = [e for e in spec.examples if first and e.split()[1:2] == [first]]
    example = examples[0] if examples else (spec.examples[0] if spec.examples else None)
    return (f"/{spec.name} {lines[0]}".rstrip() if lines else f"/{spec.name}"), example


def error_reply(
    exc: CommandError,
    *,
    spec: CommandSpec | None = None,
    code: str,
    visibility: Visibility = "ephemeral",
    text: str = "",
    slash: Slash | None = None,
) -> Reply:
    """The reason, then for a usage error one usage line and one example. `slash` writes the
    command names in `data` as members type them (the router does the blocks)."""
    named = slash.text if slash is not None else str
    blocks: list[Text | Context] = [Text.of(exc.message)]
    if exc.hint:
        blocks.append(Context(spans(exc.hint)))
    data: dict[str, object] = {"code": code, "message": named(exc.message)}
    if spec is not None:
        usage, example = usage_for(spec, text)
        blocks.append(Context(spans(_("Usage:") + " ", Code(usage))))
        if example:
            blocks.append(Context(spans(_("Example:") + " ", Code(_(example)))))
        data["usage"] = named(usage)
    return Reply(
        blocks=tuple(blocks),
        visibility=visibility,
        data={"error": data},
        status=Status.USER_ERROR,
    )
