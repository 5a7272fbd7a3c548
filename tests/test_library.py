"""The web library (`cop_bot.library`) over real HTTP on SQLite and PostgreSQL: only approved
practices, the key of a private library and its reset, escaping, 304s, languages, clean errors
for hostile paths and queries, toolkits, chat links and the static export."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from multidict import CIMultiDict

from cop_bot.app import App, build_app
from cop_bot.cli import main as cli_main
from cop_bot.config import Settings
from cop_bot.core.clock import FixedClock
from cop_bot.library import export, pages
from cop_bot.platforms import http
from cop_bot.platforms.console import ConsoleChat

ADMIN = "root-admin"
HOSTILE = '<script>alert("x")</script> & <b>bold</b>'


def say(app: App, line: str, who: str = ADMIN) -> dict[str, object]:
    result = ConsoleChat(app.router, handle=who).invoke(line)
    assert result is not None and result.ok, result
    return dict(result.data)


def share(app: App, title: str, who: str = ADMIN, **fields: str) -> int:
    parts = [title, f"summary: {fields.pop('summary', 'Weekly workshops for newcomers on CVs.')}"]
    parts.append(f"domains: {fields.pop('domains', 'labour market')}")
    parts += [f"{key.replace('_', '-')}: {value}" for key, value in fields.items()]
    data = say(app, "/share-practice " + "; ".join(parts), who)
    practice = data["practice"]
    assert isinstance(practice, dict)
    return int(practice["id"])


def key_path(app: App) -> str:
    library = say(app, "/library link")["library"]
    assert isinstance(library, dict)
    return str(library["path"])


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


async def fetch(
    client: aiohttp.ClientSession, url: str, **headers: str
) -> tuple[int, str, CIMultiDict[str]]:
    async with client.get(url, headers=headers, allow_redirects=False) as response:
        return response.status, await response.text(), CIMultiDict(response.headers)


# ---- privacy -------------------------------------------------------------------------------------


async def test_only_approved_practices_are_shown_and_only_with_the_key(
    app: App, server: http.Server, client: aiohttp.ClientSession
) -> None:
    shown = share(app, "Job-readiness workshops", contact="amina@example.org")
    pending = share(app, "Secret pending housing desk", who="alice", domains="housing")
    path = key_path(app)
    status, body, headers = await fetch(client, f"{server.url}{path}")
    assert status == 200 and "Job-readiness workshops" in body
    assert "Secret pending" not in body
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    status, body, _ = await fetch(client, f"{server.url}{path}search?q=secret+pending+housing")
    assert status == 200 and "Secret pending" not in body
    status, _, _ = await fetch(
        client, f"{server.url}{path}practices/{pending}-secret-pending-housing-desk"
    )
    assert status == 404
    status, body, _ = await fetch(
        client, f"{server.url}{path}practices/{shown}-job-readiness-workshops"
    )
    assert status == 200 and "amina@example.org" not in body  # contact not published
    assert "alice" not in body and ADMIN not in body  # nobody's handle
    # without the key, a private library is refused; a wrong key is unknown
    status, body, _ = await fetch(client, f"{server.url}/library/")
    assert status == 403 and "private" in body
    status, _, _ = await fetch(client, f"{server.url}/library/k/not-the-key/")
    assert status == 404


async def test_reset_makes_the_old_address_stop_working(
    app: App, server: http.Server, client: aiohttp.ClientSession
) -> None:
    share(app, "Job-readiness workshops")
    old = key_path(app)
    assert (await fetch(client, f"{server.url}{old}"))[0] == 200
    data = say(app, "/library link reset")["library"]
    assert isinstance(data, dict)
    new = str(data["path"])
    assert new != old
    assert (await fetch(client, f"{server.url}{old}"))[0] == 404
    assert (await fetch(client, f"{server.url}{new}"))[0] == 200
    refused = ConsoleChat(app.router, handle="alice").invoke("/library link reset")
    assert refused is not None and not refused.ok


async def test_a_public_library_needs_no_key_and_shows_a_published_contact(
    app: App, server: http.Server, client: aiohttp.ClientSession
) -> None:
    pid = share(app, "Job-readiness workshops", contact="desk@example.org", contact_public="yes")
    assert (await fetch(client, f"{server.url}/library/"))[0] == 403
    say(app, "/settings library: public")
    status, body, _ = await fetch(
        client, f"{server.url}/library/practices/{pid}-job-readiness-workshops"
    )
    assert status == 200 and "desk@example.org" in body
    status, _, headers = await fetch(client, f"{server.url}/library")
    assert status == 301 and headers["Location"] == "/library/"


# ---- escaping, caching, languages ----------------------------------------------------------------


async def test_hostile_text_is_shown_as_text(
    app: App, server: http.Server, client: aiohttp.ClientSession
) -> None:
    pid = share(app, HOSTILE, summary=f"{HOSTILE} for newcomers", organisation=HOSTILE)
    path = key_path(app)
    url = f"{server.url}{path}practices/{pid}-script-alert-x-script-b-bold-b"
    status, body, _ = await fetch(client, url)
    assert status == 200
    assert "<script>alert" not in body and "<b>bold" not in body
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in body
    assert re.search(r'<meta property="og:title" content="&lt;script', body)
    status, body, _ = await fetch(client, f"{server.url}{path}search?q=%3Cscript%3E")
    assert status == 200 and "<script>" not in body.replace("<script src=", "")


async def test_a_reload_costs_a_304_until_the_repertoire_changes(
    app: App, server: http.Server, client: aiohttp.ClientSession
) -> None:
    share(app, "Job-readiness workshops")
    url = f"{server.url}{key_path(app)}"
    status, _, headers = await fetch(client, url)
    assert status == 200 and headers["ETag"] and headers["Last-Modified"]
    status, body, _ = await fetch(client, url, **{"If-None-Match": headers["ETag"]})
    assert status == 304 and body == ""
    since = headers["Last-Modified"]
    assert (await fetch(client, url, **{"If-Modified-Since": since}))[0] == 304
    share(app, "Housing first desk", domains="housing")
    status, body, again = await fetch(client, url, **{"If-None-Match": headers["ETag"]})
    assert status == 200 and again["ETag"] != headers["ETag"] and "Housing first desk" in body


async def test_the_language_follows_lang_then_accept_language(
    app: App, server: http.Server, client: aiohttp.ClientSession
) -> None:
    share(app, "Job-readiness workshops")
    url = f"{server.url}{key_path(app)}"
    status, body, _ = await fetch(client, f"{url}?lang=ar")
    assert status == 200 and '<html lang="ar" dir="rtl">' in body and "ابحث في الممارسات" in body
    assert "?lang=ar" in body  # the choice is kept in the links
    status, body, headers = await fetch(client, url, **{"Accept-Language": "de-CH, fr;q=0.5"})
    assert '<html lang="de" dir="ltr">' in body and headers["Content-Language"] == "de"
    status, body, _ = await fetch(client, f"{url}?lang=xx", **{"Accept-Language": "fr"})
    assert status == 400 and '<html lang="fr"' in body and "ne comprend pas" in body


@given(
    header=st.text(max_size=80)
    | st.lists(
        st.tuples(st.sampled_from(["fr", "de-CH", "ar", "xx", "*", "EN-gb"]), st.floats(0, 1)),
        max_size=5,
    ).map(lambda items: ", ".join(f"{code};q={q:.2f}" for code, q in items))
)
def test_accept_language_never_fails_and_names_only_our_languages(header: str) -> None:
    found = pages.accepted_languages(header)
    assert all(code in pages.i18n.LANGUAGES for code in found)
    assert len(found) == len(set(found))


# ---- bad input ---------------------------------------------------------------------------------


async def test_hostile_paths_and_queries_get_clean_pages(
    app: App, server: http.Server, client: aiohttp.ClientSession
) -> None:
    share(app, "Job-readiness workshops")
    path = key_path(app)
    for rest in (
        "practices/999999-nothing",
        "practices/abc",
        "practices/1-BAD_SLUG!",
        "../../etc/passwd",
        "%2e%2e/%2e%2e/etc/passwd",
        "browse/domain/not-a-domain",
        "browse/country/ZZ",
        "toolkits/none",
        "search?page=0",
        "search?page=99999999999999999999",
        "search?q=" + "x" * 5000,
        "?" + "a=b&" * 600,
        "search?q=%00%ff%fe",
    ):
        status, body, _ = await fetch(client, f"{server.url}{path}{rest}")
        assert status in {200, 301, 400, 403, 404}, (rest, status)  # 403: out of the key
        assert "Traceback" not in body


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rest=st.text(max_size=60),
    params=st.dictionaries(st.sampled_from(["q", "page", "lang", "x"]), st.text(max_size=40)),
    header=st.text(max_size=40),
)
def test_the_site_never_fails_whatever_it_is_asked(
    sqlite_app: App, rest: str, params: dict[str, str], header: str
) -> None:
    """No 500 from any path, query or header (the 403 of a missing key is tested above)."""
    site = pages.Site(sqlite_app.engine, sqlite_app.taxonomy)
    token = sqlite_app_token(sqlite_app)
    page = site.respond(token, rest, params, accept_language=header)
    assert page.status in {200, 301, 400, 404}
    if page.status == 200:
        assert b"<!doctype html>" in page.body


_TOKENS: dict[int, str] = {}


def sqlite_app_token(app: App) -> str:
    if id(app) not in _TOKENS:
        share(app, "Job-readiness workshops")
        _TOKENS[id(app)] = key_path(app).split("/")[3]
    return _TOKENS[id(app)]


@pytest.fixture
def sqlite_app(sqlite_url: str, clock: FixedClock) -> App:
    given = Settings(database_url=sqlite_url, admins=(ADMIN,), community_name="Test network")
    return build_app(given, clock=clock, migrate=False)


# ---- toolkits and chat links -------------------------------------------------------------------


async def test_a_toolkit_lists_its_practices_in_order(
    app: App, server: http.Server, client: aiohttp.ClientSession
) -> None:
    first = share(app, "Job-readiness workshops")
    second = share(app, "Housing first desk", domains="housing")
    pending = share(app, "Pending thing to hide", who="alice")
    refused = ConsoleChat(app.router, handle=ADMIN).invoke(
        f"/library collect first-steps {pending}"
    )
    assert refused is not None and not refused.ok  # not approved
    say(app, f"/library collect first-steps {second} {first}")
    status, body, _ = await fetch(client, f"{server.url}{key_path(app)}toolkits/first-steps")
    assert status == 200
    assert body.index("Housing first desk") < body.index("Job-readiness workshops")
    refused = ConsoleChat(app.router, handle="alice").invoke(f"/library collect mine {first}")
    assert refused is not None and not refused.ok  # curators only


def test_practice_links_to_its_page_with_a_public_url(
    settings: Settings, clock: FixedClock
) -> None:
    public = build_app(
        replace(settings, public_url="https://cop.example.org/"), clock=clock, migrate=False
    )
    pid = share(public, "Job-readiness workshops")
    data = say(public, f"/practice {pid}")["practice"]
    assert isinstance(data, dict)
    assert re.fullmatch(
        rf"https://cop\.example\.org/library/k/[\w-]+/practices/{pid}-job-readiness-workshops",
        str(data["web"]),
    )
    pending = share(public, "Pending practice here", who="alice")
    assert "web" not in dict(say(public, f"/practice {pending}")["practice"])  # type: ignore[arg-type]


def test_scale_is_a_practice_field(app: App) -> None:
    pid = share(app, "Job-readiness workshops", scale="National")
    data = say(app, f"/practice edit {pid} scale: regional")
    assert data
    result = ConsoleChat(app.router, handle=ADMIN).invoke(f"/practice edit {pid} scale: cosmic")
    assert result is not None and not result.ok


# ---- the static export -------------------------------------------------------------------------


def test_export_writes_a_static_site_with_relative_links(
    app: App, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    share(app, "Job-readiness workshops", country="IT", scale="local")
    share(app, "Pending thing to hide", who="alice")
    folder = tmp_path / "site"
    report = export.export(app.engine, app.taxonomy, community(app), folder, "en")
    assert report.practices == 1
    index = (folder / "index.html").read_text()
    assert 'href="browse/country/IT.html"' in index and 'href="/library' not in index
    practice = next((folder / "practices").glob("*.html")).read_text()
    assert 'href="../static/library.css"' in practice and 'href="../index.html"' in practice
    search = json.loads((folder / "search-index.json").read_text())
    assert [row["t"] for row in search] == ["Job-readiness workshops"]
    assert "Pending thing" not in " ".join(p.read_text() for p in folder.rglob("*.html"))
    export.export(app.engine, app.taxonomy, community(app), folder, "en")  # again: its own folder
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    with pytest.raises(export.ExportError, match="not empty"):
        export.export(app.engine, app.taxonomy, community(app), other, "en")
    code = cli_main(["--db", app.settings.database_url, "library", "export", str(other)])
    assert code == 2 and "not empty" in capsys.readouterr().err


def community(app: App) -> pages.Community:
    from sqlmodel import select

    from cop_bot.storage.db import session_scope

    with session_scope(app.engine) as session:
        found = session.exec(select(pages.Community)).first()
        assert found is not None
        session.expunge(found)
        return found


# ---- the page cache ------------------------------------------------------------------------------


async def test_no_cached_page_outlives_an_approval_an_edit_or_a_withdrawal(
    app: App, server: http.Server, client: aiohttp.ClientSession
) -> None:
    """Each page is asked twice (the second answer comes from the cache) after each change."""
    share(app, "Job-readiness workshops")
    theirs = share(app, "Rural housing desk", who="alice", domains="housing")
    base = f"{server.url}{key_path(app)}"
    lists = [base, f"{base}search?q=housing", f"{base}browse/domain/housing"]

    async def read(url: str, expect: int = 200) -> tuple[str, CIMultiDict[str]]:
        for _ in range(2):
            status, body, headers = await fetch(client, url)
            assert status == expect, (url, status)
        return body, headers

    async def bodies() -> list[str]:
        return [(await read(url))[0] for url in lists]

    page = f"{base}practices/{theirs}-rural-housing-desk"
    assert not any("Rural housing desk" in body for body in await bodies())
    await read(page, 404)
    say(app, f"/practice approve {theirs}")
    assert all("Rural housing desk" in body for body in await bodies())
    assert "Rural housing desk" in (await read(page))[0]
    say(app, f"/practice edit {theirs} title: Rural housing office")
    for body in await bodies():
        assert "Rural housing office" in body and "Rural housing desk" not in body
    _, headers = await read(page, 301)
    assert headers["Location"].endswith(f"/practices/{theirs}-rural-housing-office")
    moved = f"{base}practices/{theirs}-rural-housing-office"
    assert "Rural housing office" in (await read(moved))[0]
    say(app, "/profile delete confirm withdraw", who="alice")
    assert not any("Rural housing" in body for body in await bodies())
    await read(moved, 404)


def test_the_page_cache_stays_within_its_bounds(
    sqlite_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "PAGE_CACHE_BYTES", 40_000)
    token = sqlite_app_token(sqlite_app)
    site = pages.Site(sqlite_app.engine, sqlite_app.taxonomy)
    for n in range(30):
        assert site.respond(token, "search", {"q": f"workshops {n}"}).status == 200
    kept = list(site._pages.values())
    assert 0 < len(kept) < 30 and sum(len(p.body) for p in kept) <= 40_000
    assert site._bytes == sum(len(p.body) for p in kept)
    monkeypatch.setattr(pages, "PAGE_CACHE", 3)
    site.respond(token, "", {})
    assert len(site._pages) == 3


def test_a_page_reads_its_practices_in_a_fixed_number_of_queries(sqlite_app: App) -> None:
    """No query per practice: page 1 of a domain (20 practices, with domains, countries and
    kinds) costs what page 2 (2 practices) costs; a practice page and its endorsements too."""
    from sqlalchemy import event

    token = sqlite_app_token(sqlite_app)
    ids = [
        share(sqlite_app, f"Housing desk number {n}", domains="housing, health", country="IT")
        for n in range(22)
    ]
    say(sqlite_app, f"/endorse {ids[0]}", who="bob")
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    def queries(rest: str, params: dict[str, str]) -> int:
        site = pages.Site(sqlite_app.engine, sqlite_app.taxonomy)  # an empty cache
        site.respond(token, "", {})  # the index and the dates are read once
        statements.clear()
        event.listen(sqlite_app.engine, "before_cursor_execute", count)
        try:
            assert site.respond(token, rest, params).status == 200
        finally:
            event.remove(sqlite_app.engine, "before_cursor_execute", count)
        return len(statements)

    first, second = (
        queries("browse/domain/housing", {}),
        queries("browse/domain/housing", {"page": "2"}),
    )
    assert first == second <= 8
    assert queries("search", {"q": "housing desk"}) <= 8
    assert queries(f"practices/{ids[0]}-housing-desk-number-0", {}) <= 6


def test_a_page_on_postgresql_reads_outside_any_transaction(app: App) -> None:
    """On PostgreSQL (READ COMMITTED: a snapshot per statement either way) a page opens no
    transaction: no BEGIN and no ROLLBACK round trips, and psycopg keeps its prepared statements
    (a ROLLBACK clears them)."""
    from sqlalchemy import event

    if app.engine.dialect.name != "postgresql":
        pytest.skip("SQLite reads in a deferred transaction, for its snapshot")
    token = key_path(app).split("/")[3]
    practice = share(app, "Housing desk")
    states: list[str] = []

    def status(conn: object, *args: object) -> None:
        states.append(conn.connection.dbapi_connection.info.transaction_status.name)  # type: ignore[attr-defined]

    site = pages.Site(app.engine, app.taxonomy)
    event.listen(app.engine, "after_cursor_execute", status)
    try:
        assert site.respond(token, f"practices/{practice}-housing-desk", {}).status == 200
        assert site.respond(token, "search", {"q": "housing"}).status == 200
    finally:
        event.remove(app.engine, "after_cursor_execute", status)
    assert states and set(states) == {"IDLE"}
