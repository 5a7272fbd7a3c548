"""Mentoring rounds at 100, 1,000 and 10,000 participants, next to a Donut-style random pairing.

    python benchmarks/bench_mentoring.py [--sizes 100,1000,10000] [--rounds 5]

The participants are the synthetic community's members (`benchmarks/synthetic.py`, seeded): in
mentor mode a third are mentors (capacity 1 to 3, their profile domains) and the rest mentees
(two or three of their domains to learn); in peer mode everyone is a peer. Each size runs
`--rounds` rounds in a row, each round barred from the pairs of the last 3 (as the bot does).
Printed per mode, size and method: the time of one round's matching (mean), the share of
mentees (or peers) paired, the shares of pairs with a shared language, with domain fit (the
mentor covers at least one of the mentee's domains; for peers, a shared domain; over all rounds
and in the first round alone, since later rounds may not repeat the best pairs), cross-country,
repeats over the rounds (a pair seen in any earlier round) and hard-rule violations. Next to
ours, `fit-only` is the same solver with domain fit as its only preference: the ceiling of the
fit column for these people under the same rules (small programmes run out of fitting partners
who are new to each other). Programmes
larger than one block (`matching.BLOCK`) are solved in blocks; the score of that approximation
against the exact optimum is printed at 1,000 participants. Asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.synthetic import member_rows
from cop_bot.core.taxonomy import load_taxonomy
from cop_bot.mentoring import matching

OFFSETS = {
    "IT": 1, "FR": 1, "ES": 1, "DE": 1, "GR": 2, "PT": 0, "BE": 1, "NL": 1, "SE": 1, "MA": 1,
    "TN": 1, "TR": 3, "JO": 3, "LB": 2, "CA": -5, "US": -6, "KE": 3, "CO": -5, "PL": 1, "AT": 1,
}  # fmt: skip


def people(n: int, mode: str) -> list[matching.Person]:
    taxonomy = load_taxonomy()
    rng = random.Random(11)
    slugs = [d.slug for d in taxonomy.domains]
    out = []
    for i, (row, domains) in enumerate(member_rows(n, taxonomy, 1)):
        role = "peer" if mode == "peer" else ("mentor" if i % 3 == 0 else "mentee")
        wants = tuple(domains) if role != "mentee" else tuple(rng.sample(slugs, rng.randint(2, 3)))
        country = str(row["country"])
        out.append(
            matching.Person(
                id=i + 1,
                role=role,
                languages=tuple(row["languages"]),  # type: ignore[arg-type]
                domains=wants,
                organisation=str(row["organisation"]),
                country=country,
                utc_offset=float(OFFSETS.get(country, 0)),
                capacity=rng.randint(1, 3) if role == "mentor" else 1,
            )
        )
    return out


def donut(group: list[matching.Person], mode: str, rng: random.Random) -> list[matching.Pair]:
    """Random pairs, as Donut makes them: shuffle and pair off (mentees to mentor slots)."""
    if mode == "peer":
        shuffled = group[:]
        rng.shuffle(shuffled)
        return [
            matching.Pair(shuffled[k].id, shuffled[k + 1].id, 0.0)
            for k in range(0, len(shuffled) - 1, 2)
        ]
    slots = [p for p in group if p.role == "mentor" for _ in range(p.capacity)]
    mentees = [p for p in group if p.role == "mentee"]
    rng.shuffle(slots)
    rng.shuffle(mentees)
    return [matching.Pair(a.id, b.id, 0.0) for a, b in zip(slots, mentees, strict=False)]


def fit_only(
    group: list[matching.Person],
    recent: set[tuple[int, int]],
    mode: str,
    earlier: set[tuple[int, int]],
) -> list[matching.Pair]:
    """The same hard rules and solver with domain fit as the only preference: the most pairs
    with a shared domain these people allow, a ceiling for the `fit` column."""
    saved = matching.DOMAIN_WEIGHT, matching.ANY_FIT, matching.COUNTRY_WEIGHT, matching.HOURS_WEIGHT
    matching.DOMAIN_WEIGHT, matching.ANY_FIT, matching.COUNTRY_WEIGHT, matching.HOURS_WEIGHT = (
        1.0,
        1.0,
        0.0,
        0.0,
    )
    try:
        return matching.pair_round(group, recent, mode=mode, earlier=earlier).pairs
    finally:
        (
            matching.DOMAIN_WEIGHT,
            matching.ANY_FIT,
            matching.COUNTRY_WEIGHT,
            matching.HOURS_WEIGHT,
        ) = saved


def measure(group: list[matching.Person], mode: str, method: str, rounds: int) -> dict[str, float]:
    by_id = {p.id: p for p in group}
    rng = random.Random(5)
    window: deque[set[tuple[int, int]]] = deque(maxlen=matching.REPEAT_WINDOW)
    ever: set[tuple[int, int]] = set()
    times: list[float] = []
    totals = dict.fromkeys(
        ("paired", "pairs", "language", "fit", "cross", "repeats", "violations"), 0.0
    )
    eligible = sum(1 for p in group if p.role in ("mentee", "peer"))
    first_fit = 0.0
    for number in range(rounds):
        recent = set().union(*window) if window else set()
        start = time.perf_counter()
        if method == "ours":
            pairs = matching.pair_round(group, recent, mode=mode, earlier=ever - recent).pairs
        elif method == "fit-only":
            pairs = fit_only(group, recent, mode, ever - recent)
        else:
            pairs = donut(group, mode, rng)
        times.append(time.perf_counter() - start)
        keys = {matching.recent_key(p.a, p.b) for p in pairs}
        load: dict[int, int] = {}
        for pair in pairs:
            a, b = by_id[pair.a], by_id[pair.b]
            key = matching.recent_key(a.id, b.id)
            shared = bool(set(a.languages) & set(b.languages))
            same_org = a.organisation == b.organisation
            load[a.id] = load.get(a.id, 0) + 1
            load[b.id] = load.get(b.id, 0) + 1
            totals["language"] += shared
            totals["fit"] += bool(set(a.domains) & set(b.domains))
            totals["cross"] += a.country != b.country
            totals["repeats"] += key in ever
            totals["violations"] += (not shared) + same_org + (key in recent)
        totals["violations"] += sum(
            1
            for pid, used in load.items()
            if used > (by_id[pid].capacity if by_id[pid].role == "mentor" else 1)
        )
        if number == 0:
            first_fit = sum(
                bool(set(by_id[p.a].domains) & set(by_id[p.b].domains)) for p in pairs
            ) / max(1, len(pairs))
        totals["pairs"] += len(pairs)
        totals["paired"] += len(pairs) * (2 if mode == "peer" else 1)
        window.append(keys)
        ever |= keys
    pairs_n = max(1.0, totals["pairs"])
    return {
        "time": statistics.mean(times),
        "paired": totals["paired"] / (eligible * rounds),
        "language": totals["language"] / pairs_n,
        "fit": totals["fit"] / pairs_n,
        "fit1": first_fit,
        "cross": totals["cross"] / pairs_n,
        "repeats": totals["repeats"] / pairs_n,
        "violations": totals["violations"],
    }


def approximation(mode: str) -> None:
    group = people(1000, mode)
    exact = matching.pair_round(group, mode=mode, block=10**6)
    blocked = matching.pair_round(
        group, mode=mode, block=150 if mode == "mentor" else matching.PEER_BLOCK // 3
    )

    def score(result: matching.Result) -> float:
        return sum(p.score for p in result.pairs)

    print(
        f"  approximation at 1,000 ({mode}): blocks pair {len(blocked.pairs)} vs exact "
        f"{len(exact.pairs)}; preference score {score(blocked):.1f} vs {score(exact):.1f} "
        f"({100 * score(blocked) / max(score(exact), 1e-9):.1f} % of the optimum)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--modes", default="mentor,peer")
    args = parser.parse_args()
    header = (
        f"{'mode':6} {'people':>6} {'method':8} {'time s':>7} {'paired':>7} {'lang':>6} "
        f"{'fit':>6} {'fit r1':>6} {'cross':>6} {'repeat':>7} {'violations':>10}"
    )
    for mode in args.modes.split(","):
        print(header)
        for size in (int(s) for s in args.sizes.split(",")):
            group = people(size, mode)
            for method in ("ours", "fit-only", "donut"):
                m = measure(group, mode, method, args.rounds)
                print(
                    f"{mode:6} {size:>6} {method:8} {m['time']:>7.3f} {m['paired']:>7.1%} "
                    f"{m['language']:>6.1%} {m['fit']:>6.1%} {m['fit1']:>6.1%} {m['cross']:>6.1%} "
                    f"{m['repeats']:>7.1%} {int(m['violations']):>10}"
                )
        approximation(mode)


if __name__ == "__main__":
    main()
