"""Parsing what members type. Total functions: any text yields a result or a `UsageError`,
never another exception (property-tested with hypothesis).

Three shapes cover every command:
- a command line: `/find-expert labour market country:IT` -> name + rest;
- words and `key:value` options: `labour market country:IT` -> words + options;
- a form of `key: value` pairs separated by `;` or new lines (profiles, practices, settings).

A key the command does not know is never taken silently as a word or as part of a value: it is
an error naming the keys there are, with a "did you mean" for a near miss (`contry:IT`).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz, process

from cop_bot.core.clean import clean_input as clean_input
from cop_bot.core.errors import UsageError
from cop_bot.core.handles import parse_handle as parse_handle
from cop_bot.core.handles import strip_handle as strip_handle
from cop_bot.core.i18n import N_, _

COMMAND_PREFIXES = ("/", "!")
_NAME_RE = re.compile(r"[a-z][a-z0-9-]{0,39}")
_OPTION_RE = re.compile(r"^([A-Za-z][A-Za-z0-9_-]{0,30}):(.*)$", re.DOTALL)
_URI_SCHEMES = frozenset({"mailto", "tel", "urn", "doi"})
_FORM_KEY_RE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9 _-]{0,40}?)\s*:\s?(.*)$", re.DOTALL)
# Typographic quotes that phones and word processors substitute for straight ones.
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'"})


@dataclass(frozen=True)
class CommandLine:
    name: str
    rest: str


def parse_command_line(text: str, prefixes: Iterable[str] = COMMAND_PREFIXES) -> CommandLine | None:
    """Split `/name rest` (or `!name rest`, or a bare `name rest`) into its parts.

    Returns None for text that is not shaped like a command at all (empty, or the first word is
    not a plausible command name), so chat noise is ignored rather than answered.
    """
    stripped = text.strip()
    for prefix in prefixes:
        if prefix and stripped.startswith(prefix):
            stripped = stripped[len(prefix) :]
            break
    if not stripped:
        return None
    first, _sep, rest = stripped.partition(" ")
    first, nl, after = first.partition("\n")
    if nl:
        rest = after + (" " + rest if rest else "")
    name = first.lower()
    if not _NAME_RE.fullmatch(name):
        return None
    return CommandLine(name=name, rest=rest.strip())


def split_words(text: str) -> list[str]:
    """Split on whitespace, honouring quotes when they balance and ignoring them when they don't."""
    normalised = text.translate(_QUOTES)
    try:
        lexer = shlex.shlex(normalised, posix=True)
        lexer.whitespace_split = True
        lexer.commenters = ""
        lexer.escape = ""
        return [w for w in lexer if w]
    except ValueError:  # unbalanced quotes: take the words as typed
        return normalised.split()


@dataclass(frozen=True)
class Args:
    """Words and `key:value` options of a command; options are matched case-insensitively."""

    words: tuple[str, ...] = ()
    options: dict[str, str] = field(default_factory=dict)
    text: str = ""

    @property
    def rest(self) -> str:
        return " ".join(self.words)

    def word(self, index: int) -> str | None:
        return self.words[index] if index < len(self.words) else None


def option_word(word: str) -> tuple[str, str] | None:
    """`("country", "IT")` for a word shaped like an option (`country:IT`), else None: `15:00`
    (no letter first), `note:` (no value) and links (`https://…`, `mailto:…`) are words."""
    m = _OPTION_RE.match(word)
    if m is None or not m.group(2).strip() or m.group(2).startswith("//"):
        return None
    if m.group(1).lower() in _URI_SCHEMES:
        return None
    return m.group(1).lower(), m.group(2)


def parse_args(text: str, options: Collection[str] = ()) -> Args:
    """Separate declared `key:value` options from the other words.

    A command without options takes every word as a word. A command with options refuses a
    `key:value` word whose key it does not declare (`colour:red`) rather than search for it; a
    declared option given twice, or given empty, is a `UsageError` too.
    """
    declared = [o.lower() for o in options]
    allowed = set(declared)
    words: list[str] = []
    found: dict[str, str] = {}
    for word in split_words(text):
        shaped = option_word(word)
        if shaped is None and word.endswith(":") and word[:-1].lower() in allowed:
            shaped = (word[:-1].lower(), "")
        if shaped is None or not allowed:
            words.append(word)
            continue
        key, value = shaped[0], shaped[1].strip()
        if key not in allowed:
            raise unknown_key(key, declared, kind="option")
        if not value:
            raise UsageError(
                _("The option `{key}:` needs a value, for example `{key}:VALUE`.").format(key=key)
            )
        if key in found and found[key] != value:
            raise UsageError(
                _("The option `{key}:` is given twice ({first} and {second}).").format(
                    key=key, first=repr(found[key]), second=repr(value)
                )
            )
        found[key] = value
    return Args(words=tuple(words), options=found, text=text.strip())


def did_you_mean(typed: str, choices: Iterable[str]) -> str | None:
    """The choice `typed` most likely misspells (`contry` -> `country`) or shortens
    (`language` -> `lang`), or None when none is close."""
    typed = typed.lower()
    names = sorted(set(choices) - {typed})
    found = process.extractOne(typed, names, scorer=fuzz.ratio, score_cutoff=75)
    if found is not None:
        return str(found[0])
    if len(typed) >= 3:
        for name in names:
            if len(name) >= 3 and (name.startswith(typed) or typed.startswith(name)):
                return name
    return None


