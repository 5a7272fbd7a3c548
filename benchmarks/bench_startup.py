"""How long does a `cop-bot` command take before it does anything?

Every call of `cop-bot` is a fresh interpreter, so what it imports is what a deployer waits for.
This runs, in the same run and interleaved (one of each per round, so the machine's swings hit
every case alike), five command lines in fresh processes and prints the median wall time of
each, then the two ratios issue 17 set as targets:

- `python -c pass`: the interpreter alone;
- `python -c 'import sqlalchemy'` and `python -c 'import sqlalchemy, sqlmodel'`: the floor
  of any command that touches the database;
- `cop-bot --help` (target: under 0.3 s);
- `cop-bot query /help` on an up-to-date SQLite file (target: at most 1.5 x
  `import sqlalchemy, sqlmodel`).

It runs in a temporary folder with its own database (made and migrated by one warm-up call that
is not counted), never your `cop_bot.db`. `--tree DIR` runs `cop-bot` from another checkout
(its `cop_bot` package first on PYTHONPATH, with this venv's libraries), to compare two
versions in one run. It prints figures only; it never fails on timings.

    .venv/bin/python benchmarks/bench_startup.py [--rounds N] [--tree DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HELP_TARGET_S = 0.3
QUERY_TARGET_RATIO = 1.5


def cop_bot() -> list[str]:
    """The `cop-bot` console script of this interpreter's venv (what a deployer types)."""
    script = Path(sys.executable).with_name("cop-bot")
    if script.exists():
        return [str(script)]
    found = shutil.which("cop-bot")
    if found is None:
        raise SystemExit("cop-bot is not installed in this venv: pip install -e .")
    return [found]


def cases() -> dict[str, list[str]]:
    python = sys.executable
    return {
        "python -c pass": [python, "-c", "pass"],
        "import sqlalchemy": [python, "-c", "import sqlalchemy"],
        "import sqlalchemy, sqlmodel": [python, "-c", "import sqlalchemy, sqlmodel"],
        "cop-bot --help": [*cop_bot(), "--help"],
        "cop-bot query /help": [*cop_bot(), "query", "/help"],
    }


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr}")
    return elapsed


def environment(folder: Path, tree: Path | None) -> dict[str, str]:
    """A clean environment: our own database and state folder, no .env from the caller, and
    bytecode caches allowed (an installed package has them; with PYTHONDONTWRITEBYTECODE every
    run would compile cop_bot's sources again)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COP_BOT_", "SLACK_", "MATRIX_")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    env["COP_BOT_DATABASE_URL"] = f"sqlite:///{folder / 'bench.db'}"
    env["COP_BOT_STATE_DIR"] = str(folder / "state")
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    return env


def measure(rounds: int, tree: Path | None) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {name: [] for name in cases()}
    with tempfile.TemporaryDirectory(prefix="cop-bot-startup-") as tmp:
        folder = Path(tmp)
        env = environment(folder, tree)
        for argv in cases().values():  # warm-up: bytecode caches, the database's migrations
            timed(argv, folder, env)
        for _ in range(rounds):
            for name, argv in cases().items():
                timings[name].append(timed(argv, folder, env))
    return timings


def report(timings: dict[str, list[float]], rounds: int, tree: Path | None) -> None:
    median = {name: statistics.median(values) for name, values in timings.items()}
    where = f"cop_bot from {tree}" if tree else f"cop_bot from {REPO}"
    print(f"Start-up, median of {rounds} runs each, interleaved ({where})")
    bare = median["python -c pass"]
    for name, value in median.items():
        spread = f"{min(timings[name]):.3f}-{max(timings[name]):.3f}"
        print(f"  {name:<30}{value:>8.3f} s   {value / bare:>6.1f}x pass   (range {spread} s)")
    helped = median["cop-bot --help"]
    ratio = median["cop-bot query /help"] / median["import sqlalchemy, sqlmodel"]
    print(
        f"  cop-bot --help: {helped:.3f} s (target under {HELP_TARGET_S} s: "
        f"{'met' if helped < HELP_TARGET_S else 'NOT met'})"
    )
    print(
        f"  cop-bot query /help: {ratio:.2f}x import sqlalchemy, sqlmodel (target at most "
        f"{QUERY_TARGET_RATIO}x: {'met' if ratio <= QUERY_TARGET_RATIO else 'NOT met'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the start-up of cop-bot commands.")
    parser.add_argument("--rounds", type=int, default=15, help="runs of each command (median)")
    parser.add_argument(
        "--tree", type=Path, help="run cop-bot from this checkout (its cop_bot package)"
    )
    args = parser.parse_args()
    tree = args.tree.resolve() if args.tree else None
    report(measure(args.rounds, tree), args.rounds, tree)


if __name__ == "__main__":
    main()
