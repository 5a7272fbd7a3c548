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


def remember_reply(state: State, event_id: str, sender: str, target: str, text: str) -> bool:
    """A member's reply to a question's post, kept until they confirm it with ✅ (a reply in
    a room is often a comment, not an answer, so it is not recorded without that)."""
    announced = state.announcements.get(target)
    if not announced or announced[0] != "question" or not text.strip():
        return False
    state.replies[event_id] = [sender, announced[1], text]
    state.save()
    return True


def confirmed_answer(state: State, event: ReactionEvent) -> str | None:
    """`answer ID TEXT` when the author of a reply to a question's post reacts ✅ to it."""
    if wire.normalise_key(event.key) != wire.CONFIRM_ANSWER:
        return None
    record = state.replies.get(event.reacts_to)
    if not record or record[0] != event.sender:
        return None
    del state.replies[event.reacts_to]
    state.save()
    _sender, question_id, text = record
    return f"answer {question_id} {text}"


def question_replied_to(state: State, target: str | None) -> int | None:
    announced = state.announcements.get(target) if target else None
    return int(announced[1]) if announced and announced[0] == "question" else None


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
