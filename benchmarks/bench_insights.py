"""How fast `/insights` answers on a synthetic year (issue 19, "Measured"), on SQLite and
PostgreSQL in one run.

The year: 10,000 members (a quarter of them experts in 1-2 of 3 domains), 20,000 questions
(70 % answered, half of those with a recorded `/answer`, a tenth escalated), 5,000 approved
practices, one working group, and 100,000 command events written through
`insights.activity.record`, the router's own path (one member-week row per member and week).

For each backend it prints, interleaved round by round so the figures share the machine's load:
- `/insights period:1y` and `/insights period:1y group:SLUG` through `app.router.dispatch` (the
  path every platform uses: one session and transaction, the role check, the reply), p50/p99;
- the peer: the same figures counted the way they first were, every question of the community
  loaded into Python (`tests/insights_reference.py`), in its own session; and `/help` through
  the router, the fixed cost of any command;
- next to the wall times, the median CPU time of this process (on SQLite that includes the
  database's work, on PostgreSQL not): the steadier figure when the machine is shared;
- the chart render time (first render, with matplotlib's import, and warm);
- the rows and bytes the activity table (with its indexes) holds per 100,000 events.

It checks once that the SQL and the Python counting agree on every figure, and it never fails on
timings.

    .venv/bin/python benchmarks/bench_insights.py [--rounds 30] [--events 100000]
        [--no-postgres] [--postgres URL]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.scratch import PG_SERVER, scratch_postgres
from cop_bot.app import App, build_app
from cop_bot.config import Settings
from cop_bot.core.clock import FixedClock
from cop_bot.core.model import Actor, Invocation, Status
from cop_bot.insights import activity
from cop_bot.insights.chart import weekly_png
from cop_bot.insights.counts import compute
from cop_bot.platforms import console
from cop_bot.storage.models import (
    Answer,
    CopGroup,
    Member,
    MemberDomain,
    MemberWeek,
    Practice,
    Question,
)
from tests.insights_reference import compute_in_python

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2027, 12, 1, tzinfo=UTC)
ADMIN = "bench-admin"
DOMAINS = ("housing", "health", "labour-market")
GROUP = "housing-working-group"
MEMBERS, QUESTIONS, PRACTICES = 10_000, 20_000, 5_000


def invocation(line: str) -> Invocation:
    """The `Invocation` the console platform builds for a typed line."""
    name, _, rest = line.lstrip("/").partition(" ")
    return Invocation(
        name=name, text=rest, actor=Actor(handle=ADMIN), conversation=console.conversation(),
        raw=line,
    )  # fmt: skip


def populate(engine: Engine, cid: int, events: int) -> None:
    """The synthetic year, in the community the admin's first command created."""
    rnd = random.Random(19)
    with Session(engine) as session:
        members = [
            Member(
                community_id=cid,
                handle=f"m{i}",
                platform_user_id=f"m{i}",
                is_expert=i % 4 == 0,
                accepts_asks=i % 8 == 0,
                created_at=NOW - timedelta(days=400),
                updated_at=NOW,
            )
            for i in range(MEMBERS)
        ]
        session.add_all(members)
        session.flush()
        ids = [m.id for m in members if m.id is not None]
        for m in members:
            if m.is_expert and m.id is not None:
                for domain in rnd.sample(DOMAINS, rnd.choice((1, 2))):
                    session.add(MemberDomain(member_id=m.id, domain=domain))
        questions = []
        for i in range(QUESTIONS):
            asked = NOW - timedelta(minutes=rnd.randrange(365 * 24 * 60))
            answered = (
                asked + timedelta(hours=rnd.randrange(1, 400)) if rnd.random() < 0.7 else None
            )
            escalated = rnd.random() < 0.1
            question = Question(
                community_id=cid,
                channel_id="c",
                asker_id=rnd.choice(ids),
                text=f"q{i}",
                domains=rnd.sample(DOMAINS, rnd.choice((1, 1, 2))),
                status="answered" if answered else "open",
                created_at=asked,
                answered_at=answered,
                escalation_round=rnd.choice((1, 2)) if escalated else 0,
            )
            questions.append(question)
        session.add_all(questions)
        session.flush()
        for q in questions:
            if q.answered_at is not None and q.id is not None and rnd.random() < 0.5:
                at = q.created_at + (q.answered_at - q.created_at) * rnd.random()
                session.add(
                    Answer(question_id=q.id, author_id=rnd.choice(ids), text="a", created_at=at)
                )
        for i in range(PRACTICES):
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
        session.add(
            CopGroup(
                community_id=cid, slug=GROUP, name="Housing", domains=["housing"], created_at=NOW
            )
        )
        session.commit()
        for _ in range(events):
            activity.record(session, cid, rnd.choice(ids), NOW - timedelta(days=rnd.randrange(365)))
        session.commit()


