"""A burst of commands against a Synapse with its DEFAULT rate limits (issue 9).

Synapse's default `rc_message` is 0.2 messages/s with a burst of 10 per user, so a bot asked 15
things at once can post 10 replies at once and must then wait about 5 s per reply. The shared
Synapse of tests/test_matrix.py relaxes every limit, so this module starts a second one with the
defaults (`start_synapse(default_limits=True)`), and every account in it, the bot's included, is
limited exactly as on a stock homeserver. The members stay within their own burst (5 commands
each), so only the bot's sends hit `M_LIMIT_EXCEEDED`.

Every HTTP request the bot makes is recorded (time, method, path, status, `retry_after_ms`), so
the test can check what the room shows (one reply per command, none lost, none twice) and how
the bot got there (each reply under one transaction id however often it was retried, no send
while the homeserver had said to wait, and about one refusal per reply over the burst).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from cop_bot.platforms.matrix.bot import MatrixBot
from tests.synapse import Synapse, start_synapse
from tests.test_matrix import Peer, _name, make_app

pytestmark = pytest.mark.matrix

MEMBERS = 3
COMMANDS_EACH = 5  # 15 commands: 5 over the bot's default burst of 10 -> about 25 s of waiting
BURST_COUNT = 10  # Synapse's default rc_message.burst_count
DEADLINE = 50.0


@pytest.fixture(scope="module")
def limited_synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synapse]:
    server = start_synapse(tmp_path_factory.mktemp("synapse-limited"), default_limits=True)
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Request:
    started: float
    finished: float
    method: str
    path: str
    status: int
    retry_after_ms: int | None = None

    @property
    def tx_id(self) -> str | None:
        """The transaction id of a message send (`PUT .../send/m.room.message/TXN`)."""
        parts = self.path.split("?")[0].split("/")
        if self.method == "PUT" and len(parts) > 2 and parts[-3] == "send":
            return unquote(parts[-1])
        return None


def record_requests(bot: MatrixBot, monkeypatch: pytest.MonkeyPatch) -> list[Request]:
    """Wrap the bot's transport: every request, its status and any `retry_after_ms`."""
    seen: list[Request] = []
    original = bot.client.send

    async def send(method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        started = time.monotonic()
        response = await original(method, path, *args, **kwargs)
        retry = None
        if response.status == 429:
            retry = (await response.json()).get("retry_after_ms")  # cached: nio reads it again
        seen.append(Request(started, time.monotonic(), method, path, response.status, retry))
        return response

    monkeypatch.setattr(bot.client, "send", send)
    return seen


@pytest.fixture
async def members(limited_synapse: Synapse) -> AsyncIterator[list[Peer]]:
    made = [
        await Peer.connect(limited_synapse.url, limited_synapse.register(_name(f"m{i}")))
        for i in range(MEMBERS)
    ]
    yield made
    for peer in made:
        await peer.close()


def replied_to(content: dict[str, Any]) -> str | None:
    found = content.get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id")
    return found if isinstance(found, str) else None


async def test_a_burst_over_the_default_rate_limit_is_answered_once_each_without_flooding(
    limited_synapse: Synapse,
    members: list[Peer],
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account = limited_synapse.register(_name("bot"))
    app = make_app(limited_synapse, account, sqlite_url, state_dir=str(tmp_path / "state"))
    bot = MatrixBot(app, state_dir=tmp_path / "state", sync_timeout_ms=1000)
    requests = record_requests(bot, monkeypatch)
    serving = asyncio.create_task(bot.serve())
    try:
        await asyncio.wait_for(bot.ready.wait(), 15)
        first, *others = members
        room = await first.room(account.user_id, *(p.user_id for p in others))
        for peer in others:
            await peer.client.join(room)
        await first.joined(account.user_id, room)
        for peer in others:
            await first.joined(peer.user_id, room)

        async def fire(peer: Peer) -> list[str]:
            return [await peer.say(room, "!domains") for _ in range(COMMANDS_EACH)]

        burst_started = time.monotonic()
        sent = [e for ids in await asyncio.gather(*(fire(p) for p in members)) for e in ids]
        assert len(set(sent)) == MEMBERS * COMMANDS_EACH

        def answered() -> Counter[str | None]:
            return Counter(replied_to(c) for c in first.from_(account.user_id, room))

        while len(set(answered()) & set(sent)) < len(sent):
            if time.monotonic() - burst_started > DEADLINE:
                break
            await asyncio.sleep(0.1)
        elapsed = time.monotonic() - burst_started
        await asyncio.sleep(1.5)  # a duplicate from a retried send would show up by now
    finally:
        bot.stop()
        await asyncio.wait_for(serving, 15)
        app.engine.dispose()

    replies = answered()
    sends = [r for r in requests if r.tx_id is not None]
    limited = [r for r in sends if r.status == 429]
    by_tx = Counter(r.tx_id for r in sends if r.status == 200)
    print(
        f"\n{len(sent)} commands answered in {elapsed:.1f} s; {len(sends)} send requests, "
        f"{len(limited)} refused with M_LIMIT_EXCEEDED "
        f"(retry_after_ms {[r.retry_after_ms for r in limited]})"
    )

    # Nothing lost, nothing twice, nothing else.
    assert {e: replies[e] for e in sent} == dict.fromkeys(sent, 1), replies
    assert sum(replies.values()) == len(sent), replies

    # The default limit really was hit, and retries kept their transaction id: one accepted
    # send per transaction id, and exactly as many transaction ids as replies.
    assert limited, "no send was refused: is this Synapse really on its default limits?"
    assert all(r.retry_after_ms for r in limited)
    assert set(by_tx.values()) == {1} and len(by_tx) == len(sent), by_tx
    assert {r.tx_id for r in limited} <= set(by_tx)

    # No flooding: nothing was sent while a refusal's retry_after_ms was still running (counted
    # from when the request left: Synapse measures it on arrival, then holds the answer 0.5 s;
    # 50 ms of slack for timers), and about one refusal per reply over the burst (not one per
    # waiting reply per time slot).
    for refusal in limited:
        assert refusal.retry_after_ms is not None
        resume = refusal.started + refusal.retry_after_ms / 1000 - 0.05
        early = [r for r in sends if refusal.finished < r.started < resume]
        assert not early, f"sent {len(early)} message(s) while told to wait until {resume:.2f}"
    over_burst = len(sent) - BURST_COUNT
    assert len(limited) <= over_burst + 3, f"{len(limited)} refusals for {over_burst} over burst"
