"""`cop-bot` as a newcomer runs it: a fresh interpreter, no COP_BOT_* settings from the test
environment, output captured, so a test sees exactly the lines a person would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cop_bot.config import ENV_NAMES


def run_cli(
    *argv: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ENV_NAMES.values()}
    return subprocess.run(
        [sys.executable, "-m", "cop_bot", *argv],
        cwd=cwd,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
