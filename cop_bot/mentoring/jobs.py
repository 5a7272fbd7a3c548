"""Scheduled mentoring rounds, introductions and check-ins, each exactly once.

The database decides, as for digests (`digests/jobs.py`): the job only asks every few minutes.
- A round falls due every `every_weeks` weeks after the programme was created; it is made by
  inserting its `MentoringRound` with the slot's index, unique per programme, in the same
  transaction as its pairs. A second process (or tick) making the same slot hits the constraint
  and rolls back, so a round is made once. Only the latest slot due is made: rounds missed while
  the bot was down are not made in a burst.
- Each new pair is introduced in ONE conversation with both sides (`core.outbox.Together`: a group
  DM on Slack, a new room on Matrix; in organisations mode every joined member of both
  organisations is in it), so the pair meet where they can answer each other; `intro_status` moves
  from pending to sending with a compare-and-set, so one process sends it. A send the platform
  did not take is `failed` and retried with `core.outbox.retry_wait` up to `MAX_SEND_ATTEMPTS`;
  one it refuses for good is `refused`. A `sending` pair abandoned by a dead process is taken
  over after `LEASE`.
- A week after the round, each side gets a check-in with buttons; `checkin_at` is claimed with a
  compare-and-set, and given back when the send failed, so the next tick tries again.

Residual risk, as for digests: a process dying between the platform's acceptance and marking the
pair sent introduces that pair again after the lease (Slack reopens the same group DM, Matrix
finds the pair's room by its key, so it is one conversation with the message twice at worst).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import Engine, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from cop_bot.core import claims, i18n
from cop_bot.core.members import locale_for
from cop_bot.core.model import Block, Conversation, Mention, Reply
from cop_bot.core.outbox import (
    MAX_SEND_ATTEMPTS,
    DeliveryError,
    Direct,
    Outbox,
    Together,
    send_together,
)
from cop_bot.core.scheduler import Job
from cop_bot.core.taxonomy import Taxonomy
from cop_bot.core.wording import mention_of
from cop_bot.mentoring import programmes as rules
from cop_bot.mentoring.wording import check_in, introduction_together
from cop_bot.storage import repos
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import (
    Community,
    Member,
    MentoringPair,
    MentoringProgramme,
    MentoringRound,
)

log = logging.getLogger(__name__)
TICK = timedelta(minutes=5)
LEASE = claims.LEASE
INTRO = claims.SendState(MentoringPair, "intro_status", "intro_attempts", "intro_at", "last_error")
"""Where a pair keeps its introduction's send (`core.claims`)."""


@dataclass
class MentoringReport:
    rounds: list[tuple[str, int]] = field(default_factory=list)
    introduced: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    checked_in: list[int] = field(default_factory=list)


def jobs(engine: Engine, outbox: Outbox, taxonomy: Taxonomy) -> list[Job]:
    def run(now: datetime) -> MentoringReport:
        report = run_due(engine, outbox, taxonomy, now)
        if report.rounds or report.introduced or report.failed or report.refused:
            log.info(
                "mentoring: %d rounds, %d introduced, %d failed, %d refused",
                len(report.rounds),
                len(report.introduced),
                len(report.failed),
                len(report.refused),
            )
        return report

    return [Job(name="mentoring", run=run, interval=TICK, what="mentoring tick")]


def run_due(engine: Engine, outbox: Outbox, taxonomy: Taxonomy, now: datetime) -> MentoringReport:
    """Make every round due at `now`, send the introductions and check-ins due. Safe to call any
    time, from any number of processes."""
    report = MentoringReport()
    with session_scope(engine) as session:
        scheduled = [
            (p.id, p.slug)
            for p in session.exec(
                select(MentoringProgramme).where(col(MentoringProgramme.every_weeks).is_not(None))
            ).all()
        ]
    for programme_id, slug in scheduled:
        assert programme_id is not None
        try:
            number = make_due_round(engine, programme_id, now)
            if number is not None:
                report.rounds.append((slug, number))
        except Exception:  # one programme's bug must not hold up the others
            log.exception("mentoring round for %s failed", slug)
    for pair_id in _introductions_due(engine, now):
        if _take(engine, pair_id, now):
            _introduce(engine, outbox, taxonomy, pair_id, now, report)
    for pair_id in _check_ins_due(engine, now):
        _check_in(engine, outbox, pair_id, now, report)
    return report


