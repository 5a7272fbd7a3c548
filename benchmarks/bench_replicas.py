"""Acknowledged slash commands per second through HAProxy: one and two `cop-bot run` replicas on
one PostgreSQL database, next to a bare bolt app behind the same HAProxy, in the same run; then
the error rate while one of two replicas is killed.

    python benchmarks/bench_replicas.py [--members 2000] [--seconds 5] [--connections 8]
                                        [--rounds 3] [--kill-seconds 10] [--load auto|wrk|python]
                                        [--postgres URL]

Everything runs on loopback: HAProxy (tests/replicas.py: round robin, /healthz checks, only
unmade connections retried), the servers as processes of their own (benchmarks/slack_load.py),
the Slack stand-in in this process, and wrk (or aiohttp) firing signed `/find-expert` commands.

- **bare**: slack-bolt's ack-only app (bolt's defaults) behind HAProxy.
- **1 replica / 2 replicas**: `cop-bot run` as deployed (default settings, engine in-process)
  on a scratch PostgreSQL database with N synthetic members, behind HAProxy.
- **kill**: two replicas behind HAProxy; half-way through a `--kill-seconds` window one replica
  gets SIGKILL. The error rate is failed requests (5xx, socket errors) over all sent; the replica
  is restarted afterwards.

Each round measures every set-up in turn; the summary gives medians, with "of bare" within each
round. The machine has 2 cores shared with other work: read the ratios, not absolute figures
(two replicas on 2 cores add processes, not cores). Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.scratch import PG_SERVER, scratch_postgres
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
from tests.replicas import HAPROXY, HAProxy
from tests.slack_stand_in import TEAM_ID, StandIn

QUERIES = ["housing", "labour market country:IT", "mental health", "education lang:fr"]


def prepare(database: str, members: int) -> None:
    from benchmarks.synthetic import NOW, populate
    from cop_bot.app import build_app
    from cop_bot.config import Settings
    from cop_bot.core.clock import FixedClock
    from cop_bot.core.model import Conversation

    app = build_app(Settings(database_url=database), clock=FixedClock(NOW), migrate=True)
    populate(app.engine, app.taxonomy, members, Conversation("slack", TEAM_ID, "C0BENCH"))
    app.engine.dispose()


async def behind_haproxy(
    kind: str,
    replicas: int,
    args: argparse.Namespace,
    stand_in: StandIn,
    database: str,
    folder: Path,
    kill_after: float | None = None,
) -> Result:
    """Start `replicas` servers of `kind` and HAProxy before them, warm up, measure, stop."""
    ports = [free_port() for _ in range(replicas)]
    servers = [
        bare_bolt(p, stand_in.api_url)
        if kind == "bare"
        else cop_bot_run(database, stand_in.api_url, p, folder / f"{kind}-{p}")
        for p in ports
    ]
    proxy = HAProxy(folder, free_port(), [(f"s{i}", p) for i, p in enumerate(ports)]).start()
    url = f"{proxy.url}/slack/events"
    ours = kind != "bare"
    try:
        for port, server in zip(ports, servers, strict=True):
            await until_answering(f"http://127.0.0.1:{port}/slack/events", server, in_ack=ours)
        import aiohttp

        async with aiohttp.ClientSession() as http:
            await proxy.serving(http)
        items = signed_bodies(stand_in, QUERIES)
        common = {
            "connections": args.connections,
            "pids": [s.pid for s in servers],
            "stand_in": stand_in,
            "answers": ours,
            "use_wrk": args.load == "wrk",
        }
        await measure(url, items, seconds=args.warmup, **common)
        if kill_after is not None:
            victim = servers[0]
            asyncio.get_running_loop().call_later(kill_after, victim.kill)
            return await measure(url, items, seconds=args.kill_seconds, **common)
        return await measure(url, items, seconds=args.seconds, **common)
    finally:
        for server in servers:
            stop(server)
        proxy.stop()


async def rounds(args: argparse.Namespace, database: str) -> tuple[dict[str, list[Result]], Result]:
    stand_in = await StandIn().start()
    table: dict[str, list[Result]] = {}
    with tempfile.TemporaryDirectory(prefix="cop-bot-bench-replicas-") as tmp:
        folder = Path(tmp)
        try:
            for n in range(args.rounds):
                bare = await behind_haproxy("bare", 1, args, stand_in, database, folder)
                one = await behind_haproxy("ours", 1, args, stand_in, database, folder)
                two = await behind_haproxy("ours", 2, args, stand_in, database, folder)
                for label, result in (("bare", bare), ("1 replica", one), ("2 replicas", two)):
                    table.setdefault(label, []).append(result)
                print(
                    f"round {n + 1}: bare {bare.acked_per_s:.0f}/s; 1 replica "
                    f"{one.replied_per_s:.0f}/s ({one.replied_per_s / bare.acked_per_s:.0%}); "
                    f"2 replicas {two.replied_per_s:.0f}/s "
                    f"({two.replied_per_s / bare.acked_per_s:.0%})",
                    flush=True,
                )
            killed = await behind_haproxy(
                "ours", 2, args, stand_in, database, folder, kill_after=args.kill_seconds / 2
            )
        finally:
            await stand_in.stop()
    return table, killed


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--members", type=int, default=2_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--kill-seconds", type=float, default=10.0)
    parser.add_argument("--load", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--postgres", default=PG_SERVER, help="server URL (a scratch database)")
    args = parser.parse_args()
    if HAPROXY is None:
        raise SystemExit("bench_replicas needs haproxy (apt-get install haproxy)")
    if args.load == "auto":
        args.load = "wrk" if WRK else "python"
    print(
        f"/find-expert slash commands through HAProxy, {args.connections} connections "
        f"({args.load}), {args.seconds:g} s windows, {args.rounds} rounds; ours is `cop-bot run` "
        f"with default settings, {args.members} members on PostgreSQL"
    )
    with scratch_postgres(args.postgres) as database:
        prepare(database, args.members)
        table, killed = asyncio.run(rounds(args, database))
    bares = table["bare"]
    print(
        f"\n{'median of ' + str(args.rounds) + ' rounds':14} answered/s  of bare      p50 / p99 ms   CPU ms/cmd"
    )
    for label, runs in table.items():
        rates = [r.acked_per_s if label == "bare" else r.replied_per_s for r in runs]
        ratios = [rate / b.acked_per_s for rate, b in zip(rates, bares, strict=True)]
        print(
            f"{label:14} {median(rates):10.1f}  {median(ratios):4.0%} "
            f"({min(ratios):.0%}-{max(ratios):.0%})  "
            f"{median(r.p50_ms for r in runs):6.1f} / {median(r.p99_ms for r in runs):6.1f}  "
            f"{median(r.cpu_ms_per_command for r in runs):9.2f}"
        )
    print(
        f"\nkill: 2 replicas, one SIGKILLed after {args.kill_seconds / 2:g} s of "
        f"{args.kill_seconds:g} s: {killed.acked + killed.failed} sent, {killed.failed} failed "
        f"({killed.error_rate:.2%}), {killed.replied_per_s:.0f} answered/s, "
        f"p99 {killed.p99_ms:.0f} ms"
    )


if __name__ == "__main__":
    main()
