"""What mentoring holds about a member, for `/profile export` and `/profile delete`: the
programmes they joined (role, domains, languages, capacity), their pairs with their check-in
answers, the rounds that left them unpaired, and the programmes they created.

Erasure deletes their participation, their pairs and their unpaired rows (CASCADE: a pair is
about both people, and the other side keeps no record naming them); programmes they created stay
without a creator (SET NULL)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from cop_bot.core.privacy import PrivacySection, by_foreign_keys, records, rows_of
from cop_bot.storage import repos
from cop_bot.storage.models import (
    Member,
    MentoringPair,
    MentoringParticipant,
    MentoringProgramme,
    MentoringRound,
    MentoringUnpaired,
)


def _slugs(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    found = session.exec(select(MentoringProgramme).where(col(MentoringProgramme.id).in_(ids)))
    return {p.id: p.slug for p in found.all() if p.id is not None}


def _rounds(session: Session, ids: set[int]) -> dict[int, MentoringRound]:
    if not ids:
        return {}
    found = session.exec(select(MentoringRound).where(col(MentoringRound.id).in_(ids))).all()
    return {r.id: r for r in found if r.id is not None}


def export_mentoring(session: Session, member: Member) -> dict[str, Any]:
    joined = rows_of(session, MentoringParticipant, MentoringParticipant.member_id, member)
    pairs = [
        *rows_of(session, MentoringPair, MentoringPair.a_id, member),
        *rows_of(session, MentoringPair, MentoringPair.b_id, member),
    ]
    left_out = rows_of(session, MentoringUnpaired, MentoringUnpaired.member_id, member)
    created = rows_of(session, MentoringProgramme, MentoringProgramme.created_by_id, member)
    rounds = _rounds(session, {p.round_id for p in pairs} | {u.round_id for u in left_out})
    slugs = _slugs(
        session, {r.programme_id for r in rounds.values()} | {j.programme_id for j in joined}
    )
    others = repos.members_by_id(
        session, (p.b_id if p.a_id == member.id else p.a_id for p in pairs)
    )

    def where(round_id: int) -> dict[str, Any]:
        r = rounds[round_id]
        return {"programme": slugs.get(r.programme_id), "round": r.number, "at": r.created_at}

    return {
        "joined": [
            {
                "programme": slugs.get(j.programme_id),
                **records([j], "role domains languages capacity joined_at")[0],
            }
            for j in joined
        ],
        "pairs": [
            {
                **where(p.round_id),
                "with": others[p.b_id if p.a_id == member.id else p.a_id].handle
                if (p.b_id if p.a_id == member.id else p.a_id) in others
                else None,
                "why": dict(p.why),
                "met": p.met_a if p.a_id == member.id else p.met_b,
            }
            for p in pairs
        ],
        "unpaired": [{**where(u.round_id), "reason": u.reason} for u in left_out],
        "created": records(created, "slug name mode every_weeks created_at"),
    }


MENTORING = PrivacySection(
    name="mentoring",
    export=export_mentoring,
    erase=by_foreign_keys(),
    covers=(
        "mentoring_participant.member_id",
        "mentoring_pair.a_id",
        "mentoring_pair.b_id",
        "mentoring_unpaired.member_id",
        "mentoring_programme.created_by_id",
    ),
)
