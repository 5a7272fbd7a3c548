"""One module per capability; each declares its commands with `@command`."""

from __future__ import annotations

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
from cop_bot.router import Registry

MODULES = (help, domains, admin, profile, experts, questions, practices, digest, sessions)


def build_registry() -> Registry:
    return Registry().scan(*MODULES)
