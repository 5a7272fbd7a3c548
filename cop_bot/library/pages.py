"""The library's pages, rendered server-side with Jinja2 (autoescape on), for the web server and
the static export alike.

`Site.respond` is the whole web library: it finds the community (public, or by the key in the
address), the reader's language (`?lang=`, then `Accept-Language`, then the community's), and
answers 304 when the reader's copy is current (the ETag is the repertoire's version, which every
change to a practice or toolkit bumps). Only approved practices are read, and nothing personal.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import urlencode

from babel import Locale
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Engine
from sqlmodel import Session

from cop_bot.core import i18n
from cop_bot.core.i18n import N_, _
from cop_bot.core.taxonomy import Taxonomy
from cop_bot.core.wording import shorten
from cop_bot.experts.profiles import country_name
from cop_bot.library import queries, tokens
from cop_bot.practices.fields import (
    BENCHMARK_FIELDS,
    BY_KEY,
    PRACTICE_KINDS,
    SCALES,
    kind_label,
    label,
    scale_label,
)
from cop_bot.practices.search import PracticeSearch, Query
from cop_bot.render.text import clean
from cop_bot.storage.db import read_scope
from cop_bot.storage.models import Community, Practice, PracticeCollection

PAGE_SIZE = 20
PAGE_CACHE = 16384
PAGE_CACHE_BYTES = 48 * 1024 * 1024
"""Rendered pages kept per process, at most this many and this many bytes of HTML (keyed by
the repertoire's version, so a change never shows a stale page; the least recently read go)."""
MAX_PAGE = 500
MAX_QUERY = 200
MAX_QUERY_STRING = 2048
SUMMARY_LENGTH = 240
NEWEST = 6
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
FACETS = ("group", "domain", "country", "scale", "kind")
_PRACTICE_PATH = re.compile(r"practices/([0-9]{1,10})(?:-([a-z0-9-]{0,80}))?")
_TOOLKIT_PATH = re.compile(r"toolkits/([a-z0-9][a-z0-9-]{0,59})")
_BROWSE_PATH = re.compile(r"browse/(group|domain|country|scale|kind)/([A-Za-z0-9-]{1,64})")
_LANG_TAG = re.compile(
    r"\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([0-9.]{1,5}))?\s*"
)

_ENV = Environment(
    loader=PackageLoader("cop_bot.library", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    finalize=lambda value: clean(value) if isinstance(value, str) else value,
    trim_blocks=True,
    lstrip_blocks=True,
)

ERRORS = {
    400: N_("This address is not one the library understands."),
    403: N_("This library is private: ask a member of the community for its link."),
    404: N_("There is no such page in the library."),
}


@dataclass
class Page:
    """One answer: its status, body and caching headers."""

    status: int
    body: bytes = b""
    content_type: str = "text/html"
    headers: dict[str, str] = field(default_factory=dict)


def accepted_languages(header: str | None) -> list[str]:
    """The languages of an `Accept-Language` header that the bot speaks, best first.

    Malformed parts are skipped, never an error: `fr-CH, fr;q=0.9, en;q=0.8, *;q=0.5`."""
    found: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "")[:500].split(",")[:20]):
        match = _LANG_TAG.fullmatch(part)
        if not match:
            continue
        try:
            weight = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        code = i18n.supported(match.group(1).lower())
        if code and weight > 0:
            found.append((-weight, position, code))
    return list(dict.fromkeys(code for _w, _p, code in sorted(found)))


def choose_language(asked: str | None, header: str | None, fallback: str) -> tuple[str, bool]:
    """(the language to write in, whether `?lang=` named one the bot does not speak)."""
    if asked is not None:
        code = asked.strip().lower()
        if code in i18n.LANGUAGES:
            return code, False
    for code in accepted_languages(header):
        return code, asked is not None
    return (fallback if fallback in i18n.LANGUAGES else i18n.DEFAULT), asked is not None


class Named(Protocol):
    """A practice as far as its address is concerned (a `Practice` or a `queries.Listed`)."""

    @property
    def id(self) -> int | None: ...

    @property
    def title(self) -> str: ...


