"""Pairing one round of a mentoring programme: pure, no database.

Hard rules (an edge that breaks one is never used): a shared language, never the same
organisation, never a pair from the last `REPEAT_WINDOW` rounds, capacity (a mentor takes at
most `capacity` mentees, a peer is in at most `capacity` pairs of one round, never twice with
the same peer; a mentee is in at most one pair).

Preferences, weighted into a score in [0, 1]: domain fit (`DOMAIN_WEIGHT`: half for covering
any of the mentee's domains, half for the share covered; for peers, of the smaller set), different countries
(`COUNTRY_WEIGHT`, when the programme asks for cross-border pairs) and overlapping working
hours (`HOURS_WEIGHT`: 09:00-17:00 in both zones).

The assignment is optimal, not greedy: mentor <-> mentee with
`scipy.optimize.linear_sum_assignment` on mentor capacity slots, peers with
`networkx.max_weight_matching(maxcardinality=True)`; when a peer's capacity is above 1, the
b-matching is reduced exactly to a matching (Tutte's gadget, see `_b_match`), so a pair is
never taken twice and nobody is paired with themselves. Every feasible edge carries a base weight
larger than any sum of preferences, so the optimum first pairs as many people as the hard rules
allow, then prefers the best pairs. Large programmes are cut into blocks solved exactly (see
`BLOCK`), then one more exact pass over everyone left unpaired; `benchmarks/bench_mentoring.py`
prints what that costs against the exact optimum.

Everyone left unpaired gets the nearest rule that stopped them (`Unpaired.reason`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from cop_bot.mentoring.reasons import (
    FEW_MEMBERS,
    NO_LANGUAGE,
    NO_ONE,
    REASONS,
    RECENT,
    REPEAT_WINDOW,
    SAME_ORGANISATION,
    TAKEN,
    recent_key,
)

__all__ = [
    "FEW_MEMBERS",
    "NO_LANGUAGE",
    "NO_ONE",
    "REASONS",
    "RECENT",
    "REPEAT_WINDOW",
    "SAME_ORGANISATION",
    "TAKEN",
    "Pair",
    "Person",
    "Result",
    "Unpaired",
    "pair_round",
    "recent_key",
]

DOMAIN_WEIGHT = 0.6
# Half the domain weight goes to covering any of the wanted domains at all, half to the share
# covered: one shared topic is worth more to a pair than meeting across a border.
ANY_FIT = 0.5
COUNTRY_WEIGHT = 0.2
HOURS_WEIGHT = 0.2
WORK_HOURS = 8.0
REPEAT_PENALTY = 0.5
"""Taken off the score of a pair that met in a round older than the window."""
BLOCK = 1500
"""Mentor slots (or mentees) per exactly solved block; peers use `PEER_BLOCK` nodes."""
PEER_BLOCK = 200
PEER_EDGES = 8
CAPACITY_BLOCK = 60
"""Peers per exactly solved block when some peer takes more than one pair: the reduction to a
matching has a node per slot and two per edge between such peers, and networkx's blossom
algorithm in pure Python is cubic (240 peers of capacity 1-3: about 2 s here)."""
"""Each peer's best edges kept for the matching within a block (all edges for small blocks)."""


Matrix = npt.NDArray[np.float64]
Met = dict[int, list[int]]
"""Member id -> the ids they were paired with (in the rounds that matter)."""
Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Person:
    id: int
    role: str  # mentor, mentee or peer
    languages: tuple[str, ...]
    domains: tuple[str, ...]
    organisation: str | None = None
    country: str | None = None
    utc_offset: float = 0.0
    """Hours east of UTC in the member's zone, this week."""
    capacity: int = 1


@dataclass(frozen=True)
class Pair:
    a: int
    """The mentor (or the first peer)."""
    b: int
    score: float


@dataclass(frozen=True)
class Unpaired:
    id: int
    reason: str


@dataclass
class Result:
    pairs: list[Pair] = field(default_factory=list)
    unpaired: list[Unpaired] = field(default_factory=list)


