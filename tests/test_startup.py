"""The console script's quick start-up: the cyclic garbage collector is paused while the app is
built, and back on (with the start-up heap frozen) before any command runs, so a long-running
`cop-bot run` collects what it makes while serving."""

from __future__ import annotations

import ast
import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cop_bot.cli import startup
from cop_bot.cli.common import build_app
from cop_bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def paused() -> Iterator[None]:
    startup.pause()
    try:
        yield
    finally:
        startup.resume()
        gc.unfreeze()  # the test process keeps collecting everything
        gc.enable()


def test_the_collector_is_back_on_once_the_app_is_built(paused: None, tmp_path: Path) -> None:
    assert not gc.isenabled()
    app = build_app(
        Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", state_dir=str(tmp_path))
    )
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0  # the start-up heap is left alone from now on
    app.engine.dispose()


def test_in_process_callers_never_pause_the_collector(tmp_path: Path) -> None:
    from cop_bot.cli import main

    assert gc.isenabled()
    assert main(["--db", f"sqlite:///{tmp_path / 'y.db'}", "db", "upgrade"]) == 0
    assert gc.isenabled()
    assert startup._paused is False


def test_every_cli_command_builds_the_app_through_cli_common() -> None:
    """`cli.common.build_app` turns the collector back on: a command building the app another
    way would serve with the collector off."""
    offenders = []
    for path in (ROOT / "cop_bot" / "cli").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module == "cop_bot.app"
                and path.name != "common.py"
                and "build_app" in {a.name for a in node.names}
            ):
                offenders.append(path.name)
    assert offenders == []


def test_the_console_script_and_python_m_run_a_command(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cop_bot", "query", "/help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "", "COP_BOT_STATE_DIR": str(tmp_path / "state")},
    )
    assert done.returncode == 0, done.stderr
    assert "what I can do" in done.stdout
