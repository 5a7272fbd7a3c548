"""Requests and events acted on once across every replica: a platform hands over what
identifies one (Slack: a signed request's timestamp and signature, an event's team and id) and
learns whether it is the first to claim it. The claim is a row in the database, the only thing
replicas share; rows are pruned after `KEEP`, long after any platform would send the same thing
again (Slack refuses a signature after five minutes and retries an event within about five).
"""

from __future__ import annotations

import hashlib
import threading
from datetime import datetime, timedelta

from sqlalchemy import Engine

from cop_bot.core.clock import Clock
from cop_bot.storage import seen
from cop_bot.storage.db import session_scope

KEEP = timedelta(hours=1)
PRUNE_EVERY = timedelta(minutes=5)


def key_of(parts: tuple[str, ...]) -> str:
    """A fixed-length key for any identity (the parts are platform text, of any length)."""
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


class Seen:
    """One process's door to the shared claims; prunes old ones every `PRUNE_EVERY`, in the
    same transaction as a claim."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock
        self._pruned: datetime | None = None
        self._lock = threading.Lock()

    def first_time(self, *parts: str) -> bool:
        """True for the first claim of `parts` within `KEEP`, on any replica; False after."""
        now = self.clock.now()
        with self._lock:
            due = self._pruned is None or now - self._pruned >= PRUNE_EVERY
            if due:
                self._pruned = now
        with session_scope(self.engine) as session:
            if due:
                seen.prune(session, now - KEEP)
            return seen.claim(session, key_of(parts), now)
