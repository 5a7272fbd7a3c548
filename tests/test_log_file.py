"""A log file that cannot be opened: said once on stderr, and the bot goes on without it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cop_bot.config import ENV_NAMES


def test_a_log_file_that_cannot_be_opened_is_said_once_and_the_command_still_runs(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()  # a folder cannot be opened as a file, whoever the user is
    clean = {k: v for k, v in os.environ.items() if k not in ENV_NAMES.values()}
    env = {
        **clean,
        "COP_BOT_LOG_FILE": str(folder),
        "COP_BOT_DATABASE_URL": f"sqlite:///{tmp_path}/bot.db",
    }
    result = subprocess.run(
        [sys.executable, "-m", "cop_bot", "query", "--user", "amina", "/domains"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Labour market" in result.stdout
    assert result.stderr.splitlines() == [
        f"cop-bot: WARNING cannot open the log file {folder} (Is a directory); going on with "
        "short messages on stderr only. Set COP_BOT_LOG_FILE to a file the bot may write."
    ]
