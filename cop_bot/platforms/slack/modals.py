"""Forms in modals: `/profile set`, `/share-practice` and `/schedule-session` without arguments
open one (`views.open` with the command's trigger_id), and the submission is turned back
into the typed command, so validation, storage and the reply are exactly the command's own.

A submission is dispatched before it is acked (Slack needs `response_action: errors` in the ack
to show problems on the fields); a failed command writes nothing, so nothing is stored until the
form is valid.

A form's words (title, labels, placeholders, buttons) are marked with `N_` and written by `view`
in the active language: the adapter opens it under `i18n.using` the member's language (see
`platforms/slack/language.py`), and reads the command's complaints back onto the fields
under the reply's language (`errors_for`), since they name the fields by their labels.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cop_bot.core.i18n import N_, _
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
    numbered: str | None = None  # a field a bare number after the command fills (`/answer 12`)

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


def _answer_line(values: Mapping[str, str]) -> str:
    """`ID TEXT`, as `/answer` takes it."""
    return f"{values.get('question', '')} {values.get('text', '')}".strip()


FORMS: dict[str, Form] = {
    "profile": Form(
        command="profile",
        title=N_("Your profile"),
        submit=N_("Save"),
        prefix="set ",
        fields=(
            Field("domains", N_("Domains you know"), placeholder=N_("e.g. labour market, housing")),
            Field("country", N_("Country"), placeholder=N_("e.g. IT"), max_length=60),
            Field("city", N_("City"), max_length=120),
            Field("languages", N_("Languages"), placeholder=N_("e.g. it, en, fr"), max_length=100),
            Field("organisation", N_("Organisation"), max_length=200),
            Field("bio", N_("About you"), multiline=True, max_length=1000),
            Field("expert", N_("List me as an expert"), placeholder=N_("yes or no"), max_length=3),
        ),
    ),
    "share-practice": Form(
        command="share-practice",
        title=N_("Share a practice"),
        submit=N_("Share"),
        prefix="",
        title_field="title",
        fields=(
            Field("title", N_("Title"), required=True, max_length=200),
            Field("summary", N_("Summary"), required=True, multiline=True, max_length=2000),
            Field(
                "domains",
                N_("Domains"),
                required=True,
                placeholder=N_("e.g. housing, labour market"),
            ),
            Field(
                "kind", N_("Kind"), placeholder=N_("practice, resource or toolkit"), max_length=16
            ),
            Field("country", N_("Country"), placeholder=N_("e.g. IT or Italy"), max_length=60),
            Field("city", N_("City"), max_length=120),
            Field("link", N_("Link"), placeholder="https://…"),
        ),
    ),
    "schedule-session": Form(
        command="schedule-session",
        title=N_("Schedule a session"),
        submit=N_("Schedule"),
        prefix="",
        compose=_session_line,
        fallback="when",
        fields=(
            Field("title", N_("Title"), required=True, max_length=200),
            Field(
                "when", N_("When"), required=True, placeholder="2027-01-12 15:00, tomorrow 15:00"
            ),
            Field("duration", N_("Duration"), placeholder=N_("e.g. 90m or 1h"), max_length=20),
            Field("repeat", N_("Repeat"), placeholder=N_("e.g. every 2 weeks"), max_length=80),
            Field("tz", N_("Time zone"), placeholder=N_("e.g. Europe/Rome"), max_length=64),
            Field("link", N_("Meeting link"), placeholder="https://…"),
            Field("capacity", N_("Places"), placeholder=N_("e.g. 12"), max_length=6),
        ),
    ),
    "answer": Form(
        command="answer",
        title=N_("Answer a question"),
        submit=N_("Answer"),
        prefix="",
        compose=_answer_line,
        fallback="text",
        numbered="question",
        fields=(
            Field("question", N_("Question number"), required=True, max_length=12),
            Field("text", N_("Your answer"), required=True, multiline=True, max_length=4000),
        ),
    ),
}


def form_for(command: str, text: str) -> Form | None:
    """The form a command opens when typed with nothing after it (or `set` for a profile), or
    with only a number for a numbered form (the Answer button's `/answer 12`)."""
    form = FORMS.get(command)
    if form is None:
        return None
    if form.numbered is not None and text.strip().lstrip("#").isdigit():
        return form
    return form if text.strip().lower() == form.prefix.strip() else None


def initial_values(form: Form, text: str) -> dict[str, str]:
    """What the form starts filled with: the number typed after a numbered form's command."""
    number = text.strip().lstrip("#")
    return {form.numbered: number} if form.numbered is not None and number.isdigit() else {}


def view(
    form: Form, metadata: Mapping[str, str], initial: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The modal, in the active language (Slack caps a title at 24 characters)."""
    blocks: list[dict[str, Any]] = []
    for f in form.fields:
        element: dict[str, Any] = {
            "type": "plain_text_input",
            "action_id": "value",
            "multiline": f.multiline,
            "max_length": f.max_length,
        }
        if initial and initial.get(f.key):
            element["initial_value"] = initial[f.key]
        if f.placeholder:
            element["placeholder"] = {"type": "plain_text", "text": _(f.placeholder)}
        blocks.append(
            {
                "type": "input",
                "block_id": f.key,
                "optional": not f.required,
                "label": {"type": "plain_text", "text": _(f.label)},
                "element": element,
            }
        )
    return {
        "type": "modal",
        "callback_id": CALLBACK_PREFIX + form.command,
        "title": {"type": "plain_text", "text": _(form.title)[:24]},
        "submit": {"type": "plain_text", "text": _(form.submit)},
        "close": {"type": "plain_text", "text": _("Cancel")},
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
    them), else the whole message on the first field. Run in the complaints' language, as
    they may name a field by its label."""
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
        if re.search(rf"\b{re.escape(f.key)}\b", lowered) or _(f.label).lower() in lowered:
            return f.key
    return None
