"""Bulk onboarding: members in and out of CSV, the format networks keep in spreadsheets.

Import validates every row before writing anything; one transaction either stores all valid
rows or nothing, and each problem is reported with its row number. Export writes every profile
field a member can set, so exporting and importing again gives the same profiles.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Engine
from sqlmodel import col, select

from cop_bot.core.args import clean_input, parse_handle
from cop_bot.core.clock import Clock
from cop_bot.core.errors import UsageError
from cop_bot.core.i18n import _
from cop_bot.core.model import Conversation
from cop_bot.core.spreadsheet import from_cell, to_cell
from cop_bot.core.taxonomy import Taxonomy
from cop_bot.experts.profiles import (
    check_length,
    is_clear,
    parse_capacity,
    parse_country,
    parse_domains,
    parse_languages,
    parse_organisation_type,
    parse_timezone,
    parse_yes_no,
)
from cop_bot.storage import repos
from cop_bot.storage.db import session_scope
from cop_bot.storage.limits import limit_of
from cop_bot.storage.models import Community, Member, MemberDomain

HEADER = ("name", "handle", "organisation", "country", "languages", "domains", "bio", "expert")
"""The columns every members CSV has; files exported before the others were added have only
these."""
MORE: dict[str, tuple[str, Callable[[str], Any], Any]] = {
    "city": ("city", lambda v: check_length(v, 120, "city"), None),
    "timezone": ("timezone", parse_timezone, None),
    "organisation_type": ("organisation_type", parse_organisation_type, None),
    "asks": ("accepts_asks", parse_yes_no, False),
    "capacity": ("asks_capacity", parse_capacity, None),
}
"""Optional columns: column -> (member attribute, parser, value of an empty cell). A column the
file lacks leaves the field as it is, so importing an older file clears nothing."""
COLUMNS = (*HEADER, *MORE)
"""What export writes: the required columns first, where older spreadsheets expect them."""
DELIMITERS = (",", ";", "\t")
"""`,`, or `;` (Excel's CSV with French, German or Italian settings), or tabs."""
_SPELLINGS = {"time_zone": "timezone", "tz": "timezone"}


@dataclass(frozen=True)
class MemberRow:
    line: int
    handle: str
    name: str | None
    organisation: str | None
    country: str | None
    languages: list[str]
    domains: list[str]
    bio: str | None
    expert: bool
    more: dict[str, Any] = field(default_factory=dict)
    """Member attribute -> value, for the optional columns the file has."""


@dataclass
class ImportReport:
    valid: list[MemberRow] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    created: int = 0
    updated: int = 0


def read_csv(path: Path, taxonomy: Taxonomy) -> ImportReport:
    report = ImportReport()
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
    except UnicodeDecodeError:
        raise UsageError(
            _("{file} is not UTF-8 text; save it as CSV UTF-8.").format(file=path.name)
        ) from None
    except OSError as exc:
        raise UsageError(
            _("Cannot read {path}: {reason}.").format(path=path, reason=exc.strerror or exc)
        ) from None
    if not text.strip():
        raise UsageError(
            _("{file} is empty; its first line must be the header {header}.").format(
                file=path.name, header=",".join(HEADER)
            )
        )
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter_of(text))
        fields = [column_name(f) for f in reader.fieldnames or []]
        reader.fieldnames = fields
        missing = [h for h in HEADER if h not in fields]
        if missing:
            raise UsageError(
                _("{file}: the header must include {header}; missing {missing}.").format(
                    file=path.name, header=",".join(HEADER), missing=", ".join(missing)
                )
            )
        seen: dict[str, int] = {}
        for row in reader:
            line = reader.line_num
            clean = {k: _cell(v) for k, v in row.items() if k}
            parsed = _parse_row(line, clean, taxonomy, report)
            if parsed is None:
                continue
            if parsed.handle in seen:
                report.problems.append(
                    (line, f"handle {parsed.handle} already on line {seen[parsed.handle]}")
                )
                continue
            seen[parsed.handle] = line
            report.valid.append(parsed)
    except csv.Error as exc:
        raise UsageError(
            _("{file} is not a readable CSV file: {reason}").format(file=path.name, reason=exc)
        ) from None
    return report


def column_name(text: str | None) -> str:
    """A header cell as the column it names: `Organization-Type` -> `organisation_type`."""
    words = (text or "").strip().lower().replace("-", "_").replace(" ", "_")
    words = words.replace("organization", "organisation")
    return _SPELLINGS.get(words, words)


def delimiter_of(text: str) -> str:
    """The separator that makes the most known columns of the first line (`,` on a tie)."""
    first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""

    def known(delimiter: str) -> int:
        cells = next(csv.reader([first], delimiter=delimiter), [])
        return len({column_name(c) for c in cells} & set(COLUMNS))

    return max(DELIMITERS, key=known)


