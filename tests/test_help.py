"""`/help` grouped by capability, one line a command; usage errors with one reason, one usage
line and one example."""

from __future__ import annotations

from cop_bot.core.model import Status
from cop_bot.handlers import CAPABILITIES, MODULES, build_registry
from tests.conftest import Bot


def test_every_command_module_is_listed_under_exactly_one_capability() -> None:
    grouped = [module for _title, modules in CAPABILITIES for module in modules]
    assert sorted(m.__name__ for m in grouped) == sorted(m.__name__ for m in MODULES)
    assert all(spec.group for spec in build_registry().commands.values())


def test_help_groups_the_commands_by_capability_one_line_each(admin_bot: Bot) -> None:
    result = admin_bot.reply("/help")
    lines = admin_bot.send("/help").splitlines()
    commands = result.data["commands"]
    headings = [title for title, _modules in CAPABILITIES]
    # the title, one heading per capability, one line per command, the pointer to /help COMMAND
    assert len(lines) == 1 + len(headings) + len(commands) + 1
    assert [line for line in lines if line in headings] == headings
    for command in commands:
        (line,) = [line for line in lines if line.startswith(f"• /{command['name']} — ")]
        assert line == f"• /{command['name']} — {command['summary']}"
    sessions = lines.index("Sessions")
    assert lines[sessions + 1].startswith("• /schedule-session — ")
    assert {c["group"] for c in commands} == set(headings)


def test_help_leaves_out_the_capabilities_a_member_cannot_use(bot: Bot) -> None:
    text = bot.send("/help")
    assert "/schedule-session" not in text
    assert "Sessions" in text  # the other session commands are everyone's


def test_a_usage_error_gives_one_reason_one_usage_and_one_example(bot: Bot) -> None:
    for line in ("/profile set", "/profile set foo", "/rsvp", "/endorse", "/practice frob"):
        result = bot.reply(line)
        assert result.status is Status.USER_ERROR, line
        text = bot.send(line)
        assert text.count("Usage: ") == 1, text
        assert text.count("Example: ") == 1, text
        assert "For example" not in text, text
    profile = bot.send("/profile set").splitlines()
    assert profile == [
        "Tell me what to change, as `key: value` pairs separated by `;` or new lines.",
        "Usage: /profile set KEY: VALUE; KEY: VALUE ...",
        "Example: /profile set domains: labour market, housing; country: IT; languages: it, en; "
        "expert: yes",
    ]


def test_the_usage_line_is_the_form_of_the_sub_command_that_was_meant(bot: Bot) -> None:
    text = bot.send("/role grant zed")
    assert text.count("Usage: ") == 1 and "Usage: /role grant HANDLE ROLE" in text
    assert "Example: /role grant @amina.haddad facilitator" in text
    rsvp = bot.send("/rsvp")  # no sub-command named: the command's first form
    assert "Usage: /rsvp ID yes|no|maybe|withdraw [date:YYYY-MM-DD]" in rsvp
