"""Where messages that nobody asked for go: reminders, digests, announcements, direct notices.

Scheduled jobs and commands build neutral `Outgoing` messages and hand them to the `Outbox` of
the running platform; each platform adapter implements `send` (Slack `chat.postMessage`, a Matrix
`m.notice`, a line in the console). Jobs run on scheduler threads, so `send` must be thread-safe:
async adapters hop onto their event loop with `asyncio.run_coroutine_threadsafe`.

A message the platform did not take raises `DeliveryError`, never returns quietly: the job's
claim then records a failure and retries it with `retry_wait`'s backoff, or, when the refusal
is `permanent` (the bot is not in the channel), records the reason, which `/digest status`
explains with `what_to_do`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol, TextIO, runtime_checkable

from cop_bot.core.model import Conversation, Mention, Notice, Outgoing, Reply

NOT_IN_CHANNEL = "not_in_channel"
CHANNEL_NOT_FOUND = "channel_not_found"
ARCHIVED = "archived"
FORBIDDEN = "forbidden"
UNREACHABLE = "unreachable"
"""Permanent refusals, in the platforms' common words (each adapter maps its own codes)."""

MAX_SEND_ATTEMPTS = 5
RETRY_BACKOFF = timedelta(minutes=2)


def retry_wait(attempts: int) -> timedelta:
    """How long after its last failed attempt a message is tried again: 2, 4, 8, 16 minutes."""
    return RETRY_BACKOFF * int(2 ** max(0, attempts - 1))


class DeliveryError(Exception):
    """A platform did not take a message. `permanent` when trying again cannot help until
    someone acts; then `reason` is one of the codes above, else the platform's own error."""

    def __init__(self, reason: str, detail: str = "", *, permanent: bool = False) -> None:
        super().__init__(f"{reason} ({detail})" if detail and detail != reason else reason)
        self.reason = reason
        self.detail = detail
        self.permanent = permanent


_WHAT_TO_DO = {
    NOT_IN_CHANNEL: "The bot is not a member of this channel: invite it here, and the next one "
    "goes out.",
    CHANNEL_NOT_FOUND: "The bot cannot find this channel: it may have been deleted, or be "
    "private without the bot in it. Invite the bot here, or switch the digest off with "
    "/digest off.",
    ARCHIVED: "This channel is archived: unarchive it, or switch the digest off with /digest off.",
    FORBIDDEN: "The bot may not post in this room: invite it back or let it send messages, "
    "and the next one goes out.",
    UNREACHABLE: "The bot cannot write to this member directly: they have no account it can "
    "reach on this platform.",
}


def what_to_do(reason: str | None) -> str | None:
    """What to do about a permanent refusal, as whole sentences; None for other errors."""
    return _WHAT_TO_DO.get(reason or "")


@dataclass(frozen=True)
class Direct:
    """A direct message to one member of a community."""

    community: Conversation
    to: Mention
    reply: Reply


@dataclass(frozen=True)
class Together:
    """One conversation with several members at once (a mentoring pair's introduction): a group
    DM on Slack, a new room on Matrix, one message naming them all in the console.

    `key` names the conversation for good (`mentoring-pair:12`), so a platform that makes a
    room for it can find that room again when a failed send is retried; `title` names the
    room where a platform shows one."""

    community: Conversation
    to: tuple[Mention, ...]
    reply: Reply
    key: str
    title: str = ""


class Outbox(Protocol):
    def post(self, message: Outgoing) -> None:
        """Post to a channel/room."""
        ...

    def direct(self, message: Direct) -> None:
        """Send to one member privately."""
        ...


@runtime_checkable
class TogetherOutbox(Protocol):
    """An outbox that can open one conversation with several members."""

    def together(self, message: Together) -> None: ...


def send_together(outbox: Outbox, message: Together) -> None:
    """One conversation with all of `message.to` where the outbox can open one, else (an outbox
    without it, or a single member) one direct message each. Raises `DeliveryError` as `direct`
    does, so the caller's claim records and retries it."""
    if len(message.to) > 1 and isinstance(outbox, TogetherOutbox):
        outbox.together(message)
        return
    for to in message.to:
        outbox.direct(Direct(message.community, to, message.reply))


def notices_as_directs(conversation: Conversation, notices: tuple[Notice, ...]) -> list[Direct]:
    return [Direct(conversation, n.to, Reply(blocks=n.blocks, visibility="dm")) for n in notices]


@dataclass
class RecordingOutbox:
    """Keeps what was sent, for tests and `--dry-run` operations."""

    posted: list[Outgoing] = field(default_factory=list)
    directs: list[Direct] = field(default_factory=list)
    togethers: list[Together] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def post(self, message: Outgoing) -> None:
        with self._lock:
            self.posted.append(message)

    def direct(self, message: Direct) -> None:
        with self._lock:
            self.directs.append(message)

    def together(self, message: Together) -> None:
        with self._lock:
            self.togethers.append(message)


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

    def together(self, message: Together) -> None:
        from cop_bot.render.text import render

        names = ", ".join(f"@{to.handle}" for to in message.to)
        with self._lock:
            self.out.write(f"\n[✉ to {names}] {render(message.reply)}\n")
            self.out.flush()
