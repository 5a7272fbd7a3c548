"""What a digest says: data gathered for one period (`gather`), then a `Reply` (`to_reply`).

Only aggregate counts appear in the "pulse": no individual activity is tracked or shown.
A group's digest (`/digest on … group:SLUG`) has its own sections (`GROUP_SECTIONS`): the
group's upcoming sessions, practices its members shared or tagged with its domains, open
questions its members asked, and who joined. Privacy: a closed group's member names (new
members, who shared, who asked) appear only when the digest goes to the group's own channel;
anywhere else it gives counts only, since a closed group's member list is for its members.
Sections are omitted when empty; long sections show their top items and "and N more" with the
command that lists everything, keeping within Slack's 50 blocks and 3,000 characters a section.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from cop_bot.core import i18n
from cop_bot.core.i18n import N_, _, n_
from cop_bot.core.model import Block, Code, Context, Header, Item, Link, Reply, Text, reply, spans
from cop_bot.core.taxonomy import Taxonomy
from cop_bot.core.times import show_date, show_datetime, show_period
from cop_bot.core.wording import phrase
from cop_bot.escalation.rules import MAX_ROUNDS
from cop_bot.experts.profiles import country_name
from cop_bot.groups import rules as group_rules
from cop_bot.library.tokens import practice_urls
from cop_bot.practices.review import APPROVED
from cop_bot.sessions import meetings
from cop_bot.storage import repos
from cop_bot.storage.models import (
    Community,
    CopGroup,
    GroupMember,
    Meeting,
    Member,
    MemberDomain,
    Practice,
    PracticeDomain,
    PracticeEndorsement,
    Question,
)

TOP = 5
SECTIONS = ("practices", "experts", "sessions", "needs_hand", "questions", "review")
GROUP_SECTIONS = ("sessions", "practices", "questions", "members")
TITLES: dict[str, str] = {
    "members": N_("New members"),
    "practices": N_("New practices and resources"),
    "experts": N_("New experts"),
    "sessions": N_("Upcoming sessions"),
    "needs_hand": N_("Needs a hand"),
    "questions": N_("Open questions"),
    "review": N_("Needs review"),
}
"""Each section's heading, in the digest's language (`to_reply` writes under `i18n.using`)."""
PULSE: dict[str, str] = {
    "members": N_("members"),
    "experts": N_("experts"),
    "countries": N_("countries"),
    "practices": N_("practices"),
    "sessions_held": N_("sessions held"),
}
"""The pulse's counts, as `members: 12 (+2)`."""
LIST_COMMANDS = {
    "practices": "/practices",
    "experts": "/find-expert DOMAIN",
    "sessions": "/sessions all",
    "needs_hand": "/questions",
    "questions": "/questions",
    "review": "/practices stale",
}
GROUP_LIST_COMMANDS = {
    "practices": "/practices group:{slug}",
    "sessions": "/sessions group:{slug}",
    "questions": "/questions",
    "members": "/group {slug}",
}


@dataclass
class Digest:
    channel: str
    period_start: datetime
    period_end: datetime
    timezone: str
    language: str
    domains: list[str]
    sections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    pulse: dict[str, dict[str, int]] = field(default_factory=dict)
    group: dict[str, Any] | None = None
    """A group digest's group: `{slug, name, names_shown}`."""

    @property
    def section_names(self) -> tuple[str, ...]:
        return GROUP_SECTIONS if self.group is not None else SECTIONS

    @property
    def empty(self) -> bool:
        return not any(self.totals.get(name) for name in self.section_names)

    def list_command(self, name: str) -> str:
        if self.group is not None:
            return GROUP_LIST_COMMANDS[name].format(slug=self.group["slug"])
        return LIST_COMMANDS[name]

    def as_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "period": {"start": self.period_start.isoformat(), "end": self.period_end.isoformat()},
            "sections": {
                **{name: self.sections.get(name, []) for name in self.section_names},
                "pulse": self.pulse,
            },
        } | ({"group": self.group} if self.group is not None else {})


def _in_domains(item_domains: list[str] | set[str], wanted: list[str]) -> bool:
    return not wanted or bool(set(item_domains) & set(wanted))