def activity_size(engine: Engine) -> tuple[int, int, int]:
    """(rows, table bytes, index bytes) of member_week."""
    with Session(engine) as session:
        rows = session.exec(select(func.count()).select_from(MemberWeek)).one()
        if engine.dialect.name == "postgresql":
            table, total = session.execute(
                text(
                    "SELECT pg_relation_size('member_week'), pg_total_relation_size('member_week')"
                )
            ).one()
            return rows, int(table), int(total) - int(table)
        # SQLite: the pages of the table and of its indexes (the primary key's included),
        # from the dbstat virtual table
        sizes = dict(
            session.execute(
                text(
                    "SELECT name, SUM(pgsize) FROM dbstat "
                    "WHERE name IN (SELECT name FROM sqlite_master WHERE tbl_name = 'member_week') "
                    "GROUP BY name"
                )
            ).all()
        )
        table = int(sizes.pop("member_week", 0))
        return rows, table, sum(int(v) for v in sizes.values())


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    rank = max(1, round(pct / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def line(label: str, seconds: list[tuple[float, float]]) -> str:
    ms = sorted(wall * 1000 for wall, _cpu in seconds)
    cpu = statistics.median(cpu * 1000 for _wall, cpu in seconds)
    return (
        f"  {label:<46}{percentile(ms, 50):>9.1f}{percentile(ms, 99):>9.1f}"
        f"{min(ms):>9.1f}{max(ms):>9.1f}{cpu:>9.1f}"
    )


def timed(run: Callable[[], object]) -> float:
    return timed_cpu(run)[0]


def timed_cpu(run: Callable[[], object]) -> tuple[float, float]:
    """(wall, this process's CPU) seconds: the CPU time is the steadier figure on a loaded
    machine, and on SQLite it includes the database's work (in-process), on PostgreSQL not."""
    start, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - start, time.process_time() - cpu


def bench(app: App, label: str, rounds: int, events: int) -> None:
    started = time.perf_counter()
    first = app.router.dispatch(invocation("/help"))
    assert first.status is Status.OK
    cid = _community(app)
    populate(app.engine, cid, events)
    print(f"{label}: synthetic year written in {time.perf_counter() - started:.1f} s")
    rows, table, indexes = activity_size(app.engine)
    per = 100_000 / events
    print(
        f"  activity: {events:,} command events -> {rows:,} member-week rows; "
        f"{table * per / 1e6:.2f} MB table + {indexes * per / 1e6:.2f} MB indexes "
        f"per 100,000 events ({(table + indexes) / max(rows, 1):.0f} bytes a row)"
    )
    with Session(app.engine) as session:
        group = session.exec(select(CopGroup).where(CopGroup.slug == GROUP)).one()
        for scope in (None, group):
            sql = compute(session, cid, NOW, 365, scope).as_json()
            python = compute_in_python(session, cid, NOW, 365, scope).as_json()
            sql.pop("coverage")
            python.pop("coverage")
            assert sql == python, "SQL and Python counting disagree"
    print("  every figure of the SQL counting equals the Python counting (whole year, and group)")

    def python_counting() -> None:
        with Session(app.engine) as session:
            compute_in_python(session, cid, NOW, 365)

    cases: dict[str, Callable[[], object]] = {
        "/insights period:1y (dispatch)": lambda: app.router.dispatch(
            invocation("/insights period:1y")
        ),
        f"/insights period:1y group:{GROUP}": lambda: app.router.dispatch(
            invocation(f"/insights period:1y group:{GROUP}")
        ),
        "/insights period:30d": lambda: app.router.dispatch(invocation("/insights")),
        "peer: the same counts in Python (old way)": python_counting,
        "peer: /help (dispatch)": lambda: app.router.dispatch(invocation("/help")),
    }
    for run in cases.values():  # warm-up: statement caches, connections
        run()
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, run in cases.items():
            times[name].append(timed_cpu(run))
    print(
        f"  {rounds} rounds, interleaved{'ms: p50':>33}{'p99':>9}{'min':>9}{'max':>9}{'CPU p50':>9}"
    )
    for name, seconds in times.items():
        print(line(name, seconds))
    reply = app.router.dispatch(invocation("/insights period:1y"))
    assert reply.status is Status.OK
    with Session(app.engine) as session:
        found = compute(session, cid, NOW, 365)
    cold = timed(lambda: weekly_png(found))
    warm = sorted(timed(lambda: weekly_png(found)) for _ in range(5))
    print(
        f"  chart render (53 weeks): first {cold:.2f} s (with matplotlib's import), "
        f"then median {statistics.median(warm):.2f} s, max {warm[-1]:.2f} s "
        f"({len(weekly_png(found)):,} bytes)"
    )


def _community(app: App) -> int:
    with Session(app.engine) as session:
        admin = session.exec(select(Member).where(Member.handle == ADMIN)).one()
        return admin.community_id


def make_app(url: str) -> App:
    settings = Settings(
        database_url=url,
        auto_migrate=True,
        admins=(ADMIN,),
        taxonomy_path=str(REPO / "config" / "taxonomy.yaml"),
    )
    return build_app(settings, clock=FixedClock(NOW))


def run_sqlite(rounds: int, events: int) -> None:
    with tempfile.TemporaryDirectory(prefix="cop-bot-bench-") as tmp:
        app = make_app(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            bench(app, "SQLite (file, WAL)", rounds, events)
        finally:
            app.engine.dispose()


def run_postgres(server_url: str, rounds: int, events: int) -> None:
    with scratch_postgres(server_url) as url:
        app = make_app(url)
        try:
            shown = make_url(url).render_as_string(hide_password=True)
            bench(app, f"PostgreSQL ({shown})", rounds, events)
        finally:
            app.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark /insights on a synthetic year.")
    parser.add_argument("--rounds", type=int, default=30, help="timed runs of each case")
    parser.add_argument("--events", type=int, default=100_000, help="command events to record")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--postgres", default=PG_SERVER, metavar="URL", help=f"server (default {PG_SERVER})"
    )
    args = parser.parse_args()
    run_sqlite(args.rounds, args.events)
    if not args.no_postgres:
        print()
        run_postgres(args.postgres, args.rounds, args.events)


if __name__ == "__main__":
    main()
