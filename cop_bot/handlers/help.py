"""`/help`: generated from the registry, so it can never drift from what the bot really does.

The list is grouped by capability, one line a command (its name and summary); `/help COMMAND`
has the syntax and examples. Names are written bare (`/help`): the router gives them the
deployment's prefix, and `data` gets it here. Headings, summaries, details and examples are
marked with `N_()` where declared and shown here in the member's language; syntax lines are
the commands' API and stay as they are.
"""

from __future__ import annotations

from cop_bot.core import i18n
from cop_bot.core.args import Args
from cop_bot.core.errors import UsageError
from cop_bot.core.i18n import N_, _
from cop_bot.core.model import Block, Bold, Code, Context, Header, Item, Reply, Text, reply, spans
from cop_bot.core.router import CommandSpec, Ctx, command, role_phrase
from cop_bot.core.wording import phrase


@command(
    "help",
    aliases=("cop", "commands"),
    summary=N_("List the commands you can use, or show one command in full."),
    syntax=("[COMMAND]",),
    examples=("/help", "/help domains"),
)
def help_command(ctx: Ctx, args: Args) -> Reply:
    if args.words:
        name = args.words[0].lstrip("/!").lower()
        spec = ctx.registry.get(name)
        if spec is None:
            close = ctx.registry.suggest(name)
            if close:
                guess = i18n.join(("/" + c for c in close), style="or")
                raise UsageError(
                    _("There is no command /{name}. Did you mean {guess}?").format(
                        name=name, guess=guess
                    )
                )
            raise UsageError(_("There is no command /{name}.").format(name=name))
        return _one(ctx, spec)
    return _overview(ctx)


def _overview(ctx: Ctx) -> Reply:
    visible = ctx.registry.visible_to(ctx.roles)
    groups: dict[str, list[CommandSpec]] = {title: [] for title in ctx.registry.groups}
    for spec in visible:
        groups.setdefault(spec.group, []).append(spec)
    blocks: list[Block] = [
        Header(_("{community}: what I can do").format(community=ctx.community.name))
    ]
    for group, specs in groups.items():
        if not specs:
            continue
        if group:
            blocks.append(Text.of(Bold(_(group))))
        blocks.extend(
            Item(title=spans(Code(f"/{spec.name}")), meta=spans(_(spec.summary))) for spec in specs
        )
    blocks.append(
        Context(
            phrase(
                _("Type {command} for the full syntax of one command."),
                command=Code("/help COMMAND"),
            )
        )
    )
    slash = ctx.registry.slash
    return reply(
        *blocks,
        data={
            "commands": [
                {
                    "name": s.name,
                    "typed": slash.command(s.name),
                    "usage": slash.text(s.usage()),
                    "summary": _(s.summary),
                    "group": s.group,
                }
                for s in visible
            ]
        },
    )


def _one(ctx: Ctx, spec: CommandSpec) -> Reply:
    usage_lines = [f"/{spec.name} {s}".rstrip() for s in spec.syntax] or [f"/{spec.name}"]
    examples = [_(example) for example in spec.examples]
    blocks: list[Block] = [Header(f"/{spec.name}"), Text.of(_(spec.summary))]
    if spec.details:
        blocks.append(Text.of(_(spec.details)))
    blocks.extend(Text.of(_("Usage:") + " ", Code(line)) for line in usage_lines)
    blocks.extend(Text.of(_("Example:") + " ", Code(example)) for example in examples)
    if spec.aliases:
        also = ", ".join("/" + a for a in spec.aliases)
        blocks.append(Context(spans(_("Also: {aliases}").format(aliases=also))))
    if not ctx.has(spec.role):
        only = role_phrase(spec.role).format(doing=_("use this command"))
        blocks.append(Context(spans(only)))
    slash = ctx.registry.slash
    return reply(
        *blocks,
        data={
            "command": {
                "name": spec.name,
                "usage": [slash.text(line) for line in usage_lines],
                "examples": [slash.text(example) for example in examples],
                "aliases": list(spec.aliases),
                "role": spec.role.value,
            }
        },
    )
