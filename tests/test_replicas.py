"""Two `cop-bot run` replicas behind a real HAProxy, on one PostgreSQL database, with Slack's
stand-in: about 2,000 signed commands, clicks and events at concurrency 16, with Slack-style
retries and replays, one replica killed with SIGKILL half-way through (the scheduler's leader)
and restarted. Then: every acknowledged command is stored exactly once, events act once,
reminders and digests due during the run go out exactly once, and the scheduler fails over
within a minute.

The whole run happens once (`run`, about a minute); each test checks one promise about it.
Timings are never asserted: waits have deadlines, and the outcome is what counts.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import text, update
from sqlmodel import col, select

from cop_bot.app import App, build_app
from cop_bot.config import Settings
from cop_bot.core.model import Actor, Conversation, Invocation
from cop_bot.storage.db import session_scope
from cop_bot.storage.leader import SCHEDULER, leader_lock
from cop_bot.storage.models import Community, DigestSubscription, Meeting, Member
from tests.conftest import PG_URL, SKIP_PG
from tests.replicas import (
    FORM,
    HAPROXY,
    HAProxy,
    Replica,
    Request,
    button_click,
    deliver,
    event_callback,
    free_port,
    fresh_postgres,
    sign,
    slash_command,
)
from tests.slack_stand_in import TEAM_ID, StandIn

pytestmark = [
    pytest.mark.slack,
    pytest.mark.postgres,
    pytest.mark.replicas,
    pytest.mark.skipif(SKIP_PG, reason="COP_BOT_SKIP_POSTGRES is set"),
    pytest.mark.skipif(
        HAPROXY is None, reason="haproxy is not installed (apt-get install haproxy; .ci/run does)"
    ),
]

CONCURRENCY = 16
MEMBERS = 500  # U00001..U00500 exist before the run; events come from the last 300
EVENTS = 300
CLICKS = 100
NEW_PAIRS = 40  # members the bot has never seen, each sending two commands at once
COMMANDS = 1_270
REPLAYED_COMMANDS = 120
KILL_WINDOW = 10.0  # work acked this shortly before a SIGKILL may die with the process
DEADLINE = 60.0  # failover, and every delivery that is still owed
POST = "chat.postMessage"


def user(i: int) -> str:
    return f"U{i:05d}"


@dataclass
class Outcome:
    requests: list[Request]
    stored: Counter[str]  # question text -> rows
    published: Counter[str]  # App Home views.publish per user
    posts: Counter[str]  # chat.postMessage per channel
    answered: set[str]  # response_url keys answered
    killed: str  # the replica killed (it led the scheduler)
    killed_at: float
    failed_over: bool  # the other replica led within DEADLINE of the kill
    restarted_role: str | None  # what the restarted replica said it was
    response_keys: dict[int, str] = field(default_factory=dict)  # id(request) -> response key

    def describe(self, request: Request) -> str:
        """Each delivery: status, replica, seconds from the kill, latency, start of the body."""
        return f"{request.key} ({self.killed} killed): " + ", ".join(
            f"{s.status} by {s.served_by or '-'} at {s.at - self.killed_at:+.2f}s "
            f"in {s.latency:.2f}s {s.body[:40]!r}"
            for s in request.sent
        )

    def lost_with_the_kill(self, request: Request) -> bool:
        """Acked by the killed replica just before it died: its work after the ack died too.
        A delivery sent before the kill counts even when its ack was read after `killed_at`:
        the ack came from the replica before it died, and the test's loop reads it late (the
        kill and its wait hold the loop, and loopback buffers the bytes)."""
        return any(
            s.status == 200
            and s.served_by == self.killed
            and s.at <= self.killed_at
            and s.at + s.latency >= self.killed_at - KILL_WINDOW
            for s in request.sent
        )

    def effective(self, request: Request) -> bool:
        """The member saw the command's answer: in the ack, or later at its response_url."""
        in_ack = any(s.status == 200 and s.body for s in request.sent)
        return in_ack or self.response_keys.get(id(request)) in self.answered


# ---- the run -------------------------------------------------------------------------------------


