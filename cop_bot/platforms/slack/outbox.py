"""`Outbox` for Slack: scheduled jobs (on scheduler threads) hand messages to the bot's loop.

Slack answers a refused `chat.postMessage` with HTTP 200 and `{"ok": false, "error": ...}`
(slack_sdk raises it as `SlackApiError`); a job must hear of it, so these outboxes raise
`DeliveryError`, permanent for the errors that only a person can fix (`PERMANENT`).
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine, Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import ClientError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from cop_bot.core.model import Mention, Outgoing, Reply
from cop_bot.core.outbox import (
    ARCHIVED,
    CHANNEL_NOT_FOUND,
    NOT_IN_CHANNEL,
    UNREACHABLE,
    DeliveryError,
    Direct,
    Together,
)
from cop_bot.platforms.common import hand_over
from cop_bot.platforms.slack.client import make_web_client
from cop_bot.platforms.slack.convert import user_id_for
from cop_bot.render.slack import Json, render_message

if TYPE_CHECKING:
    from cop_bot.app import App
    from cop_bot.platforms.slack.bot import SlackBot

log = logging.getLogger(__name__)

PERMANENT: Mapping[str, str] = {
    "not_in_channel": NOT_IN_CHANNEL,
    "channel_not_found": CHANNEL_NOT_FOUND,
    "is_archived": ARCHIVED,
    "user_not_found": UNREACHABLE,
    "user_disabled": UNREACHABLE,
}
"""Slack's errors that retrying cannot fix, in the outbox's common words."""


def refusal(exc: Exception) -> DeliveryError:
    """A failed Web API call as a `DeliveryError`."""
    if isinstance(exc, SlackApiError):
        error = str(exc.response.get("error") or "unknown_error")
        reason = PERMANENT.get(error)
        return DeliveryError(reason or error, error, permanent=reason is not None)
    return DeliveryError(type(exc).__name__, str(exc))


def recipient(to: Mention) -> str:
    """The member's Slack user id; a member without one (imported from a CSV) is unreachable."""
    user = user_id_for(to)
    if user is None:
        raise DeliveryError(UNREACHABLE, f"no Slack user id for @{to.handle}", permanent=True)
    return user


async def post_message(client: AsyncWebClient, channel: str, message: Json) -> None:
    """`chat.postMessage`, raising `DeliveryError` when Slack did not take it."""
    try:
        await client.chat_postMessage(
            channel=channel, text=message["text"], blocks=message["blocks"]
        )
    except (SlackApiError, ClientError, TimeoutError) as exc:
        raise refusal(exc) from exc


async def direct_message(client: AsyncWebClient, user: str, message: Json) -> None:
    """The member's direct channel with the bot (`conversations.open`), then the message."""
    try:
        opened = await client.conversations_open(users=user)
    except (SlackApiError, ClientError, TimeoutError) as exc:
        raise refusal(exc) from exc
    channel = (opened.get("channel") or {}).get("id")
    if not channel:
        raise DeliveryError("no_channel", "conversations.open gave no channel")
    await post_message(client, str(channel), message)


MPIM_MAX_USERS = 8
"""`conversations.open` takes 1 to 8 users besides the bot; more get one DM each."""


def together_users(message: Together) -> str | None:
    """The `users=` of the pair's group DM (`U1,U2,...`), or None when Slack cannot hold them in
    one (more than `MPIM_MAX_USERS`); a member with no Slack user id makes it unreachable."""
    users = list(dict.fromkeys(recipient(to) for to in message.to))
    return ",".join(users) if len(users) <= MPIM_MAX_USERS else None


async def together_message(client: AsyncWebClient, users: str, message: Json) -> None:
    """A group DM (an mpim) with all of `users` and the bot, then the message. Slack opens the
    same mpim again for the same users, so a retried send stays in one conversation."""
    await direct_message(client, users, message)


class SlackOutbox:
    """Thread-safe: `post`/`direct` hop onto the bot's event loop with
    `run_coroutine_threadsafe` and wait (at most `timeout` s) so a job knows it was sent, or
    why not (`DeliveryError`). Called on the loop itself, they schedule the send and return at
    once (waiting would deadlock)."""

    def __init__(self, bot: SlackBot, *, timeout: float = 60.0) -> None:
        self.bot = bot
        self.timeout = timeout

    def post(self, message: Outgoing) -> None:
        rendered = render_message(message.reply)
        self._run(post_message(self.bot.client, message.conversation.channel_id, rendered))

    def direct(self, message: Direct) -> None:
        to = recipient(message.to)
        self._run(direct_message(self.bot.client, to, render_message(message.reply)))

    def together(self, message: Together) -> None:
        users = together_users(message)
        if users is None:
            for to in message.to:
                self.direct(Direct(message.community, to, message.reply))
            return
        self._run(together_message(self.bot.client, users, render_message(message.reply)))

    def _run(self, coro: Coroutine[Any, Any, object]) -> None:
        loop = self.bot.loop
        if loop is None or loop.is_closed():
            coro.close()
            raise RuntimeError("the Slack bot is not running; nothing was sent")
        hand_over(coro, loop, timeout=self.timeout, on_loop=loop.create_task)


class SlackWebOutbox:
    """`Outbox` for jobs run outside the bot process (`digest run-due`): slack_sdk's blocking
    `WebClient`, with the same capped retry on 429 as the bot."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def post(self, message: Outgoing) -> None:
        self._post(message.conversation.channel_id, render_message(message.reply))

    def direct(self, message: Direct) -> None:
        self._open_and_post(recipient(message.to), message.reply)

    def together(self, message: Together) -> None:
        users = together_users(message)
        if users is None:
            for to in message.to:
                self.direct(Direct(message.community, to, message.reply))
            return
        self._open_and_post(users, message.reply)

    def _open_and_post(self, to: str, reply: Reply) -> None:
        try:
            opened = self.client.conversations_open(users=to)
        except (SlackApiError, OSError) as exc:
            raise refusal(exc) from exc
        channel = (opened.get("channel") or {}).get("id")
        if not channel:
            raise DeliveryError("no_channel", "conversations.open gave no channel")
        self._post(str(channel), render_message(reply))

    def _post(self, channel: str, rendered: Json) -> None:
        try:
            self.client.chat_postMessage(
                channel=channel, text=rendered["text"], blocks=rendered["blocks"]
            )
        except (SlackApiError, OSError) as exc:
            raise refusal(exc) from exc


def make_outbox(app: App) -> SlackWebOutbox:
    settings = app.settings
    return SlackWebOutbox(make_web_client(settings.slack_bot_token, settings.slack_api_url))
