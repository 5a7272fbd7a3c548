"""Slack's HTTP requests, checked before bolt sees them: the signature first, then the body.

bolt parses a body before it checks the signature, and reads nested fields without checking
their types, so a forged or malformed request used to crash it (HTTP 500, a traceback, and the
whole body in the log). Here an unsigned, forged or stale request is refused with 401 without
parsing anything, and a signed one whose body bolt or the listeners would trip on is refused
with 400, with one reason that names the field. Pure functions: no I/O, no storage.

Figures from docs/platform-rules.md: the signature is `v0=` + hex HMAC-SHA256 of
`v0:<timestamp>:<raw body>`; a timestamp more than five minutes off is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

SIGNATURE_WINDOW = 300  # seconds either side of now, as Slack and bolt allow
MAX_BODY = 1024 * 1024  # aiohttp's default limit; Slack's largest payloads are far smaller
_STAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")  # Slack ids: U012ABC, T0TEST, C0GENERAL, E0ORG


def source_of(request: web.Request) -> str:
    """Who sent a request, for the log: the peer, and the client a proxy says it forwards
    (`X-Forwarded-For`'s first address; anyone can send that header, so only an address is
    repeated, never what else it holds)."""
    peer = request.remote or "an unknown address"
    forwarded = request.headers.get("X-Forwarded-For", "").split(",")[0].strip()
    try:
        client = str(ipaddress.ip_address(forwarded))
    except ValueError:
        return peer
    return f"{peer}, forwarded for {client}"


def bolt_headers(request: web.Request) -> dict[str, str | Sequence[str]]:
    """The request's headers for bolt, less bolt's own `x-slack-bolt-*` switches, which Slack
    never sends and the signature does not cover."""
    return {
        name: value
        for name, value in request.headers.items()
        if not name.lower().startswith("x-slack-bolt-")
    }


class Kind(Enum):
    """What a request is, for deduplication: commands and interactions by their signature,
    events by their event id."""

    COMMAND = "command"
    INTERACTION = "interaction"
    EVENT = "event"
    OTHER = "other"  # url_verification, ssl_check, or anything bolt answers by itself


@dataclass(frozen=True)
class Refused(Exception):
    """A request that is not served: `status` (401 or 400 or 413) and why, for the log."""

    status: int
    reason: str


# ---- the signature ------------------------------------------------------------------------------


def check_stamp(timestamp: str | None, signature: str | None, now: float) -> tuple[str, str]:
    """Refuse (401) before the body is read: headers missing, malformed or stale. The two
    headers when they pass."""
    if not timestamp or not signature:
        raise Refused(401, "it has no Slack signature headers")
    if not _STAMP.fullmatch(timestamp):
        raise Refused(401, "its X-Slack-Request-Timestamp is not a whole number of seconds")
    if not _SIGNATURE.fullmatch(signature):
        raise Refused(401, "its X-Slack-Signature is not v0= and 64 hex digits")
    offset = int(timestamp) - now
    if abs(offset) > SIGNATURE_WINDOW:
        raise Refused(
            401, f"its timestamp is {abs(offset):.0f} s off (at most {SIGNATURE_WINDOW} s allowed)"
        )
    return timestamp, signature


def check_signature(secret: str, timestamp: str, signature: str, body: bytes) -> None:
    """Refuse (401) unless `signature` is Slack's HMAC of exactly these bytes."""
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise Refused(401, "its signature does not match SLACK_SIGNING_SECRET")


def replay_key(timestamp: str, signature: str) -> tuple[str, str, str]:
    """What identifies one signed request: Slack signs each delivery anew, so the same
    timestamp and signature twice is the same request sent again."""
    return ("slack-request", timestamp, signature)


def event_key(body: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """An event's identity across Slack's retries (each retry is signed anew)."""
    team, event_id = body.get("team_id"), body.get("event_id")
    if body.get("type") != "event_callback" or not isinstance(event_id, str) or not event_id:
        return None
    return ("slack-event", team if isinstance(team, str) else "", event_id)


# ---- the body -----------------------------------------------------------------------------------


def parse(body: bytes, content_type: str | None) -> dict[str, Any]:
    """The body as bolt would read it, or `Refused(400)`: JSON when sent as JSON (or when it
    starts with `{`), else a form, whose `payload` field (an interaction) is JSON in its turn.

    Unlike bolt, a form whose text merely contains the word "payload" stays a form."""
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "its body is not UTF-8 text") from None
    if not decoded:
        return {}
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind == "application/json" or decoded.startswith("{"):
        return _json_object(decoded, "its JSON body")
    form = dict(parse_qsl(decoded, keep_blank_values=True))
    if "payload" in form:
        return _json_object(form["payload"], "its payload field")
    return form


