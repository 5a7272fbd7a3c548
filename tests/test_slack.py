"""Slack: the real bolt app in HTTP mode, sent requests signed exactly as Slack signs them, with the
Web API and response_urls served by a local recording stand-in (tests/slack_stand_in.py).

Figures quoted from docs/platform-rules.md: ack within 3 s; v0 HMAC-SHA256 signatures
over "v0:{ts}:{body}", refused when the timestamp is more than 300 s off; Events API retries up
to 3 times with the same event_id; at most 50 blocks per message, 3,000 characters per section.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
import yaml
from aiohttp import web

from cop_bot.app import build_app
from cop_bot.config import Settings
from cop_bot.core.clock import FixedClock
from cop_bot.core.model import (
    Conversation,
    Invocation,
    Item,
    Mention,
    Notice,
    Outgoing,
    Reply,
    Text,
    reply,
    spans,
)
from cop_bot.core.outbox import DeliveryError, Direct, Together
from cop_bot.handlers import build_registry
from cop_bot.platforms.slack.bot import SlackBot, command_names
from cop_bot.platforms.slack.convert import actor_from_profile, unslack, user_id_for
from cop_bot.platforms.slack.manifest import EXAMPLE_URL, RESERVED, build_manifest, manifest_yaml
from cop_bot.platforms.slack.modals import FORMS
from cop_bot.platforms.slack.outbox import SlackOutbox
from tests.slack_stand_in import ANSWER, APP_ID, TEAM_ID, StandIn

pytestmark = pytest.mark.slack

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-test-token"
ROOT = Path(__file__).resolve().parents[1]
ACK_LIMIT = 3.0  # Slack's ack deadline, docs/platform-rules.md


def sign(body: str, *, ts: int | None = None, secret: str = SECRET) -> dict[str, str]:
    """The headers Slack sends: X-Slack-Request-Timestamp and the v0 HMAC-SHA256 signature."""
    stamp = str(int(time.time()) if ts is None else ts)
    base = f"v0:{stamp}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def trigger_id() -> str:
    """A fresh one per request, as Slack's are: the same signed request twice is a replay."""
    return f"13345224609.738474920.{secrets.token_hex(10)}"


def slash_command(
    command: str, text: str, user: str, response_url: str, *, team: str = TEAM_ID
) -> dict[str, str]:
    """A slash command's payload as Slack sends it (form-encoded over HTTP, JSON in Socket Mode)."""
    return {
        "token": "legacy-verification-token",
        "team_id": team,
        "team_domain": team.lower(),
        "channel_id": "C0GENERAL",
        "channel_name": "general",
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "response_url": response_url,
        "trigger_id": trigger_id(),
    }


