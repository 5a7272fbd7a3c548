"""The community's domains of practice and the matcher that maps what members type to them.

Members type `labor markt`, `employment`, `marché du travail` or `mental health`; the matcher
folds case, accents, British/American spelling and plurals, then scores with rapidfuzz against
every slug, label (seven languages) and synonym. It answers "no good match" rather than a
random domain, and says which term matched so replies can explain themselves.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from cop_bot.core.errors import ConfigError
from cop_bot.core.lexicon import GENERIC, Word, lexicon_files, read_lexicon
from cop_bot.core.matcher import Matcher

GOOD_MATCH = 82.0
"""At or above this confidence a candidate counts as a match; below it, only as a suggestion."""
SUGGESTION = 60.0
MATCH_MEMO_SIZE = 4096
_MIN_FUZZY_LEN = 4  # shorter terms must match exactly: "hr" is not "health"

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "the",
        "of",
        "for",
        "in",
        "on",
        "to",
        "with",
        "about",
        "at",
        "by",
        "from",
        "or",
        "de",
        "du",
        "des",
        "la",
        "le",
        "les",
        "et",
        "en",
        "au",
        "aux",
        "pour",
        "un",
        "une",
        "el",
        "los",
        "las",
        "y",
        "del",
        "para",
        "con",
        "por",
        "il",
        "lo",
        "gli",
        "i",
        "di",
        "da",
        "e",
        "per",
        "con",
        "nel",
        "della",
        "delle",
        "dei",
        "der",
        "die",
        "das",
        "und",
        "für",
        "von",
        "mit",
        "im",
        "zum",
        "zur",
        "και",
        "το",
        "τα",
        "η",
        "ο",
        "οι",
        "των",
        "της",
        "για",
        "σε",
    ]
)
_UK_US = {
    "labour": "labor",
    "neighbour": "neighbor",
    "centre": "center",
    "programme": "program",
    "licence": "license",
    "defence": "defense",
    "practise": "practice",
    "ageing": "aging",
}


def _strip_accents(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_NON_WORD = re.compile(r"[\W_]+")
_OUR = re.compile(r"(?<=[a-z]{2})our")


@lru_cache(maxsize=200_000)
def _fold_token(token: str) -> str:
    if not token.isascii():
        return token
    token = _UK_US.get(token, token)
    token = token.replace("isation", "ization")
    token = _OUR.sub("or", token)  # labour, neighbourhood, behaviour
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 4 and token.endswith(("ches", "shes", "sses", "xes")):
        return token[:-2]
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def normalise(text: str) -> str:
    """Fold text so that spelling variants compare equal: case, accents, hyphens, UK/US, plurals."""
    folded = _NON_WORD.sub(" ", _strip_accents(text.casefold()))
    return " ".join(_fold_token(t) for t in folded.split())


def content_words(normalised: str) -> str:
    return " ".join(t for t in normalised.split() if t not in STOPWORDS)


@dataclass(frozen=True)
class Group:
    slug: str
    labels: Mapping[str, str]

    def label(self, language: str | None = None) -> str:
        return self.labels.get(language or "en") or self.labels.get("en") or self.slug


@dataclass(frozen=True)
class Domain:
    slug: str
    group: str
    labels: Mapping[str, str]
    description: str
    synonyms: tuple[str, ...] = ()
    words: tuple[Word, ...] = ()
    """The lexicon's terms for this domain, in each language (`config/lexicon/`)."""

    def label(self, language: str | None = None) -> str:
        return self.labels.get(language or "en") or self.labels.get("en") or self.slug

    def terms(self) -> Iterable[tuple[str, str]]:
        """Every way of naming this domain, with what kind of name it is."""
        yield self.slug.replace("-", " "), "slug"
        for lang, label in self.labels.items():
            yield label, f"label ({lang})"
        for synonym in self.synonyms:
            yield synonym, "synonym"
        for word in self.words:
            yield word.text, "synonym"


@dataclass(frozen=True)
class Candidate:
    slug: str
    score: float
    term: str
    via: str

    @property
    def good(self) -> bool:
        return self.score >= GOOD_MATCH


@dataclass(frozen=True)
class MatchResult:
    query: str
    candidates: tuple[Candidate, ...]

    @property
    def matches(self) -> tuple[Candidate, ...]:
        return tuple(c for c in self.candidates if c.good)

    @property
    def best(self) -> Candidate | None:
        return self.matches[0] if self.matches else None

    @property
    def suggestions(self) -> tuple[Candidate, ...]:
        return tuple(c for c in self.candidates if c.score >= SUGGESTION)[:3]


