"""What every `cop-bot` subcommand shares: exit codes, the --db/--as-of/--community options and
finding the community a command acts on."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from cop_bot.config import Settings
from cop_bot.core.errors import ConfigError, UsageError
from cop_bot.core.model import Conversation, Reply
from cop_bot.core.wording import plural

if TYPE_CHECKING:  # the app and storage load in the handlers: `cop-bot --help` needs neither
    from sqlmodel import Session

    from cop_bot.app import App
    from cop_bot.storage.models import Community

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE = 0, 1, 2
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
Command = Callable[[argparse.Namespace, Settings], int]
"""A subcommand's handler, carried by its parser (`set_defaults(func=...)`)."""


def build_app(settings: Settings) -> App:
    """The app (storage, taxonomy, commands), imported when a command runs: building the
    parser, and so `cop-bot --help`, loads none of it. The parsed taxonomy is kept in the state
    folder, so the next command reads it without PyYAML."""
    from cop_bot.app import build_app as build
    from cop_bot.cli import startup

    app = build(settings, taxonomy_cache=settings.state_dir)
    startup.resume()  # the start-up heap is built: the collector only sees what comes next
    return app


def command_name(args: argparse.Namespace) -> str:
    """`members export`: the words of the command line that name what failed."""
    action = getattr(args, f"{args.cmd}_cmd", None)
    return f"{args.cmd} {action}" if action else str(args.cmd)


def config_problem(exc: ConfigError) -> str:
    """One line for one bad setting; a line each when there are several."""
    problems = str(exc).splitlines()
    if len(problems) == 1:
        return f"cop-bot: configuration problem: {problems[0]}"
    listed = "\n".join(problems)
    return f"cop-bot: {len(problems)} configuration problems:\n{listed}"


def failure_line(name: str, exc: Exception, settings: Settings, log_path: Path | None) -> str:
    """The one stderr line of an internal failure; the traceback is in the log file."""
    from sqlalchemy.exc import SQLAlchemyError

    from cop_bot.storage.failures import operator_message, trouble_of

    trouble = trouble_of(exc)
    if trouble is not None:  # down, hung or read-only: what to fix, not "internal error"
        return f"cop-bot: {operator_message(trouble, settings.database_url)}"
    if log_path is None:  # said at start-up: there is no log file to point at
        reason = (str(exc).splitlines() or [""])[0]
        return f"cop-bot: {name} failed: {type(exc).__name__}: {reason}"
    if isinstance(exc, SQLAlchemyError):
        return (
            f"cop-bot: {name} failed: {database_trouble(exc, settings)}; check "
            f"COP_BOT_DATABASE_URL or --db (details in {log_path})."
        )
    return f"cop-bot: {name} failed: {type(exc).__name__}; details in {log_path}"


def database_trouble(exc: Exception, settings: Settings) -> str:
    """`cannot use the database at URL (Connection refused)`: the driver's last words, without
    SQLAlchemy's background link, and the URL without its password."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url).render_as_string(hide_password=True)
    orig = getattr(exc, "orig", None)
    lines = (str(orig) if orig is not None else str(exc)).strip().splitlines()
    reason = lines[0].split(": ")[-1].strip() if lines else ""
    return f"cannot use the database at {url} ({reason or type(exc).__name__})"


def db_parent() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--db",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="database URL (default: $COP_BOT_DATABASE_URL or sqlite:///cop_bot.db)",
    )
    return parent


def add_group(sub: Subparsers, name: str, summary: str, description: str) -> Subparsers:
    """A command with actions (`cop-bot NAME ACTION`); the action's name lands in `NAME_cmd`."""
    group = sub.add_parser(name, help=summary, description=description)
    return group.add_subparsers(dest=f"{name}_cmd", metavar="ACTION", required=True)


def add_action(
    group: Subparsers,
    name: str,
    func: Command,
    *,
    summary: str,
    description: str,
    db: argparse.ArgumentParser | None,
) -> argparse.ArgumentParser:
    """One action of a group, carrying its handler; `db` adds the --db option."""
    parser = group.add_parser(
        name, parents=[db] if db else [], help=summary, description=description
    )
    parser.set_defaults(func=func)
    return parser


def add_skip_invalid(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--skip-invalid", action="store_true", help="import the valid rows and report the others"
    )


def refuse_invalid(count: int, noun: str) -> int:
    """All or nothing: say why nothing was imported (`noun` is e.g. "invalid row")."""
    print(
        f"Nothing imported: {plural(count, noun)}. Fix them, or use --skip-invalid to import "
        "the valid rows only.",
        file=sys.stderr,
    )
    return EXIT_USAGE


