"""One module per capability; each declares its commands with `@command`."""

from __future__ import annotations

from cop_bot.core.router import Registry
from cop_bot.handlers import (
    admin,
    digest,
    domains,
    experts,
    help,
    practices,
    profile,
    questions,
    sessions,
)

MODULES = (
    help,
    domains,
    admin,
    profile,
    experts,
    questions,
    *practices.MODULES,
    digest,
    sessions,
)


def build_registry() -> Registry:
    return Registry().scan(*MODULES)
