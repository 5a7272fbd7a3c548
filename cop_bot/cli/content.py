"""`cop-bot digest`, `practices` and `sessions`: the jobs and transfers a deployer runs by hand
(the running bot sends digests and reminders itself)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

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
    cannot_write,
    community_row,
    database_present,
    existing_community,
    refuse_invalid,
    resolve_community,
    writable_file,
)
from cop_bot.config import Settings
from cop_bot.core.errors import UsageError
from cop_bot.core.wording import plural
from cop_bot.render.text import render

if TYPE_CHECKING:
    from datetime import datetime

    from cop_bot.app import App
    from cop_bot.core.outbox import Outbox
    from cop_bot.practices.transfer import Format


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


def add_library(sub: Subparsers, db: argparse.ArgumentParser) -> None:
    group = add_group(
        sub,
        "library",
        "the web library as a static site",
        "Write the approved practices as static web pages with relative links and a small "
        "search index, for a plain file server or an archive.",
    )
    le = add_action(
        group,
        "export",
        library_export,
        summary="write the web library to a folder",
        description="Write the library's pages to DIR (new, empty, or made by an earlier "
        "export). Only approved practices; contacts only where their author published them.",
        db=db,
    )
    le.add_argument("dir", metavar="DIR", type=Path)
    le.add_argument("--lang", help="the pages' language (default: the community's)")
    add_community(le)


def library_export(args: argparse.Namespace, settings: Settings) -> int:
    """`library export DIR`: the folder is checked before the database is opened."""
    from cop_bot.core import i18n
    from cop_bot.library import export

    name = "cop-bot library export"
    if args.lang is not None and args.lang.lower() not in i18n.LANGUAGES:
        print(
            f"{name}: {args.lang!r} is not a language of the bot; use one of "
            f"{', '.join(i18n.LANGUAGES)}.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        export.check_folder(args.dir)
    except export.ExportError as exc:
        print(f"{name}: {exc}.", file=sys.stderr)
        return EXIT_USAGE
    app = build_app(settings)
    community = existing_community(app, args.community)
    language = (args.lang or community.language or "en").lower()
    try:
        report = export.export(app.engine, app.taxonomy, community, args.dir, language)
    except (export.ExportError, OSError) as exc:
        print(f"{name}: {exc}.", file=sys.stderr)
        return EXIT_USAGE
    print(
        f"Wrote {plural(report.pages, 'page')} ({plural(report.practices, 'practice')}) to {args.dir}."
    )
    return EXIT_OK


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


def add_questions(sub: Subparsers, db: argparse.ArgumentParser) -> None:
    group = add_group(
        sub,
        "questions",
        "questions: pass unanswered ones on to the next experts",
        "Questions asked with /ask.",
    )
    qe = add_action(
        group,
        "escalate-due",
        questions_escalate_due,
        summary="send every unanswered question that is due to the next experts",
        description="Send every question still open after the community's escalate-after days "
        "to the next experts in the rotation, and tell the asker; each round once (the running "
        "bot does this itself).",
        db=db,
    )
    add_as_of(qe)
    qe.add_argument("--dry-run", action="store_true", help="list what is due; send nothing")


def add_insights(sub: Subparsers, db: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "insights",
        parents=[db],
        help="the coordinators' counts as a report (text, JSON, CSV or a PNG chart)",
        description="The counts /insights shows, as a report for funders: coverage gaps, "
        "questions, repertoire, sessions and weekly active members. Counts only, never names.",
    )
    parser.add_argument("--period", default="30d", help="30d, 90d, 1y (or 12w, 6m); default 30d")
    parser.add_argument("--group", metavar="SLUG", help="one group's view")
    parser.add_argument("--format", choices=["text", "json", "csv", "png"], default="text")
    parser.add_argument("--out", metavar="FILE", type=Path, help="write to FILE (required for png)")
    add_as_of(parser)
    add_community(parser)
    parser.set_defaults(func=insights_report)


def insights_report(args: argparse.Namespace, settings: Settings) -> int:
    """Reads only: checks the period and the output before opening the database."""
    from cop_bot.core.i18n import using
    from cop_bot.insights.counts import parse_period

    with using("en"):
        days = parse_period(args.period)
    if args.format == "png" and args.out is None:
        raise UsageError("A PNG goes to a file: add --out FILE, such as --out insights.png.")
    if args.out is not None:
        writable_file(args.out)
    database_present(settings)
    from cop_bot.groups import rules as groups
    from cop_bot.insights.counts import compute
    from cop_bot.insights.report import report, to_csv, to_text
    from cop_bot.storage.db import session_scope

    app = build_app(settings)
    now = args.as_of or app.clock.now()
    community = existing_community(app, args.community)
    assert community.id is not None
    with session_scope(app.engine) as session, using("en"):
        group = groups.group_or_error(session, community.id, args.group) if args.group else None
        slugs = [d.slug for d in app.taxonomy.domains]
        found = compute(session, community.id, now, days, group, domains=slugs)
        data = report(session, community.id, found, now, group)
    if args.format == "png":
        from cop_bot.insights.chart import weekly_png

        with using(community.language or "en"):
            content: bytes | str = weekly_png(found)
    elif args.format == "json":
        content = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    elif args.format == "csv":
        content = to_csv(data)
    else:
        content = to_text(data)
    if args.out is None:
        sys.stdout.write(str(content))
        return EXIT_OK
    try:
        if isinstance(content, bytes):
            args.out.write_bytes(content)
        else:
            args.out.write_text(content, encoding="utf-8")
    except OSError as exc:
        raise cannot_write(args.out, exc) from None
    print(f"Wrote the {args.format} report to {args.out}.")
    return EXIT_OK


def _due_run(args: argparse.Namespace, settings: Settings) -> tuple[App, datetime, Outbox]:
    """What a `… due [--as-of ISO] [--dry-run]` command runs with: the app, its now, and an
    outbox that only records under `--dry-run`."""
    from cop_bot.core.outbox import RecordingOutbox

    app = build_app(settings)
    now = args.as_of or app.clock.now()
    if args.dry_run:
        return app, now, RecordingOutbox()
    from cop_bot.platforms import outbox_for

    return app, now, outbox_for(app)


def questions_escalate_due(args: argparse.Namespace, settings: Settings) -> int:
    from cop_bot.escalation.jobs import run_due

    app, now, outbox = _due_run(args, settings)
    report = run_due(app.engine, outbox, now, dry_run=args.dry_run)
    for done in report.escalated:
        verb = "due" if args.dry_run else "escalated"
        print(f"{verb}: question {done.question_id} round {done.round} ({done.experts} experts)")
    if args.dry_run:
        print(f"Dry run: {plural(len(report.escalated), 'question')} due; nothing was sent.")
    else:
        print(
            f"Escalation: {plural(len(report.escalated), 'question')} passed on, "
            f"{plural(report.sent, 'message')} sent, {len(report.failed)} failed (retried on "
            f"the next run), {len(report.refused)} refused."
        )
    return EXIT_INTERNAL if report.failed else EXIT_OK


def digest_run_due(args: argparse.Namespace, settings: Settings) -> int:
    from cop_bot.digests.jobs import post_due_digests

    app = build_app(settings)
    now = args.as_of or app.clock.now()
    from cop_bot.platforms import outbox_for

    report = post_due_digests(app.engine, outbox_for(app), app.taxonomy, now)
    print(
        f"Digests: {len(report.sent)} sent, {len(report.skipped_empty)} empty (skipped), "
        f"{len(report.missed)} missed, {len(report.failed)} failed, {len(report.refused)} refused."
    )
    for channel, period, error in report.failed:
        print(f"failed: {channel} ({period}): {error}", file=sys.stderr)
    for channel, period, reason in report.refused:
        print(f"refused: {channel} ({period}): {reason}", file=sys.stderr)
    return EXIT_OK


def digest_preview(args: argparse.Namespace, settings: Settings) -> int:
    """Reads only: the community must exist, and nobody is added to it."""
    from cop_bot.digests.preview import preview
    from cop_bot.storage.db import session_scope

    database_present(settings)
    app = build_app(settings)
    now = args.as_of or app.clock.now()
    community = existing_community(app, args.community)
    with session_scope(app.engine) as session:
        result = preview(session, community, args.channel, now, app.taxonomy)
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
    if args.practices_cmd == "export":
        return _practices_export(args, settings, fmt)
    app = build_app(settings)
    platform, external = resolve_community(app, args.community)
    where = f"{platform}:{external}"
    with session_scope(app.engine) as session:
        community = community_row(session, settings, platform, external, app.clock.now())
        assert community.id is not None
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
        return refuse_invalid(len(report.problems), "problem")
    imported = plural(report.imported, "practice")
    if report.problems:
        skipped = plural(len(report.problems), "problem")
        print(
            f"Imported {imported} into {where}: {report.created} new, {report.updated} updated, "
            f"{report.unchanged} unchanged; skipped {skipped}."
        )
    else:
        print(
            f"Imported {imported} into {where}: {report.created} new, {report.updated} updated, "
            f"{report.unchanged} unchanged."
        )
    return EXIT_OK


def _practices_export(args: argparse.Namespace, settings: Settings, fmt: Format) -> int:
    """Reads only: the community must exist, and the file's folder too."""
    from cop_bot.practices import transfer
    from cop_bot.storage.db import session_scope

    writable_file(args.file)
    database_present(settings)
    app = build_app(settings)
    community = existing_community(app, args.community)
    assert community.id is not None
    with session_scope(app.engine) as session:
        exported = transfer.export_rows(session, community.id, approved_only=args.approved_only)
    try:
        transfer.write_export(exported, args.file, fmt)
    except OSError as exc:
        raise cannot_write(args.file, exc) from None
    where = f"{community.platform}:{community.external_id}"
    print(f"Wrote {plural(len(exported), 'practice')} of {where} to {args.file}.")
    return EXIT_OK


