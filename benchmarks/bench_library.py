"""The web library's latency under load, from `wrk --latency`, against `cop-bot run` as deployed.

    python benchmarks/bench_library.py [--practices 10000] [--seconds 5] [--rounds 3]
                                       [--connections 8] [--no-postgres] [--postgres URL]

For each backend (SQLite, PostgreSQL) it writes a synthetic repertoire of exactly
`--practices` approved practices (the generator of `bench_practices.py`, with its pending ones,
and the surplus withdrawn so both kinds that must never show are there), makes the library
public, starts `cop-bot run` with default settings (Slack over HTTP, its Web API on a local
stand-in, as `bench_slack.py` does) and loads it over loopback with wrk (`-t1`, C, so the load
costs the two cores little). Each round measures, in turn, for `--seconds` each:

- the peers on the same server and process: the library's stylesheet (a static file, no
  database) and `/healthz` (one `SELECT 1` off the event loop): what this loaded machine and
  this server give any page, the floor under the figures below;
- the entry page; the entry page again with its ETag (every answer must be a 304);
- practice pages: every approved practice in a shuffled order, so most miss the page cache;
- search pages: 7 common queries (cache hits), then 2,000 distinct ones (mostly misses);
- browse pages: every domain and country, pages 1 and 2.

Any answer with another status than expected is counted and printed. It prints pages/s and
p50/p99 in ms per page, the median of the rounds, and the worst p99 of any round; then it times
`cop-bot library export` of the same database (targets in issue 20: entry and practice p99 under
50 ms, search p99 under 100 ms, export under 60 s). It asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from statistics import median

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_practices import populate
from benchmarks.scratch import PG_SERVER, scratch_postgres
from benchmarks.slack_load import cop_bot_run, socket_errors, stop, wrk
from tests.replicas import free_port
from tests.slack_stand_in import StandIn

COMMON = ["housing", "language", "mentoring", "health", "labour market", "logement", "xyzzy"]
VOCABULARY = [
    "housing", "language", "mentoring", "health", "labour", "market", "logement", "youth",
    "women", "refugees", "volunteers", "employers", "digital", "rural", "school", "legal",
    "jobs", "training", "integration", "rights", "asylum", "families", "city", "network",
    "data", "peer", "support", "course", "classes", "workshop", "santé", "lavoro", "Arbeit",
    "vivienda", "mental", "care", "children", "elderly", "skills", "xyzzy",
]  # fmt: skip
DISTINCT = 2000

_LUA = """
local paths = %(paths)s
local headers = %(headers)s
local expect = %(expect)d
local threads = {}
local counter = 0
function setup(thread) table.insert(threads, thread) end
function init(args) n = math.random(#paths); wrong = 0 end
function request()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1], headers)
end
function response(status, hdrs, body)
  if status ~= expect then wrong = wrong + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("wrong") end
  io.write(string.format("WRONG %%d\\nP50 %%f\\nP99 %%f\\n", total,
    latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass
class Load:
    """One page's traffic: its addresses (wrk goes round them), headers and expected status."""

    label: str
    paths: list[str]
    headers: dict[str, str] | None = None
    expect: int = 200


@dataclass
class Figure:
    rate: float
    p50_ms: float
    p99_ms: float
    wrong: int


def _lua(value: object) -> str:
    """A Lua literal: JSON strings are Lua strings for ASCII (paths are percent-encoded)."""
    if isinstance(value, list):
        return "{" + ",".join(_lua(v) for v in value) + "}"
    if isinstance(value, dict):
        return "{" + ",".join(f"[{_lua(k)}]={_lua(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


async def run_wrk(base: str, load: Load, seconds: float, connections: int) -> Figure:
    script = _LUA % {
        "paths": _lua(load.paths),
        "headers": _lua(load.headers or {}),
        "expect": load.expect,
    }
    out = await wrk(base, script, seconds, connections, "--latency")
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    found = re.search(r"WRONG (\d+)\nP50 ([\d.]+)\nP99 ([\d.]+)", out)
    assert total is not None and found is not None, out
    wrong = int(found.group(1)) + socket_errors(out)
    return Figure(
        rate=int(total.group(1)) / seconds,
        p50_ms=float(found.group(2)) / 1000,
        p99_ms=float(found.group(3)) / 1000,
        wrong=wrong,
    )


def prepare(url: str, n: int) -> None:
    """Exactly `n` approved practices (the generator's surplus withdrawn), library public, and
    PostgreSQL's statistics up to date."""
    from cop_bot.app import build_app
    from cop_bot.config import Settings

    app = build_app(Settings(database_url=url), migrate=True)
    populate(app.engine, app.taxonomy, math.ceil(n / 0.94))
    with app.engine.begin() as conn:
        conn.execute(text("UPDATE community SET library_public = true"))
        ids = [
            r[0]
            for r in conn.execute(
                text("SELECT id FROM practice WHERE status = 'approved' ORDER BY id")
            )
        ]
        surplus = ids[n:]
        if surplus:
            conn.execute(
                text("UPDATE practice SET status = 'withdrawn' WHERE id = :id"),
                [{"id": i} for i in surplus],
            )
        if app.engine.dialect.name == "postgresql":
            # What autovacuum does within a minute of a bulk load: without statistics the
            # planner read a results page's 20 practices through the (community, status) index,
            # filtering all 10,000 (5 ms a search instead of 0.07), a state no deployment keeps.
            conn.execute(text("ANALYZE"))
    app.engine.dispose()


def loads(url: str) -> list[Load]:
    """The pages to ask for, read from the database as a reader would find them."""
    from urllib.parse import quote

    from sqlalchemy import create_engine

    from cop_bot.library.queries import slugify

    engine = create_engine(url)
    with engine.connect() as conn:
        practices = [
            f"/library/practices/{pid}-{slugify(title)}"
            for pid, title in conn.execute(
                text("SELECT id, title FROM practice WHERE status = 'approved'")
            )
        ]
        domains = [
            r[0]
            for r in conn.execute(
                text(
                    "SELECT DISTINCT d.domain FROM practice_domain d JOIN practice p"
                    " ON p.id = d.practice_id WHERE p.status = 'approved'"
                )
            )
        ]
        countries = [
            r[0].lower()
            for r in conn.execute(
                text("SELECT DISTINCT country FROM practice WHERE status = 'approved'")
            )
            if r[0]
        ]
    engine.dispose()
    rng = random.Random(20)
    rng.shuffle(practices)
    distinct: set[str] = set()
    while len(distinct) < DISTINCT:
        distinct.add(" ".join(rng.sample(VOCABULARY, rng.randint(1, 3))))
    search = [f"/library/search?q={quote(q)}" for q in sorted(distinct)]
    rng.shuffle(search)
    browse = [
        f"/library/browse/{facet}/{value}" + suffix
        for facet, values in (("domain", domains), ("country", countries))
        for value in values
        for suffix in ("", "?page=2")
    ]
    rng.shuffle(browse)
    return [
        Load("peer: static file", ["/library/static/library.css"]),
        Load("peer: /healthz", ["/healthz"]),
        Load("entry page", ["/library/"]),
        Load("entry page, 304", ["/library/"], {"If-None-Match": "TAG"}, 304),
        Load("practice page", practices),
        Load("search, 7 common", [f"/library/search?q={quote(q)}" for q in COMMON]),
        Load(f"search, {DISTINCT} distinct", search),
        Load("browse page", browse),
    ]


async def until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 600) -> str:
    """Until the entry page answers; its ETag."""
    import aiohttp

    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while True:
            assert process.poll() is None, f"the server stopped (exit {process.returncode})"
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return response.headers["ETag"]
            except aiohttp.ClientError:
                pass
            assert time.monotonic() < deadline, "the server did not answer"
            await asyncio.sleep(0.3)


async def measure(url: str, args: argparse.Namespace, folder: Path) -> None:
    import aiohttp

    pages = loads(url)
    stand_in = await StandIn().start()
    port = free_port()
    server = cop_bot_run(url, stand_in.api_url, port, folder / "run")
    base = f"http://127.0.0.1:{port}"
    try:
        tag = await until_up(f"{base}/library/", server)
        for load in pages:
            if load.headers:
                load.headers = {k: tag if v == "TAG" else v for k, v in load.headers.items()}
        async with (
            aiohttp.ClientSession() as session,  # the search index is built
            session.get(f"{base}/library/search?q=housing") as response,
        ):
            await response.read()
        await asyncio.sleep(5)  # let `cop-bot run` finish warming its caches in the background
        for load in pages[2:4]:  # a page cache filled only by the traffic itself
            await run_wrk(base, load, 1, args.connections)
        figures: dict[str, list[Figure]] = {load.label: [] for load in pages}
        for _round in range(args.rounds):
            for load in pages:
                figures[load.label].append(
                    await run_wrk(base, load, args.seconds, args.connections)
                )
        print(f"  {'page':<24} {'pages/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'worst p99':>10}")
        for label, found in figures.items():
            wrong = sum(f.wrong for f in found)
            print(
                f"  {label:<24} {median(f.rate for f in found):8.0f}"
                f" {median(f.p50_ms for f in found):8.1f} {median(f.p99_ms for f in found):8.1f}"
                f" {max(f.p99_ms for f in found):10.1f}"
                + (f"   {wrong} UNEXPECTED ANSWERS" if wrong else "")
            )
    finally:
        stop(server)
        await stand_in.stop()
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "cop_bot", "--db", url, "library", "export", str(folder / "site")],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    written = sum(1 for _ in (folder / "site").rglob("*.html"))
    print(f"  export of the static site: {time.perf_counter() - began:.1f} s ({written} pages)")


def backends(args: argparse.Namespace, stack: ExitStack, tmp: Path) -> Iterator[tuple[str, str]]:
    yield "SQLite", f"sqlite:///{tmp / 'bench.db'}"
    if not args.no_postgres:
        yield "PostgreSQL", stack.enter_context(scratch_postgres(args.postgres))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--practices", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--postgres", default=PG_SERVER)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cop-bot-bench-library-") as tmp, ExitStack() as stack:
        for name, url in backends(args, stack, Path(tmp)):
            folder = Path(tmp) / name
            folder.mkdir()
            began = time.perf_counter()
            prepare(url, args.practices)
            print(
                f"{name}: {args.practices} approved practices written in"
                f" {time.perf_counter() - began:.0f} s"
            )
            asyncio.run(measure(url, args, folder))


if __name__ == "__main__":
    main()
