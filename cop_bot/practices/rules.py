"""The shared repertoire: what a practice holds, how a form becomes one, and how it changes.

Handlers (`cop_bot/handlers/practices.py`) and the CLI import/export (`cop_bot/practices_io.py`)
share these rules, so a practice typed in chat and one read from a spreadsheet are validated
the same way. Every change to a practice goes through `touch`, which bumps the community's
`practice_version` so search indexes in every process know to reload it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from rapidfuzz import fuzz, process
from sqlalchemy import func, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from cop_bot.core.taxonomy import Taxonomy
from cop_bot.core.wording import jsonable
from cop_bot.experts.profiles import is_clear, parse_country, parse_domains, parse_languages
from cop_bot.storage.models import (
    Community,
    Member,
    Practice,
    PracticeDomain,
    PracticeEndorsement,
    PracticeRevision,
)

PENDING, APPROVED, REJECTED, NEEDS_CONFIRMATION = (
    "pending",
    "approved",
    "rejected",
    "needs-confirmation",
)
STATUSES = (PENDING, APPROVED, REJECTED, NEEDS_CONFIRMATION)
KINDS = ("practice", "resource", "toolkit")
REVIEW_PERIOD = timedelta(days=365)
"""An approved practice is due for review twelve months after its (last) approval."""
MAX_DOMAINS = 5
MAX_TAGS = 10
MAX_TAG_LENGTH = 40
MIN_TITLE, MIN_SUMMARY = 3, 20
PG_INT_MAX = 2_147_483_647


# ---- fields ------------------------------------------------------------------------------------


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
        "title", "title", "Title", 200, True, "A short title that says what the practice does"
    ),
    FieldSpec(
        "summary",
        "summary",
        "Summary",
        2000,
        True,
        "Two or three sentences: what it is, for whom, and what it achieved",
    ),
    FieldSpec("domains", "domains", "Domains", 500, True, "e.g. housing, labour market"),
    FieldSpec("kind", "kind", "Kind", 16, placeholder="practice, resource or toolkit", scan=False),
    FieldSpec("tags", "tags", "Tags", 500, placeholder="a few keywords, separated by commas"),
    FieldSpec("country", "country", "Country", 60, placeholder="e.g. IT or Italy", scan=False),
    FieldSpec("city", "city", "City", 120, scan=False),
    FieldSpec("organisation", "organisation", "Organisation", 200, scan=False),
    FieldSpec("link", "link", "Link", 500, placeholder="https://…", scan=False),
    FieldSpec("language", "language", "Language", 40, placeholder="e.g. en or English", scan=False),
    FieldSpec("target-group", "target_group", "Target group", 300),
    FieldSpec("standard", "standard", "Standard"),
    FieldSpec("key-factors", "key_factors", "Key factors"),
    FieldSpec("rationale", "rationale", "Rationale"),
    FieldSpec("guide-questions", "guide_questions", "Guide questions"),
    FieldSpec("examples", "examples", "Examples"),
    FieldSpec("results", "results", "Results"),
    FieldSpec("contact", "contact", "Contact", 300, scan=False),
    FieldSpec("licence", "licence", "Licence", 100, scan=False),
)
BY_KEY = {f.key: f for f in FIELDS}
BY_ATTR = {f.attr: f for f in FIELDS}
REQUIRED = tuple(f.key for f in FIELDS if f.required)
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


def suggest_key(key: str) -> str | None:
    choices = [*BY_KEY, *ALIASES]
    found = process.extractOne(key.lower(), choices, scorer=fuzz.ratio, score_cutoff=70)
    return canonical_key(found[0]) if found else None


# ---- parsing values ----------------------------------------------------------------------------

_URL_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")


def parse_link(value: str) -> str:
    """http(s) URLs only: a `javascript:` or `data:` link must never reach a renderer."""
    text = value.strip()
    if "\n" in text:
        raise ValueError(
            "The link is split over two lines; if it contains a semicolon, write it as \\;"
        )
    parts = urlsplit(text)
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise ValueError(
            f"{text[:80]!r} is not a web link; give the full address, e.g. https://example.org/guide."
        )
    if not _URL_CHARS.fullmatch(text):
        raise ValueError(
            f"{text[:80]!r} has characters a web address cannot hold (spaces, quotes, < or >); "
            "copy the address from the browser's address bar."
        )
    return text


def parse_kind(value: str) -> str:
    found = _KIND_WORDS.get(value.strip().lower().rstrip("s")) or _KIND_WORDS.get(
        value.strip().lower()
    )
    if found is None:
        raise ValueError(f"{value.strip()[:40]!r} is not a kind; use one of {', '.join(KINDS)}.")
    return found


def parse_language(value: str) -> str:
    codes = parse_languages(value)
    if len(codes) != 1:
        raise ValueError("Give the one language the practice is documented in, e.g. en or French.")
    return codes[0]


def parse_tags(value: str) -> list[str]:
    tags: list[str] = []
    seen: set[str] = set()
    for part in re.split(r"[,;\n]", value):
        tag = " ".join(part.split())
        if not tag:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise ValueError(f"The tag {tag[:30]!r}… is longer than {MAX_TAG_LENGTH} characters.")
        if tag.casefold() not in seen:
            seen.add(tag.casefold())
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValueError(f"Give at most {MAX_TAGS} tags.")
    return tags


def parse_domain_slugs(taxonomy: Taxonomy, value: str) -> list[str]:
    terms = [t.strip().lower() for t in re.split(r"[,;\n]", value) if t.strip()]
    if terms and all(t in taxonomy for t in terms):  # slugs, as in an export: no matching needed
        slugs = list(dict.fromkeys(terms))
        if len(slugs) > MAX_DOMAINS:
            raise ValueError(f"Choose at most {MAX_DOMAINS} domains (you gave {len(slugs)}).")
        return slugs
    found = parse_domains(taxonomy, value)
    if found.unmatched:
        parts = []
        for term, close in found.unmatched:
            if close:
                parts.append(f"{term[:40]!r} is not a domain I know (closest: {', '.join(close)})")
            else:
                parts.append(f"{term[:40]!r} is not a domain I know")
        raise ValueError("; ".join(parts) + ". Type /domains to see them all.")
    slugs = found.slugs
    if not slugs:
        raise ValueError("Name at least one domain, e.g. housing or labour market.")
    if len(slugs) > MAX_DOMAINS:
        raise ValueError(f"Choose at most {MAX_DOMAINS} domains (you gave {len(slugs)}).")
    return slugs


def _text(spec: FieldSpec) -> Callable[[Taxonomy, str], Any]:
    def parse(_taxonomy: Taxonomy, value: str) -> str:
        text = value.strip()
        if len(text) > spec.limit:
            raise ValueError(
                f"The {spec.label.lower()} is {len(text)} characters long; the limit is {spec.limit}."
            )
        if spec.key == "title" and len(text) < MIN_TITLE:
            raise ValueError(f"The title needs at least {MIN_TITLE} characters.")
        if spec.key == "summary" and len(text) < MIN_SUMMARY:
            raise ValueError(
                f"The summary needs at least {MIN_SUMMARY} characters: say what it is, for whom, "
                "and what it achieved."
            )
        if spec.key == "title" and "\n" in text:
            raise ValueError("The title must fit on one line.")
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
    }
)
EMPTY: dict[str, Any] = {"domains": [], "tags": [], "kind": "practice"}
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
            close = suggest_key(typed_key)
            hint = f" Did you mean `{close}:`?" if close else ""
            parsed.problems.append(f"There is no field {typed_key[:40]!r}.{hint}")
            continue
        if key in seen:
            parsed.problems.append(f"The field `{key}:` is given twice; keep one.")
            continue
        seen.add(key)
        parsed.raw[key] = value
        spec = BY_KEY[key]
        if is_clear(value):
            if creating and not spec.required:
                continue
            if spec.required:
                parsed.problems.append(f"The {spec.label.lower()} cannot be empty.")
                continue
            parsed.values[spec.attr] = EMPTY.get(spec.attr)
            continue
        if spec.placeholder and value.strip().casefold() == spec.placeholder.casefold():
            if spec.required:
                parsed.problems.append(
                    f"Replace the example text of `{key}:` with the {spec.label.lower()}."
                )
            continue  # an optional line of the template left as it was: not given
        if len(value.strip()) > spec.limit:
            parsed.problems.append(
                f"{spec.label}: it is {len(value.strip())} characters long; the limit is "
                f"{spec.limit}."
            )
            continue
        try:
            parsed.values[spec.attr] = PARSERS[key](taxonomy, value)
        except ValueError as exc:
            parsed.problems.append(f"{spec.label}: {exc}")
    if creating:
        for key in REQUIRED:
            if key not in seen:
                spec = BY_KEY[key]
                parsed.problems.append(
                    f"The {spec.label.lower()} is missing: add `{key}: {spec.placeholder}`."
                )
    return parsed, extras


def template(raw: Mapping[str, str], *, command: str = "/share-practice") -> str:
    """A form to copy: what was typed, with placeholders where a required field is missing."""
    title = raw.get("title") or BY_KEY["title"].placeholder
    lines = [f"{command} {title}"]
    for spec in FIELDS[1:]:
        if spec.key in raw:
            lines.append(f"{spec.key}: {raw[spec.key]}")
        elif spec.required or spec.key in {"kind", "country", "link"}:
            lines.append(f"{spec.key}: {spec.placeholder}")
    return "\n".join(lines)


# ---- personal data -----------------------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d \t().\-/]{6,}\d(?!\w)")
_THOUSANDS = re.compile(r"\d{1,3}(?:[ .,]\d{3})+")
_MARKER = r"\s*(?:no\.?|nr\.?|n°|n\.|number|num\.?|#|:)\s*[:#]?\s*"
# A passport or permit word followed by a code; a case or file word only with "no."/"#"/":".
_DOCUMENT_NUMBER = re.compile(
    r"\b(?:passports?|passeport|pasaporte|passaporto|reisepass|id card|identity card|"
    r"residence permit|national id|alien number)(?:" + _MARKER + r"|\s+)([A-Z0-9][A-Z0-9/\-]{4,})",
    re.IGNORECASE,
)
_CASE_NUMBER = re.compile(
    r"\b(?:case|file|dossier|reference|ref)" + _MARKER + r"([A-Z0-9][A-Z0-9/\-]{3,})",
    re.IGNORECASE,
)


def _looks_like_phone(match: str) -> bool:
    digits = re.sub(r"\D", "", match)
    if len(digits) < 9 or _THOUSANDS.fullmatch(match.strip()):
        return False
    groups = re.findall(r"\d+", match)
    if all(len(g) == 4 and g[:2] in {"19", "20"} for g in groups):  # 2019/2020/2021
        return False
    return match.lstrip().startswith(("+", "0", "(")) or len(digits) >= 10


@dataclass(frozen=True)
class Finding:
    what: str
    field: str


def scan_personal_data(values: Mapping[str, Any]) -> list[Finding]:
    """Signs that a text holds personal data about beneficiaries: e-mail addresses, phone
    numbers, case or passport numbers. Contact details and links are not read: an
    organisation's e-mail address is exactly what `contact:` is for."""
    found: list[Finding] = []
    for spec in FIELDS:
        value = values.get(spec.attr)
        if not spec.scan or not value:
            continue
        text = " ".join(value) if isinstance(value, list) else str(value)
        if _EMAIL.search(text):
            found.append(Finding("an e-mail address", spec.label.lower()))
        if any(_looks_like_phone(m.group()) for m in _PHONE.finditer(text)):
            found.append(Finding("a phone number", spec.label.lower()))
        numbers = [m.group(1) for m in _DOCUMENT_NUMBER.finditer(text)]
        numbers += [m.group(1) for m in _CASE_NUMBER.finditer(text) if _digits(m.group(1)) >= 3]
        if any(_digits(n) >= 2 for n in numbers):
            found.append(Finding("a case, file or passport number", spec.label.lower()))
    return found


