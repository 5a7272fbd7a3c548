"""The `cop-bot` command. Exit codes: 0 done (user errors in a chat command are normal replies),
1 internal failure (details in the log), 2 misuse of the command line or a bad setting."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from cop_bot import __version__
from cop_bot.app import App, build_app
from cop_bot.config import DESCRIPTIONS, Settings, load_settings
from cop_bot.core.errors import ConfigError, UsageError
from cop_bot.core.model import Actor, Conversation, Invocation, Role, Status
from cop_bot.core.router import Router
from cop_bot.render.text import render

log = logging.getLogger("cop_bot.cli")
EXIT_OK, EXIT_INTERNAL, EXIT_USAGE = 0, 1, 2


def _db_parent() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--db",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="database URL (default: $COP_BOT_DATABASE_URL or sqlite:///cop_bot.db)",
    )
    return parent


def _instant(text: str) -> datetime:
    """An ISO-8601 date-time for --as-of; without an offset it is read as UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO date-time such as 2027-01-11T09:00"
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def build_parser() -> argparse.ArgumentParser:
    db = _db_parent()
    parser = argparse.ArgumentParser(
        prog="cop-bot",
        description="A community-of-practice bot: find experts, share practices, schedule "
        "sessions and send weekly digests, on Slack, Matrix or the local console.",
        parents=[db],
        epilog="Settings come from the environment and .env; see `cop-bot config check`.",
    )
    parser.add_argument("--version", action="version", version=f"cop-bot {__version__}")
    sub = parser.add_subparsers(dest="cmd", metavar="COMMAND", required=True)

    sub.add_parser(
        "run",
        parents=[db],
        help="start the bot (Slack, Matrix or the console, from the settings)",
        description="Start the bot. Uses Slack when SLACK_SIGNING_SECRET and either "
        "SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (any "
        "workspace that installs it) are set, Matrix when the MATRIX_* settings are, otherwise "
        "the local console.",
    )

    demo = sub.add_parser(
        "demo",
        help="create a fictitious sample community and open the console",
        description="Create a fresh SQLite database with a fictitious sample community and open "
        "the console on it. The file is replaced each time.",
    )
    demo.add_argument(
        "--path", default="cop_bot_demo.db", help="SQLite file (default: cop_bot_demo.db)"
    )
    demo.add_argument("--user", help="your handle in the demo (you are its admin)")
    demo.add_argument("--no-console", action="store_true", help="create the database and stop")

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

    dbp = sub.add_parser("db", help="database maintenance", description="Database maintenance.")
    dbsub = dbp.add_subparsers(dest="db_cmd", metavar="ACTION", required=True)
    dbsub.add_parser(
        "upgrade",
        parents=[db],
        help="apply the migrations (creates the schema)",
        description="Apply Alembic migrations up to the newest.",
    )
    dbsub.add_parser(
        "current",
        parents=[db],
        help="show the schema revision",
        description="Show the database's schema revision and the newest one.",
    )

    cfg = sub.add_parser("config", help="check the settings", description="Check the settings.")
    cfgsub = cfg.add_subparsers(dest="config_cmd", metavar="ACTION", required=True)
    cfgsub.add_parser(
        "check",
        parents=[db],
        help="validate and print the effective settings",
        description="Validate the settings and print them with secrets masked.",
    )

    roles = sub.add_parser(
        "roles",
        help="grant or revoke roles (for the deployer)",
        description="Grant or revoke roles: facilitator, curator, admin.",
    )
    rsub = roles.add_subparsers(dest="roles_cmd", metavar="ACTION", required=True)
    for action in ("grant", "revoke"):
        p = rsub.add_parser(
            action,
            parents=[db],
            help=f"{action} a role",
            description=f"{action.capitalize()} a role to a member.",
        )
        p.add_argument("handle", metavar="HANDLE")
        p.add_argument("role", metavar="ROLE", choices=["facilitator", "curator", "admin"])
        p.add_argument(
            "--community",
            metavar="PLATFORM:ID",
            help="which community (default: the only one, or the console's)",
        )
    members = sub.add_parser(
        "members",
        help="import or export members as CSV",
        description="Bulk onboarding: members as CSV with the header "
        "name,handle,organisation,country,languages,domains,bio,expert "
        "(languages and domains separated by ';').",
    )
    msub = members.add_subparsers(dest="members_cmd", metavar="ACTION", required=True)
    mi = msub.add_parser(
        "import",
        parents=[db],
        help="import members from a CSV file",
        description="Validate every row, then import all of them (or nothing). "
        "Re-importing updates members by handle.",
    )
    mi.add_argument("file", metavar="FILE.csv", type=Path)
    mi.add_argument(
        "--skip-invalid", action="store_true", help="import the valid rows and report the others"
    )
    mi.add_argument(
        "--community",
        metavar="PLATFORM:ID",
        default="console:local",
        help="which community (default: console:local)",
    )
    me = msub.add_parser(
        "export",
        parents=[db],
        help="export members to a CSV file",
        description="Write the community's members in the import format.",
    )
    me.add_argument("file", metavar="FILE.csv", type=Path)
    me.add_argument(
        "--community",
        metavar="PLATFORM:ID",
        default="console:local",
        help="which community (default: console:local)",
    )

    digest = sub.add_parser(
        "digest",
        help="preview digests or post the ones that are due",
        description="Weekly digests: preview one channel's, or post every digest that is due.",
    )
    dsub = digest.add_subparsers(dest="digest_cmd", metavar="ACTION", required=True)
    dp = dsub.add_parser(
        "preview",
        parents=[db],
        help="print a channel's digest as it would be posted",
        description="Print a channel's digest as it would be posted.",
    )
    dp.add_argument("--channel", required=True, metavar="ID")
    dp.add_argument(
        "--as-of",
        metavar="ISO-DATETIME",
        type=_instant,
        help="pretend it is this time (UTC if no offset)",
    )
    dp.add_argument("--format", choices=["text", "json", "slack", "matrix"], default="text")
    dp.add_argument("--community", metavar="PLATFORM:ID")
    dr = dsub.add_parser(
        "run-due",
        parents=[db],
        help="post every digest that is due",
        description="Post every digest that is due, through the configured platform, exactly once.",
    )
    dr.add_argument(
        "--as-of",
        metavar="ISO-DATETIME",
        type=_instant,
        help="pretend it is this time (UTC if no offset)",
    )

    rl = rsub.add_parser(
        "list", parents=[db], help="list role holders", description="List role holders."
    )
    rl.add_argument("--community", metavar="PLATFORM:ID")
    _practices_parser(sub, db)
    _sessions_parser(sub, db)
    _slack_parser(sub)
    return parser