def readable_file(path: Path) -> None:
    """An input file that exists and is a file, or one line saying which it is not."""
    if path.is_dir():
        raise UsageError(f"{path} is a folder, not a file; give the path of the file itself.")
    if not path.exists():
        raise UsageError(f"{path} does not exist.")


def writable_file(path: Path) -> None:
    """An output file whose folder exists, checked before anything is read or written."""
    if path.is_dir():
        raise UsageError(f"{path} is a folder; give a file name, such as {path / 'export.csv'}.")
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(
            f"The folder {folder} does not exist; create it first or write {path.name} elsewhere."
        )


def cannot_write(path: Path, exc: OSError) -> UsageError:
    return UsageError(f"Cannot write {path}: {exc.strerror or exc}.")


def instant(text: str) -> datetime:
    """An ISO-8601 date-time for --as-of; without an offset it is read as UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO date-time such as 2027-01-11T09:00"
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def add_as_of(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as-of",
        metavar="ISO-DATETIME",
        type=instant,
        help="pretend it is this time (UTC if no offset)",
    )


def add_community(
    parser: argparse.ArgumentParser, default: str | None = None, *, described: bool = True
) -> None:
    explained = f"default: {default}" if default else "default: the only one, or the console's"
    parser.add_argument(
        "--community",
        metavar="PLATFORM:ID",
        default=default,
        help=f"which community ({explained})" if described else None,
    )


def resolve_community(app: App, spec: str | None) -> tuple[str, str]:
    """(platform, external id) from --community, else the only community, else the console's."""
    from cop_bot.platforms import console

    if spec:
        return _parse_spec(spec)
    rows = _communities(app)
    if len(rows) == 1:
        return rows[0].platform, rows[0].external_id
    if len(rows) > 1:
        raise UsageError(
            f"Several communities exist ({_names(rows)}); choose one with --community."
        )
    return console.PLATFORM, console.COMMUNITY


def database_present(settings: Settings) -> None:
    """Commands that only read refuse a SQLite file that does not exist instead of creating it
    (connecting would)."""
    from cop_bot.storage.db import sqlite_file

    path = sqlite_file(settings.database_url)
    if path is not None and not path.is_file():
        raise UsageError(
            f"There is no database at {path} (nothing was created); `cop-bot db upgrade` "
            "creates it."
        )


def find_community(app: App, spec: str | None) -> tuple[str, Community | None]:
    """The community a read-only command looks at, and its name; None when it does not exist,
    which a command that only reads must never change."""
    platform, external = resolve_community(app, spec)
    found = next(
        (c for c in _communities(app) if (c.platform, c.external_id) == (platform, external)),
        None,
    )
    return f"{platform}:{external}", found


def existing_community(app: App, spec: str | None) -> Community:
    """The community a read-only command acts on; one that does not exist is an error that
    lists the ones that do."""
    wanted, found = find_community(app, spec)
    if found is not None:
        return found
    rows = _communities(app)
    if rows:
        raise UsageError(
            f"There is no community {wanted} in this database. Its communities are "
            f"{_names(rows)}; choose one with --community."
        )
    raise UsageError(f"There is no community {wanted} in this database: it holds none yet.")


def _parse_spec(spec: str) -> tuple[str, str]:
    platform, sep, external = spec.partition(":")
    if not sep or not platform or not external:
        raise UsageError(
            f"--community must look like PLATFORM:ID, such as slack:T0123 or console:local; "
            f"got {spec!r}."
        )
    return platform, external


def _communities(app: App) -> list[Community]:
    from sqlmodel import col, select

    from cop_bot.storage.db import session_scope
    from cop_bot.storage.models import Community

    with session_scope(app.engine) as session:
        query = select(Community).order_by(col(Community.platform), col(Community.external_id))
        return list(session.exec(query).all())


def _names(rows: list[Community]) -> str:
    return ", ".join(f"{c.platform}:{c.external_id}" for c in rows)


def community_row(
    session: Session, settings: Settings, platform: str, external: str, now: datetime
) -> Community:
    """The community, created with the settings' name, zone and language if it is new."""
    from cop_bot.core.members import community_for

    community = community_for(
        session,
        settings,
        Conversation(platform=platform, community_id=external, channel_id=""),
        now,
    )
    assert community.id is not None
    return community


def database_trouble_line(reply: Reply, settings: Settings) -> str | None:
    """The operator's one line when a command failed on the database (down, slow, read-only),
    or None when it failed for another reason."""
    from cop_bot.storage.failures import Trouble, operator_message

    code = reply.data.get("error", {}).get("code")
    if code not in {t.value for t in Trouble}:
        return None
    return f"cop-bot: {operator_message(Trouble(code), settings.database_url)}"
