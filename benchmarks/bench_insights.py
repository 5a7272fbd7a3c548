"""How fast `/insights` answers on a synthetic year (issue 19, "Measured").

10,000 members, 20,000 questions, 5,000 practices and 100,000 command events (member-weeks,
deduplicated as the router writes them). Prints p50/p99 of `insights.counts.compute`, the chart
render time, and the size the activity table holds.

    .venv/bin/python benchmarks/bench_insights.py [--db URL] [--runs 20]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, func, select

from cop_bot.insights import activity
from cop_bot.insights.chart import weekly_png
from cop_bot.insights.counts import compute
from cop_bot.storage.db import make_engine, upgrade
from cop_bot.storage.models import Community, Member, MemberWeek, Practice, Question

NOW = datetime(2027, 12, 1, tzinfo=UTC)


def populate(url: str) -> int:
    engine = make_engine(url)
    rnd = random.Random(19)
    with Session(engine) as session:
        community = Community(platform="console", external_id="bench", name="Bench", created_at=NOW)
        session.add(community)
        session.flush()
        assert community.id is not None
        cid = community.id
        members = [
            Member(
                community_id=cid,
                handle=f"m{i}",
                platform_user_id=f"m{i}",
                is_expert=i % 4 == 0,
                created_at=NOW,
                updated_at=NOW,
            )
            for i in range(10_000)
        ]
        session.add_all(members)
        session.flush()
        ids = [m.id for m in members if m.id is not None]
        for i in range(20_000):
            asked = NOW - timedelta(minutes=rnd.randrange(365 * 24 * 60))
            answered = (
                asked + timedelta(hours=rnd.randrange(1, 400)) if rnd.random() < 0.7 else None
            )
            session.add(
                Question(
                    community_id=cid,
                    channel_id="c",
                    asker_id=rnd.choice(ids),
                    text=f"q{i}",
                    domains=[rnd.choice(["housing", "health", "labour-market"])],
                    status="answered" if answered else "open",
                    created_at=asked,
                    answered_at=answered,
                )
            )
        for i in range(5_000):
            session.add(
                Practice(
                    community_id=cid,
                    title=f"p{i}",
                    summary="s",
                    status="approved",
                    created_at=NOW - timedelta(days=rnd.randrange(365)),
                    updated_at=NOW,
                )
            )
        session.commit()
        for _ in range(100_000):
            activity.record(session, cid, rnd.choice(ids), NOW - timedelta(days=rnd.randrange(365)))
        session.commit()
        rows = session.exec(select(func.count()).select_from(MemberWeek)).one()
        print(f"activity: 100,000 events -> {rows} member-week rows (3 integers/date each)")
    engine.dispose()
    return cid


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    url = args.db or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    cid = populate(url)
    engine = make_engine(url)
    times = []
    found = None
    for _ in range(args.runs):
        with Session(engine) as session:
            start = time.perf_counter()
            found = compute(session, cid, NOW, 365)
            times.append(time.perf_counter() - start)
    times.sort()
    p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
    print(f"/insights period:1y  p50 {statistics.median(times):.3f}s  p99 {p99:.3f}s")
    assert found is not None
    start = time.perf_counter()
    weekly_png(found)
    print(f"chart render {time.perf_counter() - start:.3f}s")


if __name__ == "__main__":
    main()
