"""What `/insights` counts. Every figure is a count, a share or a duration: no query here
returns a member's name or handle, so nothing a coordinator sees can single someone out.

The counting happens in the database (aggregates and GROUP BY), so a year of a large community
costs a few small result sets, not 20,000 questions loaded into Python. Durations are compared
in whole microseconds on both backends, so the shares and the median are exactly what counting
the rows in Python gives (tests/test_insights_sql.py holds the two side by side). "Time to first
answer" goes through `answers.rules.first_answer_sql`, the one place that knows where a
question's first answer is recorded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    Integer,
    String,
    case,
    cast,
    exists,
    false,
    func,
)
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import array as pg_array
from sqlmodel import Session, col, select

from cop_bot.answers.rules import first_answer_sql
from cop_bot.core.errors import UsageError
from cop_bot.core.i18n import _
from cop_bot.escalation.rules import MAX_ROUNDS
from cop_bot.insights.activity import week_of
from cop_bot.storage.models import (
    Answer,
    CopGroup,
    GroupMember,
    Meeting,
    Member,
    MemberDomain,
    MemberWeek,
    Practice,
    PracticeDomain,
    Question,
)

PERIODS = {"30d": 30, "90d": 90, "1y": 365}
DEFAULT_PERIOD = "30d"
WITHIN = timedelta(days=7)
ASKED_FIGURES = ("asked", "answered", "within", "escalated")
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


MIN_EXPERTS = 2
"""A domain asked about with fewer experts who accept asks than this is a coverage gap: one
expert on leave leaves its askers with nobody."""


@dataclass(frozen=True)
class Coverage:
    """One row of the coverage table: a domain asked about in the period (or one of the group's
    domains), how many questions in the period named it, and how many experts who accept asks
    list it."""

    domain: str
    questions: int
    experts: int


@dataclass(frozen=True)
class LanguageGap:
    """A language askers in the period speak that no expert who accepts asks speaks, and how
    many of those askers there are (a count: never who)."""

    language: str
    askers: int


@dataclass(frozen=True)
class CountryGap:
    """A country askers in the period live in where no expert who accepts asks lives."""

    country: str
    askers: int


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
    coverage: list[Coverage] = field(default_factory=list)
    coverage_gaps: list[str] = field(default_factory=list)
    """Domain slugs asked about in the period with fewer than `MIN_EXPERTS` experts who accept
    asks."""
    language_gaps: list[LanguageGap] = field(default_factory=list)
    """Askers' languages no expert who accepts asks speaks, the most askers first."""
    country_gaps: list[CountryGap] = field(default_factory=list)
    """Askers' countries with no expert who accepts asks, the most askers first."""
    no_practice: list[str] = field(default_factory=list)
    """Domain slugs (the group's, or the taxonomy's) with no approved practice."""
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


@dataclass(frozen=True)
class _Sql:
    """The few expressions SQLite and PostgreSQL spell differently."""

    dialect: str

    def micros(self, later: Any, earlier: Any) -> ColumnElement[int]:
        """`later - earlier` in whole microseconds (exact: julianday() floats are not)."""
        if self.dialect == "postgresql":
            return cast(func.extract("epoch", later - earlier) * 1_000_000, BigInteger)
        # SQLAlchemy stores 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC). SQLite's date functions read
        # the fraction to the millisecond, rounded (23:59:59.9996 is the next day), so they are
        # given the whole seconds only, and the microseconds are added as an integer
        seconds = cast(func.strftime("%s", func.substr(later, 1, 19)), Integer) - cast(
            func.strftime("%s", func.substr(earlier, 1, 19)), Integer
        )
        fraction = cast(func.substr(later, 21, 6), Integer) - cast(
            func.substr(earlier, 21, 6), Integer
        )
        return seconds * 1_000_000 + fraction

    def week(self, instant: Any) -> ColumnElement[Any]:
        """The Monday (UTC) of `instant`'s week, as `activity.week_of` computes it."""
        if self.dialect == "postgresql":
            return cast(func.date_trunc("week", func.timezone("UTC", instant)), Date)
        return func.date(func.substr(instant, 1, 10), "weekday 0", "-6 days")  # see micros

    def names_any(self, json_list: Any, values: Collection[str]) -> ColumnElement[bool]:
        """Whether a JSON list of strings holds any of `values` (a group's domains)."""
        if not values:
            return false()  # PostgreSQL cannot type an empty ARRAY[]
        if self.dialect == "postgresql":
            # jsonb's ?| is in C; expanding the list row by row cost four times as much
            has_any: ColumnElement[bool] = cast(json_list, JSONB).has_any(pg_array(list(values)))
            return has_any
        elements = func.json_each(json_list).table_valued("value")
        return exists().select_from(elements).where(elements.c.value.in_(list(values)))


