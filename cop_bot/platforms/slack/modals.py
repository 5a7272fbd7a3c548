"""Forms in modals: `/profile set`, `/share-practice` and `/schedule-session` without arguments
open one (`views.open` with the command's trigger_id), and the submission is turned back
into the typed command, so validation, storage and the reply are exactly the command's own.

A submission is dispatched before it is acked (Slack needs `response_action: errors` in the ack
to show problems on the fields); a failed command writes nothing, so nothing is stored until the
form is valid.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cop_bot.core.wording import shorten

CALLBACK_PREFIX = "cop_form:"
CALLBACK = re.compile(rf"^{re.escape(CALLBACK_PREFIX)}[a-z-]+$")
MAX_ERROR = 150


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    required: bool = False
    multiline: bool = False
    placeholder: str = ""
    max_length: int = 500


@dataclass(frozen=True)
class Form:
    command: str
    title: str  # at most 24 characters (Slack)
    submit: str
    prefix: str  # typed before the fields ("set " for /profile set)
    fields: tuple[Field, ...]
    title_field: str | None = None  # sent bare as the first part (a practice's title)
    compose: Callable[[Mapping[str, str]], str] | None = None  # for commands that take no form
    fallback: str | None = None  # the field that gets complaints naming no field

    def text(self, values: Mapping[str, str]) -> str:
        """The typed command text for submitted values: `key: value; key: value`."""
        if self.compose is not None:
            return self.compose({k: " ".join(v.split()) for k, v in values.items()})
        parts: list[str] = []
        for f in self.fields:
            value = " ".join((values.get(f.key) or "").split()).replace(";", "\\;")
            if not value:
                continue
            parts.append(value if f.key == self.title_field else f"{f.key}: {value}")
        return (self.prefix + "; ".join(parts)).strip()


def _session_line(values: Mapping[str, str]) -> str:
    """`"TITLE" WHEN [for DURATION] [REPEAT] [tz ZONE] [link URL] [capacity N]`."""
    title = values.get("title", "").replace('"', "'")
    parts = [f'"{title}"', values.get("when", "")]
    if values.get("duration"):
        parts.append(f"for {values['duration']}")
    if values.get("repeat"):
        parts.append(values["repeat"])
    for key in ("tz", "link", "capacity"):
        if values.get(key):
            parts.append(f"{key} {values[key]}")
    return " ".join(p for p in parts if p)


FORMS: dict[str, Form] = {
    "profile": Form(
        command="profile",
        title="Your profile",
        submit="Save",
        prefix="set ",
        fields=(
            Field("domains", "Domains you know", placeholder="e.g. labour market, housing"),
            Field("country", "Country", placeholder="e.g. IT", max_length=60),
            Field("city", "City", max_length=120),
            Field("languages", "Languages", placeholder="e.g. it, en, fr", max_length=100),
            Field("organisation", "Organisation", max_length=200),
            Field("bio", "About you", multiline=True, max_length=1000),
            Field("expert", "List me as an expert", placeholder="yes or no", max_length=3),
        ),
    ),
    "share-practice": Form(
        command="share-practice",
        title="Share a practice",
        submit="Share",
        prefix="",
        title_field="title",
        fields=(
            Field("title", "Title", required=True, max_length=200),
            Field("summary", "Summary", required=True, multiline=True, max_length=2000),
            Field("domains", "Domains", required=True, placeholder="e.g. housing, labour market"),
            Field("kind", "Kind", placeholder="practice, resource or toolkit", max_length=16),
            Field("country", "Country", placeholder="e.g. IT or Italy", max_length=60),
            Field("city", "City", max_length=120),
            Field("link", "Link", placeholder="https://…"),
        ),
    ),
    "schedule-session": Form(
        command="schedule-session",
        title="Schedule a session",
        submit="Schedule",
        prefix="",
        compose=_session_line,
        fallback="when",
        fields=(
            Field("title", "Title", required=True, max_length=200),
            Field("when", "When", required=True, placeholder="2027-01-12 15:00, tomorrow 15:00"),
            Field("duration", "Duration", placeholder="e.g. 90m or 1h", max_length=20),
            Field("repeat", "Repeat", placeholder="e.g. every 2 weeks", max_length=80),
            Field("tz", "Time zone", placeholder="e.g. Europe/Rome", max_length=64),
            Field("link", "Meeting link", placeholder="https://…"),
            Field("capacity", "Places", placeholder="e.g. 12", max_length=6),
        ),
    ),
}


def form_for(command: str, text: str) -> Form | None:
    """The form a command opens when typed with nothing after it (or `set` for a profile)."""
    form = FORMS.get(command)
    if form is None:
        return None
    return form if text.strip().lower() == form.prefix.strip() else None


def view(form: Form, metadata: Mapping[str, str]) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = []
    for f in form.fields:
        element: dict[str, Any] = {
            "type": "plain_text_input",
            "action_id": "value",
            "multiline": f.multiline,
            "max_length": f.max_length,
        }
        if f.placeholder:
            element["placeholder"] = {"type": "plain_text", "text": f.placeholder}
        blocks.append(
            {
                "type": "input",
                "block_id": f.key,
                "optional": not f.required,
                "label": {"type": "plain_text", "text": f.label},
                "element": element,
            }
        )
    return {
        "type": "modal",
        "callback_id": CALLBACK_PREFIX + form.command,
        "title": {"type": "plain_text", "text": form.title[:24]},
        "submit": {"type": "plain_text", "text": form.submit},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps(dict(metadata)),
        "blocks": blocks,
    }


def submitted(view_payload: Mapping[str, Any]) -> dict[str, str]:
    values = (view_payload.get("state") or {}).get("values") or {}
    out: dict[str, str] = {}
    for block_id, actions in values.items():
        value = (actions.get("value") or {}).get("value")
        if isinstance(value, str):
            out[str(block_id)] = value
    return out


def errors_for(form: Form, message: str) -> dict[str, str]:
    """The command's complaints on the fields they name (one per line, as the engine lists
    them), else the whole message on the first field."""
    errors: dict[str, str] = {}
    for line in message.splitlines():
        line = line.strip().lstrip("•-* ").strip()
        key = _field_named(form, line)
        if line and key is not None and key not in errors:
            errors[key] = _one_line(line)
    return errors or {form.fallback or form.fields[0].key: _one_line(message)}


def _one_line(text: str) -> str:
    """A modal field error: one line, within Slack's length for it."""
    return shorten(" ".join(text.split()), MAX_ERROR)


def _field_named(form: Form, text: str) -> str | None:
    lowered = text.lower()
    for f in form.fields:
        if re.search(rf"\b{re.escape(f.key)}\b", lowered) or f.label.lower() in lowered:
            return f.key
    return None
