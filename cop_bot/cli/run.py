"""`cop-bot run`, `demo` and `query`: the bot itself, a sample community, one command."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import cast

from cop_bot import __version__
from cop_bot.cli.common import EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, Subparsers, build_app
from cop_bot.config import Settings
from cop_bot.core.model import Actor, Conversation, Invocation, Status
from cop_bot.render.text import render


def add_run(sub: Subparsers, db: argparse.ArgumentParser) -> None:
    sub.add_parser(
        "run",
        parents=[db],
        help="start the bot (Slack, Matrix or the console, from the settings)",
        description="Start the bot. Uses Slack when SLACK_SIGNING_SECRET and either "
        "SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (any "
        "workspace that installs it) are set, Matrix when the MATRIX_* settings are, otherwise "
        "the local console.",
    ).set_defaults(func=start)


def add_demo(sub: Subparsers) -> None:
    demo = sub.add_parser(
        "demo",
        help="create a fictitious sample community and open the console",
        description="Create a fresh SQLite database with a fictitious sample community and open "
        "the console on it. The file is replaced each time. The demo starts no scheduler, so it "
        "sends no session reminders or digests; `cop-bot run --db sqlite:///cop_bot_demo.db` "
        "runs the bot, scheduler included, on the demo database.",
    )
    demo.add_argument(
        "--path", default="cop_bot_demo.db", help="SQLite file (default: cop_bot_demo.db)"
    )
    demo.add_argument("--user", help="your handle in the demo (you are its admin)")
    demo.add_argument("--no-console", action="store_true", help="create the database and stop")
    demo.set_defaults(func=demo_command)


def add_query(sub: Subparsers, db: argparse.ArgumentParser) -> None:
    query = sub.add_parser(
        "query",
        parents=[db],
        help="run one chat command and print the reply",
        description="Run one chat command through the same engine as every platform.",
    )
    query.add_argument("--user", help="speak as this handle (default: your login name)")
    query.add_argument("--channel", default="console", help="channel id (default: console)")
    query.add_argument("--json", action="store_true", help="print {text, visibility, data} as JSON")
    query.add_argument(
        "text", metavar="COMMAND TEXT", help='e.g. "/find-expert housing country:IT"'
    )
    query.set_defaults(func=query_command)


def start(args: argparse.Namespace, settings: Settings) -> int:
    platform, why = settings.chosen_platform()
    print(f"cop-bot {__version__}: using the {platform} platform ({why}).", file=sys.stderr)
    from cop_bot.platforms import console

    if platform == "console":  # also serves the calendar feeds when COP_BOT_PUBLIC_URL is set
        return console.run(build_app(settings))
    from cop_bot.platforms import adapter

    run_platform = adapter(platform, "run")
    return cast(int, run_platform(build_app(settings)))


def query_command(args: argparse.Namespace, settings: Settings) -> int:
    from cop_bot.core.args import parse_command_line, strip_handle
    from cop_bot.platforms import console

    parsed = parse_command_line(args.text)
    if parsed is None:
        print(
            f'cop-bot query: {args.text!r} is not a command; try "/{settings.slash_prefix}help".',
            file=sys.stderr,
        )
        return EXIT_USAGE
    app = build_app(settings)
    handle = strip_handle(args.user) if args.user else console.default_handle()
    reply = app.router.dispatch(
        Invocation(
            name=parsed.name,
            text=parsed.rest,
            actor=Actor(handle=handle or console.default_handle()),
            conversation=Conversation(
                platform=console.PLATFORM, community_id=console.COMMUNITY, channel_id=args.channel
            ),
            raw=args.text,
        )
    )
    if reply.status is Status.INTERNAL_ERROR:
        ref = reply.data.get("error", {}).get("reference", "?")
        print(f"cop-bot: internal error (reference {ref}); details in the log.", file=sys.stderr)
        return EXIT_INTERNAL
    text = render(reply)
    if args.json:
        print(
            json.dumps(
                {"text": text, "visibility": reply.visibility, "data": reply.data},
                ensure_ascii=False,
                default=str,
            )
        )
    else:
        print(text)
    return EXIT_OK


def demo_command(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import replace

    from cop_bot.demo import load_demo
    from cop_bot.platforms import console

    path = Path(args.path)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    demo_settings = replace(settings, database_url=f"sqlite:///{path}", auto_migrate=True)
    app = build_app(demo_settings)
    handle = args.user or console.default_handle()
    summary = load_demo(app.engine, app.taxonomy, app.clock, admin_handle=handle)
    print(
        f"Demo community '{summary.community}' is ready in {path}: {summary.members} fictitious "
        f"members from {summary.countries} countries, {summary.experts} listed as experts, "
        f"{summary.practices} practices in the shared repertoire, {summary.sessions} upcoming "
        "sessions. "
        f"You are @{handle}, an admin."
    )
    slash = app.router.registry.slash  # the commands as COP_BOT_SLASH_PREFIX has them
    print(
        slash.text(
            f"Try: /help, /domains, /domains mental health, /practices mentoring, /sessions, /role. Query it later with "
            f'`cop-bot query --db sqlite:///{path} "/domains"`.'
        )
    )
    print(
        "The demo sends no session reminders or digests (it starts no scheduler). To see them, "
        f"run the bot on this database: `cop-bot run --db sqlite:///{path}`."
    )
    if args.no_console:
        return EXIT_OK
    chat = console.ConsoleChat(app.router, handle=handle)
    chat.repl(sys.stdin, sys.stdout, prompt=sys.stdin.isatty())
    return EXIT_OK