def _digits(text: str) -> int:
    return sum(c.isdigit() for c in text)


def describe(findings: Sequence[Finding]) -> str:
    return "; ".join(f"{f.what} in the {f.field}" for f in findings)


# ---- storage -----------------------------------------------------------------------------------


def touch(session: Session, community_id: int) -> int:
    """Bump the community's practice version in one atomic UPDATE and return it.

    The UPDATE also locks the community's row until the transaction ends, so concurrent changes
    to practices of one community (and their version numbers) are serialised on PostgreSQL; on
    SQLite every write transaction is serialised anyway (BEGIN IMMEDIATE).
    """
    version = session.exec(
        update(Community)
        .where(col(Community.id) == community_id)
        .values(practice_version=col(Community.practice_version) + 1)
        .returning(col(Community.practice_version))
    ).scalar_one()
    community = session.get(Community, community_id)
    if community is not None:
        set_committed_value(community, "practice_version", version)
    return int(version)


def changed(session: Session, practice: Practice, version: int | None = None) -> None:
    """Mark a practice as changed for every search index (call after any change to it).

    A bulk change (an import) calls `touch` once and passes its version for every practice.
    """
    practice.search_version = (
        version if version is not None else touch(session, practice.community_id)
    )
    session.add(practice)


def parse_id(text: str | None) -> int | None:
    if text is None:
        return None
    word = text.strip().lstrip("#")
    if not word.isascii() or not word.isdigit() or not 0 < int(word) <= PG_INT_MAX:
        return None
    return int(word)


