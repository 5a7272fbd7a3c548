"""Fast, typo-tolerant search over a community's approved practices.

The database is the source of truth. Each router keeps one `PracticeIndex` per community in
memory (`ctx.service(PracticeSearch)`) and trusts it only while `Community.practice_version`
is unchanged. Every change to a practice bumps that version and stamps the practice with it
(`Practice.search_version`), so on a change the index reloads just the practices changed since
its last look: one indexed query, not a table scan.

The index is an inverted index: word -> the practices holding it, per field weight (title 3,
tags and domains 2, summary, city and organisation 1). A query word matches its exact word,
longer words it begins (4+ letters) and, for typos, words of the vocabulary rapidfuzz finds
close to it. Phrases of the query that name a domain ("mental health", "marché du travail")
are read through the taxonomy and match that domain's practices too. Every query word must be
found (falling back to any word when nothing has them all). Results rank by relevance, then
endorsements, then how recently they were approved; ranking packs those into one integer per
practice so the page is a `heapq.nlargest` over plain ints.
"""

from __future__ import annotations

import heapq
import threading
from array import array
from bisect import bisect_left, insort
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import func
from sqlmodel import Session, col, select

from cop_bot.storage.models import Community, Practice, PracticeEndorsement
from cop_bot.taxonomy import GOOD_MATCH, Taxonomy, content_words, normalise

PAGE_SIZE = 5
TITLE, TAG, BODY = 3, 2, 1
EXACT, NEAR = 10, 8
"""Points per found word: field weight x match quality (exact 10; prefix or typo 8)."""
MAX_QUERY_WORDS = 12
_ID_BITS, _TIME_BITS, _COUNT_BITS = 32, 40, 24
_STATIC_BITS = _ID_BITS + _TIME_BITS + _COUNT_BITS
_ID_MASK = (1 << _ID_BITS) - 1
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
    out: list[str] = []
    for word in text.split():
        out.extend(_word_tokens(word))
    return out


