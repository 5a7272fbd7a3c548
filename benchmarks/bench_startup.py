"""How long does a `cop-bot` command take before it does anything?

Every call of `cop-bot` is a fresh interpreter, so what it imports is what a deployer waits for.
This runs, in the same run and interleaved (one of each per round, so the machine's swings hit
every case alike), these command lines as fresh processes:

- `python -c pass`: the interpreter alone;
- `python -c 'import sqlalchemy'` and `python -c 'import sqlalchemy, sqlmodel'`: the floor
  of any command that touches the database;
- `cop-bot --help` (target: under 0.3 s);
- `cop-bot query /help` on an up-to-date SQLite file (target: at most 1.5 x
  `import sqlalchemy, sqlmodel`).

It prints the median wall time and the median CPU time (user + system) of each, then the
targets. On a shared machine the wall time includes waiting for a core; the CPU time is what
the command itself costs, and is the steadier figure to compare.

`cop-bot` runs as its console script does (`cop_bot.cli.entry`, or `main` in a checkout from
before `entry`), in a temporary folder with its own database and state folder (made, migrated
and, from `entry` on, given the parsed taxonomy by one warm-up call that is not counted), never
your `cop_bot.db`, and with bytecode caches allowed even when PYTHONDONTWRITEBYTECODE is set
(an installed package has them). `--compare DIR` also runs the two `cop-bot` lines from another
checkout (its `cop_bot` package first on PYTHONPATH, this venv's libraries), interleaved in the
same rounds, to compare two versions. It prints figures only; it never fails on timings.

    .venv/bin/python benchmarks/bench_startup.py [--rounds N] [--compare DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HELP_TARGET_S = 0.3
QUERY_TARGET_RATIO = 1.5
BASELINE = "import sqlalchemy, sqlmodel"


@dataclass
class Case:
    name: str
    argv: list[str]
    tree: Path | None = None  # run cop_bot from this checkout
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


# What the `cop-bot` console script runs; a checkout from before `entry` existed has `main`.
CONSOLE_SCRIPT = (
    "import sys\n"
    "from cop_bot import cli\n"
    "sys.argv[0] = 'cop-bot'\n"
    "sys.exit(cli.entry() if hasattr(cli, 'entry') else cli.main())\n"
)


def cop_bot() -> list[str]:
    """`cop-bot` as its console script starts it, so it runs the same from any checkout."""
    return [sys.executable, "-c", CONSOLE_SCRIPT]


def cases(compare: Path | None) -> list[Case]:
    python = sys.executable
    found = [
        Case("python -c pass", [python, "-c", "pass"]),
        Case("import sqlalchemy", [python, "-c", "import sqlalchemy"]),
        Case(BASELINE, [python, "-c", "import sqlalchemy, sqlmodel"]),
        Case("cop-bot --help", [*cop_bot(), "--help"]),
        Case("cop-bot query /help", [*cop_bot(), "query", "/help"]),
    ]
    if compare is not None:
        found += [
            Case("cop-bot --help (compared)", [*cop_bot(), "--help"], compare),
            Case("cop-bot query /help (compared)", [*cop_bot(), "query", "/help"], compare),
        ]
    return found


def run(case: Case, cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run (the CPU time of the child we just waited for)."""
    if case.tree is not None:
        env = {**env, "PYTHONPATH": str(case.tree)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(case.argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(case.argv)} failed ({done.returncode}):\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def environment(folder: Path) -> dict[str, str]:
    """A clean environment: our own database and state folder, no cop-bot settings from the
    caller, bytecode caches allowed."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COP_BOT_", "SLACK_", "MATRIX_"))
        and k not in {"PYTHONDONTWRITEBYTECODE", "PYTHONPATH"}
    }
    env["COP_BOT_DATABASE_URL"] = f"sqlite:///{folder / 'bench.db'}"
    env["COP_BOT_STATE_DIR"] = str(folder / "state")
    return env


def measure(rounds: int, compare: Path | None) -> list[Case]:
    found = cases(compare)
    with tempfile.TemporaryDirectory(prefix="cop-bot-startup-") as tmp:
        folder = Path(tmp)
        env = environment(folder)
        for case in found:  # warm-up: bytecode caches, the database's migrations
            run(case, folder, env)
        for _ in range(rounds):
            for case in found:
                wall, cpu = run(case, folder, env)
                case.wall.append(wall)
                case.cpu.append(cpu)
    return found


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def report(found: list[Case], rounds: int, compare: Path | None) -> None:
    wall = {c.name: statistics.median(c.wall) for c in found}
    cpu = {c.name: statistics.median(c.cpu) for c in found}
    print(f"Start-up, median of {rounds} runs each, interleaved; cop_bot from {REPO}")
    if compare is not None:
        print(f"  (compared: cop_bot from {compare})")
    print(f"  {'':<32}{'wall s':>8}{'x pass':>8}{'CPU s':>8}{'x pass':>8}")
    for c in found:
        print(
            f"  {c.name:<32}{wall[c.name]:>8.3f}{wall[c.name] / wall['python -c pass']:>8.1f}"
            f"{cpu[c.name]:>8.3f}{cpu[c.name] / max(cpu['python -c pass'], 1e-3):>8.1f}"
        )
    suffixes = ["", " (compared)"] if compare is not None else [""]
    for suffix in suffixes:
        helped, query = f"cop-bot --help{suffix}", f"cop-bot query /help{suffix}"
        for label, figures in (("wall", wall), ("CPU", cpu)):
            ratio = figures[query] / figures[BASELINE]
            print(
                f"  {label:>4}{suffix}: --help {figures[helped]:.3f} s (under {HELP_TARGET_S} s: "
                f"{verdict(figures[helped] < HELP_TARGET_S)}); query /help {ratio:.2f}x "
                f"{BASELINE} (at most {QUERY_TARGET_RATIO}x: "
                f"{verdict(ratio <= QUERY_TARGET_RATIO)})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the start-up of cop-bot commands.")
    parser.add_argument("--rounds", type=int, default=15, help="runs of each command (median)")
    parser.add_argument(
        "--compare", type=Path, help="also run cop-bot from this checkout (its cop_bot package)"
    )
    args = parser.parse_args()
    compare = args.compare.resolve() if args.compare else None
    report(measure(args.rounds, compare), args.rounds, compare)


if __name__ == "__main__":
    main()
