"""End-to-end encrypted rooms against a real Synapse: members are matrix-nio clients *with*
encryption (their own Olm device and crypto store, nio's own `sync_forever` loop), the bot runs
with `MATRIX_ENCRYPTION=true` and must read, answer, and keep doing so after a restart."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from nio import (
    AsyncClient,
    AsyncClientConfig,
    Event,
    InviteEvent,
    MegolmEvent,
    RoomMessage,
    RoomMessageNotice,
    RoomPreset,
    RoomSendResponse,
    ToDeviceMessage,
)

from cop_bot.core.model import Conversation, Outgoing, Text, reply
from cop_bot.platforms.matrix.bot import ENCRYPTED_WARNING, UNDECRYPTABLE_WARNING
from cop_bot.platforms.matrix.crypto import ENCRYPTION_STATE
from cop_bot.platforms.matrix.runner import make_outbox
from tests.synapse import Account, Synapse
from tests.test_matrix import (  # noqa: F401  (fixtures)
    TIMEOUT,
    Harness,
    Peer,
    _name,
    make_harness,
    peers,
    synapse,
)

pytestmark = pytest.mark.matrix


class SecretPeer(Peer):
    """A member whose client encrypts: it uploads its keys before it talks, encrypts what it
    sends (sharing room keys with every device, verified or not), and decrypts what it gets."""

    @classmethod
    async def connect_encrypted(cls, url: str, account: Account, store: Path) -> SecretPeer:
        store.mkdir(parents=True, exist_ok=True)
        client = AsyncClient(
            url,
            account.user_id,
            device_id=account.device_id,
            store_path=str(store),
            config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False),
        )
        client.restore_login(account.user_id, account.device_id, account.access_token)
        assert client.olm is not None, "matrix-nio[e2e] is not installed"
        peer = cls(account, client)
        client.add_event_callback(peer._record, (Event, InviteEvent))
        await client.sync(timeout=0, full_state=True)
        if client.should_upload_keys:
            await client.keys_upload()
        peer.task = asyncio.create_task(peer._loop())
        return peer

    async def _loop(self) -> None:
        await self.client.sync_forever(timeout=500)  # nio's loop: key upload/query/claim too

    async def send_raw(self, room_id: str, event_type: str, content: dict[str, Any]) -> str:
        deadline = time.monotonic() + TIMEOUT
        while room_id not in self.client.rooms and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        resp = await self.client.room_send(
            room_id, event_type, content, ignore_unverified_devices=True
        )
        assert isinstance(resp, RoomSendResponse), resp
        return str(resp.event_id)

    async def encrypted_room(self, *invite: str, direct: bool = False) -> str:
        return await self.room(*invite, direct=direct, initial_state=[ENCRYPTION_STATE])


@pytest.fixture
async def secret_peers(
    synapse: Synapse,  # noqa: F811
    tmp_path: Path,
) -> AsyncIterator[Callable[[str], Any]]:
    made: list[SecretPeer] = []

    async def make(name: str) -> SecretPeer:
        account = synapse.register(_name(name))
        store = tmp_path / f"peer-store-{len(made)}"
        peer = await SecretPeer.connect_encrypted(synapse.url, account, store)
        made.append(peer)
        return peer

    yield make
    for peer in made:
        await peer.close()


def is_encrypted_notice(bot: str, room: str, reply_to: str | None = None) -> Callable[..., bool]:
    """A notice from the bot in `room` that came in encrypted and decrypted (optionally the
    answer to `reply_to`)."""

    def match(r: str, e: Any) -> bool:
        if r != room or getattr(e, "sender", None) != bot or not isinstance(e, RoomMessageNotice):
            return False
        if not e.decrypted:
            return False
        if reply_to is None:
            return True
        relates = e.source["content"].get("m.relates_to", {})
        return bool(relates.get("m.in_reply_to", {}).get("event_id") == reply_to)

    return match


async def ask(peer: SecretPeer, bot: str, room: str, text: str) -> dict[str, Any]:
    """Send `text` encrypted; the bot's decrypted answer's content."""
    asked = await peer.say(room, text)
    assert peer.client.rooms[room].encrypted
    _, event = await peer.wait_for(is_encrypted_notice(bot, room, asked))
    content: dict[str, Any] = event.source["content"]
    return content


async def test_encrypted_group_room_is_answered_and_still_after_a_restart(
    make_harness: Callable[..., Harness],  # noqa: F811
    peers: Callable[[str], Any],  # noqa: F811
    secret_peers: Callable[[str], Any],
) -> None:
    harness = make_harness(matrix_encryption=True)
    bot = await harness.start()
    alice, bob = await secret_peers("alice"), await peers("bob")
    room = await alice.encrypted_room(harness.user_id, bob.user_id)
    await alice.joined(harness.user_id, room)

    started = time.perf_counter()
    content = await ask(alice, harness.user_id, room, "!find-expert housing @room")
    print(f"encrypted !find-expert round trip: {(time.perf_counter() - started) * 1000:.0f} ms")
    assert content["msgtype"] == "m.notice"
    assert content["m.mentions"] == {}
    assert "housing" in content["body"].lower()
    assert "@room" not in content["body"]
    assert bot.crypto.active and bot.client.rooms[room].encrypted
    chatter = await alice.say(room, "just chatting, no command")

    # Restart on the same state directory: same device, same crypto store, keeps answering.
    device = bot.client.device_id
    await harness.stop()
    state = json.loads((harness.state_dir / "matrix-state.json").read_text())
    assert state["device_id"] == device
    stores = list((harness.state_dir / "matrix-store").glob("*.db"))
    assert [p.name for p in stores] == [f"{harness.user_id}_{device}.db"]
    bot = await harness.start()
    assert bot.client.device_id == device
    content = await ask(alice, harness.user_id, room, "!domains")
    assert content["msgtype"] == "m.notice" and content["m.mentions"] == {}
    # The same session keeps working across the restart: the next message in it decrypts too.
    content = await ask(alice, harness.user_id, room, "!help")
    assert "find-expert" in content["body"]

    await asyncio.sleep(0.3)
    said = [
        e
        for r, e in alice.events
        if r == room
        and getattr(e, "sender", None) == harness.user_id
        and isinstance(e, (RoomMessage, MegolmEvent))
    ]
    assert all(isinstance(e, RoomMessageNotice) and e.decrypted for e in said), said
    replies = [e.source["content"].get("m.relates_to", {}) for e in said]
    assert chatter not in [r.get("m.in_reply_to", {}).get("event_id") for r in replies]
    assert len(said) == 3, [e.source["content"].get("body") for e in said]


async def test_encrypted_direct_rooms_both_ways(
    make_harness: Callable[..., Harness],  # noqa: F811
    secret_peers: Callable[[str], Any],
) -> None:
    """Element encrypts new direct rooms: the bot joins one and answers without a prefix; the
    direct rooms the bot opens itself are encrypted too, and the member can read them."""
    harness = make_harness(matrix_encryption=True)
    bot = await harness.start()
    alice, carol = await secret_peers("alice"), await secret_peers("carol")
    dm = await alice.client.room_create(
        invite=[harness.user_id],
        is_direct=True,
        preset=RoomPreset.trusted_private_chat,
        initial_state=[ENCRYPTION_STATE],
    )
    room = str(dm.room_id)
    await alice.joined(harness.user_id, room)
    content = await ask(alice, harness.user_id, room, "help")
    assert content["msgtype"] == "m.notice" and content["m.mentions"] == {}

    # A direct message the bot starts (an expert told about a question, a reminder).
    sent = await bot.send_direct(
        carol.user_id, reply(Text.of("A question for you"), visibility="dm")
    )
    assert sent is not None
    opened, _ = await carol.wait_for(
        lambda r, e: isinstance(e, InviteEvent) and getattr(e, "sender", None) == harness.user_id
    )
    await carol.client.join(opened)
    _, event = await carol.wait_for(is_encrypted_notice(harness.user_id, opened))
    assert event.body == "A question for you"
    assert carol.client.rooms[opened].encrypted


async def test_undecryptable_message_is_explained_once(
    make_harness: Callable[..., Harness],  # noqa: F811
    peers: Callable[[str], Any],  # noqa: F811
    secret_peers: Callable[[str], Any],
) -> None:
    """A message the bot has no key for: it waits a moment for the key, then says once that it
    cannot read it (encrypted, so the room's members can read the explanation)."""
    harness = make_harness(matrix_encryption=True)
    bot = await harness.start()
    bot.key_wait = 0.3
    alice, mallory = await secret_peers("alice"), await peers("mallory")
    room = await alice.encrypted_room(harness.user_id, mallory.user_id)
    await alice.joined(harness.user_id, room)
    await mallory.client.join(room)
    fake = {
        "algorithm": "m.megolm.v1.aes-sha2",
        "ciphertext": "AwgAEnB4",
        "sender_key": "x" * 43,
        "session_id": "y" * 43,
        "device_id": mallory.account.device_id,
    }
    await mallory.send_raw(room, "m.room.encrypted", fake)
    await mallory.send_raw(room, "m.room.encrypted", fake)
    _, event = await alice.wait_for(is_encrypted_notice(harness.user_id, room))
    assert event.body == UNDECRYPTABLE_WARNING
    assert event.source["content"]["m.mentions"] == {}
    # Real encrypted messages still get answers, and the warning is not repeated.
    content = await ask(alice, harness.user_id, room, "!domains")
    assert content["msgtype"] == "m.notice"
    await asyncio.sleep(0.5)
    bodies = [
        e.body
        for r, e in alice.events
        if r == room and isinstance(e, RoomMessageNotice) and e.sender == harness.user_id
    ]
    assert bodies.count(UNDECRYPTABLE_WARNING) == 1


async def test_without_encryption_an_encrypted_room_gets_one_explanation(
    make_harness: Callable[..., Harness],  # noqa: F811
    secret_peers: Callable[[str], Any],
) -> None:
    harness = make_harness(matrix_encryption=False)
    bot = await harness.start()
    assert not bot.crypto.active
    alice, bob = await secret_peers("alice"), await secret_peers("bob")
    room = await alice.encrypted_room(harness.user_id, bob.user_id)
    await alice.joined(harness.user_id, room)
    await alice.say(room, "!help")
    await alice.say(room, "!domains")
    _, event = await alice.wait_for(
        lambda r, e: (
            r == room
            and getattr(e, "sender", None) == harness.user_id
            and isinstance(e, (RoomMessage, MegolmEvent))
        )
    )
    assert isinstance(event, RoomMessageNotice) and not event.decrypted, event
    assert event.body == ENCRYPTED_WARNING
    await asyncio.sleep(0.5)
    said = [e for r, e in alice.events if r == room and getattr(e, "sender", "") == bot.user_id]
    said = [e for e in said if e.source.get("type") == "m.room.message"]
    assert len(said) == 1


async def test_a_job_outside_the_bot_posts_encrypted(
    make_harness: Callable[..., Harness],  # noqa: F811
    secret_peers: Callable[[str], Any],
) -> None:
    """`cop-bot digest run-due` posts from another process with the bot's stored device and
    crypto store, while the bot keeps running."""
    harness = make_harness(matrix_encryption=True)
    await harness.start()
    alice = await secret_peers("alice")
    bob = await secret_peers("bob")
    room = await alice.encrypted_room(harness.user_id, bob.user_id)
    await alice.joined(harness.user_id, room)
    await ask(alice, harness.user_id, room, "!domains")
    digest = Outgoing(
        Conversation("matrix", "localhost", room), reply(Text.of("Weekly digest")), key="d-1"
    )
    await asyncio.to_thread(make_outbox(harness.app).post, digest)
    await alice.wait_for(
        lambda r, e: is_encrypted_notice(harness.user_id, room)(r, e) and e.body == "Weekly digest"
    )
    # The running bot still answers afterwards.
    content = await ask(alice, harness.user_id, room, "!help")
    assert "find-expert" in content["body"]


def test_encryption_without_its_libraries_is_a_clear_start_up_error(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """matrix-nio[e2e] is a dependency now; if it is missing anyway (a hand-made environment),
    MATRIX_ENCRYPTION=true stops the bot at start-up with a message naming the fix."""
    from cop_bot.app import build_app
    from cop_bot.config import load_settings
    from cop_bot.platforms.matrix import bot as matrix_bot

    monkeypatch.setattr(matrix_bot, "ENCRYPTION_ENABLED", False)
    settings = load_settings(
        {
            "COP_BOT_DATABASE_URL": sqlite_url,
            "MATRIX_HOMESERVER": "http://127.0.0.1:9",
            "MATRIX_USER_ID": "@cop-bot:example.org",
            "MATRIX_ACCESS_TOKEN": "token",
            "MATRIX_ENCRYPTION": "true",
        }
    )
    app = build_app(settings, migrate=False)
    try:
        with pytest.raises(matrix_bot.FatalError, match=r"matrix-nio\[e2e\]"):
            matrix_bot.MatrixBot(app, state_dir=tmp_path)
    finally:
        app.engine.dispose()


async def test_a_room_key_that_comes_late_still_gets_the_message_answered(
    synapse: Synapse,  # noqa: F811
    make_harness: Callable[..., Harness],  # noqa: F811
    peers: Callable[[str], Any],  # noqa: F811
    secret_peers: Callable[[str], Any],
) -> None:
    """The message arrives before its room key (a slow or re-sent key): the bot waits for the
    key, then answers, and does not claim it could not read the message."""
    harness = make_harness(matrix_encryption=True)
    bot = await harness.start()
    bot.key_wait = 60  # far longer than the test waits: the key's arrival must wake the bot
    alice, bob = await secret_peers("alice"), await peers("bob")
    room = await alice.encrypted_room(harness.user_id, bob.user_id)
    await alice.joined(harness.user_id, room)
    c = alice.client
    await c.joined_members(room)
    if c.should_query_keys:
        await c.keys_query()
    if missing := c.get_missing_sessions(room):
        await c.keys_claim(missing)
    # Alice's client prepares the room key (at message index 0) but holds it back...
    shares = list(
        c.olm.share_group_session_parallel(
            room, list(c.rooms[room].users), ignore_unverified_devices=True
        )
    )
    assert any(harness.user_id in to_device["messages"] for _, to_device in shares)
    c.olm.outbound_group_sessions[room].shared = True
    _, encrypted = c.encrypt(room, "m.room.message", {"msgtype": "m.text", "body": "!domains"})
    # ...and the encrypted message goes out first (through a client that does not encrypt).
    plain = AsyncClient(synapse.url, alice.user_id)
    plain.restore_login(alice.user_id, alice.account.device_id, alice.account.access_token)
    try:
        sent = await plain.room_send(room, "m.room.encrypted", encrypted)
    finally:
        await plain.close()
    assert isinstance(sent, RoomSendResponse), sent
    deadline = time.monotonic() + TIMEOUT
    while encrypted["session_id"] not in bot.crypto._keys_arrived:
        assert time.monotonic() < deadline, "the bot never waited for the key"
        await asyncio.sleep(0.02)
    for _, to_device in shares:
        for user_id, devices in to_device["messages"].items():
            for device_id, olm_message in devices.items():
                message = ToDeviceMessage("m.room.encrypted", user_id, device_id, olm_message)
                await c.to_device(message)
    content = await alice.reply_to(harness.user_id, str(sent.event_id))
    assert content["msgtype"] == "m.notice"
    await asyncio.sleep(0.3)
    assert UNDECRYPTABLE_WARNING not in [
        e.body for _, e in alice.events if isinstance(e, RoomMessageNotice)
    ]
