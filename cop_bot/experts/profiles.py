"""Profile fields: reading values the way members type them (shared by `/profile set` and CSV
import), and the rules of a `/profile set` form.

Every parser returns a value or raises `ValueError` with a message that says what was expected,
so callers can collect every problem of a form at once and store nothing until all are fixed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from sqlmodel import Session

from cop_bot.core import i18n
from cop_bot.core.args import parse_form, parse_int, unknown_key
from cop_bot.core.i18n import N_, _
from cop_bot.core.taxonomy import Taxonomy, normalise
from cop_bot.core.wording import quoted
from cop_bot.storage import repos
from cop_bot.storage.limits import limit_of
from cop_bot.storage.models import Member

ORGANISATION_TYPES = ("ngo", "public", "international", "academia", "private", "other")
_ORG_TYPE_ALIASES = {
    "ngo": "ngo",
    "cso": "ngo",
    "civil society": "ngo",
    "non profit": "ngo",
    "nonprofit": "ngo",
    "public": "public",
    "government": "public",
    "city": "public",
    "municipality": "public",
    "local authority": "public",
    "international": "international",
    "un": "international",
    "io": "international",
    "academia": "academia",
    "academic": "academia",
    "university": "academia",
    "research": "academia",
    "private": "private",
    "business": "private",
    "company": "private",
    "other": "other",
}
_YES = {"yes", "y", "true", "on", "1", "oui", "si", "sí", "ja", "sì", "نعم", "ναι"}
_NO = {"no", "n", "false", "off", "0", "non", "nein", "لا", "όχι", "οχι"}
_CLEAR = {"-", "none", "clear", "remove"}
_NOT_COUNTRIES = {"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"}
_COUNTRY_ALIASES = {
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "usa": "US",
    "united states of america": "US",
    "america": "US",
    "turkey": "TR",
    "holland": "NL",
    "czech republic": "CZ",
    "ivory coast": "CI",
    "palestine": "PS",
    "russia": "RU",
    "syria": "SY",
    "iran": "IR",
}
NAME_LANGUAGES = ("en", "fr", "es", "it", "de", "ar", "el")
MAX_DOMAINS = 8
DEFAULT_MONTHLY_ASKS = 5
"""Questions a month an expert who accepts them gets when they set no capacity."""


def monthly_capacity(member: Member) -> int:
    return member.asks_capacity if member.asks_capacity is not None else DEFAULT_MONTHLY_ASKS


def is_clear(value: str) -> bool:
    return value.strip().lower() in _CLEAR or not value.strip()


def parse_yes_no(value: str) -> bool:
    word = value.strip().lower()
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise ValueError(_("{value} is not yes or no.").format(value=repr(value)))


@lru_cache(maxsize=1)
def _countries() -> tuple[dict[str, str], dict[str, str]]:
    """(code -> English name, normalised name in seven languages -> code)."""
    english = {
        code: name
        for code, name in Locale("en").territories.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    }
    by_name: dict[str, str] = {normalise(k): v for k, v in _COUNTRY_ALIASES.items()}
    for lang in NAME_LANGUAGES:
        for code, name in Locale(lang).territories.items():
            if code in english:
                by_name.setdefault(normalise(name), code)
    return english, by_name


def country_name(code: str | None) -> str | None:
    """The country's name in the active language (Babel's), the code if it is not a country."""
    if not code:
        return None
    english = _countries()[0].get(code)
    if english is None:
        return code
    return i18n.locale().territories.get(code) or english


def parse_country(value: str) -> str:
    """ISO 3166 alpha-2 code or a country name (English and the taxonomy's languages)."""
    english, by_name = _countries()
    text = value.strip()
    if len(text) == 2 and text.upper() in english:
        return text.upper()
    found = by_name.get(normalise(text))
    if found:
        return found
    raise ValueError(
        _(
            "{value} is not a country I know; use an ISO code such as IT or a name such as Italy."
        ).format(value=repr(text))
    )


@lru_cache(maxsize=1)
def _languages() -> tuple[dict[str, str], dict[str, str]]:
    english = {c: n for c, n in Locale("en").languages.items() if len(c) == 2 and c.isalpha()}
    by_name: dict[str, str] = {}
    for lang in NAME_LANGUAGES:
        for code, name in Locale(lang).languages.items():
            if code in english:
                by_name.setdefault(normalise(name), code)
    for code in english:
        try:
            native = Locale(code).get_display_name(code)
        except (UnknownLocaleError, ValueError, TypeError):
            continue
        if native:
            by_name.setdefault(normalise(native), code)
    return english, by_name


def language_name(code: str) -> str:
    """The language's name in the active language (Babel's), the code if it is not known."""
    english = _languages()[0].get(code)
    if english is None:
        return code
    return i18n.locale().languages.get(code) or english


def parse_languages(value: str) -> list[str]:
    """ISO 639-1 codes or names, separated by commas, `;`, `/` or spaces between codes."""
    english, by_name = _languages()
    out: list[str] = []
    bad: list[str] = []
    for part in re.split(r"[,/;]|\band\b", value):
        text = part.strip()
        if not text:
            continue
        if text.lower() in english:
            code: str | None = text.lower()
        else:
            code = by_name.get(normalise(text))
            if code is None and " " in text:  # "fr en it"
                words = text.split()
                if all(w.lower() in english for w in words):
                    out.extend(w.lower() for w in words if w.lower() not in out)
                    continue
        if code is None:
            bad.append(text)
        elif code not in out:
            out.append(code)
    if bad:
        raise ValueError(
            _(
                "{values}: not a language I know; use codes such as fr, ar or names such as French."
            ).format(values=", ".join(repr(b) for b in bad))
        )
    return out


def parse_timezone(value: str) -> str:
    text = value.strip()
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            _(
                "{value} is not a time zone; use an IANA name such as Europe/Rome or "
                "America/Bogota."
            ).format(value=repr(text))
        ) from None
    return text


