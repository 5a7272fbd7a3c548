"""Mentoring programmes: creating and joining, every hard rule of a round, unpaired members told
why, no repeats across rounds, check-ins, scheduled rounds made once, privacy, bad input."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import Session, select

from cop_bot.core.clock import FixedClock
from cop_bot.core.errors import UsageError
from cop_bot.core.model import Status
from cop_bot.core.outbox import DeliveryError, Direct, RecordingOutbox, Together
from cop_bot.mentoring import matching
from cop_bot.mentoring import programmes as rules
from cop_bot.mentoring.jobs import run_due
from cop_bot.storage.models import (
    MentoringPair,
    MentoringParticipant,
    MentoringProgramme,
    MentoringRound,
)
from tests.conftest import NOW, Bot


def profile(bot: Bot, handle: str, **fields: str) -> None:
    defaults = {"languages": "en", "organisation": f"Org of {handle}", "country": "IT"}
    text = "; ".join(f"{k}: {v}" for k, v in {**defaults, **fields}.items())
    assert "Saved" in bot.send(f"/profile set {text}", as_=handle) or True


def count(bot: Bot, model: Any) -> int:
    with Session(bot.app.engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def match(bot: Bot, name: str) -> dict[str, Any]:
    result = bot.reply(f"/mentoring match {name} --json", as_="root-admin")
    assert result.status is Status.OK, result
    return dict(result.data["round"])


def test_create_join_and_match_mentors(admin_bot: Bot) -> None:
    bot = admin_bot
    profile(bot, "lyon", languages="fr, en", country="FR", city="Lyon", domains="housing")
    profile(bot, "tunis", languages="fr, ar", country="TN", city="Tunis")
    created = bot.reply("/mentoring create City mentors mode: mentor domains: housing")
    assert created.data["programme"]["slug"] == "city-mentors"
    assert created.data["programme"]["domains"] == ["housing"]
    joined = bot.reply("/mentoring join city-mentors as: mentor", as_="lyon")
    assert joined.data["participant"]["domains"] == ["housing"]  # from the profile
    bot.send("/mentoring join City mentors as: mentee domains: housing", as_="tunis")
    result = bot.reply("/mentoring match City mentors --json")
    round_ = result.data["round"]
    assert round_["number"] == 1
    assert [(p["a"], p["b"]) for p in round_["pairs"]] == [("lyon", "tunis")]
    assert round_["pairs"][0]["why"] == "you both work on Housing, in French; Lyon ↔ Tunis"
    assert round_["unpaired"] == []
    # the pair is introduced by the job, in ONE conversation with both, with why
    assert result.notices == ()
    outbox = RecordingOutbox()
    assert len(run_due(bot.app.engine, outbox, bot.app.taxonomy, NOW).introduced) == 1
    assert outbox.directs == []
    (together,) = outbox.togethers
    assert [m.handle for m in together.to] == ["lyon", "tunis"]
    assert together.title == "City mentors: lyon ↔ tunis"
    text = str(together.reply.blocks)
    assert "because you both work on Housing" in text and "with @lyon @tunis" in text
    assert run_due(bot.app.engine, outbox, bot.app.taxonomy, NOW).introduced == []  # once
    view = bot.send("/mentoring City mentors", as_="tunis")
    assert "@lyon ↔ @tunis" in view and "Lyon ↔ Tunis" in view


def test_shared_language_is_required(admin_bot: Bot) -> None:
    profile(admin_bot, "ana", languages="es")
    profile(admin_bot, "omar", languages="ar")
    admin_bot.send("/mentoring create Peers mode: peer")
    admin_bot.send("/mentoring join peers domains: housing", as_="ana")
    admin_bot.send("/mentoring join peers domains: housing", as_="omar")
    round_ = match(admin_bot, "peers")
    assert round_["pairs"] == []
    assert {u["reason"] for u in round_["unpaired"]} == {matching.NO_LANGUAGE}
    assert all("languages" in u["message"] for u in round_["unpaired"])


def test_never_the_same_organisation(admin_bot: Bot) -> None:
    for handle in ("a1", "a2"):
        profile(admin_bot, handle, organisation="City of Turin")
    admin_bot.send("/mentoring create Peers mode: peer")
    for handle in ("a1", "a2"):
        admin_bot.send("/mentoring join peers domains: housing", as_=handle)
    round_ = match(admin_bot, "peers")
    assert round_["pairs"] == []
    assert {u["reason"] for u in round_["unpaired"]} == {matching.SAME_ORGANISATION}


def test_capacity_and_nobody_twice(admin_bot: Bot) -> None:
    profile(admin_bot, "mentor", languages="en")
    for i in range(4):
        profile(admin_bot, f"e{i}", languages="en")
    admin_bot.send("/mentoring create M")
    admin_bot.send("/mentoring join M as: mentor capacity: 2 domains: housing", as_="mentor")
    for i in range(4):
        admin_bot.send("/mentoring join M as: mentee domains: housing", as_=f"e{i}")
    round_ = match(admin_bot, "M")
    assert len(round_["pairs"]) == 2  # capacity 2
    assert {p["a"] for p in round_["pairs"]} == {"mentor"}
    mentees = [p["b"] for p in round_["pairs"]]
    assert len(set(mentees)) == 2  # nobody twice
    left = {u["handle"]: u["reason"] for u in round_["unpaired"]}
    assert set(left) == {f"e{i}" for i in range(4)} - set(mentees)
    assert set(left.values()) == {matching.TAKEN}


def test_no_pair_from_the_last_three_rounds(admin_bot: Bot) -> None:
    handles = ["p0", "p1", "p2", "p3"]
    for h in handles:
        profile(admin_bot, h)
    admin_bot.send("/mentoring create Peers mode: peer")
    for h in handles:
        admin_bot.send("/mentoring join peers domains: housing", as_=h)
    seen: list[frozenset[str]] = []
    for _ in range(3):  # 4 people have exactly 3 disjoint perfect matchings
        round_ = match(admin_bot, "peers")
        assert len(round_["pairs"]) == 2
        pairs = [frozenset((p["a"], p["b"])) for p in round_["pairs"]]
        assert not set(pairs) & set(seen)
        seen += pairs
    round_ = match(admin_bot, "peers")  # everyone has met everyone in the last 3 rounds
    assert round_["pairs"] == []
    assert {u["reason"] for u in round_["unpaired"]} == {matching.RECENT}
    round_ = match(admin_bot, "peers")  # round 1 is out of the window now
    assert {frozenset((p["a"], p["b"])) for p in round_["pairs"]} == set(seen[0:2])


def test_infeasible_programme_explains_everyone(admin_bot: Bot) -> None:
    profile(admin_bot, "solo", languages="el")
    profile(admin_bot, "m1", languages="en", organisation="Same")
    profile(admin_bot, "e1", languages="en", organisation="Same")
    profile(admin_bot, "e2", languages="en")
    admin_bot.send("/mentoring create Hard")
    admin_bot.send("/mentoring join Hard as: mentor", as_="m1")
    admin_bot.send("/mentoring join Hard as: mentee domains: health", as_="solo")
    admin_bot.send("/mentoring join Hard as: mentee domains: health", as_="e1")
    round_ = match(admin_bot, "Hard")
    assert round_["pairs"] == []
    reasons = {u["handle"]: u["reason"] for u in round_["unpaired"]}
    assert reasons == {
        "solo": matching.NO_LANGUAGE,
        "e1": matching.SAME_ORGANISATION,
        "m1": matching.SAME_ORGANISATION,
    }
    text = admin_bot.send("/mentoring match Hard")
    assert "@solo: not paired" in text and "works at your organisation" in text


def test_preferences_pick_the_better_pair() -> None:
    people = [
        matching.Person(1, "mentor", ("en",), ("housing",), "A", "IT", 1.0),
        matching.Person(2, "mentor", ("en",), ("health",), "B", "IT", 1.0),
        matching.Person(3, "mentee", ("en",), ("health",), "C", "FR", 1.0),
        matching.Person(4, "mentee", ("en",), ("housing",), "D", "FR", 1.0),
    ]
    result = matching.pair_round(people)
    assert {(p.a, p.b) for p in result.pairs} == {(1, 4), (2, 3)}


def test_optimal_not_greedy() -> None:
    """A greedy pass would give mentor 1 the mentee with the best fit and leave mentee 4 out."""
    people = [
        matching.Person(1, "mentor", ("en", "fr"), ("housing",), "A"),
        matching.Person(2, "mentor", ("en",), ("health",), "B"),
        matching.Person(3, "mentee", ("en",), ("housing",), "C"),
        matching.Person(4, "mentee", ("fr",), ("health",), "D"),
    ]
    result = matching.pair_round(people)
    assert {(p.a, p.b) for p in result.pairs} == {(1, 4), (2, 3)}
    assert result.unpaired == []


def test_blocks_keep_the_hard_rules() -> None:
    import random

    rng = random.Random(3)
    people = [
        matching.Person(
            i,
            "mentor" if i % 3 == 0 else "mentee",
            tuple(rng.sample(["en", "fr", "es", "ar"], rng.randint(1, 2))),
            tuple(rng.sample(["housing", "health", "education"], 1)),
            f"org{rng.randint(0, 30)}",
            capacity=2 if i % 3 == 0 else 1,
        )
        for i in range(600)
    ]
    by_id = {p.id: p for p in people}
    for block in (None, 50):
        result = matching.pair_round(people, block=block)
        load: dict[int, int] = {}
        for p in result.pairs:
            a, b = by_id[p.a], by_id[p.b]
            assert set(a.languages) & set(b.languages)
            assert a.organisation != b.organisation
            load[p.a] = load.get(p.a, 0) + 1
        assert all(load[m] <= by_id[m].capacity for m in load)
        assert len({p.b for p in result.pairs}) == len(result.pairs)
        assert len(result.pairs) + sum(
            1 for u in result.unpaired if by_id[u.id].role == "mentee"
        ) == sum(1 for p in people if p.role == "mentee")


def test_check_ins_and_met_rate(admin_bot: Bot, clock: FixedClock) -> None:
    profile(admin_bot, "x")
    profile(admin_bot, "y")
    admin_bot.send("/mentoring create Peers mode: peer")
    admin_bot.send("/mentoring join peers domains: housing", as_="x")
    admin_bot.send("/mentoring join peers domains: housing", as_="y")
    match(admin_bot, "peers")
    clock.set(NOW + timedelta(days=8))
    outbox = RecordingOutbox()
    report = run_due(admin_bot.app.engine, outbox, admin_bot.app.taxonomy, clock.now())
    assert len(report.checked_in) == 1
    assert sorted(d.to.handle for d in outbox.directs) == ["x", "y"]
    assert "/mentoring met peers yes" in str(outbox.directs[0].reply.blocks)
    again = run_due(admin_bot.app.engine, RecordingOutbox(), admin_bot.app.taxonomy, clock.now())
    assert again.checked_in == []  # once
    view = admin_bot.reply("/mentoring peers")
    assert view.data["programme"]["met_rate"] == 0.0
    assert view.data["programme"]["never_met"] == [{"a": "x", "b": "y", "round": 1}]
    assert "glad" in admin_bot.send("/mentoring met peers yes", as_="x")
    view = admin_bot.reply("/mentoring peers")
    assert view.data["programme"]["met_rate"] == 1.0
    assert view.data["programme"]["never_met"] == []
    # pairs are private to the pair and the coordinators
    profile(admin_bot, "z")
    other = admin_bot.reply("/mentoring peers", as_="z").data["programme"]
    assert other["rounds"][0]["pairs"] == [] and "met_rate" not in other


class Flaky(RecordingOutbox):
    def __init__(self, failures: int, permanent: bool = False) -> None:
        super().__init__()
        self.failures = failures
        self.permanent = permanent

    def _fail(self) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise DeliveryError(
                "forbidden" if self.permanent else "timeout", permanent=self.permanent
            )

    def direct(self, message: Direct) -> None:
        self._fail()
        super().direct(message)

    def together(self, message: Together) -> None:
        self._fail()
        super().together(message)


def test_scheduled_round_once_with_introductions_retried(admin_bot: Bot, clock: FixedClock) -> None:
    profile(admin_bot, "x", languages="it", city="Turin")
    profile(admin_bot, "y", languages="it", country="FR", city="Lyon")
    admin_bot.send("/mentoring create Peers mode: peer every: 2 weeks")
    admin_bot.send("/mentoring join peers domains: housing", as_="x")
    admin_bot.send("/mentoring join peers domains: housing", as_="y")
    engine, taxonomy = admin_bot.app.engine, admin_bot.app.taxonomy
    assert run_due(engine, RecordingOutbox(), taxonomy, NOW + timedelta(days=13)).rounds == []
    at = NOW + timedelta(days=14, minutes=1)
    flaky = Flaky(failures=1)
    report = run_due(engine, flaky, taxonomy, at)
    assert report.rounds == [("peers", 1)] and len(report.failed) == 1
    assert run_due(engine, flaky, taxonomy, at + timedelta(minutes=1)).rounds == []  # once
    later = run_due(engine, flaky, taxonomy, at + timedelta(minutes=3))
    assert len(later.introduced) == 1
    (together,) = flaky.togethers  # sent once, after the retry
    assert sorted(m.handle for m in together.to) == ["x", "y"]
    assert "in Italian; Turin ↔ Lyon" in str(together.reply.blocks)
    assert count(admin_bot, MentoringRound) == 1
    # the next slot makes round 2 (no repeat possible: both unpaired, told why)
    second = run_due(engine, RecordingOutbox(), taxonomy, NOW + timedelta(days=28, minutes=1))
    assert second.rounds == [("peers", 2)]
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(MentoringPair)).one() == 1


def test_refused_introduction_is_not_retried(admin_bot: Bot) -> None:
    profile(admin_bot, "x")
    profile(admin_bot, "y")
    admin_bot.send("/mentoring create Peers mode: peer every: 1 week")
    admin_bot.send("/mentoring join peers domains: housing", as_="x")
    admin_bot.send("/mentoring join peers domains: housing", as_="y")
    engine, taxonomy = admin_bot.app.engine, admin_bot.app.taxonomy
    refused = Flaky(failures=10, permanent=True)
    at = NOW + timedelta(days=7, minutes=1)
    assert len(run_due(engine, refused, taxonomy, at).refused) == 1
    assert run_due(engine, refused, taxonomy, at + timedelta(hours=1)).refused == []
    with Session(engine) as session:
        pair = session.exec(select(MentoringPair)).one()
        assert pair.intro_status == "refused" and pair.last_error == "forbidden"


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("/mentoring join M as: mentor capacity: 0", "capacity"),
        ("/mentoring join M as: mentor capacity: -2", "capacity"),
        ("/mentoring join M as: mentor capacity: lots", "capacity"),
        ("/mentoring join M as: mentee", "domains"),
        ("/mentoring join M as: mentee domains: zzqx", "domain"),
        ("/mentoring join M as: boss", "`as: mentee`"),
        ("/mentoring join M as: mentee domains: housing colour: red", "colour"),
        ("/mentoring join Nope", "no mentoring programme"),
    ],
)
def test_bad_join_writes_nothing(admin_bot: Bot, line: str, needle: str) -> None:
    profile(admin_bot, "u")
    admin_bot.send("/mentoring create M")
    result = admin_bot.send(line, as_="u")
    assert needle.lower() in result.lower()
    assert count(admin_bot, MentoringParticipant) == 0


def test_joining_twice_and_bad_create(admin_bot: Bot) -> None:
    profile(admin_bot, "u")
    admin_bot.send("/mentoring create M")
    admin_bot.send("/mentoring join M as: mentee domains: housing", as_="u")
    assert "already joined" in admin_bot.send(
        "/mentoring join M as: mentee domains: health", as_="u"
    )
    assert count(admin_bot, MentoringParticipant) == 1
    assert "mode" in admin_bot.send("/mentoring create X mode: orgs")
    assert "weeks" in admin_bot.send("/mentoring create X every: 0 weeks")
    assert "exists already" in admin_bot.send("/mentoring create m")
    assert "Only" in admin_bot.send("/mentoring create Y", as_="u")
    assert count(admin_bot, MentoringProgramme) == 1


def test_privacy_export_and_erase(admin_bot: Bot) -> None:
    profile(admin_bot, "x")
    profile(admin_bot, "y")
    admin_bot.send("/mentoring create Peers mode: peer")
    admin_bot.send("/mentoring join peers domains: housing", as_="x")
    admin_bot.send("/mentoring join peers domains: housing", as_="y")
    match(admin_bot, "peers")
    from cop_bot.capabilities import privacy_sections
    from cop_bot.core.privacy import erase_member, export_member
    from cop_bot.storage import repos

    with Session(admin_bot.app.engine) as session:
        community_id = session.exec(select(MentoringProgramme.community_id)).one()
        x = repos.find_member(session, community_id, "x")
        assert x is not None
        data = export_member(session, x, privacy_sections())["mentoring"]
        assert data["joined"][0]["programme"] == "peers"
        assert data["pairs"][0]["with"] == "y" and data["pairs"][0]["round"] == 1
        erase_member(session, x, privacy_sections())
        session.commit()
    assert count(admin_bot, MentoringParticipant) == 1
    assert count(admin_bot, MentoringPair) == 0


KEYS = ("as", "domains", "capacity", "languages")
WORDS = st.text(st.characters(categories=("L", "N")), min_size=1, max_size=12)


@given(st.text(max_size=60))
@settings(max_examples=200, deadline=None)
def test_parse_options_never_crashes(text: str) -> None:
    try:
        _head, found = rules.parse_options(text, KEYS)
    except UsageError:
        return
    assert set(found) <= set(KEYS)


@given(
    st.lists(WORDS, min_size=1, max_size=3),
    st.dictionaries(st.sampled_from(KEYS), st.lists(WORDS, min_size=1, max_size=3)),
)
@settings(max_examples=200, deadline=None)
def test_parse_options_reads_back_what_was_written(
    name: list[str], options: dict[str, list[str]]
) -> None:
    text = " ".join([*name, *(f"{k}: {' '.join(v)}" for k, v in options.items())])
    head, found = rules.parse_options(text, KEYS)
    assert head == " ".join(name)
    assert found == {k: " ".join(v) for k, v in options.items()}


@given(st.text(max_size=20))
@settings(max_examples=200, deadline=None)
def test_parse_every_and_capacity(text: str) -> None:
    for parse, low, high in (
        (rules.parse_every, 1, rules.MAX_EVERY_WEEKS),
        (rules.parse_capacity, 1, rules.MAX_CAPACITY),
    ):
        try:
            value = parse(text)
        except ValueError:
            continue
        assert low <= value <= high


def test_parse_every_forms() -> None:
    assert rules.parse_every("2 weeks") == 2
    assert rules.parse_every("week") == 1
    assert rules.parse_every("3") == 3
    for bad in ("", "0 weeks", "-1", "fortnight", "53 weeks"):
        with pytest.raises(ValueError):
            rules.parse_every(bad)


def _round_in_a_process(url: str, at: str, barrier: Any, results: Any) -> None:
    """One bot process's scheduler tick, on its own engine (a spawned interpreter)."""
    from datetime import datetime

    from cop_bot.core.taxonomy import load_taxonomy
    from cop_bot.storage.db import make_engine

    engine = make_engine(url)
    outbox = RecordingOutbox()
    barrier.wait()
    report = run_due(engine, outbox, load_taxonomy(), datetime.fromisoformat(at))
    engine.dispose()
    results.put((report.rounds, sorted(m.handle for t in outbox.togethers for m in t.to)))


