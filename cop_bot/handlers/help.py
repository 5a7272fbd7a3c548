"""`/help`: generated from the registry, so it can never drift from what the bot really does."""

from __future__ import annotations

from cop_bot.core.args import Args
from cop_bot.core.errors import UsageError
from cop_bot.core.model import Block, Code, Context, Header, Item, Reply, Text, reply, spans
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
    specs = sorted(ctx.registry.visible_to(ctx.roles), key=lambda s: s.name)
    items = [
        Item(
            title=spans(Code(spec.usage())),
            body=spans(spec.summary),
            meta=spans("Example: ", Code(spec.examples[0])) if spec.examples else (),
        )
        for spec in specs
    ]
    return reply(
        Header(f"{ctx.community.name}: what I can do"),
        *items,
        Context(spans("Type ", Code("/help COMMAND"), " for the full syntax of one command.")),
        data={
            "commands": [{"name": s.name, "usage": s.usage(), "summary": s.summary} for s in specs]
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
    return reply(
        *blocks,
        data={
            "command": {
                "name": spec.name,
                "usage": usage_lines,
                "examples": list(spec.examples),
                "aliases": list(spec.aliases),
                "role": spec.role.value,
            }
        },
    )
