"""The expert directory: who opted in, what they know, and fast fuzzy search over it.

The database is the source of truth. Each router keeps one `DirectoryIndex` per community in
memory and trusts it only while `Community.directory_version` (bumped by every profile change,
in the same transaction) is unchanged; on a change it reloads just the members updated since
its last look, so 100k members do not mean a full reload per edit.
"""

from __future__ import annotations

import gc
import heapq
import math
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from rapidfuzz import fuzz, process
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from cop_bot.core.i18n import _
from cop_bot.core.taxonomy import STOPWORDS, Candidate, Taxonomy, content_words, normalise
from cop_bot.core.wording import quoted
from cop_bot.storage import repos
from cop_bot.storage.models import Community, Member, MemberDomain

_MASK = (1 << 64) - 1
COMMON_WORD_WEIGHT = math.log(1 + 1 / 0.3)
"""Words found in more than 30% of profiles carry less weight than this and are skipped."""
TEXT_MATCH = 80.0
"""Minimum similarity for a word of the query to count as found in a bio or organisation."""
CONTRIBUTION_TTL_SECONDS = 300
ANSWER_MEMO_SIZE = 1024


@dataclass(frozen=True)
class Expert:
    member_id: int
    handle: str
    name: str | None
    platform_user_id: str | None
    organisation: str | None
    country: str | None
    languages: frozenset[str]
    domains: frozenset[str]
    bio: str | None
    accepts_asks: bool
    text_tokens: frozenset[str]
    org_norm: str


class _Search(NamedTuple):
    """One search, as asked: also its key in the memo of recent answers."""

    query: str
    candidates: tuple[Candidate, ...]
    filters: Filters
    day: int
    language: str
    offset: int
    limit: int
    exclude: int | None


@dataclass(frozen=True)
class Hit:
    expert: Expert
    score: float
    why: tuple[str, ...]
    contribution: int


@dataclass(frozen=True)
class Filters:
    country: str | None = None
    language: str | None = None
    organisation: str | None = None
    members: frozenset[int] | None = None
    """Only these members (a group's, for `group:SLUG`): a strict filter."""

    def admit(self, expert: Expert) -> bool:
        """The rule; `DirectoryIndex.search` applies it by set intersection (country,
        language, group)."""
        if self.members is not None and expert.member_id not in self.members:
            return False
        if self.country and expert.country != self.country:
            return False
        if self.language and self.language not in expert.languages:
            return False
        return not self.organisation or _org_matches(self.organisation, expert.org_norm)


def _org_matches(wanted: str, org_norm: str) -> bool:
    want = normalise(wanted)
    return bool(org_norm) and (want in org_norm or fuzz.partial_ratio(want, org_norm) >= 85)


def _tokens(*texts: str | None) -> frozenset[str]:
    words: set[str] = set()
    for text in texts:
        if text:
            words.update(t for t in normalise(text).split() if len(t) >= 3 and t not in STOPWORDS)
    return frozenset(words)


