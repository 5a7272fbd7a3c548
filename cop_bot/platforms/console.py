"""The local console: a chat with the bot in the terminal, on the same engine as Slack and Matrix.

Lines starting with `:` talk to the console itself (`:as HANDLE` to speak as another member,
`:quit`); everything else is a command, with or without the leading `/`.

`cop-bot run` on the console also serves `/healthz` and the calendar feeds (`feed_server`), but
only when COP_BOT_PUBLIC_URL is set: that is the address `/sessions feed` shows members, so
setting it (e.g. `http://127.0.0.1:3000`) is what makes a server worth starting. A newcomer
trying the console needs no port, and one already in use only costs a one-line warning.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

from cop_bot.core.args import parse_command_line, strip_handle
from cop_bot.core.model import Actor, Conversation, Invocation, Reply, Text, reply
from cop_bot.core.router import Router
from cop_bot.render.text import render

PLATFORM = "console"
COMMUNITY = "local"
CHANNEL = "console"

if TYPE_CHECKING:
    from cop_bot.app import App


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
            return self.router.registry.slash.reply(
                reply(Text.of("That is not a command. Type /help to see what I can do."))
            )
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
            self.router.registry.slash.text(
                f"cop-bot console: you are @{self.handle}. Type /help for commands, "
                ":as HANDLE to speak as someone else, :quit to leave.\n"
            )
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


@contextmanager
def feed_server(app: App, err: TextIO) -> Iterator[str | None]:
    """`/healthz` and the calendar feeds on COP_BOT_HTTP_HOST:COP_BOT_HTTP_PORT, in a thread,
    while the block runs; yields the server's URL, or None when COP_BOT_PUBLIC_URL is not set
    or the port cannot be used (then one line on `err` says why and the console goes on)."""
    if not app.settings.public_url:
        yield None
        return
    from cop_bot.platforms import http

    server = http.BackgroundServer(app, PLATFORM)
    try:
        started = server.start()
    except http.ServerError as exc:
        err.write(f"cop-bot: {exc} The console goes on without it.\n")
        err.flush()
        started = None
    if started is None:
        yield None
        return
    err.write(f"cop-bot: {http.describe(started, app.settings)}\n")
    err.flush()
    try:
        yield started.url
    finally:
        server.stop()


def run(app: App) -> int:
    """`cop-bot run` without platform credentials: the chat on stdin/stdout, reminders and
    digests printed as they fall due, and `feed_server`."""
    from cop_bot.capabilities import start_jobs
    from cop_bot.core.outbox import ConsoleOutbox

    chat = ConsoleChat(app.router)
    reminders = start_jobs(app, ConsoleOutbox(sys.stdout))
    try:
        with feed_server(app, sys.stderr):
            chat.repl(sys.stdin, sys.stdout, prompt=sys.stdin.isatty())
    finally:
        reminders.shutdown(wait=False)
    return 0