def make_due_round(engine: Engine, programme_id: int, now: datetime) -> int | None:
    """The round number made for the slot due at `now`, or None (not due, or made already)."""
    try:
        with session_scope(engine) as session:
            programme = session.get(MentoringProgramme, programme_id)
            if programme is None:
                return None
            slot = rules.due_slot(programme, now)
            if slot is None:
                return None
            done = session.exec(
                select(MentoringRound.id).where(
                    MentoringRound.programme_id == programme_id,
                    col(MentoringRound.slot) >= slot,
                )
            ).first()
            if done is not None:
                return None
            community = session.get(Community, programme.community_id)
            assert community is not None
            made = rules.make_round(session, programme, community, now, slot=slot)
            return made.round.number
    except IntegrityError:  # another process made this slot (or a round number) first
        return None


def _introductions_due(engine: Engine, now: datetime) -> list[int]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(MentoringPair).where(
                col(MentoringPair.intro_status).in_(("pending", "failed", "sending")),
                MentoringPair.intro_attempts < MAX_SEND_ATTEMPTS,
            )
        ).all()
        out = []
        for pair in rows:
            assert pair.id is not None
            if _due(pair, now):
                out.append(pair.id)
        return out


def _due(pair: MentoringPair, now: datetime) -> bool:
    return claims.due(INTRO, pair, now, lease=LEASE)


def _take(engine: Engine, pair_id: int, now: datetime) -> bool:
    """Compare-and-set to `sending`, so one process sends the introduction."""
    return claims.take(engine, INTRO, pair_id, now, lease=LEASE)


def _pair_of(
    session: Session, pair_id: int
) -> tuple[MentoringPair, MentoringProgramme, Community, Member, Member] | None:
    """The pair with its programme, community and both members (None once either is erased)."""
    pair = session.get(MentoringPair, pair_id)
    if pair is None:
        return None
    round_ = session.get(MentoringRound, pair.round_id)
    assert round_ is not None
    programme = session.get(MentoringProgramme, round_.programme_id)
    assert programme is not None
    community = session.get(Community, programme.community_id)
    assert community is not None
    a, b = session.get(Member, pair.a_id), session.get(Member, pair.b_id)
    if a is None or b is None:
        return None
    return pair, programme, community, a, b


def _check_ins(
    engine: Engine, pair_id: int
) -> tuple[Conversation, list[tuple[Member, tuple[Block, ...], str]]] | None:
    """Each side's check-in, in their own language: answered one by one, so one message each."""
    with session_scope(engine) as session:
        found = _pair_of(session, pair_id)
        if found is None:
            return None
        pair, programme, community, a, b = found
        sides: list[tuple[list[Member], Mention | str]] = [
            ([a], mention_of(b)),
            ([b], mention_of(a)),
        ]
        if pair.a_organisation and pair.b_organisation:  # organisations mode: all their members
            sides = [
                (_joined_from(session, programme, pair.a_organisation), pair.b_organisation),
                (_joined_from(session, programme, pair.b_organisation), pair.a_organisation),
            ]
        out = []
        for group, other in sides:
            for me in group:
                language = locale_for(me, None, community)
                with i18n.using(language):
                    blocks = check_in(programme, other)
                out.append((me, blocks, language))
        conversation = Conversation(community.platform, community.external_id, programme.channel_id)
        return conversation, out