def _json_object(raw: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except RecursionError:
        raise Refused(400, f"{what} is nested too deeply") from None
    except ValueError:
        raise Refused(400, f"{what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise Refused(400, f"{what} is not a JSON object")
    return value


# ---- the shape ----------------------------------------------------------------------------------
# Only the fields bolt or the listeners read are checked (Slack adds fields over time; the rest
# pass untouched). A field may be null unless it is required or listed in `not_null`, because
# Slack sends nulls (an org-wide install's `team`) and bolt tolerates them there.


class Spec:
    def problem(self, value: Any, where: str) -> str | None:
        raise NotImplementedError


@dataclass(frozen=True)
class Chars(Spec):
    """A string (not the reply block `Text`: these are checks of Slack's bodies, in English for
    the log and the signed sender)."""

    pattern: re.Pattern[str] | None = None
    example: str = ""

    def problem(self, value: Any, where: str) -> str | None:
        if not isinstance(value, str):
            return f"{where} is not text"
        if _SURROGATE.search(value):
            return f"{where} holds an unpaired surrogate"
        if self.pattern is not None and not self.pattern.fullmatch(value):
            return f"{where} is not a Slack id such as {self.example}"
        return None


@dataclass(frozen=True)
class Anything(Spec):
    def problem(self, value: Any, where: str) -> str | None:
        return None


@dataclass(frozen=True)
class Obj(Spec):
    fields: dict[str, Spec] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    not_null: frozenset[str] = frozenset()

    def problem(self, value: Any, where: str) -> str | None:
        if not isinstance(value, dict):
            return f"{where} is not an object"
        for key in sorted(self.required):
            if value.get(key) is None:
                return f"{_join(where, key)} is missing"
        for key, spec in self.fields.items():
            if key not in value:
                continue
            if value[key] is None:
                if key in self.not_null:
                    return f"{_join(where, key)} is null"
                continue
            if (problem := spec.problem(value[key], _join(where, key))) is not None:
                return problem
        return None


@dataclass(frozen=True)
class ListOf(Spec):
    item: Spec
    non_empty: bool = False

    def problem(self, value: Any, where: str) -> str | None:
        if not isinstance(value, list):
            return f"{where} is not a list"
        if self.non_empty and not value:
            return f"{where} is empty"
        for index, item in enumerate(value):
            if (problem := _item_problem(self.item, item, f"{where}[{index}]")) is not None:
                return problem
        return None


@dataclass(frozen=True)
class MapOf(Spec):
    value: Spec

    def problem(self, value: Any, where: str) -> str | None:
        if not isinstance(value, dict):
            return f"{where} is not an object"
        for key, item in value.items():
            if (problem := _item_problem(self.value, item, _join(where, str(key)))) is not None:
                return problem
        return None


@dataclass(frozen=True)
class Either(Spec):
    first: Spec
    second: Spec

    def problem(self, value: Any, where: str) -> str | None:
        if self.first.problem(value, where) is None:
            return None
        return self.second.problem(value, where)


def _item_problem(spec: Spec, item: Any, where: str) -> str | None:
    return f"{where} is null" if item is None else spec.problem(item, where)


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


TEXT = Chars()
USER_ID = Chars(_ID, "U012ABC")
TEAM_ID = Chars(_ID, "T012ABC")
# `user`, `team`, `channel`, `enterprise`: an id, or an object with one.
PARTY = Either(TEXT, Obj({"id": TEXT, "team_id": TEXT, "username": TEXT, "name": TEXT}))
# What bolt's context reads at the top of a body, and again inside `event`, `message`,
# `item` and each of `authorizations` (so the same shape nests).
CONTEXT = Obj(
    {
        "type": TEXT,
        **dict.fromkeys(("user", "team", "channel", "enterprise"), PARTY),
        **dict.fromkeys(
            (
                "user_id",
                "team_id",
                "channel_id",
                "enterprise_id",
                "thread_ts",
                "user_team",
                "function_execution_id",
                "bot_access_token",
                "subtype",
                "bot_id",
                "channel_type",
                "tab",
            ),
            TEXT,
        ),
    },
    not_null=frozenset({"event"}),
)
for _key in ("event", "message", "previous_message", "item", "assistant_thread"):
    CONTEXT.fields[_key] = CONTEXT
CONTEXT.fields["authorizations"] = ListOf(CONTEXT)
CONTEXT.fields["function_data"] = Obj({"execution_id": TEXT})
VIEW = Obj(
    {
        **dict.fromkeys(
            ("id", "type", "callback_id", "private_metadata", "team_id", "app_installed_team_id"),
            TEXT,
        ),
        "state": Obj({"values": MapOf(MapOf(Obj({"value": TEXT, "type": TEXT})))}),
    }
)
SENT_VIEW = Obj(VIEW.fields, frozenset({"type"}))
"""A view Slack sends back (a submission, a closing), which always says its type."""
ACTION = Obj(dict.fromkeys(("type", "action_id", "block_id", "value"), TEXT))
BODY = Obj(
    {
        **CONTEXT.fields,
        **dict.fromkeys(
            (
                "command",
                "text",
                "response_url",
                "trigger_id",
                "callback_id",
                "action_id",
                "block_id",
                "event_id",
                "token",
                "challenge",
                "ssl_check",
            ),
            TEXT,
        ),
        "response_urls": ListOf(Obj({"response_url": TEXT})),
        "actions": ListOf(ACTION),
        "view": VIEW,
        "container": Anything(),
    },
    not_null=frozenset({"event", "view", "actions", "response_urls"}),
)
COMMAND = Obj({"user_id": USER_ID, "team_id": TEAM_ID}, required=frozenset({"user_id", "team_id"}))
INTERACTION = Obj(
    {"user": Obj({"id": USER_ID}, required=frozenset({"id"}))},
    required=frozenset({"type", "user"}),
)
# Interaction types and what bolt's matchers index without checking.
NEEDS = {
    "block_actions": Obj(
        {"actions": ListOf(Obj({}, frozenset({"action_id"})), non_empty=True)},
        frozenset({"actions"}),
    ),
    "interactive_message": Obj({"actions": ListOf(ACTION, non_empty=True)}, frozenset({"actions"})),
    # bolt reads `view.type` of every submission (`is_workflow_step_save`): Slack always sends it
    "view_submission": Obj({"view": SENT_VIEW}, frozenset({"view"})),
    "view_closed": Obj({"view": SENT_VIEW}, frozenset({"view"})),
    "block_suggestion": Obj({}, frozenset({"action_id"})),
}
EVENT = Obj(
    {"team_id": TEAM_ID, "event": Obj({"type": TEXT}, frozenset({"type"}))},
    required=frozenset({"event", "event_id", "team_id"}),
)
NEEDS_CALLBACK = frozenset(
    {
        "shortcut",
        "message_action",
        "dialog_submission",
        "dialog_cancellation",
        "dialog_suggestion",
        "workflow_step_edit",
    }
)


def kind_of(body: Mapping[str, Any]) -> Kind:
    """What the body is, or `Refused(400)` naming the first field bolt or a listener would
    trip on (a slash command without `user_id`, `actions` that is not a list, ...)."""
    payload = dict(body)
    try:
        return _kind_of(payload)
    except RecursionError:  # the shapes nest (an event in an event): so may a hostile body
        raise Refused(400, "the body is nested too deeply") from None


def _kind_of(payload: dict[str, Any]) -> Kind:
    if (problem := BODY.problem(payload, "")) is not None:
        raise Refused(400, f"{problem} in the body")
    kind_type = payload.get("type")  # text or None from here on
    if "command" in payload:
        kind, what = Kind.COMMAND, "the slash command"
        problem = COMMAND.problem(payload, "")
    elif kind_type == "event_callback":
        kind, what = Kind.EVENT, "the event"
        problem = EVENT.problem(payload, "")
    elif "user" in payload or kind_type in NEEDS or kind_type in NEEDS_CALLBACK:
        kind, what = Kind.INTERACTION, "the interaction"
        problem = INTERACTION.problem(payload, "")
        if problem is None and kind_type in NEEDS:
            problem = NEEDS[str(kind_type)].problem(payload, "")
        if problem is None and kind_type in NEEDS_CALLBACK and not payload.get("callback_id"):
            problem = "callback_id is missing"
    else:
        return Kind.OTHER
    if problem is not None:
        raise Refused(400, f"{problem} in {what}")
    return kind
