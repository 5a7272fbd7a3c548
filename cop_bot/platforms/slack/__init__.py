"""Slack: a slack-bolt `AsyncApp` on aiohttp (HTTP mode) or Socket Mode.

`runner.run(app)` is what `cop-bot run` calls when SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are
set, or SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_SIGNING_SECRET (multi-workspace mode,
`oauth.py`). This package module imports nothing, so `cop-bot slack manifest` (`manifest.py`)
runs without loading slack_bolt or aiohttp.

- `runner`: start-up checks, serving and shutdown; `bot`: the bolt app and its listeners;
  `client`: Web API clients; `outbox`: scheduled messages; `oauth`, `stores`, `tokens`:
  multi-workspace mode; `modals`, `convert`, `manifest`: forms, translation, the app manifest.
"""
