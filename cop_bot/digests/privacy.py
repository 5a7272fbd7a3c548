"""The personal digest a member switched on with `/digest me on`, for `/profile export` and
`/profile delete` (a channel's digest belongs to the channel and holds no member id)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from cop_bot.core.privacy import PrivacySection, by_foreign_keys, record, records, rows_of
from cop_bot.digests.schedule import WEEKDAYS, clock_time
from cop_bot.storage.models import DigestRun, DigestSubscription, Member


def _digests(session: Session, member: Member) -> list[dict[str, Any]]:
    subscriptions = rows_of(session, DigestSubscription, DigestSubscription.member_id, member)
    return [_subscription(session, sub) for sub in subscriptions]


def _subscription(session: Session, sub: DigestSubscription) -> dict[str, Any]:
    runs = session.exec(
        select(DigestRun)
        .where(DigestRun.subscription_id == sub.id)
        .order_by(col(DigestRun.period_end))
    ).all()
    return {
        "channel": sub.channel_id,
        "enabled": sub.enabled,
        "weekday": WEEKDAYS[sub.weekday],
        "time": clock_time(sub.minute_of_day),
        **record(sub, "timezone language domains skip_empty created_at updated_at"),
        "sent": records(runs, "period_end status sent_at"),
    }


DIGESTS = PrivacySection(
    name="digests",
    export=_digests,
    erase=by_foreign_keys(),  # ON DELETE CASCADE: the subscription and its runs go with them
    covers=("digest_subscription.member_id",),
)