def seed(app: App) -> None:
    """Members, a digest that fell due two minutes ago in #digest, nothing else."""
    admin = Actor(handle="u0admin", platform_user_id="U0ADMIN")
    digest = Conversation("slack", TEAM_ID, "C0DIGEST")
    for line in ("on monday 09:00 tz UTC", "settings skip-empty: no"):
        reply = app.router.dispatch(
            Invocation("digest", line, admin, digest, raw=f"/digest {line}")
        )
        assert reply.ok, reply
    now = datetime.now(UTC)
    due = (now - timedelta(minutes=2)).replace(second=0, microsecond=0)
    with session_scope(app.engine) as session:
        community = session.exec(select(Community)).one()
        assert community.id is not None
        community.asks_per_day = 100  # each member asks about ten questions in the run
        session.add(community)
        session.execute(
            update(DigestSubscription).values(
                weekday=due.weekday(),
                minute_of_day=due.hour * 60 + due.minute,
                created_at=now - timedelta(days=2),
            )
        )
        session.add_all(
            Member(
                community_id=community.id,
                handle=user(i).lower(),
                display_name=f"Member {user(i)}",
                platform_user_id=user(i),
                created_at=now,
                updated_at=now,
            )
            for i in range(1, MEMBERS + 1)
        )


def schedule(app: App, channel: str, starts_in: float) -> None:
    """A one-off session in `channel` starting `starts_in` seconds from now: its "starting
    now" reminder falls due then."""
    admin = Actor(handle="u0admin", platform_user_id="U0ADMIN")
    where = Conversation("slack", TEAM_ID, channel)
    line = f'"Session in {channel}" tomorrow 15:00'
    reply = app.router.dispatch(Invocation("schedule-session", line, admin, where, raw=line))
    assert reply.ok, reply
    starts = datetime.now(UTC) + timedelta(seconds=starts_in)
    with session_scope(app.engine) as session:
        session.execute(
            update(Meeting).where(col(Meeting.channel_id) == channel).values(starts_at=starts)
        )


def requests(stand_in: StandIn, keys: dict[int, str]) -> list[Request]:
    """The load, in the order sent: new members' pairs first (their two commands race), then
    commands, clicks and events shuffled."""

    def command(text: str, who: str, *, replay: bool = False) -> Request:
        key = f"r{len(keys)}"
        body = slash_command("/ask", f"housing: {text}", who, stand_in.response_url(key))
        made = Request("command", text, body, FORM, who, replay=replay)
        keys[id(made)] = key
        return made

    def click(n: int) -> Request:
        key, who = f"c{n}", user(1 + n % 200)
        body = button_click(f"/ask housing: Click {n}?", who, stand_in.response_url(key))
        made = Request("click", f"Click {n}?", body, FORM, who, replay=n % 2 == 0)
        keys[id(made)] = key
        return made

    def event(n: int) -> Request:
        who, event_id = user(MEMBERS - EVENTS + 1 + n), f"Ev{n:05d}"
        home = {"type": "app_home_opened", "user": who, "channel": f"D{who[1:]}", "tab": "home"}
        body = event_callback(home, event_id)
        return Request("event", event_id, body, "application/json", who, retry=n % 5 == 0)

    first = [
        command(f"New member {n}, {which}?", f"UN{n:04d}")
        for n in range(NEW_PAIRS)
        for which in ("first", "second")
    ]
    rest = [
        *(
            command(f"Question {n}?", user(1 + n % 200), replay=n < REPLAYED_COMMANDS)
            for n in range(COMMANDS)
        ),
        *(click(n) for n in range(CLICKS)),
        *(event(n) for n in range(EVENTS)),
    ]
    random.Random(21).shuffle(rest)
    return first + rest


async def fire(url: str, load: list[Request]) -> None:
    """Send everything at `CONCURRENCY`, as Slack would: a replay is the same signed request
    again, after the first; an event is redelivered (signed anew, with `X-Slack-Retry-Num`)
    when its delivery failed, up to 3 times, and once for some whose ack Slack "did not see"."""
    queue: asyncio.Queue[tuple[Request, dict[str, str]]] = asyncio.Queue()
    for request in load:
        request.headers = sign(request.body)
        queue.put_nowait((request, request.headers))

    async def worker(http: aiohttp.ClientSession) -> None:
        while True:
            request, headers = await queue.get()
            try:
                sent = await deliver(http, url, request, headers)
                tries = len(request.sent)
                if request.replay and tries == 1:
                    queue.put_nowait((request, request.headers))  # byte for byte
                lost_ack = request.retry and tries == 1 and sent.status == 200
                if request.kind == "event" and ((sent.status != 200 and tries < 4) or lost_ack):
                    again = {
                        **sign(request.body),
                        "X-Slack-Retry-Num": str(tries),
                        "X-Slack-Retry-Reason": "http_timeout" if lost_ack else "http_error",
                    }
                    queue.put_nowait((request, again))
            finally:
                queue.task_done()

    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as http:
        workers = [asyncio.ensure_future(worker(http)) for _ in range(CONCURRENCY)]
        await queue.join()
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


