"""Community sessions: `/schedule-session`, `/sessions`, `/session`, `/rsvp`, `/agenda`.

One module per command (`/session`'s cancel and move in `changes`); what they share is in
`common`. The rules and queries are in `cop_bot.sessions`. Instants are stored in UTC; each
member sees them in their own zone (profile, else the community's, else UTC). A series is an
RRULE evaluated in the session's zone.
"""

from __future__ import annotations

# isort: off
# in the order the commands were always registered (`Registry.scan` reads this namespace)
from cop_bot.handlers.sessions.schedule import schedule_session
from cop_bot.handlers.sessions.listing import sessions_command
from cop_bot.handlers.sessions.rsvp import rsvp
from cop_bot.handlers.sessions.agenda import agenda
from cop_bot.handlers.sessions.session import session_command
# isort: on

__all__ = ["agenda", "rsvp", "schedule_session", "session_command", "sessions_command"]
