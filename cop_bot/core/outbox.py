"""Where messages that nobody asked for go: reminders, digests, announcements, direct notices.

Scheduled jobs and commands build neutral `Outgoing` messages and hand them to the `Outbox` of
the running platform; each platform adapter implements `send` (Slack `chat.postMessage`, a Matrix
`m.notice`, a line in the console). Jobs run on scheduler threads, so `send` must be thread-safe:
async adapters hop onto their event loop with `asyncio.run_coroutine_threadsafe`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Protocol, TextIO

from cop_bot.core.model import Conversation, Mention, Notice, Outgoing, Reply


@dataclass(frozen=True)
class Direct:
    """A direct message to one member of a community."""

    community: Conversation
    to: Mention
    reply: Reply


class Outbox(Protocol):
    def post(self, message: Outgoing) -> None:
        """Post to a channel/room."""
        ...

    def direct(self, message: Direct) -> None:
        """Send to one member privately."""
        ...


def notices_as_directs(conversation: Conversation, notices: tuple[Notice, ...]) -> list[Direct]:
    return [Direct(conversation, n.to, Reply(blocks=n.blocks, visibility="dm")) for n in notices]


@dataclass
class RecordingOutbox:
    """Keeps what was sent, for tests and `--dry-run` operations."""

    posted: list[Outgoing] = field(default_factory=list)
    directs: list[Direct] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def post(self, message: Outgoing) -> None:
        with self._lock:
            self.posted.append(message)

    def direct(self, message: Direct) -> None:
        with self._lock:
            self.directs.append(message)


class ConsoleOutbox:
    """Prints scheduled messages between the console's prompts."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._lock = threading.Lock()

    def post(self, message: Outgoing) -> None:
        from cop_bot.render.text import render

        with self._lock:
            self.out.write(f"\n[#{message.conversation.channel_id}] {render(message.reply)}\n")
            self.out.flush()

    def direct(self, message: Direct) -> None:
        from cop_bot.render.text import render

        with self._lock:
            self.out.write(f"\n[✉ to @{message.to.handle}] {render(message.reply)}\n")
            self.out.flush()