@dataclass(frozen=True)
class _Scope:
    """What every section's query is narrowed by."""

    session: Session
    community_id: int
    start: datetime
    end: datetime
    domains: list[str]
    limit: int | None
    taxonomy: Taxonomy
    language: str
    practice_filter: tuple[Any, ...] = ()
    """More conditions on practices (a group digest's: shared by its members or in its domains)."""

    def label(self, slug: str) -> str:
        return self.taxonomy.label(slug, self.language)

    def top(self, query: Any) -> Any:
        return query.limit(self.limit) if self.limit else query

    def count(self, table: Any, where: list[Any]) -> int:
        return int(self.session.exec(select(func.count()).select_from(table).where(*where)).one())

    def in_practice_domains(self) -> list[Any]:
        if not self.domains:
            return list(self.practice_filter)
        return [
            *self.practice_filter,
            col(Practice.id).in_(
                select(PracticeDomain.practice_id).where(
                    col(PracticeDomain.domain).in_(self.domains)
                )
            ),
        ]


Section = tuple[int, list[dict[str, Any]]]
"""A section's exact total, and its (top) items."""


def gather(
    session: Session,
    community: Community,
    *,
    channel: str,
    start: datetime,
    end: datetime,
    domains: list[str],
    timezone: str,
    language: str,
    taxonomy: Taxonomy,
    limit: int | None = None,
    cache: dict[tuple[Any, ...], Any] | None = None,
    public_url: str | None = None,
    group: CopGroup | None = None,
) -> Digest:
    """The digest's data. With `limit`, each section keeps only its top items (the totals are
    always exact): the filtering, ordering and counting happen in SQL, so a busy week with
    thousands of items costs a few small queries. `cache` holds the parts that are the same
    for every channel of a community (open questions, the pulse). With `group`, the digest is
    that group's week (`gather_group`)."""
    assert community.id is not None
    if group is not None:
        return gather_group(
            session,
            community,
            group,
            channel=channel,
            start=start,
            end=end,
            domains=domains,
            timezone=timezone,
            language=language,
            taxonomy=taxonomy,
            limit=limit,
            cache=cache,
        )
    scope = _Scope(session, community.id, start, end, list(domains), limit, taxonomy, language)
    digest = Digest(channel, start, end, timezone, language, list(domains))
    upcoming = upcoming_sessions(session, community, channel, end, timezone, domains)
    helpless = needs_a_hand(scope, channel)
    sections: dict[str, Section] = {
        "practices": _new_practices(scope),
        "experts": _new_experts(scope),
        "sessions": (len(upcoming), upcoming[:limit] if limit else upcoming),
        "needs_hand": (len(helpless), helpless[:limit] if limit else helpless),
        "questions": _open_questions(scope, cache, shown={q["id"] for q in helpless}),
        "review": _needs_review(scope),
    }
    web = practice_urls(session, community, public_url)
    if web is not None:  # each new practice links to its page on the web library
        for row in sections["practices"][1]:
            row["url"] = web(row["id"], row["title"])
    for name, (total, items) in sections.items():
        digest.totals[name] = total
        digest.sections[name] = items
    digest.pulse = _cached(
        cache,
        ("pulse", community.id, start, end),
        lambda: pulse(session, scope.community_id, start, end),
    )
    return digest


def _cached(
    cache: dict[tuple[Any, ...], Any] | None, key: tuple[Any, ...], make: Callable[[], Any]
) -> Any:
    if cache is not None and key in cache:
        return cache[key]
    value = make()
    if cache is not None:
        cache[key] = value
    return value


