"""Plain text for the console, the CLI and the `text` field of `--json`.

Its own words (a file's line, the `label: value` of a field) are written in the reply's
language (`Reply.locale`).

Plain text has no markup to inject, but a terminal has escape sequences: control characters in
user text are dropped so a bio cannot move the cursor or recolour the screen.
"""

from __future__ import annotations

from cop_bot.core import i18n
from cop_bot.core.clean import clean_input
from cop_bot.core.i18n import _
from cop_bot.core.model import (
    Actions,
    Attachment,
    Block,
    Bold,
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
from cop_bot.render.common import file_size


def clean(text: str) -> str:
    """What a reply may show of any text: the input cleaning's one list of hidden characters
    (controls, invisible and direction characters) and escape sequences removed, so text
    stored before that cleaning existed cannot smuggle them out either."""
    return clean_input(text)


def inline(part: Inline) -> str:
    if isinstance(part, str):
        return clean(part)
    if isinstance(part, Bold | Code):
        return clean(part.text)
    if isinstance(part, Link):
        label = clean(part.label) if part.label else None
        url = clean(part.url)
        return f"{label} ({url})" if label and label != url else url
    if isinstance(part, Mention):
        return "@" + clean(part.handle)
    raise TypeError(f"unknown inline {part!r}")


def line(parts: Spans) -> str:
    return "".join(inline(p) for p in parts)


def block(b: Block) -> str:
    if isinstance(b, Header):
        return clean(b.text)
    if isinstance(b, Text):
        return line(b.parts)
    if isinstance(b, Fields):
        return "\n".join(field(clean(label), line(value)) for label, value in b.pairs)
    if isinstance(b, Item):
        out = "• " + line(b.title)
        if b.meta:
            out += " — " + line(b.meta)
        if b.body:
            out += "\n  " + line(b.body).replace("\n", "\n  ")
        return out
    if isinstance(b, Actions):
        return "  ".join(f"[{clean(btn.label)}: {clean(btn.command)}]" for btn in b.buttons)
    if isinstance(b, Context):
        return line(b.parts)
    if isinstance(b, Divider):
        return "—" * 20
    if isinstance(b, Attachment):
        return attached(b)
    raise TypeError(f"unknown block {b!r}")


def field(label: str, value: str) -> str:
    """`Country: IT` (`Pays : IT` in French, which puts a space before a colon)."""
    return _("{label}: {value}").format(label=label, value=value)


def attached(b: Attachment) -> str:
    """The line that stands for a file (the console adds where it saved it)."""
    return _("The file {filename} ({size}) is attached.").format(
        filename=clean(b.filename), size=file_size(b.size)
    )


def render(reply: Reply) -> str:
    """The reply as text, the renderer's own words in the reply's language."""
    with i18n.using(reply.locale):
        return "\n".join(block(b) for b in reply.blocks)
