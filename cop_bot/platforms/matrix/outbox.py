"""The Matrix `Outbox`es.

* `MatrixOutbox`: scheduler threads of the running bot hand messages to the bot's event loop.
  `post` and `direct` block the calling thread until the message is sent or `timeout` passes,
  so a job knows whether its message went out; called on the loop itself they only schedule it.
* `MatrixStandaloneOutbox`: for jobs outside the running bot (`cop-bot digest run-due`): each call
  logs in with the configured or stored token (a device made by a password login just for it is
  logged out again), sends, and closes; it never writes the running bot's state file.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from cop_bot.core.model import Outgoing
from cop_bot.core.outbox import UNREACHABLE, DeliveryError, Direct, Together
from cop_bot.platforms.common import hand_over
from cop_bot.platforms.matrix import wire
from cop_bot.platforms.matrix.bot import MatrixBot

if TYPE_CHECKING:
    from cop_bot.app import App

log = logging.getLogger(__name__)


def together_call(bot: MatrixBot, message: Together) -> Coroutine[Any, Any, str]:
    """`bot.deliver_together` for `message`: every member needs a Matrix user id, else the
    introduction is refused for good (a member imported from a CSV has none)."""
    user_ids = [wire.user_id_for(to, bot.home_server) for to in message.to]
    missing = [to.handle for to, uid in zip(message.to, user_ids, strict=True) if not uid]
    if missing:
        raise DeliveryError(
            UNREACHABLE, "no Matrix user id for @" + ", @".join(missing), permanent=True
        )
    reply = dataclasses.replace(message.reply, visibility="dm")
    found = [uid for uid in user_ids if uid]
    return bot.deliver_together(found, reply, key=message.key, title=message.title)


class MatrixOutbox:
    def __init__(
        self, bot: MatrixBot, loop: asyncio.AbstractEventLoop, *, timeout: float = 120.0
    ) -> None:
        self.bot = bot
        self.loop = loop
        self.timeout = timeout

    def post(self, message: Outgoing) -> None:
        self._call(self.bot.post(message))

    def direct(self, message: Direct) -> None:
        user_id = wire.user_id_for(message.to, self.bot.home_server)
        reply = dataclasses.replace(message.reply, visibility="dm")  # keeps its language
        self._call(self.bot.deliver_direct(user_id, reply))

    def together(self, message: Together) -> None:
        self._call(together_call(self.bot, message))

    def _call(self, coro: Coroutine[Any, Any, str]) -> None:
        """A `DeliveryError` reaches the job; a send still under way is left to finish (a
        retry with the same transaction id could not show it twice, but one without could)."""
        try:
            hand_over(coro, self.loop, timeout=self.timeout, on_loop=self.bot.spawn)
        except TimeoutError:
            log.warning("a Matrix message is still being sent after %.0f s", self.timeout)


class MatrixStandaloneOutbox:
    def __init__(self, app: App) -> None:
        self.app = app

    def post(self, message: Outgoing) -> None:
        asyncio.run(self._send(message))

    def direct(self, message: Direct) -> None:
        asyncio.run(self._send(message))

    def together(self, message: Together) -> None:
        asyncio.run(self._send(message))

    async def _send(self, message: Outgoing | Direct | Together) -> None:
        """Raises `DeliveryError` when the homeserver did not take the message."""
        bot = MatrixBot(self.app, read_only=True)
        try:
            await bot.connect()
            if isinstance(message, Outgoing):
                await bot.post(message)
            elif isinstance(message, Together):
                await together_call(
                    bot,
                    dataclasses.replace(message, reply=dataclasses.replace(message.reply, data={})),
                )
            else:
                user_id = wire.user_id_for(message.to, bot.home_server)
                reply = dataclasses.replace(message.reply, visibility="dm", data={})
                await bot.deliver_direct(user_id, reply)
        finally:
            await bot.close()