def _new_practices(scope: _Scope) -> Section:
    """Approved in the period, most endorsed first."""
    where: list[Any] = [
        Practice.community_id == scope.community_id,
        Practice.status == APPROVED,
        col(Practice.approved_at) >= scope.start,
        col(Practice.approved_at) < scope.end,
        *scope.in_practice_domains(),
    ]
    endorsements = func.count(col(PracticeEndorsement.id)).label("n")
    query = (
        sa_select(
            col(Practice.id),
            col(Practice.title),
            col(Practice.domains),
            col(Practice.country),
            col(Practice.author_id),
            endorsements,
        )
        .outerjoin(PracticeEndorsement, col(PracticeEndorsement.practice_id) == col(Practice.id))
        .where(*where)
        .group_by(col(Practice.id))
        .order_by(endorsements.desc(), col(Practice.approved_at), col(Practice.id))
    )
    rows = scope.session.execute(scope.top(query)).all()
    total = scope.count(Practice, where)
    authors = repos.members_by_id(scope.session, {r[4] for r in rows if r[4]})
    return total, [
        {
            "id": pid,
            "title": title,
            "domains": [scope.label(d) for d in pdomains],
            "country": country,
            "shared_by": authors[author].handle if author in authors else None,
            "endorsements": n,
        }
        for pid, title, pdomains, country, author, n in rows
    ]


def _new_experts(scope: _Scope) -> Section:
    """Members who became experts in the period, in that order."""
    where: list[Any] = [
        Member.community_id == scope.community_id,
        col(Member.is_expert),
        col(Member.expert_since) >= scope.start,
        col(Member.expert_since) < scope.end,
    ]
    if scope.domains:
        where.append(
            col(Member.id).in_(
                select(MemberDomain.member_id).where(col(MemberDomain.domain).in_(scope.domains))
            )
        )
    query = select(Member).where(*where).order_by(col(Member.expert_since), col(Member.id))
    experts = scope.session.exec(scope.top(query)).all()
    total = scope.count(Member, where)
    member_domains = _domains_of(scope.session, [m.id for m in experts if m.id is not None])
    return total, [
        {
            "handle": m.handle,
            "name": m.display_name,
            "domains": [scope.label(d) for d in sorted(member_domains.get(m.id or 0, []))],
            "country": m.country,
        }
        for m in experts
    ]


def gather_group(
    session: Session,
    community: Community,
    group: CopGroup,
    *,
    channel: str,
    start: datetime,
    end: datetime,
    domains: list[str],
    timezone: str,
    language: str,
    taxonomy: Taxonomy,
    limit: int | None = None,
    cache: dict[tuple[Any, ...], Any] | None = None,
) -> Digest:
    """One group's week: its sessions, its members' (or its domains') practices, its members'
    open questions, and who joined. Names of a closed group's members only in its own channel."""
    assert community.id is not None and group.id is not None
    members = group_rules.member_ids(session, group)
    tagged: list[Any] = [col(Practice.author_id).in_(list(members))] if members else []
    if group.domains:
        tagged.append(
            col(Practice.id).in_(
                select(PracticeDomain.practice_id).where(
                    col(PracticeDomain.domain).in_(list(group.domains))
                )
            )
        )
    practice_filter = (or_(*tagged),) if tagged else (col(Practice.id).is_(None),)
    scope = _Scope(
        session, community.id, start, end, list(domains), limit, taxonomy, language, practice_filter
    )
    names_shown = not group.closed or (group.channel_id is not None and group.channel_id == channel)
    digest = Digest(channel, start, end, timezone, language, list(domains))
    digest.group = {"slug": group.slug, "name": group.name, "names_shown": names_shown}
    upcoming = upcoming_sessions(session, community, channel, end, timezone, [], group_id=group.id)
    sections: dict[str, Section] = {
        "sessions": (len(upcoming), upcoming[:limit] if limit else upcoming),
        "practices": _new_practices(scope),
        "questions": _open_questions(scope, cache, among=members),
        "members": _new_group_members(scope, group.id),
    }
    for name, (total, items) in sections.items():
        digest.totals[name] = total
        digest.sections[name] = items if names_shown else [_anonymous(name, i) for i in items]
    if not names_shown:
        digest.sections["members"] = []  # the count stays in `totals`
    digest.pulse = {"members": {"total": len(members), "change": digest.totals["members"]}}
    return digest


def _anonymous(name: str, item: dict[str, Any]) -> dict[str, Any]:
    """An item without the member it names (a closed group's digest outside its channel)."""
    return {k: v for k, v in item.items() if k not in ("shared_by", "asked_by", "handle", "name")}