def _sessions_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], db: argparse.ArgumentParser
) -> None:
    sessions = sub.add_parser(
        "sessions",
        help="community sessions: send the reminders that are due",
        description="Community sessions.",
    )
    ssub = sessions.add_subparsers(dest="sessions_cmd", metavar="ACTION", required=True)
    sr = ssub.add_parser(
        "remind-due",
        parents=[db],
        help="send every session reminder that is due",
        description="Send every session reminder (24 hours, 15 minutes, start) that is due, "
        "through the configured platform, at most once (the running bot does this itself).",
    )
    sr.add_argument(
        "--as-of",
        metavar="ISO-DATETIME",
        type=_instant,
        help="pretend it is this time (UTC if no offset)",
    )
    sr.add_argument("--dry-run", action="store_true", help="list what is due; send nothing")


def _sessions(args: argparse.Namespace, settings: Settings) -> int:
    from cop_bot.core.outbox import Outbox, RecordingOutbox
    from cop_bot.sessions.reminders import send_due_reminders

    app = build_app(settings)
    now = args.as_of or app.clock.now()
    if args.dry_run:
        outbox: Outbox = RecordingOutbox()
    else:
        from cop_bot.platforms import outbox_for

        outbox = outbox_for(app)
    report = send_due_reminders(app.engine, outbox, now, dry_run=args.dry_run)
    for due in report.sent:
        verb = "due" if args.dry_run else "sent"
        print(f"{verb}: session {due.meeting_id} at {due.starts_at.isoformat()} ({due.kind})")
    for due in report.skipped:
        print(f"skipped (too late): session {due.meeting_id} ({due.kind})")
    print(
        f"Reminders: {'would send' if args.dry_run else 'sent'} {len(report.sent)} reminder(s), "
        f"{report.messages} message(s); {len(report.skipped)} skipped, "
        f"{len(report.failed)} failed."
    )
    return EXIT_INTERNAL if report.failed else EXIT_OK


def _slack_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    slack = sub.add_parser("slack", help="Slack app setup", description="Slack app setup.")
    ssub = slack.add_subparsers(dest="slack_cmd", metavar="ACTION", required=True)
    sm = ssub.add_parser(
        "manifest",
        help="print the Slack app manifest",
        description="Print the app manifest (every slash command, scopes, events, interactivity, "
        "App Home) to paste into Slack's app settings, generated from the command registry.",
    )
    sm.add_argument(
        "--url",
        default="https://bot.example.org",
        help="the bot's public base URL; Slack posts to URL/slack/events",
    )
    sm.add_argument(
        "--socket-mode",
        action="store_true",
        help="for Socket Mode (SLACK_APP_TOKEN): no request URLs; Slack uses a websocket",
    )


