"""`cop-bot digest`, `practices` and `sessions`: the jobs and transfers a deployer runs by hand
(the running bot sends digests and reminders itself)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cop_bot.cli.common import (
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    Subparsers,
    add_action,
    add_as_of,
    add_community,
    add_group,
    add_skip_invalid,
    build_app,
    community_row,
    refuse_invalid,
    resolve_community,
)
from cop_bot.config import Settings
from cop_bot.core.model import Actor, Conversation, Invocation, Status
from cop_bot.render.text import render


def add_digest(sub: Subparsers, db: argparse.ArgumentParser) -> None:
    group = add_group(
        sub,
        "digest",
        "preview digests or post the ones that are due",
        "Weekly digests: preview one channel's, or post every digest that is due.",
    )
    dp = add_action(
        group,
        "preview",
        digest_preview,
        summary="print a channel's digest as it would be posted",
        description="Print a channel's digest as it would be posted.",
        db=db,
    )
    dp.add_argument("--channel", required=True, metavar="ID")
    add_as_of(dp)
    dp.add_argument("--format", choices=["text", "json", "slack", "matrix"], default="text")
    add_community(dp, described=False)
    dr = add_action(
        group,
        "run-due",
        digest_run_due,
        summary="post every digest that is due",
        description="Post every digest that is due, through the configured platform, exactly once.",
        db=db,
    )
    add_as_of(dr)


def add_practices(sub: Subparsers, db: argparse.ArgumentParser) -> None:
    group = add_group(
        sub,
        "practices",
        "export or import the shared repertoire (CSV or JSON)",
        "Publish the community's practices, or move them between deployments: "
        "every field, status, dates, author handle and endorsement count.",
    )
    pe = add_action(
        group,
        "export",
        practices_transfer,
        summary="write the practices to a CSV or JSON file",
        description="Write the community's practices to FILE. Endorsements travel as a count, "
        "never as who endorsed.",
        db=db,
    )
    _practices_file(pe)
    pe.add_argument("--approved-only", action="store_true", help="leave out what is not approved")
    add_community(pe)
    pi = add_action(
        group,
        "import",
        practices_transfer,
        summary="import practices from a CSV or JSON file",
        description="Check every row with the rules of /share-practice, then import all of them "
        "(or nothing). Re-importing updates the practices with the same title. Missing status "
        "means approved.",
        db=db,
    )
    _practices_file(pi)
    add_skip_invalid(pi)
    add_community(pi)


def _practices_file(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", type=Path)
    parser.add_argument("--format", choices=["csv", "json"], help="default: from FILE's extension")


def add_sessions(sub: Subparsers, db: argparse.ArgumentParser) -> None:
    group = add_group(
        sub,
        "sessions",
        "community sessions: send the reminders that are due",
        "Community sessions.",
    )
    sr = add_action(
        group,
        "remind-due",
        sessions_remind_due,
        summary="send every session reminder that is due",
        description="Send every session reminder (24 hours, 15 minutes, start) that is due, "
        "through the configured platform, at most once (the running bot does this itself).",
        db=db,
    )
    add_as_of(sr)
    sr.add_argument("--dry-run", action="store_true", help="list what is due; send nothing")


def digest_run_due(args: argparse.Namespace, settings: Settings) -> int:
    from cop_bot.digests.jobs import post_due_digests

    app = build_app(settings)
    now = args.as_of or app.clock.now()
    from cop_bot.platforms import outbox_for

    report = post_due_digests(app.engine, outbox_for(app), app.taxonomy, now)
    print(
        f"Digests: {len(report.sent)} sent, {len(report.skipped_empty)} empty (skipped), "
        f"{len(report.missed)} missed, {len(report.failed)} failed."
    )
    for channel, period, error in report.failed:
        print(f"failed: {channel} ({period}): {error}", file=sys.stderr)
    return EXIT_OK


def digest_preview(args: argparse.Namespace, settings: Settings) -> int:
    from cop_bot.core.clock import FixedClock
    from cop_bot.core.router import Router

    app = build_app(settings)
    now = args.as_of or app.clock.now()
    platform, external = resolve_community(app, args.community)
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


def practices_transfer(args: argparse.Namespace, settings: Settings) -> int:
    """`practices export` and `practices import`: the file is read before anything is opened."""
    from cop_bot.practices import transfer
    from cop_bot.storage.db import session_scope

    name = f"cop-bot practices {args.practices_cmd}"
    try:
        fmt = transfer.guess_format(args.file, args.format)
        rows, warnings = (
            transfer.read_file(args.file, fmt) if args.practices_cmd == "import" else ([], [])
        )
    except transfer.ImportFileError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    app = build_app(settings)
    platform, external = resolve_community(app, args.community)
    where = f"{platform}:{external}"
    with session_scope(app.engine) as session:
        community = community_row(session, settings, platform, external, app.clock.now())
        assert community.id is not None
        if args.practices_cmd == "export":
            exported = transfer.export_rows(session, community.id, approved_only=args.approved_only)
            transfer.write_export(exported, args.file, fmt)
            print(f"Wrote {len(exported)} practices of {where} to {args.file}.")
            return EXIT_OK
        report = transfer.import_practices(
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
        return refuse_invalid(f"{len(report.problems)} problem(s)")
    skipped = f"; skipped {len(report.problems)} problem(s)" if report.problems else ""
    print(
        f"Imported {report.imported} practices into {where}: {report.created} new, "
        f"{report.updated} updated, {report.unchanged} unchanged{skipped}."
    )
    return EXIT_OK


def sessions_remind_due(args: argparse.Namespace, settings: Settings) -> int:
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
