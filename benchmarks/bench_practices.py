"""/practices search latency through the whole engine at 1k, 10k and 100k practices, on SQLite
and PostgreSQL.

    python benchmarks/bench_practices.py [--sizes 1000,10000,100000] [--rounds 30]
                                         [--no-postgres] [--postgres URL]

A synthetic repertoire (95% approved, the rest pending) is written with bulk inserts: titles and
summaries drawn from a migration-policy vocabulary plus invented organisation names (so the
vocabulary the typo matcher scans grows with the data, as it does in real life), one to three
domains, countries, kinds, tags, approval dates over three years and endorsements from 500
members. Queries go through `Router.dispatch` exactly as a chat command does (one session and
transaction each, permission check, rendering-ready reply), mixing single words, typos, phrases
naming a domain in other languages, filters, browsing and a query that finds nothing.

It prints, per size and backend: the time to load the data, the cold first query (which builds
the in-memory index), p50/p99/max of the warm queries (wall clock, and the p99 of this process's
CPU time, which a busy shared machine disturbs less), and p50/p99 of a search right after an
endorsement (the index then reloads just the changed practice). It asserts nothing about time.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, text, update

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import synthetic
from benchmarks.scratch import PG_SERVER, scratch_postgres
from cop_bot.config import Settings
from cop_bot.core.clock import FixedClock
from cop_bot.core.model import Actor, Conversation, Invocation, Status
from cop_bot.core.router import Router
from cop_bot.core.taxonomy import Taxonomy, load_taxonomy
from cop_bot.handlers import build_registry
from cop_bot.storage import repos
from cop_bot.storage.db import make_engine, session_scope, upgrade
from cop_bot.storage.models import (
    Community,
    Member,
    Practice,
    PracticeDomain,
    PracticeEndorsement,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CONVERSATION = Conversation("console", "bench", "c")
MEMBERS = 500
PAGE_QUERIES = [
    "housing",
    "mentoring",
    "language cafe",
    "langauge cafés",
    "job readiness workshops",
    "bycicle repair",
    "mental health women",
    "employment",
    "marché du travail",
    "training country:IT",
    "domain:health kind:toolkit",
    "volunteers page:3",
    "",
    "qwertyuiop",
]

ACTIONS = [
    "workshops",
    "mentoring",
    "training",
    "helpdesk",
    "language cafés",
    "buddy system",
    "outreach",
    "mediation",
    "guardianship",
    "peer support",
    "orientation sessions",
    "drop-in centre",
    "hotline",
    "bicycle repair",
    "community kitchen",
    "sports tournaments",
    "job fairs",
    "legal clinics",
    "housing first",
    "tandem courses",
    "welcome desk",
    "mobile clinic",
    "podcast",
    "toolkit",
    "dashboard",
    "charter",
    "cash assistance",
    "participatory budgeting",
    "anti-rumour agents",
    "sponsorship",
    "apprenticeships",
]
GROUPS = [
    "young migrants",
    "refugee families",
    "unaccompanied minors",
    "women who arrived alone",
    "asylum seekers",
    "seasonal workers",
    "newcomers",
    "returnees",
    "domestic workers",
    "students",
    "older migrants",
    "victims of trafficking",
    "diaspora associations",
]
PLACES = [
    "public libraries",
    "city hall",
    "reception centres",
    "schools",
    "neighbourhood centres",
    "workplaces",
    "sports clubs",
    "health centres",
    "border towns",
    "rural areas",
]
VERBS = [
    "helps",
    "supports",
    "trains",
    "connects",
    "accompanies",
    "advises",
    "welcomes",
    "mentors",
    "informs",
    "refers",
    "guides",
    "protects",
]
OBJECTS = [
    "work permits",
    "diploma recognition",
    "housing benefits",
    "health insurance",
    "school",
    "enrolment",
    "residence permits",
    "asylum procedures",
    "bank accounts",
    "job interviews",
    "language learning",
    "mental health",
    "childcare",
    "legal aid",
    "local elections",
    "vocational training",
    "public transport",
    "tenancy rights",
    "translation",
    "interpreting",
]
RESULTS = [
    "completion rose",
    "waiting times fell",
    "more participants found work",
    "missed appointments halved",
    "evictions dropped",
    "attendance doubled",
    "trust in services grew",
    "reports increased",
]
CITIES = [
    {"Malmo": "Malmö", "Bogota": "Bogotá", "Krakow": "Kraków"}.get(city, city)
    for city in synthetic.CITIES
]
"""The synthetic members' cities, spelled with their accents as a practice would write them."""
KIND_WEIGHTS = ["practice"] * 6 + ["resource"] * 2 + ["toolkit"]
SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ra",
    "ten",
    "vo",
    "su",
    "bel",
    "dor",
    "fin",
    "gra",
    "hu",
    "jen",
    "kor",
    "lun",
    "mar",
    "nor",
    "pel",
    "quin",
    "ros",
    "sam",
    "tur",
    "ul",
    "ves",
    "zan",
]


