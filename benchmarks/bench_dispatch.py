"""How many chat commands per second does the engine answer, end to end?

Builds the app on a fresh SQLite file (migrated, with the fictitious demo community of
`cop-bot demo` loaded), then sends `/domains`, `/help` and `/domains mental health` through
`app.router.dispatch` -- the one path every platform uses, with its own storage session and
transaction per command -- and prints throughput and latency percentiles. Rendering and the
chat platforms are not included. It prints figures only; it never fails on timings.

With `--postgres [URL]` it does the same on PostgreSQL too, in a database of its own
(cop_bot_bench_<random>) that it creates on that server and drops afterwards.

    .venv/bin/python benchmarks/bench_dispatch.py [--rounds N] [--postgres [URL]]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.scratch import PG_SERVER, scratch_postgres
from cop_bot.app import App, build_app
from cop_bot.config import Settings
from cop_bot.core.model import Actor, Invocation, Status
from cop_bot.demo import load_demo
from cop_bot.platforms import console

REPO = Path(__file__).resolve().parent.parent
TAXONOMY = REPO / "config" / "taxonomy.yaml"
DEFAULT_POSTGRES = PG_SERVER
ADMIN = "bench-admin"
MEMBER = "amina.haddad"  # a member of the demo community
COMMANDS = ("/domains", "/help", "/domains mental health")


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return 0.0
    rank = max(1, round(pct / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def invocation(line: str, handle: str = MEMBER) -> Invocation:
    """The `Invocation` the console platform builds for a typed line."""
    name, _, rest = line.lstrip("/").partition(" ")
    return Invocation(
        name=name,
        text=rest,
        actor=Actor(handle=handle),
        conversation=console.conversation(),
        raw=line,
    )


def demo_app(url: str) -> tuple[App, float]:
    """A migrated app with the demo community loaded, and how long that took (seconds)."""
    started = time.perf_counter()
    settings = Settings(database_url=url, auto_migrate=True, taxonomy_path=str(TAXONOMY))
    app = build_app(settings)
    load_demo(app.engine, app.taxonomy, app.clock, admin_handle=ADMIN)
    return app, time.perf_counter() - started


def bench(app: App, rounds: int) -> None:
    for line in COMMANDS:  # warm-up: connections, caches, the member's first visit
        for _ in range(5):
            app.router.dispatch(invocation(line))
    all_timings: list[float] = []
    print(f"  {'command':<26}{'cmd/s':>8}{'mean':>9}{'p50':>9}{'p95':>9}{'p99':>9}  (ms)")
    for line in COMMANDS:
        timings: list[float] = []
        failed = 0
        inv = invocation(line)
        for _ in range(rounds):
            t0 = time.perf_counter()
            reply = app.router.dispatch(inv)
            timings.append(time.perf_counter() - t0)
            failed += reply.status is not Status.OK
        all_timings.extend(timings)
        report(line, timings, failed)
    report("all three", all_timings, 0)


def report(label: str, timings: list[float], failed: int) -> None:
    ms = sorted(t * 1000 for t in timings)
    rate = len(timings) / sum(timings)
    note = f"  ({failed} replies were not OK)" if failed else ""
    print(
        f"  {label:<26}{rate:>8,.0f}{statistics.fmean(ms):>9.2f}{percentile(ms, 50):>9.2f}"
        f"{percentile(ms, 95):>9.2f}{percentile(ms, 99):>9.2f}{note}"
    )


def run_sqlite(rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="cop-bot-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        app, setup = demo_app(url)
        try:
            print(f"SQLite (file, WAL), {rounds} rounds per command; setup {setup:.2f} s")
            bench(app, rounds)
        finally:
            app.engine.dispose()


def run_postgres(server_url: str, rounds: int) -> None:
    with scratch_postgres(server_url) as url:
        app, setup = demo_app(url)
        try:
            shown = make_url(url).render_as_string(hide_password=True)
            print(f"PostgreSQL ({shown}), {rounds} rounds per command; setup {setup:.2f} s")
            bench(app, rounds)
        finally:
            app.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark command dispatch end to end.")
    parser.add_argument("--rounds", type=int, default=300, help="dispatches per command")
    parser.add_argument(
        "--postgres",
        nargs="?",
        const=DEFAULT_POSTGRES,
        metavar="URL",
        help=f"also run on PostgreSQL; URL of a database on the server (default {DEFAULT_POSTGRES})",
    )
    args = parser.parse_args()
    run_sqlite(args.rounds)
    if args.postgres:
        print()
        run_postgres(args.postgres, args.rounds)


if __name__ == "__main__":
    main()
