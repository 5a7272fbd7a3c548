"""`cop-bot practices export|import`: the repertoire as a CSV or JSON file.

A network publishes its e-library, or moves it between deployments, without loss: every field,
the status and its dates, the author's handle and the number of endorsements. Endorsements are
carried as a count (who endorsed is personal data and stays behind); an import recreates them
as anonymous endorsements, exactly like those of an erased member.

Import checks every row with the same rules as `/share-practice` before writing anything; one
bad row means nothing is imported (unless `skip_invalid`). Re-importing updates the practices
with the same title, so a corrected file can be imported again.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import func
from sqlmodel import Session, col, select

from cop_bot.core.args import clean_input, parse_handle
from cop_bot.core.errors import UsageError
from cop_bot.core.spreadsheet import from_cell, to_cell
from cop_bot.core.taxonomy import Taxonomy
from cop_bot.practices import changes
from cop_bot.practices.fields import BY_KEY, EMPTY, FIELDS, canonical_key, read_fields
from cop_bot.practices.personal_data import describe, scan_personal_data
from cop_bot.practices.queries import endorsement_counts
from cop_bot.practices.review import APPROVED, REJECTED, REVIEW_PERIOD, STATUSES
from cop_bot.storage import repos
from cop_bot.storage.models import Member, Practice, PracticeEndorsement
from cop_bot.storage.repos import members_by_id

Format = Literal["csv", "json"]
LIST_FIELDS = ("domains", "tags")
RECORD_COLUMNS = (
    "status",
    "author",
    "endorsements",
    "created_at",
    "updated_at",
    "approved_at",
    "review_by",
    "rejected_reason",
)
COLUMNS = ("id", *(f.attr for f in FIELDS), *RECORD_COLUMNS)
MAX_ENDORSEMENTS = 1_000_000
EDITOR_LABEL = "import"


class ImportFileError(Exception):
    """The file cannot be read at all (missing, not UTF-8, not JSON, no header)."""


def guess_format(path: Path, given: str | None) -> Format:
    fmt = (given or path.suffix.lstrip(".")).lower()
    if fmt not in {"csv", "json"}:
        raise ImportFileError(
            f"{path.name}: say --format csv or --format json (the name does not tell)."
        )
    return "csv" if fmt == "csv" else "json"


# ---- export ------------------------------------------------------------------------------------


def export_rows(
    session: Session, community_id: int, *, approved_only: bool = False
) -> list[dict[str, Any]]:
    query = select(Practice).where(Practice.community_id == community_id)
    if approved_only:
        query = query.where(Practice.status == APPROVED)
    practices = list(session.exec(query.order_by(col(Practice.id))).all())
    ids = [p.id for p in practices if p.id is not None]
    counts: dict[int, int] = {}
    for chunk in _chunks(ids, 1000):
        counts.update(endorsement_counts(session, chunk))
    authors = members_by_id(session, [p.author_id for p in practices])
    rows = []
    for practice in practices:
        row: dict[str, Any] = {"id": practice.id}
        for spec in FIELDS:
            value = getattr(practice, spec.attr)
            row[spec.attr] = list(value) if isinstance(value, list) else value
        author = authors.get(practice.author_id) if practice.author_id else None
        row.update(
            {
                "status": practice.status,
                "author": author.handle if author else None,
                "endorsements": counts.get(practice.id or 0, 0),
                "created_at": _iso(practice.created_at),
                "updated_at": _iso(practice.updated_at),
                "approved_at": _iso(practice.approved_at),
                "review_by": _iso(practice.review_by),
                "rejected_reason": practice.rejected_reason,
            }
        )
        rows.append(row)
    return rows


def write_export(rows: Sequence[Mapping[str, Any]], path: Path, fmt: Format) -> None:
    if fmt == "json":
        text = json.dumps(
            {"format": "cop-bot practices", "version": 1, "practices": list(rows)},
            ensure_ascii=False,
            indent=2,
        )
        path.write_text(text + "\n", encoding="utf-8")
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_cell(row.get(k)) for k in COLUMNS})
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    return to_cell(str(value))  # never a live formula in a spreadsheet (core/spreadsheet.py)


# ---- reading a file ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceRow:
    where: str
    """`row 3` (spreadsheet numbering: the header is row 1) or `item 3` in JSON."""
    values: dict[str, str]


def read_file(path: Path, fmt: Format) -> tuple[list[SourceRow], list[str]]:
    """The rows as text, and warnings about the file (e.g. columns that are ignored)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ImportFileError(f"{path}: no such file.") from None
    except UnicodeDecodeError:
        raise ImportFileError(f"{path}: not UTF-8 text; save it as UTF-8 CSV.") from None
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read it ({exc.strerror}).") from None
    return _read_json(path, text) if fmt == "json" else _read_csv(path, text)


def _column(name: str) -> str:
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    spec = BY_KEY.get(canonical_key(key) or "")
    return spec.attr if spec else key


