"""The bot's words in the member's language: gettext catalogues managed with Babel.

Every user-visible string goes through `_()` (or `n_()` for a count), so that `pybabel extract`
finds it and each language's catalogue (`cop_bot/locales/<lang>/LC_MESSAGES/cop_bot.po`) can
translate it. The language is *active* for the code that runs under `using(lang)`: the router
activates the command's `ctx.locale` around the handler, each job activates its recipient's
language, and each renderer the language its `Reply` was written in. So a handler writes
`_("Nothing found.")` and never looks the language up itself.

The catalogues are read from their `.po` files on first use of each language (Babel parses and
compiles one in memory), so an editable install and a wheel get the same words without a build
step, and a command line that only prints `--help` loads none.

Placeholders are `str.format` names: `_("Saved {title}.").format(title=...)`. Strings at module
level (command summaries, field labels) are marked with `N_()` and translated where shown.
"""

from __future__ import annotations

import gettext
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

from babel import Locale
from babel.lists import format_list
from babel.numbers import format_decimal

if TYPE_CHECKING:  # Babel's catalogue tools load only with a catalogue (not for English)
    from babel.messages.catalog import Catalog, Message

LANGUAGES: tuple[str, ...] = ("en", "fr", "es", "it", "de", "ar", "el")
"""The languages the bot speaks: the taxonomy's. English is the source language (the msgids)."""
DEFAULT = "en"
RTL = frozenset({"ar"})
DOMAIN = "cop_bot"
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "_": None,
    "N_": None,
    "ngettext": (1, 2),
    "n_": (2, 3),
    "sentence": (2, 3),  # core.privacy.sentence: the erasure report's counted sentences
}
"""What `pybabel extract -k` and the catalogue test look for (`scripts/i18n` passes the same)."""

_active: ContextVar[str] = ContextVar("cop_bot_language", default=DEFAULT)
_catalogues: dict[str, gettext.NullTranslations] = {}
_lock = threading.Lock()


def catalogue_path(language: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of `language` (English and unknown languages: the msgids)."""
    found = _catalogues.get(language)
    if found is not None:
        return found
    with _lock:
        if language not in _catalogues:
            _catalogues[language] = _load(language)
        return _catalogues[language]


def catalogue(language: str) -> Catalog | None:
    """The language's catalogue as Babel reads it: `cop_bot.po`, plus any other `.po` file
    beside it (a part being translated on a branch), the first one's header winning."""
    from babel.messages.pofile import read_po

    folder = LOCALES_DIR / language / "LC_MESSAGES"
    paths = sorted(folder.glob("*.po"), key=lambda p: (p.name != f"{DOMAIN}.po", p.name))
    whole: Catalog | None = None
    for path in paths:
        with path.open("rb") as fp:
            part = read_po(fp, locale=language, domain=DOMAIN)
        if whole is None:
            whole = part
            continue
        for message in part:
            mine = whole.get(message.id, message.context) if message.id else None
            if not message.id or not translated(message):
                continue
            if mine is None:
                whole[message.id] = message
            elif not translated(mine):  # Catalog.__setitem__ would keep the empty string
                mine.string = message.string
                mine.flags.discard("fuzzy")
    return whole


def translated(message: Message) -> bool:
    """Whether every form of `message` has a translation (empty ones fall back to English)."""
    forms = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return bool(forms) and all(forms)


def _load(language: str) -> gettext.NullTranslations:
    catalog = catalogue(language) if language != DEFAULT else None
    if catalog is None:
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo

    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)  # fuzzy and empty entries fall back to English
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def supported(code: str | None) -> str | None:
    """`fr`, `es-ES`, `es_ES`, `ar-EG` -> the language the bot speaks for it, else None."""
    if not code:
        return None
    head = code.strip().replace("_", "-").split("-")[0].lower()
    return head if head in LANGUAGES else None


def active() -> str:
    """The language of the words written now."""
    return _active.get()


@contextmanager
def using(language: str | None) -> Iterator[str]:
    """Write in `language` (an unsupported one: English) inside the block."""
    chosen = supported(language) or DEFAULT
    token = _active.set(chosen)
    try:
        yield chosen
    finally:
        _active.reset(token)


def switch(language: str | None) -> None:
    """Write in `language` from now until the enclosing `using` block ends (the router knows
    the member's language only once the command's session has found them)."""
    _active.set(supported(language) or DEFAULT)


def _(message: str) -> str:
    """`message` in the active language."""
    return translations(_active.get()).gettext(message)


def N_(message: str) -> str:
    """Marks a string for extraction where it is defined; `_()` translates it where shown."""
    return message


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of a phrase for `count` in the active language (Arabic has six)."""
    return translations(_active.get()).ngettext(singular, plural, count)


def n_(count: int, singular: str, plural: str, /, **values: object) -> str:
    """A whole phrase for `count`, with `{count}` as a locale-formatted number (`1 234` in
    French) and the named `values` filled in: `n_(n, "{count} practice", "{count} practices")`.
    """
    return ngettext(singular, plural, count).format(count=number(count), **values)


def locale() -> Locale:
    return _locale(_active.get())


_locales: dict[str, Locale] = {}


def _locale(language: str) -> Locale:
    found = _locales.get(language)
    if found is None:
        # the bot's English is British ("organisation", "Marie, Ahmed and Sofia")
        found = _locales.setdefault(
            language, Locale.parse("en_GB" if language == "en" else language)
        )
    return found


def number(value: int | float) -> str:
    """`1,234` in English, `1 234` in French, `1.234` in German, `١٬٢٣٤` never: digits stay
    Western (Babel's default for `ar` is Latin digits too)."""
    if isinstance(value, int) and -1000 < value < 1000:
        return str(value)  # nothing to group: the common case, without Babel's formatter
    return format_decimal(value, locale=_locale(_active.get()))


def join(items: Iterable[str], *, style: str = "standard") -> str:
    """`Marie, Ahmed and Sofia` / `Marie, Ahmed et Sofia` / `Marie, Ahmed o Sofia` (`style="or"`)."""
    listed = list(items)
    if not listed:
        return ""
    return format_list(listed, style=style, locale=_locale(_active.get()))  # type: ignore[arg-type]


def is_rtl(language: str | None = None) -> bool:
    return (supported(language) if language else _active.get()) in RTL


def weekday_names(language: str) -> tuple[str, ...]:
    """Monday..Sunday, written in `language` (Babel's wide, standalone forms, lower case)."""
    days = _locale(language).days["stand-alone"]["wide"]
    return tuple(str(days[i]).lower() for i in range(7))
