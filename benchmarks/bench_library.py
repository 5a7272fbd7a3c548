"""The web library's pages/s and latency against `cop-bot run` as deployed, next to a peer.

    python benchmarks/bench_library.py [--practices 10000] [--requests 2000] [--connections 8]
                                       [--no-postgres] [--postgres URL]

For each backend (SQLite, PostgreSQL) it writes a synthetic repertoire (the generator of
`bench_practices.py`: 95% approved), makes the library public, starts `cop-bot run` (Slack over
HTTP, its Web API on a local stand-in, as `bench_replicas.py` does) and measures over loopback,
with a bounded aiohttp load loop of `--connections` clients and `--requests` requests each:

- the entry page, a practice page (random approved ids), a search page (mixed words);
- a reload of the entry page with its ETag (a 304);
- the peer: a bare aiohttp process serving a saved copy of the entry page as a static file,
  the ceiling of this machine's loopback HTTP with this client.

Then it times `cop-bot library export` of the same database. It prints pages/s and p50/p99 in
ms (targets in issue 20: entry and practice p99 < 50 ms, search p99 < 100 ms, export < 60 s);
it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from statistics import quantiles

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_practices import populate
from benchmarks.scratch import PG_SERVER, scratch_postgres
from benchmarks.slack_load import cop_bot_run, stop
from tests.replicas import free_port
from tests.slack_stand_in import StandIn

WORDS = ["housing", "language", "mentoring", "health", "labour market", "logement", "xyzzy"]
PEER = """
import sys
from aiohttp import web
body = open(sys.argv[1], "rb").read()
async def page(_request):
    return web.Response(body=body, content_type="text/html")
app = web.Application()
app.router.add_get("/", page)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[2]), print=None, access_log=None)
"""


def prepare(url: str, n: int) -> list[int]:
    from cop_bot.app import build_app
    from cop_bot.config import Settings

    app = build_app(Settings(database_url=url), migrate=True)
    populate(app.engine, app.taxonomy, n)
    with app.engine.begin() as conn:
        conn.execute(text("UPDATE community SET library_public = true"))
        ids = [r[0] for r in conn.execute(text("SELECT id FROM practice WHERE status='approved'"))]
    app.engine.dispose()
    return ids


async def load(
    make_url: Callable[[random.Random], str],
    requests: int,
    connections: int,
    headers: dict[str, str] | None = None,
    expect: int = 200,
) -> tuple[float, float, float]:
    """(pages/s, p50 ms, p99 ms) of `connections` clients, `requests` each."""
    import aiohttp

    latencies: list[float] = []

    async def client(seed: int, session: aiohttp.ClientSession) -> None:
        rng = random.Random(seed)
        for _ in range(requests):
            started = time.perf_counter()
            async with session.get(
                make_url(rng), headers=headers or {}, allow_redirects=False
            ) as response:
                await response.read()
                assert response.status == expect, response.status
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        began = time.perf_counter()
        await asyncio.gather(*(client(i, session) for i in range(connections)))
        elapsed = time.perf_counter() - began
    cuts = quantiles(latencies, n=100)
    return len(latencies) / elapsed, cuts[49] * 1000, cuts[98] * 1000


async def until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 600) -> None:
    import aiohttp

    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while True:
            assert process.poll() is None, f"the server stopped (exit {process.returncode})"
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            assert time.monotonic() < deadline, "the server did not answer"
            await asyncio.sleep(0.3)


async def measure(url: str, ids: list[int], args: argparse.Namespace, folder: Path) -> None:
    import aiohttp

    stand_in = await StandIn().start()
    port = free_port()
    server = cop_bot_run(url, stand_in.api_url, port, folder / "run")
    base = f"http://127.0.0.1:{port}/library"
    peer_port = free_port()
    peer: subprocess.Popen[bytes] | None = None
    try:
        await until_up(f"{base}/", server)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base}/") as response:
                entry = await response.read()
                tag = response.headers["ETag"]
            async with session.get(f"{base}/search?q=housing") as response:
                await response.read()  # the search index is built
        saved = folder / "entry.html"
        saved.write_bytes(entry)
        peer = subprocess.Popen([sys.executable, "-c", PEER, str(saved), str(peer_port)])
        await until_up(f"http://127.0.0.1:{peer_port}/", peer)
        n, c = args.requests, args.connections
        rows = [
            ("entry page", await load(lambda _r: f"{base}/", n, c)),
            (
                "practice page, 301",
                await load(lambda r: f"{base}/practices/{r.choice(ids)}-x", n, c, expect=301),
            ),
            ("search page", await load(lambda r: f"{base}/search?q={r.choice(WORDS)}", n, c)),
            (
                "entry page, 304",
                await load(lambda _r: f"{base}/", n, c, {"If-None-Match": tag}, 304),
            ),
            ("peer: static file", await load(lambda _r: f"http://127.0.0.1:{peer_port}/", n, c)),
        ]
        # a practice page with its right slug: follow the redirect once to learn it
        async with aiohttp.ClientSession() as session:
            targets = []
            for pid in ids[:200]:
                async with session.get(f"{base}/practices/{pid}-x") as response:
                    await response.read()
                    targets.append(str(response.url))
        rows.insert(2, ("practice page (200)", await load(lambda r: r.choice(targets), n, c)))
        for label, (rate, p50, p99) in rows:
            print(f"  {label:<22} {rate:8.0f} pages/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms")
    finally:
        stop(server)
        if peer is not None:
            stop(peer)
        await stand_in.stop()
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "cop_bot", "--db", url, "library", "export", str(folder / "site")],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"  export of the static site: {time.perf_counter() - began:.1f} s")


def backends(args: argparse.Namespace, stack: ExitStack, tmp: Path) -> Iterator[tuple[str, str]]:
    yield "SQLite", f"sqlite:///{tmp / 'bench.db'}"
    if not args.no_postgres:
        yield "PostgreSQL", stack.enter_context(scratch_postgres(args.postgres))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practices", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300, help="per connection")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--postgres", default=PG_SERVER)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cop-bot-bench-library-") as tmp, ExitStack() as stack:
        for name, url in backends(args, stack, Path(tmp)):
            folder = Path(tmp) / name
            folder.mkdir()
            began = time.perf_counter()
            ids = prepare(url, args.practices)
            print(
                f"{name}: {len(ids)} approved practices written in {time.perf_counter() - began:.0f} s"
            )
            asyncio.run(measure(url, ids, args, folder))


if __name__ == "__main__":
    main()