def _parse_row(
    line: int, row: dict[str, str], taxonomy: Taxonomy, report: ImportReport
) -> MemberRow | None:
    reasons: list[str] = []
    # PostgreSQL cannot store a NUL character in text (SQLite would): refuse the row, not the file
    for column in [c for c in COLUMNS if "\x00" in row.get(c, "")]:
        reasons.append(f"the {column} holds a NUL character, which cannot be stored; remove it")
    if reasons:
        report.problems.append((line, "; ".join(reasons)))
        return None

    def attempt(fn: Any, value: str, default: Any) -> Any:
        if is_clear(value):
            return default
        try:
            return fn(value)
        except (ValueError, UsageError) as exc:
            reasons.append(getattr(exc, "message", None) or str(exc))
            return default

    handle = attempt(parse_handle, row.get("handle", ""), None)
    if handle is None and not reasons:
        reasons.append("handle is missing")
    name = attempt(
        lambda v: check_length(v, limit_of(Member, "display_name"), "name"),
        row.get("name", ""),
        None,
    )
    organisation = attempt(
        lambda v: check_length(v, limit_of(Member, "organisation"), "organisation"),
        row.get("organisation", ""),
        None,
    )
    country = attempt(parse_country, row.get("country", ""), None)
    languages = attempt(parse_languages, row.get("languages", ""), [])
    bio = attempt(
        lambda v: check_length(v, limit_of(Member, "bio"), "bio"), row.get("bio", ""), None
    )
    expert = attempt(parse_yes_no, row.get("expert", ""), False)
    domains: list[str] = []
    if not is_clear(row.get("domains", "")):
        parsed = parse_domains(taxonomy, row["domains"])
        for term, close in parsed.unmatched:
            reasons.append(
                f"domain “{term}” not recognised"
                + (f" (closest: {', '.join(close)})" if close else "")
            )
        domains = parsed.slugs
    if expert and not domains:
        reasons.append("an expert needs at least one domain")
    more = {
        attribute: attempt(parser, row[column], empty)
        for column, (attribute, parser, empty) in MORE.items()
        if column in row
    }
    if reasons:
        report.problems.append((line, "; ".join(reasons)))
        return None
    return MemberRow(
        line, handle, name, organisation, country, languages, domains, bio, expert, more
    )


def import_members(
    engine: Engine,
    conversation: Conversation,
    rows: Iterable[MemberRow],
    *,
    clock: Clock,
    community_name: str,
    timezone: str,
    language: str,
    report: ImportReport,
) -> None:
    """Create or update members by handle, in one transaction."""
    now = clock.now()
    with session_scope(engine) as session:
        community = repos.get_or_create_community(
            session,
            conversation,
            now=now,
            name=community_name,
            timezone=timezone,
            language=language,
        )
        assert community.id is not None
        for row in rows:
            member = repos.find_member(session, community.id, row.handle)
            if member is None:
                member = Member(
                    community_id=community.id, handle=row.handle, created_at=now, updated_at=now
                )
                report.created += 1
            else:
                report.updated += 1
            member.display_name = row.name or member.display_name
            member.organisation = row.organisation
            member.country = row.country
            member.languages = row.languages
            member.bio = row.bio
            if row.expert and not member.is_expert:
                member.expert_since = now
            member.is_expert = row.expert
            for attribute, value in row.more.items():
                setattr(member, attribute, value)
            member.updated_at = now
            session.add(member)
            session.flush()
            repos.set_member_domains(session, member, row.domains)
        repos.bump_directory(session, community.id)


def export_members(engine: Engine, community: Community, path: Path) -> int:
    """Write the community's members, every column of `COLUMNS`; returns how many."""
    with session_scope(engine) as session:
        members = session.exec(
            select(Member).where(Member.community_id == community.id).order_by(col(Member.handle))
        ).all()
        domains: dict[int, list[str]] = {}
        for member_id, slug in session.exec(
            select(MemberDomain.member_id, MemberDomain.domain)
            .join(Member, col(Member.id) == col(MemberDomain.member_id))
            .where(Member.community_id == community.id)
            .order_by(col(MemberDomain.domain))
        ).all():
            domains.setdefault(member_id, []).append(slug)
    with path.open("w", encoding="utf-8", newline="") as handle:
        write_rows(handle, (export_cells(m, domains.get(m.id or 0, [])) for m in members))
    return len(members)


def _cell(value: str | None) -> str:
    """A cell as stored: cleaned like typed text, its formula guard taken off. A NUL is kept,
    so that `_parse_row` refuses the row rather than store something else than was written."""
    value = value or ""
    return value if "\x00" in value else from_cell(clean_input(value).strip())


def export_cells(member: Member, domains: list[str]) -> list[str]:
    """One member's row, in the order of `COLUMNS`, as import reads it back."""
    cells = [
        member.display_name or "",
        member.handle,
        member.organisation or "",
        member.country or "",
        ";".join(member.languages),
        ";".join(domains),
        member.bio or "",
        "yes" if member.is_expert else "no",
        member.city or "",
        member.timezone or "",
        member.organisation_type or "",
        "yes" if member.accepts_asks else "no",
        "" if member.asks_capacity is None else str(member.asks_capacity),
    ]
    return [to_cell(cell) for cell in cells]  # never a live formula in a spreadsheet


def write_rows(handle: TextIO, rows: Iterable[list[str]]) -> None:
    writer = csv.writer(handle)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
