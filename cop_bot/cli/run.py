"""`cop-bot run`, `demo` and `query`: the bot itself, a sample community, one command."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import cast

from cop_bot import __version__
from cop_bot.cli.common import (
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    Subparsers,
    build_app,
    database_trouble_line,
)
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
        description="Create a SQLite database with a fictitious sample community and open the "
        "console on it. A demo database already at --path is opened as it is (--force makes a "
        "fresh one); any other existing file is refused, never overwritten. The demo starts no "
        "scheduler, so it sends no session reminders or digests; `cop-bot run --db "
        "sqlite:///cop_bot_demo.db` runs the bot, scheduler included, on the demo database.",
    )
    demo.add_argument(
        "--path", default="cop_bot_demo.db", help="SQLite file (default: cop_bot_demo.db)"
    )
    demo.add_argument("--user", help="your handle in the demo (you are its admin)")
    demo.add_argument("--no-console", action="store_true", help="create the database and stop")
    demo.add_argument(
        "--force",
        action="store_true",
        help="replace a demo database already at --path with a fresh one (never any other file)",
    )
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
    from cop_bot.core.args import clean_input, parse_command_line, parse_handle
    from cop_bot.platforms import console

    text = clean_input(args.text)
    parsed = parse_command_line(text)
    if parsed is None:
        print(
            f'cop-bot query: {text!r} is not a command; try "/{settings.slash_prefix}help".',
            file=sys.stderr,
        )
        return EXIT_USAGE
    handle = parse_handle(args.user) if args.user else console.default_handle()
    app = build_app(settings)
    reply = app.router.dispatch(
        Invocation(
            name=parsed.name,
            text=parsed.rest,
            actor=Actor(handle=handle),
            conversation=Conversation(
                platform=console.PLATFORM, community_id=console.COMMUNITY, channel_id=args.channel
            ),
            raw=text,
        )
    )
    if reply.status is Status.INTERNAL_ERROR:
        from cop_bot.logs import log_file_open

        ref = reply.data.get("error", {}).get("reference", "?")
        if line := database_trouble_line(reply, settings):
            print(line, file=sys.stderr)
        elif log_file_open():
            print(
                f"cop-bot: internal error (reference {ref}); details in the log.", file=sys.stderr
            )
        else:
            print(
                f"cop-bot: internal error (reference {ref}); the log file could not be opened, "
                "so there are no details.",
                file=sys.stderr,
            )
        return EXIT_INTERNAL
    saved = console.save_files(reply, console.files_dir(app))
    text = render(console.with_saved_files(reply, saved))
    if args.json:
        out: dict[str, object] = {"text": text, "visibility": reply.visibility, "data": reply.data}
        if saved:  # the files the reply carries, saved as the console saves them
            out["files"] = [
                {"filename": a.filename, "mime": a.mime, "path": str(path)}
                for a, path in saved.items()
            ]
        print(json.dumps(out, ensure_ascii=False, default=str))
    else:
        print(text)
    return EXIT_OK


def demo_command(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import replace

    from cop_bot.core.args import parse_handle
    from cop_bot.demo import files, load_demo, make_admin
    from cop_bot.platforms import console

    handle = parse_handle(args.user) if args.user else console.default_handle()
    path = Path(args.path)
    target = files.choose_target(path, force=args.force)
    demo_settings = replace(settings, database_url=f"sqlite:///{path}", auto_migrate=True)
    if target is not files.Target.KEEP:
        with files.built_in_place_of(path) as scratch:
            built = build_app(replace(demo_settings, database_url=f"sqlite:///{scratch}"))
            summary = load_demo(built.engine, built.taxonomy, built.clock, admin_handle=handle)
            built.engine.dispose()
            files.mark(scratch)
        print(
            f"Demo community '{summary.community}' is ready in {path}: {summary.members} "
            f"fictitious members from {summary.countries} countries, {summary.experts} listed "
            f"as experts, {summary.practices} practices in the shared repertoire, "
            f"{summary.sessions} upcoming sessions. You are @{handle}, an admin."
        )
    app = build_app(demo_settings)
    if target is files.Target.KEEP:
        make_admin(app.engine, app.clock, handle)
        print(
            f"The demo community in {path} is kept as you left it; you are @{handle}, an "
            "admin. `cop-bot demo --force` replaces it with a fresh one."
        )
    slash = app.router.registry.slash  # the commands as COP_BOT_SLASH_PREFIX has them
    print(
        slash.text(
            "Try: /help, /domains, /domains mental health, /practices mentoring, /sessions, /role. "
            f'Query it later with `cop-bot query --db sqlite:///{path} "/domains"`.'
        )
    )
    print(
        "The demo sends no session reminders or digests (it starts no scheduler). To see them, "
        f"run the bot on this database: `cop-bot run --db sqlite:///{path}`."
    )
    if args.no_console:
        return EXIT_OK
    chat = console.ConsoleChat(app.router, handle=handle, files_dir=console.files_dir(app))
    chat.repl(sys.stdin, sys.stdout, prompt=sys.stdin.isatty())
    return EXIT_OK
