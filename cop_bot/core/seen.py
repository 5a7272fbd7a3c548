"""Requests and events acted on once across every replica: a platform hands over what
identifies one (Slack: a signed request's timestamp and signature, an event's team and id) and
learns whether it is the first to claim it. The claim is a row in the database, the only thing
replicas share; rows are pruned after `KEEP`, long after any platform would send the same thing
again (Slack refuses a signature after five minutes and retries an event within about five).

A command claims inside its own transaction (`Invocation.once`, see `Router.dispatch`): the
claim and what the command changed commit together, or neither does, and it costs one
statement rather than a transaction of its own.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine

from cop_bot.core.clock import Clock
from cop_bot.core.model import Reply
from cop_bot.storage import seen
from cop_bot.storage.db import transaction

KEEP = timedelta(hours=1)
PRUNE_EVERY = timedelta(minutes=5)
REPLAYED = "replayed"


def key_of(parts: tuple[str, ...]) -> str:
    """A fixed-length key for any identity (the parts are platform text, of any length)."""
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def replayed() -> Reply:
    """What a command answers when it was already acted on: nothing to show or send."""
    return Reply(blocks=(), data={REPLAYED: True})


def is_replay(result: Reply) -> bool:
    return bool(result.data.get(REPLAYED))


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
        with transaction(self.engine) as connection:
            return self.claim_in(connection, parts)

    def claim_in(self, connection: Connection, parts: tuple[str, ...]) -> bool:
        """The same claim in the caller's transaction: undone if it rolls back."""
        now = self.clock.now()
        if self._prune_due(now):
            seen.prune(connection, now - KEEP)
        return seen.claim(connection, key_of(parts), now)

    def _prune_due(self, now: datetime) -> bool:
        with self._lock:
            if self._pruned is not None and now - self._pruned < PRUNE_EVERY:
                return False
            self._pruned = now
            return True
