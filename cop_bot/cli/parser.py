"""The `cop-bot` argument parser: each subcommand's parser carries its handler as `func`.

The order below is the order `cop-bot --help` lists the commands in.
"""

from __future__ import annotations

import argparse

from cop_bot import __version__
from cop_bot.cli.common import db_parent
from cop_bot.cli.content import (
    add_digest,
    add_insights,
    add_library,
    add_practices,
    add_questions,
    add_sessions,
)
from cop_bot.cli.maintenance import add_config, add_db
from cop_bot.cli.people import add_members, add_roles
from cop_bot.cli.run import add_demo, add_query, add_run
from cop_bot.cli.slack import add_slack


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
    add_run(sub, db)
    add_demo(sub)
    add_query(sub, db)
    add_db(sub, db)
    add_config(sub, db)
    add_roles(sub, db)
    add_members(sub, db)
    add_digest(sub, db)
    add_practices(sub, db)
    add_library(sub, db)
    add_sessions(sub, db)
    add_questions(sub, db)
    add_insights(sub, db)
    add_slack(sub)
    return parser
