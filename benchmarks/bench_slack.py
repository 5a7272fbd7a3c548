"""Slash commands per second through the full Slack HTTP path, next to a bare bolt app, same run.

    python benchmarks/bench_slack.py [--members 10000] [--seconds 5] [--concurrency 8]
                                     [--engine-processes 2] [--rounds 3]

Both apps are slack-bolt `AsyncApp`s on aiohttp, in a child process of their own, receiving
`/find-expert` slash commands signed exactly as Slack signs them (v0 HMAC-SHA256), over loopback,
from an aiohttp client in this process. This process also runs the Web API stand-in
(tests/slack_stand_in.py) that answers `auth.test`/`users.info` and receives the replies posted to
`response_url`.

- **bare**: a listener that only acks, with bolt's defaults (the listener runs in the background
  and bolt polls for its ack every 10 ms).
- **bare, process_before_response**: the same listener run inline (no polling): the upper bound
  of any bolt app on this machine.
- **ours**: `SlackBot` on a SQLite database with N synthetic members: signature check,
  `users.info` (cached), `Router.dispatch` in a worker thread (storage, search), Block Kit, the
  answer in the ack (or, past the ack budget, POSTed to `response_url`). Measured twice: with
  the engine in the bot's process (the default) and in `--engine-processes` worker processes
  (COP_BOT_ENGINE_PROCESSES).

"acked/s" counts acks in the window and "replied/s" counts answers, in acks or at `response_url`,
until the last one arrived (work after an empty ack must not flatter us). On a small shared
machine one run of the same app swings by half, so each round measures every app in turn and
the summary gives medians, with "of bare" taken within each round. Prints figures; asserts
nothing about time (absolute figures swing between machines).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import random
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.slack_stand_in import TEAM_ID, StandIn
from tests.test_slack import SECRET, TOKEN, sign

QUERIES = ["housing", "labour market country:IT", "mental health", "education lang:fr"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# ---- the child process: one app ------------------------------------------------------------------


def _child(kind: str, port: int, api_url: str, database: str, processes: int, ready: Any) -> None:
    asyncio.run(_serve(kind, port, api_url, database, processes, ready))


async def _serve(
    kind: str, port: int, api_url: str, database: str, processes: int, ready: Any
) -> None:
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.app.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    engine: Any = None
    bot: Any = None
    if kind.startswith("bare"):
        bare = AsyncApp(
            client=AsyncWebClient(token=TOKEN, base_url=api_url),
            signing_secret=SECRET,
            process_before_response=kind == "bare-inline",
        )

        @bare.command("/find-expert")
        async def ack_only(ack: Any) -> None:
            await ack()

        async def handle(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await bare.async_dispatch(await to_bolt_request(request))
            )

        web_app = web.Application()
        web_app.router.add_post("/slack/events", handle)
    else:
        from benchmarks.synthetic import NOW
        from cop_bot.app import build_app
        from cop_bot.core.clock import FixedClock
        from cop_bot.platforms.engine_pool import EnginePool
        from cop_bot.platforms.slack.bot import SlackBot

        app = build_app(bench_settings(database, api_url, processes), clock=FixedClock(NOW))
        engine = EnginePool(app, processes) if processes else None
        if engine is not None:
            await asyncio.to_thread(engine.start)
        bot = SlackBot(app, engine=engine)
        web_app = bot.web_app()

    async def cpu(_: web.Request) -> web.Response:
        return web.json_response({"cpu": time.process_time()})

    web_app.router.add_get("/__cpu", cpu)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    ready.put(True)
    await stop.wait()
    await runner.cleanup()
    if bot is not None:
        await bot.aclose()
    if engine is not None:
        engine.shutdown()


def bench_settings(database: str, api_url: str, processes: int) -> Any:
    from cop_bot.config import Settings

    return Settings(
        database_url=database,
        slack_bot_token=TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=api_url,
        log_level="WARNING",
        engine_processes=processes,
    )


def prepare(members: int) -> str:
    """A SQLite database with `members` synthetic members, shared by every run of ours."""
    from benchmarks.synthetic import NOW, populate
    from cop_bot.app import build_app
    from cop_bot.core.clock import FixedClock
    from cop_bot.core.model import Conversation

    folder = tempfile.mkdtemp(prefix="cop-bot-bench-slack-")
    database = f"sqlite:///{folder}/bench.db"
    app = build_app(bench_settings(database, "", 0), clock=FixedClock(NOW), migrate=True)
    populate(app.engine, app.taxonomy, members, Conversation("slack", TEAM_ID, "C0BENCH"))
    app.engine.dispose()
    return database


# ---- this process: Slack and its load generator --------------------------------------------------


def distinct_queries() -> list[str]:
    """Thousands of different searches (domain x country x language), so that no memo helps."""
    from benchmarks.synthetic import COUNTRIES, LANGS
    from cop_bot.core.taxonomy import load_taxonomy

    slugs = [d.slug.replace("-", " ") for d in load_taxonomy().domains]
    found = [f"{s} country:{c} lang:{lang}" for s in slugs for c in COUNTRIES for lang in LANGS]
    random.Random(7).shuffle(found)
    return found


def bodies(stand_in: StandIn, queries: list[str]) -> list[str]:
    return [
        urlencode(
            {
                "team_id": TEAM_ID,
                "channel_id": "C0BENCH",
                "channel_name": "bench",
                "user_id": "U0BENCH",
                "user_name": "bench",
                "command": "/find-expert",
                "text": q,
                "response_url": stand_in.response_url(str(i)),
            }
        )
        for i, q in enumerate(queries)
    ]


async def load(
    url: str,
    stand_in: StandIn,
    seconds: float,
    concurrency: int,
    warmup: float,
    queries: list[str],
    answers: bool = True,
) -> dict[str, float]:
    payloads = bodies(stand_in, queries)
    acked = 0
    in_ack = 0
    failed = 0
    counting = False
    stop_at = 0.0
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    async def worker(http: aiohttp.ClientSession, n: int) -> None:
        nonlocal acked, in_ack, failed
        i = n
        while time.monotonic() < stop_at:
            # each delivery unique, as Slack's are (a fresh trigger_id): the same signed body
            # twice is a replay, which the bot acks and drops
            body = f"{payloads[i % len(payloads)]}&trigger_id={n}.{i}.{time.monotonic_ns()}"
            i += 1
            async with http.post(url, data=body, headers={**form, **sign(body)}) as response:
                answer = await response.read()
                if counting:
                    if response.status == 200:
                        acked += 1
                        in_ack += bool(answer)
                    else:
                        failed += 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        stop_at = time.monotonic() + warmup
        await asyncio.gather(*(worker(http, n) for n in range(concurrency)))
        await drain(stand_in, 30)
        before = len(stand_in.of("response_url"))
        cpu_url = url.replace("/slack/events", "/__cpu")
        cpu_before = await server_cpu(http, cpu_url)
        counting = True
        start = time.monotonic()
        stop_at = start + seconds
        await asyncio.gather(*(worker(http, n) for n in range(concurrency)))
        window = time.monotonic() - start
        replies, last = before, start + window
        if answers:  # the bare app answers nothing: no replies to wait for
            replies, last = await drain(stand_in, 120, expect=before + acked - in_ack)
        cpu_used = await server_cpu(http, cpu_url) - cpu_before
    replied = in_ack + replies - before
    return {
        "cpu_ms_per_command": 1000 * cpu_used / max(acked, 1),
        "acked_per_s": acked / window,
        "failed": failed,
        "replied": replied,
        "replied_per_s": replied / max(last - start, window) if replied else 0.0,
    }


async def server_cpu(http: aiohttp.ClientSession, url: str) -> float:
    """CPU seconds the app's process has used: unlike rates, robust to a busy machine."""
    async with http.get(url) as response:
        return float((await response.json())["cpu"])