def parse_organisation_type(value: str) -> str:
    found = _ORG_TYPE_ALIASES.get(normalise(value))
    if found is None:
        raise ValueError(
            _("{value} is not an organisation type; use one of {types}.").format(
                value=repr(value), types=", ".join(ORGANISATION_TYPES)
            )
        )
    return found


def parse_capacity(value: str) -> int:
    number = parse_int(value, 0, 100)
    if number is None:
        raise ValueError(
            _("{value} is not a number of questions a month between 0 and 100.").format(
                value=repr(value.strip())
            )
        )
    return number


@lru_cache(maxsize=1)
def _interface_names() -> dict[str, str]:
    """Normalised name of each language the bot speaks, in each of them, -> its code."""
    names: dict[str, str] = {}
    for shown_in in i18n.LANGUAGES:
        for code in i18n.LANGUAGES:
            names.setdefault(normalise(Locale.parse(shown_in).languages[code]), code)
    return names


def parse_interface_language(value: str) -> str:
    """`fr`, `fr-FR`, `French`, `français`, `Französisch`, `الفرنسية` -> `fr`: the language
    the bot writes to the member in, one of `i18n.LANGUAGES`."""
    text = value.strip()
    found = i18n.supported(text) if len(text) <= 8 else None
    if found is None and text:
        found = _interface_names().get(normalise(text))
    if found is None:
        raise ValueError(
            _(
                "{value} is not a language I write in; choose one of {choices}, e.g. {example}."
            ).format(value=repr(text[:40]), choices=interface_choices(), example="`language: fr`")
        )
    return found


def interface_choices() -> str:
    """`en (English), fr (French · français), ...`: the codes, named in the active language and
    in their own."""
    shown = i18n.locale().languages
    out = []
    for code in i18n.LANGUAGES:
        here, own = shown.get(code, code), Locale.parse(code).languages.get(code, code)
        out.append(
            f"{code} ({here})" if here.casefold() == own.casefold() else f"{code} ({here} · {own})"
        )
    return ", ".join(out)


@dataclass(frozen=True)
class DomainMapping:
    term: str
    slug: str
    score: float


@dataclass
class DomainParse:
    mapped: list[DomainMapping] = field(default_factory=list)
    unmatched: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def slugs(self) -> list[str]:
        return list(dict.fromkeys(m.slug for m in self.mapped))


def parse_domains(taxonomy: Taxonomy, value: str) -> DomainParse:
    """Map each comma-separated term through the matcher; unmatched terms are kept with the
    closest domains so they can be reported, never silently dropped."""
    result = DomainParse()
    for term in _split_terms(value):
        match = taxonomy.match(term)
        if match.best is not None:
            result.mapped.append(DomainMapping(term, match.best.slug, match.best.score))
        else:
            result.unmatched.append((term, [c.slug for c in match.suggestions]))
    return result


def _split_terms(value: str) -> Iterable[str]:
    for part in re.split(r"[,;\n]", value):
        if part.strip():
            yield part.strip()


_TOO_LONG = {
    "city": N_("The city is {length} characters long; the limit is {limit}."),
    "organisation": N_("The organisation is {length} characters long; the limit is {limit}."),
    "bio": N_("The bio is {length} characters long; the limit is {limit}."),
    "name": N_("The name is {length} characters long; the limit is {limit}."),
}
"""One whole sentence per field: the field's name takes an article and a gender elsewhere."""


def check_length(value: str, limit: int, what: str) -> str:
    text = value.strip()
    if len(text) > limit:
        template = _TOO_LONG.get(what)
        message = (
            _(template)
            if template is not None
            else f"The {what} is {{length}} characters long; the limit is {{limit}}."
        )
        raise ValueError(message.format(length=len(text), limit=limit))
    return text


# ---- the `/profile set` form ---------------------------------------------------------------

