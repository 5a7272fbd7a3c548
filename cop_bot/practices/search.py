"""Fast, typo-tolerant search over a community's approved practices.

The database is the source of truth. Each router keeps one `PracticeIndex` per community in
memory (`ctx.service(PracticeSearch)`) and trusts it only while `Community.practice_version`
is unchanged. Every change to a practice bumps that version and stamps the practice with it
(`Practice.search_version`), so on a change the index reloads just the practices changed since
its last look: one indexed query, not a table scan.

The index is an inverted index: word -> the practices holding it, per field weight (title 3,
tags and domains 2, summary, city and organisation 1). A query word matches its exact word,
longer words it begins (4+ letters), words with its stem (`core.words.search_form`, any of the
7 languages) and, for typos, words of the vocabulary one edit away (two
for words of 7+ letters), which rapidfuzz finds in a slice of the vocabulary chosen by letters
and length. Phrases of the query that name a domain ("mental health", "marché du travail") are
read through the taxonomy and match that domain's practices too. Every query word must be
found (falling back to any word when nothing has them all). Results rank by relevance, then
endorsements, then how recently they were approved. Relevance comes in a few tiers of points,
computed with set operations; endorsements, approval time and id are packed into one integer
per practice, so a page is a `heapq.nlargest` over the best tier's plain ints.
"""

from __future__ import annotations

import heapq
import threading
from array import array
from bisect import bisect_left, insort
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache, partial
from itertools import chain, repeat
from operator import add, methodcaller, mul
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA
from sqlalchemy import func
from sqlmodel import Session, col, select

from cop_bot.core.taxonomy import GOOD_MATCH, Taxonomy, content_words, normalise
from cop_bot.core.words import search_form
from cop_bot.practices.queries import endorsement_counts
from cop_bot.practices.review import APPROVED
from cop_bot.storage.models import Community, Practice, PracticeEndorsement

PAGE_SIZE = 5
TITLE, TAG, BODY = 3, 2, 1
EXACT, NEAR = 10, 8
"""Points per found word: field weight x match quality (exact 10; prefix or typo 8)."""
MAX_QUERY_WORDS = 12
_ID_BITS, _TIME_BITS, _COUNT_BITS = 32, 40, 24
_ID_MASK = (1 << _ID_BITS) - 1
_MIN_TYPO_LENGTH = 5
"""Shorter words must be typed right (or as the start of a longer word): "rome" is not "home"."""
_MAX_TYPOS = 2
_REBUILD_FRACTION = 5
"""Reload everything instead of patching when more than 1/5 of the practices changed."""


@lru_cache(maxsize=300_000)
def _word_tokens(word: str) -> tuple[str, ...]:
    return tuple(t for t in content_words(normalise(word)).split() if len(t) >= 2)


def tokens(text: str | None) -> list[str]:
    """The searchable words of a text, folded like the taxonomy folds them (case, accents,
    UK/US spelling, plurals) and without stop words. Equal to folding the whole text at once,
    but cached per word, which makes indexing 100k practices affordable."""
    if not text:
        return []
    return list(chain.from_iterable(map(_word_tokens, text.split())))


class Vocabulary(dict[str, int]):
    """word -> term id. Looking up a new word gives it the next id; once the index is live, the
    word also takes its place in the sorted list (prefix search) and the typo buckets."""

    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []
        self.sorted: list[str] = []
        self.buckets: dict[tuple[int, str, int], list[str]] = {}
        """(0 or 1, the word's first or second letter, its length) -> words, for typos."""
        self.by_stem: dict[str, list[str]] = {}
        """A word's stem (`core.words.search_form`) -> the words with it: `réfugiées` finds
        `réfugié`, `logements` finds `logement`, in any of the 7 languages."""
        self.live = False

    def __missing__(self, word: str) -> int:
        term = self[word] = len(self.words)
        self.words.append(word)
        self.by_stem.setdefault(search_form(word), []).append(word)
        if self.live:
            insort(self.sorted, word)
            self._bucket(word)
        return term

    def go_live(self) -> None:
        self.sorted = sorted(self.words)
        for word in self.sorted:
            self._bucket(word)
        self.live = True

    def _bucket(self, word: str) -> None:
        if len(word) >= _MIN_TYPO_LENGTH - _MAX_TYPOS:
            for position in (0, 1):
                self.buckets.setdefault((position, word[position], len(word)), []).append(word)


@dataclass(frozen=True)
class Query:
    text: str = ""
    domain: str | None = None
    country: str | None = None
    kind: str | None = None
    page: int = 1
    within: frozenset[int] | None = None
    """Only these practices (`/practices group:SLUG`: those the group's members shared)."""
    page_size: int = PAGE_SIZE
    """Results a page: 5 in chat, more on the web library."""


