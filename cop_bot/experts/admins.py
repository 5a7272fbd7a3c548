"""The rule that keeps a community administrable: its last admin cannot stop being one, by
revoking their own role or by erasing their data, before handing the role over.

A handle in COP_BOT_ADMINS is an admin whatever is stored, so it is never the last one; but
admins named only there do not count as the others, because the settings belong to one
deployment and the community needs an admin of its own."""

from __future__ import annotations

from collections.abc import Collection

from sqlmodel import Session

from cop_bot.core.errors import CommandError
from cop_bot.core.i18n import _
from cop_bot.core.model import Role
from cop_bot.storage import repos
from cop_bot.storage.models import Member


def is_last_admin(session: Session, member: Member, configured: Collection[str]) -> bool:
    """True when `member` is the only one holding the admin role in the community."""
    if member.handle in configured:
        return False
    granted = {m.handle for m in repos.members_with_role(session, member.community_id, Role.ADMIN)}
    return granted == {member.handle}


def refuse_erasing_last_admin(
    session: Session, member: Member, configured: Collection[str]
) -> None:
    """Erasure would leave the community without an admin: ask for a hand-over first."""
    if is_last_admin(session, member, configured):
        raise CommandError(
            _(
                "You are the last admin of this community, so I cannot erase your data yet: "
                "the community would be left without an admin."
            ),
            hint=_(
                "Hand the role over first with `/role grant HANDLE admin`, then erase your "
                "data. If a community is ever left without an admin, whoever runs the bot can "
                "name one with `cop-bot roles grant HANDLE admin`."
            ),
        )
