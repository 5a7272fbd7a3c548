"""The `cop-bot` command. Exit codes: 0 done (user errors in a chat command are normal replies),
1 internal failure (details in the log), 2 misuse of the command line or a bad setting."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from cop_bot.cli.common import (
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    Command,
    command_name,
    config_problem,
    failure_line,
)
from cop_bot.cli.parser import build_parser
from cop_bot.config import load_settings
from cop_bot.core.errors import CommandError, ConfigError, UsageError

__all__ = ["EXIT_INTERNAL", "EXIT_OK", "EXIT_USAGE", "build_parser", "entry", "main"]


def entry() -> None:
    """The `cop-bot` console script (and `python -m cop_bot`): `main` with a quick start-up."""
    from cop_bot.cli import startup

    startup.pause()
    code = main()
    startup.finish()
    raise SystemExit(code)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    overrides = {"COP_BOT_DATABASE_URL": args.db} if getattr(args, "db", None) else {}
    try:
        settings = load_settings(overrides=overrides)
    except ConfigError as exc:
        print(config_problem(exc), file=sys.stderr)
        return EXIT_USAGE
    from cop_bot.logs import setup_logging

    log_path = setup_logging(settings)
    handler: Command = args.func
    name = command_name(args)
    try:
        return handler(args, settings)
    except ConfigError as exc:
        print(config_problem(exc), file=sys.stderr)
        return EXIT_USAGE
    except UsageError as exc:  # a value the chat would refuse too, such as a bad handle
        hint = f" {exc.hint}" if exc.hint else ""
        print(f"cop-bot {name}: {exc.message}{hint}", file=sys.stderr)
        return EXIT_USAGE
    except CommandError as exc:  # misuse the subcommand explains in one line
        print(f"cop-bot {name}: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_OK
    except BrokenPipeError:  # `cop-bot ... | head`: the reader left, nothing went wrong
        sys.stderr.close()
        return EXIT_OK
    except Exception as exc:
        from cop_bot.logs import FILE_ONLY

        logging.getLogger("cop_bot").error("%s failed", name, exc_info=True, extra=FILE_ONLY)
        print(failure_line(name, exc, settings, log_path), file=sys.stderr)
        return EXIT_INTERNAL
