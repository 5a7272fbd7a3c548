"""`/insights chart`: a PNG that Slack gets through its two-step upload and the console saves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cop_bot.app import build_app
from cop_bot.core.clock import FixedClock
from cop_bot.platforms.slack.bot import SlackBot
from tests.conftest import Bot
from tests.slack_stand_in import StandIn
from tests.test_slack import Slack, served, slack_settings

PNG = b"\x89PNG\r\n\x1a\n"
ADMIN = "U0ROOT"


@pytest.fixture
async def slack(sqlite_url: str, stand_in: StandIn, clock: FixedClock) -> AsyncIterator[Slack]:
    app = build_app(slack_settings(sqlite_url, stand_in.api_url), clock=clock, migrate=False)
    async with served(SlackBot(app), stand_in) as served_slack:
        yield served_slack
    app.engine.dispose()


def test_the_chart_is_a_png_attachment(bot: Bot) -> None:
    bot.send("/profile set domains: housing; expert: yes", as_="h0")
    bot.send("/ask housing: Where can families stay?", as_="asker")
    result = bot.reply("/insights chart period:90d", as_="root-admin")
    (chart,) = result.attachments
    assert chart.mime == "image/png" and chart.content.startswith(PNG)
    assert chart.filename.endswith(".png")
    plain = bot.reply("/insights", as_="root-admin")
    assert not plain.attachments


def test_the_console_saves_the_chart(
    bot: Bot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    text = bot.send("/insights chart", as_="root-admin")
    assert ".png" in text


async def test_the_chart_reaches_slack_through_the_two_step_upload(slack: Slack) -> None:
    await slack.command("/insights", "chart", user=ADMIN, key="chart")
    await slack.stand_in.wait_for("files.completeUploadExternal")
    (prepared,) = slack.stand_in.of("files.getUploadURLExternal")
    assert prepared.args["filename"].endswith(".png")
    (shared,) = slack.stand_in.shared.values()
    assert shared["content"].startswith(PNG)
    assert int(prepared.args["length"]) == len(shared["content"])
