"""How often does the matcher land on the right domain, the way members really type?

Runs the labelled evaluation set in `benchmarks/eval/` (one file per language, written before the
matcher was tuned, by people who did not see its lexicon) through `Taxonomy.match`, and prints
top-1 and top-3 accuracy per language and per domain, the share of nonsense queries matched with
confidence, and every miss.

A third of the queries are held out, chosen by a hash of the query text so that nobody picks
them: tune on the rest (`--part tune`, the default view while tuning), and report both. A large
gap between the two parts is overfitting.

    .venv/bin/python benchmarks/eval_matcher.py [--part tune|held-out|all] [--misses] [--taxonomy PATH]

A folder with only `nonsense.yaml` (`benchmarks/eval-offtopic/`, chat that sounds topical out
of context) reports only the share of it matched with confidence.

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cop_bot.core.taxonomy import Taxonomy, load_taxonomy

REPO = Path(__file__).resolve().parent.parent
EVAL = REPO / "benchmarks" / "eval"
LANGUAGES = ("en", "fr", "es", "it", "de", "ar", "el")
TARGET_TOP1 = 0.95
TARGET_NONSENSE = 0.02


@dataclass(frozen=True)
class Case:
    query: str
    expect: frozenset[str]
    language: str

    @property
    def held_out(self) -> bool:
        """A third of the set, by the query's hash: never chosen by hand."""
        return int(hashlib.sha256(self.query.encode("utf-8")).hexdigest(), 16) % 3 == 0


def cases(folder: Path = EVAL) -> tuple[list[Case], list[Case]]:
    """(the labelled queries, the nonsense ones)."""
    labelled: list[Case] = []
    for language in LANGUAGES:
        path = folder / f"{language}.yaml"
        if not path.exists():  # an off-topic set (`benchmarks/eval-offtopic/`) has no labels
            continue
        for item in yaml.safe_load(path.read_text(encoding="utf-8")):
            labelled.append(Case(str(item["q"]), frozenset(item["expect"]), language))
    nonsense = [
        Case(str(item["q"]), frozenset(), "any")
        for item in yaml.safe_load((folder / "nonsense.yaml").read_text(encoding="utf-8"))
    ]
    return labelled, nonsense


def evaluate(
    taxonomy: Taxonomy, part: str, show_misses: bool, folder: Path = EVAL
) -> dict[str, float]:
    labelled, nonsense = cases(folder)
    chosen = [
        c
        for c in labelled
        if part == "all" or (c.held_out if part == "held-out" else not c.held_out)
    ]
    top1: Counter[str] = Counter()
    top3: Counter[str] = Counter()
    total: Counter[str] = Counter()
    by_domain: dict[str, Counter[str]] = defaultdict(Counter)
    misses: list[str] = []
    for case in chosen:
        result = taxonomy.match(case.query)
        good = [c.slug for c in result.matches]
        ranked = [c.slug for c in result.candidates]
        hit1 = bool(good) and good[0] in case.expect
        hit3 = bool(set(ranked[:3]) & case.expect)
        for key in (case.language, "all"):
            total[key] += 1
            top1[key] += hit1
            top3[key] += hit3
        for slug in case.expect:
            by_domain[slug]["n"] += 1
            by_domain[slug]["top1"] += hit1
        if not hit1:
            shown = ", ".join(f"{c.slug} {c.score:.0f}" for c in result.candidates[:3]) or "-"
            misses.append(
                f"  [{case.language}] {case.query!r}: expected {'/'.join(sorted(case.expect))}; "
                f"got {shown}"
            )
    confident = [c for c in nonsense if taxonomy.match(c.query).matches]
    print(f"part: {part} ({len(chosen)} labelled queries, {len(nonsense)} nonsense)")
    print(f"  {'language':<10}{'n':>5}{'top-1':>9}{'top-3':>9}")
    for key in (*LANGUAGES, "all"):
        if total[key]:
            print(
                f"  {key:<10}{total[key]:>5}{top1[key] / total[key]:>9.1%}"
                f"{top3[key] / total[key]:>9.1%}"
            )
    print(
        "  per domain (top-1): "
        + ", ".join(f"{slug} {c['top1']}/{c['n']}" for slug, c in sorted(by_domain.items()))
    )
    rate = len(confident) / len(nonsense) if nonsense else 0.0
    print(f"  nonsense matched with confidence: {len(confident)}/{len(nonsense)} ({rate:.1%})")
    for case in confident:
        best = taxonomy.match(case.query).best
        print(f"    {case.query!r} -> {best.slug if best else '-'} {best.score if best else ''}")
    if show_misses and misses:
        print(f"  misses ({len(misses)}):")
        print("\n".join(misses))
    accuracy = top1["all"] / total["all"] if total["all"] else 0.0
    print(
        f"  target: top-1 >= {TARGET_TOP1:.0%} (got {accuracy:.1%}), "
        f"nonsense <= {TARGET_NONSENSE:.0%} (got {rate:.1%})"
    )
    return {"top1": accuracy, "nonsense": rate}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=("tune", "held-out", "all"), default="tune")
    parser.add_argument("--misses", action="store_true", help="list every miss")
    parser.add_argument("--taxonomy", default=str(REPO / "config" / "taxonomy.yaml"))
    parser.add_argument(
        "--set", default=str(EVAL), help="the folder of queries (benchmarks/eval-fresh: unseen)"
    )
    args = parser.parse_args()
    taxonomy = load_taxonomy(args.taxonomy)
    evaluate(taxonomy, args.part, args.misses, Path(args.set))


if __name__ == "__main__":
    main()
