"""Command names as this deployment's members type them (`COP_BOT_SLASH_PREFIX`).

In a large Slack workspace `/help`, `/profile` or `/settings` already belong to other apps, so a
deployment may prefix every command: with `cop-`, members type `/cop-help` and `/cop-profile`
and the manifest registers those. Handlers keep writing `/help`: the router rewrites each reply
on its way out (`Slash.reply`), the way the Matrix renderer turns a button's `/` into `!`, so no
hint can be forgotten. Typed names are accepted with or without the prefix (`canonical`).

An alias equal to the prefix without its hyphen (`/cop` with `cop-`) is left as it is: it
already is the app's own name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property

from cop_bot.core.model import (
    Actions,
    Block,
    Bold,
    Button,
    Code,
    Context,
    Fields,
    Header,
    Inline,
    Item,
    Outgoing,
    Reply,
    Spans,
    Text,
)
from cop_bot.core.outbox import Direct, Outbox, Together, send_together

MAX_PREFIX = 15
"""Keeps the longest command, `/` + 15 + `schedule-session`, at 32 characters: Slack's limit for a
command name (as reported by other apps' manifests; not in docs/platform-rules.md yet)."""
_PREFIX_RE = re.compile(rf"[a-z][a-z0-9-]{{0,{MAX_PREFIX - 1}}}")
PREFIX_RULE = (
    "COP_BOT_SLASH_PREFIX must be lowercase letters, digits and hyphens, starting with a letter "
    f"and at most {MAX_PREFIX} characters long, such as cop-; got {{raw!r}}."
)


def parse_prefix(raw: str) -> str:
    """The prefix in `COP_BOT_SLASH_PREFIX` (any case, surrounding spaces ignored); '' for none.
    Raises ValueError with the rule and the value when it cannot be part of a command name."""
    prefix = raw.strip().lower()
    if prefix and not _PREFIX_RE.fullmatch(prefix):
        raise ValueError(PREFIX_RULE.format(raw=raw))
    return prefix


@dataclass(frozen=True)
class Slash:
    """One deployment's command names: `names` are every command name and alias."""

    prefix: str = ""
    names: frozenset[str] = field(default_factory=frozenset)

    @property
    def stem(self) -> str:
        return self.prefix.rstrip("-")

    def typed(self, name: str) -> str:
        """What a member types for command `name`: `help` -> `cop-help`."""
        return name if not self.prefix or name == self.stem else self.prefix + name

    def command(self, name: str) -> str:
        return "/" + self.typed(name)

    def canonical(self, typed: str) -> str:
        """The registry's name for a typed one: `cop-help` -> `help`; others unchanged."""
        name = typed.lower()
        if self.prefix and name not in self.names and name.startswith(self.prefix):
            bare = name[len(self.prefix) :]
            if bare in self.names:
                return bare
        return name

    def every_typed_name(self) -> list[str]:
        """Every name a command answers to, with and without the prefix."""
        return sorted({*self.names, *(self.typed(n) for n in self.names)})

    @cached_property
    def _pattern(self) -> re.Pattern[str] | None:
        names = sorted((n for n in self.names if n != self.stem), key=len, reverse=True)
        if not self.prefix or not names:
            return None
        alternatives = "|".join(re.escape(n) for n in names)
        # `/help` as a word: not inside a URL or a path (`example.org/help`), not `/help-me`.
        return re.compile(rf"(?<![\w/.:-])/({alternatives})(?![\w-])")

    def text(self, text: str) -> str:
        """`text` with every `/name` of a command written as members type it."""
        pattern = self._pattern
        if pattern is None or "/" not in text:
            return text
        return pattern.sub(lambda m: "/" + self.prefix + m.group(1), text)

    def reply(self, reply: Reply) -> Reply:
        if self._pattern is None:
            return reply
        return replace(
            reply,
            blocks=self.blocks(reply.blocks),
            notices=tuple(replace(n, blocks=self.blocks(n.blocks)) for n in reply.notices),
        )

    def blocks(self, blocks: Iterable[Block]) -> tuple[Block, ...]:
        return tuple(self._block(b) for b in blocks)

    def _block(self, b: Block) -> Block:
        if isinstance(b, Header):
            return Header(self.text(b.text))
        if isinstance(b, Text):
            return Text(self._spans(b.parts))
        if isinstance(b, Context):
            return Context(self._spans(b.parts))
        if isinstance(b, Item):
            return Item(self._spans(b.title), self._spans(b.body), self._spans(b.meta))
        if isinstance(b, Fields):
            return Fields(tuple((label, self._spans(value)) for label, value in b.pairs))
        if isinstance(b, Actions):
            return Actions(tuple(Button(x.label, self.text(x.command), x.style) for x in b.buttons))
        return b

    def _spans(self, parts: Spans) -> Spans:
        return tuple(self._inline(p) for p in parts)

    def _inline(self, part: Inline) -> Inline:
        if isinstance(part, str):
            return self.text(part)
        if isinstance(part, Code):
            return Code(self.text(part.text))
        if isinstance(part, Bold):
            return Bold(self.text(part.text))
        return part  # links and mentions name no command


@dataclass
class SlashOutbox:
    """Scheduled messages (reminders, digests) with the deployment's command names."""

    outbox: Outbox
    slash: Slash

    def post(self, message: Outgoing) -> None:
        self.outbox.post(replace(message, reply=self.slash.reply(message.reply)))

    def direct(self, message: Direct) -> None:
        self.outbox.direct(replace(message, reply=self.slash.reply(message.reply)))

    def together(self, message: Together) -> None:
        send_together(self.outbox, replace(message, reply=self.slash.reply(message.reply)))
