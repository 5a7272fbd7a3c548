"""Who may see, change and approve a practice, and for how long an approval holds.

Curators keep the repertoire trustworthy: what a member shares waits for their review unless
review is off or a curator shares it, and an approval is due for renewal after a year. These
rules live here, apart from the chat wording, so the commands and the CLI import agree on them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from sqlmodel import Session

from cop_bot.core.model import Role
from cop_bot.groups.rules import is_focal_for_author
from cop_bot.storage import repos
from cop_bot.storage.models import Community, Member, Practice

PENDING, APPROVED, REJECTED, NEEDS_CONFIRMATION = (
    "pending",
    "approved",
    "rejected",
    "needs-confirmation",
)
STATUSES = (PENDING, APPROVED, REJECTED, NEEDS_CONFIRMATION)
REVIEW_PERIOD = timedelta(days=365)
"""An approved practice is due for review twelve months after its (last) approval."""
MIN_REASON, MAX_REASON = 4, 500
"""A rejection's reason, which the author receives: long enough to act on, short enough to read."""


class Viewer(Protocol):
    """Who is acting, and where (a command's `Ctx` is one). Roles are read only when asked."""

    @property
    def community(self) -> Community: ...

    @property
    def community_id(self) -> int: ...

    @property
    def member(self) -> Member: ...

    def has(self, role: Role) -> bool: ...


def is_author(practice: Practice, member: Member) -> bool:
    return practice.author_id is not None and practice.author_id == member.id


def may_see(practice: Practice, viewer: Viewer) -> bool:
    """Approved practices for everyone; the others for their author and curators only."""
    return (
        practice.status == APPROVED
        or is_author(practice, viewer.member)
        or viewer.has(Role.CURATOR)
    )


def may_change(practice: Practice, viewer: Viewer) -> bool:
    """Editing and confirming "no personal data" are for the author and curators."""
    return is_author(practice, viewer.member) or viewer.has(Role.CURATOR)


def may_curate(session: Session, practice: Practice, viewer: Viewer) -> bool:
    """Approving and rejecting: curators, for every practice; a group's focal points, for the
    practices shared in their group (by one of its members), never for their own."""
    if viewer.has(Role.CURATOR):
        return True
    return not is_author(practice, viewer.member) and is_focal_for_author(
        session, practice.author_id, viewer.member
    )


def initial_status(session: Session, viewer: Viewer, author: Member) -> str:
    """Approved at once when a curator shares (or confirms), or when review is off."""
    if not viewer.community.review_enabled or viewer.has(Role.CURATOR):
        return APPROVED
    if author.id is not None and author.id != viewer.member.id:
        roles = repos.granted_roles(session, author.id)
        if Role.CURATOR in roles or Role.ADMIN in roles:
            return APPROVED
    return PENDING


def mark_approved(practice: Practice, approver: Member | None, now: datetime) -> None:
    practice.status = APPROVED
    practice.approved_at = now
    practice.approved_by_id = approver.id if approver else None
    practice.review_by = now + REVIEW_PERIOD
    practice.rejected_reason = None