def _practices_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], db: argparse.ArgumentParser
) -> None:
    practices = sub.add_parser(
        "practices",
        help="export or import the shared repertoire (CSV or JSON)",
        description="Publish the community's practices, or move them between deployments: "
        "every field, status, dates, author handle and endorsement count.",
    )
    psub = practices.add_subparsers(dest="practices_cmd", metavar="ACTION", required=True)
    pe = psub.add_parser(
        "export",
        parents=[db],
        help="write the practices to a CSV or JSON file",
        description="Write the community's practices to FILE. Endorsements travel as a count, "
        "never as who endorsed.",
    )
    pe.add_argument("file", metavar="FILE", type=Path)
    pe.add_argument("--format", choices=["csv", "json"], help="default: from FILE's extension")
    pe.add_argument("--approved-only", action="store_true", help="leave out what is not approved")
    pe.add_argument(
        "--community",
        metavar="PLATFORM:ID",
        help="which community (default: the only one, or the console's)",
    )
    pi = psub.add_parser(
        "import",
        parents=[db],
        help="import practices from a CSV or JSON file",
        description="Check every row with the rules of /share-practice, then import all of them "
        "(or nothing). Re-importing updates the practices with the same title. Missing status "
        "means approved.",
    )
    pi.add_argument("file", metavar="FILE", type=Path)
    pi.add_argument("--format", choices=["csv", "json"], help="default: from FILE's extension")
    pi.add_argument(
        "--skip-invalid", action="store_true", help="import the valid rows and report the others"
    )
    pi.add_argument(
        "--community",
        metavar="PLATFORM:ID",
        help="which community (default: the only one, or the console's)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    overrides = {"COP_BOT_DATABASE_URL": args.db} if getattr(args, "db", None) else {}
    try:
        settings = load_settings(overrides=overrides)
    except ConfigError as exc:
        print(f"cop-bot: configuration problem:\n{exc}", file=sys.stderr)
        return EXIT_USAGE
    from cop_bot.logs import setup_logging

    interactive = args.cmd in {"run", "demo"}
    log_path = setup_logging(
        settings, stderr_level=logging.INFO if interactive else logging.WARNING
    )
    try:
        return _run(args, settings)
    except ConfigError as exc:
        print(f"cop-bot: configuration problem:\n{exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_OK
    except BrokenPipeError:  # `cop-bot ... | head`: the reader left, nothing went wrong
        sys.stderr.close()
        return EXIT_OK
    except Exception as exc:
        log.debug("failure", exc_info=True)
        logging.getLogger("cop_bot").error("%s failed: %s", args.cmd, exc, exc_info=True)
        print(
            f"cop-bot: {args.cmd} failed: {type(exc).__name__}; details in {log_path}",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.cmd == "config":
        return _config_check(settings)
    if args.cmd == "db":
        return _db(args, settings)
    if args.cmd == "query":
        return _query(args, settings)
    if args.cmd == "roles":
        return _roles(args, settings)
    if args.cmd == "demo":
        return _demo(args, settings)
    if args.cmd == "run":
        return _start(settings)
    if args.cmd == "members":
        return _members(args, settings)
    if args.cmd == "digest":
        return _digest(args, settings)
    if args.cmd == "practices":
        return _practices(args, settings)
    if args.cmd == "sessions":
        return _sessions(args, settings)
    if args.cmd == "slack":
        return _slack(args)
    raise AssertionError(args.cmd)


def _slack(args: argparse.Namespace) -> int:
    from cop_bot.handlers import build_registry
    from cop_bot.platforms.slack.manifest import manifest_yaml

    if not args.url.startswith(("https://", "http://")):
        print("cop-bot slack manifest: --url must be an http(s) URL.", file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.write(manifest_yaml(build_registry(), None if args.socket_mode else args.url))
    return EXIT_OK


def _config_check(settings: Settings) -> int:
    from cop_bot.core.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(settings.taxonomy_path)
    platform, why = settings.chosen_platform()
    print("Configuration is valid.")
    print(f"Platform: {platform} ({why}).")
    print(f"Taxonomy: {len(taxonomy.domains)} domains in {len(taxonomy.groups)} groups.\n")
    width = max(len(k) for k in DESCRIPTIONS)
    for key, value in settings.masked().items():
        print(f"{key:<{width}}  {value}")
    return EXIT_OK


def _db(args: argparse.Namespace, settings: Settings) -> int:
    from cop_bot.storage.db import current_revision, head_revision, make_engine, upgrade

    engine = make_engine(settings.database_url)
    if args.db_cmd == "upgrade":
        before = current_revision(engine)
        upgrade(engine)
        after = current_revision(engine)
        print(
            f"Database is at revision {after}"
            + (" (unchanged)." if before == after else f" (was {before}).")
        )
    else:
        print(f"Database revision: {current_revision(engine)}; newest: {head_revision()}.")
    return EXIT_OK


def _query(args: argparse.Namespace, settings: Settings) -> int:
    from cop_bot.core.args import parse_command_line, strip_handle
    from cop_bot.platforms import console

    parsed = parse_command_line(args.text)
    if parsed is None:
        print(f'cop-bot query: {args.text!r} is not a command; try "/help".', file=sys.stderr)
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


def _resolve_community(app: App, spec: str | None) -> tuple[str, str]:
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


def _roles(args: argparse.Namespace, settings: Settings) -> int:
    from cop_bot.core.args import strip_handle
    from cop_bot.handlers.admin import article
    from cop_bot.storage import repos
    from cop_bot.storage.db import session_scope

    app = build_app(settings)
    platform, external = _resolve_community(app, args.community)
    now = app.clock.now()
    with session_scope(app.engine) as session:
        community = repos.get_or_create_community(
            session,
            Conversation(platform=platform, community_id=external, channel_id=""),
            now=now,
            name=settings.community_name,
            timezone=settings.timezone,
            language=settings.language,
        )
        assert community.id is not None
        if args.roles_cmd == "list":
            for role in (Role.ADMIN, Role.CURATOR, Role.FACILITATOR):
                handles = [m.handle for m in repos.members_with_role(session, community.id, role)]
                if role is Role.ADMIN:
                    handles = sorted(set(handles) | set(settings.admins))
                print(f"{role.value}s: {', '.join(handles) or '-'}")
            return EXIT_OK
        handle = strip_handle(args.handle)
        role = Role(args.role)
        if args.roles_cmd == "grant":
            member = repos.ensure_member(session, community.id, handle, now=now)
            added = repos.grant_role(session, member, role, granted_by="cli", now=now)
            print(
                f"@{handle} {'is now' if added else 'was already'} {article(role)} in {platform}:{external}."
            )
            return EXIT_OK
        found = repos.find_member(session, community.id, handle)
        if found is None or not repos.revoke_role(session, found, role):
            print(f"@{handle} is not {article(role)} in {platform}:{external}; nothing to revoke.")
            return EXIT_OK
        print(f"@{handle} is no longer {article(role)} in {platform}:{external}.")
        return EXIT_OK


def _members(args: argparse.Namespace, settings: Settings) -> int:
    from cop_bot.experts import members_io

    app = build_app(settings)
    platform, external = _resolve_community(app, args.community)
    where = Conversation(platform=platform, community_id=external, channel_id="")
    if args.members_cmd == "export":
        count = members_io.export_members(app.engine, where, args.file)
        print(f"Wrote {count} members of {platform}:{external} to {args.file}.")
        return EXIT_OK
    if not args.file.is_file():
        print(f"cop-bot members import: {args.file} does not exist.", file=sys.stderr)
        return EXIT_USAGE
    try:
        report = members_io.read_csv(args.file, app.taxonomy)
    except UsageError as exc:
        print(f"cop-bot members import: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    for line, reason in report.problems:
        print(f"row {line}: {reason}", file=sys.stderr)
    if report.problems and not args.skip_invalid:
        print(
            f"Nothing imported: {len(report.problems)} invalid row(s). Fix them, or use "
            "--skip-invalid to import the valid rows only.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    members_io.import_members(
        app.engine,
        where,
        report.valid,
        clock=app.clock,
        community_name=settings.community_name,
        timezone=settings.timezone,
        language=settings.language,
        report=report,
    )
    skipped = f", skipped {len(report.problems)} invalid" if report.problems else ""
    print(f"Imported {report.created} new and updated {report.updated} members{skipped}.")
    return EXIT_OK


def _practices(args: argparse.Namespace, settings: Settings) -> int:
    from cop_bot.practices import transfer as practices_io
    from cop_bot.storage import repos
    from cop_bot.storage.db import session_scope

    name = f"cop-bot practices {args.practices_cmd}"
    try:
        fmt = practices_io.guess_format(args.file, args.format)
        rows, warnings = (
            practices_io.read_file(args.file, fmt) if args.practices_cmd == "import" else ([], [])
        )
    except practices_io.ImportFileError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    app = build_app(settings)
    platform, external = _resolve_community(app, args.community)
    where = f"{platform}:{external}"
    with session_scope(app.engine) as session:
        community = repos.get_or_create_community(
            session,
            Conversation(platform=platform, community_id=external, channel_id=""),
            now=app.clock.now(),
            name=settings.community_name,
            timezone=settings.timezone,
            language=settings.language,
        )
        assert community.id is not None
        if args.practices_cmd == "export":
            exported = practices_io.export_rows(
                session, community.id, approved_only=args.approved_only
            )
            practices_io.write_export(exported, args.file, fmt)
            print(f"Wrote {len(exported)} practices of {where} to {args.file}.")
            return EXIT_OK
        report = practices_io.import_practices(
            session,
            community.id,
            app.taxonomy,
            rows,
            now=app.clock.now(),
            skip_invalid=args.skip_invalid,
        )
    for line in [*warnings, *report.warnings]:
        print(f"warning: {line}", file=sys.stderr)
    for line in report.problems:
        print(line, file=sys.stderr)
    if report.problems and not args.skip_invalid:
        print(
            f"Nothing imported: {len(report.problems)} problem(s). Fix them, or use "
            "--skip-invalid to import the valid rows only.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    skipped = f"; skipped {len(report.problems)} problem(s)" if report.problems else ""
    print(
        f"Imported {report.imported} practices into {where}: {report.created} new, "
        f"{report.updated} updated, {report.unchanged} unchanged{skipped}."
    )
    return EXIT_OK


def _digest(args: argparse.Namespace, settings: Settings) -> int:
    from cop_bot.core.clock import FixedClock
    from cop_bot.digests.jobs import post_due_digests

    app = build_app(settings)
    now = args.as_of or app.clock.now()
    if args.digest_cmd == "run-due":
        from cop_bot.platforms import outbox_for

        report = post_due_digests(app.engine, outbox_for(app), app.taxonomy, now)
        print(
            f"Digests: {len(report.sent)} sent, {len(report.skipped_empty)} empty (skipped), "
            f"{len(report.missed)} missed, {len(report.failed)} failed."
        )
        for channel, period, error in report.failed:
            print(f"failed: {channel} ({period}): {error}", file=sys.stderr)
        return EXIT_OK
    platform, external = _resolve_community(app, args.community)
    router = Router(app.engine, app.router.registry, settings, app.taxonomy, FixedClock(now))
    result = router.dispatch(
        Invocation(
            name="digest",
            text="preview",
            actor=Actor(handle="cop-bot-cli"),
            conversation=Conversation(
                platform=platform, community_id=external, channel_id=args.channel
            ),
        )
    )
    if result.status is Status.INTERNAL_ERROR:
        print(
            "cop-bot: internal error while building the digest; details in the log.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    if args.format == "json":
        print(json.dumps(result.data, ensure_ascii=False))
    elif args.format == "slack":
        from cop_bot.render.slack import render_message

        print(json.dumps(render_message(result), ensure_ascii=False))
    elif args.format == "matrix":
        from cop_bot.render.matrix import render as render_matrix

        print(json.dumps(render_matrix(result), ensure_ascii=False))
    else:
        print(render(result))
    return EXIT_OK


def _demo(args: argparse.Namespace, settings: Settings) -> int:
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
    print(
        f"Try: /help, /domains, /domains mental health, /practices mentoring, /sessions, /role. Query it later with "
        f'`cop-bot query --db sqlite:///{path} "/domains"`.'
    )
    if args.no_console:
        return EXIT_OK
    chat = console.ConsoleChat(app.router, handle=handle)
    chat.repl(sys.stdin, sys.stdout, prompt=sys.stdin.isatty())
    return EXIT_OK


def _start(settings: Settings) -> int:
    platform, why = settings.chosen_platform()
    print(f"cop-bot {__version__}: using the {platform} platform ({why}).", file=sys.stderr)
    from cop_bot.platforms import console

    if platform == "console":  # also serves the calendar feeds when COP_BOT_PUBLIC_URL is set
        return console.run(build_app(settings))
    from cop_bot.platforms import adapter

    run_platform = adapter(platform, "run")
    return cast(int, run_platform(build_app(settings)))
