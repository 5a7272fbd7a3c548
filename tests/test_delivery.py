"""Delivery that tells the truth (issue 21, defect 6): when Slack refuses a scheduled post
(`{"ok": false, "error": "not_in_channel"}`), the digest run and the reminder are recorded as
refused, with the reason, not as sent; `/digest status` says what to do; a passing failure is
retried with the digests' backoff, for reminders too. Through the real bolt app, the real
outbox and jobs, and the Slack stand-in answering as Slack documents."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlmodel import select

from cop_bot.app import build_app
from cop_bot.core.clock import FixedClock
from cop_bot.core.model import Conversation, Outgoing, Text, reply
from cop_bot.core.outbox import NOT_IN_CHANNEL, DeliveryError, retry_wait
from cop_bot.digests.jobs import DigestReport, post_due_digests
from cop_bot.platforms.slack.bot import SlackBot
from cop_bot.platforms.slack.outbox import SlackOutbox
from cop_bot.sessions.reminders import ReminderReport, send_due_reminders
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import DigestRun, ReminderSent
from tests.conftest import NOW
from tests.slack_stand_in import ANSWER, TEAM_ID, Call, StandIn
from tests.test_slack import Slack, served, slack_settings

pytestmark = pytest.mark.slack
ADMIN = "U0ROOT"  # COP_BOT_ADMINS=u0root in the Slack tests
CHANNEL = "C0GENERAL"


@pytest.fixture
async def slack(db_url: str, stand_in: StandIn, clock: FixedClock) -> AsyncIterator[Slack]:
    """The bot's HTTP server and the Slack stand-in, on SQLite and PostgreSQL."""
    app = build_app(slack_settings(db_url, stand_in.api_url), clock=clock, migrate=False)
    async with served(SlackBot(app), stand_in) as served_slack:
        yield served_slack
    app.engine.dispose()


def _outbox(slack: Slack) -> SlackOutbox:
    slack.bot.loop = asyncio.get_running_loop()
    return SlackOutbox(slack.bot, timeout=5)


async def _answer(slack: Slack, command: str, text: str, key: str) -> str:
    await slack.command(command, text, user=ADMIN, key=key)

    def answered() -> list[Call]:
        return [a for a in slack.stand_in.of(ANSWER) if a.key == key]

    await slack.stand_in._until(lambda: bool(answered()), f"an answer to {command}", 5.0)
    return json.dumps(answered()[-1].args, ensure_ascii=False)


async def _digests(slack: Slack, outbox: SlackOutbox, minutes: float = 0) -> DigestReport:
    app = slack.bot.app
    now = NOW + timedelta(minutes=minutes)
    return await asyncio.to_thread(post_due_digests, app.engine, outbox, app.taxonomy, now)


def _runs(slack: Slack) -> list[tuple[str, int, str | None]]:
    with session_scope(slack.bot.app.engine) as session:
        return [(r.status, r.attempts, r.last_error) for r in session.exec(select(DigestRun))]


async def test_the_slack_outbox_raises_what_slack_refused(slack: Slack) -> None:
    outbox = _outbox(slack)
    message = Outgoing(Conversation("slack", TEAM_ID, CHANNEL), reply(Text.of("Weekly digest")))
    for refusals, error in (("outside", "not_in_channel"), ("archived", "archived")):
        getattr(slack.stand_in, refusals).add(CHANNEL)
        with pytest.raises(DeliveryError) as refused:
            await asyncio.to_thread(outbox.post, message)
        assert (refused.value.reason, refused.value.permanent) == (error, True)
        getattr(slack.stand_in, refusals).clear()
    slack.stand_in.fail["chat.postMessage"] = "internal_error"
    with pytest.raises(DeliveryError) as failed:
        await asyncio.to_thread(outbox.post, message)
    assert (failed.value.reason, failed.value.permanent) == ("internal_error", False)


async def test_a_refused_digest_is_recorded_as_refused_explained_and_not_retried(
    slack: Slack, clock: FixedClock
) -> None:
    await _answer(slack, "/digest", "on monday 09:00", "on")
    await _answer(slack, "/digest", "settings skip-empty: no", "settings")
    slack.stand_in.outside.add(CHANNEL)  # the bot was never invited to #general
    outbox = _outbox(slack)
    report = await _digests(slack, outbox)
    assert report.refused == [(CHANNEL, NOW.isoformat(), NOT_IN_CHANNEL)]
    assert report.sent == []
    assert _runs(slack) == [("refused", 1, NOT_IN_CHANNEL)]
    posts = len(slack.stand_in.of("chat.postMessage"))
    await _digests(slack, outbox, minutes=30)  # a refusal for good is not retried
    assert len(slack.stand_in.of("chat.postMessage")) == posts
    status = await _answer(slack, "/digest", "status", "status")
    assert "refused by the platform" in status
    assert "The last digest could not be posted." in status
    assert "The bot is not a member of this channel: invite it here" in status


