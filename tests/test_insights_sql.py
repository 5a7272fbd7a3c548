"""`/insights` counts in SQL; these tests hold it to the figures that loading every question and
counting in Python gives (tests/insights_reference.py), on SQLite and PostgreSQL, on
communities built to sit on every edge: waits of 7 days give or take a microsecond, open
questions exactly 7 and 30 days old, first answers on the period's first and last instant, weeks
that start at midnight on Monday, instants a microsecond before a whole second (which SQLite's
date functions round up), questions asked after `now`, deleted and erased answers, and medians
of odd and even counts."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from cop_bot.insights.counts import Coverage, compute
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import (
    Answer,
    Community,
    CopGroup,
    GroupMember,
    Member,
    MemberDomain,
    MemberWeek,
    Practice,
    PracticeDomain,
    Question,
)
from tests.insights_reference import compute_in_python

NOW = datetime(2026, 11, 23, 9, 0, 0, 250_000, tzinfo=UTC)  # a Monday
DOMAINS = ("housing", "health", "labour-market", "education")
US = timedelta(microseconds=1)
WITHIN_7 = timedelta(days=7)
LANGUAGES = ([], [], ["ar"], ["fr", "en"], ["ti", "ar"], ["EN"], ["el"])


def _build(engine: Engine, seed: int, questions: int) -> tuple[int, int]:
    """A community of random questions plus the edge cases; (community id, group id)."""
    rnd = random.Random(seed)
    with session_scope(engine) as session:
        community = Community(platform="console", external_id=f"c{seed}", name="C", created_at=NOW)
        session.add(community)
        session.flush()
        assert community.id is not None
        cid = community.id
        # profiles from their own generator, so the questions stay those of the seed
        spoken = random.Random(seed + 1000)
        members = [
            Member(
                community_id=cid,
                handle=f"m{i}",
                is_expert=i % 3 == 0,
                accepts_asks=i % 6 == 0,
                languages=spoken.choice(LANGUAGES),
                locale=spoken.choice((None, "fr", "ar-EG", "de_DE")),
                country=spoken.choice((None, "IT", "FR", "GR", "er")),
                created_at=NOW,
                updated_at=NOW,
            )
            for i in range(30)
        ]
        session.add_all(members)
        session.flush()
        ids = [m.id for m in members if m.id is not None]
        for m in members[::3]:
            assert m.id is not None
            session.add(MemberDomain(member_id=m.id, domain=rnd.choice(DOMAINS[:2])))
        group = CopGroup(
            community_id=cid, slug="g", name="G", domains=["housing", "education"], created_at=NOW
        )
        session.add(group)
        session.flush()
        assert group.id is not None
        # approved practices for two domains; pending and rejected ones do not count
        for status, domains in (
            ("approved", ["housing"]),
            ("approved", ["health", "housing"]),
            ("pending", ["education"]),
            ("rejected", ["labour-market"]),
        ):
            practice = Practice(
                community_id=cid,
                status=status,
                title="p",
                summary="s",
                domains=domains,
                created_at=NOW,
                updated_at=NOW,
            )
            session.add(practice)
            session.flush()
            assert practice.id is not None
            for domain in domains:
                session.add(PracticeDomain(practice_id=practice.id, domain=domain))
        for member_id in ids[:10]:
            session.add(GroupMember(group_id=group.id, member_id=member_id, joined_at=NOW))
        for member_id in ids:
            for week in rnd.sample(range(60), 20):
                monday = (NOW - timedelta(weeks=week)).date()
                session.add(MemberWeek(community_id=cid, member_id=member_id, week=monday))

        def ask(created: datetime, domains: list[str] | None = None, **kw: object) -> Question:
            q = Question(
                community_id=cid,
                channel_id="c",
                asker_id=rnd.choice(ids),
                text="q",
                domains=rnd.sample(DOMAINS, rnd.choice((1, 1, 2))) if domains is None else domains,
                created_at=created,
                **kw,  # type: ignore[arg-type]
            )
            session.add(q)
            session.flush()
            return q

        def answer(q: Question, at: datetime, author: int | None = ids[0], **kw: object) -> None:
            assert q.id is not None
            session.add(
                Answer(question_id=q.id, author_id=author, text="a", created_at=at, **kw)  # type: ignore[arg-type]
            )

        since = NOW - timedelta(days=30)
        edges = [
            NOW - timedelta(days=10),
            NOW - timedelta(days=7),
            NOW - timedelta(days=12) + timedelta(microseconds=749_999),  # at hh:mm:ss.999999
            NOW - timedelta(days=30),
            since,
            since - US,
            NOW,
            NOW + US,
            NOW + timedelta(days=3),
            datetime(2026, 11, 16, 0, 0, tzinfo=UTC),  # a Monday, midnight
            datetime(2026, 11, 15, 23, 59, 59, 999_999, tzinfo=UTC),  # the Sunday before
            datetime(2026, 11, 16, 1, 30, tzinfo=timezone(timedelta(hours=2))),  # Sunday in UTC
        ]
        for created in edges:
            for wait in (WITHIN_7 - US, WITHIN_7, WITHIN_7 + US, timedelta(0), None):
                marked = created + wait if wait is not None else None
                ask(
                    created,
                    status="answered" if marked else "open",
                    answered_at=marked,
                    escalation_round=rnd.choice((0, 0, 1, 2, 3)),
                )
            ask(created, status="open")
            q = ask(created, status="open")
            answer(q, created + WITHIN_7)  # recorded, never marked
            q = ask(created, status="answered", answered_at=created + timedelta(days=9))
            answer(q, created + timedelta(days=2), deleted_at=NOW)  # a deleted answer counts
            answer(q, created + timedelta(days=5), author=None)  # its author was erased
        # first answers on the period's edges, asked long before
        for first in (since, since - US, NOW, NOW + US):
            ask(NOW - timedelta(days=200), status="answered", answered_at=first)
        ask(NOW - timedelta(days=1), status="open", domains=[])
        ask(NOW - timedelta(days=2), status="open", domains=["education", "education"])
        for _ in range(questions):
            created = NOW - timedelta(microseconds=rnd.randrange(400 * 86_400 * 1_000_000))
            roll = rnd.random()
            marked = (
                created + timedelta(microseconds=rnd.randrange(20 * 86_400 * 1_000_000))
                if roll < 0.6
                else None
            )
            q = ask(
                created,
                status="answered" if marked else rnd.choice(("open", "open", "closed")),
                answered_at=marked,
                escalation_round=rnd.choice((0, 0, 0, 1, 2)),
            )
            if rnd.random() < 0.4:
                answer(q, created + timedelta(seconds=rnd.randrange(15 * 86_400)))
                if rnd.random() < 0.3:
                    answer(q, created + timedelta(seconds=rnd.randrange(15 * 86_400)))
        return cid, group.id


def _coverage(
    session: Session, cid: int, days: int, group: CopGroup | None
) -> list[dict[str, object]]:
    """The coverage table counted by hand from every question and expert."""
    since = NOW - timedelta(days=days)
    scope = set(group.domains) if group is not None else None
    asked: dict[str, int] = {}
    for q in session.exec(select(Question).where(Question.community_id == cid)).all():
        if since <= q.created_at <= NOW and (scope is None or scope & set(q.domains)):
            for domain in set(q.domains):
                asked[domain] = asked.get(domain, 0) + 1
    experts: dict[str, int] = {}
    for md in session.exec(
        select(MemberDomain)
        .join(Member)
        .where(Member.community_id == cid, Member.is_expert, Member.accepts_asks)
    ).all():
        experts[md.domain] = experts.get(md.domain, 0) + 1
    return [
        {"domain": d, "questions": asked.get(d, 0), "experts": experts.get(d, 0)}
        for d in sorted(set(asked) | (scope or set()))
    ]


@pytest.mark.parametrize("seed", [1, 2])
def test_sql_counts_equal_python_counts(engine: Engine, seed: int) -> None:
    cid, group_id = _build(engine, seed, questions=150 + seed)
    with session_scope(engine) as session:
        empty = CopGroup(community_id=cid, slug="e", name="E", domains=[], created_at=NOW)
        session.add(empty)
    with Session(engine) as session:
        group = session.get(CopGroup, group_id)
        nothing = session.exec(select(CopGroup).where(CopGroup.slug == "e")).one()
        seen_gaps = 0
        for days in (1, 7, 30, 90, 365):
            for scope in (None, group, nothing):
                sql = compute(session, cid, NOW, days, scope, DOMAINS).as_json()
                python = compute_in_python(session, cid, NOW, days, scope, DOMAINS).as_json()
                assert sql.pop("coverage") == _coverage(session, cid, days, scope)
                python.pop("coverage")  # the Python counting has no coverage table
                assert sql == python, (days, scope)
                seen_gaps += len(sql["language_gaps"]) + len(sql["country_gaps"])
                assert sql["no_practice"] == (
                    ["education", "labour-market"]
                    if scope is None
                    else ["education"][: len(scope.domains)]
                )
        assert seen_gaps  # the profiles leave some askers' languages or countries uncovered
        # and at an instant that is not a round number, with nothing in the period
        later = NOW + timedelta(days=800, microseconds=3)
        assert (
            compute(session, cid, later, 30).as_json()["asked"]
            == compute_in_python(session, cid, later, 30).as_json()["asked"]
            == 0
        )


def test_the_median_of_an_even_and_an_odd_count(engine: Engine) -> None:
    def ask(session: Session, cid: int, asker: int, created: datetime, wait: timedelta) -> None:
        session.add(
            Question(
                community_id=cid,
                channel_id="c",
                asker_id=asker,
                text="q",
                domains=["housing", "housing"],
                status="answered",
                created_at=created,
                answered_at=created + wait,
            )
        )

    with session_scope(engine) as session:
        community = Community(platform="console", external_id="m", name="M", created_at=NOW)
        session.add(community)
        session.flush()
        assert community.id is not None
        cid = community.id
        member = Member(community_id=cid, handle="a", created_at=NOW, updated_at=NOW)
        session.add(member)
        session.flush()
        assert member.id is not None
        asker = member.id
        for hours in (1, 2, 4, 10):
            ask(session, cid, asker, NOW - timedelta(days=2), timedelta(hours=hours))
    with Session(engine) as session:
        even = compute(session, cid, NOW, 30)
        assert even.answered == 4 and even.median_hours_to_first_answer == 3.0
        ask(session, cid, asker, NOW - timedelta(days=1), timedelta(hours=3, minutes=30))
        session.flush()
        odd = compute(session, cid, NOW, 30)
        assert odd.answered == 5 and odd.median_hours_to_first_answer == 3.5
        # a domain named twice in one question counts that question once
        assert odd.coverage == [Coverage("housing", 5, 0)] and odd.coverage_gaps == ["housing"]
