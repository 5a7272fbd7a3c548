"""`cop-bot members export` and `import` against spreadsheets and hostile files (issue 21,
defect 13): no cell that a spreadsheet would run as a formula, and a NUL byte is one row's
problem, not a database error, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import functools
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from sqlmodel import select

from cop_bot.cli import main
from cop_bot.config import ENV_NAMES
from cop_bot.core.clean import clean_input
from cop_bot.core.spreadsheet import FORMULA_START, from_cell, to_cell
from cop_bot.core.taxonomy import Taxonomy, load_taxonomy
from cop_bot.experts.members_io import HEADER, read_csv
from cop_bot.experts.profiles import is_clear
from cop_bot.storage.db import make_engine, session_scope
from cop_bot.storage.models import Member
from tests.conftest import Bot

HOSTILE = {
    "name": '=HYPERLINK("https://evil.example","Amina")',
    "organisation": "@SUM(1+1)*cmd|' /C calc'!A0",
    "bio": "+1 555 0100 is my office, -2 is my floor",
}


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for var in ENV_NAMES.values():
        monkeypatch.delenv(var, raising=False)
    return tmp_path


@given(st.text())
def test_a_cell_never_starts_like_a_formula_and_reads_back_unchanged(text: str) -> None:
    cell = to_cell(text)
    assert not cell.startswith(FORMULA_START)
    assert from_cell(cell) == text


def test_members_export_keeps_formula_like_cells_as_text(bot: Bot, cwd: Path) -> None:
    form = "; ".join(f"{key}: {value}" for key, value in HOSTILE.items())
    assert bot.reply(f"/profile set {form}").ok
    db = bot.app.settings.database_url
    assert main(["--db", db, "members", "export", "out.csv"]) == 0
    with (cwd / "out.csv").open(encoding="utf-8", newline="") as handle:
        (row,) = [r for r in csv.DictReader(handle) if r["handle"] == "alice"]
    for key, value in HOSTILE.items():
        assert row[key] == "'" + value, key  # a spreadsheet shows it as text
    # and a round trip through the import gives back exactly what the member typed
    assert main(["--db", db, "members", "import", "out.csv"]) == 0
    with session_scope(bot.app.engine) as session:
        alice = session.exec(select(Member).where(Member.handle == "alice")).one()
        stored = {"name": alice.display_name, "organisation": alice.organisation, "bio": alice.bio}
    assert stored == HOSTILE


def test_a_nul_byte_in_a_members_csv_is_a_row_problem_not_a_database_error(
    db_url: str, cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (cwd / "members.csv").write_text(
        "name,handle,organisation,country,languages,domains,bio,expert\n"
        "Amina Haddad,amina,City of Turin,IT,it,,Job fairs,no\n"
        "Luca\x00Bianchi,luca,Example Org,IT,it,,Clinics,no\n",
        encoding="utf-8",
    )
    assert main(["--db", db_url, "members", "import", "members.csv"]) == 2
    err = capsys.readouterr().err
    assert "row 3: the name holds a NUL character" in err
    assert "Traceback" not in err and "DataError" not in err
    engine = make_engine(db_url)
    try:
        with session_scope(engine) as session:
            assert session.exec(select(Member)).all() == []  # nothing half-written
        assert main(["--db", db_url, "members", "import", "members.csv", "--skip-invalid"]) == 0
        with session_scope(engine) as session:
            assert [m.handle for m in session.exec(select(Member)).all()] == ["amina"]
    finally:
        engine.dispose()


@functools.cache
def _taxonomy() -> Taxonomy:
    return load_taxonomy()


@given(bio=st.text(max_size=120))
def test_any_bio_survives_a_csv_round_trip_or_is_that_rows_problem(bio: str) -> None:
    """What `members export` writes, `members import` reads back as it was (trimmed); a NUL
    makes that row invalid, never the whole file."""
    assume(bio == bio.strip() and not is_clear(bio))
    # what typed text may hold (invisible and control characters are cleaned on every path)
    assume(clean_input(bio.replace("\x00", "")) == bio.replace("\x00", ""))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerow(["Amina", "amina", "", "", "", "", to_cell(bio), "no"])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "members.csv"
        path.write_text(buffer.getvalue(), encoding="utf-8")
        report = read_csv(path, _taxonomy())
    if "\x00" in bio:
        assert [reason for _, reason in report.problems] == [
            "the bio holds a NUL character, which cannot be stored; remove it"
        ]
        assert report.valid == []
    else:
        assert report.problems == []
        assert [row.bio for row in report.valid] == [bio]
