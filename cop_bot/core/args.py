"""Parsing what members type. Total functions: any text yields a result or a `UsageError`,
never another exception (property-tested with hypothesis).

Three shapes cover every command:
- a command line: `/find-expert labour market country:IT` -> name + rest;
- words and `key:value` options: `labour market country:IT` -> words + options;
- a form of `key: value` pairs separated by `;` or new lines (profiles, practices, settings).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from cop_bot.core.errors import UsageError

COMMAND_PREFIXES = ("/", "!")
_NAME_RE = re.compile(r"[a-z][a-z0-9-]{0,39}")
_OPTION_RE = re.compile(r"^([A-Za-z][A-Za-z0-9_-]{0,30}):(.*)$", re.DOTALL)
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
    first, _, rest = stripped.partition(" ")
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


def parse_args(text: str, options: Collection[str] = ()) -> Args:
    """Separate declared `key:value` options from the other words.

    A word like `15:00` or `note:` with an undeclared key stays a word, so free text is never
    swallowed. A declared option given twice, or given empty, is a `UsageError`.
    """
    allowed = {o.lower() for o in options}
    words: list[str] = []
    found: dict[str, str] = {}
    for word in split_words(text):
        m = _OPTION_RE.match(word)
        key = m.group(1).lower() if m else None
        if m is None or key not in allowed:
            words.append(word)
            continue
        assert key is not None
        value = m.group(2).strip()
        if not value:
            raise UsageError(f"The option `{key}:` needs a value, for example `{key}:VALUE`.")
        if key in found and found[key] != value:
            raise UsageError(f"The option `{key}:` is given twice ({found[key]!r} and {value!r}).")
        found[key] = value
    return Args(words=tuple(words), options=found, text=text.strip())


def normalise_key(key: str) -> str:
    return re.sub(r"[\s_]+", "-", key.strip().lower())


def form_key(line: str) -> tuple[str, str] | None:
    """`("key-factors", "value")` when `line` starts with a form key (`Key Factors: value`),
    else None; `https://…` is a value, not a key `https`."""
    m = _FORM_KEY_RE.match(line)
    if m is None or m.group(2).startswith("//"):
        return None
    return normalise_key(m.group(1)), m.group(2)


def parse_form(text: str, *, title_key: str | None = None) -> list[tuple[str, str]]:
    """Parse `key: value` pairs separated by `;` or new lines.

    A line without a key continues the previous value (multi-line summaries), except that the
    very first line may be a bare title when `title_key` is given. Keys are normalised
    (`Key Factors` -> `key-factors`). `\\;` stands for a literal semicolon inside a value.
    """
    placeholder = "\x00"
    raw = text.replace("\\;", placeholder)
    chunks: list[str] = []
    for line in raw.splitlines():
        chunks.extend(line.split(";"))
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
                f"I could not read {chunk.strip()[:60]!r}: each part should look like `key: value`."
            )
    return pairs


def strip_handle(text: str) -> str:
    """`@alice`, `alice` and ` @Alice ` all name the same member."""
    return text.strip().lstrip("@").strip().lower()


_HANDLE_RE = re.compile(r"[\w.:-]{1,80}")


def parse_handle(text: str) -> str:
    """A member handle typed in a command, validated so it can be stored and shown safely."""
    handle = strip_handle(text)
    if not _HANDLE_RE.fullmatch(handle):
        raise UsageError(
            f"{text.strip()[:40]!r} is not a member handle.",
            hint="Name the member like @amina.haddad.",
        )
    return handle


_INPUT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_input(text: str) -> str:
    """Drop control characters (NUL breaks PostgreSQL text; others break terminals), keep new lines."""
    return _INPUT_CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


_ID_RE = re.compile(r"#?([0-9]{1,9})")


def parse_id(text: str | None, what: str, example: str) -> int:
    """A row number typed by a member (`12` or `#12`); ASCII digits only (`²` is not a number)."""
    m = _ID_RE.fullmatch((text or "").strip())
    if m is None:
        raise UsageError(f"Give the {what}'s number, e.g. `{example}`.")
    return int(m.group(1))


def parse_int(text: str, low: int, high: int) -> int | None:
    """An ASCII integer within [low, high], else None."""
    value = text.strip()
    if not re.fullmatch(r"[0-9]{1,9}", value) or not low <= int(value) <= high:
        return None
    return int(value)
