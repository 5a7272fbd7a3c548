"""The Slack endpoint under hostile input (issue 21, defects 1 and 2): the signature is checked
before anything else (401), a signed but malformed body is refused (400), each refusal is one
log line without the body, rate-limited, and nothing ever gives a 500 or writes a row.

Requests go over real HTTP to the real bolt app (tests/test_slack.py's `slack` fixture), signed
as Slack signs them; Hypothesis makes the hostile ones, signed and unsigned.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, inspect, text

from cop_bot.platforms.common import LogLimit
from cop_bot.platforms.slack import inbound
from cop_bot.platforms.slack.bot import REFUSALS_PER_MINUTE
from tests.slack_stand_in import ANSWER, TEAM_ID
from tests.test_slack import SECRET, Slack, slack, slash_command, texts
from tests.test_slack_socket_mode import SocketBot, socket_bot

__all__ = ["slack", "socket_bot"]  # the fixtures, used by name

pytestmark = pytest.mark.slack

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
# The bodies the hostile test of issue 21 sent, which gave HTTP 500 with a traceback.
MALFORMED = {
    "truncated JSON": (JSON, b'{"type": '),
    "a JSON array": (JSON, b"[1,2]"),
    "a payload that is not JSON": (FORM, b"payload=%7Bnot-json"),
    "a payload that is a JSON array": (FORM, b"payload=%5B1%5D"),
    "bytes that are not UTF-8": (FORM, b"\xff\xfe"),
}


def signed(body: bytes, *, ts: str | None = None, secret: str = SECRET) -> dict[str, str]:
    """Slack's headers for raw bytes: v0 HMAC-SHA256 over b"v0:{ts}:" + body."""
    stamp = ts if ts is not None else str(int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest.hexdigest()}"}


def rows(engine: Engine) -> int:
    """Every row in every table but Alembic's: what a refused request must leave unchanged."""
    with engine.connect() as conn:
        names = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
        return sum(
            int(conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()) for t in names
        )


async def post(slack: Slack, body: bytes, content_type: str, headers: dict[str, str]) -> int:
    """POST raw bytes to /slack/events; the status, once the work after the ack is done."""
    async with slack.http.post(
        f"{slack.url}/slack/events",
        data=body,
        headers={"Content-Type": content_type, **headers},
    ) as response:
        await response.read()
        status = response.status
    await slack.bot.tasks.wait(5.0)
    return status


def refusals(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "refused a request" in r.getMessage()]


# ---- defect 1: signature first, then the body's shape ---------------------------------------------


