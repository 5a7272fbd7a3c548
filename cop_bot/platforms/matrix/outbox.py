"""The Matrix `Outbox`es.

* `MatrixOutbox`: scheduler threads of the running bot hand messages to the bot's event loop.
  `post` and `direct` block the calling thread until the message is sent or `timeout` passes,
  so a job knows whether its message went out; called on the loop itself they only schedule it.
* `make_outbox(app)`: for jobs outside the running bot (`cop-bot digest run-due`): each call
  logs in with the configured or stored token (a device made by a password login just for it is
  logged out again), sends, and closes; it never writes the running bot's state file.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from cop_bot.core.model import Outgoing, Reply
from cop_bot.core.outbox import Direct
from cop_bot.platforms.matrix import wire

if TYPE_CHECKING:
    from cop_bot.app import App
    from cop_bot.platforms.matrix.bot import MatrixBot

log = logging.getLogger(__name__)


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
        reply = Reply(blocks=message.reply.blocks, visibility="dm", data=message.reply.data)
        self._call(self.bot.send_direct(user_id, reply))

    def _call(self, coro: Coroutine[Any, Any, str | None]) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            self.bot.spawn(coro)
            return
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            future.result(self.timeout)
        except concurrent.futures.TimeoutError:
            log.warning("a Matrix message is still being sent after %.0f s", self.timeout)


class MatrixStandaloneOutbox:
    def __init__(self, app: App) -> None:
        self.app = app

    def post(self, message: Outgoing) -> None:
        asyncio.run(self._send(message))

    def direct(self, message: Direct) -> None:
        asyncio.run(self._send(message))

    async def _send(self, message: Outgoing | Direct) -> None:
        from cop_bot.platforms.matrix.bot import MatrixBot

        bot = MatrixBot(self.app, read_only=True)
        try:
            await bot.connect()
            if isinstance(message, Outgoing):
                sent = await bot.post(message)
            else:
                user_id = wire.user_id_for(message.to, bot.home_server)
                reply = Reply(blocks=message.reply.blocks, visibility="dm")
                sent = await bot.send_direct(user_id, reply)
        finally:
            await bot.close()
        if sent is None:
            raise RuntimeError("the Matrix homeserver did not accept the message (see the log)")


def make_outbox(app: App) -> MatrixStandaloneOutbox:
    return MatrixStandaloneOutbox(app)
