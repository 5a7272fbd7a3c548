"""Command-to-reply latency through a real Synapse: `/find-expert` with N members, next to an
echo bot that answers without doing any work, measured in the same run.

    python benchmarks/bench_matrix.py [--members 10000] [--commands 200] [--concurrency 4]

One Synapse on loopback (tests/synapse.py, relaxed rate limits: this measures latency, not the
limits; tests/test_matrix_burst.py covers those). Three processes talk to it:

- **ours**: `cop-bot run` in a child process, exactly as deployed (`MATRIX_*` settings, SQLite
  file with N synthetic members in the Matrix community, INFO logging, the scheduler running).
- **echo**: a bare matrix-nio client in a child process that answers every `m.text` with an
  `m.notice` reply (`m.in_reply_to`, `m.mentions: {}`), no work: the floor of any nio bot here.
- **driver**: a matrix-nio client in this process. Each bot sits in a group room of its own with
  the driver and a bystander. The driver sends `!find-expert QUERY` to one room and waits for the
  reply to arrive over its own sync, then to the other; the order alternates every round, so
  machine noise hits both alike. Latency is from just before the send to the reply's arrival.
  `--concurrency N` adds rounds of N commands sent at once to one room (each timed on its own).

Also printed: the "server-side" time, reply `origin_server_ts` minus command `origin_server_ts`
(Synapse's clock; the bot's part without the driver's own send and sync), and each bot's CPU
time per command. Prints figures; asserts nothing about time (figures differ between machines).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing as mp
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nio import (
    AsyncClient,
    Event,
    InviteMemberEvent,
    MatrixRoom,
    RoomCreateResponse,
    RoomMessageText,
    RoomPreset,
    RoomSendResponse,
)

from tests.synapse import Account, start_synapse

QUERIES = ["housing", "labour market country:IT", "mental health", "education lang:fr"]
TIMEOUT = 60.0


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (Linux /proc), for CPU per command."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---- the echo bot (child process) ----------------------------------------------------------------


def _echo_child(url: str, user_id: str, device_id: str, token: str) -> None:
    asyncio.run(_echo(url, user_id, device_id, token))


async def _echo(url: str, user_id: str, device_id: str, token: str) -> None:
    client = AsyncClient(url, user_id)
    client.restore_login(user_id, device_id, token)
    await client.sync(timeout=0, full_state=True)  # no backlog: callbacks come after this
    for room_id in list(client.invited_rooms):
        await client.join(room_id)

    async def on_text(room: MatrixRoom, event: RoomMessageText) -> None:
        if event.sender == user_id:
            return
        content = {
            "msgtype": "m.notice",
            "body": "echo",
            "m.mentions": {},
            "m.relates_to": {"m.in_reply_to": {"event_id": event.event_id}},
        }
        await client.room_send(room.room_id, "m.room.message", content)

    async def on_invite(room: MatrixRoom, event: Any) -> None:
        await client.join(room.room_id)

    client.add_event_callback(on_text, RoomMessageText)
    client.add_event_callback(on_invite, InviteMemberEvent)
    while True:
        await client.sync(timeout=30_000)


# ---- the driver (this process) -------------------------------------------------------------------


@dataclass
class Driver:
    client: AsyncClient
    arrived: dict[str, float] = field(default_factory=dict)  # command event id -> reply seen
    server_ts: dict[str, int] = field(default_factory=dict)  # event id -> origin_server_ts
    reply_of: dict[str, str] = field(default_factory=dict)  # command event id -> reply event id
    joined: set[tuple[str, str]] = field(default_factory=set)
    waiters: dict[str, asyncio.Future[float]] = field(default_factory=dict)
    task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.client.add_event_callback(self._on_event, Event)
        await self.client.sync(timeout=0, full_state=True)
        self.task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            await self.client.sync(timeout=30_000)

    async def _on_event(self, room: MatrixRoom, event: Any) -> None:
        now = time.perf_counter()
        source = getattr(event, "source", {}) or {}
        self.server_ts[event.event_id] = int(getattr(event, "server_timestamp", 0) or 0)
        if source.get("type") == "m.room.member":
            if source.get("content", {}).get("membership") == "join":
                self.joined.add((room.room_id, str(source.get("state_key"))))
            return
        relates = source.get("content", {}).get("m.relates_to") or {}
        target = (relates.get("m.in_reply_to") or {}).get("event_id")
        if source.get("type") != "m.room.message" or event.sender == self.client.user_id:
            return
        if isinstance(target, str) and target not in self.arrived:
            self.arrived[target] = now
            self.reply_of[target] = event.event_id
            waiter = self.waiters.pop(target, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(now)

    async def ask(self, room_id: str, body: str) -> tuple[float, str]:
        """Send one command; (seconds until its reply arrived, command event id)."""
        started = time.perf_counter()
        resp = await self.client.room_send(
            room_id, "m.room.message", {"msgtype": "m.text", "body": body}
        )
        assert isinstance(resp, RoomSendResponse), resp
        event_id = resp.event_id
        if event_id not in self.arrived:
            waiter = asyncio.get_running_loop().create_future()
            self.waiters[event_id] = waiter
            await asyncio.wait_for(waiter, TIMEOUT)
        return self.arrived[event_id] - started, event_id

    def server_ms(self, command: str) -> float | None:
        reply = self.reply_of.get(command)
        if reply is None or not self.server_ts.get(reply) or not self.server_ts.get(command):
            return None
        return float(self.server_ts[reply] - self.server_ts[command])

    async def wait_joined(self, room_id: str, user_id: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while (room_id, user_id) not in self.joined:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{user_id} did not join {room_id}")
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        if self.task:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.client.close()


def client_for(url: str, account: Account) -> AsyncClient:
    client = AsyncClient(url, account.user_id)
    client.restore_login(account.user_id, account.device_id, account.access_token)
    return client


async def make_room(driver: Driver, *invite: str) -> str:
    resp = await driver.client.room_create(invite=list(invite), preset=RoomPreset.private_chat)
    assert isinstance(resp, RoomCreateResponse), resp
    return str(resp.room_id)


def prepare_database(folder: Path, members: int, room_id: str) -> tuple[str, float]:
    from benchmarks.synthetic import populate
    from cop_bot.app import build_app
    from cop_bot.config import Settings
    from cop_bot.core.model import Conversation

    url = f"sqlite:///{folder}/bench.db"
    started = time.perf_counter()
    app = build_app(Settings(database_url=url, log_level="WARNING"), migrate=True)
    # The Matrix adapter's community is the bot's homeserver name (wire.py), rooms its channels.
    populate(app.engine, app.taxonomy, members, Conversation("matrix", "localhost", room_id))
    app.engine.dispose()
    return url, time.perf_counter() - started


@dataclass
class Samples:
    latency_ms: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)

    def add(self, driver: Driver, seconds: float, command: str) -> None:
        self.latency_ms.append(seconds * 1000)
        server = driver.server_ms(command)
        if server is not None:
            self.server_ms.append(server)

    def line(self, name: str) -> str:
        s = self.latency_ms
        server = f"{statistics.median(self.server_ms):6.1f}" if self.server_ms else "   n/a"
        return (
            f"{name:<6} {len(s):5d} {statistics.mean(s):7.1f} {pct(s, 0.5):7.1f} "
            f"{pct(s, 0.9):7.1f} {pct(s, 0.99):7.1f} {max(s):7.1f}   {server}"
        )


HEADER = "bot     n     mean     p50     p90     p99     max   server p50 (ms)"


async def run(args: argparse.Namespace, work: Path) -> None:
    synapse = start_synapse(work / "synapse")
    processes: list[subprocess.Popen[bytes]] = []
    echo_process: Any = None
    driver: Driver | None = None
    try:
        bot, echo, me, bystander = (
            synapse.register(name) for name in ("copbot", "echobot", "driver", "bystander")
        )
        driver = Driver(client_for(synapse.url, me))
        await driver.start()
        ours_room = await make_room(driver, bot.user_id, bystander.user_id)
        echo_room = await make_room(driver, echo.user_id, bystander.user_id)
        other = client_for(synapse.url, bystander)
        for room in (ours_room, echo_room):
            await other.join(room)
        await other.close()

        db_url, load_s = prepare_database(work, args.members, ours_room)
        print(f"{args.members} synthetic members loaded in {load_s:.1f} s")
        env = {
            **os.environ,
            "COP_BOT_PLATFORM": "matrix",
            "COP_BOT_DATABASE_URL": db_url,
            "COP_BOT_STATE_DIR": str(work / "state"),
            "COP_BOT_LOG_FILE": str(work / "cop-bot.log"),
            "MATRIX_HOMESERVER": synapse.url,
            "MATRIX_USER_ID": bot.user_id,
            "MATRIX_ACCESS_TOKEN": bot.access_token,
        }
        profile = ["-m", "cProfile", "-o", args.profile] if args.profile else []
        ours_process = subprocess.Popen(
            [sys.executable, *profile, "-m", "cop_bot", "run"],
            env=env,
            stdout=(work / "cop-bot.out").open("wb"),
            stderr=subprocess.STDOUT,
        )
        processes.append(ours_process)
        ctx = mp.get_context("spawn")
        echo_process = ctx.Process(
            target=_echo_child,
            args=(synapse.url, echo.user_id, echo.device_id, echo.access_token),
            daemon=True,
        )
        echo_process.start()
        await driver.wait_joined(ours_room, bot.user_id)
        await driver.wait_joined(echo_room, echo.user_id)

        # Warm-up: the first search builds the index; both bots settle their connections.
        started = time.perf_counter()
        for query in QUERIES * 2:
            await driver.ask(ours_room, f"!find-expert {query}")
            await driver.ask(echo_room, f"!find-expert {query}")
        print(
            f"warm-up ({len(QUERIES) * 2} commands each) took {time.perf_counter() - started:.1f} s"
        )

        rooms = {"ours": ours_room, "echo": echo_room}
        pids = {"ours": ours_process.pid, "echo": echo_process.pid}
        one = {name: Samples() for name in rooms}
        cpu = dict.fromkeys(rooms, 0.0)
        for i in range(args.commands):
            body = f"!find-expert {QUERIES[i % len(QUERIES)]}"
            order = ("ours", "echo") if i % 2 == 0 else ("echo", "ours")
            for name in order:
                before = cpu_seconds(pids[name])
                seconds, command = await driver.ask(rooms[name], body)
                cpu[name] += cpu_seconds(pids[name]) - before
                one[name].add(driver, seconds, command)

        print()
        print(f"one command at a time, {args.commands} each, alternating (ms):")
        print(HEADER)
        for name in ("ours", "echo"):
            print(one[name].line(name))
        ratio = pct(one["ours"].latency_ms, 0.5) / pct(one["echo"].latency_ms, 0.5)
        print(f"ours / echo at p50: {ratio:.2f} (target: at most 1.3)")
        print(
            "CPU per command: "
            + ", ".join(f"{n} {cpu[n] / args.commands * 1000:.1f} ms" for n in rooms)
            + " (the bot process, all threads, scheduler included)"
        )

        if args.concurrency > 1:
            many = {name: Samples() for name in rooms}
            for i in range(args.concurrent_rounds):
                order = ("ours", "echo") if i % 2 == 0 else ("echo", "ours")
                for name in order:
                    results = await asyncio.gather(
                        *(
                            driver.ask(rooms[name], f"!find-expert {QUERIES[(i + k) % 4]}")
                            for k in range(args.concurrency)
                        )
                    )
                    for seconds, command in results:
                        many[name].add(driver, seconds, command)
            print()
            print(
                f"{args.concurrency} commands at once, {args.concurrent_rounds} rounds each, "
                "alternating (ms per command):"
            )
            print(HEADER)
            for name in ("ours", "echo"):
                print(many[name].line(name))
            ratio = pct(many["ours"].latency_ms, 0.5) / pct(many["echo"].latency_ms, 0.5)
            print(f"ours / echo at p50: {ratio:.2f}")
    finally:
        if driver is not None:
            await driver.close()
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
        if echo_process is not None:
            echo_process.terminate()
            echo_process.join(10)
        synapse.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--commands", type=int, default=200, help="per bot, one at a time")
    parser.add_argument("--concurrency", type=int, default=4, help="0 or 1: skip that part")
    parser.add_argument("--concurrent-rounds", type=int, default=25)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    parser.add_argument(
        "--profile", metavar="FILE", help="run our bot under cProfile (event loop thread) into FILE"
    )
    args = parser.parse_args()
    print(
        f"!find-expert through Synapse on loopback, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.2f}; ours with {args.members} members on SQLite"
    )
    folder = Path(tempfile.mkdtemp(prefix="cop-bot-bench-matrix-"))
    try:
        asyncio.run(run(args, folder))
    finally:
        if args.keep:
            print(f"logs kept in {folder}")
        else:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"driver process CPU: {usage.ru_utime + usage.ru_stime:.1f} s")


if __name__ == "__main__":
    main()
