"""Persistence: SQLModel tables, the engine and sessions, small query functions, migrations."""