def sessions_remind_due(args: argparse.Namespace, settings: Settings) -> int:
    from cop_bot.sessions.reminders import send_due_reminders

    app, now, outbox = _due_run(args, settings)
    report = send_due_reminders(app.engine, outbox, now, dry_run=args.dry_run)
    for due in report.sent:
        verb = "due" if args.dry_run else "sent"
        print(f"{verb}: session {due.meeting_id} at {due.starts_at.isoformat()} ({due.kind})")
    for due in report.skipped:
        print(f"skipped (too late): session {due.meeting_id} ({due.kind})")
    counts = {
        "reminders": plural(len(report.sent), "reminder"),
        "messages": plural(report.messages, "message"),
        "skipped": len(report.skipped),
        "failed": len(report.failed),
        "refused": len(report.refused),
    }
    if args.dry_run:
        print(
            "Dry run: {reminders} due, {messages} to send, {skipped} to skip as too late; "
            "nothing was sent.".format(**counts)
        )
    else:
        print(
            "Reminders: sent {reminders} ({messages}); {skipped} skipped as too late, "
            "{failed} failed, {refused} refused by the platform.".format(**counts)
        )
    for due in report.refused:
        print(f"refused: session {due.meeting_id} ({due.kind})", file=sys.stderr)
    return EXIT_INTERNAL if report.failed else EXIT_OK