def _together(engine: Engine, pair_id: int, taxonomy: Taxonomy) -> Together | None:
    """The pair's introduction: one message to everyone in the pair, in their language when
    they share one, else in the community's."""
    with session_scope(engine) as session:
        found = _pair_of(session, pair_id)
        if found is None:
            return None
        pair, programme, community, a, b = found
        members = [a, b]
        sides: tuple[Mention | str, Mention | str] = (mention_of(a), mention_of(b))
        if pair.a_organisation and pair.b_organisation:  # organisations mode: all their members
            members = _joined_from(session, programme, pair.a_organisation) + _joined_from(
                session, programme, pair.b_organisation
            )
            sides = (pair.a_organisation, pair.b_organisation)
        if not members:
            return None
        languages = {locale_for(m, None, community) for m in members}
        language = languages.pop() if len(languages) == 1 else community.language
        to = tuple(mention_of(m) for m in members)
        with i18n.using(language):
            blocks = introduction_together(programme, sides, to, pair.why, taxonomy)
        names = [s if isinstance(s, str) else (s.display_name or s.handle) for s in sides]
        return Together(
            Conversation(community.platform, community.external_id, programme.channel_id),
            to,
            Reply(blocks=blocks, visibility="dm", locale=language),
            key=f"mentoring-pair:{pair_id}",
            title=f"{programme.name}: {names[0]} ↔ {names[1]}",
        )


def _joined_from(
    session: Session, programme: MentoringProgramme, organisation: str
) -> list[Member]:
    """The programme's participants who work at `organisation`."""
    key = organisation.casefold().strip()
    rows = rules.participants(session, programme)
    found = repos.members_by_id(session, (r.member_id for r in rows))
    return [
        found[r.member_id]
        for r in rows
        if (found[r.member_id].organisation or "").casefold().strip() == key
    ]


def _send(
    outbox: Outbox,
    conversation: Conversation,
    messages: list[tuple[Member, tuple[Block, ...], str]],
) -> None:
    for member, blocks, language in messages:
        outbox.direct(
            Direct(
                conversation,
                mention_of(member),
                Reply(blocks=blocks, visibility="dm", locale=language),
            )
        )


def _introduce(
    engine: Engine,
    outbox: Outbox,
    taxonomy: Taxonomy,
    pair_id: int,
    now: datetime,
    report: MentoringReport,
) -> None:
    found = _together(engine, pair_id, taxonomy)
    if found is None:
        return
    status, error = claims.attempt(
        engine, INTRO, pair_id, now, partial(send_together, outbox, found)
    )
    if status == "sent":
        report.introduced.append(pair_id)
    elif status == "refused":
        report.refused.append((pair_id, error or ""))
    else:
        log.warning("introducing mentoring pair %s failed: %s", pair_id, error)
        report.failed.append((pair_id, error or ""))


def _check_ins_due(engine: Engine, now: datetime) -> list[int]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(MentoringPair.id)
            .join(MentoringRound, col(MentoringRound.id) == col(MentoringPair.round_id))
            .where(
                col(MentoringPair.checkin_at).is_(None),
                MentoringPair.intro_status == "sent",
                col(MentoringRound.created_at) <= now - rules.CHECK_IN_AFTER,
                or_(col(MentoringPair.met_a).is_(None), col(MentoringPair.met_b).is_(None)),
            )
        ).all()
        return [r for r in rows if r is not None]


def _check_in(
    engine: Engine, outbox: Outbox, pair_id: int, now: datetime, report: MentoringReport
) -> None:
    with session_scope(engine) as session:
        claimed = session.execute(
            update(MentoringPair)
            .where(col(MentoringPair.id) == pair_id, col(MentoringPair.checkin_at).is_(None))
            .values(checkin_at=now)
        )
        if not claimed.rowcount:  # type: ignore[attr-defined]
            return
    found = _check_ins(engine, pair_id)
    if found is None:
        return
    try:
        _send(outbox, *found)
    except DeliveryError as exc:
        if exc.permanent:
            return
        _give_back(engine, pair_id)
        return
    except Exception:
        log.exception("mentoring check-in for pair %s failed", pair_id)
        _give_back(engine, pair_id)
        return
    report.checked_in.append(pair_id)


def _give_back(engine: Engine, pair_id: int) -> None:
    with session_scope(engine) as session:
        session.execute(
            update(MentoringPair).where(col(MentoringPair.id) == pair_id).values(checkin_at=None)
        )
