"""What went wrong with the database, in words a member and an operator can act on.

A database that is down, hung, too slow or read-only is not a bug in a command: the member is
told plainly that nothing was changed, and the operator gets one line saying what to fix,
instead of "internal error" and a traceback.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from cop_bot.core.i18n import N_


class Trouble(StrEnum):
    UNREACHABLE = "database_unreachable"
    TIMED_OUT = "database_timeout"
    READ_ONLY = "database_read_only"


_PG_TIMEOUTS = {"57014", "55P03"}  # statement timeout (query_canceled), lock_not_available
_PG_DOWN = {"57P01", "57P02", "57P03", "53300"}  # shut down, crashed, starting, too many clients

MEMBER_MESSAGES: dict[Trouble, str] = {
    Trouble.UNREACHABLE: N_(
        "Sorry, the bot cannot reach its database right now, so nothing was changed. "
        "Please try again in a few minutes."
    ),
    Trouble.TIMED_OUT: N_(
        "Sorry, the bot's database took too long to answer, so nothing was changed. "
        "Please try again in a few minutes."
    ),
    Trouble.READ_ONLY: N_(
        "Sorry, the bot's database file is read-only, so nothing was changed. "
        "Please tell whoever runs the bot."
    ),
}


def trouble_of(error: BaseException) -> Trouble | None:
    """The kind of database trouble `error` is, or None when it is something else (a bug)."""
    if isinstance(error, sa_exc.TimeoutError):  # no pooled connection came free in time
        return Trouble.UNREACHABLE
    if not isinstance(error, sa_exc.DBAPIError):
        return None
    original = error.orig
    sqlstate = getattr(original, "sqlstate", None)
    message = str(original).lower()
    if sqlstate in _PG_TIMEOUTS:
        return Trouble.TIMED_OUT
    if "readonly database" in message or "read-only database" in message:
        return Trouble.READ_ONLY
    if "database is locked" in message:
        return Trouble.TIMED_OUT
    if sqlstate in _PG_DOWN or (sqlstate or "").startswith("08"):
        return Trouble.UNREACHABLE
    if error.connection_invalidated or "unable to open database file" in message:
        return Trouble.UNREACHABLE
    if isinstance(error, sa_exc.OperationalError) and sqlstate is None and _is_postgres(error):
        return Trouble.UNREACHABLE  # refused, timed out or dropped while connecting
    return None


def _is_postgres(error: sa_exc.DBAPIError) -> bool:
    return type(error.orig).__module__.startswith("psycopg")


def operator_message(trouble: Trouble, database_url: str) -> str:
    """One line for whoever runs the bot: what is wrong and what to do about it."""
    url = make_url(database_url)
    where = url.render_as_string(hide_password=True)
    if trouble is Trouble.READ_ONLY:
        path = (url.database or "").removeprefix("file:")  # a URI filename (`?mode=ro`)
        return (
            f"the database file {path} is read-only, so nothing was changed; give the "
            "bot's user write permission to the file and to its folder."
        )
    if trouble is Trouble.TIMED_OUT:
        return (
            f"the database at {where} took too long to answer, so nothing was changed "
            "(COP_BOT_DB_STATEMENT_TIMEOUT sets how long a query may take)."
        )
    return (
        f"cannot reach the database at {where}, so nothing was changed; check that it is "
        "running and reachable (COP_BOT_DB_CONNECT_TIMEOUT sets how long to wait)."
    )
