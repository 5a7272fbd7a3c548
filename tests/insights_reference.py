"""The `/insights` counts as they were first written: every question of the community loaded
into Python and counted there. Kept as the reference the SQL in `cop_bot.insights.counts` must
agree with (tests/test_insights_sql.py), and as the benchmark's peer (benchmarks/bench_insights.py).
"""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from cop_bot.answers.rules import first_answers
from cop_bot.escalation.rules import MAX_ROUNDS
from cop_bot.insights.activity import week_of
from cop_bot.insights.counts import (
    AGE_BUCKETS,
    MIN_EXPERTS,
    WITHIN,
    CountryGap,
    Insights,
    LanguageGap,
    count_the_rest,
    spoken,
)
from cop_bot.storage.models import (
    CopGroup,
    Member,
    MemberDomain,
    Practice,
    PracticeDomain,
    Question,
)


class Facts(NamedTuple):
    """What the counts need of a question (loaded as columns, not ORM objects: 20,000 a year)."""

    id: int
    created_at: datetime
    answered_at: datetime | None
    status: str
    escalation_round: int
    domains: list[str]
    asker_id: int | None


def first_answer_at(question: Facts, recorded: dict[int, datetime]) -> datetime | None:
    """When `question` got its first answer: its first recorded answer (`recorded`, from
    `answers.rules.first_answers`) or, for one answered in the thread, when it was marked."""
    times = [t for t in (recorded.get(question.id), question.answered_at) if t is not None]
    return min(times) if times else None


def compute_in_python(
    session: Session,
    community_id: int,
    now: datetime,
    days: int,
    group: CopGroup | None = None,
    domains: tuple[str, ...] = (),
) -> Insights:
    since = now - timedelta(days=days)
    found = Insights(period_days=days, since=since, group=group.slug if group else None)
    questions = [
        Facts(*row)
        for row in session.execute(
            sa_select(
                col(Question.id),
                col(Question.created_at),
                col(Question.answered_at),
                col(Question.status),
                col(Question.escalation_round),
                col(Question.domains),
                col(Question.asker_id),
            ).where(col(Question.community_id) == community_id)
        ).all()
    ]
    recorded = first_answers(session, community_id)
    scope = set(group.domains) if group is not None else None
    if scope is not None:
        questions = [q for q in questions if scope & set(q.domains)]
    recent = [q for q in questions if since <= q.created_at <= now]
    found.asked = len(recent)
    waits = []
    for q in recent:
        first = first_answer_at(q, recorded)
        if first is not None and first <= now:
            waits.append(first - q.created_at)
    found.answered = len(waits)
    if recent:
        found.answered_within_7_days = round(sum(w <= WITHIN for w in waits) / len(recent), 3)
    if waits:
        hours = statistics.median(w.total_seconds() / 3600 for w in waits)
        found.median_hours_to_first_answer = round(hours, 1)
    open_now = [q for q in questions if q.status == "open" and q.created_at <= now]
    for key, low, high in AGE_BUCKETS:
        found.open_by_age[key] = sum(
            1
            for q in open_now
            if now - q.created_at >= timedelta(days=low)
            and (high is None or now - q.created_at < timedelta(days=high))
        )
    found.escalated = sum(1 for q in recent if q.escalation_round > 0)
    found.needs_a_hand = sum(1 for q in open_now if q.escalation_round >= MAX_ROUNDS)
    experts: dict[str, int] = {}
    for domain in session.exec(
        select(MemberDomain.domain)
        .join(Member, col(Member.id) == col(MemberDomain.member_id))
        .where(Member.community_id == community_id, col(Member.is_expert), col(Member.accepts_asks))
    ).all():
        experts[domain] = experts.get(domain, 0) + 1
    asked_domains = {d for q in recent for d in q.domains}
    if scope is not None:
        asked_domains |= scope
    found.coverage_gaps = sorted(d for d in asked_domains if experts.get(d, 0) < MIN_EXPERTS)
    asker_ids = {q.asker_id for q in recent}
    expert_languages: set[str] = set()
    expert_countries: set[str] = set()
    languages: dict[str, int] = {}
    countries: dict[str, int] = {}
    for member_id, listed, locale, country, is_expert, accepts_asks in session.execute(
        sa_select(
            col(Member.id),
            col(Member.languages),
            col(Member.locale),
            col(Member.country),
            col(Member.is_expert),
            col(Member.accepts_asks),
        ).where(col(Member.community_id) == community_id)
    ).all():
        codes = spoken(listed, locale)
        if is_expert and accepts_asks:
            expert_languages |= codes
            if country:
                expert_countries.add(country.upper())
        if member_id in asker_ids:
            for code in codes:
                languages[code] = languages.get(code, 0) + 1
            if country:
                countries[country.upper()] = countries.get(country.upper(), 0) + 1
    found.language_gaps = [
        LanguageGap(k, n)
        for k, n in sorted(languages.items(), key=lambda g: (-g[1], g[0]))
        if k not in expert_languages
    ]
    found.country_gaps = [
        CountryGap(k, n)
        for k, n in sorted(countries.items(), key=lambda g: (-g[1], g[0]))
        if k not in expert_countries
    ]
    checked = set(group.domains) if group is not None else set(domains)
    approved = set(
        session.exec(
            select(Practice.id).where(
                Practice.community_id == community_id, Practice.status == "approved"
            )
        ).all()
    )
    practised = {
        domain
        for practice_id, domain in session.exec(
            select(PracticeDomain.practice_id, PracticeDomain.domain)
        ).all()
        if practice_id in approved
    }
    found.no_practice = sorted(checked - practised)
    weeks = count_the_rest(session, found, community_id, since, now, group)
    asked_per = dict.fromkeys(weeks, 0)
    answered_per = dict.fromkeys(weeks, 0)
    for q in recent:
        asked_per[week_of(q.created_at)] = asked_per.get(week_of(q.created_at), 0) + 1
    for q in questions:
        first = first_answer_at(q, recorded)
        if first is not None and since <= first <= now:
            answered_per[week_of(first)] = answered_per.get(week_of(first), 0) + 1
    found.weekly_asked = [(w, asked_per.get(w, 0), answered_per.get(w, 0)) for w in weeks]
    return found
