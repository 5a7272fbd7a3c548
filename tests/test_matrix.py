"""The Matrix bot against a real Synapse on loopback, driven by matrix-nio clients as members."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from nio import (
    AsyncClient,
    Event,
    InviteEvent,
    RoomCreateResponse,
    RoomMemberEvent,
    RoomPreset,
    RoomSendResponse,
)
from sqlmodel import col, select

from cop_bot.app import App, build_app
from cop_bot.config import Settings
from cop_bot.core.args import Args
from cop_bot.core.model import (
    Actor,
    Conversation,
    Invocation,
    Mention,
    Outgoing,
    Reply,
    Text,
    reply,
)
from cop_bot.core.outbox import Direct, Together
from cop_bot.core.router import Ctx, Registry, Router, command
from cop_bot.handlers import help as help_handlers
from cop_bot.platforms.matrix.bot import ENCRYPTED_WARNING, MatrixBot
from cop_bot.platforms.matrix.outbox import MatrixOutbox
from cop_bot.platforms.matrix.runner import make_outbox
from cop_bot.platforms.matrix.state import State
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import MeetingRsvp, Member
from tests.synapse import Account, Synapse, start_synapse

pytestmark = pytest.mark.matrix
TIMEOUT = 15.0


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synapse]:
    server = start_synapse(tmp_path_factory.mktemp("synapse"))
    try:
        yield server
    finally:
        server.stop()


def _name(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(3)}"


@dataclass
class Peer:
    """A member's Matrix client that records every event it sees."""

    account: Account
    client: AsyncClient
    events: list[tuple[str, Any]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    @classmethod
    async def connect(cls, url: str, account: Account) -> Peer:
        client = AsyncClient(url, account.user_id)
        client.restore_login(account.user_id, account.device_id, account.access_token)
        peer = cls(account, client)
        client.add_event_callback(peer._record, (Event, InviteEvent))
        await client.sync(timeout=0, full_state=True)
        peer.task = asyncio.create_task(peer._loop())
        return peer

    async def _record(self, room: Any, event: Any) -> None:
        self.events.append((room.room_id, event))

    async def _loop(self) -> None:
        while True:
            await self.client.sync(timeout=500)

    @property
    def user_id(self) -> str:
        return self.account.user_id

    async def close(self) -> None:
        if self.task:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.client.close()

    async def room(self, *invite: str, direct: bool = False, **extra: Any) -> str:
        resp = await self.client.room_create(
            invite=list(invite),
            is_direct=direct,
            preset=RoomPreset.private_chat if not direct else RoomPreset.trusted_private_chat,
            **extra,
        )
        assert isinstance(resp, RoomCreateResponse), resp
        return str(resp.room_id)

    async def say(self, room_id: str, body: str, msgtype: str = "m.text", **extra: Any) -> str:
        content = {"msgtype": msgtype, "body": body, **extra}
        return await self.send_raw(room_id, "m.room.message", content)

    async def send_raw(self, room_id: str, event_type: str, content: dict[str, Any]) -> str:
        resp = await self.client.room_send(room_id, event_type, content)
        assert isinstance(resp, RoomSendResponse), resp
        return str(resp.event_id)

    async def wait_for(
        self, predicate: Callable[[str, Any], bool], timeout: float = TIMEOUT
    ) -> tuple[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for room_id, event in self.events:
                if predicate(room_id, event):
                    return room_id, event
            await asyncio.sleep(0.02)
        raise AssertionError(f"no matching event within {timeout} s")

    def from_(self, sender: str, room_id: str | None = None) -> list[dict[str, Any]]:
        return [
            e.source["content"]
            for r, e in self.events
            if getattr(e, "sender", None) == sender
            and (room_id is None or r == room_id)
            and e.source.get("type") == "m.room.message"
        ]

    async def reply_to(self, bot: str, event_id: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        _, event = await self.wait_for(
            lambda r, e: (
                getattr(e, "sender", None) == bot
                and e.source.get("type") == "m.room.message"
                and e.source["content"]
                .get("m.relates_to", {})
                .get("m.in_reply_to", {})
                .get("event_id")
                == event_id
            ),
            timeout,
        )
        content: dict[str, Any] = event.source["content"]
        return content

    async def joined(self, user_id: str, room_id: str) -> None:
        await self.wait_for(
            lambda r, e: (
                r == room_id
                and isinstance(e, RoomMemberEvent)
                and e.state_key == user_id
                and e.membership == "join"
            )
        )


@dataclass
class Harness:
    synapse: Synapse
    app: App
    account: Account
    state_dir: Path
    bot: MatrixBot | None = None
    task: asyncio.Task[None] | None = None

    @property
    def user_id(self) -> str:
        return self.account.user_id

    async def start(self) -> MatrixBot:
        self.bot = MatrixBot(self.app, state_dir=self.state_dir, sync_timeout_ms=1000)
        self.task = asyncio.create_task(self.bot.serve())
        await asyncio.wait_for(self.bot.ready.wait(), TIMEOUT)
        return self.bot

    async def stop(self) -> None:
        if self.bot and self.task:
            self.bot.stop()
            await asyncio.wait_for(self.task, TIMEOUT)
            self.bot = self.task = None


def make_app(synapse: Synapse, account: Account, db_url: str, **settings: Any) -> App:
    base = Settings(
        database_url=db_url,
        community_name="Matrix test network",
        matrix_homeserver=synapse.url,
        matrix_user_id=account.user_id,
        matrix_password=account.password,
    )
    return build_app(replace(base, **settings), migrate=False)


@pytest.fixture
async def make_harness(
    synapse: Synapse, sqlite_url: str, tmp_path: Path
) -> AsyncIterator[Callable[..., Harness]]:
    made: list[Harness] = []

    def make(**settings: Any) -> Harness:
        account = synapse.register(_name("bot"))
        state_dir = tmp_path / f"state{len(made)}"
        app = make_app(synapse, account, sqlite_url, state_dir=str(state_dir), **settings)
        harness = Harness(synapse, app, account, state_dir)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        await harness.stop()
        harness.app.engine.dispose()


@pytest.fixture
async def peers(synapse: Synapse) -> AsyncIterator[Callable[[str], Any]]:
    made: list[Peer] = []

    async def make(name: str) -> Peer:
        peer = await Peer.connect(synapse.url, synapse.register(_name(name)))
        made.append(peer)
        return peer

    yield make
    for peer in made:
        await peer.close()


def is_bot_message(bot: str) -> Callable[[str, Any], bool]:
    return lambda r, e: (
        getattr(e, "sender", None) == bot and e.source.get("type") == "m.room.message"
    )


async def test_help_in_a_group_room_is_a_reply_linked_notice_and_notices_are_ignored(
    make_harness: Callable[..., Harness], peers: Callable[[str], Any]
) -> None:
    harness = make_harness()
    await harness.start()
    alice, bob = await peers("alice"), await peers("bob")
    room = await alice.room(harness.user_id, bob.user_id)
    await alice.joined(harness.user_id, room)

    ignored = await alice.say(room, "!help", msgtype="m.notice")  # another bot's notice
    chatter = await alice.say(room, "help")  # no prefix in a group room: just chat
    started = time.perf_counter()
    asked = await alice.say(room, "!help")
    content = await alice.reply_to(harness.user_id, asked)
    latency_ms = (time.perf_counter() - started) * 1000
    print(f"!help round trip through Synapse: {latency_ms:.0f} ms")

    assert content["msgtype"] == "m.notice"
    assert content["format"] == "org.matrix.custom.html"
    html = content["formatted_body"]
    assert '<p dir="auto">' in html or '<h4 dir="auto">' in html
    assert content["m.mentions"] == {}
    assert "find-expert" in content["body"]

    started = time.perf_counter()
    slash = await alice.say(room, "/domains")
    assert (await alice.reply_to(harness.user_id, slash))["msgtype"] == "m.notice"
    print(f"/domains (warm) round trip: {(time.perf_counter() - started) * 1000:.0f} ms")
    addressed = await alice.say(room, f"{harness.user_id}: domains")
    assert (await alice.reply_to(harness.user_id, addressed))["msgtype"] == "m.notice"
    await asyncio.sleep(0.5)
    replies = [
        c.get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id")
        for c in alice.from_(harness.user_id, room)
    ]
    assert ignored not in replies and chatter not in replies
    assert len(replies) == 3, "the bot answered something it should not have (a loop?)"


async def test_hostile_text_stays_text(
    make_harness: Callable[..., Harness], peers: Callable[[str], Any]
) -> None:
    harness = make_harness()
    await harness.start()
    alice, bob = await peers("alice"), await peers("bob")
    room = await alice.room(harness.user_id, bob.user_id)
    await alice.joined(harness.user_id, room)
    asked = await alice.say(room, '!find-expert @room <script>alert("x")</script>')
    content = await alice.reply_to(harness.user_id, asked)
    assert content["m.mentions"] == {}
    assert "<script" not in content["formatted_body"]
    assert "@room" not in content["body"]  # defused for clients without intentional mentions


async def test_direct_room_needs_no_prefix_and_threads_are_kept(
    make_harness: Callable[..., Harness], peers: Callable[[str], Any]
) -> None:
    harness = make_harness()
    await harness.start()
    alice = await peers("alice")
    room = await alice.room(harness.user_id, direct=True)
    await alice.joined(harness.user_id, room)
    asked = await alice.say(room, "help")
    assert (await alice.reply_to(harness.user_id, asked))["msgtype"] == "m.notice"

    root = await alice.say(room, "a thread about domains")
    in_thread = await alice.say(
        room, "!domains", **{"m.relates_to": {"rel_type": "m.thread", "event_id": root}}
    )
    content = await alice.reply_to(harness.user_id, in_thread)
    assert content["m.relates_to"]["rel_type"] == "m.thread"
    assert content["m.relates_to"]["event_id"] == root


async def test_invites_are_accepted_only_from_allowed_inviters(
    make_harness: Callable[..., Harness], peers: Callable[[str], Any]
) -> None:
    alice, mallory = await peers("alice"), await peers("mallory")
    harness = make_harness(matrix_allowed_inviters=(alice.user_id, "@carol*:localhost"))
    await harness.start()
    welcome = await alice.room(harness.user_id, mallory.user_id)
    await alice.joined(harness.user_id, welcome)
    refused = await mallory.room(harness.user_id, alice.user_id)
    await mallory.wait_for(
        lambda r, e: (
            r == refused
            and isinstance(e, RoomMemberEvent)
            and e.state_key == harness.user_id
            and e.membership == "leave"
        )
    )
    assert harness.bot is not None and refused not in harness.bot.client.rooms

    # Left alone, the bot leaves too.
    await mallory.client.room_leave(welcome)
    await alice.client.room_leave(welcome)
    deadline = time.monotonic() + TIMEOUT
    while welcome in harness.bot.client.rooms and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert welcome not in harness.bot.client.rooms


async def test_encrypted_room_explains_once_why_the_bot_cannot_answer(
    make_harness: Callable[..., Harness], peers: Callable[[str], Any]
) -> None:
    harness = make_harness()
    await harness.start()
    alice, bob = await peers("alice"), await peers("bob")
    room = await alice.room(
        harness.user_id,
        bob.user_id,
        initial_state=[
            {
                "type": "m.room.encryption",
                "state_key": "",
                "content": {"algorithm": "m.megolm.v1.aes-sha2"},
            }
        ],
    )
    await alice.joined(harness.user_id, room)
    fake = {
        "algorithm": "m.megolm.v1.aes-sha2",
        "ciphertext": "AwgAEnB4",
        "sender_key": "x" * 43,
        "session_id": "y" * 43,
        "device_id": alice.account.device_id,
    }
    await alice.send_raw(room, "m.room.encrypted", fake)
    await alice.send_raw(room, "m.room.encrypted", fake)
    await alice.wait_for(lambda r, e: r == room and is_bot_message(harness.user_id)(r, e))
    await asyncio.sleep(0.5)
    said = alice.from_(harness.user_id, room)
    assert [c["body"] for c in said] == [ENCRYPTED_WARNING]
    assert said[0]["msgtype"] == "m.notice"


async def test_a_question_reaches_the_expert_by_direct_message(
    make_harness: Callable[..., Harness], peers: Callable[[str], Any]
) -> None:
    harness = make_harness()
    await harness.start()
    alice, bob = await peers("alice"), await peers("bob")
    expert = Invocation(
        name="profile",
        text="set domains: housing; expert: yes; asks: yes",
        actor=Actor(handle=bob.user_id[1:].split(":")[0], platform_user_id=bob.user_id),
        conversation=Conversation("matrix", "localhost", "!setup:localhost"),
    )
    assert (await asyncio.to_thread(harness.app.router.dispatch, expert)).ok
    room = await alice.room(harness.user_id, direct=True)
    await alice.joined(harness.user_id, room)
    asked = await alice.say(room, "ask housing: who knows landlords in Turin?")
    await alice.reply_to(harness.user_id, asked)
    dm, _ = await bob.wait_for(
        lambda r, e: isinstance(e, InviteEvent) and getattr(e, "sender", None) == harness.user_id
    )
    await bob.client.join(dm)
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        messages = await bob.client.room_messages(dm, start="", limit=20)
        bodies = [
            e.source["content"]["body"]
            for e in getattr(messages, "chunk", [])
            if e.source.get("type") == "m.room.message" and e.sender == harness.user_id
        ]
        if bodies:
            break
        await asyncio.sleep(0.1)
    assert any("landlords in Turin" in b for b in bodies), bodies


# ---- reactions: announcements remember their entity; a fake command registry records calls ----

CALLS: list[tuple[str, str, str]] = []


@command("announce", summary="Announce a fake session or practice.", syntax="KIND ID")
def _announce(ctx: Ctx, args: Args) -> Reply:
    kind, entity_id = args.words[0], int(args.words[1])
    return reply(
        Text.of(f"{kind} {entity_id}"), visibility="channel", data={kind: {"id": entity_id}}
    )


@command("rsvp", summary="Fake RSVP.", syntax="ID ANSWER")
def _rsvp(ctx: Ctx, args: Args) -> Reply:
    CALLS.append(("rsvp", ctx.member.handle, args.text))
    return reply(Text.of(f"rsvp {args.text}"))


@command("endorse", summary="Fake endorsement.", syntax="ID [undo]")
def _endorse(ctx: Ctx, args: Args) -> Reply:
    CALLS.append(("endorse", ctx.member.handle, args.text))
    return reply(Text.of(f"endorse {args.text}"))


async def test_reactions_stand_in_for_rsvp_and_endorse(
    make_harness: Callable[..., Harness], peers: Callable[[str], Any]
) -> None:
    harness = make_harness()
    registry = Registry().scan(sys.modules[__name__], help_handlers)
    a = harness.app
    harness.app = replace(a, router=Router(a.engine, registry, a.settings, a.taxonomy, a.clock))
    CALLS.clear()
    await harness.start()
    alice, bob = await peers("alice"), await peers("bob")
    room = await alice.room(harness.user_id, bob.user_id)
    await alice.joined(harness.user_id, room)
    handle = alice.user_id[1:].split(":")[0]

    async def announce(kind: str, entity_id: int) -> str:
        asked = await alice.say(room, f"!announce {kind} {entity_id}")
        await alice.reply_to(harness.user_id, asked)
        _, event = await alice.wait_for(
            lambda r, e: (
                is_bot_message(harness.user_id)(r, e)
                and e.source["content"]
                .get("m.relates_to", {})
                .get("m.in_reply_to", {})
                .get("event_id")
                == asked
            )
        )
        return str(event.event_id)

    async def react(target: str, key: str) -> str:
        return await alice.send_raw(
            room,
            "m.reaction",
            {"m.relates_to": {"rel_type": "m.annotation", "event_id": target, "key": key}},
        )

    async def calls(n: int) -> list[tuple[str, str, str]]:
        deadline = time.monotonic() + TIMEOUT
        while len(CALLS) < n and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return list(CALLS)

    session = await announce("session", 4)
    practice = await announce("practice", 9)
    yes = await react(session, "✅")
    assert await calls(1) == [("rsvp", handle, "4 yes")]
    await react(session, "🤔")
    await react(practice, "✅")  # means nothing on a practice
    thumbs = await react(practice, "👍️")  # with an emoji presentation selector
    found = await calls(3)
    assert sorted(found[1:]) == [("endorse", handle, "9"), ("rsvp", handle, "4 maybe")]
    await alice.client.room_redact(room, thumbs)
    assert (await calls(4))[3] == ("endorse", handle, "9 undo")
    await alice.client.room_redact(room, yes)  # withdraws only while the answer is still yes
    assert (await calls(5))[4] == ("rsvp", handle, "4 withdraw yes")
    await asyncio.sleep(0.3)
    assert len(CALLS) == 5
    assert harness.bot is not None
    assert State.load(harness.state_dir, harness.user_id).announcements[practice] == ["practice", 9]


async def test_removing_a_reaction_withdraws_the_rsvp_it_gave(
    make_harness: Callable[..., Harness], peers: Callable[[str], Any]
) -> None:
    """The real /rsvp: ✅ then removing it withdraws; ✅, ❌, removing ✅ keeps no."""
    harness = make_harness()
    await harness.start()
    alice, bob = await peers("alice"), await peers("bob")
    room = await alice.room(harness.user_id, bob.user_id)
    await alice.joined(harness.user_id, room)
    handle = alice.user_id[1:].split(":")[0]
    asked = await alice.say(room, '!schedule-session "Clinic" tomorrow 15:00 capacity 5')
    _, announced = await alice.wait_for(
        lambda r, e: (
            is_bot_message(harness.user_id)(r, e)
            and e.source["content"].get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id")
            == asked
        )
    )
    assert "Clinic" in announced.source["content"]["body"]

    def answers() -> dict[str, str]:
        with session_scope(harness.app.engine) as session:
            rows = session.exec(
                select(MeetingRsvp, Member).join(
                    Member, col(Member.id) == col(MeetingRsvp.member_id)
                )
            ).all()
            return {m.handle: r.answer for r, m in rows}

    async def react(key: str) -> str:
        content = {"rel_type": "m.annotation", "event_id": announced.event_id, "key": key}
        return await alice.send_raw(room, "m.reaction", {"m.relates_to": content})

    dm: list[str] = []

    async def told(text: str, times: int = 1) -> None:
        """Wait for the bot's private answer to a reaction (in its direct room with alice)."""
        if not dm:
            invited, _ = await alice.wait_for(
                lambda r, e: isinstance(e, InviteEvent) and e.sender == harness.user_id
            )
            await alice.client.join(invited)
            dm.append(invited)
        deadline = time.monotonic() + TIMEOUT
        bodies: list[str] = []
        while time.monotonic() < deadline:
            messages = await alice.client.room_messages(dm[0], start="", limit=50)
            bodies = [
                e.source["content"]["body"]
                for e in getattr(messages, "chunk", [])
                if e.source.get("type") == "m.room.message" and e.sender == harness.user_id
            ]
            if sum(text in b for b in bodies) >= times:
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"{text!r} not said {times} time(s): {bodies}")

    first = await react("✅")
    await told("See you there")
    assert answers() == {handle: "yes"}
    await alice.client.room_redact(room, first)
    await told("Your answer (yes) is withdrawn")
    assert answers() == {}

    yes = await react("✅")
    await told("See you there", 2)
    no = await react("❌")
    await told("Noted: not coming")
    assert answers() == {handle: "no"}
    await alice.client.room_redact(room, yes)
    await told("so it stays")
    assert answers() == {handle: "no"}
    await alice.client.room_redact(room, no)
    await told("Your answer (no) is withdrawn")
    assert answers() == {}


# ---- `cop-bot run` as a separate process, restarted with a backlog -----------------------------


def _start_process(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "cop_bot", "run"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def _stop_process(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
            raise
    return process.returncode


async def test_cop_bot_run_restarts_without_answering_the_backlog(
    synapse: Synapse, sqlite_url: str, tmp_path: Path, peers: Callable[[str], Any]
) -> None:
    from urllib.request import urlopen

    from tests.synapse import free_port

    account = synapse.register(_name("bot"))
    alice = await peers("alice")
    port = free_port()  # `run` serves /healthz and the calendar feeds alongside the sync loop
    env = {
        **os.environ,
        "COP_BOT_DATABASE_URL": sqlite_url,
        "COP_BOT_STATE_DIR": str(tmp_path / "state"),
        "COP_BOT_LOG_FILE": str(tmp_path / "cop-bot.log"),
        "COP_BOT_HTTP_PORT": str(port),
        "MATRIX_HOMESERVER": synapse.url,
        "MATRIX_USER_ID": account.user_id,
        "MATRIX_PASSWORD": account.password,
        "COP_BOT_PLATFORM": "matrix",
    }
    log = tmp_path / "process.log"
    room = await alice.room(account.user_id, direct=True)
    process = _start_process(env, log)
    try:
        await alice.joined(account.user_id, room)
        first = await alice.say(room, "!help")
        await alice.reply_to(account.user_id, first, timeout=30)
        health = await asyncio.to_thread(urlopen, f"http://127.0.0.1:{port}/healthz", timeout=10)
        assert json.loads(health.read()) == {
            "ok": True,
            "platform": "matrix",
            "database": True,
            "schema": True,
            "scheduler": "leader",
        }
        health.close()
        assert _stop_process(process) == 0
        state = json.loads((tmp_path / "state" / "matrix-state.json").read_text())
        assert state["next_batch"] and state["device_id"]

        backlog = await alice.say(room, "!domains")  # sent while the bot is down
        process = _start_process(env, log)
        await asyncio.sleep(0.2)
        fresh = None
        deadline = time.monotonic() + 30
        while fresh is None and time.monotonic() < deadline:
            probe = await alice.say(room, "!help")
            try:
                await alice.reply_to(account.user_id, probe, timeout=2)
                fresh = probe
            except AssertionError:
                continue
        assert fresh is not None, log.read_text()
        await asyncio.sleep(0.5)
        replied = [
            c.get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id")
            for c in alice.from_(account.user_id, room)
        ]
        assert backlog not in replied
        again = json.loads((tmp_path / "state" / "matrix-state.json").read_text())
        assert again["device_id"] == state["device_id"]  # the same device, not a new login
    finally:
        _stop_process(process)


async def test_a_second_cop_bot_run_waits_while_another_serves_the_matrix_account(
    synapse: Synapse, sqlite_url: str, tmp_path: Path, peers: Callable[[str], Any]
) -> None:
    """Two processes syncing one account would answer everything twice: the second waits,
    says so, and takes over when the first stops."""
    from tests.synapse import free_port

    account = synapse.register(_name("bot"))
    alice = await peers("alice")
    env = {
        **os.environ,
        "COP_BOT_DATABASE_URL": sqlite_url,
        "COP_BOT_STATE_DIR": str(tmp_path / "state"),
        "COP_BOT_LOG_FILE": str(tmp_path / "cop-bot.log"),
        "MATRIX_HOMESERVER": synapse.url,
        "MATRIX_USER_ID": account.user_id,
        "MATRIX_PASSWORD": account.password,
        "COP_BOT_PLATFORM": "matrix",
    }
    room = await alice.room(account.user_id, direct=True)
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = _start_process({**env, "COP_BOT_HTTP_PORT": str(free_port())}, first_log)
    second: subprocess.Popen[bytes] | None = None
    try:
        await alice.joined(account.user_id, room)
        await alice.reply_to(account.user_id, await alice.say(room, "!help"), timeout=30)
        second = _start_process({**env, "COP_BOT_HTTP_PORT": str(free_port())}, second_log)
        deadline = time.monotonic() + 30
        while "waiting to take over" not in second_log.read_text():
            assert time.monotonic() < deadline, second_log.read_text()
            await asyncio.sleep(0.1)
        asked = await alice.say(room, "!domains")
        await alice.reply_to(account.user_id, asked, timeout=30)
        await asyncio.sleep(1.0)  # room for a second answer, if a second process were syncing
        answers = [
            c
            for c in alice.from_(account.user_id, room)
            if c.get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id") == asked
        ]
        assert len(answers) == 1
        assert _stop_process(first) == 0
        answered = False
        deadline = time.monotonic() + 60
        while not answered:
            assert time.monotonic() < deadline, second_log.read_text()
            try:
                await alice.reply_to(account.user_id, await alice.say(room, "!help"), timeout=2)
                answered = True
            except AssertionError:
                continue
        assert "this one serves the Matrix account now" in second_log.read_text()
    finally:
        _stop_process(first)
        if second is not None:
            _stop_process(second)


async def test_scheduled_posts_are_idempotent_and_work_outside_the_bot(
    make_harness: Callable[..., Harness], peers: Callable[[str], Any]
) -> None:
    """Jobs post through the running bot from scheduler threads (`MatrixOutbox`) or from another
    process (`make_outbox`, e.g. `cop-bot digest run-due`); a repeated key is posted once."""
    harness = make_harness()
    bot = await harness.start()
    alice, bob = await peers("alice"), await peers("bob")
    room = await alice.room(harness.user_id, bob.user_id)
    await alice.joined(harness.user_id, room)
    conversation = Conversation("matrix", "localhost", room)
    digest = Outgoing(conversation, reply(Text.of("Weekly digest")), key="digest-run-1")
    outbox = MatrixOutbox(bot, asyncio.get_running_loop())
    await asyncio.to_thread(outbox.post, digest)
    await asyncio.to_thread(outbox.post, digest)  # a retry of the same run
    await asyncio.to_thread(make_outbox(harness.app).post, digest)  # even from elsewhere
    await asyncio.to_thread(
        make_outbox(harness.app).direct,
        Direct(conversation, Mention("x", None, alice.user_id), reply(Text.of("Reminder"))),
    )
    await alice.wait_for(
        lambda r, e: isinstance(e, InviteEvent) and getattr(e, "sender", None) == harness.user_id
    )
    await asyncio.sleep(0.5)
    assert [c["body"] for c in alice.from_(harness.user_id, room)] == ["Weekly digest"]


async def test_private_replies_go_to_the_asker_by_direct_message(
    make_harness: Callable[..., Harness], peers: Callable[[str], Any]
) -> None:
    harness = make_harness(matrix_private_replies=True)
    await harness.start()
    alice, bob = await peers("alice"), await peers("bob")
    room = await alice.room(harness.user_id, bob.user_id)
    await alice.joined(harness.user_id, room)
    asked = await alice.say(room, "!help")
    note = await alice.reply_to(harness.user_id, asked)
    assert "direct message" in note["body"]
    await alice.wait_for(
        lambda r, e: isinstance(e, InviteEvent) and getattr(e, "sender", None) == harness.user_id
    )


async def test_a_post_the_homeserver_forbids_is_refused_for_good_and_explained(
    make_harness: Callable[..., Harness], peers: Callable[[str], Any]
) -> None:
    """Issue 21, defect 6: kicked from a room, the bot's digest there is recorded as refused
    (`M_FORBIDDEN`), not as sent, and `/digest status` says what to do."""
    from cop_bot.core.outbox import FORBIDDEN, DeliveryError
    from cop_bot.digests.jobs import post_due_digests
    from cop_bot.digests.schedule import next_due
    from cop_bot.storage.models import DigestRun

    harness = make_harness()
    bot = await harness.start()
    alice, bob = await peers("alice"), await peers("bob")
    room = await alice.room(harness.user_id, bob.user_id)
    await alice.joined(harness.user_id, room)
    app = harness.app
    for line in ("!digest on monday 09:00", "!digest settings skip-empty: no"):
        asked = await alice.say(room, line)  # alice made the room: her power level suffices
        assert "facilitator" not in (await alice.reply_to(harness.user_id, asked))["body"]
    kicked = await alice.client.room_kick(room, harness.user_id, reason="testing")
    assert not hasattr(kicked, "status_code"), kicked
    await asyncio.sleep(0.5)  # the bot's sync sees it leave
    outbox = MatrixOutbox(bot, asyncio.get_running_loop(), timeout=TIMEOUT)
    conversation = Conversation("matrix", "localhost", room)
    with pytest.raises(DeliveryError) as refused:
        await asyncio.to_thread(outbox.post, Outgoing(conversation, reply(Text.of("Hello"))))
    assert (refused.value.reason, refused.value.permanent) == (FORBIDDEN, True)
    now = next_due(0, 9 * 60, "UTC", app.clock.now()) + timedelta(minutes=1)
    report = await asyncio.to_thread(post_due_digests, app.engine, outbox, app.taxonomy, now)
    assert [r[2] for r in report.refused] == [FORBIDDEN]
    with session_scope(app.engine) as session:
        (run,) = session.exec(select(DigestRun)).all()
        assert (run.status, run.last_error) == ("refused", FORBIDDEN)
    status = app.router.dispatch(
        Invocation("digest", "status", Actor(handle="someone"), conversation, raw="!digest status")
    )
    assert "The bot may not post in this room: invite it back" in str(status.blocks)


async def _messages_from(peer: Peer, room_id: str, sender: str) -> list[dict[str, Any]]:
    """The room's messages from `sender`, read back from the homeserver (for a room joined late)."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        messages = await peer.client.room_messages(room_id, start="", limit=20)
        found = [
            e.source["content"]
            for e in getattr(messages, "chunk", [])
            if e.source.get("type") == "m.room.message" and e.sender == sender
        ]
        if any(c.get("msgtype") == "m.file" for c in found):
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"no file from {sender} in {room_id}")


async def test_files_come_as_m_file_events_from_the_media_repository(
    make_harness: Callable[..., Harness], peers: Callable[[str], Any]
) -> None:
    """Issue 21, defect 14: an .ics and a data export are `m.file` events whose bytes are in the
    homeserver's media repository; the export, meant for its owner, goes to a direct room."""
    from icalendar import Calendar

    harness = make_harness()
    await harness.start()
    alice, bob = await peers("alice"), await peers("bob")
    room = await alice.room(harness.user_id, bob.user_id)
    await alice.joined(harness.user_id, room)
    asked = await alice.say(room, '!schedule-session "Clinic" tomorrow 15:00')
    assert "Clinic" in (await alice.reply_to(harness.user_id, asked))["body"]
    asked = await alice.say(room, "!session 1 ics")
    assert "follows in this room" in (await alice.reply_to(harness.user_id, asked))["body"]
    _, event = await alice.wait_for(
        lambda r, e: (
            r == room
            and getattr(e, "sender", None) == harness.user_id
            and e.source.get("content", {}).get("msgtype") == "m.file"
        )
    )
    content = event.source["content"]
    assert (content["filename"], content["info"]["mimetype"]) == ("session-1.ics", "text/calendar")
    downloaded = await alice.client.download(mxc=content["url"])
    (vevent,) = Calendar.from_ical(downloaded.body).walk("VEVENT")
    assert str(vevent["summary"]) == "Clinic"
    assert content["info"]["size"] == len(downloaded.body)

    asked = await alice.say(room, "!profile export")
    assert "direct message" in (await alice.reply_to(harness.user_id, asked))["body"]
    dm, _ = await alice.wait_for(
        lambda r, e: isinstance(e, InviteEvent) and getattr(e, "sender", None) == harness.user_id
    )
    await alice.client.join(dm)
    found = await _messages_from(alice, dm, harness.user_id)
    (file,) = [c for c in found if c.get("msgtype") == "m.file"]
    assert file["filename"].startswith("cop-bot-export-") and file["filename"].endswith(".json")
    export = json.loads((await alice.client.download(mxc=file["url"])).body)
    assert export["profile"]["handle"] == alice.user_id[1:].split(":")[0]
    assert not [c for c in alice.from_(harness.user_id, room) if c.get("msgtype") == "m.file"][1:]


# ---- answers: a reply to a question's post counts once its author confirms it with ✅ ----------


async def test_a_reply_to_a_question_becomes_an_answer_on_a_check_mark(
    make_harness: Callable[..., Harness], peers: Callable[[str], Any]
) -> None:
    from cop_bot.storage.models import Answer

    harness = make_harness()
    await harness.start()
    alice, bob = await peers("alice"), await peers("bob")
    room = await alice.room(harness.user_id, bob.user_id)
    await alice.joined(harness.user_id, room)
    await bob.client.join(room)
    asked = await alice.say(room, "!ask housing: who knows landlords in Turin?")
    _, post = await alice.wait_for(
        lambda r, e: (
            is_bot_message(harness.user_id)(r, e)
            and e.source["content"].get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id")
            == asked
        )
    )
    post_id = str(post.event_id)

    def reply_content(body: str) -> dict[str, Any]:
        return {
            "msgtype": "m.text",
            "body": body,
            "m.relates_to": {"m.in_reply_to": {"event_id": post_id}},
        }

    async def answers(n: int) -> list[tuple[str, str | None]]:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            with session_scope(harness.app.engine) as session:
                rows = session.exec(select(Answer).order_by(col(Answer.id))).all()
                found = [
                    (a.text, a.author_id and session.get(Member, a.author_id).handle) for a in rows
                ]  # type: ignore[union-attr]
            if len(found) >= n:
                return found
            await asyncio.sleep(0.05)
        return found

    def _handle(session: Any, member_id: int | None) -> str | None:
        member = session.get(Member, member_id) if member_id is not None else None
        return member.handle if member is not None else None

    comment = await bob.send_raw(room, "m.room.message", reply_content("Good question!"))
    answer = await bob.send_raw(
        room, "m.room.message", reply_content("Ask <b>Casa Aperta</b> @room")
    )
    await asyncio.sleep(0.3)
    assert await answers(0) == []  # a reply alone is not recorded
    # someone else's ✅ on bob's reply does not make it an answer, nor does another emoji
    for who, target, key in ((alice, answer, "✅"), (bob, comment, "👍")):
        await who.send_raw(
            room,
            "m.reaction",
            {"m.relates_to": {"rel_type": "m.annotation", "event_id": target, "key": key}},
        )
    await bob.send_raw(
        room,
        "m.reaction",
        {"m.relates_to": {"rel_type": "m.annotation", "event_id": answer, "key": "✅️"}},
    )
    bob_handle = bob.user_id[1:].split(":")[0]
    assert await answers(1) == [("Ask <b>Casa Aperta</b> @room", bob_handle)]
    # typing /answer TEXT in reply to the question's post needs no number
    await bob.send_raw(room, "m.room.message", reply_content("!answer Also try the parish"))
    found = await answers(2)
    assert [text for text, _who in found] == ["Ask <b>Casa Aperta</b> @room", "Also try the parish"]
    await asyncio.sleep(0.3)
    assert len(await answers(0)) == 2


async def test_the_insights_chart_comes_as_an_m_image_from_the_media_repository(
    make_harness: Callable[..., Harness], peers: Callable[[str], Any]
) -> None:
    """`/insights chart`: the PNG is uploaded to the media repository and sent as `m.image`."""
    alice = await peers("alice")
    handle = alice.user_id[1:].split(":")[0]
    harness = make_harness(admins=(handle,))
    await harness.start()
    room = await alice.room(harness.user_id)
    await alice.joined(harness.user_id, room)
    asked = await alice.say(room, "!insights chart")
    assert "Insights" in (await alice.reply_to(harness.user_id, asked))["body"]
    _, event = await alice.wait_for(
        lambda r, e: (
            r == room
            and getattr(e, "sender", None) == harness.user_id
            and e.source.get("content", {}).get("msgtype") == "m.image"
        )
    )
    content = event.source["content"]
    assert content["info"]["mimetype"] == "image/png"
    downloaded = await alice.client.download(mxc=content["url"])
    assert downloaded.body.startswith(b"\x89PNG\r\n\x1a\n")
    assert content["info"]["size"] == len(downloaded.body)


async def test_a_pair_is_introduced_in_one_new_room_with_both(
    make_harness: Callable[..., Harness], peers: Callable[[str], Any]
) -> None:
    """`Together` makes ONE private room named for the pair, inviting both members, and posts
    the introduction there; a retry of the same key reuses the room and the transaction id."""
    harness = make_harness()
    bot = await harness.start()
    alice, bob = await peers("alice"), await peers("bob")
    pair = (Mention("alice", None, alice.user_id), Mention("bob", None, bob.user_id))
    intro = Together(
        Conversation("matrix", "localhost", "!none:localhost"),
        pair,
        reply(Text.of("You are paired")),
        key="mentoring-pair:7",
        title="Mentoring: Alice ↔ Bob",
    )
    outbox = MatrixOutbox(bot, asyncio.get_running_loop(), timeout=TIMEOUT)
    await asyncio.to_thread(outbox.together, intro)
    await asyncio.to_thread(outbox.together, intro)  # a retry: same room, same message
    invites = []
    for peer in (alice, bob):
        room_id, _invite = await peer.wait_for(
            lambda r, e: isinstance(e, InviteEvent) and getattr(e, "sender", None) == bot.user_id
        )
        invites.append(room_id)
    assert invites[0] == invites[1] == bot.state.together_rooms["mentoring-pair:7"]
    room_id = invites[0]
    joined = await alice.client.join(room_id)
    assert not hasattr(joined, "status_code"), joined
    deadline = time.monotonic() + TIMEOUT
    bodies: list[str] = []
    while time.monotonic() < deadline:
        messages = await alice.client.room_messages(room_id, start="", limit=20)
        bodies = [
            e.source["content"]["body"]
            for e in getattr(messages, "chunk", [])
            if e.source.get("type") == "m.room.message" and e.sender == bot.user_id
        ]
        if bodies:
            break
        await asyncio.sleep(0.1)
    assert bodies == ["You are paired"]
    state = await alice.client.room_get_state_event(room_id, "m.room.name")
    assert state.content["name"] == "Mentoring: Alice ↔ Bob"  # type: ignore[union-attr]
    members = await alice.client.joined_members(room_id)
    assert bot.user_id in [m.user_id for m in members.members]  # type: ignore[union-attr]
