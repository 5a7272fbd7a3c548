"""The Matrix adapter without a homeserver: translation, state, roles, settings, and rate limits
against a fake homeserver that answers 429."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from cop_bot.app import build_app
from cop_bot.config import load_settings
from cop_bot.core.args import CommandLine
from cop_bot.core.errors import ConfigError
from cop_bot.core.model import Mention, Role, Text, reply
from cop_bot.core.router import Router
from cop_bot.platforms.matrix import wire
from cop_bot.platforms.matrix.bot import MAX_LIMIT_EXCEEDED, SEND_ATTEMPTS, MatrixBot
from cop_bot.platforms.matrix.state import State
from cop_bot.storage import repos
from cop_bot.storage.db import session_scope

BOT = "@cop-bot:example.org"
NAMES = [BOT, "cop-bot", "Community bot"]


@pytest.mark.parametrize(
    ("body", "direct", "expected"),
    [
        ("!find-expert housing", False, CommandLine("find-expert", "housing")),
        ("/find-expert housing", False, CommandLine("find-expert", "housing")),
        ("find-expert housing", False, None),
        ("find-expert housing", True, CommandLine("find-expert", "housing")),
        ("@cop-bot:example.org: help", False, CommandLine("help", "")),
        ("Community bot: !domains health", False, CommandLine("domains", "health")),
        ("cop-bot, help", False, CommandLine("help", "")),
        ("cop-bots are great", False, None),
        ("hello there, how are you?", False, None),
        ("!", False, None),
    ],
)
def test_messages_that_are_commands(body: str, direct: bool, expected: CommandLine | None) -> None:
    assert wire.parse_message(body, prefix="!", bot_names=NAMES, is_direct=direct) == expected


def test_a_configured_prefix_replaces_the_bang() -> None:
    assert wire.parse_message("?help", prefix="?", bot_names=NAMES, is_direct=False) == (
        CommandLine("help", "")
    )
    assert wire.parse_message("!help", prefix="?", bot_names=NAMES, is_direct=False) is None


def test_handles_are_stable_and_safe() -> None:
    assert wire.handle_for("@Amina:example.org", "example.org") == "amina"
    assert wire.handle_for("@amina:other.org", "example.org") == "amina:other.org"
    assert wire.handle_for("@a=b/c+d:example.org", "example.org") == "a-b-c-d"
    assert wire.user_id_for(Mention("amina"), "example.org") == "@amina:example.org"
    assert wire.user_id_for(Mention("amina:other.org"), "example.org") == "@amina:other.org"
    assert wire.user_id_for(Mention("x", None, "@x:hs.org"), "example.org") == "@x:hs.org"


def test_inviters_match_glob_patterns_and_default_to_the_home_server() -> None:
    assert wire.inviter_allowed("@amina:example.org", (), "example.org")
    assert not wire.inviter_allowed("@eve:evil.org", (), "example.org")
    patterns = ("@*:partner.org", "@amina:example.org")
    assert wire.inviter_allowed("@zoe:partner.org", patterns, "example.org")
    assert not wire.inviter_allowed("@zoe:example.org", patterns, "example.org")
    assert not wire.inviter_allowed("@zoe:partner.org.evil.org", patterns, "example.org")


def test_power_levels_make_facilitators_in_group_rooms_only() -> None:
    def roles(level: int, direct: bool) -> frozenset[Role]:
        inv = wire.to_invocation(
            CommandLine("help", ""),
            sender=wire.Sender("@amina:example.org", "Amina", level),
            room_id="!r:example.org",
            home_server="example.org",
            is_direct=direct,
            thread_id=None,
            facilitator_level=50,
            raw="!help",
        )
        return inv.actor.roles

    assert roles(50, False) == {Role.FACILITATOR}
    assert roles(49, False) == frozenset()
    assert roles(100, True) == frozenset()


def test_router_adds_the_roles_a_platform_vouches_for(app: Any) -> None:
    router: Router = app.router
    inv = wire.to_invocation(
        CommandLine("role", ""),
        sender=wire.Sender("@mod:example.org", None, 50),
        room_id="!r:example.org",
        home_server="example.org",
        is_direct=False,
        thread_id=None,
        facilitator_level=50,
        raw="!role",
    )
    with session_scope(router.engine) as session:
        ctx = router._context(session, inv)
        assert ctx.has(Role.FACILITATOR) and not ctx.has(Role.CURATOR)
        assert ctx.member.id is not None
        assert Role.FACILITATOR not in repos.granted_roles(session, ctx.member.id)  # not stored


def test_reactions_map_to_commands() -> None:
    assert wire.reaction_command("✅", "session", 4) == "rsvp 4 yes"
    assert wire.reaction_command("❌", "session", 4) == "rsvp 4 no"
    assert wire.reaction_command("🤔", "session", 4) == "rsvp 4 maybe"
    assert wire.reaction_command("👍🏽", "practice", 9) == "endorse 9"
    assert wire.reaction_command("👍", "practice", 9, removed=True) == "endorse 9 undo"
    assert wire.reaction_command("✅", "session", 4, removed=True) == "rsvp 4 withdraw yes"
    assert wire.reaction_command("❌️", "session", 4, removed=True) == "rsvp 4 withdraw no"
    assert wire.reaction_command("🤔", "session", 4, removed=True) == "rsvp 4 withdraw maybe"
    assert wire.reaction_command("🎉", "session", 4, removed=True) is None
    assert wire.reaction_command("👍", "session", 4) is None
    assert wire.reaction_command("🎉", "practice", 9) is None
    assert wire.announced_entity({"session": {"id": 4}}) == ("session", 4)
    assert wire.announced_entity({"practice": {"id": 9, "title": "x"}}) == ("practice", 9)
    assert wire.announced_entity({"practices": [{"id": 9}]}) is None
    assert wire.announced_entity({"session": {"id": True}}) is None


def test_replies_are_linked_and_threaded() -> None:
    plain = wire.reply_content(reply(Text.of("hi")), prefix="!", in_reply_to="$cmd")
    assert plain["m.relates_to"] == {"m.in_reply_to": {"event_id": "$cmd"}}
    assert plain["msgtype"] == "m.notice" and plain["m.mentions"] == {}
    threaded = wire.reply_content(
        reply(Text.of("hi")), prefix="!", in_reply_to="$c", thread_id="$t"
    )
    assert threaded["m.relates_to"]["rel_type"] == "m.thread"
    assert threaded["m.relates_to"]["event_id"] == "$t"
    assert threaded["m.relates_to"]["m.in_reply_to"] == {"event_id": "$c"}


def test_reply_fallbacks_are_not_part_of_the_command() -> None:
    body = "> <@amina:example.org> earlier words\n> more\n\n!help"
    assert wire.strip_reply_fallback(body) == "!help"
    assert wire.strip_reply_fallback("!help") == "!help"


def test_state_survives_a_restart_and_is_private(tmp_path: Path) -> None:
    state = State.load(tmp_path, BOT)
    state.device_id, state.next_batch = "DEV", "s42"
    state.announcements["$e"] = ["session", 4]
    state.save()
    again = State.load(tmp_path, BOT)
    assert (again.device_id, again.next_batch, again.announcements) == (
        "DEV",
        "s42",
        {"$e": ["session", 4]},
    )
    assert (tmp_path / "matrix-state.json").stat().st_mode & 0o077 == 0
    assert State.load(tmp_path, "@other:example.org").device_id is None
    (tmp_path / "matrix-state.json").write_text("{broken")
    assert State.load(tmp_path, BOT).next_batch is None


def test_matrix_settings_are_validated() -> None:
    env = {
        "MATRIX_ALLOWED_INVITERS": "@*:example.org, @amina:partner.org",
        "MATRIX_PRIVATE_REPLIES": "yes",
        "MATRIX_FACILITATOR_POWER_LEVEL": "75",
        "MATRIX_ENCRYPTION": "false",
    }
    s = load_settings(env)
    assert s.matrix_allowed_inviters == ("@*:example.org", "@amina:partner.org")
    assert s.matrix_private_replies and not s.matrix_encryption
    assert s.matrix_facilitator_power_level == 75
    with pytest.raises(ConfigError) as err:
        load_settings(
            {
                "MATRIX_ALLOWED_INVITERS": "example.org",
                "MATRIX_PRIVATE_REPLIES": "perhaps",
                "MATRIX_FACILITATOR_POWER_LEVEL": "high",
            }
        )
    for var in (
        "MATRIX_ALLOWED_INVITERS",
        "MATRIX_PRIVATE_REPLIES",
        "MATRIX_FACILITATOR_POWER_LEVEL",
    ):
        assert var in str(err.value)


async def test_rate_limited_sends_retry_with_the_same_transaction_id(
    sqlite_url: str, tmp_path: Path
) -> None:
    """A fake homeserver answers M_LIMIT_EXCEEDED: the bot waits it out a bounded number of
    times, always with the same transaction id, so the room never gets the message twice."""
    seen: list[str] = []
    refuse = {"n": 2}

    async def send(request: web.Request) -> web.Response:
        seen.append(request.match_info["txn"])
        if refuse["n"] > 0:
            refuse["n"] -= 1
            return web.json_response(
                {"errcode": "M_LIMIT_EXCEEDED", "error": "Too many", "retry_after_ms": 5},
                status=429,
            )
        return web.json_response({"event_id": f"$ev{len(seen)}"})

    server = web.Application()
    server.router.add_put("/_matrix/client/v3/rooms/{room}/send/{type}/{txn}", send)
    runner = web.AppRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        settings = load_settings(
            {
                "COP_BOT_DATABASE_URL": sqlite_url,
                "MATRIX_HOMESERVER": f"http://127.0.0.1:{port}",
                "MATRIX_USER_ID": BOT,
                "MATRIX_ACCESS_TOKEN": "token",
            }
        )
        app = build_app(settings, migrate=False)
        bot = MatrixBot(app, state_dir=tmp_path)
        bot.client.restore_login(BOT, "DEV", "token")
        content = wire.reply_content(reply(Text.of("hello")), prefix="!")

        assert await bot.send("!room:example.org", content) == "$ev3"
        assert len(seen) == 3 and len(set(seen)) == 1

        seen.clear()
        refuse["n"] = 10_000
        bot._sleep = _no_sleep  # type: ignore[method-assign]
        assert await bot.send("!room:example.org", content) is None
        assert len(seen) == SEND_ATTEMPTS * (MAX_LIMIT_EXCEEDED + 1)  # bounded
        assert len(set(seen)) == 1
        await bot.client.close()
        app.engine.dispose()
    finally:
        await runner.cleanup()


async def _no_sleep(seconds: float) -> bool:
    await asyncio.sleep(0)
    return False
