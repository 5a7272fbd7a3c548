"""Slack-shaped load for the HTTP benchmarks (bench_slack.py, bench_replicas.py): the servers
being compared, the signed slash commands, two load generators and the server CPU they cost.

- `bare_bolt`: slack-bolt's `AsyncApp` with one listener that only acks, on aiohttp, in its own
  process (`python benchmarks/slack_load.py PORT API_URL [--inline]`): bolt's defaults (the
  listener runs in the background and bolt polls for its ack every 10 ms), or with `--inline`
  run in the request (`process_before_response`, the upper bound of any bolt app here).
- `cop_bot_run`: `cop-bot run` as deployed, its own process with default settings, pointed at a
  database, the Slack stand-in and a port (tests/replicas.py).
- `run_wrk` (wrk, `apt-get install wrk`; C, so the load costs the two cores little) and
  `run_python` (aiohttp in this process, when wrk is missing) fire signed `/find-expert` bodies
  for a while and count acks, answers in the ack, failures and latency percentiles; answers sent
  later to `response_url` are counted by the stand-in.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from statistics import quantiles
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.replicas import SECRET, TOKEN, free_port, replica_env, sign  # noqa: E402
from tests.slack_stand_in import TEAM_ID, StandIn  # noqa: E402

WRK = shutil.which("wrk")
FORM = "application/x-www-form-urlencoded"
CHANNEL = "C0BENCH"


# ---- the servers ---------------------------------------------------------------------------------


def bare_bolt(port: int, api_url: str, *, inline: bool = False) -> subprocess.Popen[bytes]:
    args = [sys.executable, str(Path(__file__).resolve()), str(port), api_url]
    return subprocess.Popen([*args, *(["--inline"] if inline else [])], cwd=ROOT)


def cop_bot_run(
    database_url: str, api_url: str, port: int, folder: Path, **settings: str
) -> subprocess.Popen[bytes]:
    """`cop-bot run` with default settings, but for where things are and `settings`."""
    folder.mkdir(parents=True, exist_ok=True)
    env = {**replica_env(database_url, api_url, port, folder), **settings}
    return subprocess.Popen(
        [sys.executable, "-m", "cop_bot", "run"],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(folder / "stderr.log").open("ab"),
    )


async def until_answering(
    url: str, process: subprocess.Popen[bytes], *, in_ack: bool, timeout: float = 600
) -> None:
    """Until signed slash commands get a 200, `in_ack`: with the answer in it, 20 times in a row
    (the server is up, its search index built, in every engine process)."""
    import aiohttp

    probe = slash_body("housing", "http://127.0.0.1:9/unused")
    deadline = time.monotonic() + timeout
    in_a_row = tries = 0
    async with aiohttp.ClientSession() as http:
        while in_a_row < (20 if in_ack else 1):
            assert process.poll() is None, f"the server stopped (exit {process.returncode})"
            tries += 1  # each probe its own delivery: the same signed body again is a replay
            body = probe.replace("trigger_id=1.2.3", f"trigger_id=0.{tries}")
            ok = False
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with http.post(
                    url, data=body, headers={"Content-Type": FORM, **sign(body)}
                ) as response:
                    ok = response.status == 200 and (bool(await response.read()) or not in_ack)
            in_a_row = in_a_row + 1 if ok else 0
            assert time.monotonic() < deadline, "the server did not answer"
            if not ok:
                await asyncio.sleep(0.2)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and every live descendant (engine workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo, seen = 0.0, [pid], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                todo.extend(int(c) for c in children)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


# ---- what is sent --------------------------------------------------------------------------------


def slash_body(text: str, response_url: str, user: str = "U0BENCH") -> str:
    return urlencode(
        {
            "team_id": TEAM_ID,
            "channel_id": CHANNEL,
            "channel_name": "bench",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/find-expert",
            "text": text,
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    )


def signed_bodies(stand_in: StandIn, queries: list[str]) -> list[tuple[str, dict[str, str]]]:
    """One signed body per query, each with its own response_url key; valid for 5 minutes."""
    return [
        (body, {"Content-Type": FORM, **sign(body)})
        for i, q in enumerate(queries)
        for body in [slash_body(q, stand_in.response_url(f"q{i}"))]
    ]


# ---- load ----------------------------------------------------------------------------------------


@dataclass
class Result:
    seconds: float
    acked: int = 0  # HTTP 200
    in_ack: int = 0  # 200 with the answer in its body
    failed: int = 0  # anything else, socket errors included
    latencies_ms: list[float] = field(default_factory=list)  # python load only
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    later: int = 0  # answers that arrived at response_url
    cpu_s: float = 0.0  # the server's CPU during the window

    @property
    def acked_per_s(self) -> float:
        return self.acked / self.seconds

    @property
    def replied_per_s(self) -> float:
        return (self.in_ack + self.later) / self.seconds

    @property
    def error_rate(self) -> float:
        return self.failed / max(self.acked + self.failed, 1)

    @property
    def cpu_ms_per_command(self) -> float:
        return 1000 * self.cpu_s / max(self.acked, 1)


_LUA = """
local bodies = %(bodies)s
local threads = {}
local n = 0
function setup(thread) table.insert(threads, thread) end
function init(args) in_ack = 0; empty = 0 end
function request()
  n = n + 1
  local item = bodies[(n %% #bodies) + 1]
  return wrk.format("POST", nil, item[2], item[1])
end
function response(status, headers, body)
  if status == 200 and #body > 0 then in_ack = in_ack + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("in_ack") end
  io.write(string.format("IN_ACK %%d\\n", total))
  io.write(string.format("P50 %%f\\nP99 %%f\\n", latency:percentile(50), latency:percentile(99)))
end
"""


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal for ASCII


def wrk_script(items: list[tuple[str, dict[str, str]]]) -> str:
    rows = []
    for body, headers in items:
        hs = ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items())
        rows.append(f"{{{_lua_string(body)}, {{{hs}}}}}")
    return _LUA % {"bodies": "{" + ",\n".join(rows) + "}"}


async def wrk(url: str, script: str, seconds: float, connections: int, *flags: str) -> str:
    """wrk's report of one run of `script` (Lua) against `url`, on one thread (the other core
    is the bot's); `bench_library.py` drives the library's pages through it too."""
    assert WRK is not None
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    try:
        process = await asyncio.create_subprocess_exec(
            WRK,
            "-t1",
            f"-c{connections}",
            f"-d{seconds:g}s",
            *flags,
            "--timeout",
            "10s",
            "-s",
            file.name,
            url,
            stdout=asyncio.subprocess.PIPE,
        )
        return (await process.communicate())[0].decode()
    finally:
        Path(file.name).unlink()


def socket_errors(out: str) -> int:
    """Connections wrk lost (connect, read, write, timeout), from its report."""
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return sum(int(g) for g in errors.groups()) if errors else 0


async def run_wrk(
    url: str, items: list[tuple[str, dict[str, str]]], seconds: float, connections: int
) -> Result:
    out = await wrk(url, wrk_script(items), seconds, connections)
    total = int(re.search(r"(\d+) requests in ([\d.]+)(\w+)", out).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    failed = (int(non_2xx.group(1)) if non_2xx else 0) + socket_errors(out)
    found = re.search(r"IN_ACK (\d+)\nP50 ([\d.]+)\nP99 ([\d.]+)", out)
    assert found is not None, out
    return Result(
        seconds=seconds,
        acked=total - (int(non_2xx.group(1)) if non_2xx else 0),
        in_ack=int(found.group(1)),
        failed=failed,
        p50_ms=float(found.group(2)) / 1000,
        p99_ms=float(found.group(3)) / 1000,
    )


async def run_python(
    url: str, items: list[tuple[str, dict[str, str]]], seconds: float, connections: int
) -> Result:
    import aiohttp

    result = Result(seconds=seconds)
    stop_at = time.monotonic() + seconds

    async def worker(http: aiohttp.ClientSession, n: int) -> None:
        i = n
        while time.monotonic() < stop_at:
            body, headers = items[i % len(items)]
            i += connections
            start = time.monotonic()
            try:
                async with http.post(url, data=body, headers=headers) as response:
                    answer = await response.read()
                    ok = response.status == 200
            except (aiohttp.ClientError, TimeoutError):
                answer, ok = b"", False
            result.latencies_ms.append(1000 * (time.monotonic() - start))
            if ok:
                result.acked += 1
                result.in_ack += bool(answer)
            else:
                result.failed += 1

    connector = aiohttp.TCPConnector(limit=connections)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        await asyncio.gather(*(worker(http, n) for n in range(connections)))
    if len(result.latencies_ms) >= 2:
        cuts = quantiles(result.latencies_ms, n=100)
        result.p50_ms, result.p99_ms = cuts[49], cuts[98]
    return result


UNIQUE_PER_WINDOW = 20_000
"""Distinct deliveries per window: the bot acts once on a signed body sent twice (a replay), as
Slack's own retries expect, so a body repeated within a window would measure an empty ack."""
_windows = 0


def unique(items: list[tuple[str, dict[str, str]]]) -> list[tuple[str, dict[str, str]]]:
    """`items` cycled to `UNIQUE_PER_WINDOW` deliveries, each with its own trigger_id and so its
    own signature, like Slack's; a fresh set for every window (warm-up included)."""
    global _windows
    _windows += 1
    out = []
    for i in range(UNIQUE_PER_WINDOW):
        body = items[i % len(items)][0].replace("trigger_id=1.2.3", f"trigger_id={_windows}.{i}")
        out.append((body, {"Content-Type": FORM, **sign(body)}))
    return out


async def measure(
    url: str,
    items: list[tuple[str, dict[str, str]]],
    *,
    seconds: float,
    connections: int,
    pids: list[int],
    stand_in: StandIn,
    answers: bool,
    use_wrk: bool,
) -> Result:
    """One window of load; then wait for answers still due at response_url (those count
    against the window too: work done after an empty ack must not flatter anyone)."""
    before = len(stand_in.of("response_url"))
    cpu_before = sum(cpu_seconds(p) for p in pids)
    start = time.monotonic()
    run = run_wrk if use_wrk else run_python
    result = await run(url, unique(items), seconds, connections)
    if answers:
        expected = before + result.acked - result.in_ack
        deadline = time.monotonic() + 120
        while len(stand_in.of("response_url")) < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        result.later = len(stand_in.of("response_url")) - before
        result.seconds = max(seconds, time.monotonic() - start if result.later else seconds)
    result.cpu_s = sum(cpu_seconds(p) for p in pids) - cpu_before
    return result


# ---- `python benchmarks/slack_load.py PORT API_URL [--inline]`: the bare bolt app ---------------


def _serve_bare(port: int, api_url: str, inline: bool) -> None:
    from aiohttp import web
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.app.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    bare = AsyncApp(
        client=AsyncWebClient(token=TOKEN, base_url=api_url),
        signing_secret=SECRET,
        process_before_response=inline,
    )

    @bare.command("/find-expert")
    async def ack_only(ack: Any) -> None:
        await ack()

    async def handle(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bare.async_dispatch(await to_bolt_request(request)))

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/slack/events", handle)
    app.router.add_get("/healthz", health)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    _serve_bare(int(sys.argv[1]), sys.argv[2], "--inline" in sys.argv[3:])


__all__ = ["WRK", "Result", "bare_bolt", "cop_bot_run", "free_port", "measure", "signed_bodies"]
