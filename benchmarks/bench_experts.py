"""/find-expert latency through the whole engine at 1k, 10k and 100k members, on SQLite and
PostgreSQL, next to a bare rapidfuzz scan of the same strings (the lower bound of any fuzzy search).

    python benchmarks/bench_experts.py [--sizes 1000,10000,100000] [--no-postgres] [--rounds 50]

Prints figures; asserts nothing about time. The first query after start-up builds the in-memory
index (reported as "cold"); the percentiles are for the warm path every later query takes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rapidfuzz import fuzz, process, utils

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.scratch import PG_SERVER, scratch_postgres
from benchmarks.synthetic import (
    NOW,
    member_rows,
    populate,
)
from cop_bot.config import Settings
from cop_bot.core.clock import FixedClock
from cop_bot.core.model import Actor, Conversation, Invocation
from cop_bot.core.router import Router
from cop_bot.core.taxonomy import load_taxonomy
from cop_bot.handlers import build_registry
from cop_bot.storage.db import make_engine, upgrade

DOMAIN_QUERIES = [
    "labour-market",
    "employment",
    "marché du travail",
    "housing",
    "mental health",
    "unaccompanied minors",
]
TEXT_QUERIES = [
    "work permits for refugees",
    "participatory budgeting",
    "skills recogniton",
    "hate speech monitoring",
    "literacy schools",
    "diaspora investment",
]
PG_ADMIN = PG_SERVER


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_engine(url: str, n: int, rounds: int) -> dict[str, float]:
    engine = make_engine(url)
    upgrade(engine)
    taxonomy = load_taxonomy()
    conv = Conversation("console", "bench", "c")
    t0 = time.perf_counter()
    populate(engine, taxonomy, n, conv)
    load_s = time.perf_counter() - t0
    router = Router(engine, build_registry(), Settings(database_url=url), taxonomy, FixedClock(NOW))

    def ask(query: str) -> float:
        start = time.perf_counter()
        reply = router.dispatch(Invocation("find-expert", query, Actor("bench-user"), conv))
        elapsed = (time.perf_counter() - start) * 1000
        assert reply.ok, reply
        return elapsed

    cold = ask("housing")
    domain = [ask(q) for _ in range(rounds) for q in DOMAIN_QUERIES]
    free = [ask(q) for _ in range(rounds) for q in TEXT_QUERIES]
    engine.dispose()
    return {
        "load_s": load_s,
        "cold_ms": cold,
        "domain_p50": statistics.median(domain),
        "domain_p99": pct(domain, 0.99),
        "text_p50": statistics.median(free),
        "text_p99": pct(free, 0.99),
    }


def run_bare(n: int, rounds: int) -> dict[str, float]:
    taxonomy = load_taxonomy()
    strings = [
        utils.default_process(f"{row['bio']} {row['organisation']}")
        for row, _ in member_rows(n, taxonomy, 1)
    ]
    out: dict[str, float] = {}
    for name, scorer in (("ratio", fuzz.ratio), ("token_set_ratio", fuzz.token_set_ratio)):
        samples = []
        for _ in range(max(1, rounds // 10)):
            for q in TEXT_QUERIES:
                start = time.perf_counter()
                process.extract(utils.default_process(q), strings, scorer=scorer, limit=5)
                samples.append((time.perf_counter() - start) * 1000)
        out[f"{name}_p50"] = statistics.median(samples)
        out[f"{name}_p99"] = pct(samples, 0.99)
    return out


def with_postgres(fn, *args):  # type: ignore[no-untyped-def]
    with scratch_postgres(PG_ADMIN) as url:
        return fn(url, *args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"/find-expert through the engine; {len(DOMAIN_QUERIES)} domain and {len(TEXT_QUERIES)} free-text queries x {args.rounds} rounds; ms"
    )
    print(
        f"{'backend':<10} {'members':>8} {'load s':>7} {'cold':>7} {'dom p50':>8} {'dom p99':>8} {'txt p50':>8} {'txt p99':>8}"
    )
    for n in sizes:
        backends = [("sqlite", None)] + ([] if args.no_postgres else [("postgres", None)])
        for backend, _ in backends:
            if backend == "sqlite":
                with tempfile.TemporaryDirectory() as tmp:
                    r = run_engine(f"sqlite:///{tmp}/bench.db", n, args.rounds)
            else:
                r = with_postgres(run_engine, n, args.rounds)
            print(
                f"{backend:<10} {n:>8} {r['load_s']:>7.1f} {r['cold_ms']:>7.0f} {r['domain_p50']:>8.2f} {r['domain_p99']:>8.2f} {r['text_p50']:>8.2f} {r['text_p99']:>8.2f}"
            )
        bare = run_bare(n, args.rounds)
        print(
            f"{'bare scan':<10} {n:>8} {'':>7} {'':>7} {'ratio':>8} {bare['ratio_p50']:>8.2f} {'tset p50':>8} {bare['token_set_ratio_p50']:>8.2f}   (p99 {bare['ratio_p99']:.2f} / {bare['token_set_ratio_p99']:.2f})"
        )


if __name__ == "__main__":
    main()
