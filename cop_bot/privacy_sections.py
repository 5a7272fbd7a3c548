"""Wiring: every capability's privacy section, in the order `/profile export` shows them.

A capability that stores anything about a member adds its section here; a test fails while a
column with a foreign key to `member.id` is claimed by no section.
"""

from __future__ import annotations

from cop_bot.core.privacy import PrivacySection
from cop_bot.digests.privacy import DIGESTS
from cop_bot.experts.privacy import PROFILE, QUESTIONS, ROLES
from cop_bot.practices.privacy import PRACTICES
from cop_bot.sessions.privacy import SESSIONS


def privacy_sections() -> tuple[PrivacySection, ...]:
    return (PROFILE, ROLES, QUESTIONS, PRACTICES, SESSIONS, DIGESTS)
