"""The Matrix platform: a matrix-nio bot on the shared command engine (see `bot.py`)."""

from __future__ import annotations

import asyncio
import sys

from cop_bot.app import App
from cop_bot.core.outbox import Outbox


def run(app: App) -> int:
    """Run the Matrix bot until SIGTERM/SIGINT; the exit code for `cop-bot run`."""
    return asyncio.run(serve(app))


async def serve(app: App) -> int:
    """The sync loop (`bot.main`) with `/healthz` and the calendar feeds served alongside on
    COP_BOT_HTTP_HOST:COP_BOT_HTTP_PORT; 2 with a one-line message when that port is taken."""
    from cop_bot.platforms import http
    from cop_bot.platforms.matrix.bot import main
    from cop_bot.platforms.matrix.wire import PLATFORM

    try:
        server = await http.serve(app, PLATFORM)
    except http.ServerError as exc:
        print(f"cop-bot: {exc}", file=sys.stderr, flush=True)
        return 2
    print(f"cop-bot: {http.describe(server, app.settings)}", file=sys.stderr, flush=True)
    try:
        return await main(app)
    finally:
        await server.stop()


def make_outbox(app: App) -> Outbox:
    """Posts on the bot's behalf from outside the running bot (`cop-bot digest run-due`)."""
    from cop_bot.platforms.matrix.outbox import make_outbox as make

    return make(app)


__all__ = ["make_outbox", "run", "serve"]
