"""How fast and how right is the taxonomy matcher?

Runs a fixed set of realistic queries (exact slugs, typos, UK/US spelling, synonyms, six other
languages, free text, nonsense) through `Taxonomy.match` for several rounds and prints throughput,
latency percentiles and the hit rate on the labelled queries. It prints figures only; it never
fails on timings.

    .venv/bin/python benchmarks/bench_matcher.py [--rounds N] [--taxonomy PATH]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from cop_bot.core.taxonomy import Taxonomy, load_taxonomy

REPO = Path(__file__).resolve().parent.parent
DEFAULT_TAXONOMY = REPO / "config" / "taxonomy.yaml"

# query -> the slug a member would expect as the best match, or None for "no good match".
LABELLED: dict[str, str | None] = {
    # exact slugs and labels
    "labour-market": "labour-market",
    "health": "health",
    "housing": "housing",
    "migration-data": "migration-data",
    "human trafficking": "human-trafficking",
    # typos, UK/US spelling, plurals, case
    "labor markt": "labour-market",
    "helth": "health",
    "hosuing": "housing",
    "educaton": "education",
    "neighborhood participation": "neighbourhood-participation",
    "Anti Discrimination": "anti-discrimination",
    "legal aids": "legal-aid",
    # synonyms
    "mental health": "health",
    "employment": "labour-market",
    "asylum seekers": "international-protection",
    "unaccompanied minors": "child-protection",
    "remittances": "migration-development",
    "hate speech": "anti-discrimination",
    "statistics": "migration-data",
    "family reunification": "legal-migration",
    # other languages
    "marché du travail": "labour-market",
    "Gesundheit": "health",
    "سوق العمل": "labour-market",
    "mercado laboral": "labour-market",
    "protezione internazionale": "international-protection",
    "Αγορά εργασίας": "labour-market",
    "logement": "housing",
    "Menschenhandel": "human-trafficking",
    # free text
    "housing for asylum seekers in Rome": "housing",
    "language classes for refugees": "language-learning",
    "jobs for migrant women": "labour-market",
    "data on integration": "migration-data",
    # nonsense and things that are not a domain
    "xyzzy qwerty": None,
    "hr": None,
    "pizza recipes": None,
    "?!": None,
}
UNLABELLED = [
    "gender-based violence in reception centres",
    "voting rights for non-citizens at local level",
    "skills recognition for doctors",
    "diaspora engagement in development projects",
    "integración de migrantes",
    "how do I find someone who works on detention",
]
QUERIES = [*LABELLED, *UNLABELLED]


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return 0.0
    rank = max(1, round(pct / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def hit_rate(taxonomy: Taxonomy) -> tuple[int, int, list[str]]:
    """Top-1 hits, hits anywhere among the good matches, and a line per top-1 miss."""
    top1 = anywhere = 0
    misses: list[str] = []
    for query, expected in LABELLED.items():
        result = taxonomy.match(query)
        good = [c.slug for c in result.matches]
        best = result.best
        if (best.slug if best else None) == expected:
            top1 += 1
        else:
            shown = ", ".join(f"{c.slug} {c.score:.0f}% via {c.term!r}" for c in result.matches)
            misses.append(
                f"  {query!r}: expected {expected or 'no match'}, got {shown or 'no match'}"
            )
        if expected in good or (expected is None and not good):
            anywhere += 1
    return top1, anywhere, misses


def first_sight_latency(path: str) -> tuple[int, float, float, float]:
    """Each evaluation query once, on a matcher that has seen none of them."""
    import yaml

    load_taxonomy.cache_clear()
    fresh = load_taxonomy(path)
    fresh.matcher()
    queries = [
        str(item["q"])
        for file in sorted((REPO / "benchmarks" / "eval").glob("*.yaml"))
        for item in yaml.safe_load(file.read_text(encoding="utf-8"))
    ]
    micros: list[float] = []
    for query in queries:
        t0 = time.perf_counter()
        fresh._match(query, 5)
        micros.append((time.perf_counter() - t0) * 1e6)
    micros.sort()
    return len(micros), percentile(micros, 50), percentile(micros, 99), micros[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the taxonomy matcher.")
    parser.add_argument("--rounds", type=int, default=50, help="passes over the queries")
    parser.add_argument("--taxonomy", default=str(DEFAULT_TAXONOMY), help="taxonomy YAML")
    args = parser.parse_args()

    started = time.perf_counter()
    taxonomy = load_taxonomy(args.taxonomy)
    taxonomy.match(QUERIES[0])  # the term index is built on the first match
    load_ms = (time.perf_counter() - started) * 1000
    for query in QUERIES:  # warm-up
        taxonomy.match(query)

    # `_match`, not `match`: the memo of recent queries would time a dict lookup.
    timings: list[float] = []
    total_started = time.perf_counter()
    for _ in range(args.rounds):
        for query in QUERIES:
            t0 = time.perf_counter()
            taxonomy._match(query, 5)
            timings.append(time.perf_counter() - t0)
    total = time.perf_counter() - total_started
    first_sight = first_sight_latency(args.taxonomy)
    micros = sorted(t * 1e6 for t in timings)

    terms = sum(len(list(d.terms())) for d in taxonomy.domains)
    print(
        f"taxonomy: {len(taxonomy.domains)} domains, {len(taxonomy.languages)} languages, "
        f"{terms} names and synonyms, loaded and indexed in {load_ms:.1f} ms"
    )
    print(f"queries: {len(QUERIES)} x {args.rounds} rounds = {len(timings)} matches")
    print(f"throughput: {len(timings) / total:,.0f} queries/s")
    print(
        f"latency (µs): mean {statistics.fmean(micros):,.0f}  p50 {percentile(micros, 50):,.0f}  "
        f"p95 {percentile(micros, 95):,.0f}  p99 {percentile(micros, 99):,.0f}  "
        f"max {micros[-1]:,.0f}"
    )
    by_query: dict[str, list[float]] = {}
    for index, seconds in enumerate(timings):
        by_query.setdefault(QUERIES[index % len(QUERIES)], []).append(seconds * 1e6)
    slowest = sorted(by_query.items(), key=lambda kv: -statistics.median(kv[1]))[:3]
    print(
        "slowest queries (median µs): "
        + ", ".join(f"{q!r} {statistics.median(v):,.0f}" for q, v in slowest)
    )
    print(
        f"first sight, every query of benchmarks/eval once on a fresh matcher ({first_sight[0]} "
        f"queries, typo corrections not yet remembered) (µs): p50 {first_sight[1]:,.0f}  "
        f"p99 {first_sight[2]:,.0f}  max {first_sight[3]:,.0f}"
    )
    top1, anywhere, misses = hit_rate(taxonomy)
    n = len(LABELLED)
    print(
        f"hit rate on {n} labelled queries: best match right {top1}/{n} ({100 * top1 / n:.0f}%), "
        f"expected domain among the good matches {anywhere}/{n} ({100 * anywhere / n:.0f}%)"
    )
    if misses:
        print("best-match misses:")
        print("\n".join(misses))


if __name__ == "__main__":
    main()