@dataclass
class Taxonomy:
    groups: tuple[Group, ...]
    domains: tuple[Domain, ...]
    languages: tuple[str, ...] = ("en",)
    generic: tuple[Word, ...] = ()
    """Words that come up whatever the domain (refugee, migrant): they weigh little."""
    _matcher: Matcher | None = field(default=None, init=False, repr=False)
    _by_slug: dict[str, Domain] = field(default_factory=dict, init=False, repr=False)
    _memo: OrderedDict[tuple[str, int], MatchResult] = field(
        default_factory=OrderedDict, init=False, repr=False
    )
    _memo_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _index_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_slug = {d.slug: d for d in self.domains}

    def matcher(self) -> Matcher:
        """Every name of every domain, indexed on the first match: most commands only need
        labels (`cop-bot run` builds it before it listens, in `warm_caches`)."""
        with self._index_lock:
            if self._matcher is None:
                self._matcher = Matcher(
                    self._names(), ((g.text, g.language) for g in self.generic), len(self.domains)
                )
            return self._matcher

    def _names(self) -> Iterable[tuple[str, str, str, str | None, float]]:
        for domain in self.domains:
            yield domain.slug, domain.slug.replace("-", " "), "slug", "en", 1.0
            for lang, label in domain.labels.items():
                yield domain.slug, label, f"label ({lang})", lang, 1.0
            for synonym in domain.synonyms:
                yield domain.slug, synonym, "synonym", None, 1.0
            for word in domain.words:
                yield domain.slug, word.text, "synonym", word.language, word.weight

    def __contains__(self, slug: object) -> bool:
        return slug in self._by_slug

    def get(self, slug: str) -> Domain | None:
        return self._by_slug.get(slug)

    def group(self, slug: str) -> Group | None:
        return next((g for g in self.groups if g.slug == slug), None)

    def label(self, slug: str, language: str | None = None) -> str:
        domain = self._by_slug.get(slug)
        return domain.label(language) if domain else slug

    def match(self, query: str, *, limit: int = 5) -> MatchResult:
        """Rank domains for free text; candidates carry a 0–100 confidence and the matched term.

        Remembered for the last `MATCH_MEMO_SIZE` queries: a taxonomy never changes once loaded,
        and members ask for the same few domains all day long."""
        key = (query, limit)
        with self._memo_lock:
            found = self._memo.get(key)
            if found is not None:
                self._memo.move_to_end(key)
                return found
        result = self._match(query, limit)
        with self._memo_lock:
            self._memo[key] = result
            while len(self._memo) > MATCH_MEMO_SIZE:
                self._memo.popitem(last=False)
        return result

    def _match(self, query: str, limit: int) -> MatchResult:
        found = self.matcher().match(query[:500], limit)
        return MatchResult(
            query, tuple(Candidate(f.slug, f.confidence, f.term, f.via) for f in found)
        )


# ---- loading -------------------------------------------------------------------------------


def default_taxonomy_path() -> Path:
    """`config/taxonomy.yaml` of the working directory, else the copy shipped with the package."""
    local = Path.cwd() / "config" / "taxonomy.yaml"
    if local.is_file():
        return local
    shipped = resources.files("cop_bot").joinpath("_config/taxonomy.yaml")
    if shipped.is_file():
        return Path(str(shipped))
    return Path(__file__).resolve().parents[2] / "config" / "taxonomy.yaml"


_LEXICON_LINE = re.compile(rb"^lexicon:[ \t]*(\S+)", re.MULTILINE)


@lru_cache(maxsize=8)
def load_taxonomy(path: str | None = None, *, cache_dir: str | None = None) -> Taxonomy:
    """The taxonomy in `path` (default: `default_taxonomy_path`). With `cache_dir` (the CLI
    gives COP_BOT_STATE_DIR) a file read before comes from `taxonomy_cache`, without PyYAML."""
    from cop_bot.core import taxonomy_cache

    target = Path(path) if path else default_taxonomy_path()
    try:
        source = target.read_bytes()
    except OSError as exc:
        raise ConfigError(f"COP_BOT_TAXONOMY: cannot read {target}: {exc.strerror}") from exc
    digest = hashlib.sha256(source)
    if named := _LEXICON_LINE.search(source):  # the lexicon is part of the cache key
        folder = target.parent / named.group(1).decode("utf-8", "replace").strip("'\" ")
        for lexicon_file in sorted(folder.glob("*.yaml")):
            digest.update(lexicon_file.name.encode() + lexicon_file.read_bytes())
    key = digest.hexdigest()
    if cache_dir is not None and (cached := taxonomy_cache.read(cache_dir, key)) is not None:
        try:
            return parse_taxonomy(cached, source=str(target))
        except ConfigError:
            pass  # not what we wrote: read the file itself
    raw = _read_yaml(source, target)
    if isinstance(raw, dict):
        _add_lexicon(raw, target)
    taxonomy = parse_taxonomy(raw, source=str(target))
    if cache_dir is not None:
        taxonomy_cache.write(cache_dir, key, taxonomy_data(taxonomy))
    return taxonomy


