"""The bot's small web server, the same on every platform: `/healthz` and the calendar feeds.

`add_routes(web_app, app, platform)` adds

- `GET /healthz`: `{"ok": true, "platform": "matrix", "database": true, "schema": true}`; 503
  and `"ok": false` when the database does not answer within `HEALTH_TIMEOUT` seconds
  (`"database": false`) or its schema is not the one this version needs (`"schema": false`:
  empty, or not migrated yet), so a load balancer sends no member to such a replica; with
  `"scheduler": "leader"` or `"standby"` where this process competes for the scheduled jobs;
- `GET /calendar/<token>.ics`: a channel's sessions as iCalendar (`text/calendar`), 404 for an
  unknown or reset token (see `cop_bot.sessions.calendar.feed_ics`);
- `GET /library/...`: the web library, public at `/library/` or behind a member's key at
  `/library/k/<token>/` (see `cop_bot.library.pages.Site`), with its stylesheet and script at
  `/library/static/`.

Database work runs off the event loop, on the executor given (Slack passes its command pool)
or the loop's default one. Slack adds its own `/slack/events` route to the same application;
Matrix and the console start one with `start` or `BackgroundServer`. The address members are
given is `COP_BOT_PUBLIC_URL` + `/calendar/<token>.ics`, so that URL must reach this server.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import threading
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

from cop_bot.app import App
from cop_bot.config import Settings
from cop_bot.platforms.leadership import Leadership
from cop_bot.storage.db import head_revision

if TYPE_CHECKING:
    from cop_bot.library.pages import Site

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
CALENDAR_ROUTE = "/calendar/{name}"
LIBRARY_ROUTES = ("/library", "/library/{rest:.*}")
LIBRARY_ASSETS = {"library.css": "text/css", "library.js": "text/javascript"}
HEALTH_TIMEOUT = 3.0
LIBRARY_THREADS = {"sqlite": 1, "postgresql": 2}
"""The web library renders on a pool of its own, not the commands': a crowd of readers never
delays a member's command. Rendering is Python under one lock (the GIL), so more threads only
make every page wait for the others; on PostgreSQL a second one renders while the first waits
for the server (measured in `benchmarks/bench_library.py`)."""
FEED_SUFFIX = ".ics"


class ServerError(Exception):
    """The server cannot listen (port taken, address unknown): a one-line, fixable message."""


class Routes:
    """The handlers of `/healthz` and the calendar feeds for one `App`."""

    def __init__(self, app: App, platform: str, executor: Executor | None = None) -> None:
        self.app = app
        self.platform = platform
        self.executor = executor
        self.head = head_revision()
        self._site: Site | None = None
        self._library_pool: ThreadPoolExecutor | None = None

    def add_to(self, web_app: web.Application) -> None:
        web_app.router.add_get(HEALTH_PATH, self.health)
        web_app.router.add_get(CALENDAR_ROUTE, self.calendar)
        for route in LIBRARY_ROUTES:
            web_app.router.add_get(route, self.library)

    @property
    def site(self) -> Site:
        if self._site is None:
            from cop_bot.library.pages import Site  # Jinja2 only when the library is read
            from cop_bot.practices.search import PracticeSearch

            search = self.app.router.services.setdefault(PracticeSearch, PracticeSearch())
            assert isinstance(search, PracticeSearch)
            self._site = Site(
                self.app.engine, self.app.taxonomy, self.app.settings.public_url, search
            )
        return self._site

    async def library(self, request: web.Request) -> web.StreamResponse:
        """The web library: the request as plain values to `Site.respond`, its `Page` back."""
        from cop_bot.library.pages import CSP

        rest = request.match_info.get("rest", "")
        if rest.startswith("static/"):
            return self.library_asset(rest.removeprefix("static/"))
        token: str | None = None
        if rest.startswith("k/"):
            token, _slash, rest = rest.removeprefix("k/").partition("/")
        elif request.path == "/library":
            raise web.HTTPMovedPermanently(
                "/library/" + (f"?{request.query_string}" if request.query_string else "")
            )
        params = {key: request.query.getone(key) for key in request.query}
        if self._library_pool is None:
            threads = LIBRARY_THREADS.get(self.app.engine.dialect.name, 1)
            self._library_pool = ThreadPoolExecutor(threads, "cop-library")
        loop = asyncio.get_running_loop()
        page = await loop.run_in_executor(
            self._library_pool,
            lambda: self.site.respond(
                token,
                rest,
                params,
                accept_language=request.headers.get("Accept-Language"),
                if_none_match=request.headers.get("If-None-Match"),
                if_modified_since=request.headers.get("If-Modified-Since"),
                query_string=request.query_string,
            ),
        )
        headers = {
            **page.headers,
            "Content-Security-Policy": CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        }
        if page.status in (301, 304):
            return web.Response(status=page.status, headers=headers)
        return web.Response(
            status=page.status,
            body=page.body,
            content_type=page.content_type,
            charset="utf-8",
            headers=headers,
        )

    def library_asset(self, name: str) -> web.Response:
        from importlib.resources import files

        kind = LIBRARY_ASSETS.get(name)
        if kind is None:
            raise web.HTTPNotFound()
        body = files("cop_bot.library").joinpath("static", name).read_bytes()
        return web.Response(
            body=body,
            content_type=kind,
            charset="utf-8",
            headers={"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    async def health(self, _: web.Request) -> web.Response:
        # The probe uses the loop's default pool, not a command pool: a burst of commands
        # queued there must not make the health check time out.
        loop = asyncio.get_running_loop()
        try:
            database, schema = await asyncio.wait_for(
                loop.run_in_executor(None, self.database_ok), HEALTH_TIMEOUT
            )
        except TimeoutError:
            log.warning("health check: the database did not answer in %g s", HEALTH_TIMEOUT)
            database, schema = False, False
        ok = database and schema
        body: dict[str, object] = {
            "ok": ok,
            "platform": self.platform,
            "database": database,
            "schema": schema,
        }
        leadership = self.app.router.services.get(Leadership)
        if isinstance(leadership, Leadership):  # replicas: which one runs the scheduled jobs
            body["scheduler"] = leadership.role
        return web.json_response(body, status=200 if ok else 503)

    async def calendar(self, request: web.Request) -> web.Response:
        """A channel's sessions as an iCalendar feed (`/calendar/<token>.ics`)."""
        name = request.match_info["name"]
        token = name.removesuffix(FEED_SUFFIX)
        if not name.endswith(FEED_SUFFIX) or not token:
            raise web.HTTPNotFound()
        loop = asyncio.get_running_loop()
        body = await loop.run_in_executor(self.executor, self.feed, token)
        if body is None:
            raise web.HTTPNotFound()
        return web.Response(body=body.encode(), content_type="text/calendar", charset="utf-8")

    def feed(self, token: str) -> str | None:
        from cop_bot.sessions.calendar import calendar_feed  # icalendar only when asked

        return calendar_feed(self.app.engine, token, self.app.clock.now())

    def database_ok(self) -> tuple[bool, bool]:
        """(the database answers, its schema is current): a `SELECT 1` and a read of
        `alembic_version` on a raw connection, outside a transaction, so no SQLite write lock."""
        try:
            connection = self.app.engine.raw_connection()
        except Exception as exc:  # one line per probe: load balancers probe every few seconds
            log.warning("health check: the database does not answer: %s", _first_line(exc))
            return False, False
        try:
            cursor = connection.cursor()
            cursor.execute("SELECT 1")
            cursor.fetchall()
            try:
                cursor.execute("SELECT version_num FROM alembic_version")
                revisions = {row[0] for row in cursor.fetchall()}
            except Exception:  # no such table: an empty database
                revisions = set()
            cursor.close()
        except Exception as exc:
            log.warning("health check: the database does not answer: %s", _first_line(exc))
            return False, False
        finally:
            connection.close()
        if revisions != {self.head}:
            log.warning(
                "health check: the database schema is at %s, this version needs %s",
                ", ".join(sorted(revisions)) or "no revision (empty)",
                self.head,
            )
            return True, False
        return True, True


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def add_routes(
    web_app: web.Application, app: App, platform: str, executor: Executor | None = None
) -> Routes:
    routes = Routes(app, platform, executor)
    routes.add_to(web_app)
    return routes


