"""Claiming a scheduled send in the database, so it leaves once and a failed one is retried.

A send's row (an escalation notice, a mentoring pair's introduction, a digest run) keeps its
state in four columns, named by a `SendState`: a status, the attempts so far, when the last one
was claimed or made, and the last error. The status moves

    pending -> sending -> sent | failed | refused | skipped
    failed  -> sending   (after `core.outbox.retry_wait`, at most `MAX_SEND_ATTEMPTS` attempts)
    sending -> sending   (taken over after `LEASE`: the process that claimed it died)

and every move to `sending` is a compare-and-set on the state just read (`take`), so of any
number of processes (or scheduler ticks) exactly one sends. A refusal for good (a permanent
`DeliveryError`) is `refused` and not retried: trying again cannot help until someone acts.

Residual risk, as for digests: a process dying after the platform took the message but before
`finish` marks it sent sends it again once the lease is over (at most once more per lease).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import Session, SQLModel, col

from cop_bot.core.outbox import MAX_SEND_ATTEMPTS, DeliveryError, retry_wait
from cop_bot.storage.db import session_scope

PENDING, SENDING, SENT, FAILED, REFUSED, SKIPPED = (
    "pending",
    "sending",
    "sent",
    "failed",
    "refused",
    "skipped",
)
OPEN = (PENDING, FAILED, SENDING)
"""The statuses a send may still leave from."""
LEASE = timedelta(minutes=15)
"""How long a `sending` claim holds before another process may take the send over."""


@dataclass(frozen=True)
class SendState:
    """Which columns of `model` hold a send's state (the names differ from table to table)."""

    model: type[SQLModel]
    status: str = "status"
    attempts: str = "attempts"
    at: str = "at"
    error: str = "last_error"

    def column(self, name: str) -> Any:
        return col(getattr(self.model, name))

    def open_rows(self) -> Any:
        """A WHERE clause for the rows that may still need sending (`due` decides the rest)."""
        return self.column(self.status).in_(OPEN) & (self.column(self.attempts) < MAX_SEND_ATTEMPTS)


def due(state: SendState, row: Any, now: datetime, *, lease: timedelta = LEASE) -> bool:
    """Whether `row` should be sent at `now`: pending, failed with its backoff over, or left
    `sending` past its lease; never after `MAX_SEND_ATTEMPTS` attempts."""
    status, attempts, at = (getattr(row, n) for n in (state.status, state.attempts, state.at))
    if status not in OPEN or attempts >= MAX_SEND_ATTEMPTS:
        return False
    if status == PENDING or at is None:
        return True
    wait = lease if status == SENDING else retry_wait(attempts)
    return bool(now - at >= wait)


def take(
    engine: Engine,
    state: SendState,
    row_id: int,
    now: datetime,
    *,
    lease: timedelta = LEASE,
    still: Callable[[Any], bool] | None = None,
) -> bool:
    """Claim the send for this process: True for exactly one caller while it is due (and,
    with `still`, while the row passes it: a digest is not worth sending a day late)."""
    with session_scope(engine) as session:
        row = session.get(state.model, row_id)
        # read again: another process may have sent it since the caller listed it
        if row is None or not due(state, row, now, lease=lease):
            return False
        if still is not None and not still(row):
            return False
        at_value = getattr(row, state.at)
        at = state.column(state.at)
        result = session.execute(
            update(state.model)
            .where(
                state.column("id") == row_id,
                state.column(state.status) == getattr(row, state.status),
                state.column(state.attempts) == getattr(row, state.attempts),
                at.is_(None) if at_value is None else at == at_value,
            )
            .values({state.status: SENDING, state.at: now})
        )
        return bool(getattr(result, "rowcount", 0))


def outcome(exc: BaseException) -> tuple[str, str]:
    """The status and error a failed send leaves: `refused` for a permanent refusal, else
    `failed` (retried)."""
    if isinstance(exc, DeliveryError):
        return (REFUSED, exc.reason) if exc.permanent else (FAILED, str(exc))
    return FAILED, f"{type(exc).__name__}: {exc}"


def finish(
    session: Session,
    state: SendState,
    row_id: int,
    status: str,
    now: datetime,
    error: str | None = None,
    *,
    counted: bool = True,
) -> None:
    """Record how an attempt ended (`counted`: it was an attempt; a skip is not)."""
    row = session.get(state.model, row_id)
    if row is None:
        return
    setattr(row, state.status, status)
    if counted:
        setattr(row, state.attempts, getattr(row, state.attempts) + 1)
    setattr(row, state.at, now)
    setattr(row, state.error, error[:500] if error else None)
    session.add(row)


def attempt(
    engine: Engine, state: SendState, row_id: int, now: datetime, send: Callable[[], None]
) -> tuple[str, str | None]:
    """Run `send` for a send this process has taken, and record the outcome in its row."""
    status, error = SENT, None
    try:
        send()
    except Exception as exc:
        status, error = outcome(exc)
    with session_scope(engine) as session:
        finish(session, state, row_id, status, now, error)
    return status, error
