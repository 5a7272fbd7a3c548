"""Which bot token a Web API call uses.

With one workspace the token is fixed (SLACK_BOT_TOKEN). In multi-workspace mode every request
from Slack, and every scheduled message, belongs to one installed workspace: the token is set
for the task handling it (`use_token`, a context variable, so concurrent requests from different
workspaces never see each other's token) and `WorkspaceClient` picks it up on each call.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

_CURRENT: ContextVar[str | None] = ContextVar("cop_bot_slack_token", default=None)


def use_token(token: str | None) -> Token[str | None]:
    """Make `token` the bot token of the current task (and of the tasks it starts)."""
    return _CURRENT.set(token)


def current_token() -> str | None:
    return _CURRENT.get()


class WorkspaceClient(AsyncWebClient):
    """An `AsyncWebClient` whose token is the current workspace's, else the fixed one."""

    def __init__(self, *, token: str | None = None, **kwargs: Any) -> None:
        self._fixed_token: str | None = None
        super().__init__(token=token, **kwargs)

    @property
    def token(self) -> str | None:
        return _CURRENT.get() or self._fixed_token

    @token.setter
    def token(self, value: str | None) -> None:
        self._fixed_token = value
