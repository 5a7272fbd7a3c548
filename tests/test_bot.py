"""The whole stack through the console platform, as a member would use it."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cop_bot.core.model import Status
from cop_bot.platforms.console import ConsoleChat
from tests.conftest import Bot


def test_help_lists_the_commands_and_points_to_the_full_syntax(bot: Bot) -> None:
    text = bot.send("/help")
    for name in ("/help", "/domains", "/role", "/settings"):
        assert name in text
    assert "Type /help COMMAND for the full syntax of one command." in text
    assert "Example:" in bot.send("/help domains")


def test_help_for_one_command_and_for_a_typo(bot: Bot) -> None:
    assert "/role grant HANDLE ROLE" in bot.send("/help role")
    assert "/role grant HANDLE ROLE" in bot.send("/help /role")
    result = bot.reply("/help domian")
    assert result.status is Status.USER_ERROR
    assert "Did you mean /domains?" in bot.send("/help domian")


def test_domains_lists_groups_with_counts(bot: Bot) -> None:
    bot.send("/role grant carla curator confirm", as_="root-admin")
    result = bot.reply("/domains")
    rows = result.data["domains"]
    assert len(rows) >= 22
    assert {"slug", "label", "group", "members", "practices"} <= set(rows[0])
    text = bot.send("/domains")
    assert "Integration services" in text and "Labour market (labour-market)" in text


def test_domains_labels_follow_the_community_language(bot: Bot) -> None:
    assert bot.reply("/settings language: fr", as_="root-admin").ok
    rows = {r["slug"]: r["label"] for r in bot.reply("/domains").data["domains"]}
    assert rows["labour-market"] == "Marché du travail"


def test_domains_match_explains_itself(bot: Bot) -> None:
    result = bot.reply("/domains labor markt")
    assert result.data["matches"][0]["slug"] == "labour-market"
    assert "sure" in bot.send("/domains labor markt")
    nothing = bot.reply("/domains qwertyuiop")
    assert nothing.status is Status.USER_ERROR
    assert "/domains" in bot.send("/domains qwertyuiop")


def test_role_grant_and_revoke_flow(bot: Bot) -> None:
    denied = bot.reply("/role grant @bob facilitator")
    assert denied.data["error"]["code"] == "permission"
    bot.send("/role", as_="bob")  # bob has used the bot
    assert bot.reply("/role grant @Bob facilitators", as_="root-admin").ok
    assert "bob" in bot.reply("/role").data["facilitators"]
    assert "was already" in bot.send("/role grant bob facilitator", as_="root-admin")
    assert "no longer" in bot.send("/role revoke bob facilitator", as_="root-admin")
    again = bot.reply("/role revoke bob facilitator", as_="root-admin")
    assert again.status is Status.USER_ERROR and "nothing to revoke" in bot.send(
        "/role revoke bob facilitator", as_="root-admin"
    )
    assert "not a role" in bot.send("/role grant bob wizard", as_="root-admin")
    assert "needs a member and a role" in bot.send("/role grant bob", as_="root-admin")


def test_last_admin_cannot_remove_themselves(bot: Bot) -> None:
    bot.send("/role grant dana admin confirm", as_="root-admin")
    result = bot.reply("/role revoke dana admin", as_="dana")
    assert result.status is Status.USER_ERROR
    assert "last admin" in bot.send("/role revoke dana admin", as_="dana")


def test_settings_validate_every_value_and_change_nothing_on_error(bot: Bot) -> None:
    assert bot.reply("/settings timezone: Europe/Brussels", as_="root-admin").ok
    bad = bot.reply("/settings timezone: Mars/Olympus; language: fr", as_="root-admin")
    assert bad.status is Status.USER_ERROR
    assert "Mars/Olympus" in bot.send("/settings timezone: Mars/Olympus", as_="root-admin")
    shown = bot.reply("/settings").data["settings"]
    assert shown["timezone"] == "Europe/Brussels" and shown["language"] == "en"
    assert bot.reply("/settings language: fr").data["error"]["code"] == "permission"
    assert "no setting" in bot.send("/settings colour: blue", as_="root-admin")


def test_user_text_cannot_reach_the_terminal_as_control_codes(bot: Bot) -> None:
    text = bot.send("/settings name: Evil\x1b[2J\x07 network", as_="root-admin")
    assert "\x1b" not in text and "\x07" not in text


def test_repl(bot: Bot) -> None:
    chat = ConsoleChat(bot.app.router, handle="alice")
    out = io.StringIO()
    chat.repl(
        iter(
            [
                "/role\n",
                ":as root-admin\n",
                "/role grant bob curator confirm\n",
                "what's new?\n",
                ":quit\n",
                "/help\n",
            ]
        ),
        out,
        prompt=False,
    )
    text = out.getvalue()
    assert "you are @alice" in text
    assert "You are now @root-admin." in text
    assert "@bob is now a curator." in text
    assert "That is not a command" in text
    assert "Test network: what I can do" not in text  # nothing after :quit


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(["help", "domains", "role", "settings", "cop", "unknown-cmd"]),
    text=st.text(max_size=120),
    who=st.sampled_from(["alice", "root-admin"]),
)
def test_arbitrary_text_never_crashes_a_command(bot: Bot, name: str, text: str, who: str) -> None:
    result = bot.reply(f"/{name} {text}", as_=who)
    assert result.status is not Status.INTERNAL_ERROR, (name, text, result)
