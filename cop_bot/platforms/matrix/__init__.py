"""The Matrix platform: a matrix-nio bot on the shared command engine (see `bot.py`)."""

from __future__ import annotations

import asyncio

from cop_bot.app import App
from cop_bot.outbox import Outbox


def run(app: App) -> int:
    """Run the Matrix bot until SIGTERM/SIGINT; the exit code for `cop-bot run`."""
    from cop_bot.platforms.matrix.bot import main

    return asyncio.run(main(app))


def make_outbox(app: App) -> Outbox:
    """Posts on the bot's behalf from outside the running bot (`cop-bot digest run-due`)."""
    from cop_bot.platforms.matrix.outbox import make_outbox as make

    return make(app)


__all__ = ["make_outbox", "run"]
