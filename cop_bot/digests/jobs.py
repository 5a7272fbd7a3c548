"""Posting digests exactly once per subscription and period.

The database decides, not the scheduler (the job from `jobs` only asks every minute): a run is
*claimed* (`_claim_run`) by inserting a `DigestRun` row whose (subscription, period_end) is
unique, in its own transaction, before anything is sent. A second process (or a second tick of
the same one) that tries the same period hits the constraint and moves on. A digest due while the bot was down is sent if it is less than `CATCH_UP` late, else
recorded as missed. A failed post is retried with exponential backoff up to `MAX_ATTEMPTS`
(`core.outbox.retry_wait`), and one channel's failure never holds up the others. A post the
platform refuses for good (the bot is not in the channel, it is archived) is recorded as
`refused` with the reason, which `/digest status` explains, and is not retried: the next
period's digest tries again.

Residual risk, stated plainly: if the process dies after the platform accepted a post but before
the run is marked sent, the lease expires and the digest is posted again. On Matrix the run id
is the transaction id, so the homeserver drops the duplicate; Slack has no idempotency key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from cop_bot.core import claims, i18n
from cop_bot.core.model import Conversation, Outgoing
from cop_bot.core.outbox import (
    MAX_SEND_ATTEMPTS,
    DeliveryError,
    Direct,
    Outbox,
)
from cop_bot.core.scheduler import Job
from cop_bot.core.taxonomy import Taxonomy
from cop_bot.core.wording import mention_of
from cop_bot.digests.build import TOP, gather, to_reply
from cop_bot.digests.schedule import previous_due
from cop_bot.digests.subscriptions import period_start
from cop_bot.storage import repos
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import Community, CopGroup, DigestRun, DigestSubscription, Member

log = logging.getLogger(__name__)
CATCH_UP = timedelta(hours=24)
LEASE = claims.LEASE
RUN = claims.SendState(DigestRun, at="claimed_at")
"""Where a run keeps its send's state (`core.claims`; a run starts `sending`, never pending)."""
MAX_ATTEMPTS = MAX_SEND_ATTEMPTS
TICK = timedelta(seconds=60)


@dataclass
class DigestReport:
    sent: list[tuple[str, str]] = field(default_factory=list)
    skipped_empty: list[tuple[str, str]] = field(default_factory=list)
    missed: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str, str]] = field(default_factory=list)
    refused: list[tuple[str, str, str]] = field(default_factory=list)


def jobs(
    engine: Engine, outbox: Outbox, taxonomy: Taxonomy, public_url: str | None = None
) -> list[Job]:
    """The digests' job for the scheduler. It runs at once when the scheduler starts, which is
    when a replica becomes the leader: a digest that fell due while the bot was down, or while
    the replicas were failing over, goes out then instead of a tick later (the run's claim keeps
    a digest already posted by the previous leader from going out again)."""

    def run(now: datetime) -> DigestReport:
        report = post_due_digests(engine, outbox, taxonomy, now, public_url)
        if report.sent or report.failed or report.missed or report.refused:
            log.info(
                "digests: %d sent, %d failed, %d refused, %d missed",
                len(report.sent),
                len(report.failed),
                len(report.refused),
                len(report.missed),
            )
        return report

    return [Job(name="digests", run=run, interval=TICK, what="digest tick")]


def post_due_digests(
    engine: Engine,
    outbox: Outbox,
    taxonomy: Taxonomy,
    now: datetime,
    public_url: str | None = None,
) -> DigestReport:
    """Claim and post every digest due at `now`, then retry failed or abandoned runs. Safe to
    call any time, from any number of processes."""
    report = DigestReport()
    with session_scope(engine) as session:
        subs = [
            (s.id, s.weekday, s.minute_of_day, s.timezone)
            for s in session.exec(
                select(DigestSubscription).where(col(DigestSubscription.enabled))
            ).all()
        ]
    cache: dict[tuple[Any, ...], Any] = {}  # community-wide parts, shared by its channels
    for sub_id, weekday, minute, tz in subs:
        assert sub_id is not None
        due = previous_due(weekday, minute, tz, now)
        try:
            run_id = _claim_run(engine, sub_id, due, now, report)
            if run_id is not None:
                _post(engine, outbox, taxonomy, sub_id, run_id, now, report, cache, public_url)
        except Exception:  # one channel's bug must not hold up the others
            log.exception("digest for subscription %s failed", sub_id)
    for run_id, sub_id in _retryable(engine, now):
        if _take_over(engine, run_id, now):
            _post(engine, outbox, taxonomy, sub_id, run_id, now, report, cache, public_url)
    return report


def _claim_run(
    engine: Engine, sub_id: int, due: datetime, now: datetime, report: DigestReport
) -> int | None:
    """Insert the run row for this period; None when another process (or an earlier tick) has it."""
    late = now - due
    try:
        with session_scope(engine) as session:
            sub = session.get(DigestSubscription, sub_id)
            if (
                sub is None
                or session.exec(
                    select(DigestRun.id).where(
                        DigestRun.subscription_id == sub_id, DigestRun.period_end == due
                    )
                ).first()
                is not None
            ):
                return None
            if sub.created_at > due:  # subscribed after this slot: start with the next one
                return None
            start = period_start(session, sub, due)
            missed = late > CATCH_UP
            run = DigestRun(
                subscription_id=sub_id,
                period_start=start,
                period_end=due,
                status="missed" if missed else "sending",
                claimed_at=now,
                last_error=f"due {due.isoformat()}, bot was down for {late}" if missed else None,
            )
            session.add(run)
            session.flush()
            if missed:
                report.missed.append((sub.channel_id, due.isoformat()))
                return None
            return run.id
    except IntegrityError:
        return None


