"""The Matrix bot: one matrix-nio client, one sync loop, every command through the shared router.

Start-up: log in (or reuse the stored device and token), do one full sync *without* callbacks so
the backlog is never answered, answer pending invites, leave rooms where the bot is alone, then
register the callbacks and keep syncing. Each command runs in its own task (the router is
synchronous, so it runs in a worker thread) so a slow command never stalls the sync loop.

Every message leaves through `send`, which reuses one transaction id across its retries, so a
retried send can never post twice; matrix-nio itself waits out `M_LIMIT_EXCEEDED` a bounded
number of times (`MAX_LIMIT_EXCEEDED`) and retries network errors with exponential backoff.

With `MATRIX_ENCRYPTION=true`, `crypto.Crypto` does the key bookkeeping after every sync that
nio's own `sync_forever` would do, and `send` encrypts for encrypted rooms (trust policy in
`crypto.py`); an event that stays undecryptable gets one explanation per room.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

import aiohttp
from nio import (
    AsyncClient,
    AsyncClientConfig,
    EncryptionError,
    GroupEncryptionError,
    InviteMemberEvent,
    LocalProtocolError,
    LoginResponse,
    MatrixRoom,
    MegolmEvent,
    ReactionEvent,
    RedactionEvent,
    RoomCreateResponse,
    RoomMemberEvent,
    RoomMessageText,
    RoomPreset,
    RoomSendResponse,
    SyncError,
    SyncResponse,
    WhoamiResponse,
)
from nio.crypto import ENCRYPTION_ENABLED

from cop_bot.app import App
from cop_bot.core import i18n
from cop_bot.core.args import CommandLine
from cop_bot.core.i18n import N_, _
from cop_bot.core.model import Outgoing, Reply, Text, reply
from cop_bot.core.outbox import FORBIDDEN, UNREACHABLE, DeliveryError
from cop_bot.platforms.common import Recent, Tasks
from cop_bot.platforms.matrix import rooms, wire
from cop_bot.platforms.matrix.crypto import ENCRYPTION_STATE, Crypto
from cop_bot.platforms.matrix.state import State

log = logging.getLogger(__name__)

MAX_LIMIT_EXCEEDED = 5  # 429s waited out per request before giving up
MAX_TIMEOUTS = 6  # network errors retried per request (nio's exponential backoff)
SEND_ATTEMPTS = 3  # our own retries of a send on top of nio's, same transaction id
MAX_BACKOFF = 60.0
# At start-up an unreachable homeserver is most likely a wrong MATRIX_HOMESERVER: say so after a
# couple of seconds, not after the minute of retries a running bot gives a network blip.
STARTUP_TIMEOUTS = 2
CLOCK_SKEW_MS = 30_000
SEEN_EVENTS = 10_000
TOKEN_SAVE_INTERVAL = 30.0  # seconds between writes of a new sync token alone (_remember_sync)
KEY_WAIT = 10.0  # seconds to wait for a missing room key before saying a message is unreadable
ENCRYPTED_WARNING = N_(
    "I cannot read end-to-end encrypted messages in this room, so I cannot answer here. "
    "Talk to me in an unencrypted room, or ask whoever runs me to enable encryption "
    "(MATRIX_ENCRYPTION=true)."
)
UNDECRYPTABLE_WARNING = N_(
    "I could not decrypt a message in this room, so I cannot answer it. If it keeps happening, "
    "verify my session or talk to me in an unencrypted room."
)

ANSWERED_PRIVATELY = N_("I answered you in a direct message.")


def said(message: str, language: str) -> Reply:
    """One of the adapter's own messages (marked with `N_`) as a reply in `language`."""
    with i18n.using(language):
        return reply(Text.of(_(message)))


class FatalError(Exception):
    """Something a restart will not fix (bad credentials): stop with a clear message."""