def test_two_processes_make_a_scheduled_round_once(admin_bot: Bot, db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("two processes writing at once: PostgreSQL")
    import multiprocessing

    for h in ("p0", "p1", "p2", "p3"):
        profile(admin_bot, h)
    admin_bot.send("/mentoring create Peers mode: peer every: 1 week")
    for h in ("p0", "p1", "p2", "p3"):
        admin_bot.send("/mentoring join peers domains: housing", as_=h)
    spawn = multiprocessing.get_context("spawn")
    barrier, results = spawn.Barrier(2), spawn.Queue()
    at = (NOW + timedelta(days=7, minutes=1)).isoformat()
    workers = [
        spawn.Process(target=_round_in_a_process, args=(db_url, at, barrier, results))
        for _ in range(2)
    ]
    for w in workers:
        w.start()
    got = [results.get(timeout=120) for _ in workers]
    for w in workers:
        w.join(timeout=60)
    assert sorted(len(rounds) for rounds, _handles in got) == [0, 1]  # one made it
    sent = sorted(h for _rounds, handles in got for h in handles)
    assert sent == ["p0", "p1", "p2", "p3"]  # each introduced once, by one process
    assert count(admin_bot, MentoringRound) == 1
    assert count(admin_bot, MentoringPair) == 2


def test_an_introduction_sent_meanwhile_is_not_taken_again(admin_bot: Bot) -> None:
    """A process that listed a pair as due, then finds it sent by another, leaves it."""
    from cop_bot.mentoring import jobs

    profile(admin_bot, "x")
    profile(admin_bot, "y")
    admin_bot.send("/mentoring create Peers mode: peer every: 1 week")
    admin_bot.send("/mentoring join peers domains: housing", as_="x")
    admin_bot.send("/mentoring join peers domains: housing", as_="y")
    engine, at = admin_bot.app.engine, NOW + timedelta(days=7, minutes=1)
    assert jobs.make_due_round(engine, 1, at) == 1
    (due,) = jobs._introductions_due(engine, at)  # listed by a slow process...
    assert len(run_due(engine, RecordingOutbox(), admin_bot.app.taxonomy, at).introduced) == 1
    assert not jobs._take(engine, due, at)  # ...which then finds it sent


def test_organisations_mode_pairs_a_mentor_city_with_an_implementing_city(admin_bot: Bot) -> None:
    for handle in ("lyon1", "lyon2"):
        profile(admin_bot, handle, organisation="Ville de Lyon", languages="fr", city="Lyon")
    for handle in ("tunis1", "tunis2"):
        profile(
            admin_bot, handle, organisation="Commune de Tunis", languages="fr, ar", city="Tunis"
        )
    profile(admin_bot, "rome1", organisation="Roma Capitale", languages="it, fr", city="Rome")
    profile(admin_bot, "nobody")
    admin_bot.send("/profile set organisation: -", as_="nobody")
    admin_bot.send("/mentoring create Cities mode: organisations")
    for handle in ("lyon1", "lyon2"):
        admin_bot.send("/mentoring join cities as: mentor domains: housing", as_=handle)
    for handle in ("tunis1", "tunis2", "rome1"):
        admin_bot.send("/mentoring join cities as: mentee domains: housing", as_=handle)
    assert "organisation" in admin_bot.send(
        "/mentoring join cities as: mentee domains: housing", as_="nobody"
    )
    result = admin_bot.reply("/mentoring match cities --json")
    round_ = result.data["round"]
    assert [(p["a"], p["b"]) for p in round_["pairs"]] == [("Ville de Lyon", "Commune de Tunis")]
    assert round_["pairs"][0]["why"] == "you both work on Housing, in French; Lyon ↔ Tunis"
    assert round_["unpaired"] == [
        {
            "handle": "rome1",
            "reason": matching.FEW_MEMBERS,
            "message": round_["unpaired"][0]["message"],
        }
    ]
    # every member of both organisations is in the one introduction, told both organisations
    outbox = RecordingOutbox()
    run_due(admin_bot.app.engine, outbox, admin_bot.app.taxonomy, NOW)
    (together,) = outbox.togethers
    assert sorted(m.handle for m in together.to) == ["lyon1", "lyon2", "tunis1", "tunis2"]
    assert together.title == "Cities: Ville de Lyon ↔ Commune de Tunis"
    assert "Commune de Tunis" in str(together.reply.blocks)
    view = admin_bot.reply("/mentoring cities", as_="tunis2").data["programme"]
    assert view["rounds"][0]["pairs"][0]["a"] == "Ville de Lyon"  # visible to the organisation


def test_a_scheduled_organisations_round_introduces_every_member(admin_bot: Bot) -> None:
    for handle, org in (("a1", "City A"), ("a2", "City A"), ("b1", "City B"), ("b2", "City B")):
        profile(admin_bot, handle, organisation=org)
    admin_bot.send("/mentoring create Cities mode: organisations every: 1 week")
    for handle in ("a1", "a2"):
        admin_bot.send("/mentoring join cities as: mentor", as_=handle)
    for handle in ("b1", "b2"):
        admin_bot.send("/mentoring join cities as: mentee domains: housing", as_=handle)
    outbox = RecordingOutbox()
    at = NOW + timedelta(days=7, minutes=1)
    report = run_due(admin_bot.app.engine, outbox, admin_bot.app.taxonomy, at)
    assert report.rounds == [("cities", 1)] and len(report.introduced) == 1
    (together,) = outbox.togethers  # one conversation with all four
    assert sorted(m.handle for m in together.to) == ["a1", "a2", "b1", "b2"]
    assert "City B" in str(together.reply.blocks)


def test_a_group_programme_is_for_its_members_and_coordinated_by_its_focal_points(
    admin_bot: Bot,
) -> None:
    profile(admin_bot, "focal")
    profile(admin_bot, "inside")
    profile(admin_bot, "outside")
    admin_bot.send("/group create Housing working group")
    admin_bot.send("/group focal housing-working-group focal")
    admin_bot.send("/group join housing-working-group", as_="inside")
    assert "no group" in admin_bot.send("/mentoring create X group: nope").lower()
    assert count(admin_bot, MentoringProgramme) == 0  # unknown group: nothing written
    created = admin_bot.reply(
        "/mentoring create WG peers mode: peer group: housing-working-group", as_="focal"
    )
    assert created.status is Status.OK and created.data["programme"]["group_id"] is not None
    assert "group" in admin_bot.send("/mentoring join wg-peers domains: housing", as_="outside")
    assert count(admin_bot, MentoringParticipant) == 0
    for handle in ("focal", "inside"):
        admin_bot.send("/mentoring join wg-peers domains: housing", as_=handle)
    assert count(admin_bot, MentoringParticipant) == 2
    made = admin_bot.reply("/mentoring match wg-peers --json", as_="focal")  # a focal point
    assert [(p["a"], p["b"]) for p in made.data["round"]["pairs"]] == [("focal", "inside")]


def test_the_console_shows_one_introduction_naming_everyone() -> None:
    """The console realises `Together` as one message naming every member; an outbox that
    cannot open a conversation for several people gets one direct message each instead."""
    import io

    from cop_bot.core.model import Conversation, Mention, Text, reply
    from cop_bot.core.outbox import ConsoleOutbox, send_together

    out = io.StringIO()
    where = Conversation("console", "local", "console")
    pair = (Mention("amina"), Mention("luca"))
    message = Together(where, pair, reply(Text.of("You are paired")), key="mentoring-pair:1")
    send_together(ConsoleOutbox(out), message)
    assert out.getvalue().count("You are paired") == 1
    assert "[✉ to @amina, @luca]" in out.getvalue()

    class DirectOnly:
        def __init__(self) -> None:
            self.directs: list[Direct] = []

        def post(self, message: object) -> None:
            raise AssertionError("nothing is posted")

        def direct(self, message: Direct) -> None:
            self.directs.append(message)

    plain = DirectOnly()
    send_together(plain, message)  # type: ignore[arg-type]
    assert [d.to.handle for d in plain.directs] == ["amina", "luca"]
