"""The Slack app manifest, generated from the command registry so it can never drift.

`config/slack-manifest.yaml` is this with `https://bot.example.org` as the URL (a test checks the
file is current); `cop-bot slack manifest --url URL` prints it for a real deployment. With
COP_BOT_SLASH_PREFIX (the registry's `prefix`) every command is registered as members type it,
`/cop-help` rather than `/help`, so it cannot clash with another app's `/help`.
"""

from __future__ import annotations

from typing import Any

import yaml

from cop_bot.core.router import Registry

EXAMPLE_URL = "https://bot.example.org"
# Where Slack sends events, commands and interactions in HTTP mode.
EVENTS_PATH = "/slack/events"
# Slack's own built-in commands, which an app cannot register.
RESERVED = frozenset({"me", "msg", "dm", "invite", "leave", "away", "remind", "status", "who"})
MAX_DESCRIPTION = 100
MAX_HINT = 100
# chat:write for replies and announcements, im:write to open direct messages, files:write for
# the files replies carry (an .ics, a data export), users:read for time zones and locales
# (users.info), channels:read/groups:read for member_joined_channel.
SCOPES = (
    "commands",
    "chat:write",
    "im:write",
    "mpim:write",
    "files:write",
    "users:read",
    "channels:read",
    "groups:read",
)
# app_uninstalled / tokens_revoked need no scope: in multi-workspace mode they delete the
# workspace's installation.
EVENTS = (
    "app_home_opened",
    "member_joined_channel",
    "app_uninstalled",
    "tokens_revoked",
)
# Multi-workspace mode (SLACK_CLIENT_ID/SECRET): the install page and Slack's OAuth redirect.
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
HEADER = (
    "# Generated from the command registry by `cop-bot slack manifest --url URL`; do not edit.\n"
    "# Paste into https://api.slack.com/apps -> Create New App -> From an app manifest.\n"
)


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def build_manifest(registry: Registry, url: str | None, *, name: str = "cop-bot") -> dict[str, Any]:
    """The manifest for HTTP mode at `url`, or for Socket Mode when `url` is None (Slack then
    delivers everything over the websocket: no request URLs, no OAuth redirect)."""
    endpoint = url.rstrip("/") + EVENTS_PATH if url else None
    at = {"url": endpoint} if endpoint else {}
    request_url = {"request_url": endpoint} if endpoint else {}
    commands: list[dict[str, Any]] = []
    slash = registry.slash
    for spec in registry.commands.values():
        for key in (spec.name, *spec.aliases):
            typed = slash.typed(key)
            if typed in RESERVED:
                continue
            summary = spec.summary if key == spec.name else f"Same as /{spec.name}: {spec.summary}"
            entry: dict[str, Any] = {
                "command": f"/{typed}",
                **at,
                "description": _cut(slash.text(summary), MAX_DESCRIPTION),
                "should_escape": True,
            }
            if spec.syntax and spec.syntax[0]:
                entry["usage_hint"] = _cut(slash.text(spec.syntax[0]), MAX_HINT)
            commands.append(entry)
    return {
        "display_information": {
            "name": name,
            "description": "Find experts, share practices and meet your community of practice.",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": True,
            },
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": commands,
        },
        "oauth_config": {
            **({"redirect_urls": [url.rstrip("/") + REDIRECT_PATH]} if url else {}),
            "scopes": {"bot": list(SCOPES)},
        },
        "settings": {
            "event_subscriptions": {**request_url, "bot_events": list(EVENTS)},
            "interactivity": {"is_enabled": True, **request_url},
            "org_deploy_enabled": False,
            "socket_mode_enabled": url is None,
            "token_rotation_enabled": False,
        },
    }


def manifest_yaml(registry: Registry, url: str | None = EXAMPLE_URL) -> str:
    body = yaml.safe_dump(
        build_manifest(registry, url), sort_keys=False, allow_unicode=True, width=100
    )
    return HEADER + body
