"""End-to-end encryption for the Matrix bot (`MATRIX_ENCRYPTION=true`, needs `matrix-nio[e2e]`).

matrix-nio does the cryptography (Olm/Megolm through vodozemac) and keeps its keys in a SQLite
crypto store in `COP_BOT_STATE_DIR/matrix-store`, one file per user and device. The bot keeps its
device id in its state file and logs in again with it, so a restart reuses the same device and
the same keys: members never see a new, unknown session after a restart.

What this module adds on top of nio, because the bot runs its own sync loop rather than
`AsyncClient.sync_forever`: the key bookkeeping nio's loop does around every sync (`maintain`:
upload the device and one-time keys, query changed device lists, claim one-time keys for wedged
Olm sessions, send queued to-device messages), a wait for the room to be known before sending
(nio can only encrypt for rooms it has synced), and a short wait for a missing room key when a
message cannot be decrypted (`decrypt_later`).

**Trust policy.** The bot has no verification UI, so it cannot verify anyone interactively. It
trusts each device on first use: nio pins every device's Ed25519 key the first time it learns
it and refuses a changed key for the same device id afterwards. The bot shares its room keys
with every device of every member of an encrypted room that is not blacklisted, marking the
unverified ones as *ignored* in nio's sense (they still get the keys, they are not marked
verified), and it reads messages from unverified devices too. So the encryption protects the
messages from the homeserver's operator and from anyone reading its database or the network,
but not from someone who can add a device to a member's account (or to the bot's): the bot
answers that device like any other. The bot never forwards room keys to other users (nio only
answers key requests from the bot's own verified devices). Do not ask it for secrets.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable
from typing import Any

import aiohttp
from nio import (
    AsyncClient,
    EncryptionError,
    ErrorResponse,
    ForwardedRoomKeyEvent,
    LocalProtocolError,
    MegolmEvent,
    RoomKeyEvent,
)

log = logging.getLogger(__name__)

NETWORK_ERRORS = (aiohttp.ClientError, TimeoutError, OSError)
# An encrypted room's state or the bot's new direct room is known after the next sync, which
# the homeserver returns at once when a room changes.
ROOM_WAIT = 10.0
ENCRYPTION_STATE = {
    "type": "m.room.encryption",
    "state_key": "",
    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
}


class Crypto:
    """The bot's end-to-end encryption chores; every method is a no-op without encryption."""

    def __init__(self, client: AsyncClient) -> None:
        self.client = client
        self._keys_arrived: dict[str, asyncio.Event] = {}  # megolm session id -> woken on a key
        self._synced_rooms: set[str] = set()  # rooms as of the end of the last sync
        client.add_to_device_callback(self._on_room_key, (RoomKeyEvent, ForwardedRoomKeyEvent))

    @property
    def active(self) -> bool:
        """True once nio has loaded the crypto store (after login, with encryption enabled)."""
        return self.client.olm is not None

    def note_sync(self) -> None:
        """A sync has been handled completely: the rooms nio knows now are safe to encrypt for."""
        self._synced_rooms = set(self.client.rooms)

    async def maintain(self) -> None:
        """After each sync: what `sync_forever` would do and our loop must do itself. Never
        raises for the homeserver's sake: a failed step is retried after the next sync."""
        if not self.active:
            return
        c = self.client
        self.note_sync()
        steps: list[tuple[str, Any]] = []
        if c.should_upload_keys:
            steps.append(("keys upload", c.keys_upload))
        if c.should_query_keys:
            steps.append(("keys query", c.keys_query))
        if c.should_claim_keys:
            steps.append(("keys claim", lambda: c.keys_claim(c.get_users_for_key_claiming())))
        if c.outgoing_to_device_messages:
            steps.append(("to-device messages", c.send_to_device_messages))
        for name, step in steps:
            try:
                resp = await step()
            except (LocalProtocolError, *NETWORK_ERRORS) as exc:
                resp = exc
            answers = resp if isinstance(resp, list) else [resp]
            failed = [a for a in answers if isinstance(a, (Exception, ErrorResponse))]
            if failed:
                log.warning("Matrix encryption: %s failed: %s", name, failed[0])

    async def until_room_known(
        self, room_id: str, members: Iterable[str] = (), timeout: float = ROOM_WAIT
    ) -> None:
        """nio encrypts only for rooms it has synced (it must know whether the room is encrypted
        and who is in it): wait for a room just created or joined to come in by a sync that has
        been handled completely (nio lists the room before it has read its timeline), with
        `members` in it (joined or invited): a room the bot has just created may come in before
        its invites, and a room key shared then would not reach the invitee."""
        if not self.active:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            room = self.client.rooms.get(room_id)
            if (
                room_id in self._synced_rooms
                and room is not None
                and all(m in room.users for m in members)
            ):
                return
            await asyncio.sleep(0.05)
        log.warning("room %s is not synced yet; sending anyway", room_id)

    async def decrypt_later(self, event: MegolmEvent, timeout: float) -> Any | None:
        """An event nio could not decrypt: ask the bot's other devices for the key (if it has
        any) and wait up to `timeout` seconds for the key to come in (a room key sent late, or
        forwarded). The decrypted event, or None if it still cannot be decrypted."""
        if not self.active:
            return None
        session_id = str(event.session_id)
        arrived = self._keys_arrived.setdefault(session_id, asyncio.Event())
        try:
            if (done := self._decrypt(event)) is not None:
                return done
            if session_id not in self.client.outgoing_key_requests:
                with contextlib.suppress(LocalProtocolError, *NETWORK_ERRORS):
                    await self.client.request_room_key(event)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(arrived.wait(), timeout)
            return self._decrypt(event)
        finally:
            self._keys_arrived.pop(session_id, None)

    def stop_waiting(self) -> None:
        """Shutting down: end every `decrypt_later` wait now."""
        for waiting in self._keys_arrived.values():
            waiting.set()

    def _decrypt(self, event: MegolmEvent) -> Any | None:
        try:
            return self.client.decrypt_event(event)
        except EncryptionError:
            return None

    async def _on_room_key(self, event: RoomKeyEvent | ForwardedRoomKeyEvent) -> None:
        if (waiting := self._keys_arrived.get(str(event.session_id))) is not None:
            waiting.set()
