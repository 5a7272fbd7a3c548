"""How long `questions escalate-due` takes, and that it stays exactly once (issue 19).

1,000 open questions four days old over 20 domains, 1,000 experts (50 a domain) who accept
asks: one run claims round 1 of every question, writes its notices and sends them (3 experts
and the asker each: 4,000 messages) to a recording outbox. Then, on PostgreSQL, the same on a
fresh database with two workers at once, each with an engine of its own (two processes' worth
of connections), counting the messages sent twice (must be 0). SQLite is one process's
database: several writers there queue on its file lock.

    .venv/bin/python benchmarks/bench_escalation.py [--db URL] [--questions 1000]

With `--db postgresql+psycopg://…/NAME` the database must exist and be empty; it is reset
between the two parts.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlmodel import Session, SQLModel

from cop_bot.core.outbox import RecordingOutbox
from cop_bot.escalation.jobs import EscalationReport, run_due
from cop_bot.storage.db import make_engine, upgrade
from cop_bot.storage.models import Community, Member, MemberDomain, Question

NOW = datetime(2027, 12, 1, tzinfo=UTC)
DOMAINS = 20


def populate(url: str, questions: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        community = Community(platform="console", external_id="bench", name="B", created_at=NOW)
        session.add(community)
        session.flush()
        assert community.id is not None
        cid = community.id
        people = [
            Member(
                community_id=cid,
                handle=f"e{i}",
                is_expert=i < 1000,
                accepts_asks=i < 1000,
                asks_capacity=50,
                created_at=NOW,
                updated_at=NOW,
            )
            for i in range(1000 + questions)
        ]
        session.add_all(people)
        session.flush()
        for m in people[:1000]:
            assert m.id is not None
            session.add(MemberDomain(member_id=m.id, domain=f"d{m.id % DOMAINS}"))
        for i in range(questions):
            asker = people[1000 + i].id
            assert asker is not None
            session.add(
                Question(
                    community_id=cid,
                    channel_id="c",
                    asker_id=asker,
                    text=f"Question {i}?",
                    domains=[f"d{i % DOMAINS}"],
                    created_at=NOW - timedelta(days=4),
                )
            )
        session.commit()
    engine.dispose()


def reset(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


def one(url: str) -> tuple[float, EscalationReport, int]:
    engine = make_engine(url)
    outbox = RecordingOutbox()
    started = time.perf_counter()
    report = run_due(engine, outbox, NOW)
    took = time.perf_counter() - started
    engine.dispose()
    return took, report, len(outbox.directs)


def two(url: str) -> tuple[float, int, int, int]:
    barrier = threading.Barrier(2)
    outboxes = [RecordingOutbox(), RecordingOutbox()]
    rounds: list[int] = []

    def work(outbox: RecordingOutbox) -> None:
        engine = make_engine(url)
        barrier.wait()
        rounds.append(len(run_due(engine, outbox, NOW).escalated))
        engine.dispose()

    workers = [threading.Thread(target=work, args=(o,)) for o in outboxes]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    took = time.perf_counter() - started
    sent = Counter((d.to.handle, str(d.reply.blocks[0])) for o in outboxes for d in o.directs)
    twice = sum(n - 1 for n in sent.values() if n > 1)
    return took, sum(rounds), sum(sent.values()), twice


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a database URL (default: a temporary SQLite file)")
    parser.add_argument("--questions", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        urls = (
            (args.db, args.db)
            if args.db
            else (f"sqlite:///{folder}/one.db", f"sqlite:///{folder}/two.db")
        )
        reset(urls[0])
        populate(urls[0], args.questions)
        took, report, messages = one(urls[0])
        backend = make_engine(urls[0]).dialect.name
        print(
            f"{backend}: one run escalated {len(report.escalated)} questions and sent "
            f"{messages} messages ({report.sent} counted) in {took:.2f} s "
            f"({len(report.escalated) / took:.0f} questions/s)"
        )
        if backend != "postgresql":
            return
        reset(urls[1])
        populate(urls[1], args.questions)
        took, rounds, messages, twice = two(urls[1])
        print(
            f"{backend}: two workers at once escalated {rounds} questions and sent {messages} "
            f"messages in {took:.2f} s; sent twice: {twice}"
        )


if __name__ == "__main__":
    main()
