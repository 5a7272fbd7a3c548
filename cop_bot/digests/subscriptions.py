"""Who gets which digest: a channel's subscription (one per channel) and a member's personal one
(one per member, delivered by direct message and following their profile's domains).

These take the command's storage session and never commit, like every capability's queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from cop_bot.core.args import unknown_key
from cop_bot.core.i18n import _
from cop_bot.core.taxonomy import Taxonomy
from cop_bot.experts.profiles import parse_domains, parse_yes_no
from cop_bot.storage.models import DigestRun, DigestSubscription, Member

DOMAIN_KEYS = frozenset({"domains", "domain"})
SKIP_KEYS = frozenset({"skip-empty", "skip"})
SETTING_KEYS = DOMAIN_KEYS | SKIP_KEYS | {"language"}
ALL_DOMAINS = frozenset({"all", "-", "none", ""})


def for_channel(session: Session, community_id: int, channel: str) -> DigestSubscription | None:
    return session.exec(
        select(DigestSubscription).where(
            DigestSubscription.community_id == community_id,
            DigestSubscription.channel_id == channel,
            col(DigestSubscription.member_id).is_(None),
        )
    ).first()


def for_member(session: Session, member: Member) -> DigestSubscription | None:
    return session.exec(
        select(DigestSubscription).where(
            DigestSubscription.community_id == member.community_id,
            DigestSubscription.member_id == member.id,
        )
    ).first()


def schedule_channel(
    session: Session,
    community_id: int,
    channel: str,
    weekday: int,
    minute: int,
    tz: str,
    now: datetime,
    group_id: int | None = None,
) -> DigestSubscription:
    """Switch the channel's digest on at this weekly time, keeping its other settings. With
    `group_id` the channel's digest becomes that group's; without, the community's."""
    sub = for_channel(session, community_id, channel) or DigestSubscription(
        community_id=community_id, channel_id=channel, created_at=now, updated_at=now
    )
    sub.enabled, sub.weekday, sub.minute_of_day, sub.timezone = True, weekday, minute, tz
    sub.group_id = group_id
    sub.updated_at = now
    session.add(sub)
    return sub


def subscribe_member(
    session: Session, member: Member, found: DigestSubscription | None, tz: str, now: datetime
) -> DigestSubscription:
    """Switch the member's personal digest (`found`, else a new one in `tz`) on."""
    sub = found or DigestSubscription(
        community_id=member.community_id,
        channel_id=f"@{member.handle}",
        member_id=member.id,
        created_at=now,
        updated_at=now,
        timezone=tz,
    )
    sub.enabled = True
    sub.updated_at = now
    session.add(sub)
    return sub


def switch_off(session: Session, sub: DigestSubscription) -> None:
    sub.enabled = False
    session.add(sub)


def apply_settings(
    session: Session,
    sub: DigestSubscription,
    pairs: Iterable[tuple[str, str]],
    taxonomy: Taxonomy,
    now: datetime,
) -> list[str]:
    """Apply `domains`, `skip-empty` and `language` from a settings form. Returns the problems;
    the caller stores nothing unless there are none (its transaction is rolled back)."""
    problems: list[str] = []
    for key, value in pairs:
        if key in DOMAIN_KEYS:
            problems.extend(_set_domains(sub, value, taxonomy))
        elif key in SKIP_KEYS:
            try:
                sub.skip_empty = parse_yes_no(value)
            except ValueError as exc:
                problems.append(f"skip-empty: {exc}")
        elif key == "language":
            if value.strip().lower() in taxonomy.languages:
                sub.language = value.strip().lower()
            else:
                problems.append(
                    _("language: use one of {languages}.").format(
                        languages=", ".join(taxonomy.languages)
                    )
                )
        else:
            error = unknown_key(
                key, SETTING_KEYS, kind="setting", shown=("domains", "skip-empty", "language")
            )
            problems.append(f"{error.message} {error.hint}")
    sub.updated_at = now
    session.add(sub)
    return problems


def _set_domains(sub: DigestSubscription, value: str, taxonomy: Taxonomy) -> list[str]:
    if value.strip().lower() in ALL_DOMAINS:
        sub.domains = []
        return []
    parsed = parse_domains(taxonomy, value)
    sub.domains = parsed.slugs
    return [
        _("I could not match “{term}” to a domain (closest: {closest}).").format(
            term=term, closest=", ".join(close)
        )
        if close
        else _("I could not match “{term}” to a domain.").format(term=term)
        for term, close in parsed.unmatched
    ]


def last_run(session: Session, sub: DigestSubscription) -> DigestRun | None:
    return session.exec(
        select(DigestRun)
        .where(DigestRun.subscription_id == sub.id)
        .order_by(col(DigestRun.period_end).desc())
    ).first()


def period_start(session: Session, sub: DigestSubscription, due: datetime) -> datetime:
    """Since the previous digest that went out, else the past 7 days."""
    last = session.exec(
        select(DigestRun.period_end)
        .where(DigestRun.subscription_id == sub.id, DigestRun.status.in_(("sent", "skipped")))  # type: ignore[attr-defined]
        .where(col(DigestRun.period_end) < due)
        .order_by(col(DigestRun.period_end).desc())
    ).first()
    return (
        last if last is not None and due - last <= timedelta(days=35) else due - timedelta(days=7)
    )
