"""Matrix `m.room.message` content for a `Reply`: plain dicts, no SDK.

* `formatted_body` uses only tags from the spec's allowed list, every piece of user text goes
  through `html.escape(quote=True)`, and `href`s are only http, https, mailto or matrix.to
  permalinks built here from a validated user id.
* `m.mentions` is always present: a client that supports intentional mentions then pings exactly
  the users listed (never the room) and ignores what the text happens to say.
* Matrix has no buttons, so actions become hints naming the command to type.
* Servers reject events over 65,536 bytes, and an encrypted event grows by about a third, so
  each user string is capped and blocks past a byte budget are replaced by an "…and N more" hint.
* Every block element (`p`, `li`, `h4`) carries `dir="auto"`: each takes its direction from its
  own first strong character, so an Arabic line reads right to left and an English line, a
  handle or a link next to it keeps its own order.
* The renderer's own words (where a file went, "…and N more", `label: value`) are written in
  the reply's language: `render` runs under `i18n.using(reply.locale)`.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import quote

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

# The subset of the spec's allowed tags that this renderer emits.
TAGS = frozenset({"h4", "p", "strong", "em", "code", "a", "ul", "li", "br", "hr"})
MAX_STRING = 3000
MAX_CONTENT_BYTES = 40_000
ZWSP = "\u200b"
DIR = ' dir="auto"'
"""On every block element: the browser picks each block's direction from its own text."""

_MATRIX_USER_ID = re.compile(
    r"@[A-Za-z0-9._=\-/+]+:(?:[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?"
)
_URL_FORBIDDEN = url_forbidding('<>"')
_ROOM_PING = re.compile(r"@(?=room)", re.IGNORECASE)


def escape(text: str) -> str:
    """User text as HTML: control characters dropped, markup escaped, newlines as `<br>`."""
    return html.escape(plain.clean(text), quote=True).replace("\n", "<br>")


def _safe_url(url: str) -> bool:
    return safe_url(url, _URL_FORBIDDEN)


def matrix_user_id(mention: Mention) -> str | None:
    """The mention's Matrix user id, if it has a well-formed one."""
    uid = mention.platform_user_id
    return uid if uid and len(uid) <= 255 and _MATRIX_USER_ID.fullmatch(uid) else None


def _command(button: Button, prefix: str) -> str:
    """Commands are written `/cmd` in handlers; in Matrix they are typed with the bot's prefix."""
    return prefix + button.command[1:] if button.command.startswith("/") else button.command


# ---- caps: one huge string must not make the whole event too large ---------------------------


def _cap(text: str) -> str:
    return text if len(text) <= MAX_STRING else text[: MAX_STRING - 1] + ELLIPSIS


def _cap_inline(part: Inline) -> Inline:
    if isinstance(part, str):
        return _cap(part)
    if isinstance(part, Bold | Code):
        return replace(part, text=_cap(part.text))
    if isinstance(part, Link):
        return replace(part, label=_cap(part.label) if part.label else part.label)
    if isinstance(part, Mention):
        name = _cap(part.display_name) if part.display_name else part.display_name
        return replace(part, handle=_cap(part.handle), display_name=name)
    raise TypeError(f"unknown inline {part!r}")


def _cap_spans(parts: Spans) -> Spans:
    return tuple(_cap_inline(p) for p in parts)


def _cap_block(b: Block) -> Block:
    if isinstance(b, Header):
        return Header(_cap(b.text))
    if isinstance(b, Text):
        return Text(_cap_spans(b.parts))
    if isinstance(b, Context):
        return Context(_cap_spans(b.parts))
    if isinstance(b, Fields):
        return Fields(tuple((_cap(k), _cap_spans(v)) for k, v in b.pairs))
    if isinstance(b, Item):
        return Item(_cap_spans(b.title), _cap_spans(b.body), _cap_spans(b.meta))
    if isinstance(b, Actions):
        return Actions(tuple(replace(btn, label=_cap(btn.label)) for btn in b.buttons))
    return b


# ---- HTML --------------------------------------------------------------------------------------


def inline(part: Inline) -> str:
    if isinstance(part, str):
        return escape(part)
    if isinstance(part, Bold):
        return f"<strong>{escape(part.text)}</strong>"
    if isinstance(part, Code):
        return f"<code>{escape(part.text)}</code>"
    if isinstance(part, Link):
        if not _safe_url(part.url):
            return escape(plain.inline(part))
        label = part.label if part.label and plain.clean(part.label).strip() else part.url
        return f'<a href="{html.escape(part.url, quote=True)}">{escape(label)}</a>'
    if isinstance(part, Mention):
        uid = matrix_user_id(part)
        if uid is None:
            return "@" + escape(part.handle)
        name = next(
            (n for n in (part.display_name, part.handle) if n and plain.clean(n).strip()), uid
        )
        href = "https://matrix.to/#/" + quote(uid, safe="@:[]")
        return f'<a href="{html.escape(href, quote=True)}">{escape(name)}</a>'
    raise TypeError(f"unknown inline {part!r}")


