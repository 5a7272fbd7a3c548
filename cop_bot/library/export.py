"""`cop-bot library export DIR`: the web library as a static site, for a network's public site
or an archive.

The same templates as the server, with relative links (`practices/12-slug.html`), one page per
approved practice, entry point and toolkit, and `search-index.json` that `static/library.js`
reads to search without a server. A marker file says the folder is ours: the export refuses a
non-empty folder it did not make, so a typo never writes over (or into) something else.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from sqlalchemy import Engine

from cop_bot.core import i18n
from cop_bot.core.taxonomy import Taxonomy
from cop_bot.library import queries
from cop_bot.library.pages import Links, Page, Render, search_index
from cop_bot.practices.fields import PRACTICE_KINDS, SCALES
from cop_bot.practices.queries import endorsement_counts
from cop_bot.practices.search import PracticeSearch
from cop_bot.storage.db import read_scope
from cop_bot.storage.models import Community

MARKER = ".cop-bot-library"
ASSETS = ("library.css", "library.js")
ALL = 100_000  # an entry point's page holds every practice it leads to


class ExportError(Exception):
    """The folder cannot be used: a one-line, fixable message."""


@dataclass
class Report:
    pages: int
    practices: int


def check_folder(folder: Path) -> None:
    """Refuse a file, or a non-empty folder without our marker (another site, a home folder)."""
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{folder} is a file, not a folder")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / MARKER).is_file():
        raise ExportError(
            f"{folder} is not empty and was not made by `cop-bot library export`; "
            "give an empty or new folder"
        )


def export(
    engine: Engine, taxonomy: Taxonomy, community: Community, folder: Path, language: str
) -> Report:
    check_folder(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("made by cop-bot library export\n", encoding="utf-8")
    for sub in ("practices", "browse", "toolkits", "static"):
        shutil.rmtree(folder / sub, ignore_errors=True)
    for name in ASSETS:
        target = folder / "static" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(files("cop_bot.library").joinpath("static", name).read_bytes())
    search = PracticeSearch()
    root = folder.resolve()
    pages = 0
    with read_scope(engine) as session, i18n.using(language):
        assert community.id is not None
        community = session.get(Community, community.id) or community
        community_id = community.id
        assert community_id is not None

        def render(depth: int) -> Render:
            links = Links(static=True, depth=depth)
            return Render(session, community, taxonomy, search, links, language, static=True)

        made: set[str] = set()

        def write(path: str, page: Page) -> None:
            """One page; each folder is made and checked once, not once a file (10,000 files
            share four folders)."""
            nonlocal pages
            if page.status != 200:
                return
            folder_part, _slash, name = path.rpartition("/")
            if not name or name in {".", ".."} or "\\" in path or "\0" in path:
                raise ExportError(f"refusing to write {path!r} outside {folder}")
            if folder_part not in made:
                parent = (folder / folder_part).resolve()
                if not parent.is_relative_to(root):  # a stored value never writes outside DIR
                    raise ExportError(f"refusing to write {path!r} outside {folder}")
                parent.mkdir(parents=True, exist_ok=True)
                made.add(folder_part)
            target = folder / path
            if target.is_symlink():  # (the folders are new, but a file may be a planted link)
                raise ExportError(f"refusing to write {path!r} outside {folder}")
            target.write_bytes(page.body)
            pages += 1

        write("index.html", render(0).entry())
        rows = queries.all_approved(session, community_id)
        top = render(0)
        search_page = top._page(
            "results.html",
            title=i18n._("Search the practices"),
            query=None,
            rows=[],
            total=len(rows),
            partial=False,
            page=1,
            pages=1,
            previous=None,
            next=None,
            count="",
            description="",
            search_index="search-index.json",
        )
        write("search.html", search_page)
        index = search_index(rows, Links(static=True), taxonomy, language)
        (folder / "search-index.json").write_text(
            json.dumps(index, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
        )
        inner = render(1)
        inner.endorsement_counts = endorsement_counts(session, [p.id for p in rows if p.id])
        for practice in rows:
            write(inner.links.practice(practice).removeprefix("../"), inner.practice(practice))
        browse = render(2)
        found = queries.facets(session, community_id)
        entry_points: list[tuple[str, str]] = [("group", g.slug) for g in taxonomy.groups]
        entry_points += [("domain", d) for d in found.domains]
        entry_points += [("country", c) for c in found.countries]
        entry_points += [("scale", s) for s in SCALES if found.scales[s]]
        entry_points += [("kind", k) for k in PRACTICE_KINDS if found.kinds[k]]
        for facet, value in entry_points:
            write(f"browse/{facet}/{value}.html", browse.results("", (facet, value), 1, size=ALL))
        for toolkit in queries.collections(session, community_id):
            write(f"toolkits/{toolkit.slug}.html", inner.toolkit(toolkit))
    return Report(pages=pages, practices=len(rows))
