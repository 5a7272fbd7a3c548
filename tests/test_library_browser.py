"""The web library in a real browser: Debian's Chromium driven by Playwright for Python.

Browse, search, open a practice and switch language; hostile text stays text; a private
library without its key is refused; pending practices are absent; the keyboard reaches the
search box and the results; it works with JavaScript off; Arabic is right to left; and
axe-core finds no serious or critical violation. Screenshots (English and Arabic, 360 and 1280
px wide) go to the test's folder. Chromium is launched from /usr/bin (never `playwright
install`); the test skips, saying why, only where it is absent (CI installs it).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from cop_bot.app import App, build_app
from cop_bot.config import Settings
from cop_bot.core.clock import FixedClock
from cop_bot.platforms import http
from cop_bot.platforms.console import ConsoleChat

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
WEB = Path(__file__).parent / "web"
AXE = WEB / "node_modules" / "axe-core" / "axe.min.js"
ADMIN = "root-admin"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def say(app: App, line: str, who: str = ADMIN) -> dict[str, Any]:
    result = ConsoleChat(app.router, handle=who).invoke(line)
    assert result is not None and result.ok, result
    return dict(result.data)


@pytest.fixture(scope="module")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed here (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    return CHROMIUM


@pytest.fixture(scope="module")
def axe() -> Path:
    """axe-core from npm into tests/web/node_modules (once; `.ci/run` does it beforehand)."""
    if not AXE.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is needed to install axe-core for the accessibility scan")
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--silent"],
            cwd=WEB,
            check=True,
            timeout=300,
        )
    return AXE


@pytest.fixture
def site(sqlite_url: str, clock: FixedClock) -> Iterator[tuple[App, str, dict[str, int]]]:
    settings = Settings(
        database_url=sqlite_url,
        admins=(ADMIN,),
        community_name="Test network",
        http_port=0,
        public_url="http://127.0.0.1",
    )
    app = build_app(settings, clock=clock, migrate=False)
    ids = {
        "jobs": share(app, "Job-readiness workshops", "labour market", country="IT"),
        "housing": share(app, "Housing first desk", "housing", country="FR", scale="local"),
        "hostile": share(app, '<script>document.title="owned"</script> clinic', "health"),
        "pending": share(app, "Pending language cafe", "language learning", who="alice"),
    }
    server = http.BackgroundServer(app, "console")
    started = server.start()
    path = say(app, "/library link")["library"]["path"]
    try:
        yield app, f"{started.url}{path}", ids
    finally:
        server.stop()
        app.engine.dispose()


def share(app: App, title: str, domains: str, who: str = ADMIN, **fields: str) -> int:
    parts = [
        title,
        "summary: Weekly sessions for newcomers, run with local partners.",
        f"domains: {domains}",
    ]
    parts += [f"{key}: {value}" for key, value in fields.items()]
    return int(say(app, "/share-practice " + "; ".join(parts), who)["practice"]["id"])


@pytest.fixture
def browser(chromium_path: Path, tmp_path: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=str(chromium_path),
            args=FLAGS[1:],  # Playwright adds --headless and a fresh --user-data-dir itself
        )
        try:
            yield launched
        finally:
            launched.close()


def test_browse_search_open_and_switch_language(
    site: tuple[App, str, dict[str, int]], browser: Any, tmp_path: Path
) -> None:
    _app, home, ids = site
    page = browser.new_page()
    errors: list[str] = []
    page.on(  # a blocked or missing stylesheet, not the browser's own favicon probe
        "response",
        lambda r: errors.append(r.url) if r.status >= 400 and "favicon" not in r.url else None,
    )
    page.on("console", lambda m: errors.append(m.text) if "Content Security" in m.text else None)
    page.goto(home)
    assert page.locator("h1").inner_text() == "Test network"
    assert "Pending language cafe" not in page.content()
    page.get_by_role("link", name="Housing", exact=True).first.click()
    assert page.locator("h1").inner_text() == "Housing"
    page.get_by_role("link", name="Housing first desk").click()
    assert page.url.endswith(f"/practices/{ids['housing']}-housing-first-desk")
    assert page.locator("h1").inner_text() == "Housing first desk"
    page.get_by_label("Search the practices").fill("workshops")
    page.get_by_role("button", name="Search").click()
    assert page.get_by_role("link", name="Job-readiness workshops").is_visible()
    page.get_by_role("link", name="français").click()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_label("Chercher dans les pratiques").input_value() == "workshops"
    assert errors == [], errors  # the CSP blocked nothing the page needs


def test_hostile_text_pending_and_a_private_library_without_its_key(
    site: tuple[App, str, dict[str, int]], browser: Any
) -> None:
    _app, home, ids = site
    page = browser.new_page()
    page.goto(f"{home}search?q=clinic")
    page.get_by_role("link", name='<script>document.title="owned"</script> clinic').click()
    assert page.title() != "owned"
    assert "<script>" in page.locator("h1").inner_text()
    base = home.split("/library/")[0]
    response = page.goto(f"{base}/library/")
    assert response is not None and response.status == 403
    assert "private" in page.locator("h1").inner_text()
    response = page.goto(f"{home}practices/{ids['pending']}-pending-language-cafe")
    assert response is not None and response.status == 404


def test_the_keyboard_reaches_the_search_box_and_the_results(
    site: tuple[App, str, dict[str, int]], browser: Any
) -> None:
    _app, home, _ids = site
    page = browser.new_page()
    page.goto(home)
    page.keyboard.press("Tab")  # the skip link first
    assert page.evaluate("document.activeElement.className") == "skip"
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("housing")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=housing")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Housing first desk":
            break
    assert page.evaluate("document.activeElement.textContent") == "Housing first desk"
    page.keyboard.press("Enter")
    page.wait_for_url("**/practices/*-housing-first-desk")


def test_it_works_with_javascript_off_and_arabic_is_right_to_left(
    site: tuple[App, str, dict[str, int]], browser: Any, tmp_path: Path
) -> None:
    _app, home, _ids = site
    context = browser.new_context(java_script_enabled=False, locale="ar")
    page = context.new_page()
    page.goto(home, wait_until="load")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "ar"
    page.get_by_label("ابحث في الممارسات").fill("housing")
    page.get_by_role("button", name="بحث").click()
    assert page.get_by_role("link", name="Housing first desk").is_visible()
    context.close()


@pytest.mark.parametrize("language", ["en", "ar"])
def test_axe_finds_no_serious_violation_and_the_layout_holds(
    site: tuple[App, str, dict[str, int]],
    browser: Any,
    axe: Path,
    tmp_path: Path,
    language: str,
) -> None:
    _app, home, ids = site
    shots = tmp_path / "screenshots"
    shots.mkdir()
    for width in (360, 1280):
        context = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 900})
        page = context.new_page()
        for name, url in (
            ("entry", f"{home}?lang={language}"),
            ("search", f"{home}search?q=housing&lang={language}"),
            ("practice", f"{home}practices/{ids['housing']}-housing-first-desk?lang={language}"),
        ):
            page.goto(url)
            page.screenshot(path=str(shots / f"{name}-{language}-{width}.png"), full_page=True)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{name} ({language}, {width} px) scrolls sideways by {overflow}"
            page.add_script_tag(path=str(axe))
            found = page.evaluate(
                "async () => (await axe.run()).violations.map(v => [v.id, v.impact, v.help])"
            )
            bad = [v for v in found if v[1] in {"serious", "critical"}]
            assert bad == [], (name, language, width, bad)
        context.close()
    print(f"screenshots in {shots}")


def test_the_static_export_searches_in_the_browser(
    site: tuple[App, str, dict[str, int]], browser: Any, tmp_path: Path
) -> None:
    """The exported copy from a plain file server: relative links, client-side search."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from cop_bot.library import export
    from cop_bot.storage.db import session_scope
    from cop_bot.storage.models import Community

    app, _home, _ids = site
    with session_scope(app.engine) as session:
        community = session.exec(select(Community)).one()
        session.expunge(community)
    folder = tmp_path / "site"
    export.export(app.engine, app.taxonomy, community, folder, "en")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        root = f"http://127.0.0.1:{server.server_address[1]}"
        page = browser.new_page()
        page.goto(f"{root}/index.html")
        page.get_by_role("link", name="Housing first desk").first.click()
        assert page.locator("h1").inner_text() == "Housing first desk"
        page.get_by_label("Search the practices").fill("workshops")
        page.get_by_role("button", name="Search").click()
        page.get_by_role("link", name="Job-readiness workshops").wait_for()
        assert "Pending language cafe" not in page.content()
    finally:
        server.shutdown()
        server.server_close()
