"""What a practice holds and how a typed form becomes one.

`/share-practice`, `/practice edit`, the CLI import and the demo all read forms here, so a
practice typed in chat and one read from a spreadsheet are checked by the same rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cop_bot.core import i18n
from cop_bot.core.args import unknown_key
from cop_bot.core.i18n import N_, _
from cop_bot.core.taxonomy import Taxonomy
from cop_bot.core.wording import shorten
from cop_bot.experts.profiles import is_clear, parse_country, parse_domains, parse_languages

PRACTICE_KINDS = ("practice", "resource", "toolkit")
SCALES = ("local", "national", "regional", "global")
MAX_DOMAINS = 5
MAX_TAGS = 10
MAX_TAG_LENGTH = 40
MIN_TITLE, MIN_SUMMARY = 3, 20


@dataclass(frozen=True)
class FieldSpec:
    key: str
    """As typed in a form (`key-factors`)."""
    attr: str
    """The `Practice` attribute and the export column (`key_factors`)."""
    label: str
    limit: int = 2000
    required: bool = False
    placeholder: str = ""
    scan: bool = True
    """Whether the personal-data check reads this field (not contact details or links)."""


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "title",
        "title",
        N_("Title"),
        200,
        True,
        N_("A short title that says what the practice does"),
    ),
    FieldSpec(
        "summary",
        "summary",
        N_("Summary"),
        2000,
        True,
        N_("Two or three sentences: what it is, for whom, and what it achieved"),
    ),
    FieldSpec("domains", "domains", N_("Domains"), 500, True, N_("e.g. housing, labour market")),
    FieldSpec(
        "kind", "kind", N_("Kind"), 16, placeholder=N_("practice, resource or toolkit"), scan=False
    ),
    FieldSpec(
        "tags", "tags", N_("Tags"), 500, placeholder=N_("a few keywords, separated by commas")
    ),
    FieldSpec(
        "country", "country", N_("Country"), 60, placeholder=N_("e.g. IT or Italy"), scan=False
    ),
    FieldSpec("city", "city", N_("City"), 120, scan=False),
    FieldSpec(
        "scale",
        "scale",
        N_("Scale"),
        16,
        placeholder=N_("local, national, regional or global"),
        scan=False,
    ),
    FieldSpec("organisation", "organisation", N_("Organisation"), 200, scan=False),
    FieldSpec("link", "link", N_("Link"), 500, placeholder="https://…", scan=False),
    FieldSpec(
        "language", "language", N_("Language"), 40, placeholder=N_("e.g. en or English"), scan=False
    ),
    FieldSpec("target-group", "target_group", N_("Target group"), 300),
    FieldSpec("standard", "standard", N_("Standard")),
    FieldSpec("key-factors", "key_factors", N_("Key factors")),
    FieldSpec("rationale", "rationale", N_("Rationale")),
    FieldSpec("guide-questions", "guide_questions", N_("Guide questions")),
    FieldSpec("examples", "examples", N_("Examples")),
    FieldSpec("results", "results", N_("Results")),
    FieldSpec("contact", "contact", N_("Contact"), 300, scan=False),
    FieldSpec("contact-public", "contact_public", N_("Contact on the web"), 8, scan=False),
    FieldSpec("licence", "licence", N_("Licence"), 100, scan=False),
)
BY_KEY = {f.key: f for f in FIELDS}
BY_ATTR = {f.attr: f for f in FIELDS}
REQUIRED = tuple(f.key for f in FIELDS if f.required)
MISSING = {
    "title": N_("The title is missing: add `{line}`."),
    "summary": N_("The summary is missing: add `{line}`."),
    "domains": N_("The domains are missing: add `{line}`."),
}
"""What a form without a required field is told, one whole sentence per field."""
CLEARED = {
    "title": N_("The title cannot be empty."),
    "summary": N_("The summary cannot be empty."),
    "domains": N_("The domains cannot be empty."),
}
"""What an edit that empties a required field is told (whole sentences, for the translators)."""
UNCHANGED = {
    "title": N_("Replace the example text of `title:` with the title."),
    "summary": N_("Replace the example text of `summary:` with the summary."),
    "domains": N_("Replace the example text of `domains:` with the domains."),
}
"""What a form that kept a required field's example text is told."""
KIND_LABELS = {
    "practice": N_("practice"),
    "resource": N_("resource"),
    "toolkit": N_("toolkit"),
    "answer": N_("answered question"),  # promoted from /question promote, never typed
}
"""A practice's kind as members read it (the value itself, `toolkit`, is what forms take)."""
BENCHMARK_FIELDS = (
    "standard",
    "key-factors",
    "rationale",
    "guide-questions",
    "examples",
    "results",
)
ALIASES = {
    "name": "title",
    "description": "summary",
    "abstract": "summary",
    "domain": "domains",
    "type": "kind",
    "tag": "tags",
    "keywords": "tags",
    "keyword": "tags",
    "organization": "organisation",
    "org": "organisation",
    "url": "link",
    "website": "link",
    "lang": "language",
    "target": "target-group",
    "target-groups": "target-group",
    "audience": "target-group",
    "beneficiaries": "target-group",
    "key-factor": "key-factors",
    "success-factors": "key-factors",
    "guide-question": "guide-questions",
    "self-assessment": "guide-questions",
    "example": "examples",
    "result": "results",
    "outcomes": "results",
    "impact": "results",
    "license": "licence",
    "publish-contact": "contact-public",
    "level": "scale",
}
_KIND_WORDS = {
    "practice": "practice",
    "good practice": "practice",
    "good-practice": "practice",
    "resource": "resource",
    "toolkit": "toolkit",
    "tool": "toolkit",
    "tool kit": "toolkit",
}


