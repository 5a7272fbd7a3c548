"""The platform-neutral web server (`cop_bot.platforms.http`): `/healthz` and the calendar feeds
over real HTTP, on SQLite and PostgreSQL, and how Matrix and the console start it."""

from __future__ import annotations

import asyncio
import io
import json
import socket
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import create_engine

from cop_bot.app import App, build_app
from cop_bot.config import Settings
from cop_bot.platforms import console, http
from cop_bot.platforms.console import ConsoleChat


@pytest.fixture
async def server(app: App) -> AsyncIterator[http.Server]:
    started = await http.start(http.web_app(app, "console"), "127.0.0.1", 0)
    try:
        yield started
    finally:
        await started.stop()


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port something else already listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def feed_path(app: App, channel: str = "sessions") -> str:
    chat = ConsoleChat(app.router, handle="root-admin", channel=channel)
    scheduled = chat.invoke('/schedule-session "Housing clinic" tomorrow 15:00 for 1h')
    assert scheduled is not None and scheduled.ok, scheduled
    feed = chat.invoke("/sessions feed")
    assert feed is not None and feed.ok, feed
    path: str = feed.data["feed"]["path"]
    return path


def get(url: str) -> tuple[int, str, str]:
    """A blocking GET (for servers running on a thread of their own)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers.get_content_type(), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get_content_type(), exc.read().decode()


# ---- the routes, over HTTP, on both databases ----------------------------------------------------


async def test_health_reports_the_platform_and_the_database(
    server: http.Server, client: aiohttp.ClientSession
) -> None:
    async with client.get(f"{server.url}/healthz") as response:
        assert response.status == 200
        assert await response.json() == {
            "ok": True,
            "platform": "console",
            "database": True,
            "schema": True,
        }


async def test_a_channel_feed_is_served_as_icalendar(
    app: App, server: http.Server, client: aiohttp.ClientSession
) -> None:
    path = feed_path(app)
    assert path.startswith("/calendar/") and path.endswith(".ics")
    async with client.get(f"{server.url}{path}") as response:
        assert response.status == 200
        assert response.content_type == "text/calendar"
        assert response.charset == "utf-8"
        body = await response.text()
    assert body.startswith("BEGIN:VCALENDAR")
    assert "SUMMARY:Housing clinic" in body


async def test_unknown_reset_and_malformed_feed_addresses_are_not_found(
    app: App, server: http.Server, client: aiohttp.ClientSession
) -> None:
    old = feed_path(app)
    reset = ConsoleChat(app.router, handle="root-admin", channel="sessions").invoke(
        "/sessions feed reset"
    )
    assert reset is not None and reset.ok
    new = reset.data["feed"]["path"]
    token = old.removeprefix("/calendar/").removesuffix(".ics")
    for path in (
        "/calendar/no-such-token.ics",
        old,  # reset: the old address stops working
        f"/calendar/{token}",  # no .ics
        f"/calendar/{token}.txt",
        "/calendar/.ics",
        "/calendar/",
    ):
        async with client.get(f"{server.url}{path}") as response:
            assert response.status == 404, path
    async with client.get(f"{server.url}{new}") as response:
        assert response.status == 200


async def test_feeds_are_read_off_the_event_loop(
    app: App, server: http.Server, client: aiohttp.ClientSession
) -> None:
    """Several feeds at once, each on a worker thread: all answer, the loop never blocks."""
    paths = [feed_path(app, channel=f"c{i}") for i in range(4)]
    threads: list[str] = []
    routes = http.Routes(app, "console")
    original = routes.feed

    def spy(token: str) -> str | None:
        import threading

        threads.append(threading.current_thread().name)
        return original(token)

    routes.feed = spy  # type: ignore[method-assign]
    from aiohttp import web

    application = web.Application()
    routes.add_to(application)
    spied = await http.start(application, "127.0.0.1", 0)
    try:

        async def fetch(path: str) -> int:
            async with client.get(f"{spied.url}{path}") as response:
                await response.read()
                return response.status

        assert await asyncio.gather(*(fetch(p) for p in paths)) == [200] * 4
    finally:
        await spied.stop()
    assert len(threads) == 4 and "MainThread" not in threads


async def test_health_is_503_when_the_database_does_not_answer(
    app: App, client: aiohttp.ClientSession, tmp_path: Path
) -> None:
    broken = replace(app, engine=create_engine(f"sqlite:///{tmp_path}/missing/dir/x.db"))
    started = await http.start(http.web_app(broken, "matrix"), "127.0.0.1", 0)
    try:
        async with client.get(f"{started.url}/healthz") as response:
            assert response.status == 503
            assert await response.json() == {
                "ok": False,
                "platform": "matrix",
                "database": False,
                "schema": False,
            }
    finally:
        await started.stop()
        broken.engine.dispose()


# ---- starting it ---------------------------------------------------------------------------------


async def test_a_taken_port_is_one_clear_line(app: App, taken_port: int) -> None:
    with pytest.raises(http.ServerError) as raised:
        await http.start(http.web_app(app, "matrix"), "127.0.0.1", taken_port)
    message = str(raised.value)
    assert "\n" not in message
    assert f"127.0.0.1:{taken_port} is already in use" in message
    assert "COP_BOT_HTTP_PORT" in message


def test_describe_tells_the_operator_what_members_are_given(settings: Settings) -> None:
    class Fake:
        url = "http://127.0.0.1:3000"

    plain = http.describe(Fake(), settings)  # type: ignore[arg-type]
    assert "http://127.0.0.1:3000" in plain and "set COP_BOT_PUBLIC_URL" in plain
    public = http.describe(Fake(), replace(settings, public_url="https://bot.example.org/"))  # type: ignore[arg-type]
    assert "https://bot.example.org/calendar/" in public and "/healthz" in public


# ---- Matrix: `run` serves it alongside the sync loop ---------------------------------------------


async def test_matrix_run_stops_at_once_with_one_line_when_the_port_is_taken(
    settings: Settings, taken_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    from cop_bot.platforms.matrix import runner

    app = build_app(
        replace(
            settings,
            http_port=taken_port,
            matrix_homeserver="http://127.0.0.1:9",  # never reached: the port is checked first
            matrix_user_id="@bot:example.org",
            matrix_access_token="secret",
        ),
        migrate=False,
    )
    try:
        assert await runner.serve(app) == 2
    finally:
        app.engine.dispose()
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert err.startswith("cop-bot: the HTTP server") and "already in use" in err
    assert "Traceback" not in err


# ---- the console: only when COP_BOT_PUBLIC_URL is set --------------------------------------------


@pytest.fixture
def public_app(settings: Settings) -> Iterator[App]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    web_settings = replace(settings, http_port=port, public_url=f"http://127.0.0.1:{port}")
    application = build_app(web_settings, migrate=False)
    yield application
    application.engine.dispose()


def test_the_console_starts_no_server_without_a_public_url(app: App) -> None:
    err = io.StringIO()
    with console.feed_server(app, err) as url:
        assert url is None
    assert err.getvalue() == ""


def test_the_console_serves_feeds_when_a_public_url_is_set(public_app: App) -> None:
    path = feed_path(public_app)
    err = io.StringIO()
    with console.feed_server(public_app, err) as url:
        assert url == public_app.settings.public_url
        status, kind, body = get(f"{url}/healthz")
        assert (status, kind) == (200, "application/json")
        assert json.loads(body)["platform"] == "console"
        status, kind, body = get(f"{url}{path}")
        assert (status, kind) == (200, "text/calendar") and "Housing clinic" in body
        assert get(f"{url}/calendar/nope.ics")[0] == 404
    assert "calendar feeds at http://127.0.0.1:" in err.getvalue()
    with pytest.raises(urllib.error.URLError):  # stopped with the block
        urllib.request.urlopen(f"{url}/healthz", timeout=2)


def test_the_console_goes_on_with_one_line_when_the_port_is_taken(
    settings: Settings, taken_port: int
) -> None:
    application = build_app(
        replace(settings, http_port=taken_port, public_url="https://bot.example.org"),
        migrate=False,
    )
    err = io.StringIO()
    try:
        with console.feed_server(application, err) as url:
            assert url is None
    finally:
        application.engine.dispose()
    line = err.getvalue()
    assert line.count("\n") == 1 and "already in use" in line and "goes on without it" in line


def test_console_run_serves_while_the_chat_runs(
    public_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []

    class Typing:
        """stdin: asks the server for /healthz while the chat is running, then quits."""

        def isatty(self) -> bool:
            return False

        def __iter__(self) -> Iterator[str]:
            seen.append(get(f"{public_app.settings.public_url}/healthz")[0])
            yield "/help\n"
            yield ":quit\n"

    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr("sys.stdin", Typing())
    monkeypatch.setattr("sys.stdout", out)
    monkeypatch.setattr("sys.stderr", err)
    assert console.run(public_app) == 0
    assert seen == [200]
    assert "/find-expert" in out.getvalue() and "Bye." in out.getvalue()
