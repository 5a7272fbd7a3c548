"""`cop-bot roles` and `cop-bot members`: who holds which role, and members in bulk (CSV)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cop_bot.cli.common import (
    EXIT_OK,
    EXIT_USAGE,
    Subparsers,
    add_action,
    add_community,
    add_group,
    add_skip_invalid,
    build_app,
    community_row,
    refuse_invalid,
    resolve_community,
)
from cop_bot.config import Settings
from cop_bot.core.errors import UsageError
from cop_bot.core.model import Conversation, Role

if TYPE_CHECKING:
    from cop_bot.app import App

ROLE_CHOICES = ["facilitator", "curator", "admin"]


def add_roles(sub: Subparsers, db: argparse.ArgumentParser) -> None:
    group = add_group(
        sub,
        "roles",
        "grant or revoke roles (for the deployer)",
        "Grant or revoke roles: facilitator, curator, admin.",
    )
    for action in ("grant", "revoke"):
        p = add_action(
            group,
            action,
            roles_change,
            summary=f"{action} a role",
            description=f"{action.capitalize()} a role to a member.",
            db=db,
        )
        p.add_argument("handle", metavar="HANDLE")
        p.add_argument("role", metavar="ROLE", choices=ROLE_CHOICES)
        add_community(p)
    listing = add_action(
        group,
        "list",
        roles_list,
        summary="list role holders",
        description="List role holders.",
        db=db,
    )
    add_community(listing, described=False)


def add_members(sub: Subparsers, db: argparse.ArgumentParser) -> None:
    group = add_group(
        sub,
        "members",
        "import or export members as CSV",
        "Bulk onboarding: members as CSV with the header "
        "name,handle,organisation,country,languages,domains,bio,expert "
        "(languages and domains separated by ';').",
    )
    mi = add_action(
        group,
        "import",
        members_import,
        summary="import members from a CSV file",
        description="Validate every row, then import all of them (or nothing). "
        "Re-importing updates members by handle.",
        db=db,
    )
    mi.add_argument("file", metavar="FILE.csv", type=Path)
    add_skip_invalid(mi)
    add_community(mi, "console:local")
    me = add_action(
        group,
        "export",
        members_export,
        summary="export members to a CSV file",
        description="Write the community's members in the import format.",
        db=db,
    )
    me.add_argument("file", metavar="FILE.csv", type=Path)
    add_community(me, "console:local")


def roles_list(args: argparse.Namespace, settings: Settings) -> int:
    from cop_bot.storage import repos
    from cop_bot.storage.db import session_scope

    app = build_app(settings)
    platform, external = resolve_community(app, args.community)
    with session_scope(app.engine) as session:
        community = community_row(session, settings, platform, external, app.clock.now())
        assert community.id is not None
        for role in (Role.ADMIN, Role.CURATOR, Role.FACILITATOR):
            handles = [m.handle for m in repos.members_with_role(session, community.id, role)]
            if role is Role.ADMIN:
                handles = sorted(set(handles) | set(settings.admins))
            print(f"{role.value}s: {', '.join(handles) or '-'}")
    return EXIT_OK


def roles_change(args: argparse.Namespace, settings: Settings) -> int:
    """`roles grant` and `roles revoke`: saying so when nothing had to change."""
    from cop_bot.core.args import strip_handle
    from cop_bot.handlers.admin import article
    from cop_bot.storage import repos
    from cop_bot.storage.db import session_scope

    app = build_app(settings)
    platform, external = resolve_community(app, args.community)
    where = f"{platform}:{external}"
    now = app.clock.now()
    handle, role = strip_handle(args.handle), Role(args.role)
    with session_scope(app.engine) as session:
        community = community_row(session, settings, platform, external, now)
        assert community.id is not None
        if args.roles_cmd == "grant":
            member = repos.ensure_member(session, community.id, handle, now=now)
            added = repos.grant_role(session, member, role, granted_by="cli", now=now)
            print(f"@{handle} {'is now' if added else 'was already'} {article(role)} in {where}.")
            return EXIT_OK
        found = repos.find_member(session, community.id, handle)
        if found is None or not repos.revoke_role(session, found, role):
            print(f"@{handle} is not {article(role)} in {where}; nothing to revoke.")
            return EXIT_OK
        print(f"@{handle} is no longer {article(role)} in {where}.")
        return EXIT_OK


def _members_of(args: argparse.Namespace, settings: Settings) -> tuple[App, Conversation]:
    app = build_app(settings)
    platform, external = resolve_community(app, args.community)
    return app, Conversation(platform=platform, community_id=external, channel_id="")


def members_export(args: argparse.Namespace, settings: Settings) -> int:
    from cop_bot.experts import members_io

    app, where = _members_of(args, settings)
    count = members_io.export_members(app.engine, where, args.file)
    print(f"Wrote {count} members of {where.platform}:{where.community_id} to {args.file}.")
    return EXIT_OK


def members_import(args: argparse.Namespace, settings: Settings) -> int:
    from cop_bot.experts import members_io

    app, where = _members_of(args, settings)
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
        return refuse_invalid(f"{len(report.problems)} invalid row(s)")
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