def _retryable(engine: Engine, now: datetime) -> list[tuple[int, int]]:
    with session_scope(engine) as session:
        runs = session.exec(
            select(DigestRun).where(
                col(DigestRun.status).in_(("failed", "sending")),
                DigestRun.attempts < MAX_ATTEMPTS,
            )
        ).all()
        out = []
        for run in runs:
            if _due_again(run, now):
                assert run.id is not None
                out.append((run.id, run.subscription_id))
        return out


def _due_again(run: DigestRun, now: datetime) -> bool:
    """A failed run whose wait is over, or one left `sending` past its lease, still in time."""
    return claims.due(RUN, run, now, lease=LEASE) and _in_time(run, now)


def _in_time(run: DigestRun, now: datetime) -> bool:
    return now - run.period_end <= CATCH_UP


def _take_over(engine: Engine, run_id: int, now: datetime) -> bool:
    """Claim a failed or abandoned run with a compare-and-set, so only one process retries it."""
    return claims.take(engine, RUN, run_id, now, lease=LEASE, still=lambda run: _in_time(run, now))


def _post(
    engine: Engine,
    outbox: Outbox,
    taxonomy: Taxonomy,
    sub_id: int,
    run_id: int,
    now: datetime,
    report: DigestReport,
    cache: dict[tuple[Any, ...], Any],
    public_url: str | None = None,
) -> None:
    with session_scope(engine) as session:
        sub = session.get(DigestSubscription, sub_id)
        run = session.get(DigestRun, run_id)
        if sub is None or run is None:
            return
        community = session.get(Community, sub.community_id)
        assert community is not None
        member = session.get(Member, sub.member_id) if sub.member_id else None
        domains = list(sub.domains)
        if member is not None and member.id is not None:
            domains = repos.member_domains(session, member.id)
        language = language_of(sub, community, member)
        with i18n.using(language):
            digest = gather(
                session,
                community,
                channel=sub.channel_id,
                start=run.period_start,
                end=run.period_end,
                domains=domains,
                timezone=sub.timezone,
                language=language,
                taxonomy=taxonomy,
                limit=TOP,
                cache=cache,
                public_url=public_url,
                group=session.get(CopGroup, sub.group_id) if sub.group_id else None,
            )
        conversation = Conversation(community.platform, community.external_id, sub.channel_id)
        target = mention_of(member) if member else None
        name = community.name
    if sub.skip_empty and digest.empty:
        _finish(engine, run_id, "skipped", None, digest.as_json())
        report.skipped_empty.append((sub.channel_id, run.period_end.isoformat()))
        return
    with i18n.using(digest.language):
        message = to_reply(digest, name)
    try:
        if target is not None:
            outbox.direct(Direct(conversation, target, message))
        else:
            outbox.post(Outgoing(conversation, message, created_at=now, key=f"digest-{run_id}"))
    except DeliveryError as exc:
        if not exc.permanent:
            log.warning("posting digest %s to %s failed: %s", run_id, sub.channel_id, exc)
            _finish(engine, run_id, "failed", str(exc)[:500], None, now=now)
            report.failed.append((sub.channel_id, run.period_end.isoformat(), str(exc)))
            return
        log.warning("digest %s to %s refused for good: %s", run_id, sub.channel_id, exc)
        _finish(engine, run_id, "refused", exc.reason, None, now=now)
        report.refused.append((sub.channel_id, run.period_end.isoformat(), exc.reason))
        return
    except Exception as exc:
        log.warning("posting digest %s to %s failed: %s", run_id, sub.channel_id, exc)
        _finish(engine, run_id, "failed", f"{type(exc).__name__}: {exc}"[:500], None, now=now)
        report.failed.append((sub.channel_id, run.period_end.isoformat(), str(exc)))
        return
    _finish(engine, run_id, "sent", None, digest.as_json(), now=now)
    report.sent.append((sub.channel_id, run.period_end.isoformat()))


def language_of(sub: DigestSubscription, community: Community, member: Member | None) -> str:
    """What a digest is written in: a personal one in the member's language (else the
    subscription's, else the community's); a channel's in its subscription's language, else the
    community's."""
    chosen = i18n.supported(member.locale) if member is not None else None
    return chosen or i18n.supported(sub.language) or i18n.supported(community.language) or "en"


def _finish(
    engine: Engine,
    run_id: int,
    status: str,
    error: str | None,
    summary: dict[str, Any] | None,
    *,
    now: datetime | None = None,
) -> None:
    with session_scope(engine) as session:
        run = session.get(DigestRun, run_id)
        if run is None:
            return
        run.status = status
        run.attempts += 1
        run.last_error = error
        if now is not None and status == "failed":
            run.claimed_at = now
        if status == "sent":
            run.sent_at = now
        if summary is not None:
            sections = summary.get("sections")
            if isinstance(sections, dict):
                run.summary = {k: len(v) for k, v in sections.items() if isinstance(v, list)}
        session.add(run)