def _new_group_members(scope: _Scope, group_id: int) -> Section:
    """Who joined the group in the period, in that order."""
    where: list[Any] = [
        GroupMember.group_id == group_id,
        col(GroupMember.joined_at) >= scope.start,
        col(GroupMember.joined_at) < scope.end,
    ]
    query = (
        select(Member)
        .join(GroupMember, col(GroupMember.member_id) == col(Member.id))
        .where(*where)
        .order_by(col(GroupMember.joined_at), col(Member.id))
    )
    joined = scope.session.exec(scope.top(query)).all()
    total = scope.count(GroupMember, where)
    return total, [{"handle": m.handle, "name": m.display_name} for m in joined]


def _open_questions(
    scope: _Scope,
    cache: dict[tuple[Any, ...], Any] | None,
    *,
    among: frozenset[int] | None = None,
    shown: set[int] | frozenset[int] = frozenset(),
) -> Section:
    """Still open at the end of the period, oldest first (the community's list is cached;
    each channel filters it by its domains). `shown`: listed under "needs a hand" already."""
    everyone = _cached(
        cache,
        ("questions", scope.community_id, scope.end),
        lambda: scope.session.execute(
            sa_select(
                col(Question.id),
                col(Question.text),
                col(Question.domains),
                col(Question.asker_id),
                col(Question.created_at),
            )
            .where(
                col(Question.community_id) == scope.community_id,
                col(Question.status) == "open",
                col(Question.created_at) < scope.end,
            )
            .order_by(col(Question.created_at), col(Question.id))
        ).all(),
    )
    questions = [
        q
        for q in everyone
        if _in_domains(q[2], scope.domains)
        and (among is None or q[3] in among)
        and q[0] not in shown
    ]
    total = len(questions)
    questions = questions[: scope.limit] if scope.limit else questions
    askers = repos.members_by_id(scope.session, {q[3] for q in questions})
    return total, [
        {
            "id": qid,
            "text": text,
            "domains": [scope.label(d) for d in qdomains],
            "asked_by": askers[asker].handle if asker in askers else None,
            "asked_at": created.isoformat(),
        }
        for qid, text, qdomains, asker, created in questions
    ]


def needs_a_hand(scope: _Scope, channel: str) -> list[dict[str, Any]]:
    """Open questions asked in `channel` that went through every escalation round with no
    answer (`escalation.rules.needs_a_hand`), oldest first: this channel's only, whatever the
    digest's domains, since its members are the ones who can still help."""
    rows = scope.session.exec(
        select(Question)
        .where(
            Question.community_id == scope.community_id,
            Question.channel_id == channel,
            Question.status == "open",
            Question.escalation_round >= MAX_ROUNDS,
            col(Question.created_at) < scope.end,
        )
        .order_by(col(Question.created_at), col(Question.id))
    ).all()
    return [
        {
            "id": q.id,
            "text": q.text,
            "domains": [scope.label(d) for d in q.domains],
            "asked_at": q.created_at.isoformat(),
            "rounds": q.escalation_round,
        }
        for q in rows
    ]


def _needs_review(scope: _Scope) -> Section:
    """Approved practices whose review date falls before the end of the period."""
    where: list[Any] = [
        Practice.community_id == scope.community_id,
        Practice.status == APPROVED,
        col(Practice.review_by).is_not(None),
        col(Practice.review_by) < scope.end,
        *scope.in_practice_domains(),
    ]
    query = (
        select(Practice.id, Practice.title, Practice.review_by)
        .where(*where)
        .order_by(col(Practice.review_by), col(Practice.id))
    )
    stale = scope.session.exec(scope.top(query)).all()
    total = scope.count(Practice, where)
    return total, [
        {"id": pid, "title": title, "review_by": review_by.isoformat() if review_by else None}
        for pid, title, review_by in stale
    ]


