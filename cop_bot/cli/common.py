"""What every `cop-bot` subcommand shares: exit codes, the --db/--as-of/--community options and
finding the community a command acts on."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeAlias

from cop_bot.config import Settings
from cop_bot.core.errors import ConfigError
from cop_bot.core.model import Conversation

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


def refuse_invalid(count: str) -> int:
    """All or nothing: say why nothing was imported (`count` is e.g. "3 invalid row(s)")."""
    print(
        f"Nothing imported: {count}. Fix them, or use "
        "--skip-invalid to import the valid rows only.",
        file=sys.stderr,
    )
    return EXIT_USAGE


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
    from sqlmodel import select

    from cop_bot.platforms import console
    from cop_bot.storage.db import session_scope
    from cop_bot.storage.models import Community

    if spec:
        platform, sep, external = spec.partition(":")
        if not sep or not external:
            raise ConfigError(
                "--community must look like PLATFORM:ID, e.g. slack:T0123 or console:local"
            )
        return platform, external
    with session_scope(app.engine) as session:
        rows = session.exec(select(Community)).all()
    if len(rows) == 1:
        return rows[0].platform, rows[0].external_id
    if len(rows) > 1:
        names = ", ".join(f"{c.platform}:{c.external_id}" for c in rows)
        raise ConfigError(f"Several communities exist ({names}); choose one with --community.")
    return console.PLATFORM, console.COMMUNITY


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