def web_app(app: App, platform: str, executor: Executor | None = None) -> web.Application:
    """An application with only `/healthz` and the calendar feeds (Matrix, the console)."""
    application = web.Application()
    add_routes(application, app, platform, executor)
    return application


def bind_error(exc: OSError, host: str, port: int) -> ServerError:
    """What to tell a deployer when the server cannot listen."""
    where = f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        why = (
            f"{where} is already in use (set COP_BOT_HTTP_PORT to a free port, "
            "or stop the program using it)"
        )
    elif exc.errno == errno.EADDRNOTAVAIL:
        why = f"{host} is not an address of this machine (check COP_BOT_HTTP_HOST)"
    elif exc.errno == errno.EACCES:
        why = f"no permission to listen on {where} (ports below 1024 need privileges)"
    else:
        why = f"cannot listen on {where}: {exc.strerror or exc}"
    return ServerError(f"the HTTP server (health check, calendar feeds) cannot start: {why}.")


@dataclass
class Server:
    """A started server; `url` is where it listens, `stop()` closes it."""

    runner: web.AppRunner
    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start(application: web.Application, host: str, port: int) -> Server:
    """Listen on host:port; `ServerError` with a clear message when that is impossible.

    Port 0 picks a free port; `Server.port` is the one actually bound."""
    runner = web.AppRunner(application, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise bind_error(exc, host, port) from None
    if port == 0:
        for address in runner.addresses:
            if isinstance(address, tuple) and len(address) >= 2:
                port = int(address[1])
                break
    return Server(runner, host, port)


def describe(server: Server, settings: Settings) -> str:
    """One line for the operator: where the server listens and what members are told."""
    base = (settings.public_url or "").rstrip("/")
    if base:
        return (
            f"health at {server.url}{HEALTH_PATH}; calendar feeds at {base}/calendar/... "
            "(COP_BOT_PUBLIC_URL must reach this server)."
        )
    return (
        f"health and calendar feeds at {server.url}; set COP_BOT_PUBLIC_URL to the address "
        "members reach it at, so `sessions feed` gives them a full link."
    )


async def serve(app: App, platform: str) -> Server:
    """`/healthz` and the calendar feeds on COP_BOT_HTTP_HOST:COP_BOT_HTTP_PORT."""
    settings = app.settings
    return await start(web_app(app, platform), settings.http_host, settings.http_port)


class BackgroundServer:
    """The same server on an event loop in a thread of its own, for a caller that blocks (the
    console reads stdin). `start()` returns once it listens or raises `ServerError`."""

    def __init__(self, app: App, platform: str) -> None:
        self.app = app
        self.platform = platform
        self.server: Server | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="cop-http", daemon=True)

    def start(self) -> Server:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(serve(self.app, self.platform), self._loop)
        try:
            self.server = future.result(timeout=30)
        except BaseException:
            self._shutdown()
            raise
        return self.server

    def stop(self) -> None:
        if self.server is not None:
            done = asyncio.run_coroutine_threadsafe(self.server.stop(), self._loop)
            try:
                done.result(timeout=10)
            except Exception:  # pragma: no cover - closing anyway
                log.warning("the HTTP server did not stop cleanly", exc_info=True)
            self.server = None
        self._shutdown()

    def _shutdown(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        if not self._loop.is_running():
            self._loop.close()