def _read_csv(path: Path, text: str) -> tuple[list[SourceRow], list[str]]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError(f"{path}: the file is empty; it needs a header row.") from None
    except csv.Error as exc:
        raise ImportFileError(f"{path}: not a CSV file ({exc}).") from None
    columns = [_column(h) for h in header]
    warnings = [
        f"column {name!r} is not a practice field and is ignored"
        for name, column in zip(header, columns, strict=True)
        if column not in COLUMNS and name.strip()
    ]
    rows: list[SourceRow] = []
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            values = {
                column: from_cell(clean_input(cell))
                for column, cell in zip(columns, cells, strict=False)
                if column in COLUMNS
            }
            if len(cells) > len(columns):
                values["__extra__"] = str(len(cells) - len(columns))
            rows.append(SourceRow(f"row {number}", values))
    except csv.Error as exc:
        raise ImportFileError(f"{path}: not a valid CSV file ({exc}).") from None
    return rows, warnings


def _read_json(path: Path, text: str) -> tuple[list[SourceRow], list[str]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno}).") from None
    items = data.get("practices") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ImportFileError(f'{path}: expected {{"practices": [...]}} or a list of practices.')
    rows: list[SourceRow] = []
    unknown: set[str] = set()
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            rows.append(SourceRow(f"item {number}", {"__invalid__": type(item).__name__}))
            continue
        values: dict[str, str] = {}
        for name, value in item.items():
            column = _column(str(name))
            if column not in COLUMNS:
                unknown.add(str(name))
                continue
            if value is None:
                continue
            if isinstance(value, list):
                values[column] = clean_input(", ".join(str(v) for v in value))
            elif isinstance(value, bool):  # contact_public: yes or no, as a CSV cell says it
                values[column] = "yes" if value else "no"
            elif isinstance(value, str | int | float) and not isinstance(value, bool):
                values[column] = clean_input(str(value))
            else:
                values[column] = f"\x00{type(value).__name__}"
        rows.append(SourceRow(f"item {number}", values))
    warnings = [
        f"field {name!r} is not a practice field and is ignored" for name in sorted(unknown)
    ]
    return rows, warnings


# ---- import ------------------------------------------------------------------------------------


@dataclass
class Checked:
    where: str
    values: dict[str, Any]
    status: str
    author: str | None
    endorsements: int
    created_at: datetime | None
    updated_at: datetime | None
    approved_at: datetime | None
    review_by: datetime | None
    rejected_reason: str | None
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)
    """One line per bad row ("row 4: ..."); with problems and no skip, nothing was written."""
    warnings: list[str] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged


def check_row(taxonomy: Taxonomy, row: SourceRow) -> tuple[Checked | None, list[str]]:
    raw = row.values
    if "__invalid__" in raw:
        return None, [f"expected an object with the practice's fields, not a {raw['__invalid__']}"]
    problems: list[str] = []
    if "__extra__" in raw:
        problems.append(f"{raw['__extra__']} more cells than the header has columns")
    bad_types = [k for k, v in raw.items() if v.startswith("\x00")]
    problems.extend(f"{k} must be text, a number or a list" for k in bad_types)
    pairs = [
        (spec.key, raw[spec.attr])
        for spec in FIELDS
        if raw.get(spec.attr, "").strip() and spec.attr not in bad_types
    ]
    parsed, _ = read_fields(taxonomy, pairs, creating=True)
    problems.extend(parsed.problems)
    status = raw.get("status", "").strip().lower() or APPROVED
    if status not in STATUSES:
        problems.append(f"status {status!r} is not one of {', '.join(STATUSES)}")
    author: str | None = None
    if raw.get("author", "").strip():
        try:
            author = parse_handle(raw["author"])
        except UsageError as exc:
            problems.append(f"author: {exc.message}")
    endorsements = 0
    text = raw.get("endorsements", "").strip()
    if text:
        if text.isascii() and text.isdigit() and int(text) <= MAX_ENDORSEMENTS:
            endorsements = int(text)
        else:
            problems.append(f"endorsements {text[:20]!r} is not a whole number of endorsements")
    dates: dict[str, datetime | None] = {}
    for name in ("created_at", "updated_at", "approved_at", "review_by"):
        try:
            dates[name] = _parse_instant(raw.get(name, ""))
        except ValueError:
            problems.append(
                f"{name} {raw[name][:30]!r} is not a date; use ISO 8601 such as 2025-03-31 or "
                "2025-03-31T09:00:00+00:00"
            )
    reason = raw.get("rejected_reason", "").strip() or None
    if reason and len(reason) > 500:
        problems.append("rejected_reason is longer than 500 characters")
    if problems:
        return None, problems
    warnings = []
    findings = scan_personal_data(parsed.values)
    if findings:
        warnings.append(f"it may hold personal data: {describe(findings)}")
    return (
        Checked(
            where=row.where,
            values=parsed.values,
            status=status,
            author=author,
            endorsements=endorsements,
            created_at=dates.get("created_at"),
            updated_at=dates.get("updated_at"),
            approved_at=dates.get("approved_at"),
            review_by=dates.get("review_by"),
            rejected_reason=reason if status == REJECTED else None,
            warnings=warnings,
        ),
        [],
    )