def _add_lexicon(raw: dict[str, Any], target: Path) -> None:
    """The lexicon's words (`lexicon: FOLDER`, see `core.lexicon`) into each domain's entry, in
    the shape `taxonomy_data` writes (so the cache holds them too)."""
    files = lexicon_files(target, raw)
    if not files:
        return
    entries = [d for d in raw.get("domains") or () if isinstance(d, dict) and d.get("slug")]
    by_domain, generic = read_lexicon(
        files, (str(d["slug"]) for d in entries), [str(x) for x in raw.get("languages") or ()]
    )
    for entry in entries:
        entry["words"] = [_word_data(word) for word in by_domain.get(str(entry["slug"]), [])]
    raw[GENERIC] = [_word_data(word) for word in generic]


def _word_data(word: Word) -> list[Any]:
    return [word.text, word.language, word.weight, word.stated]


def _words(items: Any, where: str) -> tuple[Word, ...]:
    try:
        return tuple(
            Word(str(t), str(lang), float(wt), bool(st)) for t, lang, wt, st in items or ()
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: words must be [text, language, weight, stated]") from exc


def _read_yaml(source: bytes, target: Path) -> Any:
    import yaml

    # libyaml's safe loader when PyYAML has it: four times faster than the pure-Python one.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(source.decode("utf-8"), Loader=loader)  # noqa: S506 (a safe loader)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"COP_BOT_TAXONOMY: {target} is not UTF-8 text: {exc.reason}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"COP_BOT_TAXONOMY: {target} is not valid YAML: {exc}") from exc


def taxonomy_data(taxonomy: Taxonomy) -> dict[str, Any]:
    """The taxonomy in the shape `parse_taxonomy` reads, with every value already checked."""
    return {
        "languages": list(taxonomy.languages),
        "groups": [{"slug": g.slug, "labels": dict(g.labels)} for g in taxonomy.groups],
        "domains": [
            {
                "slug": d.slug,
                "group": d.group,
                "labels": dict(d.labels),
                "description": d.description,
                "synonyms": list(d.synonyms),
                "words": [_word_data(word) for word in d.words],
            }
            for d in taxonomy.domains
        ],
        GENERIC: [_word_data(word) for word in taxonomy.generic],
    }


def parse_taxonomy(raw: Any, *, source: str = "taxonomy") -> Taxonomy:
    """Validate the YAML structure with messages that point at the faulty entry."""
    if not isinstance(raw, dict) or not isinstance(raw.get("domains"), list):
        raise ConfigError(f"{source}: expected a mapping with a `domains:` list")
    languages = tuple(str(x) for x in raw.get("languages") or ("en",))
    groups = tuple(
        Group(
            slug=str(g["slug"]), labels={str(k): str(v) for k, v in (g.get("labels") or {}).items()}
        )
        for g in raw.get("groups") or ()
        if isinstance(g, dict) and "slug" in g
    )
    group_slugs = {g.slug for g in groups}
    domains: list[Domain] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw["domains"]):
        where = f"{source}: domain #{index + 1}"
        if not isinstance(entry, dict) or not entry.get("slug"):
            raise ConfigError(f"{where}: each domain needs a `slug`")
        slug = str(entry["slug"])
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug):
            raise ConfigError(f"{where}: slug {slug!r} must be lowercase words joined by hyphens")
        if slug in seen:
            raise ConfigError(f"{where}: slug {slug!r} appears twice")
        seen.add(slug)
        labels = {str(k): str(v) for k, v in (entry.get("labels") or {}).items()}
        if "en" not in labels:
            raise ConfigError(
                f"{where} ({slug}): an English label (`labels: {{en: ...}}`) is required"
            )
        group = str(entry.get("group") or "")
        if groups and group not in group_slugs:
            raise ConfigError(
                f"{where} ({slug}): group {group!r} is not one of {sorted(group_slugs)}"
            )
        domains.append(
            Domain(
                slug=slug,
                group=group,
                labels=labels,
                description=str(entry.get("description") or ""),
                synonyms=tuple(str(s) for s in entry.get("synonyms") or ()),
                words=_words(entry.get("words"), f"{where} ({slug})"),
            )
        )
    return Taxonomy(
        groups=groups,
        domains=tuple(domains),
        languages=languages,
        generic=_words(raw.get(GENERIC), f"{source}: generic"),
    )