async def until(condition: Callable[[], Awaitable[bool]], seconds: float) -> bool:
    """Whether `condition` came true within `seconds` (a deadline, not a measurement)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await condition():
            return True
        await asyncio.sleep(0.1)
    return False


async def scenario(database_url: str, folder: Path) -> Outcome:
    stand_in = await StandIn().start()
    seeder = build_app(Settings(database_url=database_url, admins=("u0admin",)), migrate=True)
    replicas = [Replica.make(n, database_url, stand_in.api_url, folder) for n in ("bot1", "bot2")]
    proxy = HAProxy(folder, free_port(), [(r.name, r.port) for r in replicas])
    try:
        await asyncio.to_thread(seed, seeder)
        # The test holds the scheduler lock while the replicas start: both stand by, and the
        # session below exists before either of them looks for reminders.
        held = leader_lock(seeder.engine, SCHEDULER)
        assert held.acquire()
        for r in replicas:
            r.start()
        proxy.start()
        async with aiohttp.ClientSession() as http:

            async def role(replica: Replica) -> str | None:
                found = await replica.health(http)
                return None if found is None else found.get("scheduler")

            async def leader() -> Replica | None:
                for r in replicas:
                    if await role(r) == "leader":
                        return r
                return None

            for r in replicas:
                await r.healthy(http)
            await proxy.serving(http)
            assert await until(lambda: _all(role(r) for r in replicas), DEADLINE), (
                "the replicas did not stand by"
            )
            await asyncio.to_thread(schedule, seeder, "C0REMINDA", 3.0)
            held.release()

            keys: dict[int, str] = {}
            load = requests(stand_in, keys)
            firing = asyncio.ensure_future(fire(f"{proxy.url}/slack/events", load))

            async def half_sent_and_reminded() -> bool:
                sent = sum(len(r.sent) for r in load)
                posted = "C0REMINDA" in {c.args.get("channel") for c in stand_in.of(POST)}
                return sent >= len(load) // 2 and posted and await leader() is not None

            assert await until(half_sent_and_reminded, DEADLINE), "no leader, or nothing sent"
            first_leader = await leader()
            assert first_leader is not None
            # falls due 15 s from now: only the next leader can send it
            await asyncio.to_thread(schedule, seeder, "C0REMINDB", 15.0)
            await asyncio.to_thread(first_leader.kill)  # the loop keeps reading acks
            killed_at = time.monotonic()
            survivor = next(r for r in replicas if r is not first_leader)

            async def survivor_leads() -> bool:
                return await role(survivor) == "leader"

            failed_over = await until(survivor_leads, DEADLINE)
            first_leader.start()
            await first_leader.healthy(http)

            async def restarted_knows() -> bool:
                return await role(first_leader) in {"leader", "standby"}

            await until(restarted_knows, DEADLINE)
            restarted_role = await role(first_leader)
            await firing

            def owed() -> int:
                """Answers still to come at response_url, App Homes still to publish, and
                reminder B."""
                answered = {c.key for c in stand_in.of("response_url")}
                posted = {c.args.get("channel") for c in stand_in.of(POST)}
                missing = [
                    r
                    for r in load
                    if r.kind != "event"
                    and any(
                        s.status == 200
                        and not s.body
                        and not (s.served_by == first_leader.name and s.at < killed_at)
                        for s in r.sent
                    )
                    and keys[id(r)] not in answered
                ]
                published = {c.args.get("user_id") for c in stand_in.of("views.publish")}
                unpublished = [
                    r
                    for r in load
                    if r.kind == "event"
                    and r.acked
                    and not any(
                        s.status == 200 and s.served_by == first_leader.name and s.at <= killed_at
                        for s in r.sent
                    )
                    and r.user not in published
                ]
                return len(missing) + len(unpublished) + ("C0REMINDB" not in posted)

            async def nothing_owed() -> bool:
                return owed() == 0

            await until(nothing_owed, DEADLINE)
            await asyncio.sleep(1.0)  # room for anything sent twice to arrive too

        with seeder.engine.connect() as conn:
            rows = conn.execute(text("SELECT text, count(*) FROM question GROUP BY text")).all()
        return Outcome(
            requests=load,
            stored=Counter({str(t): int(n) for t, n in rows}),
            published=Counter(str(c.args.get("user_id")) for c in stand_in.of("views.publish")),
            posts=Counter(str(c.args.get("channel")) for c in stand_in.of(POST)),
            answered={str(c.key) for c in stand_in.of("response_url")},
            killed=first_leader.name,
            killed_at=killed_at,
            failed_over=failed_over,
            restarted_role=restarted_role,
            response_keys=keys,
        )
    finally:
        for r in replicas:
            r.stop()
        proxy.stop()
        await stand_in.stop()
        seeder.engine.dispose()


async def _all(roles: Iterable[Awaitable[str | None]]) -> bool:
    return all([await r == "standby" for r in roles])


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcome]:
    folder = tmp_path_factory.mktemp("replicas")
    with fresh_postgres(PG_URL) as database_url:
        yield asyncio.run(scenario(database_url, folder))


# ---- what must hold ------------------------------------------------------------------------------


def commands(run: Outcome) -> list[Request]:
    return [
        r for r in run.requests if r.kind in {"command", "click"} and not r.user.startswith("UN")
    ]


def test_every_acknowledged_command_is_stored_exactly_once(run: Outcome) -> None:
    wrong = []
    for r in commands(run):
        count = run.stored[r.key]
        if not r.replay and count > 1:
            wrong.append(f"stored twice: {run.describe(r)}")
        elif r.acked and run.effective(r) and count == 0:
            wrong.append(f"answered and not stored: {run.describe(r)}")
        elif r.acked and count == 0 and not run.lost_with_the_kill(r):
            wrong.append(f"acked and lost: {run.describe(r)}")
    assert wrong == []
    assert sum(1 for r in commands(run) if r.acked) > 0.9 * len(commands(run))


def test_events_delivered_once_act_once(run: Outcome) -> None:
    once = [r for r in run.requests if r.kind == "event" and len(r.sent) == 1 and r.acked]
    assert len(once) > 0.5 * EVENTS
    assert [run.describe(r) for r in once if run.published[r.user] > 1] == []
    assert [
        run.describe(r)
        for r in once
        if run.published[r.user] == 0 and not run.lost_with_the_kill(r)
    ] == []


def test_reminders_and_digests_due_during_the_run_go_out_exactly_once(run: Outcome) -> None:
    """The digest fell due before the run and reminder A at its start (the first leader sends
    both); reminder B falls due after the leader was killed (only the next leader can send it)."""
    assert {c: run.posts[c] for c in ("C0DIGEST", "C0REMINDA", "C0REMINDB")} == {
        "C0DIGEST": 1,
        "C0REMINDA": 1,
        "C0REMINDB": 1,
    }


def test_the_scheduler_fails_over_within_a_minute_and_the_restarted_replica_stands_by(
    run: Outcome,
) -> None:
    assert run.failed_over
    assert run.restarted_role == "standby"


def test_the_load_balancer_kept_answering_through_the_kill(run: Outcome) -> None:
    """No answer is ever a 500; a failed delivery happens only around the kill."""
    sent = [(r, s) for r in run.requests for s in r.sent]
    assert [
        run.describe(r) for r, s in sent if s.status >= 500 and s.status not in {502, 503}
    ] == []
    failed = [(r, s) for r, s in sent if s.status != 200]
    around = [  # in flight at the kill (a slow one started earlier), or sent soon after it
        (r, s)
        for r, s in failed
        if s.at + s.latency >= run.killed_at - 1 and s.at <= run.killed_at + 15
    ]
    assert [run.describe(r) for r, s in failed if (r, s) not in around] == []


# ---- what needs the database-wide dedupe (defect 3) and the member upsert (defect 4) ------------


def test_a_replayed_command_or_click_acts_once(run: Outcome) -> None:
    replayed = [r for r in commands(run) if r.replay]
    assert [r.key for r in replayed if run.stored[r.key] != 1 and r.acked] == []


def test_a_retried_event_acts_once_whichever_replica_gets_it(run: Outcome) -> None:
    retried = [r for r in run.requests if r.kind == "event" and len(r.sent) > 1]
    assert retried
    assert [r.key for r in retried if run.published[r.user] > 1] == []


def test_a_new_members_first_two_commands_both_succeed(run: Outcome) -> None:
    new = [r for r in run.requests if r.user.startswith("UN")]
    assert [r.key for r in new if r.acked and run.stored[r.key] != 1] == []
    assert [r.key for r in new if run.stored[r.key] > 1] == []