@dataclass
class _Side:
    people: Sequence[Person]
    languages: Matrix
    domains: Matrix
    organisations: npt.NDArray[np.int64]
    countries: npt.NDArray[np.int64]
    offsets: Matrix
    ids: npt.NDArray[np.int64]


class _Vocab:
    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def of(self, value: str) -> int:
        return self.index.setdefault(value, len(self.index))


def _sides(*groups: Sequence[Person]) -> list[_Side]:
    langs, doms, orgs, countries = _Vocab(), _Vocab(), _Vocab(), _Vocab()
    for group in groups:
        for p in group:
            for code in p.languages:
                langs.of(code)
            for slug in p.domains:
                doms.of(slug)
    out = []
    for group in groups:
        n = len(group)
        lm = np.zeros((n, max(1, len(langs.index))))
        dm = np.zeros((n, max(1, len(doms.index))))
        for i, p in enumerate(group):
            for code in p.languages:
                lm[i, langs.index[code]] = 1.0
            for slug in p.domains:
                dm[i, doms.index[slug]] = 1.0
        org = np.array(
            [
                orgs.of(p.organisation.casefold().strip()) if p.organisation else -1 - i
                for i, p in enumerate(group)
            ],
            dtype=np.int64,
        )
        country = np.array(
            [countries.of(p.country) if p.country else -1 for p in group], dtype=np.int64
        )
        out.append(
            _Side(
                people=group,
                languages=lm,
                domains=dm,
                organisations=org,
                countries=country,
                offsets=np.array([p.utc_offset for p in group], dtype=np.float64),
                ids=np.array([p.id for p in group], dtype=np.int64),
            )
        )
    return out


def _rules(a: _Side, b: _Side, recent: Met) -> tuple[Mask, Mask, Mask]:
    """(shares a language, and not the same organisation, and not recent) for every a x b."""
    language = (a.languages @ b.languages.T) > 0
    other_org = a.organisations[:, None] != b.organisations[None, :]
    fresh = np.ones(language.shape, dtype=bool)
    if recent:
        where = {int(v): i for i, v in enumerate(b.ids)}
        for i, x in enumerate(a.ids):
            for j_id in _partners(int(x), recent):
                j = where.get(j_id)
                if j is not None:
                    fresh[i, j] = False
    return language, language & other_org, language & other_org & fresh


def _mask(a: _Side, b: _Side, pairs: Met) -> Matrix:
    """1.0 where a x b is one of `pairs`, else 0.0."""
    out = np.zeros((len(a.ids), len(b.ids)))
    if pairs:
        where = {int(v): j for j, v in enumerate(b.ids)}
        for i, x in enumerate(a.ids):
            for y in _partners(int(x), pairs):
                j = where.get(y)
                if j is not None:
                    out[i, j] = 1.0
    return out


def _partners(x: int, met: Met) -> Iterable[int]:
    return met.get(x, ())


def _adjacency(pairs: set[tuple[int, int]]) -> Met:
    """Who met whom, by member id, for the rules and the penalty."""
    out: Met = {}
    for p, q in pairs:
        out.setdefault(p, []).append(q)
        out.setdefault(q, []).append(p)
    return out


def _scores(a: _Side, b: _Side, *, mentoring: bool, cross_border: bool) -> Matrix:
    overlap = a.domains @ b.domains.T
    if mentoring:
        wanted = b.domains.sum(axis=1)[None, :]
    else:
        wanted = np.minimum(a.domains.sum(axis=1)[:, None], b.domains.sum(axis=1)[None, :])
    fit = np.divide(overlap, wanted, out=np.zeros_like(overlap), where=wanted > 0)
    score = DOMAIN_WEIGHT * (ANY_FIT * (overlap > 0) + (1 - ANY_FIT) * np.minimum(fit, 1.0))
    if cross_border:
        differ = (a.countries[:, None] != b.countries[None, :]) & (a.countries[:, None] >= 0)
        score = score + COUNTRY_WEIGHT * differ
    gap = np.abs(a.offsets[:, None] - b.offsets[None, :]) % 24
    gap = np.minimum(gap, 24 - gap)
    hours: Matrix = score + HOURS_WEIGHT * np.clip(WORK_HOURS - gap, 0, None) / WORK_HOURS
    return hours