def invented(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def practice_rows(
    n: int, community_id: int, taxonomy: Taxonomy, rng: random.Random
) -> Iterator[dict[str, Any]]:
    slugs = [d.slug for d in taxonomy.domains]
    for i in range(n):
        action = rng.choice(ACTIONS)
        group = rng.choice(GROUPS)
        org = f"{invented(rng)} {rng.choice(['Association', 'Network', 'Foundation', 'Office'])}"
        summary = (
            f"{action.capitalize()} in {rng.choice(PLACES)} that {rng.choice(VERBS)} {group} with "
            f"{rng.choice(OBJECTS)} and {rng.choice(OBJECTS)}, run by {org} with "
            f"{rng.choice(['volunteers', 'social workers', 'employers', 'teachers', 'lawyers'])}. "
            f"In {rng.randint(2015, 2026)} {rng.choice(RESULTS)} by {rng.randint(5, 60)}%; "
            f"{rng.choice(VERBS)} {rng.choice(GROUPS)} too."
        )
        approved = rng.random() < 0.95
        shared = NOW - timedelta(days=rng.uniform(1, 3 * 365))
        yield {
            "community_id": community_id,
            "author_id": None,
            "status": "approved" if approved else "pending",
            "kind": rng.choice(KIND_WEIGHTS),
            "title": f"{action.capitalize()} for {group} in {rng.choice(CITIES)} ({invented(rng)})",
            "summary": summary,
            "domains": rng.sample(slugs, rng.randint(1, 3)),
            "tags": rng.sample(
                [
                    "volunteers",
                    "youth",
                    "women",
                    "employers",
                    "digital",
                    "rural",
                    "cities",
                    "peer",
                    "data",
                    "rights",
                ],
                rng.randint(0, 3),
            ),
            "country": rng.choice(synthetic.COUNTRIES),
            "city": rng.choice(CITIES),
            "organisation": org,
            "link": f"https://example.org/practice/{i}",
            "created_at": shared,
            "updated_at": shared,
            "approved_at": shared if approved else None,
            "review_by": shared + timedelta(days=365) if approved else None,
            "search_version": 1,
        }


def populate(engine: Engine, taxonomy: Taxonomy, n: int) -> None:
    rng = random.Random(n)
    with session_scope(engine) as session:
        community = repos.get_or_create_community(
            session, CONVERSATION, now=NOW, name="Bench", timezone="UTC", language="en"
        )
        assert community.id is not None
        cid = community.id
    with engine.begin() as conn:
        conn.execute(
            insert(Member),
            [
                {
                    "community_id": cid,
                    "handle": f"m{i}",
                    "languages": [],
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for i in range(MEMBERS)
            ],
        )
        conn.execute(update(Community).where(Community.id == cid).values(practice_version=1))  # type: ignore[arg-type]
        rows = conn.execute(text("SELECT id FROM member WHERE community_id = :c"), {"c": cid})
        member_ids = [r[0] for r in rows]
    batch: list[dict[str, Any]] = []
    for row in practice_rows(n, cid, taxonomy, rng):
        batch.append(row)
        if len(batch) == 5000:
            _flush(engine, batch, member_ids, rng)
            batch = []
    if batch:
        _flush(engine, batch, member_ids, rng)


def _flush(
    engine: Engine, batch: list[dict[str, Any]], member_ids: list[int], rng: random.Random
) -> None:
    with engine.begin() as conn:
        ids = (
            conn.execute(
                insert(Practice).returning(Practice.id, sort_by_parameter_order=True),  # type: ignore[arg-type]
                batch,
            )
            .scalars()
            .all()
        )
        domains = [
            {"practice_id": pid, "domain": slug}
            for pid, row in zip(ids, batch, strict=True)
            for slug in row["domains"]
        ]
        conn.execute(insert(PracticeDomain), domains)
        endorsements = [
            {"practice_id": pid, "member_id": mid, "created_at": NOW}
            for pid, row in zip(ids, batch, strict=True)
            if row["status"] == "approved"
            for mid in rng.sample(member_ids, min(len(member_ids), int(rng.expovariate(0.7))))
        ]
        if endorsements:
            conn.execute(insert(PracticeEndorsement), endorsements)


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(url: str, n: int, rounds: int) -> dict[str, float]:
    engine = make_engine(url)
    upgrade(engine)
    taxonomy = load_taxonomy()
    t0 = time.perf_counter()
    populate(engine, taxonomy, n)
    load_s = time.perf_counter() - t0
    router = Router(engine, build_registry(), Settings(database_url=url), taxonomy, FixedClock(NOW))

    cpu: list[float] = []

    def dispatch(name: str, args: str, who: str = "bench-user") -> tuple[float, Any]:
        start, start_cpu = time.perf_counter(), time.thread_time()
        reply = router.dispatch(Invocation(name, args, Actor(who), CONVERSATION))
        elapsed = (time.perf_counter() - start) * 1000
        cpu.append((time.thread_time() - start_cpu) * 1000)
        assert reply.status is Status.OK, (name, args, reply)
        return elapsed, reply

    cold, _ = dispatch("practices", "housing")
    for query in PAGE_QUERIES:  # warm-up: connections, caches, the first visit of the member
        dispatch("practices", query)
    warm: list[float] = []
    cpu.clear()
    for _ in range(rounds):
        for query in PAGE_QUERIES:
            warm.append(dispatch("practices", query)[0])
    warm_cpu = list(cpu)
    _, top = dispatch("practices", "")
    target = top.data["practices"][0]["id"]
    after_change: list[float] = []
    for i in range(rounds):
        dispatch("endorse", f"{target} undo" if i % 2 else str(target), who="bench-endorser")
        after_change.append(dispatch("practices", "mentoring volunteers")[0])
    engine.dispose()
    return {
        "load_s": load_s,
        "cold_ms": cold,
        "p50": pct(warm, 0.50),
        "p99": pct(warm, 0.99),
        "max": max(warm),
        "mean": statistics.fmean(warm),
        "cpu_p99": pct(warm_cpu, 0.99),
        "change_p50": pct(after_change, 0.50),
        "change_p99": pct(after_change, 0.99),
        "queries": len(warm),
    }


def report(backend: str, n: int, fig: dict[str, float]) -> None:
    print(
        f"{backend:<10} {n:>7,}  load {fig['load_s']:6.1f} s  cold {fig['cold_ms']:7.0f} ms  "
        f"warm p50 {fig['p50']:6.1f}  p99 {fig['p99']:6.1f}  max {fig['max']:6.1f} ms "
        f"(our CPU p99 {fig['cpu_p99']:5.1f})  "
        f"after a change p50 {fig['change_p50']:6.1f}  p99 {fig['change_p99']:6.1f} ms  "
        f"({int(fig['queries'])} queries)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--rounds", type=int, default=30, help="passes over the query mix")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--postgres", default=PG_SERVER, metavar="URL", help="server to use")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    backends: list[tuple[str, Callable[[int], dict[str, float]]]] = []

    def on_sqlite(n: int) -> dict[str, float]:
        with tempfile.TemporaryDirectory(prefix="cop-bot-bench-") as tmp:
            return run(f"sqlite:///{Path(tmp) / 'bench.db'}", n, args.rounds)

    def on_postgres(n: int) -> dict[str, float]:
        with scratch_postgres(args.postgres) as url:
            return run(url, n, args.rounds)

    backends.append(("SQLite", on_sqlite))
    if not args.no_postgres:
        backends.append(("PostgreSQL", on_postgres))
    print(f"/practices through Router.dispatch; {len(PAGE_QUERIES)} queries x {args.rounds} rounds")
    for n in sizes:
        for name, fn in backends:
            report(name, n, fn(n))


if __name__ == "__main__":
    main()