def canonical_key(key: str) -> str | None:
    """The form key a typed key stands for, or None when it is not a practice field."""
    key = key.strip().lower().replace("_", "-")
    if key in BY_KEY:
        return key
    if key in ALIASES:
        return ALIASES[key]
    if key.endswith("s") and key[:-1] in BY_KEY:
        return key[:-1]
    return None


FORM_KEYS = frozenset({*BY_KEY, *ALIASES, *(f"{key}s" for key in BY_KEY)})
"""Every key a practice form takes as typed (`canonical_key` maps each to its field)."""


def label(spec: FieldSpec) -> str:
    """The field's label in the active language (`Key factors`)."""
    return _(spec.label)


def field_name(spec: FieldSpec) -> str:
    """The label inside a sentence (`key factors`); German nouns keep their capital."""
    name = _(spec.label)
    return name if i18n.active() == "de" else name.lower()


def kind_label(kind: str) -> str:
    """`toolkit` as members of this language read it."""
    return _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind


def placeholder(spec: FieldSpec) -> str:
    """The example text of a template line, in the active language."""
    return _(spec.placeholder) if spec.placeholder else ""


def _is_placeholder(spec: FieldSpec, value: str) -> bool:
    """A template line left as it was, in English or in the member's language."""
    typed = value.strip().casefold()
    return bool(spec.placeholder) and typed in {
        spec.placeholder.casefold(),
        placeholder(spec).casefold(),
    }


_URL_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")


def parse_link(value: str) -> str:
    """http(s) URLs only: a `javascript:` or `data:` link must never reach a renderer."""
    text = value.strip()
    if "\n" in text:
        raise ValueError(
            _("The link is split over two lines; if it contains a semicolon, write it as \\;")
        )
    parts = urlsplit(text)
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise ValueError(
            _(
                "{link} is not a web link; give the full address, e.g. https://example.org/guide."
            ).format(link=repr(text[:80]))
        )
    if not _URL_CHARS.fullmatch(text):
        raise ValueError(
            _(
                "{link} has characters a web address cannot hold (spaces, quotes, < or >); "
                "copy the address from the browser's address bar."
            ).format(link=repr(text[:80]))
        )
    return text


def parse_kind(value: str) -> str:
    found = _KIND_WORDS.get(value.strip().lower().rstrip("s")) or _KIND_WORDS.get(
        value.strip().lower()
    )
    if found is None:
        raise ValueError(
            _("{kind} is not a kind; use one of {kinds}.").format(
                kind=repr(value.strip()[:40]), kinds=", ".join(PRACTICE_KINDS)
            )
        )
    return found