def _as_date(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _micros(delta: timedelta) -> int:
    return delta // timedelta(microseconds=1)


@dataclass
class _Questions:
    """The question-side figures, computed by the database over one derived table: the
    community's questions (in the group's domains) with their first answer and wait."""

    sql: _Sql
    community_id: int
    since: datetime
    now: datetime
    scope: Collection[str] | None

    def __post_init__(self) -> None:
        # a LEFT JOIN to the answer table itself, grouped, not to a grouped subquery: the
        # planner then has an index to use, with or without table statistics (PostgreSQL
        # without them nested-looped over the subquery for 20 s right after a bulk load)
        grouped = (
            sa_select(
                col(Question.id),
                col(Question.created_at),
                col(Question.answered_at),
                col(Question.status),
                col(Question.escalation_round),
                func.min(Answer.created_at).label("recorded"),
            )
            .outerjoin(Answer, col(Answer.question_id) == col(Question.id))
            .where(*self._in_scope())
            .group_by(col(Question.id))  # the other columns depend on it (both backends)
            .subquery("asked")
        )
        first = first_answer_sql(grouped.c.recorded, grouped.c.answered_at)
        self.facts = sa_select(
            grouped.c.created_at,
            grouped.c.status,
            grouped.c.escalation_round,
            first.label("first"),
        ).subquery("facts")

    def _wait(self) -> ColumnElement[int]:
        """Microseconds from asking to the first answer (only where a query needs it)."""
        return self.sql.micros(self.facts.c.first, self.facts.c.created_at)

    def _in_scope(self) -> list[Any]:
        out = [col(Question.community_id) == self.community_id]
        if self.scope is not None:
            out.append(self.sql.names_any(col(Question.domains), self.scope))
        return out

    def _recent(self) -> Any:
        created = self.facts.c.created_at
        return (created >= self.since) & (created <= self.now)

    def _answered(self) -> Any:
        return self._recent() & (self.facts.c.first <= self.now)

    def weekly(self, session: Session) -> tuple[dict[date, dict[str, int]], dict[date, int]]:
        """In one pass over the questions: {week asked: {asked, answered, within (7 days),
        escalated}} for the period, and {week of the first answer: questions} for first answers
        in the period, whenever asked. Grouped by both weeks: a few hundred rows at most
        (answers come within weeks), however many questions."""
        q = self.facts.c
        recent = self._recent()
        answered = recent & (q.first <= self.now)
        answered_in_period = (q.first >= self.since) & (q.first <= self.now)
        asked_week = self.sql.week(q.created_at).label("asked_week")
        answered_week = self.sql.week(q.first).label("answered_week")
        figures = {
            "asked": _count(recent),
            "answered": _count(answered),
            "within": _count(answered & (self._wait() <= _micros(WITHIN))),
            "escalated": _count(recent & (q.escalation_round > 0)),
        }
        rows = session.execute(
            sa_select(
                asked_week,
                answered_week,
                *(v.label(k) for k, v in figures.items()),
                _count(answered_in_period).label("answered_in_period"),
            )
            .where(recent | answered_in_period)
            .group_by(asked_week, answered_week)
        ).all()
        asked: dict[date, dict[str, int]] = {}
        answers: dict[date, int] = {}
        for row in rows:
            if row.asked:
                week = asked.setdefault(_as_date(row.asked_week), dict.fromkeys(figures, 0))
                for key in figures:
                    week[key] += int(row._mapping[key])
            if row.answered_in_period:
                first = _as_date(row.answered_week)
                answers[first] = answers.get(first, 0) + int(row.answered_in_period)
        return asked, answers

    def open_now(self, session: Session) -> dict[str, int]:
        """Open questions by age and those needing a hand: the question table alone."""
        created = col(Question.created_at)
        figures = {"needs_a_hand": _count(col(Question.escalation_round) >= MAX_ROUNDS)}
        for key, low, high in AGE_BUCKETS:
            bucket = created <= self.now - timedelta(days=low)
            if high is not None:
                bucket = bucket & (created > self.now - timedelta(days=high))
            figures[key] = _count(bucket)
        row = session.execute(
            sa_select(*(v.label(k) for k, v in figures.items())).where(
                *self._in_scope(), col(Question.status) == "open", created <= self.now
            )
        ).one()
        return {k: int(row._mapping[k]) for k in figures}

    def median_hours(self, session: Session, answered: int) -> float | None:
        """The median wait from the one or two middle rows of the sorted waits."""
        if not answered:
            return None
        wait = self._wait().label("wait")
        middle = session.execute(
            sa_select(wait)
            .where(self._answered())
            .order_by(wait)
            .limit(2 - answered % 2)
            .offset((answered - 1) // 2)
        ).scalars()
        hours = [int(micros) / 1_000_000 / 3600 for micros in middle]
        return round(sum(hours) / len(hours), 1)

    def asked_per_domain(self, session: Session) -> dict[str, int]:
        """{domain: questions in the period naming it}, from the questions counted per list of
        domains: a few dozen distinct lists, where expanding every question's JSON list in SQL
        made PostgreSQL estimate 100 rows a list and JIT-compile the query."""
        created = col(Question.created_at)
        listed = cast(col(Question.domains), String)
        rows = session.execute(
            sa_select(listed, func.count())
            .where(*self._in_scope(), created >= self.since, created <= self.now)
            .group_by(listed)
        ).all()
        out: dict[str, int] = {}
        for text, n in rows:
            for domain in set(json.loads(text)):
                out[domain] = out.get(domain, 0) + int(n)
        return out


def spoken(languages: Collection[str], locale: str | None) -> set[str]:
    """The languages a member speaks: those in their profile or, when they listed none, the one
    they read the bot in (`fr` of `fr-CA`), which an asker at least reads."""
    if languages:
        return {str(code).lower() for code in languages}
    if locale:
        return {re.split(r"[-_]", locale, maxsplit=1)[0].lower()}
    return set()


PROFILE = (cast(col(Member.languages), String), col(Member.locale), col(Member.country))
"""What the language and country gaps read of a member: never a name or an id."""


def _profiles(session: Session, query: Any) -> list[tuple[set[str], str | None, int]]:
    """(languages spoken, country, members) from `query`'s rows of (`PROFILE`, members),
    counted by the database per distinct profile: a few hundred rows at most, however many
    members."""
    return [
        (spoken(json.loads(text) if text else [], locale), country.upper() if country else None, n)
        for text, locale, country, n in session.execute(query).all()
    ]


def people_gaps(
    askers: list[tuple[set[str], str | None, int]],
    experts: list[tuple[set[str], str | None, int]],
) -> tuple[list[LanguageGap], list[CountryGap]]:
    """The askers' languages and countries no expert speaks or lives in, with how many askers,
    the most askers first (askers who gave no language or country are not counted there). The
    experts are all of the community's who accept asks, in a group's view too: one who speaks
    Tigrinya can answer a housing question in it, or pass it on."""
    languages: dict[str, int] = {}
    countries: dict[str, int] = {}
    for codes, country, n in askers:
        for code in codes:
            languages[code] = languages.get(code, 0) + int(n)
        if country:
            countries[country] = countries.get(country, 0) + int(n)
    spoken_by_experts = {code for codes, _country, _n in experts for code in codes}
    expert_countries = {country for _codes, country, _n in experts if country}

    def worst(counted: dict[str, int], covered: set[str]) -> list[tuple[str, int]]:
        return sorted(
            ((k, n) for k, n in counted.items() if k not in covered), key=lambda g: (-g[1], g[0])
        )

    return (
        [LanguageGap(k, n) for k, n in worst(languages, spoken_by_experts)],
        [CountryGap(k, n) for k, n in worst(countries, expert_countries)],
    )


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def count_the_rest(
    session: Session,
    found: Insights,
    community_id: int,
    since: datetime,
    now: datetime,
    group: CopGroup | None,
) -> list[date]:
    """The figures that are one aggregate each (experts, practices, sessions held, members
    active a week), shared with the tests' reference counting, which re-counts only the
    questions; returns the period's weeks."""
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
    active_per = dict(session.exec(active.group_by(col(MemberWeek.week))).all())
    weeks = _weeks(since, now)
    found.weekly_active = [(w, int(active_per.get(w, 0))) for w in weeks]
    return weeks


def compute(
    session: Session,
    community_id: int,
    now: datetime,
    days: int,
    group: CopGroup | None = None,
    domains: Collection[str] = (),
) -> Insights:
    """The figures for the `days` before `now`. `domains` (the taxonomy's slugs) are the ones
    checked for an approved practice; a group's view checks the group's domains instead."""
    since = now - timedelta(days=days)
    found = Insights(period_days=days, since=since, group=group.slug if group else None)
    scope = set(group.domains) if group is not None else None
    sql = _Sql(session.get_bind().dialect.name)
    questions = _Questions(sql, community_id, since, now, scope)
    per_week, answered_per = questions.weekly(session)
    totals = {key: sum(week[key] for week in per_week.values()) for key in ASKED_FIGURES}
    found.asked = totals["asked"]
    found.answered = totals["answered"]
    if found.asked:
        found.answered_within_7_days = round(totals["within"] / found.asked, 3)
    found.median_hours_to_first_answer = questions.median_hours(session, found.answered)
    found.escalated = totals["escalated"]
    waiting = questions.open_now(session)
    found.open_by_age = {key: waiting[key] for key, _low, _high in AGE_BUCKETS}
    found.needs_a_hand = waiting["needs_a_hand"]
    experts_per_domain: dict[str, int] = {
        str(d): int(n)
        for d, n in session.exec(
            select(MemberDomain.domain, func.count())
            .join(Member, col(Member.id) == col(MemberDomain.member_id))
            .where(
                Member.community_id == community_id,
                col(Member.is_expert),
                col(Member.accepts_asks),
            )
            .group_by(col(MemberDomain.domain))
        ).all()
    }
    asked_per_domain = questions.asked_per_domain(session)
    asked_domains = set(asked_per_domain) | (scope or set())
    found.coverage = [
        Coverage(d, asked_per_domain.get(d, 0), experts_per_domain.get(d, 0))
        for d in sorted(asked_domains)
    ]
    found.coverage_gaps = [c.domain for c in found.coverage if c.experts < MIN_EXPERTS]
    created = col(Question.created_at)
    # the period's distinct askers, then their profiles by the member's primary key, the one
    # index the planner can use without statistics: `member.id IN (askers)` nested-looped over
    # 10,000 members x 8,000 questions for 45 s on PostgreSQL right after a bulk load; this
    # takes 30-40 ms there and on SQLite (joining every question, then counting distinct
    # members, 50-90 ms)
    asked_by = (
        sa_select(col(Question.asker_id).label("id"))
        .where(*questions._in_scope(), created >= since, created <= now)
        .distinct()
        .subquery("askers")
    )
    askers = (
        sa_select(*PROFILE, func.count())
        .select_from(asked_by)
        .join(Member, col(Member.id) == asked_by.c.id)
        .group_by(*PROFILE)
    )
    experts = (
        sa_select(*PROFILE, func.count())
        .where(
            col(Member.community_id) == community_id,
            col(Member.is_expert),
            col(Member.accepts_asks),
        )
        .group_by(*PROFILE)
    )
    found.language_gaps, found.country_gaps = people_gaps(
        _profiles(session, askers), _profiles(session, experts)
    )
    checked = set(group.domains) if group is not None else set(domains)
    practised = set(
        session.exec(
            select(PracticeDomain.domain)
            .distinct()
            .join(Practice, col(Practice.id) == col(PracticeDomain.practice_id))
            .where(
                Practice.community_id == community_id,
                Practice.status == "approved",
                col(PracticeDomain.domain).in_(sorted(checked)),
            )
        ).all()
    )
    found.no_practice = sorted(checked - practised)
    weeks = count_the_rest(session, found, community_id, since, now, group)
    found.weekly_asked = [
        (w, per_week[w]["asked"] if w in per_week else 0, answered_per.get(w, 0)) for w in weeks
    ]
    return found
