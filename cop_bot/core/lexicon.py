"""The words practitioners use for each domain, one file per language (`config/lexicon/fr.yaml`).

`config/taxonomy.yaml` names its lexicon folder (`lexicon: lexicon`); each `<lang>.yaml` maps a
domain slug to the words and phrases members type for it, plus `generic:` for the words that come
up whatever the domain (refugee, migrant, women): they weigh little wherever they appear. One file
per language keeps a reviewer in their own language.

A term may name two domains of one language only if every listing says how much it weighs
(`{integration: 0.3}`): an unweighted duplicate is a mistake the loader refuses, naming the term
and both domains. A weight below 0.7 marks an ambiguous everyday word (Italian *visto*, seen or
a visa): alone it is a suggestion, with words that agree a match. A weight above 1 (at most 2)
marks a term that decides over the setting it comes up in (an interpreter at the hospital). The same letters in two languages are two words (German *Pass*, a passport;
French *PASS*, a health clinic).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cop_bot.core.errors import ConfigError
from cop_bot.core.words import fold

GENERIC = "generic"
MAX_WEIGHT = 2.0
"""Above 1, a term decides its domain over the setting it is named in: an *interpreter* for a
doctor's visit is asked of language support, not of health."""


@dataclass(frozen=True)
class Word:
    """A term for a domain: its text, its language and its weight (1 unless stated)."""

    text: str
    language: str
    weight: float = 1.0
    stated: bool = False
    """Whether the weight was written (only such terms may name several domains)."""


def lexicon_files(taxonomy_path: Path, raw: Mapping[str, Any]) -> list[Path]:
    """The lexicon files a taxonomy names, in a stable order (for its cache key too)."""
    folder = raw.get("lexicon")
    if not folder:
        return []
    where = (taxonomy_path.parent / str(folder)).resolve()
    if not where.is_dir():
        raise ConfigError(f"{taxonomy_path}: lexicon folder {where} does not exist")
    return sorted(where.glob("*.yaml"))


def read_lexicon(
    files: Iterable[Path], slugs: Iterable[str], languages: Iterable[str]
) -> tuple[dict[str, list[Word]], list[Word]]:
    """Every file's words by domain, and the generic words; checked (see the module)."""
    import yaml

    known = set(slugs)
    spoken = set(languages)
    by_domain: dict[str, list[Word]] = {slug: [] for slug in known}
    generic: list[Word] = []
    listed: dict[str, list[tuple[str, Word, Path]]] = {}
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for path in files:
        language = path.stem
        if language not in spoken:
            raise ConfigError(f"{path}: {language!r} is not one of the taxonomy's languages")
        try:
            raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: cannot read the lexicon: {exc}") from exc
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: expected a mapping of domain slugs to lists of terms")
        for slug, items in raw.items():
            slug = str(slug)
            if slug != GENERIC and slug not in known:
                raise ConfigError(f"{path}: {slug!r} is not a domain of the taxonomy")
            if not isinstance(items, list):
                raise ConfigError(f"{path}: {slug}: expected a list of terms")
            for item in items:
                word = _word(item, language, f"{path}: {slug}")
                if slug == GENERIC:
                    generic.append(word)
                    continue
                by_domain[slug].append(word)
                listed.setdefault(f"{language}:{fold(word.text)}", []).append((slug, word, path))
    _refuse_unweighted_duplicates(listed)
    return by_domain, generic


def _word(item: Any, language: str, where: str) -> Word:
    if isinstance(item, dict) and len(item) == 1:
        ((text, weight),) = item.items()
        try:
            value = float(weight)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: the weight of {text!r} must be a number") from None
        if not 0 < value <= MAX_WEIGHT:
            raise ConfigError(
                f"{where}: the weight of {text!r} must be above 0 and at most {MAX_WEIGHT:g}"
            )
        return Word(str(text), language, value, stated=True)
    if isinstance(item, str | int | float) and str(item).strip():
        return Word(str(item).strip(), language)
    raise ConfigError(f"{where}: {item!r} is not a term (a word, or `{{term: weight}}`)")


def _refuse_unweighted_duplicates(listed: Mapping[str, list[tuple[str, Word, Path]]]) -> None:
    for places in listed.values():
        domains = {slug for slug, _word, _path in places}
        if len(domains) < 2 or all(word.stated for _slug, word, _path in places):
            continue
        (first, word_a, path_a), (second, _word_b, path_b) = _two_domains(places)
        raise ConfigError(
            f"lexicon: {word_a.text!r} is listed under {first} ({path_a.name}) and {second} "
            f"({path_b.name}) without a weight; keep it in one domain, or give it a weight in "
            f"each, e.g. `{{{word_a.text}: 0.5}}`"
        )


def _two_domains(
    places: list[tuple[str, Word, Path]],
) -> tuple[tuple[str, Word, Path], tuple[str, Word, Path]]:
    first = next(p for p in places if not p[1].stated)
    second = next(p for p in places if p[0] != first[0])
    return first, second