def pair_round(
    people: Sequence[Person],
    recent: set[tuple[int, int]] | None = None,
    *,
    mode: str = "mentor",
    cross_border: bool = True,
    block: int | None = None,
    earlier: set[tuple[int, int]] | None = None,
) -> Result:
    """One round: the pairs and, for everyone left out, why. `recent` holds the pairs (as
    `recent_key`) of the last rounds, which may not meet again; `earlier` the pairs of older
    rounds, which may, but lose `REPEAT_PENALTY` of their score."""
    barred, seen = _adjacency(recent or set()), _adjacency(earlier or set())
    if mode == "peer":
        return _peers(list(people), barred, seen, cross_border, block or PEER_BLOCK)
    mentors = [p for p in people if p.role == "mentor" and p.capacity > 0]
    mentees = [p for p in people if p.role == "mentee"]
    return _mentoring(mentors, mentees, barred, seen, cross_border, block or BLOCK)


# ---- mentor <-> mentee ------------------------------------------------------------------------


def _assign(
    mentors: Sequence[Person],
    used: dict[int, int],
    mentees: Sequence[Person],
    recent: Met,
    seen: Met,
    cross_border: bool,
) -> list[Pair]:
    from scipy.optimize import linear_sum_assignment

    slots = [m for m in mentors for _ in range(m.capacity - used.get(m.id, 0))]
    if not slots or not mentees:
        return []
    a, b = _sides(slots, mentees)
    _lang, _org, ok = _rules(a, b, recent)
    score = _scores(a, b, mentoring=True, cross_border=cross_border) - REPEAT_PENALTY * _mask(
        a, b, seen
    )
    base = float(min(len(slots), len(mentees)) + 1)
    weight = np.where(ok, base + score, 0.0)
    rows, cols = linear_sum_assignment(weight, maximize=True)
    pairs = []
    for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
        if ok[i, j]:
            pairs.append(Pair(slots[i].id, mentees[j].id, round(float(score[i, j]), 3)))
    return pairs


