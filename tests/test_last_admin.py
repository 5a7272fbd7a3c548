"""The last admin cannot vanish: neither `/role revoke` nor `/profile delete` leaves a community
without an admin (issue 17, item 4)."""

from __future__ import annotations

from sqlmodel import select

from cop_bot.core.model import Status
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import Member
from tests.conftest import Bot


def _handles(bot: Bot) -> set[str]:
    with session_scope(bot.app.engine) as session:
        return {m.handle for m in session.exec(select(Member)).all()}


def test_last_admin_cannot_erase_their_data_before_handing_over(bot: Bot) -> None:
    bot.send("/role grant dana admin confirm", as_="root-admin")
    refused = bot.reply("/profile delete confirm", as_="dana")
    assert refused.status is Status.USER_ERROR
    text = bot.send("/profile delete confirm", as_="dana")
    assert "You are the last admin of this community" in text
    assert "/role grant HANDLE admin" in text
    assert "cop-bot roles grant HANDLE admin" in text  # the deployer's way back in
    assert "dana" in _handles(bot)
    assert bot.reply("/role").data["admins"] == ["dana", "root-admin"]


def test_last_admin_is_told_before_the_confirmation_button(bot: Bot) -> None:
    bot.send("/role grant dana admin confirm", as_="root-admin")
    prompt = bot.reply("/profile delete", as_="dana")
    assert prompt.status is Status.USER_ERROR
    assert "confirm" not in prompt.data


def test_admin_can_erase_their_data_once_someone_else_is_admin(bot: Bot) -> None:
    bot.send("/role grant dana admin confirm", as_="root-admin")
    assert bot.reply("/role grant eve admin confirm", as_="dana").ok
    assert bot.reply("/profile delete confirm", as_="dana").ok
    assert "dana" not in _handles(bot)
    assert bot.reply("/role").data["admins"] == ["eve", "root-admin"]


def test_admins_from_the_settings_and_other_members_erase_freely(bot: Bot) -> None:
    bot.send("/role grant dana admin confirm", as_="root-admin")
    bot.send("/profile", as_="zoe")
    assert bot.reply("/profile delete confirm", as_="zoe").ok
    assert bot.reply("/profile delete confirm", as_="root-admin").ok  # COP_BOT_ADMINS keeps it
