"""Bulk onboarding: members in and out of CSV, the format networks keep in spreadsheets.

Import validates every row before writing anything; one transaction either stores all valid
rows or nothing, and each problem is reported with its row number.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import col, select

from cop_bot.core.args import clean_input, parse_handle
from cop_bot.core.clock import Clock
from cop_bot.core.errors import UsageError
from cop_bot.core.model import Conversation
from cop_bot.core.taxonomy import Taxonomy
from cop_bot.experts.profiles import (
    check_length,
    is_clear,
    parse_country,
    parse_domains,
    parse_languages,
    parse_yes_no,
)
from cop_bot.storage import repos
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import Member, MemberDomain

HEADER = ("name", "handle", "organisation", "country", "languages", "domains", "bio", "expert")


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
            reader = csv.DictReader(handle)
            fields = [f.strip().lower() for f in reader.fieldnames or []]
            missing = [h for h in HEADER if h not in fields]
            if missing:
                raise UsageError(
                    f"{path.name}: the header must be {','.join(HEADER)}; missing {', '.join(missing)}."
                )
            seen: dict[str, int] = {}
            for row in reader:
                line = reader.line_num
                clean = {
                    (k or "").strip().lower(): clean_input(v or "").strip()
                    for k, v in row.items()
                    if k
                }
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
    except UnicodeDecodeError:
        raise UsageError(f"{path.name} is not UTF-8 text; save it as CSV UTF-8.") from None
    except csv.Error as exc:
        raise UsageError(f"{path.name} is not a readable CSV file: {exc}") from None
    return report


def _parse_row(
    line: int, row: dict[str, str], taxonomy: Taxonomy, report: ImportReport
) -> MemberRow | None:
    reasons: list[str] = []

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
    name = attempt(lambda v: check_length(v, 200, "name"), row.get("name", ""), None)
    organisation = attempt(
        lambda v: check_length(v, 200, "organisation"), row.get("organisation", ""), None
    )
    country = attempt(parse_country, row.get("country", ""), None)
    languages = attempt(parse_languages, row.get("languages", ""), [])
    bio = attempt(lambda v: check_length(v, 1000, "bio"), row.get("bio", ""), None)
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
    if reasons:
        report.problems.append((line, "; ".join(reasons)))
        return None
    return MemberRow(line, handle, name, organisation, country, languages, domains, bio, expert)


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
            member.updated_at = now
            session.add(member)
            session.flush()
            repos.set_member_domains(session, member, row.domains)
        repos.bump_directory(session, community.id)


def export_members(engine: Engine, conversation: Conversation, path: Path) -> int:
    with session_scope(engine) as session:
        community = repos.find_community(session, conversation)
        members = (
            []
            if community is None
            else session.exec(
                select(Member)
                .where(Member.community_id == community.id)
                .order_by(col(Member.handle))
            ).all()
        )
        domains: dict[int, list[str]] = {}
        for member_id, slug in session.exec(
            select(MemberDomain.member_id, MemberDomain.domain).order_by(col(MemberDomain.domain))
        ).all():
            domains.setdefault(member_id, []).append(slug)
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            for m in members:
                writer.writerow(
                    [
                        m.display_name or "",
                        m.handle,
                        m.organisation or "",
                        m.country or "",
                        ";".join(m.languages),
                        ";".join(domains.get(m.id or 0, [])),
                        m.bio or "",
                        "yes" if m.is_expert else "no",
                    ]
                )
        return len(members)
