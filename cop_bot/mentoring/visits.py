"""Programme visits (issue 18): a visit is a session of kind `visit` for one mentoring pair,
hosted by one side and visited by the other, so the programme view can show which pairs made
their two-way visit ("relationships are strengthened by 2-way visits").

The side named in `/mentoring visit NAME @other|ORG …` hosts: a member visiting their partner
names them; a side hosting names itself. Queries take the command's session and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from cop_bot.core.errors import CommandError
from cop_bot.core.i18n import _
from cop_bot.mentoring import programmes as rules
from cop_bot.sessions import meetings
from cop_bot.storage import repos
from cop_bot.storage.models import Meeting, Member, MentoringPair, MentoringProgramme


@dataclass(frozen=True)
class Side:
    """Who was named: a member (`@handle`) or an organisation."""

    member: Member | None
    organisation: str | None


def _norm(text: str | None) -> str:
    return " ".join((text or "").casefold().split())


def named_side(session: Session, community_id: int, typed: str) -> Side:
    """`@handle` is a member (who must exist); anything else an organisation's name."""
    if typed.startswith("@"):
        member = repos.find_member(session, community_id, typed[1:])
        if member is None:
            raise CommandError(
                _("I don't know {handle} here.").format(handle=typed[:60]),
                hint=_("They appear once they have used the bot."),
            )
        return Side(member, None)
    return Side(None, " ".join(typed.split())[:200])


def side_of(
    pair: MentoringPair, side: Side, members: dict[int, Member] | None = None
) -> str | None:
    """`a` or `b` when `side` is one side of `pair`, else None. An organisation names a side
    of an organisations pair, or (with `members`) the side whose member works there."""
    if side.member is not None:
        if side.member.id == pair.a_id and not pair.a_organisation:
            return "a"
        if side.member.id == pair.b_id and not pair.b_organisation:
            return "b"
        side = Side(None, side.member.organisation) if side.member.organisation else side
    wanted = _norm(side.organisation)
    if wanted and wanted == _norm(pair.a_organisation):
        return "a"
    if wanted and wanted == _norm(pair.b_organisation):
        return "b"
    for key, member_id in (("a", pair.a_id), ("b", pair.b_id)):
        found = (members or {}).get(member_id)
        if wanted and found is not None and wanted == _norm(found.organisation):
            return key
    return None


def in_pair(pair: MentoringPair, member: Member) -> bool:
    """The member is one side of the pair, or works at one of its organisations."""
    return side_of(pair, Side(member, None)) is not None


def hidden_pairs(
    session: Session, community_id: int, member: Member, *, sees_all: bool
) -> set[int]:
    """The pairs whose visits `member` may not see: a pair is private to its two sides and the
    programme's coordinators (`sees_all`: facilitators and admins; and whoever created it)."""
    if sees_all:
        return set()
    from cop_bot.storage.models import MentoringRound

    rows = session.exec(
        select(MentoringPair, MentoringProgramme)
        .join(Meeting, col(Meeting.pair_id) == col(MentoringPair.id))
        .join(MentoringRound, col(MentoringRound.id) == col(MentoringPair.round_id))
        .join(MentoringProgramme, col(MentoringProgramme.id) == col(MentoringRound.programme_id))
        .where(Meeting.community_id == community_id)
    ).all()
    return {
        pair.id
        for pair, programme in rows
        if pair.id is not None
        and programme.created_by_id != member.id
        and not in_pair(pair, member)
        and not _focal_of(session, programme, member)
    }


def _focal_of(session: Session, programme: MentoringProgramme, member: Member) -> bool:
    from cop_bot.groups import rules as groups
    from cop_bot.storage.models import CopGroup

    group = session.get(CopGroup, programme.group_id) if programme.group_id else None
    return group is not None and groups.is_focal(session, group, member)


def pair_for(
    session: Session, programme: MentoringProgramme, side: Side, typed: str
) -> tuple[MentoringPair, str]:
    """The most recent pair of the programme with this side in it, and which side it is."""
    rounds = rules.rounds(session, programme)
    pairs = rules.pairs_of(session, [r.id for r in rounds if r.id is not None])
    members = repos.members_by_id(session, [x for p in pairs for x in (p.a_id, p.b_id)])
    for pair in reversed(pairs):
        found = side_of(pair, side, members)
        if found is not None:
            return pair, found
    raise CommandError(
        _("{side} is not in a pair of {programme}.").format(
            side=typed[:60], programme=programme.name
        ),
        hint=_("See the pairs with `/mentoring {name}`.").format(name=programme.slug),
    )


@dataclass
class PairVisits:
    """A pair's visits: how many each side hosted (started before now) and planned."""

    hosted: dict[str, int]
    planned: dict[str, int]

    @property
    def two_way(self) -> bool:
        return self.hosted["a"] > 0 and self.hosted["b"] > 0


def visits_by_pair(session: Session, pair_ids: list[int], now: datetime) -> dict[int, PairVisits]:
    """Every pair's visits, cancelled ones left out."""
    out = {pid: PairVisits({"a": 0, "b": 0}, {"a": 0, "b": 0}) for pid in pair_ids}
    if not pair_ids:
        return out
    rows = session.exec(
        select(Meeting).where(
            col(Meeting.pair_id).in_(pair_ids), Meeting.status != meetings.CANCELLED
        )
    ).all()
    for row in rows:
        if row.pair_id is None or row.visit_host not in ("a", "b"):
            continue
        counts = out[row.pair_id].hosted if row.starts_at <= now else out[row.pair_id].planned
        counts[row.visit_host] += 1
    return out