async def drain(stand_in: StandIn, timeout: float, expect: int = 0) -> tuple[int, float]:
    """Wait until `expect` replies arrived (or nothing new for 1 s); (count, time of the last)."""
    deadline = time.monotonic() + timeout
    count, last_change = len(stand_in.of("response_url")), time.monotonic()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        now_count = len(stand_in.of("response_url"))
        if now_count != count:
            count, last_change = now_count, time.monotonic()
        if expect and count >= expect:
            break
        if not expect and time.monotonic() - last_change > 1.0:
            break
    return count, last_change


def measure(
    kind: str, args: argparse.Namespace, database: str = "", processes: int = 0
) -> list[dict[str, float]]:
    stand_port, app_port = free_port(), free_port()
    api_url = f"http://127.0.0.1:{stand_port}/api/"
    ctx = mp.get_context("spawn")
    ready = ctx.Queue()
    # not a daemon: a daemon may not start the engine's worker processes
    child = ctx.Process(target=_child, args=(kind, app_port, api_url, database, processes, ready))
    child.start()
    try:
        ready.get(timeout=600)

        async def go() -> list[dict[str, float]]:
            stand_in = await StandIn().start(stand_port)
            url = f"http://127.0.0.1:{app_port}/slack/events"
            phases = [QUERIES] if kind.startswith("bare") else [QUERIES, distinct_queries()]
            try:
                return [
                    await load(
                        url,
                        stand_in,
                        args.seconds,
                        args.concurrency,
                        args.warmup,
                        q,
                        answers=not kind.startswith("bare"),
                    )
                    for q in phases
                ]
            finally:
                await stand_in.stop()

        return asyncio.run(go())
    finally:
        child.terminate()
        child.join(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--engine-processes", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(
        f"/find-expert slash commands, signed, loopback, concurrency {args.concurrency}, "
        f"{args.seconds:g} s windows, {args.rounds} rounds (each measures every app, so a busy "
        f"moment hits all of them); ours with {args.members} members on SQLite"
    )
    database = prepare(args.members)
    ours_kinds = {
        "engine in-process": 0,
        f"{args.engine_processes} engine processes": args.engine_processes,
    }
    rows: dict[str, list[dict[str, float]]] = {}
    for n in range(args.rounds):
        bare = measure("bare", args)[0]
        inline = measure("bare-inline", args)[0]
        rows.setdefault("bare bolt (ack only)", []).append(bare)
        rows.setdefault("bare, process_before_response", []).append(inline)
        line = [
            f"round {n + 1}: bare {bare['acked_per_s']:.0f}/s, inline {inline['acked_per_s']:.0f}/s"
        ]
        for where, processes in ours_kinds.items():
            phases = measure("ours", args, database, processes)
            for label, ours in zip(("repeated", "distinct"), phases, strict=True):
                ours["ratio"] = ours["replied_per_s"] / bare["acked_per_s"]
                rows.setdefault(f"cop-bot, {where}, {label} queries", []).append(ours)
                line.append(f"{where} {label} {ours['replied_per_s']:.0f}/s ({ours['ratio']:.0%})")
        print("; ".join(line), flush=True)
    print(f"\n{'median of ' + str(args.rounds) + ' rounds':48} answered/s   CPU ms/cmd   of bare")
    for label, runs in rows.items():
        rate = "acked_per_s" if label.startswith("bare") else "replied_per_s"
        ratio = (
            f"{median(r['ratio'] for r in runs):4.0%} "
            f"({min(r['ratio'] for r in runs):.0%}-{max(r['ratio'] for r in runs):.0%})"
            if "ratio" in runs[0]
            else ""
        )
        failed = sum(r["failed"] for r in runs)
        print(
            f"{label:48} {median(r[rate] for r in runs):10.1f}   "
            f"{median(r['cpu_ms_per_command'] for r in runs):10.2f}   {ratio}"
            + (f"  FAILED {failed:g}" if failed else "")
        )
    print("target: cop-bot answered/s at least 60% of the bare bolt app's acked/s, same round")


if __name__ == "__main__":
    main()