SCALE_LABELS = {
    "local": N_("local"),
    "national": N_("national"),
    "regional": N_("regional"),
    "global": N_("global"),
}
"""Where a practice acts, as members read it (the value itself is what forms take)."""


def scale_label(scale: str) -> str:
    return _(SCALE_LABELS[scale]) if scale in SCALE_LABELS else scale


def parse_scale(value: str) -> str:
    """`local`, `national`, `regional` or `global` (any case)."""
    word = value.strip().lower()
    if word not in SCALES:
        raise ValueError(
            _("{scale} is not a scale; use one of {scales}.").format(
                scale=repr(value.strip()[:40]), scales=", ".join(SCALES)
            )
        )
    return word


_YES = {"yes", "on", "true", "1", "public", "published"}
_NO = {"no", "off", "false", "0", "private"}


def parse_yes_no(value: str) -> bool:
    """Whether the contact may be shown on the web library: yes or no."""
    word = value.strip().lower()
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise ValueError(_("Answer yes or no, not {value}.").format(value=repr(value.strip()[:40])))


def parse_language(value: str) -> str:
    codes = parse_languages(value)
    if len(codes) != 1:
        raise ValueError(
            _("Give the one language the practice is documented in, e.g. en or French.")
        )
    return codes[0]


def parse_tags(value: str) -> list[str]:
    tags: list[str] = []
    seen: set[str] = set()
    for part in re.split(r"[,;\n]", value):
        tag = " ".join(part.split())
        if not tag:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise ValueError(
                _("The tag {tag}… is longer than {limit} characters.").format(
                    tag=repr(tag[:30]), limit=MAX_TAG_LENGTH
                )
            )
        if tag.casefold() not in seen:
            seen.add(tag.casefold())
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValueError(_("Give at most {limit} tags.").format(limit=MAX_TAGS))
    return tags


def parse_domain_slugs(taxonomy: Taxonomy, value: str) -> list[str]:
    terms = [t.strip().lower() for t in re.split(r"[,;\n]", value) if t.strip()]
    if terms and all(t in taxonomy for t in terms):  # slugs, as in an export: no matching needed
        slugs = list(dict.fromkeys(terms))
        if len(slugs) > MAX_DOMAINS:
            raise ValueError(_too_many_domains(len(slugs)))
        return slugs
    found = parse_domains(taxonomy, value)
    if found.unmatched:
        parts = []
        for term, close in found.unmatched:
            if close:
                parts.append(
                    _("{term} is not a domain I know (closest: {close})").format(
                        term=repr(term[:40]), close=", ".join(close)
                    )
                )
            else:
                parts.append(_("{term} is not a domain I know").format(term=repr(term[:40])))
        raise ValueError(
            _("{problems}. Type /domains to see them all.").format(problems="; ".join(parts))
        )
    slugs = found.slugs
    if not slugs:
        raise ValueError(_("Name at least one domain, e.g. housing or labour market."))
    if len(slugs) > MAX_DOMAINS:
        raise ValueError(_too_many_domains(len(slugs)))
    return slugs


def _too_many_domains(given: int) -> str:
    return _("Choose at most {limit} domains (you gave {given}).").format(
        limit=MAX_DOMAINS, given=given
    )


def too_long(spec: FieldSpec, length: int) -> str:
    """Said the same way for a singular or a plural label (`Key factors`)."""
    return _("{field} can hold at most {limit} characters; this has {length}.").format(
        field=label(spec), limit=spec.limit, length=length
    )


def _text(spec: FieldSpec) -> Callable[[Taxonomy, str], Any]:
    def parse(_taxonomy: Taxonomy, value: str) -> str:
        text = value.strip()
        if len(text) > spec.limit:
            raise ValueError(too_long(spec, len(text)))
        if spec.key == "title" and len(text) < MIN_TITLE:
            raise ValueError(
                _("The title needs at least {limit} characters.").format(limit=MIN_TITLE)
            )
        if spec.key == "summary" and len(text) < MIN_SUMMARY:
            raise ValueError(
                _(
                    "The summary needs at least {limit} characters: say what it is, for whom, "
                    "and what it achieved."
                ).format(limit=MIN_SUMMARY)
            )
        if spec.key == "title" and "\n" in text:
            raise ValueError(_("The title must fit on one line."))
        return text

    return parse


