"""COP_BOT_SLASH_PREFIX: every command as `/PREFIXname` (`/cop-help`), so that a large Slack
workspace's other apps keep their `/help` and `/profile`. The manifest, help, examples, usage
errors and hints follow it; every platform accepts the prefixed names (and the bare ones)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cop_bot.app import App, build_app
from cop_bot.config import Settings, load_settings
from cop_bot.core.args import parse_command_line
from cop_bot.core.clock import FixedClock
from cop_bot.core.errors import ConfigError
from cop_bot.core.model import (
    Actions,
    Actor,
    Button,
    Code,
    Context,
    Conversation,
    Outgoing,
    Reply,
    Status,
    Text,
    reply,
)
from cop_bot.core.outbox import RecordingOutbox
from cop_bot.core.slash import MAX_PREFIX, Slash, SlashOutbox, parse_prefix
from cop_bot.handlers import build_registry
from cop_bot.platforms.console import ConsoleChat
from cop_bot.platforms.matrix import wire
from cop_bot.platforms.slack.bot import SlackBot
from cop_bot.platforms.slack.manifest import build_manifest
from cop_bot.render.matrix import render as render_matrix
from cop_bot.render.text import render as render_text
from tests.conftest import Bot
from tests.slack_stand_in import StandIn
from tests.test_slack import Slack, served, slack_settings, texts

PREFIX = "cop-"
SLACK_MAX_COMMAND = 32  # characters, the leading slash included
NAMES = sorted(build_registry().slash.names)


# ---- the setting -------------------------------------------------------------------------------


def test_the_setting_is_read_lowercased_and_defaults_to_no_prefix() -> None:
    assert load_settings({}).slash_prefix == ""
    assert load_settings({"COP_BOT_SLASH_PREFIX": " Cop- "}).slash_prefix == "cop-"


def test_config_check_shows_the_prefix_or_that_there_is_none() -> None:
    assert load_settings({}).masked()["COP_BOT_SLASH_PREFIX"] == "(not set)"
    assert (
        load_settings({"COP_BOT_SLASH_PREFIX": "cop-"}).masked()["COP_BOT_SLASH_PREFIX"] == "cop-"
    )


@pytest.mark.parametrize("raw", ["/cop-", "cop_", "-cop", "9cop", "cop bot", "a" * 16, "cöp-"])
def test_a_prefix_that_cannot_be_part_of_a_command_name_is_refused_with_the_rule(
    raw: str,
) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({"COP_BOT_SLASH_PREFIX": raw})
    message = str(refused.value)
    assert message.count("\n") == 0  # one problem, one line
    assert message.startswith("COP_BOT_SLASH_PREFIX must be lowercase letters, digits and hyphens")
    assert "such as cop-" in message and repr(raw) in message


@given(st.text(max_size=30))
def test_parse_prefix_accepts_only_what_every_platform_can_parse(raw: str) -> None:
    try:
        prefix = parse_prefix(raw)
    except ValueError as exc:
        assert "COP_BOT_SLASH_PREFIX" in str(exc)
        return
    assert prefix == raw.strip().lower()
    assert len(prefix) <= MAX_PREFIX
    for name in NAMES:  # Slack's limit, and the console's and Matrix's command parser
        typed = Slash(prefix, frozenset(NAMES)).command(name)
        assert len(typed) <= SLACK_MAX_COMMAND
        parsed = parse_command_line(f"{typed} rest")
        assert parsed is not None and parsed.name == typed[1:] and parsed.rest == "rest"


@given(st.from_regex(r"[a-z][a-z0-9-]{0,14}", fullmatch=True))
def test_every_valid_prefix_is_accepted(prefix: str) -> None:
    assert parse_prefix(prefix) == prefix


# ---- rewriting what handlers write -------------------------------------------------------------

SLASH = Slash(PREFIX, frozenset(NAMES))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Type /help to see every command.", "Type /cop-help to see every command."),
        ("`/profile set expert: no`", "`/cop-profile set expert: no`"),
        ("(see /sessions all)", "(see /cop-sessions all)"),
        ("/rsvp 3 yes", "/cop-rsvp 3 yes"),
        ("Type /cop in any channel.", "Type /cop in any channel."),  # the prefix's own stem
        (
            "https://example.org/help and /calendar/abc.ics",
            "https://example.org/help and /calendar/abc.ics",
        ),
        ("/help-me /helpful /foo a/help", "/help-me /helpful /foo a/help"),
        ("/cop-help is already typed", "/cop-help is already typed"),
    ],
)
def test_command_names_in_text_get_the_prefix_and_nothing_else_does(
    text: str, expected: str
) -> None:
    assert SLASH.text(text) == expected


@given(
    st.lists(st.sampled_from(["/", " ", "-", ".", "`", "a", "cop-", *NAMES]), max_size=20).map(
        "".join
    )
)
def test_rewriting_is_idempotent_and_only_ever_adds_the_prefix(text: str) -> None:
    once = SLASH.text(text)
    assert SLASH.text(once) == once
    assert once.replace("/" + PREFIX, "/") == text.replace("/" + PREFIX, "/")


def test_without_a_prefix_replies_are_left_as_they_are() -> None:
    original = reply(Text.of("Type ", Code("/help"), "."))
    assert Slash("", frozenset(NAMES)).reply(original) is original


def test_scheduled_messages_get_the_prefix_too() -> None:
    """Reminders and digests carry buttons and hints (`/rsvp 4 no`) and go through the outbox."""
    recorded = RecordingOutbox()
    message = Outgoing(
        Conversation("console", "local", "c"),
        reply(Context(("x", Code("/rsvp 4 no"))), Actions((Button("No", "/rsvp 4 no"),))),
    )
    SlashOutbox(recorded, SLASH).post(message)
    posted = recorded.posted[0].reply
    assert posted.blocks[0] == Context(("x", Code("/cop-rsvp 4 no")))
    assert posted.blocks[1] == Actions((Button("No", "/cop-rsvp 4 no"),))


# ---- the console ---------------------------------------------------------------------------------


@pytest.fixture
def prefixed(settings: Settings, clock: FixedClock) -> Iterator[Bot]:
    app = build_app(replace(settings, slash_prefix=PREFIX), clock=clock, migrate=False)
    yield Bot(app=app, chat=ConsoleChat(app.router, handle="alice"))
    app.engine.dispose()


def test_help_lists_the_prefixed_names_and_answers_to_them(prefixed: Bot) -> None:
    text = prefixed.send("/cop-help")
    assert "• /cop-find-expert — " in text and "• /find-expert" not in text
    assert "Type /cop-help COMMAND for the full syntax of one command." in text
    assert prefixed.send("/help") == text  # the bare names still work
    data = prefixed.reply("/cop-help").data["commands"]
    assert {"name": "domains", "typed": "/cop-domains"}.items() <= data[1].items()
    one = prefixed.send("/cop-help cop-rsvp")
    assert "Usage: /cop-rsvp ID yes|no|maybe|withdraw [date:YYYY-MM-DD]" in one
    assert "Example: /cop-rsvp 1 yes" in one and "/rsvp" not in one
    assert "Also: /cop, /cop-commands" in prefixed.send("/cop-help help")


def test_usage_errors_hints_and_buttons_follow_the_prefix(prefixed: Bot) -> None:
    error = prefixed.reply("/cop-profile set")
    assert error.status is Status.USER_ERROR
    text = prefixed.send("/cop-profile set")
    assert "Usage: /cop-profile set KEY: VALUE; KEY: VALUE ..." in text
    assert "Example: /cop-profile set domains:" in text
    assert error.data["error"]["usage"].startswith("/cop-profile set")
    profile = prefixed.reply("/cop-profile")
    buttons = [b for block in profile.blocks if isinstance(block, Actions) for b in block.buttons]
    assert buttons and all(b.command.startswith("/cop-profile") for b in buttons)
    assert "/cop-profile set" in prefixed.send("/cop-profile")


def test_a_mistyped_prefixed_name_gets_a_prefixed_suggestion(prefixed: Bot) -> None:
    assert prefixed.send("/cop-domian").startswith(
        "I don't know the command /cop-domian. Did you mean /cop-domains?"
    )
    assert "Did you mean /cop-domains?" in prefixed.send("/cop-help domian")
    assert "Type /cop-help to see what I can do." in prefixed.send("42 is the answer")


# ---- the Slack manifest and the Slack app --------------------------------------------------------


def test_the_manifest_registers_every_command_with_the_prefix() -> None:
    registry = build_registry(PREFIX)
    commands = build_manifest(registry, "https://bot.example.org")["features"]["slash_commands"]
    names = [c["command"] for c in commands]
    assert "/cop-help" in names and "/cop-find-expert" in names and "/cop-me" in names
    assert all(n.startswith("/cop-") or n == "/cop" for n in names), names
    assert all(len(n) <= SLACK_MAX_COMMAND for n in names)
    assert (
        len(names) == len(build_manifest(build_registry(), None)["features"]["slash_commands"]) + 1
    )
    same = next(c for c in commands if c["command"] == "/cop-commands")
    assert same["description"].startswith("Same as /cop-help: ")


def test_cop_bot_slack_manifest_follows_the_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cop_bot.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COP_BOT_SLASH_PREFIX", PREFIX)
    assert main(["slack", "manifest"]) == 0
    listed = re.findall(r"command: (\S+)", capsys.readouterr().out)
    assert "/cop-settings" in listed and "/settings" not in listed


@pytest.fixture
async def prefixed_slack(
    sqlite_url: str, stand_in: StandIn, clock: FixedClock
) -> AsyncIterator[Slack]:
    settings = replace(slack_settings(sqlite_url, stand_in.api_url), slash_prefix=PREFIX)
    app: App = build_app(settings, clock=clock, migrate=False)
    async with served(SlackBot(app), stand_in) as slack:
        yield slack
    app.engine.dispose()


@pytest.mark.slack
async def test_slack_answers_the_prefixed_command_and_its_buttons(prefixed_slack: Slack) -> None:
    status, body, _ = await prefixed_slack.command("/cop-help")
    assert status == 200 and body
    shown = texts(json.loads(body)["blocks"])
    assert "/cop-find-expert" in shown and "`/find-expert`" not in shown
    status, body, _ = await prefixed_slack.command("/cop-find-expert", "housing")
    assert status == 200 and "housing" in body.lower()
    assert await prefixed_slack.click("/cop-sessions all") == 200


@pytest.mark.slack
async def test_the_app_home_and_the_welcome_follow_the_prefix(prefixed_slack: Slack) -> None:
    event = {"type": "app_home_opened", "user": "U0ANN", "channel": "D0ANN", "tab": "home"}
    assert await prefixed_slack.event(event, event_id="Ev0HOMEP") == 200
    [published] = await prefixed_slack.stand_in.wait_for("views.publish")
    view = published.args["view"]
    blocks = (json.loads(view) if isinstance(view, str) else view)["blocks"]
    assert "/cop-profile set" in texts(blocks) and "`/profile set" not in texts(blocks)
    assert "Type /cop in any channel" in texts(blocks[-1:])
    welcome = render_text(prefixed_slack.bot.welcome(Actor(handle="u0new")))
    assert "/cop-profile set" in welcome and "/profile set" not in welcome


def test_reminders_show_the_prefixed_commands(prefixed: Bot) -> None:
    from cop_bot.capabilities import capability_jobs

    assert prefixed.reply(
        '/cop-schedule-session "Labour market CoP" 2027-01-12 15:00 tz Europe/Rome',
        as_="root-admin",
    ).ok
    assert prefixed.reply("/cop-rsvp 1 yes", as_="nyc").ok
    outbox = RecordingOutbox()
    day_before = datetime(2027, 1, 11, 14, 0, tzinfo=UTC)  # 24 hours before 15:00 in Rome
    for job in capability_jobs(prefixed.app, outbox):
        job.run(day_before)
    [reminder] = outbox.directs
    text = render_text(reminder.reply)
    assert "/cop-rsvp 1 no" in text and " /rsvp" not in text


# ---- Matrix ------------------------------------------------------------------------------------


def test_matrix_takes_the_prefixed_names_and_shows_them_with_its_own_bang(prefixed: Bot) -> None:
    command = wire.parse_message(
        "!cop-find-expert housing", prefix="!", bot_names=(), is_direct=False
    )
    assert command is not None and command.name == "cop-find-expert"
    result = prefixed.reply(f"/{command.name} {command.rest}")
    assert result.status is Status.OK
    profile: Reply = prefixed.reply("/cop-profile")
    body = render_matrix(profile, prefix="!")["body"]
    assert "!cop-profile set" in body