@dataclass
class Slack:
    """The bot's HTTP server, its stand-in Slack, and a client speaking as Slack does."""

    url: str
    bot: SlackBot
    stand_in: StandIn
    http: aiohttp.ClientSession

    async def send(
        self, body: str, content_type: str, headers: dict[str, str] | None = None
    ) -> tuple[int, str, float]:
        start = time.monotonic()
        async with self.http.post(
            f"{self.url}/slack/events",
            data=body.encode(),
            headers={"Content-Type": content_type, **sign(body), **(headers or {})},
        ) as response:
            return response.status, await response.text(), time.monotonic() - start

    async def command(
        self, command: str, text: str = "", *, user: str = "U0ANN", key: str = "1"
    ) -> tuple[int, str, float]:
        payload = slash_command(command, text, user, self.stand_in.response_url(key))
        body = urlencode(payload)
        status, ack_body, elapsed = await self.send(body, "application/x-www-form-urlencoded")
        self.stand_in.shown(key, ack_body)
        return status, ack_body, elapsed

    async def click(self, value: str, *, user: str = "U0BOB", key: str = "click") -> int:
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
            "api_app_id": "A0COPBOT",
            "team": {"id": TEAM_ID, "domain": "test-network"},
            "channel": {"id": "C0GENERAL", "name": "general"},
            "container": {"type": "message", "channel_id": "C0GENERAL", "is_ephemeral": True},
            "trigger_id": trigger_id(),
            "response_url": self.stand_in.response_url(key),
            "actions": [
                {
                    "type": "button",
                    "action_id": "cop_cmd_1",
                    "block_id": "b1",
                    "value": value,
                    "text": {"type": "plain_text", "text": "Go"},
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        body = urlencode({"payload": json.dumps(payload)})
        status, _, _ = await self.send(body, "application/x-www-form-urlencoded")
        return status

    async def event(self, event: dict[str, Any], *, event_id: str, retry: int | None = None) -> int:
        body = json.dumps(
            {
                "token": "legacy-verification-token",
                "team_id": TEAM_ID,
                "api_app_id": "A0COPBOT",
                "event": event,
                "type": "event_callback",
                "event_id": event_id,
                "event_time": int(time.time()),
                "authorizations": [
                    {"team_id": TEAM_ID, "user_id": "U0BOT", "is_bot": True, "enterprise_id": None}
                ],
            }
        )
        headers = (
            {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
            if retry
            else {}
        )
        status, _, _ = await self.send(body, "application/json", headers)
        return status


def slack_settings(db_url: str, api_url: str) -> Settings:
    return Settings(
        database_url=db_url,
        admins=("u0root",),
        community_name="Test network",
        slack_bot_token=TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=api_url,
    )


@pytest.fixture
async def slack(sqlite_url: str, stand_in: StandIn, clock: FixedClock) -> AsyncIterator[Slack]:
    app = build_app(slack_settings(sqlite_url, stand_in.api_url), clock=clock, migrate=False)
    async with served(SlackBot(app), stand_in) as slack:
        yield slack
    app.engine.dispose()


@contextlib.asynccontextmanager
async def served(bot: SlackBot, stand_in: StandIn) -> AsyncIterator[Slack]:
    """The bot's HTTP server on a free loopback port, and a client speaking as Slack does."""
    runner = web.AppRunner(bot.web_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with aiohttp.ClientSession() as http:
            yield Slack(f"http://127.0.0.1:{port}", bot, stand_in, http)
    finally:
        await runner.cleanup()
        await bot.aclose()


def texts(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


# ---- slash commands ------------------------------------------------------------------------------


async def wait_until_healthy(
    http: aiohttp.ClientSession, url: str, proc: subprocess.Popen[Any], seconds: float = 20
) -> None:
    """Until `cop-bot run` (started as `proc`) answers `/healthz`; fails if it exits first."""
    deadline = time.monotonic() + seconds
    while True:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        try:
            async with http.get(f"{url}/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        assert time.monotonic() < deadline, "cop-bot run did not come up"
        await asyncio.sleep(0.05)


async def test_slash_command_is_answered_in_its_ack(slack: Slack) -> None:
    status, body, elapsed = await slack.command("/help")
    assert status == 200
    assert elapsed < ACK_LIMIT
    answer = json.loads(body)
    assert answer["response_type"] == "ephemeral"
    assert "/find-expert" in texts(answer["blocks"])
    assert answer["text"]
    assert slack.stand_in.of("response_url") == []  # one round trip, not two
    # the bot authenticated once and looked the member up with its token
    assert [c.token for c in slack.stand_in.of("users.info")] == [TOKEN]
    assert slack.stand_in.of("users.info")[0].args["include_locale"] in {"true", "1", True}


async def test_a_slow_answer_follows_an_empty_ack_via_response_url(slack: Slack) -> None:
    router = slack.bot.app.router
    fast, release = router.dispatch, threading.Event()

    def slow(invocation: Invocation) -> Reply:
        release.wait(10)  # the engine answers only once the ack has reached Slack
        return fast(invocation)

    slack.bot.ack_budget = 0.05
    router.dispatch = slow  # type: ignore[method-assign]
    status, body, _ = await slack.command("/help")
    assert (status, body) == (200, "")
    release.set()
    [answer] = await slack.stand_in.wait_for(ANSWER)
    assert answer.method == "response_url"
    assert answer.args["response_type"] == "ephemeral"
    assert answer.args["replace_original"] is False
    assert "/find-expert" in texts(answer.args["blocks"])


async def test_member_is_looked_up_once_and_known_by_user_id(slack: Slack) -> None:
    await slack.command("/profile", key="a")
    await slack.command("/ask", "housing: where do I start?", key="b")
    answers = await slack.stand_in.wait_for(ANSWER, 2)
    assert len(slack.stand_in.of("users.info")) == 1  # cached
    asked = next(a for a in answers if a.key == "b")
    assert asked.args["response_type"] == "in_channel"  # a question is posted in the channel
    assert "<@U0ANN>" in texts(asked.args["blocks"])  # a real Slack mention of the member
    with slack.bot.app.engine.connect() as conn:
        from sqlalchemy import text

        row = conn.execute(
            text("SELECT handle, platform_user_id, display_name, locale FROM member")
        ).one()
    # the Slack locale is read with each command (users.info, cached), never stored as a choice
    assert tuple(row) == ("u0ann", "U0ANN", "member-u0ann", None)


async def test_a_name_set_with_profile_set_outlives_the_slack_name(slack: Slack) -> None:
    """Slack sends its own name with every command; the member's choice wins once made."""
    await slack.command("/profile", "set name: Amina Haddad", key="set")
    await slack.stand_in.wait_for(ANSWER)
    await slack.command("/profile", key="again")
    [_, again] = await slack.stand_in.wait_for(ANSWER, 2)
    assert "Amina Haddad" in texts(again.args["blocks"])
    with slack.bot.app.engine.connect() as conn:
        from sqlalchemy import text

        names = conn.execute(text("SELECT display_name FROM member")).scalars().all()
    assert names == ["Amina Haddad"]


async def test_aliases_are_slash_commands_too(slack: Slack) -> None:
    status, _, _ = await slack.command("/cop")
    assert status == 200
    [answer] = await slack.stand_in.wait_for(ANSWER)
    assert "/find-expert" in texts(answer.args["blocks"])


async def test_every_registered_command_has_a_listener(slack: Slack) -> None:
    names = command_names(slack.bot.app)
    assert {"find-expert", "help", "cop", "practices", "share-practice"} <= set(names)
    forms = [n for n in names if n in FORMS and FORMS[n].prefix == ""]  # open a modal instead
    for name in names:
        status, _, _ = await slack.command(f"/{name}", key=name)
        assert status == 200, name
    await slack.stand_in.wait_for("views.open", len(forms))
    answers = await slack.stand_in.wait_for(ANSWER, len(names) - len(forms))
    assert {a.key for a in answers} == set(names) - set(forms)


async def test_hostile_text_stays_escaped(slack: Slack) -> None:
    # what Slack sends when a member types "@channel" (escaped mention) and a literal "<script>"
    await slack.command("/find-expert", "<!channel> &lt;script&gt; <!here|here>")
    [answer] = await slack.stand_in.wait_for(ANSWER)
    payload = json.dumps(answer.args)
    for live in ("<!channel>", "<!here", "<script>", "<!everyone>"):
        assert live not in payload
    assert "&lt;script&gt;" in payload


async def test_internal_errors_are_acked_and_answered(slack: Slack) -> None:
    def broken(*_: Any) -> Any:
        raise RuntimeError("boom")

    slack.bot.app.router.registry.commands["help"] = replace(
        slack.bot.app.router.registry.commands["help"], handler=broken
    )
    status, _, _ = await slack.command("/help")
    assert status == 200
    [answer] = await slack.stand_in.wait_for(ANSWER)
    assert "something went wrong" in answer.args["text"]


# ---- signatures ----------------------------------------------------------------------------------


async def test_bad_or_stale_signature_is_refused(slack: Slack) -> None:
    body = urlencode({"command": "/help", "team_id": TEAM_ID, "user_id": "U0ANN"})
    url = f"{slack.url}/slack/events"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    cases = {
        "wrong secret": sign(body, secret="not-the-secret"),
        "stale": sign(body, ts=int(time.time()) - 301),
        "future": sign(body, ts=int(time.time()) + 301),
        "tampered": {**sign(body), "X-Slack-Signature": "v0=" + "0" * 64},
        "missing": {},
    }
    for name, headers in cases.items():
        async with slack.http.post(url, data=body, headers={**form, **headers}) as response:
            assert response.status == 401, name
    assert slack.stand_in.of(ANSWER) == []


async def test_health(slack: Slack) -> None:
    async with slack.http.get(f"{slack.url}/healthz") as response:
        assert response.status == 200
        assert (await response.json())["ok"] is True


async def test_calendar_feeds_are_served(slack: Slack) -> None:
    from cop_bot.sessions.calendar import feed_path

    async with slack.http.get(f"{slack.url}{feed_path('no-such-token')}") as response:
        assert response.status == 404
    admin = "U0ROOT"
    await slack.command("/schedule-session", '"Clinic" tomorrow 15:00 for 1h', user=admin)
    await slack.command("/sessions", "feed", user=admin, key="feed")
    answers = await slack.stand_in.wait_for(ANSWER, 2)
    # from the blocks: the `text` fallback swaps `_` for a lookalike outside code spans
    found = [a for a in answers if "/calendar/" in texts(a.args["blocks"])]
    if not found:  # the feed command's wording belongs to the sessions feature
        pytest.skip("no calendar feed link in the /sessions reply")
    text = texts(found[0].args["blocks"])
    path = "/calendar/" + text.split("/calendar/")[1].split(".ics")[0] + ".ics"
    async with slack.http.get(f"{slack.url}{path}") as response:
        assert response.status == 200
        assert response.content_type == "text/calendar"
        assert "BEGIN:VCALENDAR" in await response.text()


# ---- buttons -------------------------------------------------------------------------------------


async def test_button_runs_its_typed_command_as_the_clicker(slack: Slack) -> None:
    assert await slack.click("/ask housing: who can help?", user="U0BOB") == 200
    [answer] = await slack.stand_in.wait_for(ANSWER)
    assert answer.key == "click"
    assert answer.args["replace_original"] is False
    assert "<@U0BOB>" in texts(answer.args["blocks"])


async def test_buttons_in_replies_carry_their_command(slack: Slack) -> None:
    await slack.command("/profile")
    [answer] = await slack.stand_in.wait_for(ANSWER)
    buttons = [e for b in answer.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons and all(b["action_id"].startswith("cop_cmd_") for b in buttons)
    value = buttons[0]["value"]
    assert await slack.click(value, user="U0ANN", key="again") == 200
    await slack.stand_in.wait_for(ANSWER, 2)


# ---- events --------------------------------------------------------------------------------------


async def test_event_retries_are_deduplicated(slack: Slack) -> None:
    event = {"type": "app_home_opened", "user": "U0ANN", "channel": "D0ANN", "tab": "home"}
    for retry in (None, 1, 2, 3):  # the original and Slack's up to 3 retries
        assert await slack.event(event, event_id="Ev0HOME1", retry=retry) == 200
    [published] = await slack.stand_in.wait_for("views.publish")
    await asyncio.sleep(0.2)
    assert len(slack.stand_in.of("views.publish")) == 1
    view = (
        json.loads(published.args["view"])
        if isinstance(published.args["view"], str)
        else (published.args["view"])
    )
    assert view["type"] == "home"
    assert 0 < len(view["blocks"]) <= 100
    assert "member-u0ann" in texts(view["blocks"])  # the profile summary
    assert "/cop" in texts(view["blocks"][-1:])
    assert published.args["user_id"] == "U0ANN"
    # a different event is handled
    assert await slack.event(event, event_id="Ev0HOME2") == 200
    await slack.stand_in.wait_for("views.publish", 2)


async def test_onboarding_direct_message_once_per_member(slack: Slack) -> None:
    joined = {"type": "member_joined_channel", "user": "U0NEW", "channel": "C0GENERAL"}
    assert await slack.event({**joined, "team": TEAM_ID}, event_id="Ev0J1") == 200
    [opened] = await slack.stand_in.wait_for("conversations.open")
    assert opened.args["users"] == "U0NEW"
    [dm] = await slack.stand_in.wait_for("chat.postMessage")
    assert dm.args["channel"] == "D0NEW"
    assert "/profile set" in texts(dm.args["blocks"])
    assert await slack.event({**joined, "channel": "C0OTHER"}, event_id="Ev0J2") == 200
    assert await slack.event({**joined, "user": "U0BOT"}, event_id="Ev0J3") == 200  # ourselves
    await asyncio.sleep(0.3)
    assert len(slack.stand_in.of("chat.postMessage")) == 1


async def test_onboarding_reaches_members_met_through_a_command_and_retries_a_failed_dm(
    slack: Slack,
) -> None:
    # Someone who typed a command before joining a channel still gets the welcome, once.
    await slack.command("/domains", user="U0EARLY")
    await slack.stand_in.wait_for(ANSWER)
    joined = {"type": "member_joined_channel", "channel": "C0GENERAL", "team": TEAM_ID}
    assert await slack.event({**joined, "user": "U0EARLY"}, event_id="Ev0E1") == 200
    [dm] = await slack.stand_in.wait_for("chat.postMessage")
    assert "/profile set" in texts(dm.args["blocks"])
    # Slack refuses the DM: the welcome is not spent, the next join tries again.
    slack.stand_in.fail["conversations.open"] = "user_disabled"
    assert await slack.event({**joined, "user": "U0LATER"}, event_id="Ev0E2") == 200
    await slack.stand_in.wait_for("conversations.open", 2)
    await asyncio.sleep(0.3)
    assert len(slack.stand_in.of("chat.postMessage")) == 1
    del slack.stand_in.fail["conversations.open"]
    assert (
        await slack.event({**joined, "user": "U0LATER", "channel": "C0X"}, event_id="Ev0E3") == 200
    )
    await slack.stand_in.wait_for("chat.postMessage", 2)
    assert (
        await slack.event({**joined, "user": "U0LATER", "channel": "C0Y"}, event_id="Ev0E4") == 200
    )
    await asyncio.sleep(0.3)
    assert len(slack.stand_in.of("chat.postMessage")) == 2


# ---- delivery, limits, rate limits ----------------------------------------------------------------


def _conv() -> Conversation:
    return Conversation(platform="slack", community_id=TEAM_ID, channel_id="C0GENERAL")


async def test_long_replies_respect_block_limits(slack: Slack) -> None:
    many = reply(
        *[Item(title=spans(f"Practice {i}"), body=spans("x" * 4000)) for i in range(120)],
        visibility="channel",
    )
    actor = actor_from_profile("U0ANN", None, "ann")
    await slack.bot.deliver(many, _conv(), actor, None)
    [posted] = slack.stand_in.of("chat.postMessage")
    blocks = posted.args["blocks"]
    assert len(blocks) == 50
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)
    assert "71 more" in texts(blocks)
    assert len(posted.args["text"]) <= 3000


async def test_ephemeral_without_response_url_uses_post_ephemeral(slack: Slack) -> None:
    actor = actor_from_profile("U0ANN", None, "ann")
    await slack.bot.deliver(reply(Text.of("only you")), _conv(), actor, None)
    [sent] = slack.stand_in.of("chat.postEphemeral")
    assert sent.args["user"] == "U0ANN"
    assert sent.args["channel"] == "C0GENERAL"


async def test_dm_replies_and_notices_are_direct_messages(slack: Slack) -> None:
    expert = Mention("u0exp", "Expert", "U0EXP")
    imported = Mention("maria", "Maria", None)  # imported from CSV: no Slack id, not reachable
    result = reply(
        Text.of("sent privately"),
        visibility="dm",
        notices=[
            Notice(to=expert, blocks=(Text.of("A question for you <!channel>"),)),
            Notice(to=imported, blocks=(Text.of("lost"),)),
        ],
    )
    await slack.bot.deliver(result, _conv(), actor_from_profile("U0ANN", None, "ann"), None)
    assert [c.args["users"] for c in slack.stand_in.of("conversations.open")] == ["U0ANN", "U0EXP"]
    posted = slack.stand_in.of("chat.postMessage")
    assert [c.args["channel"] for c in posted] == ["D0ANN", "D0EXP"]
    assert "<!channel>" not in json.dumps(posted[1].args)


async def test_rate_limited_calls_wait_for_retry_after_and_are_bounded(slack: Slack) -> None:
    stand_in = slack.stand_in
    stand_in.rate_limit["chat.postMessage"] = (1, 0)
    await slack.bot.post("C0GENERAL", {"text": "hi", "blocks": []})
    assert len(stand_in.of("chat.postMessage")) == 2  # one 429, then the retry

    stand_in.rate_limit["chat.postMessage"] = (10, 0)
    await slack.bot.post("C0GENERAL", {"text": "hi", "blocks": []})
    assert len(stand_in.of("chat.postMessage")) == 2 + 3  # the first try and 2 retries, no more

    stand_in.rate_limit["chat.postMessage"] = (1, 120)  # longer than we are willing to wait
    start = time.monotonic()
    await slack.bot.post("C0GENERAL", {"text": "hi", "blocks": []})
    assert time.monotonic() - start < 1
    assert len(stand_in.of("chat.postMessage")) == 6


async def test_api_errors_are_logged_not_raised(
    slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    slack.stand_in.fail["chat.postMessage"] = "channel_not_found"
    await slack.bot.post("C0GONE", {"text": "hi", "blocks": []})
    assert "channel_not_found" in caplog.text


async def test_outbox_is_thread_safe(slack: Slack) -> None:
    slack.bot.loop = asyncio.get_running_loop()
    outbox = SlackOutbox(slack.bot, timeout=5)
    message = Outgoing(conversation=_conv(), reply=reply(Text.of("Weekly digest")))
    direct = Direct(_conv(), Mention("u0ann", None, "U0ANN"), reply(Text.of("Reminder")))
    errors: list[BaseException] = []

    def job() -> None:
        try:
            outbox.post(message)
            outbox.direct(direct)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=job) for _ in range(3)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        await asyncio.sleep(0.01)
    assert errors == []
    posted = slack.stand_in.of("chat.postMessage")
    assert sorted(c.args["channel"] for c in posted) == ["C0GENERAL"] * 3 + ["D0ANN"] * 3


async def test_a_pair_is_introduced_in_one_group_dm(slack: Slack) -> None:
    """`Together` opens ONE mpim with both members (`conversations.open users=U1,U2`) and posts
    once there; a retry reopens the same mpim, and a member with no Slack id is refused."""
    slack.bot.loop = asyncio.get_running_loop()
    outbox = SlackOutbox(slack.bot, timeout=5)
    pair = (Mention("u0ann", None, "U0ANN"), Mention("u0bob", None, "U0BOB"))
    message = Together(_conv(), pair, reply(Text.of("You are paired")), key="mentoring-pair:1")
    await asyncio.to_thread(outbox.together, message)
    await asyncio.to_thread(outbox.together, message)
    opened = slack.stand_in.of("conversations.open")
    assert [c.args["users"] for c in opened] == ["U0ANN,U0BOB"] * 2
    posted = slack.stand_in.of("chat.postMessage")
    assert len(posted) == 2 and posted[0].args["channel"] == posted[1].args["channel"]
    assert posted[0].args["channel"].startswith("G")  # an mpim, not either member's DM
    unknown = Together(_conv(), (pair[0], Mention("csv-only")), reply(Text.of("x")), key="k")
    with pytest.raises(DeliveryError) as refused:
        await asyncio.to_thread(outbox.together, unknown)
    assert refused.value.permanent and len(slack.stand_in.of("chat.postMessage")) == 2


# ---- conversions -----------------------------------------------------------------------------------


def test_unslack_turns_slack_markup_into_typed_text() -> None:
    assert unslack("<@U012AB|ann> and <@W0X>") == "@u012ab and @w0x"
    assert unslack("<#C123|general> <#C9>") == "#general #C9"
    assert unslack("<!channel> <!here|here> <!subteam^S1|@team>") == "@channel @here @team"
    assert unslack("<https://example.org/a?b=1&amp;c=2|example.org>") == (
        "https://example.org/a?b=1&c=2"
    )
    assert unslack("a &lt;b&gt; &amp;amp;") == "a <b> &amp;"


def test_user_id_for_mentions() -> None:
    assert user_id_for(Mention("u0ann", None, "U0ANN")) == "U0ANN"
    assert user_id_for(Mention("u0ann")) == "U0ANN"
    assert user_id_for(Mention("maria")) is None


def test_actor_from_users_info() -> None:
    user = {"name": "ann", "tz": "Asia/Tokyo", "locale": "ja_JP", "profile": {"real_name": "Ann"}}
    actor = actor_from_profile("U0ANN", user, "ann")
    assert (actor.handle, actor.display_name, actor.timezone, actor.locale) == (
        "u0ann",
        "Ann",
        "Asia/Tokyo",
        "ja-JP",
    )


# ---- manifest ------------------------------------------------------------------------------------


def test_manifest_file_matches_the_registry() -> None:
    path = ROOT / "config" / "slack-manifest.yaml"
    assert path.read_text(encoding="utf-8") == manifest_yaml(build_registry()), (
        "config/slack-manifest.yaml is stale: regenerate it with "
        "`cop-bot slack manifest > config/slack-manifest.yaml`"
    )


def test_manifest_lists_every_command_with_hints_and_minimal_scopes() -> None:
    registry = build_registry()
    manifest = build_manifest(registry, "https://bot.example.org/")
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    for spec in registry.commands.values():
        for key in (spec.name, *spec.aliases):
            if key not in RESERVED:
                entry = commands[f"/{key}"]
                assert entry["url"] == "https://bot.example.org/slack/events"
                assert entry["description"]
                assert entry["should_escape"] is True
    assert commands["/find-expert"]["usage_hint"].startswith("QUERY")
    assert "/me" not in commands  # Slack's own
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "commands",
        "chat:write",
        "im:write",
        "mpim:write",
        "files:write",
        "users:read",
        "channels:read",
        "groups:read",
    }
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True


def test_cli_prints_the_manifest_with_the_url(capsys: pytest.CaptureFixture[str]) -> None:
    from cop_bot.cli import main

    assert main(["slack", "manifest", "--url", "https://bot.example.org"]) == 0
    out = capsys.readouterr().out
    assert out == manifest_yaml(build_registry(), "https://bot.example.org")
    assert main(["slack", "manifest", "--url", "https://chat.example.net/cop"]) == 0
    assert "url: https://chat.example.net/cop/slack/events" in capsys.readouterr().out


def test_socket_mode_manifest_has_no_request_urls(capsys: pytest.CaptureFixture[str]) -> None:
    from cop_bot.cli import main

    assert main(["slack", "manifest", "--socket-mode"]) == 0
    manifest = yaml.safe_load(capsys.readouterr().out)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in manifest["settings"]["event_subscriptions"]
    assert "request_url" not in manifest["settings"]["interactivity"]
    assert "redirect_urls" not in manifest["oauth_config"]
    assert all("url" not in c for c in manifest["features"]["slash_commands"])
    assert manifest["features"]["slash_commands"] == [
        {k: v for k, v in c.items() if k != "url"}
        for c in build_manifest(build_registry(), EXAMPLE_URL)["features"]["slash_commands"]
    ]


# ---- the real process ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.parametrize("engine_processes", ["0", "1"])
async def test_cop_bot_run_serves_slack_over_http(
    stand_in: StandIn, tmp_path: Path, engine_processes: str
) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "COP_BOT_DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "COP_BOT_HTTP_PORT": str(port),
        "COP_BOT_LOG_FILE": str(tmp_path / "bot.log"),
        "COP_BOT_STATE_DIR": str(tmp_path / "state"),
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": stand_in.api_url,
        "COP_BOT_ENGINE_PROCESSES": engine_processes,
    }
    env.pop("SLACK_APP_TOKEN", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "cop_bot", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as http:
            await wait_until_healthy(http, url, proc)
            slack = Slack(url, None, stand_in, http)  # type: ignore[arg-type]
            status, _, elapsed = await slack.command("/help")
            assert status == 200
            assert elapsed < ACK_LIMIT
            [answer] = await stand_in.wait_for(ANSWER, timeout=10)
            assert "/find-expert" in texts(answer.args["blocks"])
        assert stand_in.of("auth.test")
    finally:
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            _, err = proc.communicate()
    assert proc.returncode == 0
    started = "starting 1 engine process..." in err.decode()
    assert started == (engine_processes == "1")


# ---- modals --------------------------------------------------------------------------------------


async def submit(
    slack: Slack, view: dict[str, Any], values: dict[str, str], user: str = "U0ANN"
) -> tuple[int, str]:
    state = {key: {"value": {"type": "plain_text_input", "value": v}} for key, v in values.items()}
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "test-network"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
        "api_app_id": "A0COPBOT",
        "trigger_id": trigger_id(),
        "view": {
            **view,
            "id": "V0TEST",
            "team_id": TEAM_ID,
            "state": {"values": state},
            "hash": "1.abc",
        },
    }
    body = urlencode({"payload": json.dumps(payload)})
    status, text, elapsed = await slack.send(body, "application/x-www-form-urlencoded")
    assert elapsed < ACK_LIMIT
    return status, text


async def open_form(slack: Slack, command: str, text: str = "") -> dict[str, Any]:
    status, _, elapsed = await slack.command(command, text)
    assert status == 200 and elapsed < ACK_LIMIT
    [opened] = await slack.stand_in.wait_for("views.open")
    assert opened.args["trigger_id"]
    view = opened.args["view"]
    return json.loads(view) if isinstance(view, str) else dict(view)


def count(slack: Slack, table: str) -> int:
    from sqlalchemy import text

    with slack.bot.app.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


async def test_share_practice_without_arguments_opens_a_form(slack: Slack) -> None:
    view = await open_form(slack, "/share-practice")
    assert view["type"] == "modal"
    assert [b["block_id"] for b in view["blocks"]][:3] == ["title", "summary", "domains"]
    assert json.loads(view["private_metadata"]) == {"team": TEAM_ID, "channel": "C0GENERAL"}
    assert slack.stand_in.of(ANSWER) == []

    status, body = await submit(slack, view, {"title": "Job fairs", "domains": "housing"})
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors"
    assert "summary" in answer["errors"]
    assert count(slack, "practice") == 0  # nothing stored until the form is valid

    values = {
        "title": "Job fairs; with employers",
        "summary": "Monthly fairs where newcomers meet employers.\nRun with the city.",
        "domains": "labour market",
        "country": "IT",
    }
    status, body = await submit(slack, view, values)
    assert (status, body) == (200, "")  # closes the modal
    await slack.stand_in.wait_for("chat.postEphemeral")
    assert count(slack, "practice") == 1


async def test_profile_set_form_shows_problems_on_the_field(slack: Slack) -> None:
    view = await open_form(slack, "/profile", "set")
    status, body = await submit(slack, view, {"country": "Narnia"})
    answer = json.loads(body)
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == ["country"]
    status, body = await submit(slack, view, {"country": "IT", "city": "Turin"})
    assert (status, body) == (200, "")
    [sent] = await slack.stand_in.wait_for("chat.postEphemeral")
    assert sent.args["user"] == "U0ANN"
    from sqlalchemy import text

    with slack.bot.app.engine.connect() as conn:
        row = conn.execute(text("SELECT country, city FROM member WHERE handle='u0ann'")).one()
    assert tuple(row) == ("IT", "Turin")


async def test_commands_with_arguments_do_not_open_forms(slack: Slack) -> None:
    await slack.command("/profile")
    await slack.stand_in.wait_for(ANSWER)
    assert slack.stand_in.of("views.open") == []


async def test_schedule_session_form(slack: Slack) -> None:
    view = await open_form(slack, "/schedule-session")
    assert [b["block_id"] for b in view["blocks"]][:2] == ["title", "when"]
    # a member without the facilitator role is told so, not shown a field error
    status, body = await submit(slack, view, {"title": "Clinic", "when": "tomorrow 15:00"})
    assert (status, body) == (200, "")
    [refused] = await slack.stand_in.wait_for("chat.postEphemeral")
    assert "facilitators" in refused.args["text"]
    admin = "U0ROOT"  # COP_BOT_ADMINS=u0root in these tests
    values = {"title": 'The "housing" clinic', "when": "someday", "tz": "Mars/Base"}
    status, body = await submit(slack, view, values, user=admin)
    assert json.loads(body)["response_action"] == "errors"
    assert count(slack, "cop_session") == 0
    values = {"title": "Clinic", "when": "tomorrow 15:00", "duration": "1h", "capacity": "12"}
    status, body = await submit(slack, view, values, user=admin)
    assert (status, body) == (200, "")
    [posted] = await slack.stand_in.wait_for("chat.postMessage")  # an announcement
    assert posted.args["channel"] == "C0GENERAL"
    assert count(slack, "cop_session") == 1


async def test_the_answer_button_opens_a_form_that_records_the_answer(slack: Slack) -> None:
    status, _, _ = await slack.command("/ask", "housing: where can families stay?")
    assert status == 200
    await slack.stand_in.wait_for(ANSWER)
    assert await slack.click("/answer 1", user="U0BOB") == 200
    [opened] = await slack.stand_in.wait_for("views.open")
    raw = opened.args["view"]
    view = json.loads(raw) if isinstance(raw, str) else dict(raw)
    assert [b["block_id"] for b in view["blocks"]] == ["question", "text"]
    assert view["blocks"][0]["element"]["initial_value"] == "1"
    status, body = await submit(slack, view, {"question": "1", "text": "  "}, user="U0BOB")
    answer = json.loads(body)
    assert answer["response_action"] == "errors" and list(answer["errors"]) == ["text"]
    assert count(slack, "answer") == 0  # nothing stored until the form is valid
    status, body = await submit(slack, view, {"question": "1", "text": "Ask <!channel> the parish"})
    assert (status, body) == (200, "")
    assert count(slack, "answer") == 1
    # the typed twin does the same
    status, _, _ = await slack.command("/answer", "1 Or the town hall")
    assert status == 200
    deadline = time.monotonic() + 5
    while count(slack, "answer") < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert count(slack, "answer") == 2
