"""The platform-neutral vocabulary shared by the engine, the handlers and every adapter.

Handlers never see an SDK object and adapters never see a database row: an adapter turns its
wire format into an `Invocation`, and renders the `Reply` a handler returns. User-typed text in a
reply is always *data* (plain `str`); only the block and inline types below carry formatting, so
each renderer can escape user text for its own markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from cop_bot.core import i18n

Visibility = Literal["ephemeral", "channel", "dm"]


class Role(StrEnum):
    """Roles grow in power in this order; `admin` holds every other role."""

    MEMBER = "member"
    FACILITATOR = "facilitator"
    CURATOR = "curator"
    ADMIN = "admin"


class Status(StrEnum):
    OK = "ok"
    USER_ERROR = "user_error"
    INTERNAL_ERROR = "internal_error"


@dataclass(frozen=True)
class Actor:
    """Who is speaking, as the platform knows them."""

    handle: str
    display_name: str | None = None
    locale: str | None = None
    timezone: str | None = None
    platform_user_id: str | None = None
    # Roles the platform itself vouches for in this conversation (e.g. a Matrix room's power
    # level), added to the member's stored grants for this one command; never stored.
    roles: frozenset[Role] = frozenset()


@dataclass(frozen=True)
class Conversation:
    """Where a command was typed; `community_id` is the platform's id for the whole community
    (a Slack workspace, a Matrix deployment, the local console)."""

    platform: str
    community_id: str
    channel_id: str
    thread_id: str | None = None
    is_direct: bool = False


@dataclass(frozen=True)
class Invocation:
    name: str
    text: str
    actor: Actor
    conversation: Conversation
    raw: str = ""
    once: tuple[str, ...] | None = None
    """What identifies this delivery (a signed Slack request), when the platform can send the
    same one twice: the command then acts once, on any replica (`core/seen.py`)."""


# ---- inline values -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Bold:
    text: str


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Link:
    url: str
    label: str | None = None


@dataclass(frozen=True)
class Mention:
    """A member meant to be mentioned; renderers turn it into a real mention where they can."""

    handle: str
    display_name: str | None = None
    platform_user_id: str | None = None


Inline = str | Bold | Code | Link | Mention
Spans = tuple[Inline, ...]


def spans(*parts: Inline | None) -> Spans:
    return tuple(p for p in parts if p is not None and p != "")


# ---- blocks ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    text: str


@dataclass(frozen=True)
class Text:
    parts: Spans

    @classmethod
    def of(cls, *parts: Inline | None) -> Text:
        return cls(spans(*parts))


@dataclass(frozen=True)
class Fields:
    pairs: tuple[tuple[str, Spans], ...]


@dataclass(frozen=True)
class Item:
    """One entry of a list: a person, a practice, a session."""

    title: Spans
    body: Spans = ()
    meta: Spans = ()


@dataclass(frozen=True)
class Button:
    """A button is only a shortcut: `command` is the typed command it runs as the clicker."""

    label: str
    command: str
    style: Literal["default", "primary", "danger"] = "default"


@dataclass(frozen=True)
class Actions:
    buttons: tuple[Button, ...]


@dataclass(frozen=True)
class Context:
    """Small print: hints, counts, how to get the next page."""

    parts: Spans


@dataclass(frozen=True)
class Divider:
    pass


@dataclass(frozen=True)
class Attachment:
    """A file that goes with a reply (a calendar file, a data export): what no chat message can
    carry whole. Each adapter delivers it as a file (Slack `files.getUploadURLExternal` and
    `files.completeUploadExternal`, a Matrix `m.file` in the media repository, a file on disk for
    the console); renderers only say where it went."""

    filename: str
    mime: str
    content: bytes
    title: str | None = None

    @classmethod
    def of_text(cls, filename: str, mime: str, text: str, title: str | None = None) -> Attachment:
        return cls(filename, mime, text.encode("utf-8"), title)

    @property
    def size(self) -> int:
        return len(self.content)


Block = Header | Text | Fields | Item | Actions | Context | Divider | Attachment


@dataclass(frozen=True)
class Notice:
    """A direct message to a member that a command causes (an approval, a question for an expert).

    It travels with the `Reply` and is sent by the adapter only after the command's transaction
    has committed, so nobody is told about something that was then rolled back.
    """

    to: Mention
    blocks: tuple[Block, ...]
    locale: str = field(default_factory=lambda: i18n.active())
    """The language `blocks` are written in: the recipient's (`Ctx.locale_of`), not the sender's."""


@dataclass(frozen=True)
class Reply:
    blocks: tuple[Block, ...]
    visibility: Visibility = "ephemeral"
    data: Mapping[str, Any] = field(default_factory=dict)
    status: Status = Status.OK
    notices: tuple[Notice, ...] = ()
    locale: str = field(default_factory=lambda: i18n.active())
    """The language the reply is written in: renderers add their own words (buttons, "page 2")
    in it (`i18n.using(reply.locale)`). The router sets it to the command's `ctx.locale`."""

    @property
    def ok(self) -> bool:
        return self.status is Status.OK

    @property
    def attachments(self) -> tuple[Attachment, ...]:
        return tuple(b for b in self.blocks if isinstance(b, Attachment))


@dataclass(frozen=True)
class Outgoing:
    """A reply on its way to a conversation that did not ask for it (digests, reminders)."""

    conversation: Conversation
    reply: Reply
    created_at: datetime | None = None
    key: str | None = None
    """A stable idempotency key: platforms that support one (Matrix transaction ids) use it so a
    retried post is never shown twice."""


def reply(
    *blocks: Block | None,
    visibility: Visibility = "ephemeral",
    data: Mapping[str, Any] | None = None,
    notices: Sequence[Notice] = (),
) -> Reply:
    """A reply in the active language (see `cop_bot.core.i18n`)."""
    return Reply(
        blocks=tuple(b for b in blocks if b is not None),
        visibility=visibility,
        data=dict(data or {}),
        notices=tuple(notices),
    )


def join_inline(items: Sequence[Inline], sep: str = ", ") -> Spans:
    out: list[Inline] = []
    for i, item in enumerate(items):
        if i:
            out.append(sep)
        out.append(item)
    return tuple(out)
