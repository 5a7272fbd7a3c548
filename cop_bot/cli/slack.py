"""`cop-bot slack manifest`: the Slack app's manifest, generated from the command registry."""

from __future__ import annotations

import argparse
import sys

from cop_bot.cli.common import EXIT_OK, EXIT_USAGE, Subparsers, add_action, add_group
from cop_bot.config import Settings


def add_slack(sub: Subparsers) -> None:
    group = add_group(sub, "slack", "Slack app setup", "Slack app setup.")
    sm = add_action(
        group,
        "manifest",
        manifest,
        summary="print the Slack app manifest",
        description="Print the app manifest (every slash command, scopes, events, interactivity, "
        "App Home) to paste into Slack's app settings, generated from the command registry.",
        db=None,
    )
    sm.add_argument(
        "--url",
        default="https://bot.example.org",
        help="the bot's public base URL; Slack posts to URL/slack/events",
    )
    sm.add_argument(
        "--socket-mode",
        action="store_true",
        help="for Socket Mode (SLACK_APP_TOKEN): no request URLs; Slack uses a websocket",
    )


def manifest(args: argparse.Namespace, settings: Settings) -> int:
    from cop_bot.handlers import build_registry
    from cop_bot.platforms.slack.manifest import manifest_yaml

    if not args.url.startswith(("https://", "http://")):
        print("cop-bot slack manifest: --url must be an http(s) URL.", file=sys.stderr)
        return EXIT_USAGE
    registry = build_registry(settings.slash_prefix)
    sys.stdout.write(manifest_yaml(registry, None if args.socket_mode else args.url))
    return EXIT_OK
