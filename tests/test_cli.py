"""The `cop-bot` command line: a contract other parts and our checks rely on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from cop_bot.cli import build_parser, main
from cop_bot.config import ENV_NAMES
from cop_bot.storage.db import head_revision, make_engine, session_scope
from cop_bot.storage.models import Member, MemberDomain
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


def subcommand_paths() -> list[list[str]]:
    paths: list[list[str]] = [[]]
    parser = build_parser()

    def walk(p, prefix: list[str]) -> None:  # type: ignore[no-untyped-def]
        for action in p._actions:
            if action.__class__.__name__ == "_SubParsersAction":
                for name, sub in action.choices.items():
                    paths.append([*prefix, name])
                    walk(sub, [*prefix, name])

    walk(parser, [])
    return paths


@pytest.mark.parametrize("path", subcommand_paths(), ids=lambda p: " ".join(p) or "cop-bot")
def test_every_subcommand_has_help(path: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*path, "--help"])
    assert exited.value.code == 0
    assert "usage: cop-bot" in capsys.readouterr().out


def test_misuse_exits_2(cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["query"])
    assert exited.value.code == 2
    with pytest.raises(SystemExit) as exited:
        main(["frobnicate"])
    assert exited.value.code == 2
    assert run("query", "¿qué?") == 2
    assert run("query", "   ") == 2


def test_query_json_contract(cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("query", "--user", "alice", "--json", "/domains") == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"text", "visibility", "data"}
    assert out["visibility"] == "ephemeral"
    assert "Labour market" in out["text"]
    assert len(out["data"]["domains"]) >= 22
    assert (cwd / "cop_bot.db").exists()  # the default database, migrated automatically


def test_user_errors_are_normal_replies(cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("query", "--json", "/role grant bob curator") == 0
    out = json.loads(capsys.readouterr().out)
    assert out["data"]["error"]["code"] == "permission"
    assert run("query", "/domians") == 0
    assert "Did you mean /domains?" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("/frobnicate", "unknown_command"),
        ("/find-expert", "usage"),
        ("/role grant bob curator", "permission"),
        ("/session 999", "command"),
        ("/share-practice Welcome desks", "invalid"),
    ],
)
def test_every_json_error_has_the_code_and_message_the_readme_promises(
    cwd: Path, capsys: pytest.CaptureFixture[str], line: str, code: str
) -> None:
    assert run("query", "--json", line) == 0
    error = json.loads(capsys.readouterr().out)["data"]["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"].strip()


def test_db_option_and_env_and_dotenv(cwd: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    (cwd / ".env").write_text(
        "COP_BOT_DATABASE_URL=sqlite:///from-dotenv.db\nCOP_BOT_ADMINS=alice\n"
    )
    assert run("query", "--user", "alice", "/role grant bob curator confirm") == 0
    assert "now a curator" in capsys.readouterr().out
    assert (cwd / "from-dotenv.db").exists()
    monkeypatch.setenv("COP_BOT_DATABASE_URL", "sqlite:///from-env.db")  # real environment wins
    assert run("query", "/help") == 0
    assert (cwd / "from-env.db").exists()
    assert run("query", "--db", "sqlite:///from-flag.db", "/help") == 0  # the flag wins over both
    assert (cwd / "from-flag.db").exists()


def test_db_upgrade_and_no_auto_migrate(cwd: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COP_BOT_AUTO_MIGRATE", "false")
    assert run("query", "/help") == 2
    assert "cop-bot db upgrade" in capsys.readouterr().err
    assert run("db", "upgrade") == 0
    assert f"revision {head_revision()}" in capsys.readouterr().out
    assert run("db", "upgrade") == 0
    assert "unchanged" in capsys.readouterr().out
    assert run("query", "/help") == 0
    assert run("db", "current") == 0


def test_config_check_masks_secrets(cwd: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1234567890-secretsecret")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "abcdef0123456789abcdef")
    monkeypatch.setenv("COP_BOT_DATABASE_URL", "postgresql+psycopg://bot:hunter2@db:5432/copbot")
    assert run("config", "check") == 0
    out = capsys.readouterr().out
    assert "Platform: slack" in out
    assert (
        "secretsecret" not in out and "abcdef0123456789abcdef" not in out and "hunter2" not in out
    )
    assert "SLACK_BOT_TOKEN" in out and "xoxb…" in out


@pytest.mark.parametrize(
    ("var", "value", "expected"),
    [
        ("COP_BOT_AUTO_MIGRATE", "maybe", "COP_BOT_AUTO_MIGRATE must be true or false"),
        ("COP_BOT_HTTP_PORT", "99999", "COP_BOT_HTTP_PORT must be a port number"),
        ("COP_BOT_ENGINE_PROCESSES", "lots", "COP_BOT_ENGINE_PROCESSES must be a whole number"),
        ("COP_BOT_ENGINE_PROCESSES", "65", "COP_BOT_ENGINE_PROCESSES must be a whole number"),
        ("COP_BOT_TIMEZONE", "Mars/Olympus", "COP_BOT_TIMEZONE must be an IANA time zone"),
        (
            "COP_BOT_DATABASE_URL",
            "mysql://x@y/z",
            "COP_BOT_DATABASE_URL must be a SQLite or PostgreSQL",
        ),
        ("COP_BOT_DATABASE_URL", "not a url", "COP_BOT_DATABASE_URL must be a database URL"),
        ("SLACK_BOT_TOKEN", "xoxb-only-token", "SLACK_SIGNING_SECRET is required"),
        (
            "MATRIX_HOMESERVER",
            "https://m.example.org",
            "Matrix needs MATRIX_HOMESERVER, MATRIX_USER_ID",
        ),
        ("COP_BOT_TAXONOMY", "/nope.yaml", "COP_BOT_TAXONOMY must name an existing YAML file"),
    ],
)
def test_bad_settings_name_the_variable(
    cwd: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    var: str,
    value: str,
    expected: str,
) -> None:
    monkeypatch.setenv(var, value)
    assert run("config", "check") == 2
    assert expected in capsys.readouterr().err


def test_run_chooses_the_console_and_says_so(
    cwd: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("/help\n:quit\n"))
    assert run("run") == 0
    captured = capsys.readouterr()
    assert (
        "using the console platform (no Slack or Matrix credentials are configured)" in captured.err
    )
    assert "what I can do" in captured.out


def test_run_names_the_platform_it_would_use(
    cwd: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MATRIX_HOMESERVER", "https://m.example.org")
    monkeypatch.setenv("MATRIX_USER_ID", "@bot:example.org")
    monkeypatch.setenv("MATRIX_ACCESS_TOKEN", "syt_secret")
    assert run("run") == 1
    err = capsys.readouterr().err
    assert "using the matrix platform" in err
    # no such homeserver here: one clear line after a couple of retries, not a stack trace
    assert "could not reach the homeserver at https://m.example.org" in err
    assert "run failed" not in err  # not the generic internal-failure line


def test_rolesrun_cli(cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("roles", "grant", "@Amina", "facilitator", "--new-member") == 0
    assert "@amina is now a facilitator" in capsys.readouterr().out
    assert run("roles", "list") == 0
    assert "facilitators: amina" in capsys.readouterr().out
    assert run("query", "--user", "amina", "--json", "/role") == 0
    assert json.loads(capsys.readouterr().out)["data"]["you"] == ["facilitator"]
    assert run("roles", "revoke", "amina", "facilitator") == 0
    assert "no longer" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exited:
        main(["roles", "grant", "amina", "wizard"])
    assert exited.value.code == 2


def test_demo_builds_a_realistic_fictitious_community(cwd: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert run("demo", "--no-console", "--user", "tester") == 0
    assert "48 fictitious members" in capsys.readouterr().out
    engine = make_engine(f"sqlite:///{cwd / 'cop_bot_demo.db'}")
    with session_scope(engine) as session:
        members = [m for m in session.exec(select(Member)).all() if m.handle != "tester"]
        domains = {d.domain for d in session.exec(select(MemberDomain)).all()}
    assert len(members) >= 40
    assert len({m.country for m in members}) >= 10
    assert 0 < sum(m.is_expert for m in members) < len(members)
    assert len(domains) >= 20
    engine.dispose()
    assert run("demo", "--no-console", "--user", "tester", "--force") == 0  # fresh, not doubled
    assert (
        run("query", "--db", "sqlite:///cop_bot_demo.db", "--json", "--user", "tester", "/role")
        == 0
    )
    out = capsys.readouterr().out.strip().splitlines()[-1]
    assert "tester" in json.loads(out)["data"]["admins"]


def test_an_unreachable_database_exits_1_with_one_line_naming_it(tmp_path: Path) -> None:
    result = run_cli(
        "query", "--db", "postgresql+psycopg://nobody@127.0.0.1:9/x", "/help", cwd=tmp_path
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stdout and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "cop-bot: cannot reach the database at postgresql+psycopg://nobody@127.0.0.1:9/x, so "
        "nothing was changed; check that it is running and reachable "
        "(COP_BOT_DB_CONNECT_TIMEOUT sets how long to wait)."
    ]
    log = (tmp_path / ".cop-bot" / "cop-bot.log").read_text()
    assert "Traceback" in log  # the details are in the log


def test_demo_console_end_to_end(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cop_bot", "demo", "--user", "tester"],
        cwd=tmp_path,
        input="/domains mental health\n/role\n:quit\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={k: v for k, v in os.environ.items() if k not in ENV_NAMES.values()},
    )
    assert result.returncode == 0, result.stderr
    assert "Health (health)" in result.stdout
    assert "Facilitators:" in result.stdout


GOOD_CSV = """name,handle,organisation,country,languages,domains,bio,expert
Amina Haddad,amina.haddad,Fictional Casablanca Support,MA,ar;fr,labour market;legal aid,Work permits,yes
Luca Bianchi,luca,Example Turin,Italy,it;English,employment,,no
"""


def test_members_import_and_export_round_trip(
    cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (cwd / "members.csv").write_text(GOOD_CSV, encoding="utf-8")
    assert run("members", "import", "members.csv") == 0
    assert "Imported 2 members: 2 new, 0 updated." in capsys.readouterr().out
    assert run("query", "--json", "/find-expert work permits") == 0
    experts = json.loads(capsys.readouterr().out)["data"]["experts"]
    assert [e["handle"] for e in experts] == ["amina.haddad"]
    assert run("members", "export", "out.csv") == 0
    exported = (cwd / "out.csv").read_text(encoding="utf-8").splitlines()
    assert exported[0] == (
        "name,handle,organisation,country,languages,domains,bio,expert,"
        "city,timezone,organisation_type,asks,capacity"
    )
    assert (
        "Amina Haddad,amina.haddad,Fictional Casablanca Support,MA,ar;fr,labour-market;legal-aid,Work permits,yes,,,,no,"
        in exported
    )
    assert run("members", "import", "out.csv") == 0  # re-import updates by handle
    assert "Imported 3 members: 0 new, 3 updated." in capsys.readouterr().out.splitlines()[-1]


def test_members_import_is_all_or_nothing(cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = GOOD_CSV + "Bad Row,bad row,,Atlantis,klingon,flibbertigibbet,,maybe\n,,,,,,,\n"
    (cwd / "bad.csv").write_text(bad, encoding="utf-8")
    assert run("members", "import", "bad.csv") == 2
    err = capsys.readouterr().err
    assert (
        "row 4:" in err
        and "Atlantis" in err
        and "klingon" in err
        and "flibbertigibbet" in err
        and "maybe" in err
    )
    assert "row 5: handle is missing" in err
    assert "Nothing imported" in err
    assert run("query", "--json", "/profile amina.haddad") == 0
    assert json.loads(capsys.readouterr().out)["data"]["error"]["code"] == "command"
    assert run("members", "import", "bad.csv", "--skip-invalid") == 0
    assert (
        "Imported 2 members: 2 new, 0 updated; skipped 2 invalid rows." in capsys.readouterr().out
    )
    (cwd / "wrong.csv").write_text("who,what\nx,y\n", encoding="utf-8")
    assert run("members", "import", "wrong.csv") == 2
    assert "missing" in capsys.readouterr().err
    assert run("members", "import", "nope.csv") == 2


def test_usage_errors_show_the_sub_command_that_was_meant(
    cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("query", "--user", "x", "/role grant zed") == 0
    out = capsys.readouterr().out
    assert "Usage: /role grant HANDLE ROLE" in out and "Usage: /role [list]" not in out
    assert "Example: /role grant @amina.haddad facilitator" in out


def test_stderr_log_lines_follow_the_current_stderr(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A thread logging late (after a capture it started under was closed) must not print
    `--- Logging error ---`: the handler writes to whatever sys.stderr is now."""
    import io
    import logging

    from cop_bot.config import Settings
    from cop_bot.logs import setup_logging

    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    setup_logging(Settings(state_dir=str(tmp_path)), stderr_level=logging.WARNING)
    first.close()
    second = io.StringIO()
    monkeypatch.setattr(sys, "stderr", second)
    logging.getLogger("cop_bot.late").warning("still heard")
    assert second.getvalue() == "cop-bot: WARNING still heard\n"