@dataclass(frozen=True)
class Result:
    ids: list[int]
    """The practices on the requested page, best first."""
    total: int
    partial: bool = False
    """True when no practice held every word and the results hold only some of them."""
    domains: tuple[str, ...] = ()
    """The domains the query was read as naming."""


@dataclass
class PracticeIndex:
    version: int = -1
    words: Vocabulary = field(default_factory=Vocabulary)
    postings: defaultdict[int, array[int]] = field(
        default_factory=lambda: defaultdict(partial(array, "i"))
    )
    """term id * 4 + field weight -> ids of practices holding the word in such a field."""
    doc_keys: dict[int, array[int]] = field(default_factory=dict)
    static: dict[int, int] = field(default_factory=dict)
    """practice id -> endorsements, approval time and id packed into one sortable int."""
    meta: dict[int, tuple[str, str | None, tuple[str, ...]]] = field(default_factory=dict)
    by_kind: dict[str, set[int]] = field(default_factory=dict)
    by_country: dict[str, set[int]] = field(default_factory=dict)
    by_domain: dict[str, set[int]] = field(default_factory=dict)
    _ranked: list[int] | None = None

    def __len__(self) -> int:
        return len(self.static)

    # ---- keeping up with the database ----------------------------------------------------------

    def refresh(self, session: Session, community: Community) -> None:
        assert community.id is not None
        version = community.practice_version
        if version == self.version:
            return
        if self.version < 0 or version < self.version:
            self._rebuild(session, community.id)
        else:
            rows = session.exec(
                _columns().where(
                    Practice.community_id == community.id,
                    col(Practice.search_version) > self.version,
                )
            ).all()
            if len(rows) > max(500, len(self.static) // _REBUILD_FRACTION):
                self._rebuild(session, community.id)
            else:
                approved = [r for r in rows if r.status == APPROVED]
                counts = endorsement_counts(session, [r.id for r in approved])
                for row in rows:
                    self._remove(row.id)
                for row in approved:
                    self._add(row, counts.get(row.id, 0))
                if len(self.static) != _approved_count(session, community.id):
                    self._rebuild(session, community.id)  # one was deleted (withdrawn on erasure)
        self.version = version

    def _rebuild(self, session: Session, community_id: int) -> None:
        fresh = PracticeIndex()
        rows = session.exec(
            _columns().where(Practice.community_id == community_id, Practice.status == APPROVED)
        ).all()
        counts = dict(
            session.exec(
                select(PracticeEndorsement.practice_id, func.count())
                .join(Practice, col(Practice.id) == col(PracticeEndorsement.practice_id))
                .where(Practice.community_id == community_id, Practice.status == APPROVED)
                .group_by(col(PracticeEndorsement.practice_id))
            ).all()
        )
        for row in rows:
            fresh._add(row, int(counts.get(row.id, 0)))
        fresh.words.go_live()
        self.__dict__.update(fresh.__dict__)

    def _add(self, row: Any, endorsements: int) -> None:
        pid: int = row.id
        weights: dict[str, int] = {}
        body = f"{row.summary} {row.city or ''} {row.organisation or ''}"
        labels = " ".join([*(row.tags or ()), *(d.replace("-", " ") for d in row.domains or ())])
        for text, weight in ((body, BODY), (labels, TAG), (row.title, TITLE)):
            # ascending weights, so a word keeps its best field
            weights.update(dict.fromkeys(tokens(text), weight))
        # key = term id * 4 + weight; maps run in C, which matters for 100k practices.
        keys = array(
            "i",
            map(add, map(mul, map(self.words.__getitem__, weights), repeat(4)), weights.values()),
        )
        deque(map(methodcaller("append", pid), map(self.postings.__getitem__, keys)), maxlen=0)
        self.doc_keys[pid] = keys
        self._ranked = None
        approved = int(row.approved_at.timestamp()) if row.approved_at else 0
        self.static[pid] = (
            (min(endorsements, (1 << _COUNT_BITS) - 1) << (_TIME_BITS + _ID_BITS))
            | (min(max(approved, 0), (1 << _TIME_BITS) - 1) << _ID_BITS)
            | pid
        )
        domains = tuple(row.domains or ())
        self.meta[pid] = (row.kind, row.country, domains)
        self.by_kind.setdefault(row.kind, set()).add(pid)
        if row.country:
            self.by_country.setdefault(row.country, set()).add(pid)
        for slug in domains:
            self.by_domain.setdefault(slug, set()).add(pid)

    def _remove(self, pid: int) -> None:
        keys = self.doc_keys.pop(pid, None)
        if keys is None:
            return
        for key in keys:
            posting = self.postings[key]
            posting.remove(pid)
            if not posting:
                del self.postings[key]
        kind, country, domains = self.meta.pop(pid)
        self.by_kind[kind].discard(pid)
        if country:
            self.by_country[country].discard(pid)
        for slug in domains:
            self.by_domain[slug].discard(pid)
        del self.static[pid]
        self._ranked = None

    # ---- searching -----------------------------------------------------------------------------

    def expand(self, token: str) -> dict[int, int]:
        """Vocabulary words a query word stands for: term id -> match quality."""
        found: dict[int, int] = {}
        exact = self.words.get(token)
        if exact is not None:
            found[exact] = EXACT
        for word in self.words.by_stem.get(search_form(token), ()):
            found.setdefault(self.words[word], NEAR)
        if len(token) < 4:
            return found
        start = bisect_left(self.words.sorted, token)
        for word in self.words.sorted[start : start + 50]:
            if not word.startswith(token):
                break
            found.setdefault(self.words[word], NEAR)
        if exact is None or self._frequency(exact) < 5:
            for word in self.typos_of(token):
                found.setdefault(self.words[word], NEAR)
        return found

    def typos_of(self, token: str, limit: int = 8) -> list[str]:
        """Vocabulary words at most one edit away (two for words of 7+ letters), counting a swap
        of neighbouring letters as one edit.

        Only words sharing the first or second letter with the token, in either order, and of a
        length within reach are compared: every single edit keeps one of those, so nothing one
        edit away is missed, and rapidfuzz compares a few thousand words instead of the whole
        vocabulary.
        """
        if len(token) < _MIN_TYPO_LENGTH:
            return []
        most = 1 if len(token) < 7 else _MAX_TYPOS
        seen: set[str] = set()
        found: list[tuple[int, str]] = []
        for length in range(len(token) - most, len(token) + most + 1):
            choices: list[str] = []
            for key in {
                (0, token[0], length),
                (0, token[1], length),
                (1, token[1], length),
                (1, token[0], length),
            }:
                choices.extend(self.words.buckets.get(key, ()))
            for word, distance, _ in process.extract(
                token, choices, scorer=OSA.distance, processor=None, score_cutoff=most, limit=limit
            ):
                if word not in seen and word != token:
                    seen.add(word)
                    found.append((int(distance), word))
        found.sort()
        return [word for _, word in found[:limit]]

    def _frequency(self, term: int) -> int:
        return sum(len(self.postings.get(term * 4 + w, ())) for w in (BODY, TAG, TITLE))

    def word_levels(self, token: str, domains: Iterable[str]) -> Tiers:
        """The practices holding one query word, grouped by the points the word earns there
        (its best field and match quality): {points: ids}, each practice in one group only."""
        lists: dict[int, list[Iterable[int]]] = {}
        for term, quality in self.expand(token).items():
            for weight in (BODY, TAG, TITLE):
                posting = self.postings.get(term * 4 + weight)
                if posting:
                    lists.setdefault(weight * quality, []).append(posting)
        for slug in domains:
            members = self.by_domain.get(slug)
            if members:
                lists.setdefault(TAG * EXACT, []).append(members)
        levels: Tiers = {}
        seen: set[int] = set()
        for points in sorted(lists, reverse=True):  # the best points first
            ids = set().union(*lists[points]) - seen
            if ids:
                levels[points] = ids
                seen |= ids
        return levels

    def search(
        self, words: list[str], cover: Mapping[int, set[str]], query: Query
    ) -> tuple[list[int], int, bool]:
        allowed: set[int] | None = None
        for wanted, table in (
            (query.kind, self.by_kind),
            (query.country, self.by_country),
            (query.domain, self.by_domain),
        ):
            if wanted is not None:
                ids = table.get(wanted, set())
                allowed = set(ids) if allowed is None else allowed & ids
        if query.within is not None:
            inside = set(query.within) & self.static.keys()
            allowed = inside if allowed is None else allowed & inside
        size = query.page_size
        want = query.page * size
        static = self.static
        top: list[int]
        if not words:
            if allowed is None:
                top = self.ranked()[:want]
                total = len(static)
            else:
                top = heapq.nlargest(want, map(static.__getitem__, allowed))
                total = len(allowed)
            page = [k & _ID_MASK for k in top[(query.page - 1) * size :]]
            return page, total, False
        per_word = [self.word_levels(w, cover.get(i, ())) for i, w in enumerate(words)]
        partial = False
        tiers = _every_word(per_word)
        if not tiers and len(per_word) > 1:
            tiers = _some_word(per_word)
            partial = bool(tiers)
        if allowed is not None:
            tiers = {points: ids & allowed for points, ids in tiers.items()}
        total = sum(len(ids) for ids in tiers.values())
        top = []
        for points in sorted(tiers, reverse=True):  # relevance first; within it, the static key
            ids = tiers[points]
            if len(ids) >= want - len(top):
                top.extend(heapq.nlargest(want - len(top), map(static.__getitem__, ids)))
                break
            top.extend(sorted(map(static.__getitem__, ids), reverse=True))
        page = [k & _ID_MASK for k in top[(query.page - 1) * size : want]]
        return page, total, partial

    def ranked(self) -> list[int]:
        """Every static key, best first (for browsing without words); kept until a change."""
        if self._ranked is None:
            self._ranked = sorted(self.static.values(), reverse=True)
        return self._ranked


Tiers = dict[int, set[int]]
"""Relevance points -> the practices that earn exactly that many."""


def _every_word(per_word: list[Tiers]) -> Tiers:
    """Practices holding every word, by the sum of their points; set operations only."""
    tiers: Tiers = {0: set()}
    first = True
    for levels in sorted(per_word, key=lambda lv: sum(len(ids) for ids in lv.values())):
        combined: Tiers = {}
        for total, ids in tiers.items():
            for points, holding in levels.items():
                both = holding if first else ids & holding
                if both:
                    combined.setdefault(total + points, set()).update(both)
        tiers, first = combined, False
        if not tiers:
            return {}
    return tiers


def _some_word(per_word: list[Tiers]) -> Tiers:
    """Practices holding at least one word, by the sum of their points (the fallback)."""
    points: dict[int, int] = {}
    for levels in per_word:
        for value, ids in levels.items():
            for p in ids:
                points[p] = points.get(p, 0) + value
    tiers: Tiers = {}
    for p, value in points.items():
        tiers.setdefault(value, set()).add(p)
    return tiers


def _approved_count(session: Session, community_id: int) -> int:
    return int(
        session.exec(
            select(func.count()).where(
                Practice.community_id == community_id, Practice.status == APPROVED
            )
        ).one()
    )


def _columns() -> Any:
    columns = (
        "id",
        "status",
        "kind",
        "country",
        "domains",
        "tags",
        "title",
        "summary",
        "city",
        "organisation",
        "approved_at",
    )
    return select(*(col(getattr(Practice, name)) for name in columns))


class PracticeSearch:
    """One index per community, shared by the router's commands (`ctx.service(PracticeSearch)`)."""

    def __init__(self) -> None:
        self._indexes: dict[int, PracticeIndex] = {}
        self._lock = threading.Lock()
        self._domain_cache: dict[tuple[int, str], tuple[str, ...]] = {}

    def index(self, session: Session, community: Community) -> PracticeIndex:
        assert community.id is not None
        with self._lock:
            index = self._indexes.setdefault(community.id, PracticeIndex())
            index.refresh(session, community)
            return index

    def search(
        self, session: Session, community: Community, taxonomy: Taxonomy, query: Query
    ) -> Result:
        words = list(dict.fromkeys(tokens(query.text)))[:MAX_QUERY_WORDS]
        cover = self.domain_cover(taxonomy, words)
        assert community.id is not None
        with self._lock:
            index = self._indexes.setdefault(community.id, PracticeIndex())
            index.refresh(session, community)
            ids, total, partial = index.search(words, cover, query)
        domains = tuple(dict.fromkeys(s for i in sorted(cover) for s in sorted(cover[i])))
        return Result(ids=ids, total=total, partial=partial, domains=domains)

    def domain_cover(self, taxonomy: Taxonomy, words: list[str]) -> dict[int, set[str]]:
        """Which query words belong to a phrase naming a domain, and which domains.

        Longest phrases first, up to three words; a phrase counts only if it is (close to) a
        whole name of the domain, so "housing rome" does not make every housing practice a
        match for "rome".
        """
        cover: dict[int, set[str]] = {}
        longest = 3 if len(words) <= 6 else 1  # a long query: its words one by one
        for size in range(min(longest, len(words)), 0, -1):
            for start in range(len(words) - size + 1):
                span = range(start, start + size)
                if all(i in cover for i in span):
                    continue
                slugs = self._domains_named(taxonomy, " ".join(words[start : start + size]))
                for i in span if slugs else ():
                    cover.setdefault(i, set()).update(slugs)
        return cover

    def _domains_named(self, taxonomy: Taxonomy, phrase: str) -> tuple[str, ...]:
        key = (id(taxonomy), phrase)
        found = self._domain_cache.get(key)
        if found is None:
            result = taxonomy.match(phrase)
            best = result.best
            found = ()
            if best is not None:
                found = tuple(
                    c.slug
                    for c in result.matches
                    if c.score >= max(GOOD_MATCH, best.score - 5)
                    and fuzz.token_sort_ratio(phrase, content_words(normalise(c.term))) >= 80
                )
            if len(self._domain_cache) > 4096:
                self._domain_cache.clear()
            self._domain_cache[key] = found
        return found
