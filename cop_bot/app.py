"""Wiring, by hand: settings -> engine -> taxonomy -> router. No module-level globals."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from cop_bot.config import Settings, language_problem
from cop_bot.core.clock import Clock, SystemClock
from cop_bot.core.errors import ConfigError
from cop_bot.core.router import Router
from cop_bot.core.taxonomy import Taxonomy, load_taxonomy
from cop_bot.handlers import build_registry
from cop_bot.storage.db import current_revision, engine_for, head_revision, quick_head, upgrade


@dataclass
class App:
    settings: Settings
    engine: Engine
    taxonomy: Taxonomy
    router: Router
    clock: Clock


def build_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    engine: Engine | None = None,
    migrate: bool | None = None,
    taxonomy_cache: str | None = None,
) -> App:
    """`taxonomy_cache`: a folder for the parsed taxonomy (the CLI gives COP_BOT_STATE_DIR)."""
    taxonomy = load_taxonomy(settings.taxonomy_path, cache_dir=taxonomy_cache)
    problem = language_problem(settings.language, taxonomy.languages)
    if problem:  # before the database is touched
        raise ConfigError(problem)
    engine = engine or engine_for(settings)
    if settings.auto_migrate if migrate is None else migrate:
        upgrade(engine)
    elif (current := current_revision(engine)) != (head := quick_head() or head_revision()):
        raise ConfigError(
            f"The database is at schema revision {current or '(none: empty database)'} but this "
            f"version needs {head}. Run `cop-bot db upgrade`, or leave COP_BOT_AUTO_MIGRATE=true."
        )
    clock = clock or SystemClock()
    router = Router(engine, build_registry(settings.slash_prefix), settings, taxonomy, clock)
    return App(settings=settings, engine=engine, taxonomy=taxonomy, router=router, clock=clock)