async def test_a_failed_digest_is_retried_with_backoff_until_slack_takes_it(
    slack: Slack,
) -> None:
    await _answer(slack, "/digest", "on monday 09:00", "on")
    await _answer(slack, "/digest", "settings skip-empty: no", "settings")
    slack.stand_in.fail["chat.postMessage"] = "internal_error"
    outbox = _outbox(slack)
    assert (await _digests(slack, outbox)).failed
    assert _runs(slack) == [("failed", 1, "internal_error")]
    assert "failed, to be retried" in await _answer(slack, "/digest", "status", "status")
    del slack.stand_in.fail["chat.postMessage"]
    assert (await _digests(slack, outbox, minutes=1)).sent == []  # backing off
    assert (await _digests(slack, outbox, minutes=2)).sent
    assert [s for s, _, _ in _runs(slack)] == ["sent"]


async def _start_post(slack: Slack) -> None:
    """A session in #general starting an hour after NOW: its "starting now" post is due then."""
    answer = await _answer(slack, "/schedule-session", '"Clinic" 2026-11-23 10:00', "schedule")
    assert "Clinic" in answer


def _reminders(slack: Slack) -> list[tuple[str, str, int, str | None]]:
    with session_scope(slack.bot.app.engine) as session:
        rows = session.exec(select(ReminderSent).order_by(ReminderSent.kind)).all()
        return [(r.kind, r.status, r.attempts, r.last_error) for r in rows]


async def test_a_refused_reminder_is_recorded_and_shown_in_digest_status(slack: Slack) -> None:
    await _start_post(slack)
    slack.stand_in.outside.add(CHANNEL)
    outbox, engine = _outbox(slack), slack.bot.app.engine
    start = NOW + timedelta(hours=1)
    report = await asyncio.to_thread(send_due_reminders, engine, outbox, start)
    assert [d.kind for d in report.refused] == ["start"] and report.sent == []
    assert ("start", "refused", 1, NOT_IN_CHANNEL) in _reminders(slack)
    later = start + timedelta(minutes=5)
    assert (await asyncio.to_thread(send_due_reminders, engine, outbox, later)).refused == []
    status = await _answer(slack, "/digest", "status", "status")
    assert "The last “starting now” post of session #1 could not be posted here." in status
    assert "invite it here" in status


async def test_a_failed_reminder_is_retried_with_the_digests_backoff(slack: Slack) -> None:
    await _start_post(slack)
    slack.stand_in.fail["chat.postMessage"] = "internal_error"
    outbox, engine = _outbox(slack), slack.bot.app.engine
    start = NOW + timedelta(hours=1)

    async def at(minutes: float) -> ReminderReport:
        when = start + timedelta(minutes=minutes)
        return await asyncio.to_thread(send_due_reminders, engine, outbox, when)

    assert [d.kind for d in (await at(0)).failed] == ["start"]
    assert ("start", "failed", 1, "internal_error") in _reminders(slack)
    del slack.stand_in.fail["chat.postMessage"]
    assert retry_wait(1) == timedelta(minutes=2)
    assert (await at(1)).sent == []  # backing off, as digests do
    assert [d.kind for d in (await at(2)).sent] == ["start"]
    assert ("start", "sent", 1, "internal_error") in _reminders(slack)
    assert (await at(10)).sent == []  # and only once
    starting = [
        c for c in slack.stand_in.of("chat.postMessage") if "Starting now" in str(c.args["text"])
    ]
    assert len(starting) == 2  # the failed try and the one Slack took


async def test_the_outbox_of_jobs_run_outside_the_bot_raises_too(slack: Slack) -> None:
    """`cop-bot digest run-due` posts with the blocking client (`SlackWebOutbox`)."""
    from cop_bot.platforms.slack.outbox import make_outbox

    outbox = make_outbox(slack.bot.app)
    message = Outgoing(Conversation("slack", TEAM_ID, CHANNEL), reply(Text.of("Weekly digest")))
    slack.stand_in.deleted.add(CHANNEL)
    with pytest.raises(DeliveryError) as refused:
        await asyncio.to_thread(outbox.post, message)
    assert (refused.value.reason, refused.value.permanent) == ("channel_not_found", True)
    slack.stand_in.deleted.clear()
    await asyncio.to_thread(outbox.post, message)
    assert slack.stand_in.of("chat.postMessage")[-1].args["channel"] == CHANNEL
