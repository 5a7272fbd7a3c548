"""Serving Slack: ask Slack whether the tokens work, start the engine processes and the web
server (and Socket Mode), run the jobs, and stop cleanly on SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import sys
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError

from cop_bot.app import App
from cop_bot.capabilities import warm_caches
from cop_bot.core.outbox import Outbox
from cop_bot.core.wording import plural
from cop_bot.platforms import http
from cop_bot.platforms.common import serve_with_jobs
from cop_bot.platforms.engine_pool import EnginePool
from cop_bot.platforms.slack import client
from cop_bot.platforms.slack.bot import SlackBot
from cop_bot.platforms.slack.manifest import EVENTS_PATH
from cop_bot.platforms.slack.oauth import make_outbox as make_workspace_outbox
from cop_bot.platforms.slack.outbox import SlackOutbox
from cop_bot.platforms.slack.outbox import make_outbox as make_web_outbox

log = logging.getLogger(__name__)


def make_outbox(app: App) -> Outbox:
    """The outbox of jobs run outside the bot: one token, or each workspace's own."""
    if app.settings.slack_multi_workspace:
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
    engine = EnginePool(app, settings.engine_processes) if settings.engine_processes else None
    try:
        return await _serve(app, engine, stop)
    finally:
        if engine is not None:
            await asyncio.to_thread(engine.shutdown)


async def _serve(app: App, engine: EnginePool | None, stop: asyncio.Event | None) -> int:
    settings = app.settings
    bot = SlackBot(app, engine=engine)
    bot.loop = asyncio.get_running_loop()
    bot.http()
    try:
        serving = await _check_tokens(bot)
    except _Refused as exc:
        print(f"cop-bot: {exc}", file=sys.stderr)
        await bot.aclose()
        return 1
    if engine is not None and not await _start_engine(engine):
        await bot.aclose()
        return 1
    socket_url = serving.socket_url
    if engine is None:
        # Commands run in this process: build its search indexes before taking any (a replica
        # behind a load balancer gets traffic the moment it listens; the engine's workers warm
        # theirs in `_start_engine`).
        await asyncio.to_thread(warm_caches, app)
    try:
        server = await http.start(
            bot.web_app(events=socket_url is None), settings.http_host, settings.http_port
        )
    except http.ServerError as exc:
        print(f"cop-bot: {exc}", file=sys.stderr)
        await bot.aclose()
        return 2
    where = f"http://{settings.http_host}:{settings.http_port}"
    handler = None
    if socket_url is not None:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(bot.bolt, settings.slack_app_token)
        handler.client.wss_uri = socket_url  # the URL we were just given, used once
        mode = f"Socket Mode; health at {where}{http.HEALTH_PATH}"
    else:
        mode = f"HTTP mode at {where}{EVENTS_PATH}"
    try:
        if handler is not None:
            await handler.connect_async()  # type: ignore[no-untyped-call]
        print(f"cop-bot: {serving.text} ({mode}).", file=sys.stderr, flush=True)
        return await _run_until_stopped(app, bot, stop, warm=engine is not None)
    finally:
        if handler is not None:
            await handler.close_async()  # type: ignore[no-untyped-call]
        await server.stop()
        await bot.aclose()


async def _start_engine(engine: EnginePool) -> bool:
    """Each worker builds its search indexes before the bot takes its first command."""
    print(
        "cop-bot: "
        + plural(
            engine.processes,
            "starting {count} engine process...",
            "starting {count} engine processes...",
        ),
        file=sys.stderr,
        flush=True,
    )
    try:
        await asyncio.to_thread(engine.start)
    except (BrokenProcessPool, TimeoutError):
        log.exception("engine: the worker processes did not start")
        print(
            "cop-bot: the engine worker processes did not start "
            f"(COP_BOT_ENGINE_PROCESSES={engine.processes}); details in the log.",
            file=sys.stderr,
        )
        return False
    return True


class _Refused(Exception):
    """Slack refused a token or could not be reached: said in one line, exit status 1."""


@dataclass(frozen=True)
class _Serving:
    text: str  # which workspace or workspaces, for the start-up line
    socket_url: str | None  # Socket Mode's first websocket URL


async def _check_tokens(bot: SlackBot) -> _Serving:
    """Ask Slack before serving: a refused token stops the bot with a clear line (slack_sdk's
    Socket Mode client would otherwise retry a refused app token forever, in silence)."""
    settings = bot.app.settings
    what = "SLACK_BOT_TOKEN"
    try:
        if bot.workspaces is None:
            who = await bot.client.auth_test()
            text = f"connected to Slack workspace {who.get('team')} as {who.get('user')}"
        else:
            count = await bot.workspaces.installed_count()
            text = plural(
                count,
                "multi-workspace mode, installed in {count} Slack workspace; install page at {url}",
                "multi-workspace mode, installed in {count} Slack workspaces; install page at {url}",
                url=bot.workspaces.install_url,
            )
        socket_url = None
        if settings.slack_app_token:
            what = "SLACK_APP_TOKEN"
            opened = await bot.client.apps_connections_open(app_token=settings.slack_app_token)
            socket_url = str(opened["url"])
    except SlackApiError as exc:
        raise _Refused(f"Slack refused {what} ({exc.response.get('error')}).") from exc
    except (ClientError, TimeoutError) as exc:
        where = settings.slack_api_url or client.DEFAULT_API_URL
        raise _Refused(f"could not reach Slack at {where} ({exc or type(exc).__name__}).") from exc
    return _Serving(text, socket_url)


async def _run_until_stopped(
    app: App, bot: SlackBot, stop: asyncio.Event | None, *, warm: bool
) -> int:
    """Reminders and digests run on the scheduler's thread and reach Slack through the outbox,
    which hops onto this loop; SIGINT/SIGTERM stop everything cleanly."""
    outbox = bot.workspaces.outbox(bot) if bot.workspaces else SlackOutbox(bot)
    await serve_with_jobs(app, outbox, stop or asyncio.Event(), warm=warm)
    return 0
