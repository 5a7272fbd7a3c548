"""The chat commands: one module (or sub-package) per capability, each declaring its commands with
`@command`. A new command module is added to `MODULES` (the registry's order, which the Slack
manifest follows) and to its capability in `CAPABILITIES` (the headings of `/help`)."""

from __future__ import annotations

from types import ModuleType

from cop_bot.core.i18n import N_
from cop_bot.core.router import Registry
from cop_bot.handlers import (
    admin,
    answers,
    digest,
    domains,
    experts,
    groups,
    help,
    insights,
    library,
    mentoring,
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
    answers,
    *practices.MODULES,
    library,
    digest,
    *sessions.MODULES,
    groups,
    mentoring,
    insights,
)

CAPABILITIES: tuple[tuple[str, tuple[ModuleType, ...]], ...] = (
    (N_("Getting started"), (help, domains)),
    (N_("Experts and questions"), (profile, experts, questions, answers)),
    (N_("Practices"), (*practices.MODULES, library)),
    (N_("Sessions"), sessions.MODULES),
    (N_("Weekly digests"), (digest,)),
    (N_("Groups"), (groups,)),
    (mentoring.HEADING, (mentoring,)),
    (N_("Roles and settings"), (admin, insights)),
)
"""The groups `/help` lists the commands in, in this order (English titles: `/help` shows them
in the member's language)."""


def build_registry(prefix: str = "") -> Registry:
    """Every command; `prefix` is COP_BOT_SLASH_PREFIX (members type `/PREFIXname`)."""
    groups = {module: title for title, modules in CAPABILITIES for module in modules}
    return Registry(prefix=prefix).scan(*MODULES, groups=groups)
