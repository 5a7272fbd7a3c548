"""Peers with a capacity above 1: a b-matching that keeps every hard rule (issue 18)."""

from __future__ import annotations

import itertools
import random

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cop_bot.mentoring import matching
from cop_bot.mentoring.matching import Person
from tests.conftest import Bot
from tests.test_mentoring import match, profile


def peer(i: int, langs: str = "en", org: str | None = None, capacity: int = 1) -> Person:
    return Person(
        i, "peer", tuple(langs.split()), ("housing",), org or f"org{i}", capacity=capacity
    )


def check_hard_rules(
    people: list[Person], result: matching.Result, recent: set[tuple[int, int]]
) -> None:
    by_id = {p.id: p for p in people}
    keys = [matching.recent_key(p.a, p.b) for p in result.pairs]
    assert len(keys) == len(set(keys)), "a pair twice in one round"
    load: dict[int, int] = {}
    for p in result.pairs:
        a, b = by_id[p.a], by_id[p.b]
        assert p.a != p.b, "paired with themselves"
        assert set(a.languages) & set(b.languages), "no shared language"
        assert a.organisation != b.organisation, "same organisation"
        assert matching.recent_key(p.a, p.b) not in recent, "a recent pair again"
        load[p.a] = load.get(p.a, 0) + 1
        load[p.b] = load.get(p.b, 0) + 1
    assert all(load[i] <= by_id[i].capacity for i in load), "over capacity"
    assert {u.id for u in result.unpaired} == {p.id for p in people} - set(load)


def test_a_peer_with_capacity_three_meets_three_peers_once_each() -> None:
    people = [peer(0, capacity=3), peer(1), peer(2), peer(3)]
    result = matching.pair_round(people, mode="peer")
    check_hard_rules(people, result, set())
    assert sorted(matching.recent_key(p.a, p.b) for p in result.pairs) == [(0, 1), (0, 2), (0, 3)]
    assert result.unpaired == []


def test_two_peers_with_capacity_are_still_paired_only_once() -> None:
    people = [peer(0, capacity=3), peer(1, capacity=3)]
    result = matching.pair_round(people, mode="peer")
    assert [(p.a, p.b) for p in result.pairs] == [(0, 1)]


def test_capacity_never_beats_the_hard_rules() -> None:
    people = [
        peer(0, "en", capacity=4),
        peer(1, "en", org="org0"),  # same organisation as 0
        peer(2, "ar"),  # no shared language
        peer(3, "en"),  # met 0 in a recent round
        peer(4, "en"),
    ]
    recent = {matching.recent_key(0, 3)}
    result = matching.pair_round(people, recent, mode="peer")
    check_hard_rules(people, result, recent)
    assert {matching.recent_key(p.a, p.b) for p in result.pairs} >= {(0, 4)}
    reasons = {u.id: u.reason for u in result.unpaired}
    assert reasons[2] == matching.NO_LANGUAGE


def test_more_pairs_first_then_better_pairs() -> None:
    # 0 (capacity 2) could take 1 and 2, but 2 is the only partner 3 may meet: the optimum
    # pairs everyone (0-1, 2-3, 0-...) rather than letting 0 take both.
    people = [peer(0, "en fr", capacity=2), peer(1, "en"), peer(2, "fr"), peer(3, "fr", org="org0")]
    result = matching.pair_round(people, mode="peer")
    check_hard_rules(people, result, set())
    assert result.unpaired == []


