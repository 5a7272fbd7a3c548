"""A channel's digest as it would be posted now, for `/digest preview` and `cop-bot digest
preview`. It only reads, so the deployer's preview never adds a member or a community (which
would then be counted in the digest itself)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from cop_bot.core import i18n
from cop_bot.core.model import Reply
from cop_bot.core.taxonomy import Taxonomy
from cop_bot.digests import subscriptions
from cop_bot.digests.build import gather, to_reply
from cop_bot.storage.models import Community, CopGroup


def preview(
    session: Session,
    community: Community,
    channel: str,
    now: datetime,
    taxonomy: Taxonomy,
    public_url: str | None = None,
) -> Reply:
    """The digest of `channel` for the period ending `now`, seen by one person (ephemeral)."""
    assert community.id is not None
    sub = subscriptions.for_channel(session, community.id, channel)
    start = subscriptions.period_start(session, sub, now) if sub else now - timedelta(days=7)
    language = (
        i18n.supported(sub.language if sub else None)
        or i18n.supported(community.language)
        or i18n.DEFAULT
    )
    with i18n.using(language):  # the channel's language, whoever asks for the preview
        digest = gather(
            session,
            community,
            channel=channel,
            start=start,
            end=now,
            domains=list(sub.domains) if sub else [],
            timezone=sub.timezone if sub else community.timezone,
            language=language,
            taxonomy=taxonomy,
            public_url=public_url,
            group=session.get(CopGroup, sub.group_id) if sub and sub.group_id else None,
        )
        result = to_reply(digest, community.name)
        return Reply(
            blocks=result.blocks, visibility="ephemeral", data=result.data, locale=result.locale
        )