def line(parts: Spans) -> str:
    return "".join(inline(p) for p in parts)


def _item_html(b: Item) -> str:
    out = f"<strong>{line(b.title)}</strong>" if b.title else ""
    if b.meta:
        out += " — " + line(b.meta)
    if b.body:
        out += "<br>" + line(b.body)
    return f"<li{DIR}>{out}</li>"


def block_html(b: Block, prefix: str = "!") -> str:
    """One block as HTML; items come as bare `<li>`, which `render` groups into one `<ul>`."""
    if isinstance(b, Header):
        return f"<h4{DIR}>{escape(b.text)}</h4>"
    if isinstance(b, Text):
        return f"<p{DIR}>{line(b.parts)}</p>"
    if isinstance(b, Fields):
        rows = (
            f"<li{DIR}>{plain.field(f'<strong>{escape(k)}</strong>', line(v))}</li>"
            if plain.clean(k)
            else f"<li{DIR}>{line(v)}</li>"
            for k, v in b.pairs
        )
        return f"<ul>{''.join(rows)}</ul>"
    if isinstance(b, Item):
        return _item_html(b)
    if isinstance(b, Actions):
        hints = (
            plain.field(escape(btn.label), f"<code>{escape(_command(btn, prefix))}</code>")
            for btn in b.buttons
        )
        return f"<p{DIR}>{' · '.join(hints)}</p>"
    if isinstance(b, Context):
        return f"<p{DIR}><em>{line(b.parts)}</em></p>"
    if isinstance(b, Divider):
        return "<hr>"
    if isinstance(b, Attachment):
        return f"<p{DIR}><em>{escape(_attachment_text(b))}</em></p>"
    raise TypeError(f"unknown block {b!r}")


def _attachment_text(b: Attachment) -> str:
    """The adapter sends each file as an `m.file` event right after the reply, in its room."""
    return _("📎 The file {filename} ({size}) follows in this room.").format(
        filename=b.filename, size=file_size(b.size)
    )


def _block_body(b: Block, prefix: str) -> str:
    if isinstance(b, Attachment):
        return plain.clean(_attachment_text(b))
    if isinstance(b, Actions):
        return "  ".join(
            plain.field(plain.clean(btn.label), plain.clean(_command(btn, prefix)))
            for btn in b.buttons
        )
    return plain.block(b)


def _mentions(b: Block) -> Iterator[str]:
    spans: tuple[Spans, ...] = ()
    if isinstance(b, Text | Context):
        spans = (b.parts,)
    elif isinstance(b, Item):
        spans = (b.title, b.meta, b.body)
    elif isinstance(b, Fields):
        spans = tuple(v for _k, v in b.pairs)
    for parts in spans:
        for p in parts:
            if isinstance(p, Mention) and (uid := matrix_user_id(p)):
                yield uid


def _size(text: str) -> int:
    """Bytes `text` adds to the event's JSON, escapes included."""
    return len(json.dumps(text, ensure_ascii=False).encode()) - 2


def defuse_room_ping(body: str) -> str:
    """`@room` with a zero-width space after the `@`.

    Clients and servers that predate intentional mentions (`m.mentions`) still apply the legacy
    push rule that pings the whole room when the *plain* body contains `@room`; a practice title
    must not be able to do that. The HTML needs no such change: that rule only reads `body`.
    """
    return _ROOM_PING.sub("@" + ZWSP, body)


def render(reply: Reply, prefix: str = "!") -> Json:
    """`m.room.message` content (an `m.notice`, which bots must not answer) for a reply, the
    renderer's own words in the reply's language."""
    with i18n.using(reply.locale):
        return _render(reply, prefix)


def _render(reply: Reply, prefix: str) -> Json:
    bodies: list[str] = []
    parts: list[str] = []
    user_ids: list[str] = []
    in_list = False
    used = 0
    blocks = [_cap_block(b) for b in reply.blocks]
    dropped: list[Block] = []
    for i, b in enumerate(blocks):
        is_item = isinstance(b, Item)
        body = _block_body(b, prefix)
        markup = block_html(b, prefix)
        if is_item and not in_list:
            markup = "<ul>" + markup
        elif in_list and not is_item:
            markup = "</ul>" + markup
        cost = _size(body) + 1 + _size(markup)
        if used + cost > MAX_CONTENT_BYTES:
            dropped = blocks[i:]
            break
        used += cost
        in_list = is_item
        bodies.append(body)
        parts.append(markup)
        user_ids.extend(u for u in _mentions(b) if u not in user_ids)
    if in_list:
        parts.append("</ul>")
    if dropped:
        hint = more_hint(dropped)
        bodies.append(hint)
        parts.append(f"<p{DIR}><em>{escape(hint)}</em></p>")
    return {
        "msgtype": "m.notice",
        "body": defuse_room_ping("\n".join(bodies)),
        "format": "org.matrix.custom.html",
        "formatted_body": "".join(parts),
        "m.mentions": {"user_ids": user_ids} if user_ids else {},
    }