def upcoming_sessions(
    session: Session,
    community: Community,
    channel: str,
    end: datetime,
    timezone: str,
    domains: list[str],
    *,
    group_id: int | None = None,
) -> list[dict[str, Any]]:
    """Occurrences in the 14 days after the period, soonest first, with RSVP counts.

    Sessions have no domains: a channel narrowed to some domains gets its own sessions only,
    any other channel gets the whole community's. With `group_id`, that group's sessions only.
    """
    assert community.id is not None
    query = select(Meeting).where(
        Meeting.community_id == community.id,
        Meeting.status != meetings.CANCELLED,
        col(Meeting.pair_id).is_(None),  # a mentoring pair's visit is private to the pair
    )
    if group_id is not None:
        query = query.where(Meeting.group_id == group_id)
    elif domains:
        query = query.where(Meeting.channel_id == channel)
    if group_id is None and (closed := group_rules.closed_groups(session, community.id)):
        # a closed group's sessions only in the channel they are posted in (the group's)
        query = query.where(
            or_(
                col(Meeting.group_id).is_(None),
                col(Meeting.group_id).not_in(list(closed)),
                col(Meeting.channel_id) == channel,
            )
        )
    rows = session.exec(query).all()
    changes = meetings.changes_for(session, [r.id for r in rows if r.id is not None])
    horizon = end + timedelta(days=14)
    found = [
        occ
        for r in rows
        for occ in meetings.occurrences(r, changes.get(r.id or 0, []), end, horizon)
        if not occ.cancelled
    ]
    found.sort(key=lambda o: (o.start, o.meeting_id))
    counts = meetings.counts_for(session, [(o.meeting_id, o.key) for o in found])
    return [
        {
            "id": o.meeting_id,
            "title": o.meeting.title,
            "starts_at": o.start.isoformat(),
            "channel": o.meeting.channel_id,
            "rsvp_yes": counts.get((o.meeting_id, o.key), {}).get("yes", 0),
            "rsvp_maybe": counts.get((o.meeting_id, o.key), {}).get("maybe", 0),
        }
        | ({"location": o.meeting.location} if o.meeting.location else {})
        for o in found
    ]


def pulse(
    session: Session, community_id: int, start: datetime, end: datetime
) -> dict[str, dict[str, int]]:
    """Aggregate counts at the end of the period and their change since its start."""

    def counts(at: datetime) -> dict[str, int]:
        members = session.exec(
            select(func.count())
            .select_from(Member)
            .where(Member.community_id == community_id, col(Member.created_at) < at)
        ).one()
        experts = session.exec(
            select(func.count())
            .select_from(Member)
            .where(
                Member.community_id == community_id,
                col(Member.is_expert),
                col(Member.expert_since) < at,
            )
        ).one()
        countries = session.exec(
            select(func.count(func.distinct(Member.country))).where(
                Member.community_id == community_id,
                col(Member.created_at) < at,
                col(Member.country).is_not(None),
            )
        ).one()
        practices = session.exec(
            select(func.count())
            .select_from(Practice)
            .where(
                Practice.community_id == community_id,
                Practice.status == APPROVED,
                col(Practice.approved_at) < at,
            )
        ).one()
        return {
            "members": members,
            "experts": experts,
            "countries": countries,
            "practices": practices,
            "sessions_held": sessions_held(session, community_id, at),
        }

    now, before = counts(end), counts(start)
    return {key: {"total": now[key], "change": now[key] - before[key]} for key in now}


def sessions_held(session: Session, community_id: int, at: datetime) -> int:
    """Occurrences that took place (not cancelled) and ended before `at`."""
    rows = session.exec(
        select(Meeting).where(Meeting.community_id == community_id, col(Meeting.starts_at) < at)
    ).all()
    changes = meetings.changes_for(session, [r.id for r in rows if r.id is not None])
    return sum(
        1
        for r in rows
        for occ in meetings.occurrences(r, changes.get(r.id or 0, []), r.starts_at, at)
        if not occ.cancelled and occ.end <= at
    )


