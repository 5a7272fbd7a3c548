"""Room chores of the Matrix bot that need no command: answering invites, leaving rooms where
nobody else is left, and turning reactions to the bot's announcements into commands."""

from __future__ import annotations

import logging

from nio import AsyncClient, MatrixRoom, ReactionEvent, RedactionEvent

from cop_bot.platforms.matrix import wire
from cop_bot.platforms.matrix.state import State

log = logging.getLogger(__name__)


async def answer_invite(client: AsyncClient, room_id: str, inviter: str, *, allowed: bool) -> None:
    if allowed:
        log.info("joining %s (invited by %s)", room_id, inviter)
        await client.join(room_id)
    else:
        log.info("declining the invite to %s from %s (not allowed)", room_id, inviter)
        await client.room_leave(room_id)


async def leave_if_alone(client: AsyncClient, room: MatrixRoom) -> None:
    if room.room_id in client.rooms and room.joined_count <= 1 and not room.invited_count:
        log.info("leaving %s: nobody else is there", room.room_id)
        await client.room_leave(room.room_id)
        await client.room_forget(room.room_id)


def reacted(state: State, event: ReactionEvent) -> str | None:
    """The command a reaction to one of the bot's announcements stands for, remembered so that
    taking the reaction back can undo it; None for any other reaction."""
    announced = state.announcements.get(event.reacts_to)
    if not announced:
        return None
    kind, entity_id = announced
    text = wire.reaction_command(event.key, kind, entity_id)
    if text is None:
        return None
    state.reactions[event.event_id] = [event.sender, event.key, kind, entity_id]
    state.save()
    return text


def unreacted(state: State, event: RedactionEvent) -> str | None:
    """The command that undoes a reaction its own sender took back, else None."""
    record = state.reactions.pop(event.redacts, None)
    if not record or record[0] != event.sender:
        return None
    state.save()
    _sender, key, kind, entity_id = record
    return wire.reaction_command(key, kind, entity_id, removed=True)
