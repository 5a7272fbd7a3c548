"""`Outbox` for Slack: scheduled jobs (on scheduler threads) hand messages to the bot's loop."""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient

from cop_bot.core.model import Outgoing
from cop_bot.core.outbox import Direct
from cop_bot.platforms.common import hand_over
from cop_bot.platforms.slack.client import make_web_client
from cop_bot.platforms.slack.convert import user_id_for
from cop_bot.render.slack import render_message

if TYPE_CHECKING:
    from cop_bot.app import App
    from cop_bot.platforms.slack.bot import SlackBot

log = logging.getLogger(__name__)


class SlackOutbox:
    """Thread-safe: `post`/`direct` hop onto the bot's event loop with
    `run_coroutine_threadsafe` and wait (at most `timeout` s) so a job knows it was sent. Called
    on the loop itself, they schedule the send and return at once (waiting would deadlock)."""

    def __init__(self, bot: SlackBot, *, timeout: float = 60.0) -> None:
        self.bot = bot
        self.timeout = timeout

    def post(self, message: Outgoing) -> None:
        rendered = render_message(message.reply)
        self._run(self.bot.post(message.conversation.channel_id, rendered))

    def direct(self, message: Direct) -> None:
        to = user_id_for(message.to)
        if to is None:
            log.warning("slack: no Slack user id for @%s; message not sent", message.to.handle)
            return
        self._run(self.bot.direct(to, render_message(message.reply)))

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
        rendered = render_message(message.reply)
        self.client.chat_postMessage(
            channel=message.conversation.channel_id,
            text=rendered["text"],
            blocks=rendered["blocks"],
        )

    def direct(self, message: Direct) -> None:
        to = user_id_for(message.to)
        if to is None:
            log.warning("slack: no Slack user id for @%s; message not sent", message.to.handle)
            return
        opened = self.client.conversations_open(users=to)
        rendered = render_message(message.reply)
        channel = (opened.get("channel") or {}).get("id")
        self.client.chat_postMessage(
            channel=str(channel), text=rendered["text"], blocks=rendered["blocks"]
        )


def make_outbox(app: App) -> SlackWebOutbox:
    settings = app.settings
    return SlackWebOutbox(make_web_client(settings.slack_bot_token, settings.slack_api_url))