def get(session: Session, community_id: int, practice_id: int) -> Practice | None:
    practice = session.get(Practice, practice_id)
    if practice is None or practice.community_id != community_id:
        return None
    return practice


def create(
    session: Session,
    community_id: int,
    values: Mapping[str, Any],
    *,
    author: Member | None,
    status: str,
    now: datetime,
    approver: Member | None = None,
    channel_id: str | None = None,
    editor: Member | None = None,
    editor_label: str | None = None,
    version: int | None = None,
) -> Practice:
    practice = Practice(
        community_id=community_id,
        title=values["title"],
        summary=values["summary"],
        author_id=author.id if author else None,
        status=status,
        created_at=now,
        updated_at=now,
        channel_id=channel_id,
    )
    for attr, value in values.items():
        setattr(practice, attr, value)
    if status == APPROVED:
        approve(practice, approver, now)
    session.add(practice)
    session.flush()
    set_domains(session, practice, new=True)
    record(
        session,
        practice,
        {"status": [None, status]},
        editor=editor or author,
        label=editor_label,
        now=now,
    )
    changed(session, practice, version)
    return practice


def approve(practice: Practice, approver: Member | None, now: datetime) -> None:
    practice.status = APPROVED
    practice.approved_at = now
    practice.approved_by_id = approver.id if approver else None
    practice.review_by = now + REVIEW_PERIOD
    practice.rejected_reason = None