PARSERS: dict[str, Callable[[Taxonomy, str], Any]] = {f.key: _text(f) for f in FIELDS}
PARSERS.update(
    {
        "domains": parse_domain_slugs,
        "kind": lambda _t, v: parse_kind(v),
        "tags": lambda _t, v: parse_tags(v),
        "country": lambda _t, v: parse_country(v),
        "link": lambda _t, v: parse_link(v),
        "language": lambda _t, v: parse_language(v),
        "scale": lambda _t, v: parse_scale(v),
        "contact-public": lambda _t, v: parse_yes_no(v),
    }
)
EMPTY: dict[str, Any] = {"domains": [], "tags": [], "kind": "practice", "contact_public": False}
"""What a cleared field holds (None unless listed)."""


@dataclass
class Parsed:
    """A form read field by field: the values that are valid, and one message per problem."""

    values: dict[str, Any] = field(default_factory=dict)
    """attr -> parsed value; None (or an empty list) clears an optional field."""
    raw: dict[str, str] = field(default_factory=dict)
    """form key -> the text as typed, for filling in the template."""
    problems: list[str] = field(default_factory=list)


def read_fields(
    taxonomy: Taxonomy,
    pairs: Sequence[tuple[str, str]],
    *,
    creating: bool,
    extra_keys: Iterable[str] = (),
) -> tuple[Parsed, dict[str, str]]:
    """Validate `key: value` pairs. Returns the parsed form and the extra keys' raw values.

    When `creating`, required fields must be present and nothing may be cleared; otherwise (an
    edit) only the keys given are changed, and an empty value or `-` clears an optional field.
    """
    parsed = Parsed()
    extras: dict[str, str] = {}
    allowed_extra = set(extra_keys)
    seen: set[str] = set()
    for typed_key, value in pairs:
        if typed_key in allowed_extra:
            extras[typed_key] = value
            continue
        key = canonical_key(typed_key)
        if key is None:
            error = unknown_key(typed_key, [*FORM_KEYS, *allowed_extra], kind="field", shown=BY_KEY)
            parsed.problems.append(f"{error.message} {error.hint}")
            continue
        if key in seen:
            parsed.problems.append(
                _("The field `{key}:` is given twice; keep one.").format(key=key)
            )
            continue
        seen.add(key)
        parsed.raw[key] = value
        spec = BY_KEY[key]
        if is_clear(value):
            if creating and not spec.required:
                continue
            if spec.required:
                parsed.problems.append(_(CLEARED[key]))
                continue
            parsed.values[spec.attr] = EMPTY.get(spec.attr)
            continue
        if _is_placeholder(spec, value):
            if spec.required:
                parsed.problems.append(_(UNCHANGED[key]))
            continue  # an optional line of the template left as it was: not given
        if len(value.strip()) > spec.limit:
            parsed.problems.append(too_long(spec, len(value.strip())))
            continue
        try:
            parsed.values[spec.attr] = PARSERS[key](taxonomy, value)
        except ValueError as exc:
            parsed.problems.append(_("{field}: {problem}").format(field=label(spec), problem=exc))
    if creating:
        for key in REQUIRED:
            if key not in seen:
                parsed.problems.append(
                    _(MISSING[key]).format(line=f"{key}: {placeholder(BY_KEY[key])}")
                )
    return parsed, extras


def template(raw: Mapping[str, str], *, command: str = "/share-practice") -> str:
    """A form to copy: what was typed (each value at most as long as its field may be, so a
    pasted novel is not echoed back whole), with placeholders where a required field is
    missing."""
    title = shorten(raw.get("title") or placeholder(BY_KEY["title"]), BY_KEY["title"].limit)
    lines = [f"{command} {title}"]
    for spec in FIELDS[1:]:
        if spec.key in raw:
            lines.append(f"{spec.key}: {shorten(raw[spec.key], spec.limit)}")
        elif spec.required or spec.key in {"kind", "country", "link"}:
            lines.append(f"{spec.key}: {placeholder(spec)}")
    return "\n".join(lines)