@dataclass
class DirectoryIndex:
    version: int = -1
    watermark: datetime | None = None
    experts: dict[int, Expert] = field(default_factory=dict)
    by_domain: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    by_token: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    by_country: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    by_language: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    vocabulary: list[str] = field(default_factory=list)
    contributions: dict[int, int] = field(default_factory=dict)
    contributions_at: datetime | None = None
    _rotation_day: int = -1
    _rotation: dict[int, int] = field(default_factory=dict)
    # Answers already given since the index last changed: the same few searches come back all
    # day, and an unchanged index gives them the same answer (the day is part of the key).
    _answers: OrderedDict[_Search, tuple[int, list[Hit]]] = field(default_factory=OrderedDict)
    _answers_lock: threading.Lock = field(default_factory=threading.Lock)

    # ---- keeping up with the database ------------------------------------------------------

    def refresh(self, session: Session, community: Community, now: datetime) -> None:
        assert community.id is not None
        if self.version != community.directory_version:
            if self.watermark is None:
                self._load(session, community.id, None)
            else:
                self._load(session, community.id, self.watermark)
                alive = set(
                    session.exec(
                        select(Member.id).where(
                            Member.community_id == community.id, col(Member.is_expert)
                        )
                    ).all()
                )
                for gone in set(self.experts) - alive:
                    self._remove(gone)
            self.vocabulary = sorted(self.by_token)
            self.version = community.directory_version
            self._forget_answers()
            gc.freeze()  # the index is long-lived: keep it out of every later GC pass
        stale = (
            self.contributions_at is None
            or (now - self.contributions_at).total_seconds() > CONTRIBUTION_TTL_SECONDS
        )
        if stale:
            self.contributions = dict(repos.contribution_counts(session, community.id))
            self.contributions_at = now
            self._forget_answers()

    def _forget_answers(self) -> None:
        with self._answers_lock:
            self._answers.clear()

    def _load(self, session: Session, community_id: int, since: datetime | None) -> None:
        columns = [
            col(c)
            for c in (
                Member.id,
                Member.handle,
                Member.display_name,
                Member.platform_user_id,
                Member.organisation,
                Member.country,
                Member.languages,
                Member.bio,
                Member.accepts_asks,
                Member.is_expert,
                Member.updated_at,
            )
        ]
        query = sa_select(*columns).where(col(Member.community_id) == community_id)
        if since is not None:
            query = query.where(col(Member.updated_at) >= since)
        members = session.execute(query).all()  # plain rows: 100k ORM objects would cost seconds
        ids = [m.id for m in members]
        domains: dict[int, set[str]] = defaultdict(set)
        if since is None:
            rows: Iterable[tuple[int, str]] = session.exec(
                select(MemberDomain.member_id, MemberDomain.domain)
                .join(Member, col(Member.id) == col(MemberDomain.member_id))
                .where(Member.community_id == community_id, col(Member.is_expert))
            ).all()
        else:
            rows = (
                []
                if not ids
                else session.exec(
                    select(MemberDomain.member_id, MemberDomain.domain).where(
                        col(MemberDomain.member_id).in_(ids)
                    )
                ).all()
            )
        for member_id, domain in rows:
            domains[member_id].add(domain)
        for member in members:
            self._remove(member.id)
            if self.watermark is None or member.updated_at > self.watermark:
                self.watermark = member.updated_at
            if member.is_expert:
                self._add(member, domains.get(member.id, set()))

    def _add(self, member: Any, domains: set[str]) -> None:
        expert = Expert(
            member_id=member.id,
            handle=member.handle,
            name=member.display_name,
            platform_user_id=member.platform_user_id,
            organisation=member.organisation,
            country=member.country,
            languages=frozenset(member.languages or ()),
            domains=frozenset(domains),
            bio=member.bio,
            accepts_asks=member.accepts_asks,
            text_tokens=_tokens(member.bio, member.organisation),
            org_norm=normalise(member.organisation or ""),
        )
        self.experts[member.id] = expert
        for slug in expert.domains:
            self.by_domain[slug].add(member.id)
        for token in expert.text_tokens:
            self.by_token[token].add(member.id)
        if expert.country:
            self.by_country[expert.country].add(member.id)
        for language in expert.languages:
            self.by_language[language].add(member.id)

    def _remove(self, member_id: int) -> None:
        old = self.experts.pop(member_id, None)
        if old is None:
            return
        for slug in old.domains:
            self.by_domain[slug].discard(member_id)
        if old.country:
            self.by_country[old.country].discard(member_id)
        for language in old.languages:
            self.by_language[language].discard(member_id)
        for token in old.text_tokens:
            bucket = self.by_token.get(token)
            if bucket is not None:
                bucket.discard(member_id)
                if not bucket:
                    del self.by_token[token]

    # ---- searching -------------------------------------------------------------------------

    def search(
        self,
        query: str,
        candidates: Sequence[Candidate],
        filters: Filters,
        *,
        taxonomy: Taxonomy,
        today: date,
        language: str = "en",
        offset: int = 0,
        limit: int = 5,
        exclude: int | None = None,
    ) -> tuple[int, list[Hit]]:
        """(how many experts match, the page of them), best first; equals rotate daily. The
        member `exclude` (the one searching) is left out of both.

        Scores are computed for every candidate with C-level dict operations; ordering, reasons
        and result objects only for the page shown. That keeps 100k members fast.
        """
        if exclude not in self.experts:  # not listed: the answer is everyone's, and shared
            exclude = None
        key = _Search(
            query, tuple(candidates), filters, today.toordinal(), language, offset, limit, exclude
        )
        with self._answers_lock:
            known = self._answers.get(key)
            if known is not None:
                self._answers.move_to_end(key)
                return known[0], list(known[1])
        answer = self._search(key, taxonomy)
        with self._answers_lock:
            self._answers[key] = (answer[0], list(answer[1]))
            while len(self._answers) > ANSWER_MEMO_SIZE:
                self._answers.popitem(last=False)
        return answer

    def matches(
        self, member_id: int, query: str, candidates: Sequence[Candidate], filters: Filters
    ) -> bool:
        """Whether `search` would find this member (e.g. the one searching, who is left out)."""
        if member_id not in self.experts:
            return False
        admitted = self._admitted(filters)
        if admitted is not None and member_id not in admitted:
            return False
        return member_id in self._scores(query, candidates, filters, {member_id})

    def _search(self, asked: _Search, taxonomy: Taxonomy) -> tuple[int, list[Hit]]:
        query, candidates, filters = asked.query, asked.candidates, asked.filters
        offset, limit, language = asked.offset, asked.limit, asked.language
        scores = self._scores(query, candidates, filters, self._admitted(filters))
        if asked.exclude is not None:
            scores.pop(asked.exclude, None)
        ranked = self._rank(scores, asked.day, offset + limit)[offset:]
        return len(scores), [
            self._hit(m, scores[m], candidates, query, taxonomy, language) for m in ranked
        ]

    def _scores(
        self,
        query: str,
        candidates: Sequence[Candidate],
        filters: Filters,
        allowed: AbstractSet[int] | None,
    ) -> dict[int, float]:
        """Every expert the search finds among the `allowed` ones (None: everyone), scored."""
        scores: dict[int, float] = {}
        for cand in sorted(candidates, key=lambda c: -c.score):
            posting = self.by_domain.get(cand.slug)
            if posting and allowed is not None:
                posting = posting & allowed
            if posting:
                merged = dict.fromkeys(posting, cand.score)
                merged.update(scores)  # earlier candidates scored at least as high
                scores = merged
        text = self._text_scores(query, allowed)
        for member_id, score in text.items():
            if score > scores.get(member_id, 0.0):
                scores[member_id] = score
        if not query.strip():  # filters only: everyone who passes them
            scores = dict.fromkeys(self.experts if allowed is None else allowed, 50.0)
        if filters.organisation:
            experts, wanted = self.experts, filters.organisation
            scores = {m: v for m, v in scores.items() if _org_matches(wanted, experts[m].org_norm)}
        return scores

    def _admitted(self, filters: Filters) -> AbstractSet[int] | None:
        """Who passes the country and language filters (None: no such filter), by set
        intersection, so that scoring only ever touches them: a thousand candidates would
        otherwise mean a thousand Python calls per search. Read-only: may be an index set."""
        admitted: AbstractSet[int] | None = None
        for wanted, posting in (
            (filters.country, self.by_country),
            (filters.language, self.by_language),
        ):
            if wanted:
                members = posting.get(wanted, set())
                admitted = members if admitted is None else admitted & members
        if filters.members is not None:
            listed = filters.members & self.experts.keys()
            admitted = listed if admitted is None else admitted & listed
        return admitted

    def _rank(self, scores: dict[int, float], day: int, needed: int) -> list[int]:
        """The first `needed` members by score, then contribution, then the day's rotation."""
        if not scores:
            return []
        if self._rotation_day != day:
            self._rotation_day, self._rotation = day, {}
        rotation, contributions = self._rotation, self.contributions

        def key(m: int) -> tuple[int, int, int]:
            r = rotation.get(m)
            if r is None:
                r = rotation[m] = rotation_key(day, m)
            return (-round(scores[m]), -contributions.get(m, 0), r)

        top = round(max(scores.values()))
        best = [m for m, v in scores.items() if round(v) == top]
        if len(best) >= needed:  # the usual case: the page lies within the best bucket
            return heapq.nsmallest(needed, best, key=key)
        return heapq.nsmallest(needed, scores, key=key)

    def _hit(
        self,
        member_id: int,
        score: float,
        candidates: Sequence[Candidate],
        query: str,
        taxonomy: Taxonomy,
        language: str,
    ) -> Hit:
        expert = self.experts[member_id]
        why = [
            _domain_reason(cand, taxonomy, language)
            for cand in candidates
            if cand.slug in expert.domains
        ]
        words = self._matched_tokens(query, expert)
        if words:
            mentioned = ", ".join(quoted(w) for w in words)
            why.append(_("profile mentions {words}").format(words=mentioned))
        if not why:
            why.append(_("matches the filters"))
        return Hit(
            expert, round(score, 1), tuple(dict.fromkeys(why)), self.contributions.get(member_id, 0)
        )

    def _query_words(self, query: str) -> dict[str, list[tuple[str, float]]]:
        """Each content word of the query -> profile words it fuzzily matches, best first."""
        words = dict.fromkeys(w for w in content_words(normalise(query)).split() if len(w) >= 3)
        if not words or not self.vocabulary:
            return {}
        return {
            word: [
                (token, float(sim))
                for token, sim, _ in process.extract(
                    word, self.vocabulary, scorer=fuzz.ratio, limit=8, score_cutoff=TEXT_MATCH
                )
            ]
            for word in words
        }

    def _matched_tokens(self, query: str, expert: Expert) -> list[str]:
        return sorted(
            {
                t
                for hits in self._query_words(query).values()
                for t, _ in hits
                if t in expert.text_tokens
            }
        )

    def _text_scores(self, query: str, allowed: AbstractSet[int] | None) -> dict[int, float]:
        """Fuzzy word matches in bios and organisations, weighted by how rare each word is
        among all experts; scores only for the `allowed` ones (None: everyone).

        Words most experts share ("works", "city") are ignored unless nothing else was typed.
        """
        matched = self._query_words(query)
        if not matched:
            return {}
        total = max(1, len(self.experts))
        weight = {
            word: math.log(
                1 + total / max(1, max((len(self.by_token[t]) for t, _ in hits), default=total))
            )
            for word, hits in matched.items()
        }
        informative = [w for w in matched if weight[w] > COMMON_WORD_WEIGHT] or list(matched)
        denominator = sum(weight[w] for w in informative)
        accumulated: dict[int, float] = {}
        for word in informative:
            best: dict[int, float] = {}
            for token, similarity in matched[word]:  # best similarity first
                posting = self.by_token.get(token)
                if posting and allowed is not None:
                    posting = posting & allowed
                if posting:
                    merged = dict.fromkeys(posting, similarity)
                    merged.update(best)
                    best = merged
            factor = 0.9 * weight[word] / denominator
            if not accumulated:
                accumulated = {m: v * factor for m, v in best.items()}
            else:
                for m, v in best.items():
                    accumulated[m] = accumulated.get(m, 0.0) + v * factor
        threshold = TEXT_MATCH * 0.9
        return {m: v for m, v in accumulated.items() if v >= threshold}


def _domain_reason(cand: Candidate, taxonomy: Taxonomy, language: str) -> str:
    label = taxonomy.label(cand.slug, language)
    if normalise(cand.term) != normalise(label):
        return _("works on {domain} (matched “{term}”)").format(domain=label, term=cand.term)
    return _("works on {domain}").format(domain=label)


def rotation_key(day: int, member_id: int) -> int:
    """A per-day shuffle of equally ranked experts: fair, and the same all day for everyone.

    splitmix64 of (day, member): cheap enough to compute for 100k experts per query, and
    stable across processes (unlike Python's salted `hash`).
    """
    z = (day * 0x9E3779B97F4A7C15 + member_id * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


class Directory:
    """One index per community, shared by the router's commands (`ctx.service(Directory)`)."""

    def __init__(self) -> None:
        self._indexes: dict[int, DirectoryIndex] = {}
        self._lock = threading.Lock()

    def index(self, session: Session, community: Community, now: datetime) -> DirectoryIndex:
        assert community.id is not None
        with self._lock:
            index = self._indexes.setdefault(community.id, DirectoryIndex())
            index.refresh(session, community, now)
            return index