def _domains_of(session: Session, ids: list[int]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    if ids:
        for member_id, slug in session.exec(
            select(MemberDomain.member_id, MemberDomain.domain).where(
                col(MemberDomain.member_id).in_(ids)
            )
        ).all():
            out.setdefault(member_id, set()).add(slug)
    return out


# ---- rendering -------------------------------------------------------------------------------


def to_reply(digest: Digest, community_name: str, *, top: int = TOP) -> Reply:
    """The digest as posted, written in its language (the channel's, or the member's)."""
    with i18n.using(digest.language):
        return _to_reply(digest, community_name, top)


def _to_reply(digest: Digest, community_name: str, top: int) -> Reply:
    zone = ZoneInfo(digest.timezone)
    start = digest.period_start.astimezone(zone)
    end = digest.period_end.astimezone(zone)
    title = digest.group["name"] if digest.group is not None else community_name
    blocks: list[Block] = [
        Header(_("{community} · Weekly digest").format(community=title)),
        Context(
            spans(
                show_period(start, end, zone)
                + (" · " + ", ".join(digest.domains) if digest.domains else "")
            )
        ),
    ]
    for name in digest.section_names:
        rows = digest.sections.get(name) or []
        total = max(len(rows), digest.totals.get(name, 0))
        if name == "members" and not rows and total:  # names withheld: the count only
            blocks.append(Header(_(TITLES[name])))
            blocks.append(Text.of(n_(total, "{count} member joined", "{count} members joined")))
            continue
        if not rows:
            continue
        blocks.append(Header(_(TITLES[name])))
        if name == "needs_hand":
            blocks.append(
                Text.of(
                    n_(
                        total,
                        "{count} question asked here has had no answer, even after being "
                        "passed on to more experts twice. Can you help?",
                        "{count} questions asked here have had no answer, even after being "
                        "passed on to more experts twice. Can you help?",
                    )
                )
            )
        blocks.extend(_item(name, row, zone) for row in rows[:top])
        if total > top:
            more = n_(total - top, "and {count} more", "and {count} more")
            blocks.append(
                Context(
                    phrase(
                        "… " + _("{label}: {value}"),
                        label=more,
                        value=Code(digest.list_command(name)),
                    )
                )
            )
    if digest.pulse:
        blocks.append(
            Header(_("Group pulse") if digest.group is not None else _("Community pulse"))
        )
        parts = [
            _("{label}: {value}").format(
                label=_(PULSE[key]) if key in PULSE else key.replace("_", " "),
                value=f"{i18n.number(v['total'])} ({_signed(v['change'])})",
            )
            for key, v in digest.pulse.items()
        ]
        blocks.append(Text.of(" · ".join(parts)))
    return reply(*blocks, visibility="channel", data=digest.as_json())


def _signed(change: int) -> str:
    """`+2`, `-1`, `+0`: a change always shows its sign."""
    return ("-" if change < 0 else "+") + i18n.number(abs(change))


def _item(name: str, row: dict[str, Any], zone: ZoneInfo) -> Item:
    if name == "practices":
        shared = (
            _("shared by @{handle}").format(handle=row["shared_by"]) if row.get("shared_by") else ""
        )
        meta = " · ".join(
            x
            for x in (
                ", ".join(row["domains"]),
                country_name(row["country"]) or "",
                shared,
                f"👍 {i18n.number(row['endorsements'])}",
            )
            if x
        )
        title = Link(row["url"], row["title"]) if row.get("url") else row["title"]
        return Item(title=spans(f"#{row['id']} ", title), meta=spans(meta))
    if name in ("experts", "members"):
        return Item(
            title=spans(row["name"] or row["handle"], f" (@{row['handle']})"),
            meta=spans(", ".join(row.get("domains", []))),
        )
    if name in ("questions", "needs_hand"):
        text = row["text"] if len(row["text"]) <= 200 else row["text"][:199] + "…"
        return Item(title=spans(f"#{row['id']} ", text), meta=spans(", ".join(row["domains"])))
    if name == "review":
        return Item(
            title=spans(f"#{row['id']} ", row["title"]),
            meta=spans(
                _("review by {date}").format(date=_review_date(row["review_by"], zone))
                if row["review_by"]
                else ""
            ),
        )
    if name == "sessions":
        starts = show_datetime(datetime.fromisoformat(row["starts_at"]), zone, named=True)
        going = n_(row.get("rsvp_yes", 0), "{count} going", "{count} going")
        where = f"{row['location']} · " if row.get("location") else ""
        shown = spans(f"{starts} · {where}{going}")
        return Item(title=spans(f"#{row['id']} ", row["title"]), meta=shown)
    raise AssertionError(name)


def _review_date(stamp: str, zone: ZoneInfo) -> str:
    at = datetime.fromisoformat(stamp)
    return show_date(at if at.tzinfo else at.replace(tzinfo=UTC), zone)
