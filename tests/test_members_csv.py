"""The members CSV (issue 17): export writes every profile field a member can set, so an
export imported elsewhere gives the same profiles; older files (the first eight columns) still
import and clear nothing they lack; `;`- and tab-separated files are read as such."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from cop_bot.core.clean import clean_input
from cop_bot.core.model import Conversation
from cop_bot.core.taxonomy import load_taxonomy
from cop_bot.experts import members_io
from cop_bot.experts.members_io import (
    COLUMNS,
    DELIMITERS,
    HEADER,
    MemberRow,
    column_name,
    delimiter_of,
    export_cells,
    read_csv,
)
from cop_bot.experts.privacy import export_profile
from cop_bot.storage import repos
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import Community, Member
from tests.conftest import Bot

TAXONOMY = load_taxonomy()
PROFILE_FIELDS = [
    "name",
    "organisation",
    "organisation_type",
    "country",
    "city",
    "languages",
    "domains",
    "bio",
    "timezone",
    "expert",
    "asks",
    "capacity",
]


def _profiles(bot: Bot, external: str) -> dict[str, dict[str, object]]:
    with session_scope(bot.app.engine) as session:
        community = repos.find_community(session, Conversation("console", external, ""))
        assert community is not None
        members = session.exec(select(Member).where(Member.community_id == community.id)).all()
        return {
            m.handle: {k: export_profile(session, m)[k] for k in PROFILE_FIELDS} for m in members
        }


def _community(bot: Bot, external: str) -> Community:
    with session_scope(bot.app.engine) as session:
        found = repos.find_community(session, Conversation("console", external, ""))
        assert found is not None
        return found


def _import(bot: Bot, path: Path, external: str) -> members_io.ImportReport:
    report = read_csv(path, bot.app.taxonomy)
    assert not report.problems, report.problems
    members_io.import_members(
        bot.app.engine,
        Conversation("console", external, ""),
        report.valid,
        clock=bot.app.clock,
        community_name="Elsewhere",
        timezone="UTC",
        language="en",
        report=report,
    )
    return report


def test_members_export_then_import_gives_the_same_profiles(bot: Bot, tmp_path: Path) -> None:
    assert bot.reply(
        "/profile set name: Amina Haddad; organisation: Fictional Casablanca Support, Rabat; "
        "organisation-type: ngo; country: MA; city: Casablanca; languages: ar, fr; "
        'domains: labour market, legal aid; bio: Work permits, "quotes"\nand a new line; '
        "timezone: Africa/Casablanca; expert: yes; asks: yes; capacity: 3",
        as_="amina",
    ).ok
    assert bot.reply("/profile set city: Turin; asks: no", as_="luca").ok
    bot.reply("/profile", as_="zoe")  # a member who never filled anything in
    before = _profiles(bot, "local")
    path = tmp_path / "members.csv"
    assert members_io.export_members(bot.app.engine, _community(bot, "local"), path) == 3
    with path.open(encoding="utf-8", newline="") as f:
        assert next(csv.reader(f)) == list(COLUMNS)
    report = _import(bot, path, "other")
    assert (report.created, report.updated) == (3, 0)
    assert _profiles(bot, "other") == before
    assert before["amina"]["capacity"] == 3 and before["amina"]["city"] == "Casablanca"


def test_an_older_members_csv_imports_and_clears_nothing_it_lacks(bot: Bot, tmp_path: Path) -> None:
    bot.reply("/profile set city: Turin; timezone: Europe/Rome; asks: yes; capacity: 2", as_="luca")
    old = tmp_path / "old.csv"
    old.write_text(
        ",".join(HEADER) + "\nLuca Bianchi,luca,Example Turin,Italy,it;English,employment,,no\n",
        encoding="utf-8",
    )
    report = _import(bot, old, "local")
    assert (report.created, report.updated) == (0, 1)
    luca = _profiles(bot, "local")["luca"]
    assert luca["name"] == "Luca Bianchi" and luca["organisation"] == "Example Turin"
    assert (luca["city"], luca["timezone"], luca["asks"], luca["capacity"]) == (
        "Turin",
        "Europe/Rome",
        True,
        2,
    )


def test_optional_columns_are_checked_like_profile_set(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        ",".join(COLUMNS) + "\nA,a,,,,,,no,,Mars/Olympus,wizards,perhaps,500\n", encoding="utf-8"
    )
    [(line, reason)] = read_csv(path, TAXONOMY).problems
    assert line == 2
    assert "'Mars/Olympus' is not a time zone" in reason
    assert "'wizards' is not an organisation type" in reason
    assert "'perhaps' is not yes or no" in reason
    assert "'500' is not a number of questions a month" in reason


# ---- the parser, on any input ------------------------------------------------------------------

_text = (
    st.text(
        st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\ufeff"),
        max_size=40,
    )
    .map(str.strip)
    .filter(lambda t: t.lower() not in {"-", "none", "clear", "remove"})
    .filter(lambda t: clean_input(t) == t)  # what typed text may hold: it is cleaned on import
)
_members = st.builds(
    Member,
    community_id=st.just(1),
    handle=st.from_regex(r"[a-z][a-z0-9._-]{0,20}", fullmatch=True),
    display_name=_text.map(lambda t: t or None),
    organisation=_text.map(lambda t: t or None),
    organisation_type=st.sampled_from([None, "ngo", "public", "academia", "other"]),
    country=st.sampled_from([None, "IT", "MA", "DE"]),
    city=_text.map(lambda t: t or None),
    languages=st.lists(st.sampled_from(["ar", "fr", "en", "uk"]), unique=True, max_size=3),
    bio=_text.map(lambda t: t or None),
    timezone=st.sampled_from([None, "Europe/Rome", "America/Bogota"]),
    is_expert=st.just(False),
    accepts_asks=st.booleans(),
    asks_capacity=st.one_of(st.none(), st.integers(0, 100)),
)


def _read(text: str) -> members_io.ImportReport:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.csv"
        path.write_text(text, encoding="utf-8", newline="")
        return read_csv(path, TAXONOMY)


def _written(member: Member, domains: list[str], delimiter: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(COLUMNS)
    writer.writerow(export_cells(member, domains))
    return buffer.getvalue()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    _members,
    st.lists(st.sampled_from(["housing", "health", "labour-market"]), unique=True, max_size=2),
    st.sampled_from(DELIMITERS),
)
def test_a_written_member_reads_back_the_same_with_any_delimiter(
    member: Member, domains: list[str], delimiter: str
) -> None:
    report = _read(_written(member, domains, delimiter))
    assert not report.problems, report.problems
    [row] = report.valid
    assert row == MemberRow(
        line=row.line,
        handle=member.handle,
        name=member.display_name,
        organisation=member.organisation,
        country=member.country,
        languages=member.languages,
        domains=domains,
        bio=member.bio,
        expert=False,
        more={
            "city": member.city,
            "timezone": member.timezone,
            "organisation_type": member.organisation_type,
            "accepts_asks": member.accepts_asks,
            "asks_capacity": member.asks_capacity,
        },
    )


@given(st.lists(st.sampled_from(COLUMNS), min_size=1, unique=True), st.sampled_from(DELIMITERS))
def test_the_delimiter_is_the_one_the_header_uses(columns: list[str], delimiter: str) -> None:
    assert delimiter_of(delimiter.join(columns) + "\nx") == delimiter or (
        len(columns) == 1 and delimiter_of(columns[0]) == ","  # one column: nothing to tell
    )


@given(st.text(max_size=30))
def test_any_text_reads_as_a_report_or_one_reason(text: str) -> None:
    try:
        report = _read(text)
    except Exception as exc:  # only the one-line refusals the CLI prints
        assert type(exc).__name__ == "UsageError", repr(exc)
        assert "\n" not in str(exc)
    else:
        assert not report.valid or all(r.handle for r in report.valid)


@given(st.sampled_from(COLUMNS), st.sampled_from([str.upper, str.title, str.lower]))
def test_header_cells_are_read_in_any_case_and_spelling(column: str, case: object) -> None:
    assert callable(case)
    assert column_name(f" {case(column)} ") == column
    assert column_name(case(column.replace("_", "-"))) == column
    assert column_name(case(column.replace("organisation", "organization"))) == column


@pytest.mark.parametrize("delimiter", DELIMITERS)
def test_a_header_only_file_imports_nobody(delimiter: str) -> None:
    assert _read(delimiter.join(HEADER) + "\n").valid == []
