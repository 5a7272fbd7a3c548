"""The `cop-bot` argument parser: each subcommand's parser carries its handler as `func`.

The order below is the order `cop-bot --help` lists the commands in.
"""

from __future__ import annotations

import argparse

from cop_bot import __version__
from cop_bot.cli import content, maintenance, people, run, slack
from cop_bot.cli.common import db_parent


def build_parser() -> argparse.ArgumentParser:
    db = db_parent()
    parser = argparse.ArgumentParser(
        prog="cop-bot",
        description="A community-of-practice bot: find experts, share practices, schedule "
        "sessions and send weekly digests, on Slack, Matrix or the local console.",
        parents=[db],
        epilog="Settings come from the environment and .env; see `cop-bot config check`.",
    )
    parser.add_argument("--version", action="version", version=f"cop-bot {__version__}")
    sub = parser.add_subparsers(dest="cmd", metavar="COMMAND", required=True)
    run.add_run(sub, db)
    run.add_demo(sub)
    run.add_query(sub, db)
    maintenance.add_db(sub, db)
    maintenance.add_config(sub, db)
    people.add_roles(sub, db)
    people.add_members(sub, db)
    content.add_digest(sub, db)
    content.add_practices(sub, db)
    content.add_sessions(sub, db)
    slack.add_slack(sub)
    return parser
