"""Slack: a slack-bolt `AsyncApp` on aiohttp (HTTP mode) or Socket Mode.

`run(app)` is what `cop-bot run` calls when SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are set, or
SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_SIGNING_SECRET (multi-workspace mode, `oauth.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

from slack_sdk.errors import SlackApiError

from cop_bot.app import App
from cop_bot.outbox import Outbox
from cop_bot.platforms import http
from cop_bot.platforms.slack.bot import EVENTS_PATH, HEALTH_PATH, SlackBot
from cop_bot.platforms.slack.outbox import SlackOutbox, SlackWebOutbox
from cop_bot.platforms.slack.outbox import make_outbox as make_web_outbox

log = logging.getLogger(__name__)

__all__ = ["SlackBot", "SlackOutbox", "SlackWebOutbox", "make_outbox", "run", "serve"]


def make_outbox(app: App) -> Outbox:
    """The outbox of jobs run outside the bot: one token, or each workspace's own."""
    if app.settings.slack_multi_workspace:
        from cop_bot.platforms.slack.oauth import make_outbox as make_workspace_outbox

        return make_workspace_outbox(app)
    return make_web_outbox(app)


def run(app: App) -> int:
    """Serve until SIGINT/SIGTERM; 0 after a clean stop, 1 when Slack refuses the token."""
    try:
        return asyncio.run(serve(app))
    except KeyboardInterrupt:
        return 0


async def serve(app: App, stop: asyncio.Event | None = None) -> int:
    settings = app.settings
    bot = SlackBot(app)
    bot.loop = asyncio.get_running_loop()
    bot.http()
    if bot.workspaces is None:
        try:
            who = await bot.client.auth_test()
        except SlackApiError as exc:
            print(
                f"cop-bot: Slack refused SLACK_BOT_TOKEN ({exc.response.get('error')}).",
                file=sys.stderr,
            )
            return 1
        serving = f"connected to Slack workspace {who.get('team')} as {who.get('user')}"
    else:
        count = await bot.workspaces.installed_count()
        serving = (
            f"multi-workspace mode, installed in {count} Slack workspace(s); "
            f"install page at {bot.workspaces.install_url}"
        )
    socket_mode = bool(settings.slack_app_token)
    try:
        server = await http.start(
            bot.web_app(events=not socket_mode), settings.http_host, settings.http_port
        )
    except http.ServerError as exc:
        print(f"cop-bot: {exc}", file=sys.stderr)
        await bot.aclose()
        return 2
    where = f"http://{settings.http_host}:{settings.http_port}"
    handler = None
    if socket_mode:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(bot.bolt, settings.slack_app_token)
        await handler.connect_async()  # type: ignore[no-untyped-call]
        mode = f"Socket Mode; health at {where}{HEALTH_PATH}"
    else:
        mode = f"HTTP mode at {where}{EVENTS_PATH}"
    print(
        f"cop-bot: {serving} ({mode}).",
        file=sys.stderr,
        flush=True,
    )
    from cop_bot.background import start_jobs

    # Reminders and digests run on the scheduler's thread and reach Slack through the outbox,
    # which hops onto this loop.
    scheduler = start_jobs(app, bot.workspaces.outbox(bot) if bot.workspaces else SlackOutbox(bot))
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not main thread/Windows
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await asyncio.to_thread(scheduler.shutdown, wait=True)
        if handler is not None:
            await handler.close_async()  # type: ignore[no-untyped-call]
        await server.stop()
        await bot.aclose()
    return 0
