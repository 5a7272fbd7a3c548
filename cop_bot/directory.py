"""The expert directory: who opted in, what they know, and fast fuzzy search over it.

The database is the source of truth. Each router keeps one `DirectoryIndex` per community in
memory and trusts it only while `Community.directory_version` (bumped by every profile change,
in the same transaction) is unchanged; on a change it reloads just the members updated since
its last look, so 100k members do not mean a full reload per edit.
"""

from __future__ import annotations

import hashlib
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from rapidfuzz import fuzz, process
from sqlmodel import Session, col, select

from cop_bot.storage import repos
from cop_bot.storage.models import Community, Member, MemberDomain
from cop_bot.taxonomy import Candidate, Taxonomy, content_words, normalise

TEXT_MATCH = 75.0
"""Minimum similarity for a word of the query to count as found in a bio or organisation."""
CONTRIBUTION_TTL_SECONDS = 300


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

    def admit(self, expert: Expert) -> bool:
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
            words.update(t for t in content_words(normalise(text)).split() if len(t) >= 3)
    return frozenset(words)


@dataclass
class DirectoryIndex:
    version: int = -1
    watermark: datetime | None = None
    experts: dict[int, Expert] = field(default_factory=dict)
    by_domain: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    by_token: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    vocabulary: list[str] = field(default_factory=list)
    contributions: dict[int, int] = field(default_factory=dict)
    contributions_at: datetime | None = None

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
        stale = (
            self.contributions_at is None
            or (now - self.contributions_at).total_seconds() > CONTRIBUTION_TTL_SECONDS
        )
        if stale:
            self.contributions = dict(repos.contribution_counts(session, community.id))
            self.contributions_at = now

    def _load(self, session: Session, community_id: int, since: datetime | None) -> None:
        query = select(Member).where(Member.community_id == community_id)
        if since is not None:
            query = query.where(Member.updated_at >= since)
        members = session.exec(query).all()
        ids = [m.id for m in members if m.id is not None]
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
            assert member.id is not None
            self._remove(member.id)
            if self.watermark is None or member.updated_at > self.watermark:
                self.watermark = member.updated_at
            if member.is_expert:
                self._add(member, domains.get(member.id, set()))

    def _add(self, member: Member, domains: set[str]) -> None:
        assert member.id is not None
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

    def _remove(self, member_id: int) -> None:
        old = self.experts.pop(member_id, None)
        if old is None:
            return
        for slug in old.domains:
            self.by_domain[slug].discard(member_id)
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
    ) -> list[Hit]:
        """Experts matching the query's domains or words, best first; equals rotate daily."""
        scores: dict[int, float] = {}
        why: dict[int, list[str]] = defaultdict(list)
        for cand in candidates:
            for member_id in self.by_domain.get(cand.slug, ()):
                if cand.score > scores.get(member_id, 0):
                    scores[member_id] = cand.score
                label = taxonomy.label(cand.slug, language)
                reason = f"works on {label}"
                if normalise(cand.term) != normalise(label):
                    reason += f" (matched “{cand.term}”)"
                why[member_id].append(reason)
        for member_id, score, words in self._text_hits(query):
            if score > scores.get(member_id, 0):
                scores[member_id] = score
            why[member_id].append("profile mentions " + ", ".join(f"“{w}”" for w in words))
        if not query.strip():  # filters only: everyone who passes them
            for member_id in self.experts:
                scores.setdefault(member_id, 50.0)
                why[member_id].append("matches the filters")
        hits = [
            Hit(self.experts[m], round(s, 1), tuple(why[m]), self.contributions.get(m, 0))
            for m, s in scores.items()
            if filters.admit(self.experts[m])
        ]
        hits.sort(
            key=lambda h: (
                -round(h.score),
                -h.contribution,
                rotation_key(today, h.expert.member_id),
            )
        )
        return hits

    def _text_hits(self, query: str) -> list[tuple[int, float, list[str]]]:
        words = [w for w in content_words(normalise(query)).split() if len(w) >= 3]
        if not words or not self.vocabulary:
            return []
        per_member: dict[int, dict[str, tuple[float, str]]] = defaultdict(dict)
        for word in dict.fromkeys(words):
            found = process.extract(
                word, self.vocabulary, scorer=fuzz.ratio, limit=8, score_cutoff=TEXT_MATCH
            )
            for token, similarity, _ in found:
                for member_id in self.by_token.get(token, ()):
                    best = per_member[member_id].get(word)
                    if best is None or similarity > best[0]:
                        per_member[member_id][word] = (similarity, token)
        out = []
        for member_id, found_words in per_member.items():
            # Every word counts: an expert matching 3 of 3 words beats one matching 1 of 3.
            score = sum(sim for sim, _ in found_words.values()) / len(set(words)) * 0.9
            if score >= TEXT_MATCH * 0.9 or len(found_words) >= 2:
                out.append((member_id, score, sorted({tok for _, tok in found_words.values()})))
        return out


def rotation_key(today: date, member_id: int) -> str:
    """A per-day shuffle of equally ranked experts: fair, and the same all day for everyone."""
    return hashlib.sha256(f"{today.isoformat()}:{member_id}".encode()).hexdigest()


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