_SPELLINGS: dict[str, tuple[str, ...]] = {
    "domains": ("domains", "domain"),
    "country": ("country",),
    "city": ("city",),
    "languages": ("languages", "langs"),
    "locale": ("language",),
    "organisation": ("organisation", "organization", "org"),
    "organisation_type": ("organisation-type", "organization-type", "org-type", "type"),
    "bio": ("bio", "about"),
    "timezone": ("timezone", "tz", "time-zone"),
    "expert": ("expert",),
    "asks": ("asks", "questions"),
    "capacity": ("capacity",),
    "name": ("name",),
}
PROFILE_KEYS = {spelling: key for key, spellings in _SPELLINGS.items() for spelling in spellings}
"""What members may type as a key -> the profile field it sets."""
PROFILE_FIELDS = tuple(spellings[0] for spellings in _SPELLINGS.values())
"""The main spelling of each field, as help and error messages list them."""

_FIELD_PARSERS: dict[str, Callable[[str], Any]] = {
    "country": parse_country,
    "languages": parse_languages,
    "organisation_type": parse_organisation_type,
    "timezone": parse_timezone,
    "capacity": parse_capacity,
    "city": lambda v: check_length(v, limit_of(Member, "city"), "city"),
    "organisation": lambda v: check_length(v, limit_of(Member, "organisation"), "organisation"),
    "bio": lambda v: check_length(v, limit_of(Member, "bio"), "bio"),
    "name": lambda v: check_length(v, limit_of(Member, "display_name"), "name"),
    "expert": parse_yes_no,
    "asks": parse_yes_no,
    "locale": parse_interface_language,
}


@dataclass
class ProfileForm:
    """A read `/profile set` form: nothing may be saved while `problems` is not empty."""

    changes: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """How free-text domain terms were understood ("jobs" -> Labour market)."""


def read_profile_form(
    taxonomy: Taxonomy, language: str, text: str, domains_now: list[str]
) -> ProfileForm:
    """Every `key: value` pair of the form, checked; `domains_now` are the member's domains
    before the change (an expert needs at least one)."""
    form = ProfileForm()
    for raw_key, value in parse_form(text, keys=PROFILE_KEYS):
        key = PROFILE_KEYS.get(raw_key)
        if key is None:
            error = unknown_key(raw_key, PROFILE_KEYS, kind="field", shown=PROFILE_FIELDS)
            form.problems.append(f"{error.message} {error.hint}")
        elif key == "domains":
            _read_domains(taxonomy, language, value, form)
        elif is_clear(value) and key not in {"expert", "asks"}:
            form.changes[key] = [] if key == "languages" else None
        else:
            try:
                form.changes[key] = _FIELD_PARSERS[key](value)
            except ValueError as exc:
                form.problems.append(f"{raw_key}: {exc}")
    if form.changes.get("expert") and not form.changes.get("domains", domains_now):
        form.problems.append(
            _("To be listed as an expert, add at least one domain (e.g. `domains: housing`).")
        )
    return form


def _read_domains(taxonomy: Taxonomy, language: str, value: str, form: ProfileForm) -> None:
    if is_clear(value):
        form.changes["domains"] = []
        return
    parsed = parse_domains(taxonomy, value)
    for term, close in parsed.unmatched:
        if close:
            problem = _("I could not match “{term}” to a domain. Closest: {closest}.").format(
                term=term, closest=", ".join(close)
            )
        else:
            problem = _("I could not match “{term}” to a domain. See /domains for the list.")
            problem = problem.format(term=term)
        form.problems.append(problem)
    if len(parsed.slugs) > MAX_DOMAINS:
        form.problems.append(
            _("Choose at most {limit} domains; you gave {count}.").format(
                limit=MAX_DOMAINS, count=len(parsed.slugs)
            )
        )
    form.changes["domains"] = parsed.slugs
    form.notes.extend(
        f"{quoted(m.term)} → {taxonomy.label(m.slug, language)}"
        for m in parsed.mapped
        if m.term.lower() not in {m.slug, taxonomy.label(m.slug, language).lower()}
    )


_MEMBER_ATTRIBUTES = {"asks": "accepts_asks", "capacity": "asks_capacity"}


def apply_profile(session: Session, member: Member, changes: dict[str, Any], now: datetime) -> None:
    """Store a checked form's changes and tell the expert-search cache."""
    for key, value in changes.items():
        if key == "domains":
            repos.set_member_domains(session, member, value)
        elif key == "expert":
            if value and not member.is_expert:
                member.expert_since = now
            member.is_expert = value
        elif key == "name":  # their own name wins over the platform's; `-` gives it back
            member.display_name, member.name_chosen = value, value is not None
        else:
            setattr(member, _MEMBER_ATTRIBUTES.get(key, key), value)
    member.updated_at = now
    session.add(member)
    repos.bump_directory(session, member.community_id)
