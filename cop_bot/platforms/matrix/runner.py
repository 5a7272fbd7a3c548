"""Serving Matrix: the sync loop with `/healthz` and the calendar feeds alongside, the jobs once
the bot can send, one process per Matrix account (others wait), and a clean stop on
SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import sys

from cop_bot.app import App
from cop_bot.core.outbox import Outbox
from cop_bot.logs import FILE_ONLY
from cop_bot.platforms import http
from cop_bot.platforms.common import Jobs, stop_signals
from cop_bot.platforms.leadership import Leadership
from cop_bot.platforms.matrix.bot import FatalError, MatrixBot
from cop_bot.platforms.matrix.outbox import MatrixOutbox, MatrixStandaloneOutbox
from cop_bot.platforms.matrix.wire import PLATFORM
from cop_bot.storage.leader import leader_lock

log = logging.getLogger(__name__)


def run(app: App) -> int:
    """Run the Matrix bot until SIGTERM/SIGINT; the exit code for `cop-bot run`. A second
    Ctrl-C while the web server stops is a stop too, not a traceback."""
    try:
        return asyncio.run(serve(app))
    except KeyboardInterrupt:
        return 0


async def serve(app: App) -> int:
    """The sync loop (`main`) with `/healthz` and the calendar feeds served alongside on
    COP_BOT_HTTP_HOST:COP_BOT_HTTP_PORT; 2 with a one-line message when that port is taken."""
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


async def main(app: App) -> int:
    """Serve until SIGTERM/SIGINT, with reminders and digests running on the scheduler's thread.

    One process at a time syncs a Matrix account (two would answer every command twice and
    fight over the device's encryption keys): the account's lock (`storage/leader.py`) is taken
    first, and a second process waits for it as a standby, saying so once, and takes over when
    the first one stops or dies."""
    device = Leadership(
        leader_lock(app.engine, f"matrix {app.settings.matrix_user_id}"),
        what=f"Matrix account {app.settings.matrix_user_id}",
    )
    try:
        if not await _wait_for_the_account(app, device):
            return 0
        return await _serve_the_account(app, device)
    finally:
        await device.release()


async def _wait_for_the_account(app: App, device: Leadership) -> bool:
    """True once this process holds the account's lock; False when stopped while waiting."""
    stop = asyncio.Event()
    waited = False

    def standing_by() -> None:
        nonlocal waited
        waited = True
        print(
            f"cop-bot: another cop-bot process is serving the Matrix account "
            f"{app.settings.matrix_user_id} on this database; waiting to take over when it "
            "stops (Ctrl-C to quit).",
            file=sys.stderr,
            flush=True,
        )

    with stop_signals(stop.set):
        taken = await device.lead(stop, on_standby=standing_by)
    if taken and waited:
        print(
            "cop-bot: the other process stopped; this one serves the Matrix account now.",
            file=sys.stderr,
            flush=True,
        )
    return taken


async def _serve_the_account(app: App, device: Leadership) -> int:
    try:
        bot = MatrixBot(app)
    except FatalError as exc:
        print(f"cop-bot: Matrix: {exc}", file=sys.stderr)
        return 2
    jobs = Jobs(app)
    bot.before_close.append(jobs.stop)  # while the client can still send
    watching = asyncio.Event()
    lost = False

    async def watch() -> None:
        nonlocal lost
        if await device.keep(watching):  # another process syncs the account now: stop
            lost = True
            bot.stop()

    with stop_signals(bot.stop):
        serving = asyncio.ensure_future(bot.serve())
        watcher = asyncio.ensure_future(watch())
        ready = asyncio.ensure_future(bot.ready.wait())
        await asyncio.wait({serving, ready}, return_when=asyncio.FIRST_COMPLETED)
        if bot.ready.is_set():
            jobs.start(MatrixOutbox(bot, asyncio.get_running_loop()))
        ready.cancel()
        try:
            await serving
        except FatalError as exc:
            log.error("Matrix: %s", exc, extra=FILE_ONLY)
            print(f"cop-bot: Matrix: {exc}", file=sys.stderr)
            return 1
        finally:
            watching.set()
            await watcher
    if lost:
        print(
            "cop-bot: Matrix: another process took over this account while the database was "
            "out of reach; this one stopped so that the account is never synced twice.",
            file=sys.stderr,
        )
        return 1
    return 0


def make_outbox(app: App) -> Outbox:
    """Posts on the bot's behalf from outside the running bot (`cop-bot digest run-due`)."""
    return MatrixStandaloneOutbox(app)