Kind = Literal["option", "field", "setting"]
_UNKNOWN: dict[Kind, tuple[str, str, str]] = {
    "option": (
        N_("There is no option `{key}:`."),
        N_("There is no option `{key}:`. Did you mean `{close}:`?"),
        N_("The options are {keys}."),
    ),
    "field": (
        N_("There is no field `{key}:`."),
        N_("There is no field `{key}:`. Did you mean `{close}:`?"),
        N_("The fields are {keys}."),
    ),
    "setting": (
        N_("There is no setting `{key}:`."),
        N_("There is no setting `{key}:`. Did you mean `{close}:`?"),
        N_("The settings are {keys}."),
    ),
}
"""Whole sentences per kind of key (the noun's gender changes the sentence in most languages)."""


def unknown_key(
    key: str, valid: Iterable[str], *, kind: Kind, shown: Iterable[str] | None = None
) -> UsageError:
    """The error for a `key:` the command does not take, with the keys it does take (`shown`,
    when only the main spellings of `valid` should be listed) and the near miss if any."""
    plain, near, listing = _UNKNOWN[kind]
    valid = list(valid)
    keys = ", ".join(f"`{k}:`" for k in dict.fromkeys(shown if shown is not None else valid))
    close = did_you_mean(key, valid)
    message = (
        _(plain).format(key=key[:40])
        if close is None
        else _(near).format(key=key[:40], close=close)
    )
    return UsageError(message, hint=_(listing).format(keys=keys))


def normalise_key(key: str) -> str:
    return re.sub(r"[\s_]+", "-", key.strip().lower())


def form_key(line: str) -> tuple[str, str] | None:
    """`("key-factors", "value")` when `line` starts with a form key (`Key Factors: value`),
    else None; `https://…` is a value, not a key `https`."""
    m = _FORM_KEY_RE.match(line)
    if m is None or m.group(2).startswith("//"):
        return None
    return normalise_key(m.group(1)), m.group(2)


def parse_form(
    text: str, *, title_key: str | None = None, keys: Collection[str] | None = None
) -> list[tuple[str, str]]:
    """Parse `key: value` pairs separated by `;` or new lines.

    A line without a key continues the previous value (multi-line summaries), except that the
    very first line may be a bare title when `title_key` is given. Keys are normalised
    (`Key Factors` -> `key-factors`). `\\;` stands for a literal semicolon inside a value.

    With `keys` (the keys the form takes, as typed), a `;` starts a new pair only when one of
    them, or a near miss of one, follows it with a colon (`; country: IT`, `; contry: IT`): any
    other `;` is part of the value, so `bio: I run a job centre; I also advise on housing`
    keeps its semicolon.
    """
    placeholder = "\x00"
    raw = clean_input(text).replace("\\;", placeholder)
    known = None if keys is None else {normalise_key(k) for k in keys}
    chunks: list[str] = []
    for line in raw.splitlines():
        parts = line.split(";")
        chunks.append(parts[0])
        for part in parts[1:]:
            if known is None or _starts_field(part, known):
                chunks.append(part)
            else:
                chunks[-1] += ";" + part
    pairs: list[tuple[str, str]] = []
    for index, chunk in enumerate(chunks):
        chunk = chunk.replace(placeholder, ";")
        if not chunk.strip():
            continue
        found = form_key(chunk)
        if found is not None:
            pairs.append((found[0], found[1].strip()))
        elif index == 0 and title_key is not None:
            pairs.append((title_key, chunk.strip()))
        elif pairs:
            key, value = pairs[-1]
            pairs[-1] = (key, (value + "\n" + chunk.strip()).strip())
        else:  # the command's usage and example follow in the reply
            raise UsageError(
                _("I could not read {text}: each part should look like `key: value`.").format(
                    text=repr(chunk.strip()[:60])
                )
            )
    return pairs


def _starts_field(part: str, known: set[str]) -> bool:
    """Whether the text after a `;` starts a known key, or a near miss of one typed as one word
    (`contry:`, `organisation-typ:`; not `I also advise:`)."""
    found = form_key(part)
    if found is None:
        return False
    key = found[0]
    one_word = not re.search(r"\s", part.split(":", 1)[0].strip())
    return key in known or (one_word and did_you_mean(key, known) is not None)


_ID_RE = re.compile(r"#?([0-9]{1,9})")
_GIVE_ID = {
    "question": N_("Give the question's number, e.g. `{example}`."),
    "session": N_("Give the session's number, e.g. `{example}`."),
    "practice": N_("Give the practice's number, e.g. `{example}`."),
}
"""A whole sentence per kind of row (`what`), for the languages where the noun changes it; a
new kind adds its sentence here."""


def parse_id(text: str | None, what: str, example: str) -> int:
    """A row number typed by a member (`12` or `#12`); ASCII digits only (`²` is not a number)."""
    m = _ID_RE.fullmatch((text or "").strip())
    if m is None:
        sentence = _GIVE_ID.get(what, N_("Give its number, e.g. `{example}`."))
        raise UsageError(_(sentence).format(example=example))
    return int(m.group(1))


def parse_int(text: str, low: int, high: int) -> int | None:
    """An ASCII integer within [low, high], else None."""
    value = text.strip()
    if not re.fullmatch(r"[0-9]{1,9}", value) or not low <= int(value) <= high:
        return None
    return int(value)
