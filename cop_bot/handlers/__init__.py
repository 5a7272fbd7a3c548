"""The chat commands: one module (or sub-package) per capability, each declaring its commands with
`@command`. A new command module is added to `MODULES`."""

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
    *sessions.MODULES,
)


def build_registry() -> Registry:
    return Registry().scan(*MODULES)
