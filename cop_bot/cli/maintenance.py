"""`cop-bot db` and `cop-bot config`: the schema and the settings, for the deployer."""

from __future__ import annotations

import argparse

from cop_bot.cli.common import EXIT_OK, Subparsers, add_action, add_group
from cop_bot.config import DESCRIPTIONS, Settings


def add_db(sub: Subparsers, db: argparse.ArgumentParser) -> None:
    group = add_group(sub, "db", "database maintenance", "Database maintenance.")
    add_action(
        group,
        "upgrade",
        db_upgrade,
        summary="apply the migrations (creates the schema)",
        description="Apply Alembic migrations up to the newest.",
        db=db,
    )
    add_action(
        group,
        "current",
        db_current,
        summary="show the schema revision",
        description="Show the database's schema revision and the newest one.",
        db=db,
    )


def add_config(sub: Subparsers, db: argparse.ArgumentParser) -> None:
    group = add_group(sub, "config", "check the settings", "Check the settings.")
    add_action(
        group,
        "check",
        config_check,
        summary="validate and print the effective settings",
        description="Validate the settings and print them with secrets masked.",
        db=db,
    )


def db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from cop_bot.storage.db import current_revision, engine_for, upgrade

    engine = engine_for(settings)
    before = current_revision(engine)
    upgrade(engine)
    after = current_revision(engine)
    print(
        f"Database is at revision {after}"
        + (" (unchanged)." if before == after else f" (was {before}).")
    )
    return EXIT_OK


def db_current(args: argparse.Namespace, settings: Settings) -> int:
    from cop_bot.storage.db import current_revision, engine_for, head_revision

    engine = engine_for(settings)
    print(f"Database revision: {current_revision(engine)}; newest: {head_revision()}.")
    return EXIT_OK


def config_check(args: argparse.Namespace, settings: Settings) -> int:
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
