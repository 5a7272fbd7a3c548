"""What `cop-bot` writes where: warnings and errors on stderr (where the console's prompt is),
everything else in the log file; and the demo saying what it does not do."""

from __future__ import annotations

import io
import logging
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cop_bot.cli import main
from cop_bot.config import ENV_NAMES
from cop_bot.core.clock import FixedClock
from cop_bot.core.scheduler import Job, Scheduler


@pytest.fixture
def console_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, pytest.MonkeyPatch]]:
    """`cop-bot run` on the console in a clean folder, with the logging it set up restored
    afterwards (it replaces the root logger's handlers)."""
    monkeypatch.chdir(tmp_path)
    for var in ENV_NAMES.values():
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO(":quit\n"))
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in ("apscheduler", "cop_bot")}
    try:
        yield tmp_path / ".cop-bot" / "cop-bot.log", monkeypatch
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _run_one_job() -> None:
    """A real scheduler runs one job once: APScheduler logs "Running job" and "Job ...
    executed successfully" at INFO, as it does four times a minute in a running bot."""
    ran = threading.Event()
    job = Job(name="probe", run=lambda _now: ran.set(), interval=timedelta(hours=1))
    scheduler = Scheduler(FixedClock(datetime(2027, 1, 11, 9, 0, tzinfo=UTC)), [job])
    scheduler.start()
    try:
        assert ran.wait(60)
    finally:
        scheduler.shutdown(wait=True)  # the executor logs its INFO line before this returns


def test_run_on_the_console_keeps_info_lines_off_stderr_and_in_the_log_file(
    console_run: tuple[Path, pytest.MonkeyPatch], capsys: pytest.CaptureFixture[str]
) -> None:
    log_file, _ = console_run
    assert main(["run"]) == 0
    capsys.readouterr()
    _run_one_job()
    logging.getLogger("cop_bot.sessions.reminders").info("sent 2 reminders")
    logging.getLogger("cop_bot.sessions.reminders").warning("a reminder could not be sent")
    err = capsys.readouterr().err
    assert "executed successfully" not in err and "sent 2 reminders" not in err
    assert err == "cop-bot: WARNING a reminder could not be sent\n"
    written = log_file.read_text(encoding="utf-8")
    assert "INFO cop_bot.sessions.reminders: sent 2 reminders" in written
    assert "a reminder could not be sent" in written
    # APScheduler's routine lines would be 11,000 a day in the file: only with DEBUG
    assert "executed successfully" not in written


def test_the_scheduler_s_routine_lines_reach_the_log_file_at_debug_level(
    console_run: tuple[Path, pytest.MonkeyPatch], capsys: pytest.CaptureFixture[str]
) -> None:
    log_file, monkeypatch = console_run
    monkeypatch.setenv("COP_BOT_LOG_LEVEL", "DEBUG")
    assert main(["run"]) == 0
    _run_one_job()
    assert "executed successfully" not in capsys.readouterr().err
    assert 'Job "Scheduler.tick' in log_file.read_text(encoding="utf-8")


def test_the_demo_says_it_sends_no_reminders_or_digests(
    console_run: tuple[Path, pytest.MonkeyPatch], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--no-console", "--user", "tester"]) == 0
    out = capsys.readouterr().out
    assert "The demo sends no session reminders or digests (it starts no scheduler)." in out
    assert "`cop-bot run --db sqlite:///cop_bot_demo.db`" in out
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    assert "starts no scheduler" in " ".join(capsys.readouterr().out.split())
