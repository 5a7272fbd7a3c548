"""Mentoring programmes: their rules and queries (creating, joining, making a round, check-ins).

Handlers (`cop_bot/handlers/mentoring.py`) word the replies; the pairing itself is
`mentoring.matching`, pure. A round is made in one transaction: its `MentoringRound` row (unique
number, and unique slot for scheduled rounds) is the claim, so a round is made exactly once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from cop_bot.core.args import did_you_mean, unknown_key
from cop_bot.core.errors import CommandError, UsageError
from cop_bot.core.i18n import _
from cop_bot.core.wording import echo
from cop_bot.mentoring import reasons
from cop_bot.storage import repos
from cop_bot.storage.models import (
    Community,
    Member,
    MentoringPair,
    MentoringParticipant,
    MentoringProgramme,
    MentoringRound,
    MentoringUnpaired,
)

if TYPE_CHECKING:
    from cop_bot.mentoring.matching import Person

MODES = ("mentor", "peer", "organisations")
ROLES = {
    "mentor": ("mentor", "mentee"),
    "peer": ("peer",),
    "organisations": ("mentor", "mentee"),
}
MAX_EVERY_WEEKS = 52
MAX_CAPACITY = 20
CHECK_IN_AFTER = timedelta(days=7)
ANSWERS = ("yes", "no", "later")

_KEY = re.compile(r"(?:(?<=\s)|^)([A-Za-z][A-Za-z-]*):(?=\s|$)")


def parse_options(text: str, keys: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    """`NAME key: value key: value` -> (NAME, {key: value}); a key the command does not take is
    refused with a near miss, never read as part of the name."""
    parts = _KEY.split(text)
    head = parts[0].strip()
    found: dict[str, str] = {}
    for i in range(1, len(parts), 2):
        key = parts[i].lower()
        if key not in keys:
            raise unknown_key(key, keys, kind="option")
        if key in found:
            raise UsageError(_("{key} is given twice.").format(key=f"`{key}:`"))
        found[key] = parts[i + 1].strip()
    return head, found


def slug_of(name: str) -> str:
    words = re.findall(r"\w+", name.casefold())
    return "-".join(words)[:80].strip("-")


def parse_every(value: str) -> int:
    """`2 weeks`, `2`, `week`, `1 week` -> weeks (1 to 52)."""
    match = re.fullmatch(r"\s*(?:(\d{1,3})\s*)?(weeks?|w)?\s*", value.casefold())
    if match is None or not (match.group(1) or match.group(2)):
        raise ValueError(value)
    weeks = int(match.group(1) or 1)
    if not 1 <= weeks <= MAX_EVERY_WEEKS:
        raise ValueError(value)
    return weeks


def parse_capacity(value: str) -> int:
    text = value.strip()
    if not re.fullmatch(r"[+-]?\d{1,6}", text):
        raise ValueError(value)
    number = int(text)
    if not 1 <= number <= MAX_CAPACITY:
        raise ValueError(value)
    return number


def find(session: Session, community_id: int, name: str) -> MentoringProgramme:
    slug = slug_of(name)
    if not slug:
        raise UsageError(_("Which programme? Give its name."))
    found = session.exec(
        select(MentoringProgramme).where(
            MentoringProgramme.community_id == community_id, MentoringProgramme.slug == slug
        )
    ).first()
    if found is not None:
        return found
    known = list(
        session.exec(
            select(MentoringProgramme.slug).where(MentoringProgramme.community_id == community_id)
        ).all()
    )
    near = did_you_mean(slug, known)
    message = _("There is no mentoring programme called {name}.").format(name=echo(name))
    if near:
        message += " " + _("Did you mean {name}?").format(name=near)
    raise CommandError(message)


def create(
    session: Session,
    community_id: int,
    *,
    name: str,
    mode: str,
    every_weeks: int | None,
    domains: list[str],
    cross_border: bool,
    channel_id: str,
    creator: Member,
    now: datetime,
    group_id: int | None = None,
) -> MentoringProgramme:
    slug = slug_of(name)
    exists = session.exec(
        select(MentoringProgramme.id).where(
            MentoringProgramme.community_id == community_id, MentoringProgramme.slug == slug
        )
    ).first()
    if exists is not None:
        raise CommandError(_("A programme called {name} exists already.").format(name=slug))
    programme = MentoringProgramme(
        community_id=community_id,
        slug=slug,
        name=repos.fit(name, MentoringProgramme, "name"),
        mode=mode,
        every_weeks=every_weeks,
        domains=domains,
        cross_border=cross_border,
        channel_id=channel_id,
        group_id=group_id,
        created_by_id=creator.id,
        created_at=now,
    )
    session.add(programme)
    session.flush()
    return programme


def participant(
    session: Session, programme: MentoringProgramme, member: Member
) -> MentoringParticipant | None:
    return session.exec(
        select(MentoringParticipant).where(
            MentoringParticipant.programme_id == programme.id,
            MentoringParticipant.member_id == member.id,
        )
    ).first()


def participants(session: Session, programme: MentoringProgramme) -> list[MentoringParticipant]:
    return list(
        session.exec(
            select(MentoringParticipant)
            .where(MentoringParticipant.programme_id == programme.id)
            .order_by(col(MentoringParticipant.id))
        ).all()
    )


def join(
    session: Session,
    programme: MentoringProgramme,
    member: Member,
    *,
    role: str,
    domains: list[str],
    languages: list[str],
    capacity: int,
    now: datetime,
) -> MentoringParticipant:
    if participant(session, programme, member) is not None:
        raise CommandError(
            _(
                "You have already joined {name}; `/mentoring leave {name}` first to change how."
            ).format(name=programme.slug)
        )
    assert programme.id is not None and member.id is not None
    row = MentoringParticipant(
        programme_id=programme.id,
        member_id=member.id,
        role=role,
        domains=domains,
        languages=languages,
        capacity=capacity,
        joined_at=now,
    )
    session.add(row)
    session.flush()
    return row


def leave(session: Session, programme: MentoringProgramme, member: Member) -> bool:
    row = participant(session, programme, member)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def utc_offset(zone: str | None, fallback: str, now: datetime) -> float:
    try:
        tz = ZoneInfo(zone or fallback)
    except (KeyError, ValueError):
        tz = ZoneInfo("UTC")
    delta = now.astimezone(tz).utcoffset()
    return delta.total_seconds() / 3600 if delta is not None else 0.0


def people(
    session: Session, programme: MentoringProgramme, community: Community, now: datetime
) -> tuple[list[Person], dict[int, Member]]:
    from cop_bot.mentoring.matching import Person

    rows = participants(session, programme)
    members = repos.members_by_id(session, (r.member_id for r in rows))
    out = []
    for r in rows:
        m = members[r.member_id]
        out.append(
            Person(
                id=r.member_id,
                role=r.role,
                languages=tuple(r.languages),
                domains=tuple(r.domains),
                organisation=m.organisation,
                country=m.country,
                utc_offset=utc_offset(m.timezone, community.timezone, now),
                capacity=r.capacity if r.role in ("mentor", "peer") else 1,
            )
        )
    return out, members


def rounds(session: Session, programme: MentoringProgramme) -> list[MentoringRound]:
    return list(
        session.exec(
            select(MentoringRound)
            .where(MentoringRound.programme_id == programme.id)
            .order_by(col(MentoringRound.number))
        ).all()
    )


def pairs_of(session: Session, round_ids: list[int]) -> list[MentoringPair]:
    if not round_ids:
        return []
    return list(
        session.exec(
            select(MentoringPair)
            .where(col(MentoringPair.round_id).in_(round_ids))
            .order_by(col(MentoringPair.id))
        ).all()
    )


def history(
    session: Session, programme: MentoringProgramme
) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """The pairs of the last `REPEAT_WINDOW` rounds (barred) and of older rounds (penalised)."""
    made = rounds(session, programme)
    window = {r.id for r in made[-reasons.REPEAT_WINDOW :]}
    recent: set[tuple[int, int]] = set()
    earlier: set[tuple[int, int]] = set()
    for p in pairs_of(session, [r.id for r in made if r.id is not None]):
        (recent if p.round_id in window else earlier).add(reasons.recent_key(p.a_id, p.b_id))
    return recent, earlier - recent


def why_of(a: Person, b: Person, ma: Member, mb: Member) -> dict[str, object]:
    """What the pair shares, as data (worded in the reader's language by `wording.why_text`)."""
    language = next((code for code in a.languages if code in b.languages), None)
    if a.role == "mentor":
        domains = [d for d in b.domains if d in a.domains]
    else:
        domains = [d for d in a.domains if d in b.domains]
    return {
        "domains": domains,
        "language": language,
        "places": [ma.city or ma.country, mb.city or mb.country],
    }


@dataclass
class Made:
    round: MentoringRound
    pairs: list[MentoringPair]
    unpaired: list[MentoringUnpaired]
    members: dict[int, Member]
    sides: dict[int, list[int]]
    """Who is introduced for each side of a pair: the side's member, or, in organisations
    mode, every member of the organisation who joined."""


def organisations(
    everyone: list[Person], members: dict[int, Member]
) -> tuple[list[Person], dict[int, list[int]], list[int]]:
    """Organisations mode: one unit per organisation with at least `MIN_MEMBERS` who joined
    (its id is its first member's; its languages and domains its members' together; a mentor
    organisation if at least half its members joined as mentors). Returns the units, each
    unit's members, and the members whose organisation has too few."""
    from cop_bot.mentoring.matching import Person

    groups: dict[str, list[Person]] = {}
    for p in everyone:
        key = (members[p.id].organisation or "").casefold().strip()
        groups.setdefault(key, []).append(p)
    units: list[Person] = []
    sides: dict[int, list[int]] = {}
    few: list[int] = []
    for key, group in groups.items():
        if not key or len(group) < reasons.MIN_MEMBERS:
            few += [p.id for p in group]
            continue
        group.sort(key=lambda p: p.id)
        first = group[0]
        mentors = sum(1 for p in group if p.role == "mentor")
        units.append(
            Person(
                id=first.id,
                role="mentor" if 2 * mentors >= len(group) else "mentee",
                languages=tuple(dict.fromkeys(x for p in group for x in p.languages)),
                domains=tuple(dict.fromkeys(x for p in group for x in p.domains)),
                organisation=members[first.id].organisation,
                country=first.country,
                utc_offset=first.utc_offset,
            )
        )
        sides[first.id] = [p.id for p in group]
    return units, sides, few


def make_round(
    session: Session,
    programme: MentoringProgramme,
    community: Community,
    now: datetime,
    *,
    slot: int | None = None,
    introduced: bool = False,
) -> Made:
    """Pair everyone who joined, in the caller's transaction. `introduced`: the caller sends the
    introductions itself (a command's reply); else the scheduler's job sends them."""
    from cop_bot.mentoring import matching  # numpy and scipy: only when a round is made

    assert programme.id is not None
    everyone, members = people(session, programme, community, now)
    recent, earlier = history(session, programme)
    by_org = programme.mode == "organisations"
    few: list[int] = []
    if by_org:
        everyone, sides, few = organisations(everyone, members)
    else:
        sides = {p.id: [p.id] for p in everyone}
    result = matching.pair_round(
        everyone,
        recent,
        mode="mentor" if by_org else programme.mode,
        cross_border=programme.cross_border,
        earlier=earlier,
    )
    number = 1 + (
        session.exec(
            select(func.max(MentoringRound.number)).where(
                MentoringRound.programme_id == programme.id
            )
        ).one()
        or 0
    )
    row = MentoringRound(programme_id=programme.id, number=number, slot=slot, created_at=now)
    session.add(row)
    session.flush()
    assert row.id is not None
    by_id = {p.id: p for p in everyone}
    pairs = [
        MentoringPair(
            round_id=row.id,
            a_id=p.a,
            b_id=p.b,
            a_organisation=members[p.a].organisation if by_org else None,
            b_organisation=members[p.b].organisation if by_org else None,
            score=p.score,
            why=why_of(by_id[p.a], by_id[p.b], members[p.a], members[p.b]),
            intro_status="sent" if introduced else "pending",
            intro_at=now if introduced else None,
        )
        for p in result.pairs
    ]
    unpaired = [
        MentoringUnpaired(round_id=row.id, member_id=member_id, reason=u.reason)
        for u in result.unpaired
        for member_id in sides[u.id]
    ]
    unpaired += [
        MentoringUnpaired(round_id=row.id, member_id=member_id, reason=reasons.FEW_MEMBERS)
        for member_id in few
    ]
    session.add_all([*pairs, *unpaired])
    session.flush()
    return Made(row, pairs, unpaired, members, sides)


def due_slot(programme: MentoringProgramme, now: datetime) -> int | None:
    """The latest scheduled round due at `now` (1 is `every_weeks` after creation)."""
    if not programme.every_weeks:
        return None
    period = timedelta(weeks=programme.every_weeks)
    slot = int((now - programme.created_at) / period)
    return slot if slot >= 1 else None


def record_check_in(
    session: Session, programme: MentoringProgramme, member: Member, answer: str
) -> MentoringPair:
    """The member's answer for their latest pair in the programme."""
    ids = [r.id for r in rounds(session, programme) if r.id is not None]
    mine = [p for p in pairs_of(session, ids) if member.id in (p.a_id, p.b_id)]
    if not mine:
        raise CommandError(_("You have not been paired in {name} yet.").format(name=programme.slug))
    pair = mine[-1]
    if pair.a_id == member.id:
        pair.met_a = answer
    if pair.b_id == member.id:
        pair.met_b = answer
    session.add(pair)
    session.flush()
    return pair


def met(pair: MentoringPair) -> bool:
    return "yes" in (pair.met_a, pair.met_b)


def answered(pair: MentoringPair) -> bool:
    return pair.met_a is not None or pair.met_b is not None
