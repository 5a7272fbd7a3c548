"""`cop-bot db` and `cop-bot config`: the schema and the settings, for the deployer."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from cop_bot.cli.common import (
    EXIT_OK,
    Subparsers,
    add_action,
    add_group,
    database_present,
    database_trouble,
)
from cop_bot.config import (
    COMMUNITY_DEFAULTS,
    DESCRIPTIONS,
    ENV_NAMES,
    Settings,
    language_problem,
)
from cop_bot.core.errors import ConfigError

if TYPE_CHECKING:
    from cop_bot.storage.models import Community


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
    """Only looks: a SQLite file that does not exist is not created."""
    from cop_bot.storage.db import current_revision, engine_for, head_revision

    database_present(settings)
    engine = engine_for(settings)
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    print(f"Database revision: {current or 'none (empty database)'}; newest: {head_revision()}.")
    return EXIT_OK


def config_check(args: argparse.Namespace, settings: Settings) -> int:
    """The effective settings (defaults resolved to what is used), then what the database's
    communities keep instead of the environment."""
    from cop_bot.core.taxonomy import default_taxonomy_path, load_taxonomy
    from cop_bot.logs import log_file

    taxonomy = load_taxonomy(settings.taxonomy_path)
    problem = language_problem(settings.language, taxonomy.languages)
    if problem:
        raise ConfigError(problem)
    platform, why = settings.chosen_platform()
    print("Configuration is valid.")
    print(f"Platform: {platform} ({why}).")
    print(f"Taxonomy: {len(taxonomy.domains)} domains in {len(taxonomy.groups)} groups.\n")
    shown = settings.masked()
    if not settings.taxonomy_path:
        shown["COP_BOT_TAXONOMY"] = f"{default_taxonomy_path()} (default)"
    if not settings.log_file:
        shown["COP_BOT_LOG_FILE"] = f"{log_file(settings)} (default)"
    width = max(len(k) for k in DESCRIPTIONS)
    for key, value in shown.items():
        print(f"{key:<{width}}  {value}")
    for warning in stored_setting_warnings(settings):
        print(f"warning: {warning}", file=sys.stderr)
    return EXIT_OK


def stored_setting_warnings(settings: Settings) -> list[str]:
    """Where a community's stored name, time zone or language differs from a variable that is
    set: the stored one wins, and the variable only shapes communities created later."""
    from sqlalchemy.exc import SQLAlchemyError

    from cop_bot.config import read_environment

    env = read_environment()
    attribute = {var: name for name, var in ENV_NAMES.items()}
    given = {
        var: getattr(settings, attribute[var])
        for var in COMMUNITY_DEFAULTS
        if env.get(var, "").strip()
    }
    if not given:
        return []
    try:
        communities = _stored_communities(settings)
    except SQLAlchemyError as exc:
        trouble = database_trouble(exc, settings)
        return [f"could not compare the communities' own settings with the environment: {trouble}."]
    warnings = []
    for community in communities:
        where = f"{community.platform}:{community.external_id}"
        for var, wanted in given.items():
            key = COMMUNITY_DEFAULTS[var]
            stored = getattr(community, key)
            if stored != wanted:
                warnings.append(
                    f"{where} keeps its own {key} {stored!r}, which wins over {var}={wanted!r} "
                    f"(the variable only applies to communities created from now on); change "
                    f"it in chat with `/settings {key}: {wanted}`."
                )
    return warnings


def _stored_communities(settings: Settings) -> list[Community]:
    """The communities, if the database exists and has its schema; never creates either."""
    from sqlalchemy import inspect
    from sqlmodel import col, select

    from cop_bot.storage.db import make_engine, session_scope, sqlite_file
    from cop_bot.storage.models import Community

    path = sqlite_file(settings.database_url)
    if path is not None and not path.is_file():
        return []
    engine = make_engine(settings.database_url)
    try:
        if not inspect(engine).has_table("community"):
            return []
        with session_scope(engine) as session:
            query = select(Community).order_by(col(Community.platform), col(Community.external_id))
            return list(session.exec(query).all())
    finally:
        engine.dispose()
