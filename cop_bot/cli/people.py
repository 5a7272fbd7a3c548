"""`cop-bot roles` and `cop-bot members`: who holds which role, and members in bulk (CSV)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cop_bot.cli.common import (
    EXIT_OK,
    Subparsers,
    add_action,
    add_community,
    add_group,
    add_skip_invalid,
    build_app,
    cannot_write,
    community_row,
    database_present,
    existing_community,
    find_community,
    readable_file,
    refuse_invalid,
    resolve_community,
    writable_file,
)
from cop_bot.config import Settings
from cop_bot.core.errors import UsageError
from cop_bot.core.model import Conversation, Role
from cop_bot.core.wording import plural

if TYPE_CHECKING:
    pass

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
        if action == "grant":
            p.add_argument(
                "--new-member",
                action="store_true",
                help="grant it even though the bot has never seen HANDLE (they have not used it "
                "yet); without it, an unknown handle is refused",
            )
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
    """Reads only: a community that does not exist is not created (see `existing_community`)."""
    from cop_bot.storage import repos
    from cop_bot.storage.db import session_scope

    database_present(settings)
    app = build_app(settings)
    _, found = find_community(app, args.community)
    if found is None and args.community is None:  # an empty database: what the settings give
        for role in (Role.ADMIN, Role.CURATOR, Role.FACILITATOR):
            handles = sorted(settings.admins) if role is Role.ADMIN else []
            print(f"{role.value}s: {', '.join(handles) or '-'}")
        return EXIT_OK
    community = existing_community(app, args.community)
    assert community.id is not None
    with session_scope(app.engine) as session:
        for role in (Role.ADMIN, Role.CURATOR, Role.FACILITATOR):
            handles = [m.handle for m in repos.members_with_role(session, community.id, role)]
            if role is Role.ADMIN:
                handles = sorted(set(handles) | set(settings.admins))
            print(f"{role.value}s: {', '.join(handles) or '-'}")
    return EXIT_OK


def roles_change(args: argparse.Namespace, settings: Settings) -> int:
    """`roles grant` (which sets up the community if it is new) and `roles revoke` (which never
    creates anything), saying so when nothing had to change. A handle the bot has never seen is
    refused unless `--new-member` says it is meant (a typo would otherwise give the role to
    nobody and create a member who does not exist)."""
    from cop_bot.core.args import parse_handle
    from cop_bot.handlers.admin import article, closest_handle
    from cop_bot.storage import repos
    from cop_bot.storage.db import session_scope

    if args.roles_cmd == "revoke":
        database_present(settings)
    app = build_app(settings)
    now = app.clock.now()
    handle, role = parse_handle(args.handle), Role(args.role)
    if args.roles_cmd == "grant":
        platform, external = resolve_community(app, args.community)
        where = f"{platform}:{external}"
        with session_scope(app.engine) as session:
            community = community_row(session, settings, platform, external, now)
            assert community.id is not None
            known = repos.find_member(session, community.id, handle)
            if known is None and not args.new_member:
                close = closest_handle(session, community.id, handle)
                if close is None:
                    raise UsageError(
                        f"The bot has never seen @{handle} in {where}, so nobody was given the "
                        "role. Check the handle, or add --new-member if they have not used the "
                        "bot yet."
                    )
                raise UsageError(
                    f"The bot has never seen @{handle} in {where}, so nobody was given the "
                    f"role. Did you mean @{close}? If not, and they have not used the bot yet, "
                    "add --new-member."
                )
            member = known or repos.ensure_member(session, community.id, handle, now=now)
            added = repos.grant_role(session, member, role, granted_by="cli", now=now)
        if added:
            print(f"@{handle} is now {article(role)} in {where}.")
        else:
            print(f"@{handle} was already {article(role)} in {where}.")
        return EXIT_OK
    existing = existing_community(app, args.community)
    assert existing.id is not None
    where = f"{existing.platform}:{existing.external_id}"
    with session_scope(app.engine) as session:
        found = repos.find_member(session, existing.id, handle)
        if found is None or not repos.revoke_role(session, found, role):
            print(f"@{handle} is not {article(role)} in {where}; nothing to revoke.")
            return EXIT_OK
    print(f"@{handle} is no longer {article(role)} in {where}.")
    return EXIT_OK


def members_export(args: argparse.Namespace, settings: Settings) -> int:
    from cop_bot.experts import members_io

    writable_file(args.file)
    database_present(settings)
    app = build_app(settings)
    community = existing_community(app, args.community)
    where = f"{community.platform}:{community.external_id}"
    try:
        count = members_io.export_members(app.engine, community, args.file)
    except OSError as exc:
        raise cannot_write(args.file, exc) from None
    print(f"Wrote {plural(count, 'member')} of {where} to {args.file}.")
    return EXIT_OK


def members_import(args: argparse.Namespace, settings: Settings) -> int:
    """The file is read and checked before the database is opened."""
    from cop_bot.experts import members_io

    readable_file(args.file)
    app = build_app(settings)
    report = members_io.read_csv(args.file, app.taxonomy)
    for line, reason in report.problems:
        print(f"row {line}: {reason}", file=sys.stderr)
    if report.problems and not args.skip_invalid:
        return refuse_invalid(len(report.problems), "invalid row")
    platform, external = resolve_community(app, args.community)
    members_io.import_members(
        app.engine,
        Conversation(platform=platform, community_id=external, channel_id=""),
        report.valid,
        clock=app.clock,
        community_name=settings.community_name,
        timezone=settings.timezone,
        language=settings.language,
        report=report,
    )
    skipped = f"; skipped {plural(len(report.problems), 'invalid row')}" if report.problems else ""
    total = plural(report.created + report.updated, "member")
    print(f"Imported {total}: {report.created} new, {report.updated} updated{skipped}.")
    return EXIT_OK
