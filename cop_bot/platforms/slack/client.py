"""Slack Web API clients: the bot's async client and the blocking one of jobs run outside the bot,
both at the configured base URL (GovSlack, a test stand-in) and both retrying a 429 a bounded
number of times (slack_sdk retries only connection errors by default)."""

from __future__ import annotations

import asyncio
import random

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from cop_bot.platforms.slack.tokens import WorkspaceClient

DEFAULT_API_URL = "https://slack.com/api/"


class CappedRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """Retries a 429 after its `Retry-After`, at most `max_retry_count` times, and gives up at
    once when Slack asks for a longer wait than `max_wait` seconds (the caller logs the error
    rather than holding a worker for minutes). slack_sdk's own handler waits without a cap."""

    def __init__(self, max_retry_count: int = 2, max_wait: float = 30.0) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return (
            response is not None
            and response.status_code == 429
            and retry_after(response) <= self.max_wait
        )

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        wait = retry_after(response) if response is not None else 1.0
        await asyncio.sleep(wait + random.random() * 0.1)
        state.increment_current_attempt()


def retry_after(response: HttpResponse) -> float:
    for key, value in response.headers.items():
        if key.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(0.0, float(raw))
            except ValueError:
                return 1.0
    return 1.0


def api_base(api_url: str | None) -> str:
    """The Web API's base URL with the trailing slash slack_sdk needs."""
    return (api_url or DEFAULT_API_URL).rstrip("/") + "/"


def make_client(token: str | None, api_url: str | None) -> AsyncWebClient:
    return WorkspaceClient(  # the fixed token, or the current workspace's (multi-workspace)
        token=token, base_url=api_base(api_url), retry_handlers=[CappedRateLimitRetryHandler()]
    )


def make_web_client(token: str | None, api_url: str | None) -> WebClient:
    """The blocking client of jobs run outside the bot (`digest run-due`)."""
    handler = RateLimitErrorRetryHandler(max_retry_count=2)
    return WebClient(token=token, base_url=api_base(api_url), retry_handlers=[handler])