async def test_unsigned_malformed_requests_are_refused_with_401(
    slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    before = rows(slack.bot.app.engine)
    for name, (content_type, body) in MALFORMED.items():
        assert await post(slack, body, content_type, {}) == 401, name
    wrong = signed(b"[1,2]", secret="not-the-secret")
    assert await post(slack, b"[1,2]", JSON, wrong) == 401
    assert await post(slack, b"[1,2]", JSON, signed(b"[1,2]", ts="abc")) == 401
    assert (
        await post(slack, b"[1,2]", JSON, {**signed(b"[1,2]"), "X-Slack-Signature": "v0=é"}) == 401
    )
    assert rows(slack.bot.app.engine) == before
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "Traceback" not in caplog.text


async def test_signed_malformed_bodies_get_400_and_one_log_line_without_the_body(
    slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    before = rows(slack.bot.app.engine)
    for name, (content_type, body) in MALFORMED.items():
        caplog.clear()
        assert await post(slack, body, content_type, signed(body)) == 400, name
        [line] = refusals(caplog)
        message = line.getMessage()
        assert "\n" not in message and line.exc_info is None, name
        assert body.decode(errors="replace") not in message, name
        assert f"{len(body)} bytes" in message and "127.0.0.1" in message, name
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], name
    assert rows(slack.bot.app.engine) == before
    assert slack.stand_in.of(ANSWER) == []


async def test_a_signed_slash_command_without_user_id_is_refused_without_a_key_error(
    slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    before = rows(slack.bot.app.engine)
    payload = slash_command("/ask", "housing: where?", "U0ANN", slack.stand_in.response_url())
    del payload["user_id"]
    body = urlencode(payload).encode()
    assert await post(slack, body, FORM, signed(body)) == 400
    [line] = refusals(caplog)
    assert "user_id" in line.getMessage()
    assert "KeyError" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert rows(slack.bot.app.engine) == before
    assert slack.stand_in.of(ANSWER) == []


async def test_a_malformed_signed_body_is_told_why_and_url_verification_still_works(
    slack: Slack,
) -> None:
    body = b'{"type": "event_callback", "event_id": "Ev1", "team_id": "T1", "event": []}'
    async with slack.http.post(
        f"{slack.url}/slack/events", data=body, headers={"Content-Type": JSON, **signed(body)}
    ) as response:
        assert response.status == 400
        assert await response.json() == {
            "error": "bad request",
            "reason": "event is not an object in the body",
        }
    body = json.dumps({"type": "url_verification", "token": "t", "challenge": "c0ffee"}).encode()
    async with slack.http.post(
        f"{slack.url}/slack/events", data=body, headers={"Content-Type": JSON, **signed(body)}
    ) as response:
        assert response.status == 200
        assert (await response.json())["challenge"] == "c0ffee"


async def test_a_command_whose_text_says_payload_is_still_answered(slack: Slack) -> None:
    # bolt takes any form body containing "payload" for an interaction and drops the rest
    status, body, _ = await slack.command("/find-expert", "payload housing")
    assert status == 200
    assert json.loads(body)["response_type"] == "ephemeral"
    assert "payload housing" in texts(json.loads(body)["blocks"])


async def test_a_socket_mode_slash_command_without_user_id_is_refused_without_a_key_error(
    socket_bot: SocketBot, caplog: pytest.LogCaptureFixture
) -> None:
    stand_in = socket_bot.stand_in
    payload: dict[str, Any] = slash_command("/ask", "housing: where?", "U0ANN", "")
    del payload["user_id"]
    envelope_id = await stand_in.push("slash_commands", payload)
    await stand_in.acked(envelope_id)
    assert await socket_bot.shutdown() == 0
    assert "refused a Socket Mode request: user_id is missing" in caplog.text
    assert "KeyError" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert stand_in.of(ANSWER) == []
    with socket_bot.app.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM member")).scalar_one() == 0


# ---- defect 2: a flood of refused requests does not flood the log ---------------------------------


async def test_a_flood_of_refused_requests_is_logged_one_short_line_each_and_rate_limited(
    slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    slack.bot.refusals.clock = lambda: 0.0  # the whole flood within one minute
    big = b"x" * 1_000_000  # about 1 MB each, unsigned, as in the hostile test
    for _ in range(20):
        assert await post(slack, big, FORM, {}) == 401
    forged = signed(big, secret="not-the-secret")
    for _ in range(5):
        assert await post(slack, big, FORM, forged) == 401
    lines = refusals(caplog)
    assert len(lines) == REFUSALS_PER_MINUTE
    assert all("\n" not in r.getMessage() and "127.0.0.1" in r.getMessage() for r in lines)
    assert "it has no Slack signature headers" in lines[0].getMessage()
    assert len(caplog.text) < 3_000  # not 25 MB
    slack.bot.refusals.clock = lambda: 61.0  # a minute later: the rest is counted, once
    assert await post(slack, big, FORM, forged) == 401
    assert "15 more requests were refused in the last minute" in caplog.text
    assert "its signature does not match" in refusals(caplog)[-1].getMessage()
    assert f"{len(big)} bytes" in refusals(caplog)[-1].getMessage()


async def test_a_refusal_names_the_client_a_proxy_forwards_for_but_nothing_else(
    slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    assert await post(slack, b"x", FORM, {"X-Forwarded-For": "203.0.113.9, 10.0.0.1"}) == 401
    assert "from 127.0.0.1, forwarded for 203.0.113.9 (1 byte, HTTP 401)" in caplog.text
    caplog.clear()
    assert await post(slack, b"x", FORM, {"X-Forwarded-For": "<!channel> 1.2.3.4"}) == 401
    [line] = refusals(caplog)
    assert "from 127.0.0.1 (1 byte, HTTP 401)" in line.getMessage()
    assert "channel" not in line.getMessage()


def test_the_log_limit_holds_back_lines_past_the_burst_and_counts_them() -> None:
    now = [0.0]
    limit = LogLimit(3, 60.0, clock=lambda: now[0])
    assert [limit.allow() for _ in range(5)] == [(True, 0)] * 3 + [(False, 0)] * 2
    now[0] = 59.9
    assert limit.allow() == (False, 0)
    now[0] = 60.0
    assert limit.allow() == (True, 3)  # the three held back, said once
    assert limit.allow() == (True, 0)


# ---- Hypothesis: hostile requests, signed and unsigned ------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
# Keys bolt and the listeners read, at the top and one level down: where a wrong type trips.
KEYS = [
    "type", "command", "user_id", "team_id", "channel_id", "text", "response_url", "response_urls",
    "trigger_id", "user", "team", "channel", "enterprise", "enterprise_id", "event", "event_id",
    "authorizations", "actions", "view", "message", "previous_message", "item", "callback_id",
    "action_id", "is_ext_shared_channel", "thread_ts", "ssl_check", "challenge", "token",
    "function_data", "function_execution_id", "assistant_thread", "container", "state", "values",
    "value", "id", "tab", "private_metadata", "block_id", "user_team",
]  # fmt: skip


def valid_payloads(response_url: str) -> list[tuple[str, dict[str, Any]]]:
    """One request of each kind the bot handles, as Slack sends it."""
    user = {"id": "U0FUZZ", "username": "fuzz", "team_id": TEAM_ID}
    action = {"type": "button", "action_id": "cop_cmd_1", "block_id": "b", "value": "/help"}
    view = {
        "id": "V0",
        "type": "modal",
        "callback_id": "cop_form:share-practice",
        "private_metadata": json.dumps({"team": TEAM_ID, "channel": "C0GENERAL"}),
        "state": {"values": {"title": {"value": {"type": "plain_text_input", "value": "t"}}}},
    }
    event = {"type": "app_home_opened", "user": "U0FUZZ", "channel": "D0FUZZ", "tab": "home"}
    return [
        ("command", slash_command("/help", "", "U0FUZZ", response_url)),
        (
            "payload",
            {
                "type": "block_actions",
                "user": user,
                "team": {"id": TEAM_ID},
                "channel": {"id": "C0GENERAL"},
                "response_url": response_url,
                "actions": [action],
            },
        ),
        (
            "payload",
            {"type": "view_submission", "user": user, "team": {"id": TEAM_ID}, "view": view},
        ),
        (
            "event",
            {
                "type": "event_callback",
                "team_id": TEAM_ID,
                "event_id": "Ev0FUZZ",
                "event": event,
                "authorizations": [{"team_id": TEAM_ID, "user_id": "U0BOT", "is_bot": True}],
            },
        ),
    ]


@st.composite
def mutated(draw: st.DrawFn, response_url: str) -> tuple[str, bytes]:
    """A valid request with one to three keys, at the top or one level down, deleted or given
    any JSON value: near misses, which get past a naive check and into bolt."""
    kind, payload = draw(st.sampled_from(valid_payloads(response_url)))
    payload = json.loads(json.dumps(payload))
    for _ in range(draw(st.integers(1, 3))):
        target = payload
        nested = [k for k, v in payload.items() if isinstance(v, dict | list) and v]
        go_deeper: bool = draw(st.booleans())
        if nested and go_deeper:
            inner = payload[draw(st.sampled_from(sorted(nested)))]
            if isinstance(inner, list):
                inner = inner[0]
            if isinstance(inner, dict):
                target = inner
        key = draw(st.sampled_from(sorted({*target, *KEYS})))
        if key in target and draw(st.booleans()):
            del target[key]
        else:
            target[key] = draw(JSON_VALUES)
    if kind == "command":  # a form: every value is text
        form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in payload.items()}
        return FORM, urlencode(form).encode()
    if kind == "payload":
        return FORM, urlencode({"payload": json.dumps(payload)}).encode()
    return JSON, json.dumps(payload).encode()


def hostile_bodies(response_url: str) -> st.SearchStrategy[tuple[str, bytes]]:
    content_type = st.sampled_from([FORM, JSON, "text/plain", "application/json; charset=latin-1"])
    return st.one_of(
        mutated(response_url),
        st.tuples(content_type, st.binary(max_size=200)),
        st.tuples(content_type, JSON_VALUES.map(lambda v: json.dumps(v).encode())),
        st.tuples(
            st.just(FORM),
            st.dictionaries(st.sampled_from(KEYS), st.text(max_size=20), max_size=5).map(
                lambda d: urlencode(d).encode()
            ),
        ),
        st.tuples(
            st.just(FORM),
            JSON_VALUES.map(lambda v: urlencode({"payload": json.dumps(v)}).encode()),
        ),
    )


FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@FUZZ
@given(data=st.data())
async def test_hostile_unsigned_requests_get_401_and_write_nothing(
    slack: Slack, data: st.DataObject
) -> None:
    content_type, body = data.draw(hostile_bodies(slack.stand_in.response_url("fuzz")))
    headers = data.draw(
        st.one_of(
            st.just({}),
            st.builds(
                lambda ts, sig: {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig},
                st.one_of(st.just(str(int(time.time()))), st.text(max_size=12)),
                st.one_of(st.just("v0=" + "0" * 64), st.text(max_size=70)),
            ),
            st.just(signed(body, secret="not-the-secret")),
            st.just(signed(body, ts=str(int(time.time()) - 400))),
        ).map(lambda h: {k: v for k, v in h.items() if v.isprintable() and v.isascii()})
    )
    before = rows(slack.bot.app.engine)
    assert await post(slack, body, content_type, headers) == 401
    assert rows(slack.bot.app.engine) == before


@FUZZ
@given(data=st.data())
async def test_hostile_signed_requests_never_give_500_nor_write_a_row_when_refused(
    slack: Slack, data: st.DataObject, caplog: pytest.LogCaptureFixture
) -> None:
    content_type, body = data.draw(hostile_bodies(slack.stand_in.response_url("fuzz")))
    before = rows(slack.bot.app.engine)
    caplog.clear()
    status = await post(slack, body, content_type, signed(body))
    event(f"HTTP {status}")
    assert status < 500, body
    if status != 200:
        assert rows(slack.bot.app.engine) == before, body
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, (body, errors[0].getMessage(), errors[0].exc_info)


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "1000")), deadline=None)
@given(request=hostile_bodies("https://hooks.slack.com/commands/T0/1/x"))
def test_the_body_check_refuses_or_passes_but_never_raises_anything_else(
    request: tuple[str, bytes],
) -> None:
    content_type, body = request
    try:
        kind = inbound.kind_of(inbound.parse(body, content_type))
    except inbound.Refused as refused:
        assert refused.status == 400
        assert refused.reason and "\n" not in refused.reason
    else:
        assert isinstance(kind, inbound.Kind)


async def test_a_signed_submission_of_a_view_without_its_type_is_refused_not_a_crash(
    slack: Slack,
) -> None:
    """Found by the fuzzer: bolt reads `view.type` of every submission, so a view without one
    raised KeyError inside bolt (HTTP 500). Slack always sends it; its absence is a bad body."""
    payload = {
        "type": "view_submission",
        "user": {"id": "U0FUZZ", "username": "fuzz"},
        "team": {"id": TEAM_ID},
        "view": {"state": {"values": {}}},
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    before = rows(slack.bot.app.engine)
    status = await post(slack, body, "application/x-www-form-urlencoded", signed(body))
    assert status == 400
    assert rows(slack.bot.app.engine) == before