class Shown(Named, Protocol):
    """A practice as far as a list of practices is concerned."""

    @property
    def summary(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def domains(self) -> list[str]: ...

    @property
    def country(self) -> str | None: ...


Item = tuple[str, str, str, str]
"""One practice in a list: (address, title, shortened summary, kind · domains · country)."""


@dataclass(frozen=True)
class Links:
    """Where each page is: under `/library` (or its keyed twin) on the server, or relative
    `.html` files in a static export (`depth` folders below its root)."""

    base: str = "/library"
    lang: str | None = None
    """Kept in every link when the reader chose it with `?lang=`."""
    static: bool = False
    depth: int = 0

    def _up(self) -> str:
        return "../" * self.depth

    def _with(self, path: str, params: Mapping[str, str | int | None] | None = None) -> str:
        wanted = {k: str(v) for k, v in (params or {}).items() if v not in (None, "")}
        if self.lang and not self.static:
            wanted["lang"] = self.lang
        return f"{path}?{urlencode(wanted)}" if wanted else path

    def home(self) -> str:
        return f"{self._up()}index.html" if self.static else self._with(f"{self.base}/")

    def search(self, **params: str | int | None) -> str:
        if self.static:
            return self._with(f"{self._up()}search.html", params)
        return self._with(f"{self.base}/search", params)

    def practice(self, practice: Named) -> str:
        name = f"{practice.id}-{queries.slugify(practice.title)}"
        if self.static:
            return f"{self._up()}practices/{name}.html"
        return self._with(f"{self.base}/practices/{name}")

    def browse(self, facet: str, value: str, page: int | None = None) -> str:
        if self.static:
            return f"{self._up()}browse/{facet}/{value}.html"
        return self._with(f"{self.base}/browse/{facet}/{value}", {"page": page})

    def toolkit(self, slug: str) -> str:
        if self.static:
            return f"{self._up()}toolkits/{slug}.html"
        return self._with(f"{self.base}/toolkits/{slug}")

    def asset(self, name: str) -> str:
        return f"{self._up()}static/{name}" if self.static else f"/library/static/{name}"

    def switch(self, language: str, path: str, params: Mapping[str, str]) -> str:
        """The same page in another language (server only)."""
        wanted = {k: v for k, v in params.items() if k != "lang"}
        wanted["lang"] = language
        return f"{path}?{urlencode(wanted)}"


@lru_cache(maxsize=64)
def language_name(code: str) -> str:
    """A language's name in itself (`Français`): Babel's lookup, once per code."""
    return Locale.parse(code).get_display_name(code) or code


def safe_link(url: str | None) -> str | None:
    """An http(s) address or nothing: a `javascript:` link never reaches a page."""
    if not url:
        return None
    lowered = url.strip().lower()
    if not (lowered.startswith("https://") or lowered.startswith("http://")):
        return None
    if any(c in url for c in "\"'<> \n\r\t\\"):
        return None
    return url.strip()


class Render:
    """The page builders, for one community, language and set of links."""

    def __init__(
        self,
        session: Session,
        community: Community,
        taxonomy: Taxonomy,
        search: PracticeSearch,
        links: Links,
        language: str,
        *,
        public_url: str | None = None,
        switch: Callable[[str], str] | None = None,
        static: bool = False,
    ) -> None:
        self.session = session
        self.community = community
        assert community.id is not None
        self.community_id = community.id
        self.taxonomy = taxonomy
        self.searcher = search
        self.links = links
        self.language = language
        self.public_url = (public_url or "").rstrip("/") or None
        self.switch = switch
        self.static = static
        self._shared: dict[str, Any] | None = None
        self.endorsement_counts: Mapping[int, int] | None = None
        """Counted once for every practice by the export; else one query a page."""

    # ---- helpers the templates use ----------------------------------------------------------

    def _common(self) -> dict[str, Any]:
        """What every page of this renderer shares, worked out once (the export renders
        thousands of pages with one renderer)."""
        if self._shared is None:
            self._shared = self._make_common()
        return self._shared

    def _make_common(self) -> dict[str, Any]:
        return {
            "_": _,
            "lang": self.language,
            "dir": "rtl" if i18n.is_rtl(self.language) else "ltr",
            "site": self.community.name,
            "links": self.links,
            "static": self.static,
            "languages": [
                (code, language_name(code), self.switch(code))
                for code in i18n.LANGUAGES
                if self.switch is not None
            ],
            "domain_label": lambda slug: self.taxonomy.label(slug, self.language),
            "country_name": country_name,
            "kind_label": kind_label,
            "scale_label": scale_label,
            "number": i18n.number,
            "shorten": lambda text: shorten(text, SUMMARY_LENGTH),
        }

    def _page(self, template: str, status: int = 200, **values: Any) -> Page:
        body = _ENV.get_template(template).render(**self._common(), **values)
        return Page(status, body.encode("utf-8"))

    def items(self, rows: Sequence[Shown]) -> list[Item]:
        """A list's rows with their labels worked out here rather than by the template: one
        tuple a practice, so a page of results is a short loop of plain text (escaped there)."""
        domain = self.taxonomy.label
        out: list[Item] = []
        for p in rows:
            meta = [kind_label(p.kind), *(domain(d, self.language) for d in p.domains)]
            if p.country:
                meta.append(country_name(p.country) or p.country)
            out.append(
                (
                    self.links.practice(p),
                    p.title,
                    shorten(p.summary, SUMMARY_LENGTH),
                    " · ".join(meta),
                )
            )
        return out

    def error(self, status: int) -> Page:
        return self._page("error.html", status, title=_(ERRORS[status]), description="")

    def facet_label(self, facet: str, value: str) -> str | None:
        """The entry point as a reader names it; None when the value is none of its kind."""
        if facet == "domain":
            return self.taxonomy.label(value, self.language) if value in self.taxonomy else None
        if facet == "group":
            group = next((g for g in self.taxonomy.groups if g.slug == value), None)
            return group.label(self.language) if group else None
        if facet == "country":
            name = country_name(value.upper()) if len(value) == 2 else None
            return name if name and name != value.upper() else None
        if facet == "scale":
            return scale_label(value) if value in SCALES else None
        if facet == "kind":
            return kind_label(value) if value in PRACTICE_KINDS else None
        return None

    # ---- the pages ---------------------------------------------------------------------------

    def entry(self) -> Page:
        found = queries.facets(self.session, self.community_id)
        groups: list[tuple[str, str, list[tuple[str, str, int]]]] = []
        themes: list[tuple[str, str, list[tuple[str, str, int]]]] = []
        for group in self.taxonomy.groups:
            domains = [
                (d.slug, d.label(self.language), found.domains[d.slug])
                for d in self.taxonomy.domains
                if d.group == group.slug
            ]
            entry = (group.slug, group.label(self.language), domains)
            (themes if group.slug.startswith("cross-cutting") else groups).append(entry)
        countries = sorted(
            ((code, country_name(code) or code, n) for code, n in found.countries.items()),
            key=lambda item: item[1],
        )
        return self._page(
            "entry.html",
            title=self.community.name,
            total=found.total,
            groups=groups,
            themes=[d for _s, _l, domains in themes for d in domains],
            countries=countries,
            scales=[(s, scale_label(s), found.scales[s]) for s in SCALES],
            kinds=[(k, kind_label(k), found.kinds[k]) for k in PRACTICE_KINDS],
            toolkits=queries.collections(self.session, self.community_id),
            rows=self.items(queries.newest(self.session, self.community_id, NEWEST)),
            description=_("The community's shared repertoire of good practices."),
        )

    def results(
        self,
        text: str,
        facet: tuple[str, str] | None,
        page: int,
        *,
        size: int = PAGE_SIZE,
    ) -> Page:
        """A search (`text`) or an entry point (`facet`), `size` practices a page."""
        domain = country = kind = None
        within: frozenset[int] | None = None
        heading = None
        if facet is not None:
            name, value = facet
            heading = self.facet_label(name, value)
            if heading is None:
                return self.error(404)
            if name == "domain":
                domain = value
            elif name == "country":
                country = value.upper()
            elif name == "kind":
                kind = value
            elif name == "scale":
                within = queries.ids_where(self.session, self.community_id, scale=value)
            else:
                slugs = [d.slug for d in self.taxonomy.domains if d.group == value]
                within = queries.ids_where(self.session, self.community_id, domains=slugs)
        query = Query(
            text=text,
            domain=domain,
            country=country,
            kind=kind,
            within=within,
            page=page,
            page_size=size,
        )
        result = self.searcher.search(self.session, self.community, self.taxonomy, query)
        rows = queries.listed_in(self.session, self.community_id, result.ids)
        pages = max(1, -(-result.total // size))
        if page > pages:
            return self.error(404)

        def page_link(number: int) -> str:
            if facet is not None:
                return self.links.browse(facet[0], facet[1], number if number > 1 else None)
            return self.links.search(q=text, page=number if number > 1 else None)

        if facet is not None:
            title = heading or ""
        elif text:
            title = _("Practices matching “{query}”").format(query=shorten(text, 80))
        else:
            title = _("All practices")
        return self._page(
            "results.html",
            title=title,
            query=text,
            rows=self.items(rows),
            total=result.total,
            partial=result.partial,
            page=page,
            pages=pages,
            previous=page_link(page - 1) if page > 1 else None,
            next=page_link(page + 1) if page < pages else None,
            count=n_practices(result.total),
            description=title,
        )

    def practice(self, practice: Practice, endorsements: int | None = None) -> Page:
        """A practice's page; `endorsements` when the caller counted them with the practice."""
        assert practice.id is not None
        sections = [
            (label(BY_KEY[key]), getattr(practice, BY_KEY[key].attr))
            for key in BENCHMARK_FIELDS
            if getattr(practice, BY_KEY[key].attr)
        ]
        url = None
        if self.public_url and not self.static:
            url = self.public_url + self.links.practice(practice)
        return self._page(
            "practice.html",
            title=practice.title,
            p=practice,
            sections=sections,
            link=safe_link(practice.link),
            contact=practice.contact if practice.contact_public else None,
            endorsements=(
                endorsements
                if endorsements is not None
                else self.endorsement_counts.get(practice.id, 0)
                if self.endorsement_counts is not None
                else queries.endorsements(self.session, practice.id)
            ),
            language_of=language_name(practice.language) if practice.language else None,
            canonical=url,
            description=shorten(practice.summary, 200),
            labels={key: label(BY_KEY[key]) for key in BY_KEY},
        )

    def toolkit(self, found: PracticeCollection) -> Page:
        rows = queries.listed_in(self.session, self.community_id, found.practice_ids)
        return self._page(
            "toolkit.html",
            title=found.slug.replace("-", " ").capitalize(),
            rows=self.items(rows),
            count=n_practices(len(rows)),
            description=_("A toolkit of {count}.").format(count=n_practices(len(rows))),
        )


def n_practices(count: int) -> str:
    return i18n.n_(count, "{count} practice", "{count} practices")


class Site:
    """The web library of every community on this server.

    A page is rendered once per repertoire version and kept (`PAGE_CACHE`, `PAGE_CACHE_BYTES`);
    a request first reads the reader's community in one small query, and a page already in the
    cache (or a 304) needs nothing else: no ORM session, no template. The search is the chat's
    (`search`: the router's `PracticeSearch`, so one index serves `/practices` and the web).
    """

    def __init__(
        self,
        engine: Engine,
        taxonomy: Taxonomy,
        public_url: str | None = None,
        search: PracticeSearch | None = None,
    ) -> None:
        self.engine = engine
        self.taxonomy = taxonomy
        self.public_url = public_url
        self.search = search if search is not None else PracticeSearch()
        self._pages: OrderedDict[tuple[Any, ...], Page] = OrderedDict()
        self._bytes = 0
        self._modified: dict[tuple[int, int], datetime] = {}
        self._communities: dict[int, tuple[tokens.Reader, Community]] = {}
        self._lock = threading.Lock()

    def cached(self, key: tuple[Any, ...]) -> Page | None:
        with self._lock:
            found = self._pages.get(key)
            if found is None:
                return None
            self._pages.move_to_end(key)
        return replace(found, headers=dict(found.headers))

    def keep(self, key: tuple[Any, ...], page: Page) -> None:
        """Keep a page under its key, forgetting the least recently read beyond the bounds."""
        if page.status not in (200, 301, 404):
            return
        with self._lock:
            old = self._pages.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._pages[key] = replace(page, headers=dict(page.headers))
            self._bytes += len(page.body)
            while len(self._pages) > PAGE_CACHE or self._bytes > PAGE_CACHE_BYTES:
                _key, gone = self._pages.popitem(last=False)
                self._bytes -= len(gone.body)

    def community(self, session: Session, reader: tokens.Reader) -> Community | None:
        """The reader's community as the pages use it, loaded once per `tokens.Reader` (its
        version and settings) and then kept detached: a page missing from the cache costs the
        queries of its own practices only."""
        with self._lock:
            kept = self._communities.get(reader.id)
        if kept is not None and kept[0] == reader:
            return kept[1]
        community = session.get(Community, reader.id)
        if community is None:
            return None
        session.expunge(community)
        if (
            community.practice_version == reader.version
            and community.library_public == reader.public
            and community.name == reader.name
            and community.language == reader.language
        ):
            with self._lock:
                self._communities[reader.id] = (reader, community)
        return community

    def last_modified(self, session: Session, community: Community) -> datetime:
        assert community.id is not None
        key = (community.id, community.practice_version)
        found = self._modified.get(key)
        if found is None:
            found = queries.last_modified(session, community)
            if len(self._modified) > 1024:
                self._modified.clear()
            self._modified[key] = found
        return found

    def respond(
        self,
        token: str | None,
        rest: str,
        params: Mapping[str, str],
        *,
        accept_language: str | None = None,
        if_none_match: str | None = None,
        if_modified_since: str | None = None,
        query_string: str = "",
    ) -> Page:
        with self.engine.connect() as connection:  # one checkout for the whole answer
            if connection.dialect.name == "postgresql":
                # Each statement reads its own snapshot under READ COMMITTED anyway, so a
                # transaction adds nothing but two round trips (BEGIN, ROLLBACK): a page that
                # misses the cache costs three (the pool's ping, the lookup, the query).
                connection.execution_options(isolation_level="AUTOCOMMIT")
            reader = tokens.reader(connection, token)
            fallback = reader.language if reader else i18n.DEFAULT
            language, bad_language = choose_language(params.get("lang"), accept_language, fallback)
            if reader is None:
                with i18n.using(language):
                    return bare_error(403 if token is None else 404, language)
            if not bad_language and len(query_string) <= MAX_QUERY_STRING:
                quick = self._quick(
                    reader, token, rest, params, language, if_none_match, if_modified_since
                )
                if quick is not None:
                    return quick
            with read_scope(connection) as session, i18n.using(language):
                community = self.community(session, reader)
                if community is None:  # deleted in between
                    return bare_error(403 if token is None else 404, language)
                return self._respond(
                    session,
                    community,
                    token,
                    rest,
                    params,
                    language,
                    bad_language,
                    if_none_match,
                    if_modified_since,
                    query_string,
                )

    def _quick(
        self,
        reader: tokens.Reader,
        token: str | None,
        rest: str,
        params: Mapping[str, str],
        language: str,
        if_none_match: str | None,
        if_modified_since: str | None,
    ) -> Page | None:
        """The answer without a session, when the cache has it: a 304 or a kept page."""
        modified = self._modified.get((reader.id, reader.version))
        if modified is None:
            return None
        version = version_of(reader.id, reader.version, reader.public, reader.name)
        tag = etag(version, language)
        if fresh(tag, modified, if_none_match, if_modified_since):
            return Page(304, headers=cache_headers(tag, modified, language))
        page = self.cached(page_key(version, token, language, rest, params))
        if page is None:
            return None
        page = with_headers(page, language)
        if page.status == 200:
            page.headers.update(cache_headers(tag, modified, language))
        return page

    def _respond(
        self,
        session: Session,
        community: Community,
        token: str | None,
        rest: str,
        params: Mapping[str, str],
        language: str,
        bad_language: bool,
        if_none_match: str | None,
        if_modified_since: str | None,
        query_string: str,
    ) -> Page:
        assert community.id is not None
        base = tokens.base_path(community, token)
        chosen = params.get("lang") if not bad_language else None
        links = Links(base=base, lang=chosen)
        path = f"{base}/{rest}"

        def switch(code: str) -> str:
            return links.switch(code, path, params)

        render = Render(
            session,
            community,
            self.taxonomy,
            self.search,
            links,
            language,
            public_url=self.public_url,
            switch=switch,
        )
        if bad_language or len(query_string) > MAX_QUERY_STRING:
            return with_headers(render.error(400), language)
        version = version_of(
            community.id, community.practice_version, community.library_public, community.name
        )
        tag = etag(version, language)
        modified = self.last_modified(session, community)
        if fresh(tag, modified, if_none_match, if_modified_since):
            return Page(304, headers=cache_headers(tag, modified, language))
        key = page_key(version, token, language, rest, params)
        page = self.cached(key)
        if page is None:
            page = route(render, session, community, rest, params)
            self.keep(key, page)
        page = with_headers(page, language)
        if page.status == 200:
            page.headers.update(cache_headers(tag, modified, language))
        return page


def version_of(community_id: int, practice_version: int, public: bool, name: str) -> str:
    """What every page of a community depends on besides the address and the language: the
    repertoire's version (bumped by every approval, edit, withdrawal, endorsement and toolkit),
    the library's setting and the community's name (every page's title)."""
    named = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{community_id}.{practice_version}.{int(public)}.{named}"


def etag(version: str, language: str) -> str:
    return 'W/"' + hashlib.sha256(f"{version}:{language}".encode()).hexdigest()[:20] + '"'


def page_key(
    version: str, token: str | None, language: str, rest: str, params: Mapping[str, str]
) -> tuple[Any, ...]:
    """A rendered page's key: (repertoire version, key, language, path, query)."""
    return (version, token, language, rest, tuple(sorted(params.items())))


def route(
    render: Render, session: Session, community: Community, rest: str, params: Mapping[str, str]
) -> Page:
    """Which page `rest` (the path below the library's base) names."""
    assert community.id is not None
    rest = rest.strip("/")
    if rest == "":
        return render.entry()
    page = page_number(params.get("page"))
    if page is None:
        return render.error(400)
    if rest == "search":
        text = params.get("q", "").strip()
        if len(text) > MAX_QUERY:
            return render.error(400)
        return render.results(text, None, page)
    match = _PRACTICE_PATH.fullmatch(rest)
    if match:
        found = queries.approved_with_endorsements(session, community.id, int(match.group(1)))
        if found is None:
            return render.error(404)
        practice, endorsements = found
        if match.group(2) != queries.slugify(practice.title):  # a retitled practice keeps its id
            return Page(301, headers={"Location": render.links.practice(practice)})
        return render.practice(practice, endorsements)
    match = _BROWSE_PATH.fullmatch(rest)
    if match:
        return render.results("", (match.group(1), match.group(2)), page)
    match = _TOOLKIT_PATH.fullmatch(rest)
    if match:
        toolkit = queries.collection(session, community.id, match.group(1))
        return render.toolkit(toolkit) if toolkit is not None else render.error(404)
    return render.error(404)


def page_number(text: str | None) -> int | None:
    if text is None or text == "":
        return 1
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        return None
    return int(text)


def fresh(
    tag: str, modified: datetime, if_none_match: str | None, if_modified_since: str | None
) -> bool:
    """Whether the reader's copy is the current one (RFC 9110: ETag first, then the date)."""
    if if_none_match is not None:
        return any(
            t.strip() in {tag, tag.removeprefix("W/"), "*"} for t in if_none_match.split(",")
        )
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError, IndexError):
            return False
        if since.tzinfo is None:
            return False
        return modified.replace(microsecond=0) <= since
    return False


def cache_headers(tag: str, modified: datetime, language: str) -> dict[str, str]:
    return {
        "ETag": tag,
        "Last-Modified": format_datetime(modified.replace(microsecond=0), usegmt=True),
        "Cache-Control": "no-cache",
        "Vary": "Accept-Language",
        "Content-Language": language,
    }


def with_headers(page: Page, language: str) -> Page:
    page.headers.setdefault("Content-Language", language)
    return page


def bare_error(status: int, language: str) -> Page:
    """An error before any community is known: the same layout, with no site name."""
    body = _ENV.get_template("error.html").render(
        _=_,
        lang=language,
        dir="rtl" if i18n.is_rtl(language) else "ltr",
        site=_("Library"),
        links=Links(),
        static=False,
        languages=[],
        title=_(ERRORS[status]),
        status=status,
        description="",
    )
    return Page(status, body.encode("utf-8"), headers={"Content-Language": language})


def search_index(
    rows: Sequence[Practice], links: Links, taxonomy: Taxonomy, language: str
) -> list[dict[str, Any]]:
    """The static export's search index: a few short fields a practice, for `library.js`."""
    return [
        {
            "u": links.practice(p),
            "t": clean(p.title),
            "s": clean(shorten(p.summary, SUMMARY_LENGTH)),
            "d": [taxonomy.label(d, language) for d in p.domains],
            "k": clean(" ".join([*p.tags, p.organisation or "", p.city or "", p.country or ""])),
        }
        for p in rows
    ]
