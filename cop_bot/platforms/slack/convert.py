"""Slack wire format -> neutral values: typed text, actors, conversations. Pure functions.

**Handles.** A Slack member's handle is their user id, lowercased (`U012ABC` -> `u012abc`).
Slack usernames are deprecated, not unique across display names and can be changed by the
member at any time; the id never changes, so profiles, roles and endorsements stay attached to
the right person. People still *see* names: replies mention members as `<@U012ABC>`, which
Slack shows as the member's current display name, and a `@name` typed in a slash command
arrives (with `should_escape` in the manifest) as `<@U012ABC|name>`, which is turned back into
the handle `@u012abc` here. `COP_BOT_ADMINS` therefore lists lowercased Slack user ids.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cop_bot.core.model import Actor, Conversation, Mention

PLATFORM = "slack"

_USER_REF = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL_REF = re.compile(r"<#([CGD][A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL_REF = re.compile(r"<!([a-z]+)(?:\^[^>|]*)?(?:\|([^>]*))?>")
_LINK_REF = re.compile(r"<((?:https?|mailto):[^>|]+)(?:\|[^>]*)?>")
_SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")


def handle_for(user_id: str) -> str:
    return user_id.lower()


def user_id_for(mention: Mention) -> str | None:
    """The Slack user id to reach a member: the stored id, else a handle that *is* an id."""
    if mention.platform_user_id and _SLACK_USER_ID.fullmatch(mention.platform_user_id):
        return mention.platform_user_id
    upper = mention.handle.upper()
    return upper if _SLACK_USER_ID.fullmatch(upper) else None


def unslack(text: str) -> str:
    """Slack's escaped slash-command text as what the member typed, with people as handles.

    `<@U1|ann>` -> `@u1`, `<#C1|general>` -> `#general`, `<!channel>` -> `@channel` (plain text:
    the renderer escapes it again), `<https://x|x>` -> `https://x`, then `&lt;` `&gt;` `&amp;`.
    """
    text = _USER_REF.sub(lambda m: "@" + handle_for(m.group(1)), text)
    text = _CHANNEL_REF.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _SPECIAL_REF.sub(lambda m: "@" + (m.group(2) or m.group(1)).lstrip("@"), text)
    text = _LINK_REF.sub(lambda m: m.group(1), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def conversation_for(team_id: str, channel_id: str | None, channel_name: str = "") -> Conversation:
    channel = channel_id or ""
    return Conversation(
        platform=PLATFORM,
        community_id=team_id,
        channel_id=channel,
        is_direct=channel.startswith("D") or channel_name == "directmessage",
    )


def actor_from_profile(user_id: str, user: Mapping[str, Any] | None, fallback_name: str) -> Actor:
    """An `Actor` from a `users.info` user object (None when it could not be fetched)."""
    if not user:
        return Actor(
            handle=handle_for(user_id), display_name=fallback_name or None, platform_user_id=user_id
        )
    profile = user.get("profile") or {}
    name = (
        profile.get("display_name")
        or profile.get("real_name")
        or user.get("real_name")
        or user.get("name")
        or fallback_name
    )
    locale = user.get("locale")
    return Actor(
        handle=handle_for(user_id),
        display_name=str(name) if name else None,
        locale=str(locale).replace("_", "-") if locale else None,
        timezone=str(user["tz"]) if user.get("tz") else None,
        platform_user_id=user_id,
    )