def _blocks(people: Sequence[Person], count: int) -> list[list[Person]]:
    """`count` blocks of similar people (by first language, then domain), dealt in turn so
    every block gets its share of each language."""
    ordered = sorted(people, key=lambda p: (p.languages[:1], p.domains[:1], p.id))
    out: list[list[Person]] = [[] for _ in range(count)]
    size = -(-len(ordered) // count)
    for k, p in enumerate(ordered):
        out[min(k // size, count - 1)].append(p)
    return out


def _mentoring(
    mentors: list[Person],
    mentees: list[Person],
    recent: Met,
    seen: Met,
    cross_border: bool,
    block: int,
) -> Result:
    slots = sum(m.capacity for m in mentors)
    count = max(1, -(-max(slots, len(mentees)) // block))
    pairs: list[Pair] = []
    used: dict[int, int] = {}
    if count == 1:
        pairs = _assign(mentors, used, mentees, recent, seen, cross_border)
    else:
        for ms, es in zip(_blocks(mentors, count), _blocks(mentees, count), strict=True):
            pairs += _assign(ms, used, es, recent, seen, cross_border)
        for p in pairs:
            used[p.a] = used.get(p.a, 0) + 1
        paired = {p.b for p in pairs}
        left = [e for e in mentees if e.id not in paired]
        free = [m for m in mentors if used.get(m.id, 0) < m.capacity]
        if left and free:  # one exact pass over everyone the blocks left out
            for start in range(0, len(left), block):
                extra = _assign(free, used, left[start : start + block], recent, seen, cross_border)
                for p in extra:
                    used[p.a] = used.get(p.a, 0) + 1
                pairs += extra
                free = [m for m in free if used.get(m.id, 0) < m.capacity]
    used = {}
    for p in pairs:
        used[p.a] = used.get(p.a, 0) + 1
    paired = {p.b for p in pairs}
    unpaired = _explain([e for e in mentees if e.id not in paired], mentors, recent)
    unpaired += _explain([m for m in mentors if m.id not in used], mentees, recent)
    return Result(pairs=pairs, unpaired=unpaired)


def _explain(
    left: Sequence[Person],
    others: Sequence[Person],
    recent: Met,
) -> list[Unpaired]:
    """The nearest rule that stopped each of `left`, tried against everyone in `others`."""
    if not left:
        return []
    if not others:
        return [Unpaired(p.id, NO_ONE) for p in left]
    a, b = _sides(left, others)
    language, org, fresh = _rules(a, b, recent)
    return [
        Unpaired(p.id, _nearest_rule(language[i], org[i], fresh[i])) for i, p in enumerate(left)
    ]


# ---- peers ------------------------------------------------------------------------------------


def _peer_edges(
    group: Sequence[Person],
    recent: Met,
    seen: Met,
    cross_border: bool,
) -> tuple[Matrix, list[tuple[int, int]]]:
    """Scores and the feasible edges (i < j, each peer's best `PEER_EDGES` for big blocks)."""
    (side,) = _sides(group)
    _lang, _org, ok = _rules(side, side, recent)
    np.fill_diagonal(ok, False)
    score = _scores(side, side, mentoring=False, cross_border=cross_border)
    score = score - REPEAT_PENALTY * _mask(side, side, seen)
    keep = PEER_EDGES if len(group) > 4 * PEER_EDGES else len(group)
    masked = np.where(ok, score, -1.0)
    edges: set[tuple[int, int]] = set()
    for i in range(len(group)):
        best = np.argsort(-masked[i])[:keep]
        for j in best.tolist():
            if ok[i, j]:
                edges.add((min(i, j), max(i, j)))
    return score, sorted(edges)


def _b_match(
    capacities: Sequence[int], edges: Sequence[tuple[int, int]], weights: Sequence[float]
) -> list[tuple[int, int]]:
    """Maximum-weight simple b-matching (node i in at most `capacities[i]` edges, each edge at
    most once), reduced exactly to one maximum-weight matching. Node i becomes
    `capacities[i]` copies. An edge with an end of capacity 1 joins the copies directly: that
    end has one copy, so the edge is taken at most once. An edge e = (i, j) between two ends
    of capacity 2 or more could be taken twice by two pairs of copies, so it becomes Tutte's
    gadget: two nodes e_i, e_j joined with weight `big`, every copy of i joined to e_i (and of
    j to e_j) with weight (big + w_e) / 2. Taking e gains big + w_e, leaving it gains big, and
    half of it (one copy on e_i, e_j alone) less than big, so the optimum takes an edge whole
    or not at all. No node has an edge to its own copies, so nobody meets themselves."""
    import networkx as nx

    graph = nx.Graph()
    big = 2.0 * (max(weights, default=0.0) + 1.0)
    for e, ((i, j), w) in enumerate(zip(edges, weights, strict=True)):
        if min(capacities[i], capacities[j]) == 1:
            for k in range(capacities[i]):
                for m in range(capacities[j]):
                    graph.add_edge(("v", i, k), ("v", j, m), weight=w, edge=e)
            continue
        ei, ej = ("e", e, i), ("e", e, j)
        graph.add_edge(ei, ej, weight=big)
        for k in range(capacities[i]):
            graph.add_edge(("v", i, k), ei, weight=(big + w) / 2, edge=e)
        for k in range(capacities[j]):
            graph.add_edge(("v", j, k), ej, weight=(big + w) / 2, edge=e)
    taken: set[int] = set()
    for x, y in nx.max_weight_matching(graph):
        e = graph.edges[x, y].get("edge")
        if e is not None:
            taken.add(int(e))
    return [edges[e] for e in sorted(taken)]


def _match_peers(
    group: Sequence[Person],
    recent: Met,
    seen: Met,
    cross_border: bool,
    used: dict[int, int] | None = None,
) -> list[Pair]:
    """The best pairs of one block; `used` counts the pairs each peer already has this round."""
    import networkx as nx

    used = used or {}
    capacities = [max(0, p.capacity - used.get(p.id, 0)) for p in group]
    if len(group) < 2:
        return []
    score, edges = _peer_edges(group, recent, seen, cross_border)
    edges = [(i, j) for i, j in edges if capacities[i] and capacities[j]]
    if any(c > 1 for c in capacities):
        base = float(len(edges) + 1)  # more pairs always beat better pairs
        chosen = _b_match(capacities, edges, [base + float(score[i, j]) for i, j in edges])
    else:
        graph = nx.Graph()
        graph.add_nodes_from(range(len(group)))
        for i, j in edges:
            graph.add_edge(i, j, weight=float(score[i, j]))
        chosen = list(nx.max_weight_matching(graph, maxcardinality=True))
    pairs = []
    for i, j in chosen:
        x, y = sorted((i, j), key=lambda k: group[k].id)
        pairs.append(Pair(group[x].id, group[y].id, round(float(score[x, y]), 3)))
    return pairs


def _peers(
    people: list[Person],
    recent: Met,
    seen: Met,
    cross_border: bool,
    block: int,
) -> Result:
    people = [p for p in people if p.capacity > 0]
    if any(p.capacity > 1 for p in people):
        block = min(block, CAPACITY_BLOCK)
    count = max(1, -(-len(people) // block))
    pairs: list[Pair] = []
    if count == 1:
        pairs = _match_peers(people, recent, seen, cross_border)
    else:
        for group in _blocks(people, count):
            pairs += _match_peers(group, recent, seen, cross_border)
        used = _load(pairs)
        left = [p for p in people if used.get(p.id, 0) < p.capacity]
        # This round's pairs join the barred ones, so the extra pass never repeats one.
        barred = _adjacency({recent_key(p.a, p.b) for p in pairs})
        for k, v in recent.items():
            barred.setdefault(k, []).extend(v)
        for start in range(0, len(left), block):
            pairs += _match_peers(left[start : start + block], barred, seen, cross_border, used)
            used = _load(pairs)
    paired = set(_load(pairs))
    left = [p for p in people if p.id not in paired]
    unpaired = _explain_peers(left, people, recent)
    return Result(pairs=pairs, unpaired=unpaired)


def _load(pairs: Iterable[Pair]) -> dict[int, int]:
    """How many pairs each member is in."""
    out: dict[int, int] = {}
    for p in pairs:
        out[p.a] = out.get(p.a, 0) + 1
        out[p.b] = out.get(p.b, 0) + 1
    return out


def _explain_peers(left: Sequence[Person], people: Sequence[Person], recent: Met) -> list[Unpaired]:
    if not left:
        return []
    if len(people) < 2:
        return [Unpaired(p.id, NO_ONE) for p in left]
    a, b = _sides(left, people)
    language, org, fresh = _rules(a, b, recent)
    where = {p.id: j for j, p in enumerate(people)}
    out = []
    for i, p in enumerate(left):
        j = where[p.id]
        language[i, j] = org[i, j] = fresh[i, j] = False
        out.append(Unpaired(p.id, _nearest_rule(language[i], org[i], fresh[i])))
    return out


def _nearest_rule(language: Any, org: Any, fresh: Any) -> str:
    """Why one person was left unpaired: the first hard rule that left them nobody, in the
    order a member can act on (a shared language, another organisation, not a recent pair),
    else everyone they could meet was taken."""
    if not language.any():
        return NO_LANGUAGE
    if not org.any():
        return SAME_ORGANISATION
    if not fresh.any():
        return RECENT
    return TAKEN
