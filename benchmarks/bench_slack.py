"""Slash commands per second through the full Slack HTTP path, `cop-bot run` as deployed next to
a bare bolt app, in the same run.

    python benchmarks/bench_slack.py [--members 10000] [--seconds 3] [--connections 8]
                                     [--engine-processes 2] [--rounds 5] [--load auto|wrk|python]
                                     [--compare CHECKOUT]

Every server is a process of its own on loopback, receiving `/find-expert` slash commands signed
exactly as Slack signs them (v0 HMAC-SHA256) from wrk (or, without wrk, an aiohttp client in this
process). This process also runs the Web API stand-in (tests/slack_stand_in.py) that answers
`auth.test`/`users.info` and receives the replies posted to `response_url`.

- **bare**: slack-bolt's `AsyncApp` with a listener that only acks, bolt's defaults (the
  listener runs in the background and bolt polls for its ack every 10 ms).
- **bare, process_before_response**: the same listener run inline (no polling): the upper bound
  of any bolt app on this machine.
- **ours**: `cop-bot run`, started as its own process exactly as deployed, with default settings
  (INFO logging to its log file, the access log as configured, the scheduler and its leader
  lock, `users.info` cached) on a SQLite database with N synthetic members: signature check,
  `Router.dispatch` in a worker thread (storage, search), Block Kit, the answer in the ack (or,
  past the ack budget, POSTed to `response_url`). Measured twice: with the engine in the bot's
  process (the default) and in `--engine-processes` worker processes (COP_BOT_ENGINE_PROCESSES).

"acked/s" counts acks in the window and "replied/s" counts answers, in acks or at `response_url`,
until the last one arrived (work after an empty ack must not flatter us). CPU per command is the
server's process tree (engine workers included), from /proc. On a small shared machine one run of
the same app swings by half from one minute to the next, so every server runs throughout, each
round measures them in turn with a window of the bare app before and after each, a window's
"of bare" is against the mean of those two, and the summary gives medians over the rounds.
Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.slack_load import (
    WRK,
    Result,
    bare_bolt,
    cop_bot_run,
    free_port,
    measure,
    signed_bodies,
    stop,
    until_answering,
)
from tests.slack_stand_in import TEAM_ID, StandIn

QUERIES = ["housing", "labour market country:IT", "mental health", "education lang:fr"]


def prepare(members: int, folder: Path) -> str:
    """A SQLite database with `members` synthetic members, shared by every run of ours."""
    from benchmarks.synthetic import NOW, populate
    from cop_bot.app import build_app
    from cop_bot.config import Settings
    from cop_bot.core.clock import FixedClock
    from cop_bot.core.model import Conversation

    database = f"sqlite:///{folder}/bench.db"
    app = build_app(Settings(database_url=database), clock=FixedClock(NOW), migrate=True)
    populate(app.engine, app.taxonomy, members, Conversation("slack", TEAM_ID, "C0BENCH"))
    app.engine.dispose()
    return database


# ---- this process: Slack, the load, the rounds ---------------------------------------------------


def distinct_queries() -> list[str]:
    """Thousands of different searches (domain x country x language), so that no memo helps."""
    from benchmarks.synthetic import COUNTRIES, LANGS
    from cop_bot.core.taxonomy import load_taxonomy

    slugs = [d.slug.replace("-", " ") for d in load_taxonomy().domains]
    found = [f"{s} country:{c} lang:{lang}" for s in slugs for c in COUNTRIES for lang in LANGS]
    random.Random(7).shuffle(found)
    return found


@dataclass
class Server:
    """One server under test, started once and measured in every round."""

    kind: str
    process: subprocess.Popen[bytes]
    url: str
    phases: dict[str, list[tuple[str, dict[str, str]]]]  # phase -> signed bodies

    @property
    def answers(self) -> bool:
        return not self.kind.startswith("bare")


async def start(
    kind: str, args: argparse.Namespace, stand_in: StandIn, database: str, folder: Path
) -> Server:
    port = free_port()
    url = f"http://127.0.0.1:{port}/slack/events"
    if kind.startswith("bare"):
        process = bare_bolt(port, stand_in.api_url, inline=kind == "bare-inline")
        phases = {"": QUERIES}
    else:
        settings = (
            {"COP_BOT_ENGINE_PROCESSES": str(args.engine_processes)} if "engines" in kind else {}
        )
        if kind == "before":  # `cop-bot run` from another checkout (--compare)
            settings["PYTHONPATH"] = str(Path(args.compare).resolve())
        process = cop_bot_run(database, stand_in.api_url, port, folder / kind, **settings)
        phases = {"repeated": QUERIES, "distinct": distinct_queries()[: args.distinct]}
    await until_answering(url, process, in_ack=not kind.startswith("bare"))
    return Server(kind, process, url, {k: signed_bodies(stand_in, q) for k, q in phases.items()})


async def window(server: Server, phase: str, args: argparse.Namespace, stand_in: StandIn) -> Result:
    items = server.phases[phase]
    common = {
        "connections": args.connections,
        "pids": [server.process.pid],
        "stand_in": stand_in,
        "answers": server.answers,
        "use_wrk": args.load == "wrk",
    }
    await measure(server.url, items, seconds=args.warmup, **common)
    return await measure(server.url, items, seconds=args.seconds, **common)


async def rounds(
    args: argparse.Namespace, database: str, folder: Path
) -> dict[str, list[dict[str, float]]]:
    """Every server runs throughout; each round measures them in turn with the bare app before
    and after each, and a window's "of bare" is against the mean of those two (the machine's
    speed drifts by the minute)."""
    stand_in = await StandIn().start()
    labels = {
        "bare-inline": "bare, process_before_response",
        "before": f"cop-bot run from {args.compare}, in-process",
        "ours": "cop-bot run, engine in-process",
        "ours-engines": f"cop-bot run, {args.engine_processes} engine processes",
    }
    kinds = ["bare-inline", *(["before"] if args.compare else []), "ours", "ours-engines"]
    servers: list[Server] = []
    rows: dict[str, list[dict[str, float]]] = {}
    try:
        bare = await start("bare", args, stand_in, database, folder)
        servers.append(bare)
        others = []
        for kind in kinds:
            others.append(await start(kind, args, stand_in, database, folder))
            servers.append(others[-1])
        for n in range(args.rounds):
            line = [f"round {n + 1}:"]
            before = await window(bare, "", args, stand_in)
            rows.setdefault("bare bolt (ack only)", []).append(row(before, before.acked_per_s))
            for server in others:
                measured = [(p, await window(server, p, args, stand_in)) for p in server.phases]
                after = await window(bare, "", args, stand_in)
                reference = (before.acked_per_s + after.acked_per_s) / 2
                for phase, result in measured:
                    label = labels[server.kind] + (f", {phase} queries" if phase else "")
                    rows.setdefault(label, []).append(row(result, reference))
                    line.append(f"{server.kind} {phase} {rows[label][-1]['ratio']:.0%}".strip())
                before = after
            print(" ".join(line), flush=True)
    finally:
        for server in servers:
            stop(server.process)
        await stand_in.stop()
    return rows


def row(result: Result, bare_acked_per_s: float) -> dict[str, float]:
    rate = result.replied_per_s if result.later or result.in_ack else result.acked_per_s
    return {
        "rate": rate,
        "ratio": rate / bare_acked_per_s,
        "cpu": result.cpu_ms_per_command,
        "p50": result.p50_ms,
        "p99": result.p99_ms,
        "failed": result.failed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--engine-processes", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--distinct", type=int, default=2000, help="distinct queries signed")
    parser.add_argument("--load", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument(
        "--compare",
        metavar="CHECKOUT",
        help="also measure `cop-bot run` from this checkout (e.g. a git worktree of an older "
        "commit), in-process, in every round",
    )
    args = parser.parse_args()
    if args.load == "auto":
        args.load = "wrk" if WRK else "python"
    print(
        f"/find-expert slash commands, signed, loopback, {args.connections} connections "
        f"({args.load}), {args.seconds:g} s windows, {args.rounds} rounds (each measures every "
        f"app, so a busy moment hits all of them); ours is `cop-bot run` with {args.members} "
        "members on SQLite"
    )
    with tempfile.TemporaryDirectory(prefix="cop-bot-bench-slack-") as tmp:
        database = prepare(args.members, Path(tmp))
        table = asyncio.run(rounds(args, database, Path(tmp)))
    print(
        f"\n{'median of ' + str(args.rounds) + ' rounds':52} answered/s  of bare       "
        "CPU ms/cmd  p50/p99 ms"
    )
    for label, runs in table.items():
        ratios = [r["ratio"] for r in runs]
        failed = sum(r["failed"] for r in runs)
        print(
            f"{label:52} {median(r['rate'] for r in runs):9.1f}  "
            f"{median(ratios):4.0%} ({min(ratios):.0%}-{max(ratios):.0%})  "
            f"{median(r['cpu'] for r in runs):9.2f}  "
            f"{median(r['p50'] for r in runs):5.1f}/{median(r['p99'] for r in runs):.1f}"
            + (f"  FAILED {failed:g}" if failed else "")
        )
    print("target: cop-bot answered/s at least 60% of the bare bolt app's acked/s, same round")


if __name__ == "__main__":
    main()
