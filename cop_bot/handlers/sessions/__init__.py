"""Community sessions: `/schedule-session`, `/sessions`, `/session`, `/rsvp`, `/agenda`.

One module per command (`/session`'s cancel and move in `changes`); what they share is in
`common`. The rules and queries are in `cop_bot.sessions`. Instants are stored in UTC; each
member sees them in their own zone (profile, else the community's, else UTC). A series is an
RRULE evaluated in the session's zone.
"""

from __future__ import annotations

from cop_bot.handlers.sessions import agenda, listing, rsvp, schedule, session

MODULES = (schedule, listing, rsvp, agenda, session)
"""The modules that declare the commands; `cop_bot/handlers/__init__.py` registers them."""
