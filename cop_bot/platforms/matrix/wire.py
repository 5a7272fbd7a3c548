"""Pure translation between Matrix events and the neutral model: no network, no SDK objects.

* **Handles.** A member's handle is the localpart of their Matrix user id when they live on the
  bot's own homeserver (`@amina:example.org` -> `amina`, so `COP_BOT_ADMINS=amina` and
  `/ask`'s `@amina` work as everywhere else), and `localpart:server` for members of other
  homeservers (`@amina:other.org` -> `amina:other.org`): stable, unique, and never confused with
  a local one because a localpart cannot contain `:`. Characters a handle cannot hold
  (`=`, `/`, `+`) become `-`. `Actor.platform_user_id` is the full Matrix user id.
* **Community.** The bot's homeserver name (`example.org`) is the community id: one Matrix
  deployment is one community, and every room is a channel of it.
* **Commands.** `!name rest` (the configurable prefix), `/name rest` when a client lets it
  through, `@bot: name rest` / `bot: name rest` addressing, and a bare `name rest` in a direct
  room.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cop_bot.core.args import CommandLine, parse_command_line
from cop_bot.core.model import Actor, Conversation, Invocation, Mention, Reply, Role
from cop_bot.render.matrix import render

PLATFORM = "matrix"
_HANDLE_BAD = re.compile(r"[^\w.:-]")
_USER_ID = re.compile(r"@[a-z0-9._=\-/+]+:[A-Za-z0-9.\-]+(?::[0-9]{1,5})?", re.IGNORECASE)
# A pill or a plain mention of the bot at the start of a message: "@bot:server: ", "Bot: ".
_ADDRESS_TAIL = re.compile(r"^\s*[:,]?\s*")


def server_of(user_id: str) -> str:
    return user_id.partition(":")[2]


def handle_for(user_id: str, home_server: str) -> str:
    """The member's stable handle (see the module docstring)."""
    localpart, _, server = user_id.lstrip("@").partition(":")
    handle = localpart if server == home_server else f"{localpart}:{server}"
    return _HANDLE_BAD.sub("-", handle.lower())[:80]


def user_id_for(mention: Mention, home_server: str) -> str | None:
    """The Matrix user id to reach a member: the stored one, else rebuilt from the handle."""
    if mention.platform_user_id and _USER_ID.fullmatch(mention.platform_user_id):
        return mention.platform_user_id
    localpart, _, server = mention.handle.lstrip("@").partition(":")
    candidate = f"@{localpart}:{server or home_server}"
    return candidate if _USER_ID.fullmatch(candidate) else None


def strip_reply_fallback(body: str) -> str:
    """Drop the quoted `> <@user> ...` block older clients put before a reply's own text."""
    lines = body.split("\n")
    if not lines or not lines[0].startswith("> "):
        return body
    index = 0
    while index < len(lines) and lines[index].startswith(">"):
        index += 1
    return "\n".join(lines[index:]).strip()


def inviter_allowed(user_id: str, patterns: Iterable[str], home_server: str) -> bool:
    """Glob patterns such as `@*:example.org`; with none configured, the bot's own homeserver."""
    allowed = tuple(patterns) or (f"@*:{home_server}",)
    return any(fnmatch.fnmatchcase(user_id, p) for p in allowed)


def strip_address(body: str, names: Iterable[str]) -> str | None:
    """The text after a leading mention of the bot (`@bot:hs: help`, `cop-bot: help`), or None."""
    text = body.lstrip()
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        if text[: len(name)].lower() == name.lower():
            rest = text[len(name) :]
            if not rest or rest[0] in ":, \n":
                return _ADDRESS_TAIL.sub("", rest, count=1)
    return None


def parse_message(
    body: str,
    *,
    prefix: str,
    bot_names: Iterable[str],
    is_direct: bool,
) -> CommandLine | None:
    """The command in a message, or None when the message is not addressed to the bot."""
    text = body.strip()
    addressed = strip_address(text, bot_names)
    if addressed is not None:
        return parse_command_line(addressed, (prefix, "/", "!"))
    for p in dict.fromkeys((prefix, "/")):
        if p and text.startswith(p):
            return parse_command_line(text, (p,))
    if is_direct:
        return parse_command_line(text, ())
    return None


def replied_to(content: Mapping[str, Any]) -> str | None:
    """The event a message replies to (`m.in_reply_to`), in a thread or not."""
    relates = content.get("m.relates_to")
    if not isinstance(relates, Mapping):
        return None
    target = relates.get("m.in_reply_to")
    if isinstance(target, Mapping) and isinstance(target.get("event_id"), str):
        return str(target["event_id"])
    return None


