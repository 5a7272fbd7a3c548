"""Long content goes as files (issue 21, defect 14): `/session ID ics` and `/profile export` carry
an `Attachment`, which Slack gets through `files.getUploadURLExternal` and
`files.completeUploadExternal` (the stand-in answers as Slack documents), and the console and
`cop-bot query` save on disk. Before, the .ics reached Slack as one line in a code span and the
export was cut at 3,000 characters. (Matrix's `m.file` is tested against Synapse in
tests/test_matrix.py.)"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from icalendar import Calendar

from cop_bot.app import build_app
from cop_bot.cli import main
from cop_bot.config import ENV_NAMES
from cop_bot.core.clock import FixedClock
from cop_bot.core.model import Attachment, Reply, Text, reply
from cop_bot.platforms.console import ConsoleChat, save_files
from cop_bot.platforms.slack.bot import SlackBot
from cop_bot.render.slack import render_message
from tests.conftest import Bot
from tests.slack_stand_in import ANSWER, StandIn
from tests.test_slack import Slack, served, slack_settings

ADMIN = "U0ROOT"
LONG = "Neighbours meet every week to fix bikes, lamps and clothes together, for free. " * 25


@pytest.fixture
async def slack(sqlite_url: str, stand_in: StandIn, clock: FixedClock) -> AsyncIterator[Slack]:
    app = build_app(slack_settings(sqlite_url, stand_in.api_url), clock=clock, migrate=False)
    async with served(SlackBot(app), stand_in) as served_slack:
        yield served_slack
    app.engine.dispose()


def _texts(args: dict[str, object]) -> str:
    return json.dumps(args, ensure_ascii=False)


# ---- Slack -------------------------------------------------------------------------------------


async def test_a_session_ics_reaches_slack_as_a_file_in_the_members_dms(slack: Slack) -> None:
    await slack.command("/schedule-session", '"Clinic" tomorrow 15:00 for 1h', user=ADMIN, key="s")
    await slack.command("/session", "1 ics", user="U0ANN", key="ics")
    await slack.stand_in.wait_for("files.completeUploadExternal")
    (answer,) = [a for a in slack.stand_in.of(ANSWER) if a.key == "ics"]
    assert "is in your direct messages with the bot" in _texts(answer.args)
    assert "BEGIN:VCALENDAR" not in _texts(answer.args)  # no longer pasted into the message
    (prepared,) = slack.stand_in.of("files.getUploadURLExternal")
    assert prepared.args["filename"] == "session-1.ics"
    (shared,) = slack.stand_in.shared.values()
    assert shared["channel"] == "D0ANN"  # the member's direct messages with the bot
    assert shared["title"] == "Clinic.ics"
    ics = shared["content"].decode()
    assert int(prepared.args["length"]) == len(shared["content"])
    assert ics.count("\r\n") > 10  # a real file, line by line
    (event,) = Calendar.from_ical(ics).walk("VEVENT")
    assert str(event["summary"]) == "Clinic"


async def test_a_profile_export_reaches_slack_whole_as_a_json_file(slack: Slack) -> None:
    assert len(LONG) > 1900
    for title in ("Repair cafés", "Bike kitchens"):
        await slack.command(
            "/share-practice", f"{title}; summary: {LONG[:1900]}; domains: housing", key=title
        )
    await slack.stand_in.wait_for(ANSWER, 2)
    await slack.command("/profile", "export", key="export")
    await slack.stand_in.wait_for("files.completeUploadExternal")
    (shared,) = slack.stand_in.shared.values()
    assert shared["name"] == "cop-bot-export-u0ann.json"
    assert shared["channel"] == "D0ANN"
    export = json.loads(shared["content"])
    assert len(shared["content"]) > 3000  # what used to be cut at 3,000 characters
    titles = [p["title"] for p in export["practices"]["authored"]]
    assert titles == ["Repair cafés", "Bike kitchens"]
    assert export["practices"]["authored"][0]["summary"] == LONG[:1900].strip()


async def test_a_file_slack_refuses_is_reported_to_the_member(slack: Slack) -> None:
    await slack.command("/schedule-session", '"Clinic" tomorrow 15:00', user=ADMIN, key="s")
    slack.stand_in.fail["files.getUploadURLExternal"] = "file_uploads_disabled"
    await slack.command("/session", "1 ics", user="U0ANN", key="ics")
    sorry = [
        c
        for c in await slack.stand_in.wait_for("chat.postMessage")
        if "could not send you the file session-1.ics" in _texts(c.args)
    ]
    assert [c.args["channel"] for c in sorry] == ["D0ANN"]
    assert slack.stand_in.shared == {}


def test_slack_says_where_the_file_went() -> None:
    file = Attachment.of_text("a.ics", "text/calendar", "BEGIN:VCALENDAR")
    ephemeral = render_message(reply(Text.of("Here"), file))
    assert "is in your direct messages with the bot" in _texts(ephemeral)
    channel = render_message(reply(Text.of("Here"), file, visibility="channel"))
    assert "follows in this conversation" in _texts(channel)


# ---- the console and the command line ----------------------------------------------------------


def test_the_console_saves_files_and_says_where(bot: Bot, tmp_path: Path) -> None:
    assert bot.reply('/schedule-session "Clinic" tomorrow 15:00', as_="root-admin").ok
    chat = ConsoleChat(bot.app.router, handle="alice", files_dir=tmp_path / "files")
    shown = chat.send("/session 1 ics")
    saved = tmp_path / "files" / "session-1.ics"
    assert "The file session-1.ics (" in shown and f"is saved as {saved.resolve()}." in shown
    (event,) = Calendar.from_ical(saved.read_text(encoding="utf-8")).walk("VEVENT")
    assert str(event["summary"]) == "Clinic"
    assert saved.stat().st_mode & 0o077 == 0  # an export is personal data: owner only
    chat.send("/profile export")
    chat.send("/profile export")  # never over a file already there
    names = sorted(p.name for p in (tmp_path / "files").iterdir())
    assert names == ["cop-bot-export-alice (2).json", "cop-bot-export-alice.json", "session-1.ics"]
    export = json.loads((tmp_path / "files" / "cop-bot-export-alice.json").read_text())
    assert export["profile"]["handle"] == "alice"


def test_cop_bot_query_saves_the_file_and_lists_it_in_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for var in ENV_NAMES.values():
        monkeypatch.delenv(var, raising=False)
    assert main(["query", "--user", "amina", "--json", "/profile export"]) == 0
    out = json.loads(capsys.readouterr().out)
    (file,) = out["files"]
    path = Path(file["path"])
    assert (file["filename"], file["mime"]) == ("cop-bot-export-amina.json", "application/json")
    assert path == (tmp_path / ".cop-bot" / "files" / "cop-bot-export-amina.json").resolve()
    assert json.loads(path.read_text()) == out["data"]["export"]
    assert f"is saved as {path}." in out["text"]


@given(st.text(max_size=60))
def test_any_file_name_is_saved_inside_the_folder(name: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        result: Reply = reply(Attachment(name, "text/plain", b"x"))
        (path,) = save_files(result, Path(folder)).values()
        assert path.parent == Path(folder).resolve()
        assert path.read_bytes() == b"x"
