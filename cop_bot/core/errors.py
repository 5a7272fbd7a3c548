"""Exceptions a handler raises to answer the user; the router turns them into a helpful `Reply`.

Anything else escaping a handler is a bug: the router logs it, rolls the transaction back and
answers with a short apology and a reference, never a stack trace.
"""

from __future__ import annotations


class CommandError(Exception):
    """The command was understood but cannot be done (unknown id, nothing to undo, ...)."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(CommandError):
    """Wrong or missing arguments: the reply adds the command's syntax and an example."""


class PermissionDenied(CommandError):
    """The member lacks the role the command needs."""


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable and what is expected."""
