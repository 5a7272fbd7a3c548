"""Slack Block Kit for a `Reply`: plain dicts, no SDK, so the adapter only sends what this returns.

Two things Slack does not do for us, and which this module therefore owns:

* **Escaping.** Slack parses `&`, `<` and `>` as control characters in every text object; an
  unescaped `<!channel>` in a practice title would ping a whole channel. User text is therefore
  always escaped, and the only `<...>` sequences in the output are the links and mentions this
  module builds itself from explicit `Link` and `Mention` values.
* **Limits.** Slack rejects a whole message (`invalid_blocks`) if one block breaks a limit, so every
  text is cut to its limit here, cleanly: never inside an `&amp;` entity, a `<url|label>` link or a
  `<@U…>` mention (docs/platform-rules.md has the figures and their sources).

mrkdwn objects are sent with `verbatim: true`, so Slack does not auto-parse user text into links,
channel names or mentions: formatting comes only from the block types and inline values.

The renderer's own words (where a file went, "…and N more") are written in the reply's language
(`Reply.locale`): `render_blocks` and `render_message` run under `i18n.using(reply.locale)`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cop_bot.core import i18n
from cop_bot.core.i18n import _
from cop_bot.core.model import (
    Actions,
    Attachment,
    Block,
    Bold,
    Button,
    Code,
    Context,
    Divider,
    Fields,
    Header,
    Inline,
    Item,
    Link,
    Mention,
    Reply,
    Spans,
    Text,
)
from cop_bot.render import text as plain
from cop_bot.render.common import ELLIPSIS, file_size, more_hint, safe_url, url_forbidding

Json = dict[str, Any]

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTION_ELEMENTS = 25
MAX_FALLBACK_TEXT = 3000
ACTION_ID_PREFIX = "cop_cmd_"

_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# Slack has no backslash escape for mrkdwn, so formatting characters in user text are swapped
# for their fullwidth forms: they still read as `*`, `_`, `~` and a backtick, but Slack's parser
# ignores them. Zero-width characters were rejected: Slack treats a zero-width space as a word
# boundary (the usual trick to *force* mid-word bold), and `text.clean` strips them anyway.
_LOOKALIKES = {"*": "\uff0a", "_": "\uff3f", "~": "\uff5e", "`": "\uff40"}
# Slack only opens or closes `*`, `_` and `~` at a word boundary, so a character between two
# ASCII letters or digits (`snake_case`, `2*3`) is left alone for readability; a backtick is
# always swapped, since Slack opens code spans anywhere.
_FORMATTING = re.compile(r"`|(?<![A-Za-z0-9])[*_~]|[*_~](?![A-Za-z0-9])")
ESCAPE_MEMO_SIZE = 16_384
_FORMATTING_ALL = re.compile(r"[*_~`]")
_SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_URL_FORBIDDEN = url_forbidding("<>|")


# ---- escaping ----------------------------------------------------------------------------------


@lru_cache(maxsize=ESCAPE_MEMO_SIZE)  # pure, and the same names and titles come back all day
def escape_entities(text: str) -> str:
    """Control characters dropped, then exactly `&`, `<`, `>` as entities: enough for plain_text
    objects (headers, button labels), which Slack never formats or parses for mentions."""
    return plain.clean(text).translate(_ENTITIES)


@lru_cache(maxsize=ESCAPE_MEMO_SIZE)
def escape(text: str, *, strict: bool = False) -> str:
    """User text as inert mrkdwn: `&`, `<`, `>` become entities (so `<!channel>`, `<!here>`,
    `<@U123>` stay text) and mrkdwn formatting characters become fullwidth lookalikes
    (`*bold*` shows as `＊bold＊`, not bold).

    Lookalikes rather than zero-width characters because Slack has no escape syntax and treats a
    zero-width space as a word boundary, which can *enable* formatting; fullwidth forms keep the
    text readable. A formatting character between two ASCII letters or digits (`snake_case`) is
    kept, as Slack never formats there; `strict` swaps every one, for text already inside `*…*`.
    """
    pattern = _FORMATTING_ALL if strict else _FORMATTING
    return pattern.sub(lambda m: _LOOKALIKES[m.group()], escape_entities(text))


def _cut(escaped: str, limit: int) -> str:
    """At most `limit` characters of escaped text, never ending inside an `&amp;`-style entity."""
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: max(limit, 0)]
    amp = cut.rfind("&", max(0, len(cut) - 4))
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut


def _safe_url(url: str) -> bool:
    """Only http(s) and mailto, and nothing that could end or split a `<url|label>` link."""
    return safe_url(url, _URL_FORBIDDEN)


# ---- inline values and clean truncation ---------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    """Rendered mrkdwn in three parts: only `body` (escaped text) may be shortened, so markup
    around it (`*`, `<url|`, `>`) is either kept whole or dropped whole."""

    head: str
    body: str = ""
    tail: str = ""

    def __len__(self) -> int:
        return len(self.head) + len(self.body) + len(self.tail)

    def __str__(self) -> str:
        return self.head + self.body + self.tail


def _fit(tokens: list[_Token], limit: int) -> tuple[str, bool]:
    """Join tokens within `limit` characters, ending with `…` when something had to go."""
    if sum(len(t) for t in tokens) <= limit:
        return "".join(str(t) for t in tokens), False
    budget = limit - len(ELLIPSIS)
    out: list[str] = []
    used = 0
    for token in tokens:
        if used + len(token) <= budget:
            out.append(str(token))
            used += len(token)
            continue
        room = budget - used - len(token.head) - len(token.tail)
        body = _cut(token.body, room).rstrip() if token.body and room > 0 else ""
        if body:
            out.append(token.head + body + token.tail)
        break
    return "".join(out).rstrip() + ELLIPSIS, True


def _token(part: Inline, bold: bool) -> _Token | None:
    """One inline value as mrkdwn; `bold` means we are already inside `*…*` (an item title)."""
    if isinstance(part, str):
        body = escape(part, strict=bold)
        return _Token("", body) if body else None
    if isinstance(part, Bold):
        body = escape(plain.clean(part.text).strip(), strict=True)
        if not body:
            return None
        return _Token("", body) if bold else _Token("*", body, "*")
    if isinstance(part, Code):
        code = plain.clean(part.text).replace("`", "").replace("\n", " ").strip()
        return _Token("`", escape_entities(code), "`") if code else None
    if isinstance(part, Link):
        if not _safe_url(part.url):
            return _Token("", escape(plain.inline(part), strict=bold))
        target = part.url.replace("&", "&amp;")
        label = escape(part.label or "", strict=bold).replace("|", "\uff5c").strip()
        return _Token(f"<{target}|", label, ">") if label else _Token(f"<{target}>")
    if isinstance(part, Mention):
        if part.platform_user_id and _SLACK_USER_ID.fullmatch(part.platform_user_id):
            return _Token(f"<@{part.platform_user_id}>")
        return _Token("", "@" + escape(part.handle, strict=bold))
    raise TypeError(f"unknown inline {part!r}")


def _tokens(parts: Spans, bold: bool = False) -> list[_Token]:
    return [t for t in (_token(p, bold) for p in parts) if t is not None]


def mrkdwn(parts: Spans, limit: int = MAX_SECTION_TEXT) -> str:
    """Inline values as one mrkdwn string of at most `limit` characters."""
    return _fit(_tokens(parts), limit)[0]


# ---- blocks ------------------------------------------------------------------------------------


def _plain_text(text: str, limit: int) -> Json:
    escaped = _fit([_Token("", escape_entities(text).strip())], limit)[0]
    return {"type": "plain_text", "text": escaped, "emoji": True}


def _mrkdwn_text(text: str) -> Json:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _item_text(item: Item) -> str:
    """`*title* — meta` and the body on the next line, within one section's limit."""
    title, cut = _fit(_tokens(item.title, bold=True), MAX_SECTION_TEXT - 2)
    title = title.strip()
    head = f"*{title}*" if title else ""
    if cut:
        return head
    tokens = [_Token(head)] if head else []
    meta = _tokens(item.meta)
    if meta:
        tokens += [_Token(" — " if head else ""), *meta]
    body = _tokens(item.body)
    if body:
        tokens += [_Token("\n" if tokens else ""), *body]
    return _fit(tokens, MAX_SECTION_TEXT)[0]


