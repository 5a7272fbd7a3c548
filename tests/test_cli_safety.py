"""A newcomer's walk-through (issue 17): the command line never destroys or invents data, and
every error is one line. Demo files (item 1), read-only commands (item 3), settings from the
environment (item 10) and one-line errors (item 12)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select

from cop_bot.cli import main
from cop_bot.cli.common import _parse_spec
from cop_bot.config import ENV_NAMES
from cop_bot.core.errors import UsageError
from cop_bot.demo.files import built_in_place_of, is_demo_database
from cop_bot.storage.db import make_engine, session_scope
from cop_bot.storage.models import Community, Member
from tests.cli_process import run_cli


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean working directory and an environment without any cop-bot settings."""
    monkeypatch.chdir(tmp_path)
    for var in ENV_NAMES.values():
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def run(*argv: str) -> int:
    return main(list(argv))


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def rows(path: Path, model: type) -> list:  # type: ignore[type-arg]
    engine = make_engine(f"sqlite:///{path}")
    try:
        with session_scope(engine) as session:
            return list(session.exec(select(model)).all())
    finally:
        engine.dispose()


def handles(path: Path) -> set[str]:
    return {m.handle for m in rows(path, Member)}


# ---- item 1: `cop-bot demo --path FILE` --------------------------------------------------------


