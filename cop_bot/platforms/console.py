"""The local console: a chat with the bot in the terminal, on the same engine as Slack and Matrix.

Lines starting with `:` talk to the console itself (`:as HANDLE` to speak as another member,
`:quit`); everything else is a command, with or without the leading `/`.

The console's own words (the greeting, "not a command", where a file was saved) are written in
the language of the last reply the member got (`Reply.locale`: the router knows their language,
the console opens no storage session to find it), and before any, in the deployment's
(COP_BOT_LANGUAGE). Each direct message a command causes is shown in its recipient's language.

`cop-bot run` on the console also serves `/healthz` and the calendar feeds (`feed_server`), but
only when COP_BOT_PUBLIC_URL is set: that is the address `/sessions feed` shows members, so
setting it (e.g. `http://127.0.0.1:3000`) is what makes a server worth starting. A newcomer
trying the console needs no port, and one already in use only costs a one-line warning.
"""

from __future__ import annotations

import dataclasses
import getpass
import itertools
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from cop_bot.core import i18n
from cop_bot.core.args import parse_command_line, parse_handle
from cop_bot.core.errors import UsageError
from cop_bot.core.i18n import _
from cop_bot.core.model import Actor, Attachment, Conversation, Invocation, Reply, Text, reply
from cop_bot.core.router import Router
from cop_bot.render.common import file_size
from cop_bot.render.text import render

PLATFORM = "console"
COMMUNITY = "local"
CHANNEL = "console"

if TYPE_CHECKING:
    from cop_bot.app import App


def default_handle() -> str:
    """The login name when it makes a valid handle, else `local-user`."""
    try:
        return parse_handle(getpass.getuser())
    except (KeyError, OSError, UsageError):
        return "local-user"


def conversation(channel: str = CHANNEL) -> Conversation:
    return Conversation(platform=PLATFORM, community_id=COMMUNITY, channel_id=channel)


FILES_DIR = "files"
"""Where the console saves files that come with replies, under COP_BOT_STATE_DIR."""
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def save_files(result: Reply, folder: Path) -> dict[Attachment, Path]:
    """Each attached file written into `folder` (made if needed, readable by its owner only:
    an export is personal data), never over an existing file: `session-1.ics`, then
    `session-1 (2).ics`, and so on."""
    saved: dict[Attachment, Path] = {}
    for attachment in result.attachments:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        name = _UNSAFE_NAME.sub("-", Path(attachment.filename).name).strip(".-") or "file"
        stem, dot, suffix = name.partition(".")
        for n in itertools.count(1):
            path = folder / (name if n == 1 else f"{stem} ({n}){dot}{suffix}")
            try:
                with path.open("xb") as handle:
                    handle.write(attachment.content)
            except FileExistsError:
                continue
            path.chmod(0o600)
            saved[attachment] = path.resolve()
            break
    return saved


def with_saved_files(result: Reply, saved: Mapping[Attachment, Path]) -> Reply:
    """The reply with each saved file's line saying where it is (in the reply's language)."""
    with i18n.using(result.locale):
        blocks = tuple(
            Text.of(
                _("The file {filename} ({size}) is saved as {path}.").format(
                    filename=b.filename, size=file_size(b.size), path=saved[b]
                )
            )
            if isinstance(b, Attachment) and b in saved
            else b
            for b in result.blocks
        )
    return dataclasses.replace(result, blocks=blocks)


def render_for_console(result: Reply, saved: Mapping[Attachment, Path] | None = None) -> str:
    """The reply (with where its files were saved), then each direct message it causes,
    marked as such."""
    parts = [render(with_saved_files(result, saved or {}))]
    for notice in result.notices:
        body = render(Reply(blocks=notice.blocks, locale=notice.locale)).replace("\n", "\n    ")
        with i18n.using(result.locale):  # the marker speaks to the sender, the body to them
            to = _("✉ to @{handle}:").format(handle=notice.to.handle)
        parts.append(f"  {to} {body}")
    return "\n".join(parts)


class ConsoleChat:
    """One person typing into the console; `send` is what tests and the REPL both use."""

    def __init__(
        self,
        router: Router,
        handle: str | None = None,
        channel: str = CHANNEL,
        *,
        files_dir: Path | None = None,
    ) -> None:
        self.router = router
        self.handle = parse_handle(handle) if handle else default_handle()
        self.channel = channel
        self.files_dir = files_dir  # where `send` saves the files replies carry; None: nowhere
        self.locale = router.settings.language
        """The language of the console's own words: the last reply's, else the deployment's."""

    def invoke(self, line: str) -> Reply | None:
        parsed = parse_command_line(line)
        if parsed is None:
            if not line.strip():
                return None
            with i18n.using(self.locale):
                return self.router.registry.slash.reply(
                    reply(Text.of(_("That is not a command. Type /help to see what I can do.")))
                )
        result = self.router.dispatch(
            Invocation(
                name=parsed.name,
                text=parsed.rest,
                actor=Actor(handle=self.handle),
                conversation=conversation(self.channel),
                raw=line,
            )
        )
        self.locale = result.locale
        return result

    def speak_as(self, text: str) -> str:
        """`:as HANDLE`: speak as another member, if HANDLE is one (the same rule as in chat)."""
        with i18n.using(self.locale):
            if not text.strip():
                return _("Usage: :as HANDLE")
            try:
                handle = parse_handle(text)
            except UsageError as exc:
                return f"{exc.message} {exc.hint}" if exc.hint else exc.message
        if handle != self.handle:  # someone else: their language is not known yet
            self.locale = self.router.settings.language
        self.handle = handle
        with i18n.using(self.locale):
            return _("You are now @{handle}.").format(handle=handle)

    def send(self, line: str) -> str:
        result = self.invoke(line)
        if result is None:
            return ""
        saved = save_files(result, self.files_dir) if self.files_dir is not None else {}
        return render_for_console(result, saved)

    def repl(self, lines: Iterable[str], out: TextIO, *, prompt: bool = True) -> None:
        with i18n.using(self.locale):
            greeting = _(
                "cop-bot console: you are @{handle}. Type /help for commands, "
                ":as HANDLE to speak as someone else, :quit to leave."
            ).format(handle=self.handle)
        out.write(self.router.registry.slash.text(greeting) + "\n")
        if prompt:
            out.write("> ")
            out.flush()
        for raw in lines:
            line = raw.rstrip("\n")
            if line.strip() in {":quit", ":q", ":exit"}:
                break
            if line.startswith(":as"):
                out.write(self.speak_as(line[3:]) + "\n")
            elif line.strip():
                text = self.send(line)
                if text:
                    out.write(text + "\n")
            if prompt:
                out.write("> ")
                out.flush()
        with i18n.using(self.locale):
            out.write("\n" + _("Bye.") + "\n")


def files_dir(app: App) -> Path:
    return Path(app.settings.state_dir) / FILES_DIR


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

    chat = ConsoleChat(app.router, files_dir=files_dir(app))
    reminders = start_jobs(app, ConsoleOutbox(sys.stdout))
    try:
        with feed_server(app, sys.stderr):
            chat.repl(sys.stdin, sys.stdout, prompt=sys.stdin.isatty())
    finally:
        reminders.shutdown(wait=False)
    return 0