def _field_text(label: str, value: Spans) -> str:
    head = escape(plain.clean(label).strip(), strict=True)
    tokens = [_Token("*", head, "*"), _Token("\n")] if head else []
    return _fit(tokens + _tokens(value), MAX_FIELD_TEXT)[0].strip()


def _button(button: Button, action_id: str) -> Json | None:
    """A button whose `value` is its typed command; one too long to send whole is left out
    rather than cut, since a cut command would run something else."""
    command = button.command.strip()
    label = next((t for t in (button.label, command) if plain.clean(t).strip()), None)
    if label is None or len(command) > MAX_BUTTON_VALUE:
        return None
    element: Json = {
        "type": "button",
        "action_id": action_id,
        "text": _plain_text(label, MAX_BUTTON_TEXT),
        "value": command,
    }
    if button.style != "default":
        element["style"] = button.style
    return element


def _attachment_text(b: Attachment, in_channel: bool) -> str:
    """Where the file went: the adapter shares it in the channel for a channel reply, else in
    the member's direct messages with the bot (Slack has no ephemeral files)."""
    name, size = escape(b.filename, strict=True), file_size(b.size)
    if in_channel:
        return _("📎 The file {filename} ({size}) follows in this conversation.").format(
            filename=name, size=size
        )
    return _("📎 The file {filename} ({size}) is in your direct messages with the bot.").format(
        filename=name, size=size
    )


