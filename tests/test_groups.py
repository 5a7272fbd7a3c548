"""Groups (issue 18): `/group create`, `/groups`, `/group SLUG`, join and leave, closed groups
with their focal points, cohort alumni, the group scope of `/find-expert` and `/practices`,
`/role`, privacy export and erasure, and bad input that writes nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from cop_bot.storage.models import CopGroup, GroupMember
from tests.conftest import Bot


def data(bot: Bot, line: str, as_: str = "root-admin", channel: str | None = None) -> Any:
    return bot.reply(line, as_=as_, channel=channel).data


def count(bot: Bot, model: Any) -> int:
    with Session(bot.app.engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def test_create_show_join_leave(bot: Bot) -> None:
    made = data(
        bot,
        "/group create Housing working group kind: working-group domains: housing, health channel",
        channel="C-housing",
    )["group"]
    assert made == {
        "id": made["id"],
        "slug": "housing-working-group",
        "name": "Housing working group",
        "kind": "working-group",
        "domains": ["housing", "health"],
        "starts": None,
        "ends": None,
        "channel": "C-housing",
        "closed": False,
    }
    print(bot.send("/groups"))
    print(bot.send("/group join housing-working-group", as_="bob"))
    print(bot.send("/group housing-working-group", as_="bob"))
    print(bot.send("/group join housing-working-group", as_="bob"))
    print(bot.send("/group nope", as_="bob"))
