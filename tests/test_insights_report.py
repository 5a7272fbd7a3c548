"""`cop-bot insights`: the issue's JSON shape, CSV, text and PNG, on a hand-made community whose
numbers are known; bad input refused with nothing written (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json
import struct
from datetime import timedelta
from pathlib import Path

import pytest

from cop_bot.cli import main
from cop_bot.config import ENV_NAMES
from cop_bot.core.clock import FixedClock
from tests.conftest import NOW, Bot

ADMIN = "root-admin"
NAMES = ("zebedee", "quentin", "ottoline", "marguerite", "bartholomew")


@pytest.fixture
def community(bot: Bot, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """Two housing experts who accept asks, one for health who does not, one for jobs who does;
    four questions (housing twice, health, jobs), one answered after two days; one practice,
    endorsed twice, overdue for review; one session with two yes and a waitlisted RSVP."""
    monkeypatch.chdir(tmp_path)
    for var in ENV_NAMES.values():
        monkeypatch.delenv(var, raising=False)
    for who in ("zebedee", "quentin"):
        bot.send("/profile set domains: housing; expert: yes; asks: yes", as_=f"{who}-expert")
    bot.send("/profile set domains: health; expert: yes; asks: no", as_="ottoline-expert")
    bot.send("/profile set domains: labour market; expert: yes; asks: yes", as_="jobs-expert")
    first = bot.reply("/ask housing: Where can families stay?", as_="marguerite-asker")
    bot.send("/ask health: Who runs trauma support?", as_="marguerite-asker")
    bot.send("/ask housing: Any deposit schemes?", as_="bartholomew-asker")
    bot.send("/ask labour market: Who helps with CVs?", as_="bartholomew-asker")
    shared = bot.reply(
        "/share-practice Tenant desk; summary: A desk that mediates with landlords; "
        "domains: housing; country: IT",
        as_=ADMIN,
    )
    assert shared.ok, shared
    practice = shared.data["practice"]["id"]
    for who in ("zebedee-expert", "quentin-expert"):
        assert bot.reply(f"/endorse {practice}", as_=who).ok
    for title, coming in (("Clinic", 3), ("Surgery", 1)):
        made = bot.reply(f'/schedule-session "{title}" tomorrow 15:00 capacity 2', as_=ADMIN)
        assert made.ok, made
        for i in range(coming):
            assert bot.reply(f"/rsvp {made.data['session']['id']} yes", as_=f"r{i}").ok
    clock.set(NOW + timedelta(days=2))
    bot.send(f"/answered {first.data['question']['id']}", as_="zebedee-expert")
    clock.set(NOW + timedelta(days=10))
    return str(bot.app.settings.database_url)


def _run(db: str, *args: str) -> int:
    return main(["insights", "--db", db, "--as-of", (NOW + timedelta(days=10)).isoformat(), *args])


def test_the_json_has_the_issues_shape_and_the_known_numbers(
    community: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(community, "--format", "json") == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert set(data) >= {"coverage", "questions", "repertoire", "sessions", "engagement"}
    # health has an expert, who takes no asks; the jobs expert is one, fewer than two
    assert data["coverage"] == [
        {"domain": "health", "questions": 1, "experts": 0},
        {"domain": "labour-market", "questions": 1, "experts": 1},
    ]
    assert data["questions"] == {
        "asked": 4,
        "answered": 1,
        "answered_7d_pct": 25.0,
        "median_hours_to_first_answer": 48.0,
        "open_by_age": {"under_7_days": 0, "7_to_30_days": 3, "over_30_days": 0},
        "escalated": 0,
        "needs_a_hand": 0,
    }
    assert data["repertoire"] == {"approved": 1, "new": 1, "overdue_review": 0, "endorsements": 2}
    # two yes and one on the waiting list, and one yes: the median of 2 and 1
    assert data["sessions"] == {"held": 2, "median_rsvps": 1.5, "no_shows": None}
    assert all(set(w) == {"week", "active"} for w in data["engagement"])
    assert sum(w["active"] for w in data["engagement"]) >= 6
    for name in NAMES:
        assert name not in out


def test_csv_text_and_png_files(community: str, tmp_path: Path) -> None:
    table = tmp_path / "report.csv"
    assert _run(community, "--format", "csv", "--out", str(table)) == 0
    rows = list(csv.reader(io.StringIO(table.read_text(encoding="utf-8"))))
    assert rows[0] == ["section", "key", "value"]
    figures = {(s, k): v for s, k, v in rows[1:]}
    assert figures[("questions", "asked")] == "4"
    assert figures[("questions", "open_by_age.7_to_30_days")] == "3"
    assert figures[("coverage", "health.experts")] == "0"
    assert figures[("repertoire", "endorsements")] == "2"
    text = tmp_path / "report.txt"
    assert _run(community, "--out", str(text)) == 0
    written = text.read_text(encoding="utf-8")
    assert "4 asked, 1 answered, 25.0 % within 7 days" in written
    assert "health (1 questions, 0 experts)" in written
    chart = tmp_path / "report.png"
    assert _run(community, "--format", "png", "--out", str(chart), "--period", "90d") == 0
    png = chart.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (800, 450) and 5_000 < len(png) < 500_000
    for name in NAMES:
        assert name not in written and name not in table.read_text(encoding="utf-8")


def test_a_group_sees_its_domains_only(
    bot: Bot, community: str, capsys: pytest.CaptureFixture[str]
) -> None:
    made = bot.reply(
        "/group create Housing working group kind: working-group domains: housing", as_=ADMIN
    )
    assert made.ok, made
    assert _run(community, "--format", "json", "--group", "housing-working-group") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["group"] == "housing-working-group"
    assert data["coverage"] == []  # housing has its two experts
    assert data["questions"]["asked"] == 2


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--period", "banana"), "period is a number of days"),
        (("--format", "png"), "add --out FILE"),
        (("--group", "nonexistent"), "There is no group"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    community: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    said: str,
) -> None:
    out = tmp_path / "never.json"
    extra = () if "--format" in args else ("--out", str(out))
    assert _run(community, *args, *extra) == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_the_gaps_of_languages_countries_and_practices(
    bot: Bot, community: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The community's experts speak nothing and live nowhere until they say; then the housing
    experts speak fr and live in Italy, and the askers speak ar (marguerite, in Eritrea) and fr
    (bartholomew, in Italy)."""
    for who in ("zebedee", "quentin"):
        bot.send("/profile set languages: fr; country: IT", as_=f"{who}-expert")
    bot.send("/profile set languages: ar; country: ER", as_="marguerite-asker")
    bot.send("/profile set languages: fr, ar; country: IT", as_="bartholomew-asker")
    assert _run(community, "--format", "json") == 0
    out = capsys.readouterr().out
    gaps = json.loads(out)["coverage_gaps"]
    assert gaps["domains"] == ["health", "labour-market"]
    assert gaps["languages"] == [{"language": "ar", "askers": 2}]
    assert gaps["countries"] == [{"country": "ER", "askers": 1}]
    assert len(gaps["no_practice"]) == 21 and "housing" not in gaps["no_practice"]
    table = tmp_path / "gaps.csv"
    assert _run(community, "--format", "csv", "--out", str(table)) == 0
    figures = {(s, k): v for s, k, v in csv.reader(io.StringIO(table.read_text(encoding="utf-8")))}
    assert figures[("coverage_gaps", "languages.ar")] == "2"
    assert figures[("coverage_gaps", "countries.ER")] == "1"
    assert figures[("coverage_gaps", "no_practice.health")] == "0"
    assert ("coverage_gaps", "no_practice.housing") not in figures
    assert _run(community) == 0
    text = capsys.readouterr().out
    assert "Askers' languages no expert speaks: Arabic (2 askers)" in text
    assert "Askers' countries with no expert: Eritrea (1 asker)" in text
    assert "Domains with no approved practice: anti-discrimination, child-protection, " in text
    for name in NAMES:
        assert name not in out and name not in text
    # a housing group: its domain has its practice, its askers speak fr and ar
    bot.send("/group create Homes kind: working-group domains: housing", as_=ADMIN)
    assert _run(community, "--format", "json", "--group", "homes") == 0
    homes = json.loads(capsys.readouterr().out)["coverage_gaps"]
    assert homes == {
        "domains": [],
        "languages": [{"language": "ar", "askers": 2}],
        "countries": [{"country": "ER", "askers": 1}],
        "no_practice": [],
    }
