"""`cop-bot db` and `cop-bot config`: the schema and the settings, for the deployer."""

from __future__ import annotations

import argparse

from cop_bot.cli.common import EXIT_OK, Subparsers
from cop_bot.config import DESCRIPTIONS, Settings


def add_db(sub: Subparsers, db: argparse.ArgumentParser) -> None:
    dbp = sub.add_parser("db", help="database maintenance", description="Database maintenance.")
    dbsub = dbp.add_subparsers(dest="db_cmd", metavar="ACTION", required=True)
    dbsub.add_parser(
        "upgrade",
        parents=[db],
        help="apply the migrations (creates the schema)",
        description="Apply Alembic migrations up to the newest.",
    ).set_defaults(func=db_upgrade)
    dbsub.add_parser(
        "current",
        parents=[db],
        help="show the schema revision",
        description="Show the database's schema revision and the newest one.",
    ).set_defaults(func=db_current)


def add_config(sub: Subparsers, db: argparse.ArgumentParser) -> None:
    cfg = sub.add_parser("config", help="check the settings", description="Check the settings.")
    cfgsub = cfg.add_subparsers(dest="config_cmd", metavar="ACTION", required=True)
    cfgsub.add_parser(
        "check",
        parents=[db],
        help="validate and print the effective settings",
        description="Validate the settings and print them with secrets masked.",
    ).set_defaults(func=config_check)


def db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from cop_bot.storage.db import current_revision, make_engine, upgrade

    engine = make_engine(settings.database_url)
    before = current_revision(engine)
    upgrade(engine)
    after = current_revision(engine)
    print(
        f"Database is at revision {after}"
        + (" (unchanged)." if before == after else f" (was {before}).")
    )
    return EXIT_OK


def db_current(args: argparse.Namespace, settings: Settings) -> int:
    from cop_bot.storage.db import current_revision, head_revision, make_engine

    engine = make_engine(settings.database_url)
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