CONFIRM_ANSWER = "✅"
"""The reaction by which a member confirms their reply to a question's post as an answer."""


def answer_rest(rest: str, question_id: int) -> str:
    """`/answer TEXT` typed in reply to question ID's post means `/answer ID TEXT`."""
    first = rest.strip().partition(" ")[0].lower()
    if first in ("edit", "delete") or first.lstrip("#").isdigit():
        return rest
    return f"{question_id} {rest.strip()}"


def thread_root(content: Mapping[str, Any]) -> str | None:
    relates = content.get("m.relates_to")
    if isinstance(relates, Mapping) and relates.get("rel_type") == "m.thread":
        root = relates.get("event_id")
        return root if isinstance(root, str) else None
    return None


@dataclass(frozen=True)
class Sender:
    user_id: str
    display_name: str | None = None
    power_level: int = 0


def to_invocation(
    command: CommandLine,
    *,
    sender: Sender,
    room_id: str,
    home_server: str,
    is_direct: bool,
    thread_id: str | None,
    facilitator_level: int,
    raw: str,
) -> Invocation:
    """The neutral invocation. A room power level at or above `facilitator_level` makes the
    sender a facilitator for this command, in group rooms only (in a direct room everybody is
    an admin of the room, which says nothing about the community)."""
    roles = (
        frozenset({Role.FACILITATOR})
        if not is_direct and sender.power_level >= facilitator_level
        else frozenset()
    )
    display = sender.display_name if sender.display_name != sender.user_id else None
    return Invocation(
        name=command.name,
        text=command.rest,
        actor=Actor(
            handle=handle_for(sender.user_id, home_server),
            display_name=display,
            platform_user_id=sender.user_id,
            roles=roles,
        ),
        conversation=Conversation(
            platform=PLATFORM,
            community_id=home_server,
            channel_id=room_id,
            thread_id=thread_id,
            is_direct=is_direct,
        ),
        raw=raw,
    )


def reply_content(
    reply: Reply,
    *,
    prefix: str,
    in_reply_to: str | None = None,
    thread_id: str | None = None,
) -> dict[str, Any]:
    """`m.notice` content, reply-linked to the command (and kept in its thread, if any)."""
    content = render(reply, prefix=prefix)
    if thread_id:
        content["m.relates_to"] = {
            "rel_type": "m.thread",
            "event_id": thread_id,
            "is_falling_back": True,
            "m.in_reply_to": {"event_id": in_reply_to or thread_id},
        }
    elif in_reply_to:
        content["m.relates_to"] = {"m.in_reply_to": {"event_id": in_reply_to}}
    return content


# ---- reactions stand in for buttons -------------------------------------------------------------


@dataclass(frozen=True)
class ReactionRule:
    kind: str  # which entity the reacted-to message announced: "session" or "practice"
    command: str  # the typed equivalent, `{id}` filled in
    undo: str | None  # what removing the reaction runs; None when there is no typed equivalent


REACTIONS: dict[str, ReactionRule] = {
    # removing one withdraws the answer only while it is still that answer (✅, ❌, remove ✅: no)
    "✅": ReactionRule("session", "rsvp {id} yes", "rsvp {id} withdraw yes"),
    "❌": ReactionRule("session", "rsvp {id} no", "rsvp {id} withdraw no"),
    "🤔": ReactionRule("session", "rsvp {id} maybe", "rsvp {id} withdraw maybe"),
    "👍": ReactionRule("practice", "endorse {id}", "endorse {id} undo"),
}
_VARIATION = re.compile("[\ufe0e\ufe0f\U0001f3fb-\U0001f3ff]")  # emoji presentation, skin tones


def normalise_key(key: str) -> str:
    return _VARIATION.sub("", key).strip()


def reaction_command(key: str, kind: str, entity_id: int, *, removed: bool = False) -> str | None:
    """The typed command a reaction stands for (`rsvp 4 yes`), or None if it means nothing."""
    rule = REACTIONS.get(normalise_key(key))
    if rule is None or rule.kind != kind:
        return None
    template = rule.undo if removed else rule.command
    return template.format(id=entity_id) if template else None


def announced_entity(data: Mapping[str, Any]) -> tuple[str, int] | None:
    """Which session, practice or question a reply is about (from `Reply.data`)."""
    for kind in ("session", "practice", "question"):
        found = data.get(kind)
        if isinstance(found, Mapping):
            entity_id = found.get("id")
            if isinstance(entity_id, int) and not isinstance(entity_id, bool):
                return kind, entity_id
    return None