def _block(b: Block, action_ids: Iterator[int], in_channel: bool = False) -> list[Json]:
    """One neutral block as zero or more Slack blocks (empty text would be rejected by Slack)."""
    if isinstance(b, Header):
        if not plain.clean(b.text).strip():
            return []
        return [{"type": "header", "text": _plain_text(b.text, MAX_HEADER_TEXT)}]
    if isinstance(b, Text | Item | Context):
        text = _item_text(b) if isinstance(b, Item) else mrkdwn(b.parts, MAX_SECTION_TEXT)
        if not text.strip():
            return []
        if isinstance(b, Context):
            return [{"type": "context", "elements": [_mrkdwn_text(text)]}]
        return [{"type": "section", "text": _mrkdwn_text(text)}]
    if isinstance(b, Fields):
        fields = [t for t in (_field_text(label, value) for label, value in b.pairs) if t]
        return [
            {"type": "section", "fields": [_mrkdwn_text(f) for f in fields[i : i + MAX_FIELDS]]}
            for i in range(0, len(fields), MAX_FIELDS)
        ]
    if isinstance(b, Actions):
        buttons = [
            e
            for e in (_button(btn, f"{ACTION_ID_PREFIX}{next(action_ids)}") for btn in b.buttons)
            if e is not None
        ]
        return [
            {"type": "actions", "elements": buttons[i : i + MAX_ACTION_ELEMENTS]}
            for i in range(0, len(buttons), MAX_ACTION_ELEMENTS)
        ]
    if isinstance(b, Divider):
        return [{"type": "divider"}]
    if isinstance(b, Attachment):
        text = _fit([_Token("", _attachment_text(b, in_channel))], MAX_SECTION_TEXT)[0]
        return [{"type": "context", "elements": [_mrkdwn_text(text)]}]
    raise TypeError(f"unknown block {b!r}")


def render_blocks(reply: Reply) -> list[Json]:
    """Block Kit for a reply, at most 50 blocks: past that, the first 49 and a hint of how many
    more there were (counted in items when items were cut, else in blocks)."""
    with i18n.using(reply.locale):
        return _render_blocks(reply)


def _render_blocks(reply: Reply) -> list[Json]:
    action_ids = itertools.count(1)
    shared = reply.visibility != "ephemeral"  # a channel's or a DM's files go there too
    rendered = [
        (i, out) for i, b in enumerate(reply.blocks) for out in _block(b, action_ids, shared)
    ]
    if len(rendered) <= MAX_BLOCKS:
        return [out for _i, out in rendered]
    kept, dropped = rendered[: MAX_BLOCKS - 1], rendered[MAX_BLOCKS - 1 :]
    dropped_blocks = sorted({i for i, _out in dropped})
    hint = _mrkdwn_text(more_hint(reply.blocks[i] for i in dropped_blocks))
    return [out for _i, out in kept] + [{"type": "context", "elements": [hint]}]


def render_message(reply: Reply) -> Json:
    """A `chat.postMessage`/`response_url` payload.

    `text` is the notification and accessibility fallback. It is mrkdwn too, so the plain-text
    rendering is escaped like any user text before it goes out.
    """
    fallback = _fit([_Token("", escape(plain.render(reply)))], MAX_FALLBACK_TEXT)[0]
    return {
        "text": fallback,
        "blocks": render_blocks(reply),
        "response_type": "in_channel" if reply.visibility == "channel" else "ephemeral",
    }
