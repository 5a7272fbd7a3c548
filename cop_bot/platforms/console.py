"""The local console: a chat with the bot in the terminal, on the same engine as Slack and Matrix.

Lines starting with `:` talk to the console itself (`:as HANDLE` to speak as another member,
`:quit`); everything else is a command, with or without the leading `/`.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable
from typing import TextIO

from cop_bot.args import parse_command_line, strip_handle
from cop_bot.model import Actor, Conversation, Invocation, Reply, Text, reply
from cop_bot.render.text import render
from cop_bot.router import Router

PLATFORM = "console"
COMMUNITY = "local"
CHANNEL = "console"


def default_handle() -> str:
    try:
        return strip_handle(getpass.getuser()) or "local-user"
    except (KeyError, OSError):
        return "local-user"


def conversation(channel: str = CHANNEL) -> Conversation:
    return Conversation(platform=PLATFORM, community_id=COMMUNITY, channel_id=channel)


def render_for_console(result: Reply) -> str:
    """The reply, then each direct message it causes, marked as such."""
    parts = [render(result)]
    for notice in result.notices:
        body = render(Reply(blocks=notice.blocks)).replace("\n", "\n    ")
        parts.append(f"  ✉ to @{notice.to.handle}: {body}")
    return "\n".join(parts)


class ConsoleChat:
    """One person typing into the console; `send` is what tests and the REPL both use."""

    def __init__(self, router: Router, handle: str | None = None, channel: str = CHANNEL) -> None:
        self.router = router
        self.handle = strip_handle(handle or default_handle())
        self.channel = channel

    def invoke(self, line: str) -> Reply | None:
        parsed = parse_command_line(line)
        if parsed is None:
            if not line.strip():
                return None
            return reply(Text.of("That is not a command. Type /help to see what I can do."))
        return self.router.dispatch(
            Invocation(
                name=parsed.name,
                text=parsed.rest,
                actor=Actor(handle=self.handle),
                conversation=conversation(self.channel),
                raw=line,
            )
        )

    def send(self, line: str) -> str:
        result = self.invoke(line)
        return render_for_console(result) if result is not None else ""

    def repl(self, lines: Iterable[str], out: TextIO, *, prompt: bool = True) -> None:
        out.write(
            f"cop-bot console: you are @{self.handle}. Type /help for commands, "
            ":as HANDLE to speak as someone else, :quit to leave.\n"
        )
        if prompt:
            out.write("> ")
            out.flush()
        for raw in lines:
            line = raw.rstrip("\n")
            if line.strip() in {":quit", ":q", ":exit"}:
                break
            if line.startswith(":as"):
                handle = strip_handle(line[3:])
                if handle:
                    self.handle = handle
                    out.write(f"You are now @{self.handle}.\n")
                else:
                    out.write("Usage: :as HANDLE\n")
            elif line.strip():
                text = self.send(line)
                if text:
                    out.write(text + "\n")
            if prompt:
                out.write("> ")
                out.flush()
        out.write("\nBye.\n")