class MatrixBot:
    def __init__(
        self,
        app: App,
        *,
        state_dir: str | Path | None = None,
        sync_timeout_ms: int = 30_000,
        read_only: bool = False,
    ) -> None:
        s = app.settings
        assert s.matrix_homeserver and s.matrix_user_id
        self.app = app
        self.settings = s
        self.user_id = s.matrix_user_id
        self.home_server = wire.server_of(self.user_id)
        self.prefix = s.matrix_command_prefix
        self.state_dir = Path(state_dir or s.state_dir)
        self.state = State.load(self.state_dir, self.user_id, read_only=read_only)
        self._fresh_login = False
        self.sync_timeout_ms = sync_timeout_ms
        store = self.state_dir / "matrix-store"
        if s.matrix_encryption and not ENCRYPTION_ENABLED:
            raise FatalError(
                "MATRIX_ENCRYPTION=true needs matrix-nio's encryption support: "
                "pip install 'matrix-nio[e2e]', or set MATRIX_ENCRYPTION=false."
            )
        if s.matrix_encryption:
            store.mkdir(parents=True, exist_ok=True)
        self.client = AsyncClient(
            s.matrix_homeserver,
            self.user_id,
            device_id=self.state.device_id or "",
            store_path=str(store) if s.matrix_encryption else "",
            config=AsyncClientConfig(
                max_limit_exceeded=MAX_LIMIT_EXCEEDED,
                max_timeouts=MAX_TIMEOUTS,
                backoff_factor=0.5,
                max_timeout_retry_wait_time=MAX_BACKOFF,
                encryption_enabled=s.matrix_encryption,
                store_sync_tokens=False,
            ),
        )
        self.crypto = Crypto(self.client)  # end-to-end encryption chores (see crypto.py)
        self.key_wait = KEY_WAIT
        self.started_ms = 0
        self._token_saved = float("-inf")  # monotonic time the sync token was last written
        self.ready = asyncio.Event()
        self._stop = asyncio.Event()
        self._seen = Recent(SEEN_EVENTS)
        self.tasks = Tasks(log, "Matrix task failed")
        self._dm_locks: dict[str, asyncio.Lock] = {}
        self._send_lock = asyncio.Lock()  # one message send at a time: see `_room_send`
        self.loop: asyncio.AbstractEventLoop | None = None
        # Run after the sync loop stops, while the client can still send (e.g. stop a scheduler).
        self.before_close: list[Callable[[], Awaitable[None]]] = []

    # ---- life cycle ----------------------------------------------------------------------------

    def stop(self) -> None:
        self._stop.set()
        self.crypto.stop_waiting()

    async def serve(self) -> None:
        """Run until `stop()`; raises `FatalError` for problems a retry cannot fix."""
        self.loop = asyncio.get_running_loop()
        self.started_ms = int(time.time() * 1000)
        try:
            async with self._reaching_the_homeserver():
                await self._login()
                await self._first_sync()
            self._register_callbacks()
            self.ready.set()
            log.info("Matrix bot %s is listening", self.user_id)
            await self._sync_loop()
        finally:
            for hook in self.before_close:
                with contextlib.suppress(Exception):
                    await hook()
            await self.tasks.wait(10)
            self.state.save()
            await self.client.close()

    @contextlib.asynccontextmanager
    async def _reaching_the_homeserver(self) -> AsyncIterator[None]:
        """Start-up: few network retries, and a refused connection becomes a `FatalError`
        naming MATRIX_HOMESERVER instead of a stack trace."""
        patient = self.client.config  # frozen: swapped whole, and back
        self.client.config = dataclasses.replace(patient, max_timeouts=STARTUP_TIMEOUTS)
        try:
            yield
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            raise FatalError(
                f"could not reach the homeserver at {self.settings.matrix_homeserver} "
                f"({exc or type(exc).__name__}); check MATRIX_HOMESERVER and the network."
            ) from exc
        finally:
            self.client.config = patient

    async def _login(self) -> None:
        s = self.settings
        if s.matrix_access_token:
            self.client.access_token = s.matrix_access_token
            if not self.state.device_id:
                who = await self.client.whoami()
                if not isinstance(who, WhoamiResponse):
                    raise FatalError(f"MATRIX_ACCESS_TOKEN was refused by the homeserver: {who}")
                if who.user_id != self.user_id:
                    raise FatalError(
                        f"MATRIX_ACCESS_TOKEN belongs to {who.user_id}, not MATRIX_USER_ID "
                        f"{self.user_id}."
                    )
                self.state.device_id = who.device_id
            self.client.restore_login(self.user_id, self.state.device_id, s.matrix_access_token)
        elif self.state.access_token and self.state.device_id:
            self.client.restore_login(self.user_id, self.state.device_id, self.state.access_token)
        else:
            assert s.matrix_password
            resp = await self.client.login(s.matrix_password, device_name="cop-bot")
            if not isinstance(resp, LoginResponse):
                raise FatalError(f"Matrix login as {self.user_id} failed: {resp}")
            self.state.device_id = resp.device_id
            self.state.access_token = resp.access_token
            self._fresh_login = True
        self.state.save()

    async def connect(self) -> None:
        """Log in and learn the rooms (one sync, no timeline, no callbacks), without serving:
        for jobs that only send (`cop-bot digest run-due`)."""
        self.loop = asyncio.get_running_loop()
        async with self._reaching_the_homeserver():
            await self._login()
            resp = await self.client.sync(
                timeout=0, full_state=True, sync_filter={"room": {"timeline": {"limit": 0}}}
            )
        if not isinstance(resp, SyncResponse):
            raise FatalError(f"could not reach the Matrix homeserver: {resp}")
        if self._fresh_login:
            await self.crypto.maintain()  # a device of its own: publish its keys
        else:
            self.crypto.note_sync()  # the running bot's device: leave its keys to the bot

    async def close(self) -> None:
        """After `connect`: wait for sends, and log out a device made only for this run."""
        await self.tasks.wait(30)
        if self._fresh_login and self.state.read_only:
            await self.client.logout()
        await self.client.close()

    async def _first_sync(self) -> None:
        """Catch up without callbacks: nothing from before start-up is ever answered."""
        self.client.next_batch = self.state.next_batch
        delay = 1.0
        relogged = False
        while True:
            resp = await self.client.sync(timeout=0, full_state=True)
            if isinstance(resp, SyncResponse):
                break
            code = getattr(resp, "status_code", "")
            if code == "M_UNKNOWN_TOKEN" and self.settings.matrix_password and not relogged:
                log.warning("stored Matrix token refused; logging in again")
                self.state.access_token = self.state.device_id = None
                await self._login()
                relogged = True
                continue
            if code == "M_UNKNOWN_TOKEN":
                raise FatalError(f"the homeserver refused the bot's access token: {resp}")
            log.warning("first sync failed (%s); retrying in %.0f s", resp, delay)
            if await self._sleep(delay):
                return
            delay = min(delay * 2, MAX_BACKOFF)
        self._remember_sync()
        await self.crypto.maintain()  # keys uploaded before joining anything: members can encrypt
        for room_id, room in list(self.client.invited_rooms.items()):
            self.spawn(self._answer_invite(room_id, room.inviter or ""))
        for room in list(self.client.rooms.values()):
            self.spawn(self._leave_if_alone(room))

    def _register_callbacks(self) -> None:
        c = self.client
        c.add_event_callback(self._on_message, RoomMessageText)
        c.add_event_callback(self._on_encrypted, MegolmEvent)
        c.add_event_callback(self._on_reaction, ReactionEvent)
        c.add_event_callback(self._on_redaction, RedactionEvent)
        c.add_event_callback(self._on_invite, InviteMemberEvent)
        c.add_event_callback(self._on_member, RoomMemberEvent)

    async def _sync_loop(self) -> None:
        delay = 1.0
        while not self._stop.is_set():
            sync = asyncio.ensure_future(self.client.sync(timeout=self.sync_timeout_ms))
            stopped = asyncio.ensure_future(self._stop.wait())
            await asyncio.wait({sync, stopped}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if not sync.done():
                sync.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await sync
                return
            try:
                resp = sync.result()
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                resp = exc
            if isinstance(resp, SyncResponse):
                delay = 1.0
                self._remember_sync()
                await self.crypto.maintain()
                continue
            if isinstance(resp, SyncError) and resp.status_code == "M_UNKNOWN_TOKEN":
                raise FatalError(f"the homeserver no longer accepts the bot's token: {resp}")
            log.warning("Matrix sync failed (%s); retrying in %.0f s", resp, delay)
            if await self._sleep(delay):
                return
            delay = min(delay * 2, MAX_BACKOFF)

    def _remember_sync(self) -> None:
        """Keep the new sync token; write it at most every TOKEN_SAVE_INTERVAL (any other state
        change writes it too, and so does shutdown). Written after every sync, it cost ~4 ms of
        blocking file I/O twice per command, before the command even started (profiled with
        benchmarks/bench_matrix.py). A token a few seconds stale after a crash is harmless: the
        first sync after a restart runs without callbacks, so nothing it replays is answered."""
        if self.client.next_batch and self.client.next_batch != self.state.next_batch:
            self.state.next_batch = self.client.next_batch
            now = time.monotonic()
            if now - self._token_saved >= TOKEN_SAVE_INTERVAL:
                self._token_saved = now
                self.state.save()

    async def _sleep(self, seconds: float) -> bool:
        """Sleep unless stopped first; True when stopped."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)
        return self._stop.is_set()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        self.tasks.spawn(coro)

    # ---- filters -------------------------------------------------------------------------------

    def _fresh(self, event: Any) -> bool:
        """Not ours, not seen before, not from before start-up."""
        if event.sender == self.user_id or not self._seen.add(event.event_id):
            return False
        return bool(event.server_timestamp >= self.started_ms - CLOCK_SKEW_MS)

    @staticmethod
    def is_direct(room: MatrixRoom) -> bool:
        return int(room.member_count) <= 2

    def _bot_names(self, room: MatrixRoom) -> list[str]:
        return [self.user_id, self.user_id[1:].partition(":")[0], room.user_name(self.user_id)]

    # ---- callbacks (fast: they only decide and spawn) ------------------------------------------

    async def _on_message(self, room: MatrixRoom, event: RoomMessageText) -> None:
        if not self._fresh(event):
            return
        content = event.source.get("content", {})
        relates = content.get("m.relates_to") or {}
        if relates.get("rel_type") == "m.replace":
            return  # an edit of an earlier message: not a new command
        body = wire.strip_reply_fallback(event.body or "")
        command = wire.parse_message(
            body,
            prefix=self.prefix,
            bot_names=self._bot_names(room),
            is_direct=self.is_direct(room),
        )
        target = wire.replied_to(content)
        if command is None and target is not None:
            rooms.remember_reply(self.state, event.event_id, event.sender, target, body)
        question = rooms.question_replied_to(self.state, target)
        if command is not None and command.name == "answer" and question is not None:
            command = CommandLine(command.name, wire.answer_rest(command.rest, question))
        if command is not None:
            thread = wire.thread_root(content)
            self.spawn(
                self._run(
                    room, event.sender, command, raw=body, reply_to=event.event_id, thread=thread
                )
            )

    async def _on_encrypted(self, room: MatrixRoom, event: MegolmEvent) -> None:
        """An encrypted event nio could not decrypt (encryption off, or the key is missing)."""
        if not self._fresh(event):
            return
        if self.crypto.active:
            self.spawn(self._decrypt_later(room, event))
        else:
            self._warn_once(room.room_id, ENCRYPTED_WARNING)

    async def _decrypt_later(self, room: MatrixRoom, event: MegolmEvent) -> None:
        decrypted = await self.crypto.decrypt_later(event, self.key_wait)
        if decrypted is None and self._stop.is_set():
            return
        if decrypted is None:
            log.info("cannot decrypt %s in %s", event.event_id, room.room_id)
            self._warn_once(room.room_id, UNDECRYPTABLE_WARNING)
            return
        self._seen.forget(event.event_id)  # let the handler see it as new
        if isinstance(decrypted, RoomMessageText):
            await self._on_message(room, decrypted)
        elif isinstance(decrypted, ReactionEvent):
            await self._on_reaction(room, decrypted)

    def _warn_once(self, room_id: str, text: str) -> None:
        """Say once per room (remembered across restarts) why the bot cannot answer there."""
        if room_id in self.state.warned_rooms:
            return
        self.state.warned_rooms.append(room_id)
        self.state.save()
        warning = said(text, self.settings.language)  # to a room, not a member: the deployment's
        self.spawn(self.send(room_id, wire.reply_content(warning, prefix=self.prefix)))

    async def _on_reaction(self, room: MatrixRoom, event: ReactionEvent) -> None:
        if not self._fresh(event):
            return
        text = rooms.confirmed_answer(self.state, event) or rooms.reacted(self.state, event)
        if text is not None:
            self._run_reaction(room, event.sender, text)

    async def _on_redaction(self, room: MatrixRoom, event: RedactionEvent) -> None:
        if self._fresh(event) and (text := rooms.unreacted(self.state, event)) is not None:
            self._run_reaction(room, event.sender, text)

    def _run_reaction(self, room: MatrixRoom, sender: str, text: str) -> None:
        """A reaction's command, answered privately (a ✅ must not fill the room)."""
        name, _space, rest = text.partition(" ")
        self.spawn(self._run(room, sender, CommandLine(name, rest), raw=text, privately=True))

    async def _on_invite(self, room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.state_key != self.user_id or event.membership != "invite":
            return
        if not self._seen.add(f"invite:{room.room_id}:{event.sender}"):
            return
        self.spawn(self._answer_invite(room.room_id, event.sender))

    async def _on_member(self, room: MatrixRoom, event: RoomMemberEvent) -> None:
        if event.membership in {"leave", "ban"} and event.state_key != self.user_id:
            self.spawn(self._leave_if_alone(room))

    # ---- actions -------------------------------------------------------------------------------

    async def _answer_invite(self, room_id: str, inviter: str) -> None:
        allowed = wire.inviter_allowed(
            inviter, self.settings.matrix_allowed_inviters, self.home_server
        )
        await rooms.answer_invite(self.client, room_id, inviter, allowed=allowed)

    async def _leave_if_alone(self, room: MatrixRoom) -> None:
        await rooms.leave_if_alone(self.client, room)

    async def _run(
        self,
        room: MatrixRoom,
        sender: str,
        command: CommandLine,
        *,
        raw: str,
        reply_to: str | None = None,
        thread: str | None = None,
        privately: bool = False,
    ) -> None:
        is_direct = self.is_direct(room)
        invocation = wire.to_invocation(
            command,
            sender=wire.Sender(
                sender, room.user_name(sender), int(room.power_levels.get_user_level(sender))
            ),
            room_id=room.room_id,
            home_server=self.home_server,
            is_direct=is_direct,
            thread_id=thread,
            facilitator_level=self.settings.matrix_facilitator_power_level,
            raw=raw,
        )
        started = time.perf_counter()
        result = await asyncio.to_thread(self.app.router.dispatch, invocation)
        private = (
            privately
            or result.visibility == "dm"  # meant for the asker alone: an export, a file of theirs
            or (
                self.settings.matrix_private_replies
                and not is_direct
                and result.visibility == "ephemeral"
            )
        )
        if private and not is_direct:
            await self.send_direct(sender, result)
            if not privately:
                note = said(ANSWERED_PRIVATELY, result.locale)
                await self.send(
                    room.room_id,
                    wire.reply_content(
                        note, prefix=self.prefix, in_reply_to=reply_to, thread_id=thread
                    ),
                )
        else:
            content = wire.reply_content(
                result, prefix=self.prefix, in_reply_to=reply_to, thread_id=thread
            )
            event_id = await self.send(room.room_id, content)
            self._remember_announcement(event_id, result)
            await self.send_files(room.room_id, result)
        log.debug("/%s answered in %.0f ms", command.name, (time.perf_counter() - started) * 1000)
        for notice in result.notices:
            await self.send_direct(
                wire.user_id_for(notice.to, self.home_server),
                Reply(blocks=notice.blocks, visibility="dm", locale=notice.locale),
            )

    def _remember_announcement(self, event_id: str | None, result: Reply) -> None:
        entity = wire.announced_entity(result.data)
        if event_id and entity and result.ok:
            self.state.announcements[event_id] = list(entity)
            self.state.save()

    async def send(
        self, room_id: str, content: dict[str, Any], *, key: str | None = None
    ) -> str | None:
        """Send one message: its event id, or None when it could not be sent (logged)."""
        try:
            return await self.deliver(room_id, content, key=key)
        except DeliveryError:
            return None

    async def deliver(
        self, room_id: str, content: dict[str, Any], *, key: str | None = None
    ) -> str:
        """Send one message and return its event id, or raise `DeliveryError` (permanent for
        `M_FORBIDDEN`: the bot is not in the room, or may not post there). Retries reuse the
        transaction id (`key`, e.g. a digest run id, when given), so the homeserver drops a
        repeat instead of showing the message twice."""
        tx_id = _transaction_id(key) if key else str(uuid.uuid4())
        await self.crypto.until_room_known(room_id)  # nio encrypts only for synced rooms
        delay = 1.0
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                resp = await self._room_send(
                    room_id,
                    "m.room.message",
                    content,
                    tx_id=tx_id,
                    ignore_unverified_devices=True,  # the trust policy: see crypto.py
                )
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                resp = exc
            except (LocalProtocolError, EncryptionError, GroupEncryptionError) as exc:
                resp = exc  # encrypting failed (room not synced yet, keys not shared): retry
            if isinstance(resp, RoomSendResponse):
                return str(resp.event_id)
            log.warning("sending to %s failed (attempt %d): %s", room_id, attempt, resp)
            code = getattr(resp, "status_code", None)
            if code not in {None, "M_LIMIT_EXCEEDED"}:
                raise _refusal(code, resp)  # not in the room, forbidden...: retrying won't help
            wait = max(delay, (getattr(resp, "retry_after_ms", None) or 0) / 1000)
            if attempt < SEND_ATTEMPTS and await self._sleep(wait):
                raise DeliveryError("stopping", "the bot is stopping")
            delay *= 2
        log.error("giving up sending to %s after %d attempts", room_id, SEND_ATTEMPTS)
        raise DeliveryError("gave_up", f"{SEND_ATTEMPTS} attempts failed")

    async def _room_send(self, *args: Any, **kwargs: Any) -> Any:
        """`client.room_send`, one at a time. The homeserver limits the bot's messages per user
        (Synapse's default: a burst of 10, then one every 5 s) and nio waits out each 429 inside
        the call; sent concurrently, every waiting message retried at each free slot and all but
        one were refused again (22 refusals for 5 messages over the burst in
        tests/test_matrix_burst.py, and a message gives up after `MAX_LIMIT_EXCEEDED`). One at a
        time, each waits its turn and is refused about once. Unlimited, waiting behind another
        send costs little (benchmarks/bench_matrix.py, 4 commands at once: 1.06-1.15x echo)."""
        async with self._send_lock:
            return await self.client.room_send(*args, **kwargs)

    async def post(self, message: Outgoing) -> str:
        """A message nobody asked for (digest, reminder, announcement) in a room; raises
        `DeliveryError` when it did not go out."""
        content = wire.reply_content(message.reply, prefix=self.prefix)
        event_id = await self.deliver(message.conversation.channel_id, content, key=message.key)
        self._remember_announcement(event_id, message.reply)
        return event_id

    async def send_direct(self, user_id: str | None, message: Reply) -> str | None:
        """A direct message: its event id, or None when it could not be sent (logged)."""
        try:
            return await self.deliver_direct(user_id, message)
        except DeliveryError:
            return None

    async def deliver_direct(self, user_id: str | None, message: Reply) -> str:
        """A direct message, or `DeliveryError` (permanent when there is nobody to write to, or
        the homeserver forbids it)."""
        if not user_id:
            raise DeliveryError(UNREACHABLE, "no Matrix user id", permanent=True)
        room_id = await self.direct_room(user_id)
        if room_id is None:
            raise DeliveryError("no_direct_room", f"no direct room with {user_id}")
        event_id = await self.deliver(room_id, wire.reply_content(message, prefix=self.prefix))
        self._remember_announcement(event_id, message)
        await self.send_files(room_id, message)
        return event_id

    async def send_files(self, room_id: str, result: Reply) -> None:
        """Each file the reply carries, as an `m.file` right after it in the same room; one the
        homeserver would not take is logged, and the room told so."""
        from cop_bot.platforms.matrix.files import upload  # only when there is a file

        room = self.client.rooms.get(room_id)
        encrypt = bool(room is not None and room.encrypted and self.crypto.active)
        for attachment in result.attachments:
            try:
                await self.deliver(room_id, await upload(self.client, attachment, encrypt=encrypt))
            except DeliveryError as exc:
                log.warning("%s was not sent to %s: %s", attachment.filename, room_id, exc)
                with i18n.using(result.locale):
                    sorry = reply(
                        Text.of(
                            _("I could not send the file {filename}; please try again.").format(
                                filename=attachment.filename
                            )
                        )
                    )
                await self.send(room_id, wire.reply_content(sorry, prefix=self.prefix))

    async def deliver_together(
        self, user_ids: list[str], message: Reply, *, key: str, title: str
    ) -> str:
        """One message to several members in a room of their own (a mentoring pair's
        introduction), or `DeliveryError`. The room is made once per `key` and found again on a
        retry, and the send reuses a transaction id from `key`, so a retry shows it once."""
        if not user_ids:
            raise DeliveryError(UNREACHABLE, "no Matrix user ids", permanent=True)
        room_id = await self.together_room(user_ids, key=key, title=title)
        if room_id is None:
            raise DeliveryError("no_room", f"no room for {key}")
        content = wire.reply_content(message, prefix=self.prefix)
        return await self.deliver(room_id, content, key=key)

    async def together_room(self, user_ids: list[str], *, key: str, title: str) -> str | None:
        """The room for `key`: reused while the bot is still in it, else created as a private
        direct room inviting all of `user_ids`, named `title`."""
        lock = self._dm_locks.setdefault("together:" + key, asyncio.Lock())
        async with lock:
            known = self.state.together_rooms.get(key)
            if known and known in self.client.rooms:
                return known
            resp = await self.client.room_create(
                is_direct=True,
                name=title[:255] or None,
                invite=user_ids,
                preset=RoomPreset.trusted_private_chat,
                initial_state=[ENCRYPTION_STATE] if self.crypto.active else [],
            )
            if not isinstance(resp, RoomCreateResponse):
                log.warning("could not open a room for %s: %s", key, resp)
                return None
            self.state.together_rooms[key] = resp.room_id
            self.state.save()
            await self.crypto.until_room_known(resp.room_id, members=user_ids)
            return str(resp.room_id)

    async def direct_room(self, user_id: str) -> str | None:
        """The bot's direct room with a member: reused if it still exists, else created."""
        lock = self._dm_locks.setdefault(user_id, asyncio.Lock())
        async with lock:
            known = self.state.direct_rooms.get(user_id)
            if known and known in self.client.rooms:
                return known
            pairs = set(self.state.together_rooms.values())  # a pair's room is not a DM
            for room in self.client.rooms.values():
                if (
                    self.is_direct(room)
                    and room.room_id not in pairs
                    and (user_id in room.users or user_id in room.invited_users)
                ):
                    self.state.direct_rooms[user_id] = room.room_id
                    self.state.save()
                    return str(room.room_id)
            resp = await self.client.room_create(
                is_direct=True,
                invite=[user_id],
                preset=RoomPreset.trusted_private_chat,
                # Encrypted like the direct rooms Element opens, when the bot can read them.
                initial_state=[ENCRYPTION_STATE] if self.crypto.active else [],
            )
            if not isinstance(resp, RoomCreateResponse):
                log.warning("could not open a direct room with %s: %s", user_id, resp)
                return None
            self.state.direct_rooms[user_id] = resp.room_id
            self.state.save()
            # Encrypted: the room key must reach the invitee, so wait until the sync shows them.
            await self.crypto.until_room_known(resp.room_id, members=[user_id])
            return str(resp.room_id)


def _refusal(code: str, resp: object) -> DeliveryError:
    """A homeserver's refusal: `M_FORBIDDEN` only a person can fix (invite the bot back, give
    it the power to post); other codes are passing failures."""
    detail = str(getattr(resp, "message", "") or code)
    if code == "M_FORBIDDEN":
        return DeliveryError(FORBIDDEN, detail, permanent=True)
    return DeliveryError(code, detail)


def _transaction_id(key: str) -> str:
    """A transaction id from an idempotency key: URL-safe, bounded, stable."""
    return "cop-" + hashlib.sha256(key.encode()).hexdigest()[:32]
