"""Digest figures: building one digest for a community of 10k members with 5k items in the
period, and running 1,000 due channels with the platform stubbed (a recording outbox).

    python benchmarks/bench_digests.py [--members 10000] [--items 5000] [--channels 1000] [--postgres]

Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.scratch import PG_SERVER, scratch_postgres
from benchmarks.synthetic import NOW, populate
from cop_bot.core.model import Conversation
from cop_bot.core.outbox import RecordingOutbox
from cop_bot.core.taxonomy import load_taxonomy
from cop_bot.digests.build import Digest, gather, to_reply
from cop_bot.digests.jobs import post_due_digests
from cop_bot.storage.db import make_engine, upgrade
from cop_bot.storage.models import (
    Community,
    DigestSubscription,
    Member,
    Practice,
    PracticeDomain,
    Question,
)

PG_ADMIN = PG_SERVER


def setup(url: str, members: int, items: int, channels: int) -> tuple[float, int]:
    engine = make_engine(url)
    upgrade(engine)
    taxonomy = load_taxonomy()
    t0 = time.perf_counter()
    cid = populate(engine, taxonomy, members, Conversation("console", "bench", "c"))
    rng = random.Random(3)
    slugs = [d.slug for d in taxonomy.domains]
    start = NOW - timedelta(days=7)
    with Session(engine) as session:
        member_ids = list(session.exec(select(Member.id).where(Member.community_id == cid)).all())
        practices, links, questions = [], [], []
        for i in range(items):
            when = start + timedelta(seconds=rng.randint(0, 7 * 86400 - 1))
            domains = rng.sample(slugs, 2)
            practices.append(
                {
                    "id": i + 1,
                    "community_id": cid,
                    "author_id": rng.choice(member_ids),
                    "status": "approved",
                    "kind": "practice",
                    "title": f"Synthetic practice {i}",
                    "summary": "A synthetic summary.",
                    "domains": domains,
                    "tags": [],
                    "created_at": when,
                    "updated_at": when,
                    "approved_at": when,
                    "review_by": when + timedelta(days=365),
                    "search_version": 0,
                }
            )
            links.extend({"practice_id": i + 1, "domain": d} for d in domains)
            if i % 5 == 0:
                questions.append(
                    {
                        "community_id": cid,
                        "channel_id": "c",
                        "asker_id": rng.choice(member_ids),
                        "text": f"Synthetic question {i}?",
                        "domains": domains[:1],
                        "status": "open",
                        "created_at": when,
                    }
                )
        session.execute(insert(Practice), practices)
        session.execute(insert(PracticeDomain), links)
        session.execute(insert(Question), questions)
        session.execute(
            insert(DigestSubscription),
            [
                {
                    "community_id": cid,
                    "channel_id": f"C{i:05d}",
                    "enabled": True,
                    "weekday": NOW.weekday(),
                    "minute_of_day": 8 * 60,
                    "timezone": "UTC",
                    "domains": [slugs[i % len(slugs)]] if i % 2 else [],
                    "skip_empty": False,
                    "created_at": start - timedelta(days=1),
                    "updated_at": start,
                }
                for i in range(channels)
            ],
        )
        session.commit()
    engine.dispose()
    return time.perf_counter() - t0, cid


def measure(url: str, members: int, items: int, channels: int) -> None:
    load, cid = setup(url, members, items, channels)
    engine = make_engine(url)
    taxonomy = load_taxonomy()
    samples = []
    with Session(engine) as session:
        community = session.get(Community, cid)
        assert community is not None
        posted = []

        def build(limit: int | None) -> Digest:
            digest = gather(
                session,
                community,
                channel="C00000",
                start=NOW - timedelta(days=7),
                end=NOW,
                domains=[],
                timezone="UTC",
                language="en",
                taxonomy=taxonomy,
                limit=limit,
            )
            to_reply(digest, "Bench")
            return digest

        for _ in range(5):
            t = time.perf_counter()
            build(5)
            posted.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            digest = build(None)
            samples.append((time.perf_counter() - t) * 1000)
    print(
        f"  setup {load:.1f} s; one digest ({digest.totals['practices']} practices, "
        f"{digest.totals['questions']} questions in period): as posted (top 5 a section) "
        f"median {statistics.median(posted):.0f} ms; with every item (preview JSON) median "
        f"{statistics.median(samples):.0f} ms, max {max(samples):.0f} ms"
    )
    outbox = RecordingOutbox()
    t = time.perf_counter()
    report = post_due_digests(engine, outbox, taxonomy, NOW + timedelta(minutes=5))
    elapsed = time.perf_counter() - t
    print(
        f"  run-due: {len(report.sent)} channels posted in {elapsed:.1f} s "
        f"({elapsed / max(1, len(report.sent)) * 1000:.0f} ms per channel); second run posts "
        f"{len(post_due_digests(engine, outbox, taxonomy, NOW + timedelta(minutes=6)).sent)}"
    )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=5_000)
    parser.add_argument("--channels", type=int, default=1_000)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    print(f"SQLite, {args.members} members, {args.items} items, {args.channels} channels")
    with tempfile.TemporaryDirectory() as tmp:
        measure(f"sqlite:///{tmp}/bench.db", args.members, args.items, args.channels)
    if args.postgres:
        with scratch_postgres(PG_ADMIN) as url:
            print(
                f"PostgreSQL, {args.members} members, {args.items} items, {args.channels} channels"
            )
            measure(url, args.members, args.items, args.channels)


if __name__ == "__main__":
    main()
