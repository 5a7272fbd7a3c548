"""`/help`: generated from the registry, so it can never drift from what the bot really does.

The list is grouped by capability, one line a command (its name and summary); `/help COMMAND`
has the syntax and examples. Names are written bare (`/help`): the router gives them the
deployment's prefix, and `data` gets it here.
"""

from __future__ import annotations

from cop_bot.core.args import Args
from cop_bot.core.errors import UsageError
from cop_bot.core.model import Block, Bold, Code, Context, Header, Item, Reply, Text, reply, spans
from cop_bot.core.router import CommandSpec, Ctx, command, role_phrase


@command(
    "help",
    aliases=("cop", "commands"),
    summary="List the commands you can use, or show one command in full.",
    syntax=("[COMMAND]",),
    examples=("/help", "/help domains"),
)
def help_command(ctx: Ctx, args: Args) -> Reply:
    if args.words:
        name = args.words[0].lstrip("/!").lower()
        spec = ctx.registry.get(name)
        if spec is None:
            close = ctx.registry.suggest(name)
            hint = f" Did you mean {' or '.join('/' + c for c in close)}?" if close else ""
            raise UsageError(f"There is no command /{name}.{hint}")
        return _one(ctx, spec)
    return _overview(ctx)


def _overview(ctx: Ctx) -> Reply:
    visible = ctx.registry.visible_to(ctx.roles)
    groups: dict[str, list[CommandSpec]] = {title: [] for title in ctx.registry.groups}
    for spec in visible:
        groups.setdefault(spec.group, []).append(spec)
    blocks: list[Block] = [Header(f"{ctx.community.name}: what I can do")]
    for group, specs in groups.items():
        if not specs:
            continue
        if group:
            blocks.append(Text.of(Bold(group)))
        blocks.extend(
            Item(title=spans(Code(f"/{spec.name}")), meta=spans(spec.summary)) for spec in specs
        )
    blocks.append(
        Context(spans("Type ", Code("/help COMMAND"), " for the full syntax of one command."))
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
                    "summary": s.summary,
                    "group": s.group,
                }
                for s in visible
            ]
        },
    )


def _one(ctx: Ctx, spec: CommandSpec) -> Reply:
    usage_lines = [f"/{spec.name} {s}".rstrip() for s in spec.syntax] or [f"/{spec.name}"]
    blocks: list[Block] = [Header(f"/{spec.name}"), Text.of(spec.summary)]
    if spec.details:
        blocks.append(Text.of(spec.details))
    blocks.extend(Text.of("Usage: ", Code(line)) for line in usage_lines)
    blocks.extend(Text.of("Example: ", Code(example)) for example in spec.examples)
    if spec.aliases:
        blocks.append(Context(spans("Also: " + ", ".join("/" + a for a in spec.aliases))))
    if not ctx.has(spec.role):
        blocks.append(Context(spans(f"Only {role_phrase(spec.role)} can use this command.")))
    slash = ctx.registry.slash
    return reply(
        *blocks,
        data={
            "command": {
                "name": spec.name,
                "usage": [slash.text(line) for line in usage_lines],
                "examples": [slash.text(example) for example in spec.examples],
                "aliases": list(spec.aliases),
                "role": spec.role.value,
            }
        },
    )
