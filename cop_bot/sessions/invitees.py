"""Members invited to a session by name: `/schedule-session … with @handle [@handle…]`.

A mentoring pair's introduction suggests `with @other`, so two members can meet without a
group. The invitees are stored (`MeetingInvitee`) and reminded like a group's members: unless
they answer no. `take_with` only reads the words; `resolve` checks every handle before the
session is written, so an unknown one is an error and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select

from cop_bot.core.args import did_you_mean, parse_handle
from cop_bot.core.errors import CommandError, UsageError
from cop_bot.core.i18n import _
from cop_bot.storage import repos
from cop_bot.storage.models import MeetingInvitee, Member

WITH = "with"
MAX_INVITEES = 50
"""More people than this is a group: make one (`/group create`) and use `group:`."""


def take_with(words: list[str]) -> tuple[list[str], list[str]]:
    """The words without `with @a @b …`, and the handles typed (without `@`, lower case, each
    once, in order). `with` counts only when a word starting with `@` follows it, so a title or
    place may still say "with"; handles may be separated by commas."""
    rest: list[str] = []
    handles: list[str] = []
    seen_with = False
    i = 0
    while i < len(words):
        word = words[i]
        follows = words[i + 1] if i + 1 < len(words) else ""
        if word.lower() != WITH or not follows.startswith("@"):
            rest.append(word)
            i += 1
            continue
        if seen_with:
            raise UsageError(
                _("`{key}` is given twice: name everyone after one, e.g. {example}.").format(
                    key=WITH, example="`with @amina @luca`"
                )
            )
        seen_with = True
        i += 1
        while i < len(words) and words[i].startswith("@"):
            for piece in words[i].split(","):
                if piece.strip():
                    handle = parse_handle(piece.strip())
                    if handle not in handles:
                        handles.append(handle)
            i += 1
    if len(handles) > MAX_INVITEES:
        raise UsageError(
            _(
                "At most {most} members can be invited by name; for more, make a group and "
                "use {example}."
            ).format(most=MAX_INVITEES, example="`group: SLUG`")
        )
    return rest, handles


def resolve(session: Session, community_id: int, handles: Iterable[str]) -> list[Member]:
    """The members named, or a `CommandError` for the first handle nobody has (with the
    closest known one)."""
    found: list[Member] = []
    for handle in handles:
        member = repos.find_member(session, community_id, handle)
        if member is None:
            guess = did_you_mean(handle, repos.member_handles(session, community_id))
            raise CommandError(
                _("There is no member @{handle} in this community.").format(handle=handle),
                hint=_("Did you mean @{handle}?").format(handle=guess) if guess else None,
            )
        found.append(member)
    return found


def invite(session: Session, meeting_id: int, members: Iterable[Member], now: datetime) -> None:
    """Store the invitations, in the caller's transaction."""
    for member in members:
        assert member.id is not None
        session.add(MeetingInvitee(session_id=meeting_id, member_id=member.id, invited_at=now))


def invitee_ids(session: Session, meeting_id: int) -> set[int]:
    return set(
        session.exec(
            select(MeetingInvitee.member_id).where(MeetingInvitee.session_id == meeting_id)
        ).all()
    )


def invitee_handles(session: Session, meeting_id: int) -> list[str]:
    rows = session.exec(
        select(Member.handle)
        .join(MeetingInvitee, col(MeetingInvitee.member_id) == col(Member.id))
        .where(MeetingInvitee.session_id == meeting_id)
        .order_by(col(Member.handle))
    ).all()
    return list(rows)
