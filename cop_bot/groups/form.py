"""Reading `/group create NAME [kind: K] [domains: A, B] [starts: DATE] [ends: DATE] [channel]
[closed]`: a total function, any text gives a `GroupForm` or a `UsageError` (property-tested).

Keys are written `kind: cohort` or `kind:cohort`, optionally separated by `;`. The words
`channel` (tie the group to this channel or room) and `closed` (members are added by its focal
points and admins) may end the line. A `word:` that is not a key but close to one (`knd:`) is an
error naming the keys, never part of the name."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from cop_bot.core.args import clean_input, did_you_mean, unknown_key
from cop_bot.core.errors import UsageError
from cop_bot.core.i18n import _

KEYS = ("kind", "domains", "starts", "ends")
KINDS = ("working-group", "cohort", "network")
FLAGS = ("channel", "closed")
MAX_NAME = 200
MAX_SLUG = 60
RESERVED = frozenset({"create", "join", "leave", "add", "remove", "focal", "list", "show"})
"""Sub-command words: a group named "Join" gets the slug `join-group`, so `/group join` stays
the sub-command."""
_KEY_RE = re.compile(r"(?:(?<=\s)|(?<=;)|^)([A-Za-z][A-Za-z-]{0,30})\s*:(?!//)")
_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")


@dataclass(frozen=True)
class GroupForm:
    name: str
    values: dict[str, str] = field(default_factory=dict)
    """The keys given (of `KEYS`), with their values as typed (stripped)."""
    channel: bool = False
    closed: bool = False


def parse_group_form(text: str) -> GroupForm:
    raw = clean_input(text).replace("\n", " ").strip()
    words = raw.split()
    channel = closed = False
    while words and words[-1].lower().strip(";,") in FLAGS:
        flag = words.pop().lower().strip(";,")
        if flag == "channel":
            channel = True
        else:
            closed = True
    raw = " ".join(words)
    found = list(_KEY_RE.finditer(raw))
    cuts: list[tuple[int, int, str]] = []
    for m in found:
        key = m.group(1).lower()
        if key in KEYS:
            cuts.append((m.start(), m.end(), key))
        elif did_you_mean(key, KEYS) is not None or (cuts and len(key) <= 12):
            raise unknown_key(key, KEYS, kind="option")
    name_end = cuts[0][0] if cuts else len(raw)
    name = raw[:name_end].strip(" ;,").strip()
    values: dict[str, str] = {}
    for index, (_start, end, key) in enumerate(cuts):
        stop = cuts[index + 1][0] if index + 1 < len(cuts) else len(raw)
        value = raw[end:stop].strip(" ;,").strip()
        if not value:
            raise UsageError(
                _("The option `{key}:` needs a value, for example `{key}: VALUE`.").format(key=key)
            )
        if key in values and values[key] != value:
            raise UsageError(
                _("The option `{key}:` is given twice ({first} and {second}).").format(
                    key=key, first=repr(values[key][:40]), second=repr(value[:40])
                )
            )
        values[key] = value
    if not name:
        raise UsageError(_("Give the group a name, e.g. `/group create Housing working group`."))
    if len(name) > MAX_NAME:
        raise UsageError(
            _("A group's name has at most {most} characters; this one has {count}.").format(
                most=MAX_NAME, count=len(name)
            )
        )
    return GroupForm(name=name, values=values, channel=channel, closed=closed)


def parse_kind(text: str) -> str:
    word = text.strip().lower().replace(" ", "-").replace("_", "-")
    if word in {"working-groups", "wg", "workinggroup"}:
        word = "working-group"
    word = word.rstrip("s") if word in {"cohorts", "networks"} else word
    if word in KINDS:
        return word
    raise UsageError(
        _("{text} is not a kind of group. Kinds are working-group, cohort or network.").format(
            text=repr(text[:40])
        )
    )


def parse_date(text: str, key: str) -> date:
    m = _DATE_RE.fullmatch(text.strip())
    if m is not None:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            pass
    raise UsageError(
        _("{key}: {text} is not a date; write it as YYYY-MM-DD, e.g. `{key}: 2027-01-15`.").format(
            key=key, text=repr(text[:40])
        )
    )


def slugify(name: str) -> str:
    """`Housing – Working group (2027)` -> `housing-working-group-2027`; "" when nothing of the
    name is ASCII letters or digits (the caller numbers such groups)."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:MAX_SLUG].strip("-")
    if slug in RESERVED:
        slug += "-group"
    return slug