@dataclass(frozen=True)
class Query:
    text: str = ""
    domain: str | None = None
    country: str | None = None
    kind: str | None = None
    page: int = 1


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
    term_ids: dict[str, int] = field(default_factory=dict)
    vocab: list[str] = field(default_factory=list)
    sorted_vocab: list[str] = field(default_factory=list)
    postings: dict[int, array[int]] = field(default_factory=dict)
    """term id * 4 + field weight -> ids of practices holding the word in such a field."""
    doc_keys: dict[int, array[int]] = field(default_factory=dict)
    static: dict[int, int] = field(default_factory=dict)
    """practice id -> endorsements, approval time and id packed into one sortable int."""
    meta: dict[int, tuple[str, str | None, tuple[str, ...]]] = field(default_factory=dict)
    by_kind: dict[str, set[int]] = field(default_factory=dict)
    by_country: dict[str, set[int]] = field(default_factory=dict)
    by_domain: dict[str, set[int]] = field(default_factory=dict)

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
                approved = [r for r in rows if r.status == "approved"]
                counts = _endorsements(session, [r.id for r in approved])
                for row in rows:
                    self._remove(row.id)
                for row in approved:
                    self._add(row, counts.get(row.id, 0), bulk=False)
        self.version = version

    def _rebuild(self, session: Session, community_id: int) -> None:
        fresh = PracticeIndex()
        rows = session.exec(
            _columns().where(Practice.community_id == community_id, Practice.status == "approved")
        ).all()
        counts = dict(
            session.exec(
                select(PracticeEndorsement.practice_id, func.count())
                .join(Practice, col(Practice.id) == col(PracticeEndorsement.practice_id))
                .where(Practice.community_id == community_id, Practice.status == "approved")
                .group_by(col(PracticeEndorsement.practice_id))
            ).all()
        )
        for row in rows:
            fresh._add(row, int(counts.get(row.id, 0)), bulk=True)
        fresh.sorted_vocab = sorted(fresh.vocab)
        self.__dict__.update(fresh.__dict__)

    def _add(self, row: Any, endorsements: int, *, bulk: bool) -> None:
        pid: int = row.id
        weights: dict[str, int] = {}
        for text, weight in (
            (row.summary, BODY),
            (row.city, BODY),
            (row.organisation, BODY),
            (" ".join(row.tags or ()), TAG),
            (" ".join(d.replace("-", " ") for d in row.domains or ()), TAG),
            (row.title, TITLE),
        ):
            for token in tokens(text):
                if weights.get(token, 0) < weight:
                    weights[token] = weight
        keys = array("i")
        for token, weight in weights.items():
            term = self.term_ids.get(token)
            if term is None:
                term = self.term_ids[token] = len(self.vocab)
                self.vocab.append(token)
                if not bulk:
                    insort(self.sorted_vocab, token)
            key = term * 4 + weight
            posting = self.postings.get(key)
            if posting is None:
                posting = self.postings[key] = array("i")
            posting.append(pid)
            keys.append(key)
        self.doc_keys[pid] = keys
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

    # ---- searching -----------------------------------------------------------------------------

    def expand(self, token: str) -> dict[int, int]:
        """Vocabulary words a query word stands for: term id -> match quality."""
        found: dict[int, int] = {}
        exact = self.term_ids.get(token)
        if exact is not None:
            found[exact] = EXACT
        if len(token) < 4:
            return found
        start = bisect_left(self.sorted_vocab, token)
        for word in self.sorted_vocab[start : start + 50]:
            if not word.startswith(token):
                break
            found.setdefault(self.term_ids[word], NEAR)
        if exact is None or self._frequency(exact) < 5:
            cutoff = 85 if len(token) == 4 else 80
            for _word, _score, term in process.extract(
                token, self.vocab, scorer=fuzz.ratio, processor=None, score_cutoff=cutoff, limit=8
            ):
                found.setdefault(term, NEAR)
        return found

    def _frequency(self, term: int) -> int:
        return sum(len(self.postings.get(term * 4 + w, ())) for w in (BODY, TAG, TITLE))

    def word_scores(self, token: str, domains: Iterable[str]) -> dict[int, int]:
        """practice id -> points for one query word (its best field and match quality)."""
        lists: list[tuple[int, Iterable[int]]] = []
        for term, quality in self.expand(token).items():
            for weight in (BODY, TAG, TITLE):
                posting = self.postings.get(term * 4 + weight)
                if posting:
                    lists.append((weight * quality, posting))
        for slug in domains:
            members = self.by_domain.get(slug)
            if members:
                lists.append((TAG * EXACT, members))
        lists.sort(key=lambda pair: pair[0])
        scores: dict[int, int] = {}
        for points, ids in lists:  # ascending, so the best field and quality win
            scores.update(dict.fromkeys(ids, points))
        return scores

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
        partial = False
        keys: Iterable[int]
        if not words:
            pool: Iterable[int] = self.static if allowed is None else allowed
            total = len(self.static) if allowed is None else len(allowed)
            keys = (self.static[p] for p in pool)
        else:
            per_word = [self.word_scores(w, cover.get(i, ())) for i, w in enumerate(words)]
            relevance = _all_words(per_word)
            if not relevance and len(per_word) > 1:
                relevance = _any_word(per_word)
                partial = bool(relevance)
            if allowed is not None:
                relevance = {p: r for p, r in relevance.items() if p in allowed}
            total = len(relevance)
            static = self.static
            keys = ((r << _STATIC_BITS) | static[p] for p, r in relevance.items())
        top = heapq.nlargest(query.page * PAGE_SIZE, keys)
        page = [k & _ID_MASK for k in top[(query.page - 1) * PAGE_SIZE :]]
        return page, total, partial


def _all_words(per_word: list[dict[int, int]]) -> dict[int, int]:
    ordered = sorted(per_word, key=len)
    if not ordered[0]:
        return {}
    common = set(ordered[0])
    for scores in ordered[1:]:
        common &= scores.keys()
        if not common:
            return {}
    if len(per_word) == 1:
        return per_word[0]
    return {p: sum(scores[p] for scores in per_word) for p in common}


def _any_word(per_word: list[dict[int, int]]) -> dict[int, int]:
    total: dict[int, int] = {}
    for scores in per_word:
        for p, points in scores.items():
            total[p] = total.get(p, 0) + points
    return total


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


def _endorsements(session: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.exec(
        select(PracticeEndorsement.practice_id, func.count())
        .where(col(PracticeEndorsement.practice_id).in_(ids))
        .group_by(col(PracticeEndorsement.practice_id))
    ).all()
    return {pid: int(n) for pid, n in rows}


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
        for size in range(min(3, len(words)), 0, -1):
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
