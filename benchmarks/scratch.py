"""A throwaway PostgreSQL database for one benchmark run, shared by every benchmark."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextmanager
def scratch_postgres(server_url: str = PG_SERVER) -> Iterator[str]:
    """A database of our own on the server, dropped afterwards even if the benchmark fails."""
    server = make_url(server_url)
    name = f"cop_bot_bench_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