def set_domains(session: Session, practice: Practice, *, new: bool = False) -> None:
    assert practice.id is not None
    if not new:
        for row in session.exec(
            select(PracticeDomain).where(PracticeDomain.practice_id == practice.id)
        ).all():
            session.delete(row)
        session.flush()
    for slug in dict.fromkeys(practice.domains):
        session.add(PracticeDomain(practice_id=practice.id, domain=slug))
    session.flush()


def record(
    session: Session,
    practice: Practice,
    changes: Mapping[str, Sequence[Any]],
    *,
    editor: Member | None,
    label: str | None = None,
    now: datetime,
) -> None:
    assert practice.id is not None
    session.add(
        PracticeRevision(
            practice_id=practice.id,
            editor_id=editor.id if editor else None,
            editor_label=label,
            at=now,
            changes={k: [jsonable(v) for v in pair] for k, pair in changes.items()},
        )
    )


def apply_changes(
    session: Session,
    practice: Practice,
    values: Mapping[str, Any],
    *,
    editor: Member | None,
    label: str | None = None,
    now: datetime,
    version: int | None = None,
) -> dict[str, list[Any]]:
    """Set the given attributes, keep the history, and return {attr: [old, new]} of real changes."""
    diff: dict[str, list[Any]] = {}
    for attr, new in values.items():
        old = getattr(practice, attr)
        if old != new:
            diff[attr] = [old, new]
            setattr(practice, attr, list(new) if isinstance(new, list) else new)
    if not diff:
        return diff
    practice.updated_at = now
    if "domains" in diff:
        set_domains(session, practice)
    record(session, practice, diff, editor=editor, label=label, now=now)
    changed(session, practice, version)
    return diff


