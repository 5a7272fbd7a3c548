"""What `/insights` counts. Every figure is a count, a share or a duration: no query here
returns a member's name or handle, so nothing a coordinator sees can single someone out.

"Time to first answer" goes through `first_answer_at`, the one place that knows where a
question's first answer is recorded: the first `/answer`, else when it was marked answered
(an answer given in the thread).
"""

from __future__ import annotations

import re
import statistics
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from cop_bot.answers.rules import first_answers
from cop_bot.core.errors import UsageError
from cop_bot.core.i18n import _
from cop_bot.escalation.rules import MAX_ROUNDS
from cop_bot.insights.activity import week_of
from cop_bot.storage.models import (
    CopGroup,
    GroupMember,
    Meeting,
    Member,
    MemberDomain,
    MemberWeek,
    Practice,
    Question,
)

PERIODS = {"30d": 30, "90d": 90, "1y": 365}
DEFAULT_PERIOD = "30d"
WITHIN = timedelta(days=7)
AGE_BUCKETS = (("under_7_days", 0, 7), ("7_to_30_days", 7, 30), ("over_30_days", 30, None))
_PERIOD = re.compile(r"^\s*(\d{1,4})\s*([dwmy])\s*$", re.IGNORECASE)
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}
MAX_DAYS = 3 * 365


def parse_period(text: str | None) -> int:
    """Days in `period:` (`30d`, `90d`, `1y`; also `12w`, `6m`), 1 to three years."""
    if text is None or not text.strip():
        return PERIODS[DEFAULT_PERIOD]
    m = _PERIOD.match(text)
    days = int(m.group(1)) * _UNIT_DAYS[m.group(2).lower()] if m else 0
    if not 0 < days <= MAX_DAYS:
        raise UsageError(
            _(
                "period is a number of days, weeks, months or years, e.g. `period:90d` or "
                "`period:1y`, not {value}."
            ).format(value=repr(text[:20]))
        )
    return days


class Facts(NamedTuple):
    """What the counts need of a question (loaded as columns, not ORM objects: 20,000 a year)."""

    id: int
    created_at: datetime
    answered_at: datetime | None
    status: str
    escalation_round: int
    domains: list[str]


def first_answer_at(question: Facts, recorded: dict[int, datetime]) -> datetime | None:
    """When `question` got its first answer: its first recorded answer (`recorded`, from
    `answers.rules.first_answers`) or, for one answered in the thread, when it was marked."""
    times = [t for t in (recorded.get(question.id), question.answered_at) if t is not None]
    return min(times) if times else None


@dataclass
class Insights:
    period_days: int
    since: datetime
    group: str | None
    asked: int = 0
    answered: int = 0
    answered_within_7_days: float | None = None
    median_hours_to_first_answer: float | None = None
    open_by_age: dict[str, int] = field(default_factory=dict)
    escalated: int = 0
    needs_a_hand: int = 0
    coverage_gaps: list[str] = field(default_factory=list)
    """Domain slugs asked about in the period with no expert listing them."""
    experts: int = 0
    practices: int = 0
    new_practices: int = 0
    sessions: int = 0
    weekly_active: list[tuple[date, int]] = field(default_factory=list)
    weekly_asked: list[tuple[date, int, int]] = field(default_factory=list)
    """(week, asked, answered) for the chart."""

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["since"] = self.since.isoformat()
        data["weekly_active"] = [
            {"week": w.isoformat(), "members": n} for w, n in self.weekly_active
        ]
        data["weekly_asked"] = [
            {"week": w.isoformat(), "asked": a, "answered": b} for w, a, b in self.weekly_asked
        ]
        return data


def _weeks(since: datetime, now: datetime) -> list[date]:
    first, last = week_of(since), week_of(now)
    out = []
    while first <= last:
        out.append(first)
        first += timedelta(days=7)
    return out


def compute(
    session: Session, community_id: int, now: datetime, days: int, group: CopGroup | None = None
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
    expert_domains = set(
        session.exec(
            select(MemberDomain.domain)
            .join(Member, col(Member.id) == col(MemberDomain.member_id))
            .where(Member.community_id == community_id, col(Member.is_expert))
        ).all()
    )
    asked_domains = {d for q in recent for d in q.domains}
    if scope is not None:
        asked_domains |= scope
    found.coverage_gaps = sorted(asked_domains - expert_domains)
    found.experts = session.exec(
        select(func.count())
        .select_from(Member)
        .where(Member.community_id == community_id, col(Member.is_expert))
    ).one()
    practices = (
        select(func.count())
        .select_from(Practice)
        .where(Practice.community_id == community_id, Practice.status == "approved")
    )
    found.practices = session.exec(practices).one()
    found.new_practices = session.exec(practices.where(Practice.created_at >= since)).one()
    meetings = (
        select(func.count())
        .select_from(Meeting)
        .where(
            Meeting.community_id == community_id,
            Meeting.starts_at >= since,
            Meeting.starts_at <= now,
        )
    )
    if group is not None:
        meetings = meetings.where(Meeting.group_id == group.id)
    found.sessions = session.exec(meetings).one()
    active = select(col(MemberWeek.week), func.count()).where(
        MemberWeek.community_id == community_id, MemberWeek.week >= week_of(since)
    )
    if group is not None:
        active = active.join(
            GroupMember, col(GroupMember.member_id) == col(MemberWeek.member_id)
        ).where(GroupMember.group_id == group.id)
    per_week = dict(session.exec(active.group_by(col(MemberWeek.week))).all())
    weeks = _weeks(since, now)
    found.weekly_active = [(w, int(per_week.get(w, 0))) for w in weeks]
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