def brute_force(people: list[Person], recent: set[tuple[int, int]]) -> int:
    """Most pairs any simple b-matching can make, by trying every edge subset (small n)."""
    edges = [
        (a.id, b.id)
        for a, b in itertools.combinations(people, 2)
        if set(a.languages) & set(b.languages)
        and a.organisation != b.organisation
        and matching.recent_key(a.id, b.id) not in recent
    ]
    cap = {p.id: p.capacity for p in people}
    best = 0
    for size in range(len(edges), 0, -1):
        for subset in itertools.combinations(edges, size):
            load: dict[int, int] = {}
            for a, b in subset:
                load[a] = load.get(a, 0) + 1
                load[b] = load.get(b, 0) + 1
            if all(load[i] <= cap[i] for i in load):
                return size
    return best


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["en", "fr", "en fr", "ar"]),
            st.integers(0, 2),
            st.integers(1, 3),
        ),
        min_size=2,
        max_size=6,
    ),
    st.sets(st.tuples(st.integers(0, 5), st.integers(0, 5)), max_size=4),
)
def test_peer_b_matching_keeps_every_rule_and_pairs_the_most(
    spec: list[tuple[str, int, int]], recent_raw: set[tuple[int, int]]
) -> None:
    people = [peer(i, langs, f"org{o}", cap) for i, (langs, o, cap) in enumerate(spec)]
    recent = {matching.recent_key(a, b) for a, b in recent_raw if a != b}
    result = matching.pair_round(people, recent, mode="peer")
    check_hard_rules(people, result, recent)
    assert len(result.pairs) == brute_force(people, recent)


def test_blocks_with_capacity_keep_the_hard_rules() -> None:
    rng = random.Random(5)
    people = [
        Person(
            i,
            "peer",
            tuple(rng.sample(["en", "fr", "es", "ar"], rng.randint(1, 2))),
            tuple(rng.sample(["housing", "health", "education"], 1)),
            f"org{rng.randint(0, 20)}",
            capacity=rng.choice([1, 1, 2, 3]),
        )
        for i in range(240)
    ]
    recent = {matching.recent_key(i, i + 1) for i in range(0, 240, 2)}
    for block in (None, 60):
        result = matching.pair_round(people, recent, mode="peer", block=block)
        check_hard_rules(people, result, recent)


def test_gadget_equals_brute_force_on_a_weighted_example() -> None:
    # Weighted: the reduction must find the best-weight simple b-matching, not just any.
    edges = [(0, 1), (0, 2), (1, 2), (2, 3)]
    weights = [5.0, 1.0, 4.0, 3.0]
    caps = [2, 1, 2, 1]
    chosen = matching._b_match(caps, edges, weights)
    best = max(
        (
            sum(weights[edges.index(e)] for e in subset)
            for size in range(len(edges) + 1)
            for subset in itertools.combinations(edges, size)
            if all(sum(1 for e in subset if v in e) <= caps[v] for v in range(4))
        ),
    )
    assert sum(weights[edges.index(e)] for e in chosen) == best
    assert isinstance(nx.Graph(), nx.Graph)


def test_join_as_peer_with_capacity_through_the_bot(admin_bot: Bot) -> None:
    for h in ("hub", "p1", "p2"):
        profile(admin_bot, h)
    admin_bot.send("/mentoring create Peers mode: peer")
    reply = admin_bot.send("/mentoring join peers capacity: 2 domains: housing", as_="hub")
    assert "joined" in reply
    for h in ("p1", "p2"):
        admin_bot.send("/mentoring join peers domains: housing", as_=h)
    round_ = match(admin_bot, "peers")
    pairs = {frozenset((p["a"], p["b"])) for p in round_["pairs"]}
    assert pairs == {frozenset(("hub", "p1")), frozenset(("hub", "p2"))}
    assert round_["unpaired"] == []


@pytest.mark.parametrize("value", ["0", "-1"])
def test_a_peer_capacity_of_zero_or_less_is_refused(admin_bot: Bot, value: str) -> None:
    profile(admin_bot, "u")
    admin_bot.send("/mentoring create Peers mode: peer")
    reply = admin_bot.send(f"/mentoring join peers capacity: {value} domains: housing", as_="u")
    assert "capacity: 2" in reply


def test_a_mentee_still_takes_one(admin_bot: Bot) -> None:
    profile(admin_bot, "u")
    admin_bot.send("/mentoring create M")
    reply = admin_bot.send("/mentoring join M as: mentee capacity: 2 domains: housing", as_="u")
    assert "mentors and peers" in reply