def import_practices(
    session: Session,
    community_id: int,
    taxonomy: Taxonomy,
    rows: Sequence[SourceRow],
    *,
    now: datetime,
    skip_invalid: bool = False,
) -> ImportReport:
    """Check every row, then write them all in the caller's transaction (or nothing)."""
    report = ImportReport()
    good: list[Checked] = []
    titles: dict[str, str] = {}
    for row in rows:
        checked, problems = check_row(taxonomy, row)
        if checked is not None:
            key = checked.values["title"].casefold()
            if key in titles:
                problems = [f"same title as {titles[key]}; titles must be unique in a file"]
                checked = None
            else:
                titles[key] = row.where
        if checked is None:
            report.problems.extend(f"{row.where}: {p}" for p in problems)
            continue
        report.warnings.extend(f"{row.where}: {w}" for w in checked.warnings)
        good.append(checked)
    if report.problems and not skip_invalid:
        return report
    existing: dict[str, Practice] = {}
    for practice in session.exec(
        select(Practice).where(Practice.community_id == community_id).order_by(col(Practice.id))
    ).all():
        existing.setdefault(practice.title.casefold(), practice)
    members: dict[str, Member] = {}
    version = changes.touch(session, community_id)  # one bump for the whole import
    for item in good:
        author = None
        if item.author:
            author = members.get(item.author)
            if author is None:
                author = repos.ensure_member(session, community_id, item.author, now=now)
                members[item.author] = author
        found = existing.get(item.values["title"].casefold())
        if found is None:
            _create(session, community_id, item, author, now, version)
            report.created += 1
        elif _update(session, found, item, author, now, version):
            report.updated += 1
        else:
            report.unchanged += 1
    return report


def _create(
    session: Session,
    community_id: int,
    item: Checked,
    author: Member | None,
    now: datetime,
    version: int,
) -> Practice:
    practice = changes.create(
        session,
        community_id,
        item.values,
        author=author,
        status=item.status,
        now=now,
        editor_label=EDITOR_LABEL,
        version=version,
    )
    _apply_record(practice, item, now)
    _top_up_endorsements(session, practice, item.endorsements, now)
    session.add(practice)
    return practice


def _apply_record(practice: Practice, item: Checked, now: datetime) -> None:
    created = item.created_at or practice.created_at
    practice.created_at = created
    practice.updated_at = item.updated_at or created
    if item.status == APPROVED:
        approved = item.approved_at or practice.approved_at or now
        practice.approved_at = approved
        practice.review_by = item.review_by or approved + REVIEW_PERIOD
    else:
        practice.approved_at = item.approved_at
        practice.review_by = item.review_by
    practice.rejected_reason = item.rejected_reason


def _update(
    session: Session,
    practice: Practice,
    item: Checked,
    author: Member | None,
    now: datetime,
    version: int,
) -> bool:
    values = dict(item.values)
    for spec in FIELDS:  # a field left empty in the file clears it, as in the file
        if spec.attr not in values and not spec.required:
            values[spec.attr] = EMPTY.get(spec.attr)
    diff = changes.apply_changes(
        session, practice, values, editor=None, label=EDITOR_LABEL, now=now, version=version
    )
    before: dict[str, Any] = {
        "status": practice.status,
        "author_id": practice.author_id,
        "approved_at": practice.approved_at,
        "review_by": practice.review_by,
        "rejected_reason": practice.rejected_reason,
    }
    practice.status = item.status
    if author is not None:
        practice.author_id = author.id
    _apply_record(practice, item, now)
    after = {k: getattr(practice, k) for k in before}
    record = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if record:
        changes.record(session, practice, record, editor=None, label=EDITOR_LABEL, now=now)
    added = _top_up_endorsements(session, practice, item.endorsements, now)
    if diff or record or added:
        changes.changed(session, practice, version)
        return True
    return False


def _top_up_endorsements(session: Session, practice: Practice, wanted: int, now: datetime) -> int:
    """Add anonymous endorsements until the practice has `wanted`; never removes any."""
    assert practice.id is not None
    have = int(
        session.exec(
            select(func.count())
            .select_from(PracticeEndorsement)
            .where(PracticeEndorsement.practice_id == practice.id)
        ).one()
    )
    missing = max(0, wanted - have)
    session.add_all(
        PracticeEndorsement(practice_id=practice.id, member_id=None, created_at=now)
        for _ in range(missing)
    )
    return missing


# ---- helpers -----------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse_instant(text: str | None) -> datetime | None:
    text = (text or "").strip()
    if not text:
        return None
    if len(text) == 10:
        day = date.fromisoformat(text)
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _chunks(items: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
