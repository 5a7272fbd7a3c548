"""cop-bot: a community-of-practice bot for team chat."""

__version__ = "0.1.0"
