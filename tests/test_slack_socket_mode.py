"""Slack in Socket Mode: the bot started as `cop-bot run` starts it (`serve`, SLACK_APP_TOKEN set)
against the stand-in's Socket Mode server (tests/slack_stand_in.py), which pushes envelopes the
way Slack does and records the bot's acknowledgements.

Socket Mode needs no public URL: Slack hands the app a websocket URL from
`apps.connections.open` (app-level token only), then delivers commands, events and clicks as
envelopes the app acknowledges by `envelope_id`, with a slash command's answer in the ack.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from cop_bot.app import App, build_app
from cop_bot.core.clock import FixedClock
from cop_bot.platforms.slack.runner import serve
from tests.slack_stand_in import ANSWER, APP_ID, TEAM_ID, StandIn
from tests.test_slack import TOKEN, _free_port, slack_settings, slash_command, texts

pytestmark = pytest.mark.slack

APP_TOKEN = "xapp-1-test"
START_TIMEOUT = 20.0


@dataclass
class SocketBot:
    """`serve()` running in a task, connected to the stand-in over Socket Mode."""

    app: App
    stand_in: StandIn
    url: str  # the bot's own HTTP server: /healthz and the calendar feeds
    stop: asyncio.Event
    task: asyncio.Task[int]

    async def shutdown(self) -> int:
        """Stop as SIGTERM would; `serve` delivers what it already acked before returning."""
        self.stop.set()
        return await asyncio.wait_for(asyncio.shield(self.task), START_TIMEOUT)

    async def command(self, command: str, text: str = "", *, user: str = "U0ANN") -> str:
        payload: dict[str, Any] = slash_command(
            command, text, user, self.stand_in.response_url("1")
        )
        payload["is_enterprise_install"] = "false"
        return await self.stand_in.push("slash_commands", payload)

    async def event(self, event: dict[str, Any], *, event_id: str, retry_attempt: int = 0) -> str:
        payload = {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [
                {"team_id": TEAM_ID, "user_id": "U0BOT", "is_bot": True, "enterprise_id": None}
            ],
            "is_ext_shared_channel": False,
        }
        reason = "timeout" if retry_attempt else ""
        return await self.stand_in.push(
            "events_api", payload, retry_attempt=retry_attempt, retry_reason=reason
        )


async def started(task: asyncio.Task[int], stand_in: StandIn) -> None:
    """Until the bot holds a Socket Mode connection; fails at once if `serve` returns first."""
    connected = asyncio.ensure_future(stand_in.socket(timeout=START_TIMEOUT))
    try:
        await asyncio.wait({connected, task}, return_when=asyncio.FIRST_COMPLETED)
        assert not task.done(), f"serve() returned {task.result()} before connecting"
        await connected
    finally:
        connected.cancel()


@pytest.fixture
async def socket_bot(
    sqlite_url: str, stand_in: StandIn, clock: FixedClock
) -> AsyncIterator[SocketBot]:
    port = _free_port()
    settings = replace(
        slack_settings(sqlite_url, stand_in.api_url), slack_app_token=APP_TOKEN, http_port=port
    )
    app = build_app(settings, clock=clock, migrate=False)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, stop))
    bot = SocketBot(app, stand_in, f"http://127.0.0.1:{port}", stop, task)
    try:
        await started(task, stand_in)
        yield bot
        assert await bot.shutdown() == 0
        await stand_in.sockets_closed()  # the bot let go of its connection
    finally:
        if not task.done():  # it failed to start: stop it without hiding why
            stop.set()
            await asyncio.wait({task}, timeout=START_TIMEOUT)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        app.engine.dispose()


# ---- commands ------------------------------------------------------------------------------------


async def test_slash_command_is_answered_in_its_ack(socket_bot: SocketBot) -> None:
    stand_in = socket_bot.stand_in
    envelope_id = await socket_bot.command("/help")
    ack = await stand_in.acked(envelope_id)
    assert ack.args["response_type"] == "ephemeral"
    assert "/find-expert" in texts(ack.args["blocks"])
    assert ack.args["text"]
    [shown] = stand_in.of(ANSWER)  # what the member sees: the ack's message, keyed as usual
    assert shown.method == "ack" and shown.key == "1"
    assert shown.args == ack.args
    assert await socket_bot.shutdown() == 0  # anything spawned after the ack has run by now
    assert stand_in.of("response_url") == []  # one round trip, not two
    assert stand_in.of("ack_refused") == []
    assert [c.token for c in stand_in.of("users.info")] == [TOKEN]


async def test_a_button_click_is_acked_empty_and_answered_via_response_url(
    socket_bot: SocketBot,
) -> None:
    payload = {
        "type": "block_actions",
        "user": {"id": "U0BOB", "username": "u0bob", "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "team": {"id": TEAM_ID, "domain": "test-network"},
        "channel": {"id": "C0GENERAL", "name": "general"},
        "container": {"type": "message", "channel_id": "C0GENERAL", "is_ephemeral": True},
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        "response_url": socket_bot.stand_in.response_url("click"),
        "actions": [
            {
                "type": "button",
                "action_id": "cop_cmd_1",
                "block_id": "b1",
                "value": "/ask housing: who can help?",
                "text": {"type": "plain_text", "text": "Go"},
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    envelope_id = await socket_bot.stand_in.push("interactive", payload)
    assert (await socket_bot.stand_in.acked(envelope_id)).args == {}
    [answer] = await socket_bot.stand_in.wait_for("response_url")
    assert answer.key == "click"
    assert "<@U0BOB>" in texts(answer.args["blocks"])


# ---- events --------------------------------------------------------------------------------------


JOINED = {"type": "member_joined_channel", "user": "U0NEW", "channel": "C0GENERAL", "team": TEAM_ID}


async def test_member_joining_a_channel_gets_the_onboarding_dm(socket_bot: SocketBot) -> None:
    stand_in = socket_bot.stand_in
    envelope_id = await socket_bot.event(JOINED, event_id="Ev0SJ1")
    assert (await stand_in.acked(envelope_id)).args == {}  # events take no response payload
    [opened] = await stand_in.wait_for("conversations.open")
    assert opened.args["users"] == "U0NEW"
    assert opened.token == TOKEN
    [dm] = await stand_in.wait_for("chat.postMessage")
    assert dm.args["channel"] == "D0NEW"
    assert "/profile set" in texts(dm.args["blocks"])


async def test_a_redelivered_event_sends_no_second_dm(socket_bot: SocketBot) -> None:
    stand_in = socket_bot.stand_in
    first = await socket_bot.event(JOINED, event_id="Ev0SJ2")
    await stand_in.acked(first)
    await stand_in.wait_for("chat.postMessage")
    again = await socket_bot.event(JOINED, event_id="Ev0SJ2", retry_attempt=1)
    assert (await stand_in.acked(again)).args == {}  # acked, or Slack keeps redelivering
    assert await socket_bot.shutdown() == 0
    assert len(stand_in.of("conversations.open")) == 1
    assert len(stand_in.of("chat.postMessage")) == 1


async def test_a_redelivered_app_home_event_is_published_once(socket_bot: SocketBot) -> None:
    """No database claim guards App Home: only the `event_id` tells a redelivery apart."""
    stand_in = socket_bot.stand_in
    home = {"type": "app_home_opened", "user": "U0ANN", "channel": "D0ANN", "tab": "home"}
    for attempt in range(4):  # the original and Slack's up to 3 retries
        await stand_in.acked(await socket_bot.event(home, event_id="Ev0SH1", retry_attempt=attempt))
    [published] = await stand_in.wait_for("views.publish")
    assert published.args["user_id"] == "U0ANN"
    await stand_in.acked(await socket_bot.event(home, event_id="Ev0SH2"))  # a new event
    await stand_in.wait_for("views.publish", 2)
    assert await socket_bot.shutdown() == 0
    assert len(stand_in.of("views.publish")) == 2


# ---- connection --------------------------------------------------------------------------------


async def test_connection_is_opened_with_the_app_token_and_health_still_answers(
    socket_bot: SocketBot,
) -> None:
    stand_in = socket_bot.stand_in
    [opened] = stand_in.of("apps.connections.open")
    assert opened.token == APP_TOKEN
    assert "token" not in opened.args  # in the Authorization header, as Slack requires
    assert {c.token for c in stand_in.calls if c.method != "apps.connections.open"} <= {TOKEN}
    assert [c.token for c in stand_in.of("auth.test")] == [TOKEN]
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{socket_bot.url}/healthz") as response:
            assert response.status == 200
            assert (await response.json())["ok"] is True
        async with http.post(f"{socket_bot.url}/slack/events", data="{}") as response:
            assert response.status == 404  # no public events URL in Socket Mode


async def test_bot_reconnects_when_slack_asks_and_keeps_answering(socket_bot: SocketBot) -> None:
    stand_in = socket_bot.stand_in
    first = await stand_in.socket()
    await stand_in.disconnect("refresh_requested")
    await stand_in.wait_for("apps.connections.open", 2, timeout=START_TIMEOUT)
    assert await stand_in.socket(START_TIMEOUT, replacing=first) is not first
    assert {c.token for c in stand_in.of("apps.connections.open")} == {APP_TOKEN}
    ack = await stand_in.acked(await socket_bot.command("/help"))
    assert "/find-expert" in texts(ack.args["blocks"])


async def test_stand_in_refuses_other_tokens_for_socket_mode(stand_in: StandIn) -> None:
    """What Slack documents for `apps.connections.open`, so a mix-up fails here as in production."""
    client = AsyncWebClient(base_url=stand_in.api_url)
    with pytest.raises(SlackApiError) as refused:
        await client.apps_connections_open(app_token=TOKEN)
    assert refused.value.response["error"] == "not_allowed_token_type"
    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(token=APP_TOKEN, channel="C0GENERAL", text="hi")
    assert refused.value.response["error"] == "not_allowed_token_type"
    opened = await client.apps_connections_open(app_token=APP_TOKEN)
    assert str(opened["url"]).startswith("ws://127.0.0.1:")
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(str(opened["url"])) as ws:
            hello = json.loads(await ws.receive_str())
            assert hello["type"] == "hello"
            assert hello["connection_info"] == {"app_id": APP_ID}
        with pytest.raises(aiohttp.WSServerHandshakeError):  # each URL is good once
            await http.ws_connect(str(opened["url"]))


async def test_a_refused_app_token_stops_the_bot_with_a_clear_line(
    sqlite_url: str, stand_in: StandIn, clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """slack_sdk would retry a refused app token every 10 s, forever and in silence."""
    stand_in.fail["apps.connections.open"] = "invalid_auth"
    settings = replace(
        slack_settings(sqlite_url, stand_in.api_url),
        slack_app_token=APP_TOKEN,
        http_port=_free_port(),
    )
    app = build_app(settings, clock=clock, migrate=False)
    try:
        assert await asyncio.wait_for(serve(app, asyncio.Event()), START_TIMEOUT) == 1
    finally:
        app.engine.dispose()
    assert "Slack refused SLACK_APP_TOKEN (invalid_auth)." in capsys.readouterr().err
    assert stand_in.sockets == []


async def test_socket_mode_needs_no_signing_secret(
    sqlite_url: str, stand_in: StandIn, clock: FixedClock
) -> None:
    """Slack signs HTTP requests only; over the websocket the app token is the credential."""
    settings = replace(
        slack_settings(sqlite_url, stand_in.api_url),
        slack_signing_secret=None,
        slack_app_token=APP_TOKEN,
        http_port=_free_port(),
    )
    assert settings.chosen_platform()[0] == "slack"
    app = build_app(settings, clock=clock, migrate=False)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, stop))
    try:
        await started(task, stand_in)
        bot = SocketBot(app, stand_in, "", stop, task)
        ack = await stand_in.acked(await bot.command("/help"))
        assert "/find-expert" in texts(ack.args["blocks"])
        assert await bot.shutdown() == 0
    finally:
        stop.set()
        await asyncio.wait({task}, timeout=START_TIMEOUT)
        app.engine.dispose()