def test_demo_refuses_to_replace_a_real_database(
    cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("query", "--user", "realuser", "/profile set name: Real Person") == 0
    capsys.readouterr()
    for force in ((), ("--force",)):
        assert run("demo", "--path", "cop_bot.db", "--no-console", *force) == 2
        err = one_line(capsys.readouterr().err)
        assert "cop_bot.db already exists and is not a demo database" in err
        assert "realuser" in handles(cwd / "cop_bot.db")


def test_demo_refuses_a_text_file_and_a_folder(
    cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = cwd / "notes.txt"
    notes.write_text("my notes\n", encoding="utf-8")
    assert run("demo", "--path", "notes.txt", "--no-console", "--force") == 2
    assert "not a demo database" in one_line(capsys.readouterr().err)
    assert notes.read_text(encoding="utf-8") == "my notes\n"
    (cwd / "folder").mkdir()
    assert run("demo", "--path", "folder", "--no-console") == 2
    assert "folder is a folder" in one_line(capsys.readouterr().err)


def test_demo_keeps_its_own_database_and_force_makes_a_fresh_one(
    cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("demo", "--no-console", "--user", "tester") == 0
    demo = cwd / "cop_bot_demo.db"
    assert is_demo_database(demo)
    url = f"sqlite:///{demo}"
    assert run("query", "--db", url, "--user", "newcomer", "/profile set city: Lyon") == 0
    assert run("demo", "--no-console", "--user", "other") == 0  # again: kept as it was
    assert "kept as you left it" in capsys.readouterr().out
    assert {"newcomer", "tester", "other"} <= handles(demo)
    assert run("query", "--db", url, "--json", "--user", "other", "/role") == 0
    assert "other" in json.loads(capsys.readouterr().out)["data"]["admins"]
    assert run("demo", "--no-console", "--user", "tester", "--force") == 0
    assert "newcomer" not in handles(demo) and "tester" in handles(demo)
    assert is_demo_database(demo)
    assert not list(cwd.glob(".cop_bot_demo.db.building*"))


def test_a_failed_demo_build_leaves_the_old_file_as_it_was(tmp_path: Path) -> None:
    old = tmp_path / "demo.db"
    old.write_bytes(b"the old demo")
    with pytest.raises(RuntimeError), built_in_place_of(old) as scratch:
        scratch.write_bytes(b"half")
        raise RuntimeError("the build failed")
    assert old.read_bytes() == b"the old demo"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.db"]


# ---- item 3: reading never writes -------------------------------------------------------------


def test_roles_list_of_an_unknown_community_creates_nothing(
    cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("roles", "grant", "amina", "admin", "--new-member") == 0  # console:local
    capsys.readouterr()
    assert run("roles", "list", "--community", "slack:T123") == 2
    assert one_line(capsys.readouterr().err) == (
        "cop-bot roles list: There is no community slack:T123 in this database. Its "
        "communities are console:local; choose one with --community."
    )
    assert run("roles", "revoke", "amina", "admin", "--community", "slack:T123") == 2
    assert [c.external_id for c in rows(cwd / "cop_bot.db", Community)] == ["local"]
    assert run("roles", "list") == 0  # not "Several communities exist"
    assert "admins: amina" in capsys.readouterr().out


def test_roles_list_on_a_new_database_shows_the_configured_admins(
    cwd: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COP_BOT_ADMINS", "alice")
    assert run("db", "upgrade") == 0
    capsys.readouterr()
    assert run("roles", "list") == 0
    assert capsys.readouterr().out.splitlines() == [
        "admins: alice",
        "curators: -",
        "facilitators: -",
    ]
    assert rows(cwd / "cop_bot.db", Community) == []


@pytest.mark.parametrize(
    "argv",
    [
        ("roles", "list"),
        ("roles", "revoke", "amina", "admin"),
        ("members", "export", "out.csv"),
        ("practices", "export", "out.json"),
        ("digest", "preview", "--channel", "console"),
        ("db", "current"),
    ],
    ids=" ".join,
)
def test_reading_commands_never_create_the_database(
    cwd: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    assert run(*argv, "--db", "sqlite:///data/cop_bot.db") == 2
    assert one_line(capsys.readouterr().err).endswith(
        "There is no database at data/cop_bot.db (nothing was created); `cop-bot db upgrade` "
        "creates it."
    )
    assert list(cwd.iterdir()) in ([], [cwd / ".cop-bot"])  # at most the log


def test_digest_preview_adds_no_member_and_no_community(
    cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("query", "--user", "amina", "/profile set city: Rome") == 0
    assert run("digest", "preview", "--channel", "console") == 0
    assert "Community of practice" in capsys.readouterr().out
    assert handles(cwd / "cop_bot.db") == {"amina"}
    assert run("members", "export", "out.csv") == 0
    assert "cop-bot-cli" not in (cwd / "out.csv").read_text(encoding="utf-8")
    assert run("digest", "preview", "--channel", "c", "--community", "matrix:example.org") == 2
    assert "There is no community matrix:example.org" in one_line(capsys.readouterr().err)
    assert len(rows(cwd / "cop_bot.db", Community)) == 1


def test_exports_of_an_unknown_community_write_nothing(
    cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("db", "upgrade") == 0
    assert run("members", "export", "members.csv") == 2  # console:local has never been used
    assert one_line(capsys.readouterr().err) == (
        "cop-bot members export: There is no community console:local in this database: it "
        "holds none yet."
    )
    assert run("practices", "export", "p.json", "--community", "slack:T1") == 2
    assert not (cwd / "members.csv").exists() and not (cwd / "p.json").exists()
    assert rows(cwd / "cop_bot.db", Community) == []


def test_db_current_on_a_missing_path_creates_nothing(
    cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("db", "current", "--db", "sqlite:///no/such/place/x.db") == 2
    assert "There is no database at no/such/place/x.db" in one_line(capsys.readouterr().err)
    assert not (cwd / "no").exists()
    assert run("db", "upgrade", "--db", "sqlite:///no/such/place/x.db") == 0
    assert run("db", "current", "--db", "sqlite:///no/such/place/x.db") == 0


@given(st.text(max_size=20))
def test_community_option_is_platform_colon_id_or_one_reason(spec: str) -> None:
    try:
        platform, external = _parse_spec(spec)
    except UsageError as exc:
        assert "\n" not in exc.message and "such as slack:T0123" in exc.message
        return
    assert platform and external and f"{platform}:{external}" == spec


# ---- item 10: settings from the environment ----------------------------------------------------


def test_language_from_the_environment_is_checked_like_chat(
    cwd: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COP_BOT_LANGUAGE", "xx")
    assert run("config", "check") == 2
    err = one_line(capsys.readouterr().err)
    assert "COP_BOT_LANGUAGE must be a language the taxonomy has labels in" in err
    assert "en, fr, es, it, de, ar, el" in err and "'xx'" in err
    assert run("query", "/help") == 2
    assert not (cwd / "cop_bot.db").exists()  # refused before the database is touched
    monkeypatch.setenv("COP_BOT_LANGUAGE", "FR")  # `/settings language: FR` works too
    assert run("query", "--json", "/settings") == 0
    assert json.loads(capsys.readouterr().out)["data"]["settings"]["language"] == "fr"


def test_a_community_name_too_long_for_chat_is_refused(
    cwd: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COP_BOT_COMMUNITY_NAME", "x" * 201)
    assert run("config", "check") == 2
    assert "COP_BOT_COMMUNITY_NAME must be at most 200 characters" in capsys.readouterr().err


def test_config_check_says_when_the_stored_community_setting_wins(
    cwd: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COP_BOT_ADMINS", "amina")
    assert run("query", "--user", "amina", "/settings language: fr; timezone: Europe/Rome") == 0
    capsys.readouterr()
    assert run("config", "check") == 0
    assert "warning" not in capsys.readouterr().err  # nothing set, nothing to compare
    monkeypatch.setenv("COP_BOT_LANGUAGE", "de")
    monkeypatch.setenv("COP_BOT_TIMEZONE", "Europe/Rome")
    assert run("config", "check") == 0
    assert capsys.readouterr().err.splitlines() == [
        "warning: console:local keeps its own language 'fr', which wins over "
        "COP_BOT_LANGUAGE='de' (the variable only applies to communities created from now "
        "on); change it in chat with `/settings language: de`."
    ]


def test_config_check_shows_the_taxonomy_and_log_file_in_use(
    cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("config", "check") == 0
    lines = {
        line.split()[0]: line.split(None, 1)[1]
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("COP_BOT_")
    }
    assert lines["COP_BOT_TAXONOMY"].endswith("taxonomy.yaml (default)")
    assert Path(lines["COP_BOT_TAXONOMY"].removesuffix(" (default)")).is_file()
    assert lines["COP_BOT_LOG_FILE"] == ".cop-bot/cop-bot.log (default)"
    assert not (cwd / "cop_bot.db").exists()  # checking the settings creates no database


# ---- item 12: one line per error ---------------------------------------------------------------


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    result = run_cli(
        "roles", "list", "--db", "postgresql+psycopg://nobody:pw@127.0.0.1:9/x", cwd=tmp_path
    )
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert line == (
        "cop-bot: cannot reach the database at postgresql+psycopg://nobody:***@127.0.0.1:9/x, "
        "so nothing was changed; check that it is running and reachable "
        "(COP_BOT_DB_CONNECT_TIMEOUT sets how long to wait)."
    )
    assert "Traceback" in (tmp_path / ".cop-bot" / "cop-bot.log").read_text()


def test_members_export_to_a_missing_folder_is_one_line(
    cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("roles", "grant", "amina", "admin", "--new-member") == 0
    assert run("members", "export", "/no/such/dir/x.csv") == 2
    assert one_line(capsys.readouterr().err) == (
        "cop-bot members export: The folder /no/such/dir does not exist; create it first or "
        "write x.csv elsewhere."
    )


def test_members_import_of_a_folder_says_it_is_a_folder(
    cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (cwd / "d").mkdir()
    assert run("members", "import", "d") == 2
    assert one_line(capsys.readouterr().err) == (
        "cop-bot members import: d is a folder, not a file; give the path of the file itself."
    )
    assert run("members", "import", "missing.csv") == 2
    assert (
        one_line(capsys.readouterr().err) == "cop-bot members import: missing.csv does not exist."
    )
    assert not (cwd / "cop_bot.db").exists()  # the file is checked before the database


def test_members_import_reads_semicolons_and_says_when_a_file_is_empty(
    cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (cwd / "excel.csv").write_text(
        "name;handle;organisation;country;languages;domains;bio;expert\n"
        'Amina Haddad;amina;Fictional Casablanca Support;MA;"ar;fr";labour market;Work permits;oui\n',
        encoding="utf-8-sig",
    )
    assert run("members", "import", "excel.csv") == 0
    assert "Imported 1 member: 1 new, 0 updated." in capsys.readouterr().out
    assert run("query", "--json", "/profile amina") == 0
    profile = json.loads(capsys.readouterr().out)["data"]["profile"]
    assert profile["languages"] == ["ar", "fr"] and profile["domains"] == ["labour-market"]
    (cwd / "empty.csv").write_text("", encoding="utf-8")
    assert run("members", "import", "empty.csv") == 2
    assert one_line(capsys.readouterr().err) == (
        "cop-bot members import: empty.csv is empty; its first line must be the header "
        "name,handle,organisation,country,languages,domains,bio,expert."
    )


def test_a_bad_matrix_homeserver_is_said_once(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody else uses, for the health server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_cli(
        "run",
        cwd=tmp_path,
        env={
            "MATRIX_HOMESERVER": "http://127.0.0.1:9",
            "MATRIX_USER_ID": "@bot:example.org",
            "MATRIX_ACCESS_TOKEN": "syt_secret",
            "COP_BOT_HTTP_PORT": str(port),
        },
    )
    assert result.returncode == 1
    assert result.stderr.count("could not reach the homeserver at http://127.0.0.1:9") == 1
    assert "could not reach the homeserver" in (tmp_path / ".cop-bot" / "cop-bot.log").read_text()