def set_status(
    session: Session,
    practice: Practice,
    status: str,
    *,
    editor: Member | None,
    now: datetime,
    reason: str | None = None,
    label: str | None = None,
) -> None:
    old = practice.status
    changes: dict[str, list[Any]] = {"status": [old, status]}
    if status == APPROVED:
        previous_review = practice.review_by
        approve(practice, editor, now)
        changes["review_by"] = [previous_review, practice.review_by]
    else:
        practice.status = status
    if status == REJECTED:
        practice.rejected_reason = reason
        changes["rejected_reason"] = [None, reason]
    elif status != APPROVED:
        practice.rejected_reason = None
    record(session, practice, changes, editor=editor, label=label, now=now)
    changed(session, practice)


def endorsement_counts(session: Session, practice_ids: Iterable[int]) -> dict[int, int]:
    ids = list(practice_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(PracticeEndorsement.practice_id, func.count())
        .where(col(PracticeEndorsement.practice_id).in_(ids))
        .group_by(col(PracticeEndorsement.practice_id))
    ).all()
    counts = dict.fromkeys(ids, 0)
    counts.update({pid: int(n) for pid, n in rows})
    return counts


def endorsed_by(session: Session, member_id: int, practice_ids: Iterable[int]) -> set[int]:
    ids = list(practice_ids)
    if not ids:
        return set()
    return set(
        session.exec(
            select(PracticeEndorsement.practice_id).where(
                PracticeEndorsement.member_id == member_id,
                col(PracticeEndorsement.practice_id).in_(ids),
            )
        ).all()
    )


def endorse(session: Session, practice: Practice, member: Member, now: datetime) -> bool:
    """False when the member had already endorsed it. Serialised per community by `touch`."""
    assert practice.id is not None and member.id is not None
    changed(session, practice)  # lock first, then look: a double click cannot insert twice
    if practice.id in endorsed_by(session, member.id, [practice.id]):
        return False
    session.add(PracticeEndorsement(practice_id=practice.id, member_id=member.id, created_at=now))
    session.flush()
    return True


def unendorse(session: Session, practice: Practice, member: Member) -> bool:
    assert practice.id is not None and member.id is not None
    changed(session, practice)
    row = session.exec(
        select(PracticeEndorsement).where(
            PracticeEndorsement.practice_id == practice.id,
            PracticeEndorsement.member_id == member.id,
        )
    ).first()
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def members_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, Member]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {
        m.id: m
        for m in session.exec(select(Member).where(col(Member.id).in_(wanted))).all()
        if m.id is not None
    }


def stale(
    session: Session, community_id: int, now: datetime, *, limit: int | None = None
) -> list[Practice]:
    """Approved practices past their review-by date, the longest overdue first (also for digests)."""
    query = (
        select(Practice)
        .where(
            Practice.community_id == community_id,
            Practice.status == APPROVED,
            col(Practice.review_by) < now,
        )
        .order_by(col(Practice.review_by), col(Practice.id))
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query).all())


def count_stale(session: Session, community_id: int, now: datetime) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(Practice)
            .where(
                Practice.community_id == community_id,
                Practice.status == APPROVED,
                col(Practice.review_by) < now,
            )
        ).one()
    )
